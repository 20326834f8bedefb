#include "recordreader.h"

#include "log/partition.h"

#include <QElapsedTimer>

#include <algorithm>

namespace rivulet {
namespace {

// Records handed out per partition lock: keeps each lock short while producers append.
constexpr int kRecordsPerLock = 1024;

char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

BrowsedRecord copyRecord(const RecordView &r)
{
    BrowsedRecord out;
    out.offset = r.offset;
    out.timestamp = r.timestamp;
    out.hasKey = r.hasKey;
    out.key = r.key.toByteArray();
    out.valueSize = r.value.size();
    out.value =
        r.value.first(std::min(r.value.size(), BrowsedRecord::kMaxValueBytes)).toByteArray();
    out.size = r.key.size() + r.value.size() + r.headerBytes.size();
    forEachHeader(r, [&](const HeaderView &h) {
        out.headers.append({h.name.toByteArray(), h.value.toByteArray()});
    });
    return out;
}

// Offsets are dense, so offsets that readRecords() steps over are transaction markers
// (control batches: not messages, so not shown) or records in batches it cannot decode.
QString skippedNote(std::int64_t first, std::int64_t last)
{
    return QStringLiteral("offsets %1–%2 are in a batch the browser cannot decode")
        .arg(first)
        .arg(last);
}

// Says what lies in [first, last] when readRecords() stepped over it: nothing to say for
// transaction markers, a note for records that cannot be shown.
QString gapNote(const Partition &partition, std::int64_t first, std::int64_t last)
{
    bool onlyMarkers = true;
    QString ignored;
    partition.readBatches(
        first,
        [&](QByteArrayView bytes) {
            const RecordBatchView batch(bytes);
            if (batch.baseOffset() > last)
                return false;
            onlyMarkers = onlyMarkers && batch.isControl();
            return onlyMarkers;
        },
        ignored);
    return onlyMarkers ? QString() : skippedNote(first, last);
}

// A batch the reader cannot decode, or a transaction marker, yields no records: find where
// it ends so the browser can step over it instead of stopping there.
std::int64_t skipUndecodable(const Partition &partition, std::int64_t from, QString &note,
                             QString &error)
{
    std::int64_t next = from;
    partition.readBatches(
        from,
        [&](QByteArrayView bytes) {
            const RecordBatchView batch(bytes);
            if (batch.lastOffset() >= from) {
                next = batch.lastOffset() + 1;
                if (!batch.isControl())
                    note = skippedNote(std::max(from, batch.baseOffset()), batch.lastOffset());
                return false;
            }
            return true;
        },
        error);
    return next;
}

} // namespace

bool containsIgnoringCase(QByteArrayView haystack, QByteArrayView needle)
{
    if (needle.isEmpty())
        return true;
    const auto *end = haystack.end();
    return std::search(haystack.begin(), end, needle.begin(), needle.end(),
                       [](char a, char b) { return lower(a) == b; }) != end;
}

RecordPage readRecordPage(const Partition &partition, const PageRequest &request)
{
    RecordPage page;
    page.startOffset = partition.startOffset();
    page.endOffset = partition.endOffset();
    page.fromOffset = std::max(request.fromOffset, page.startOffset);
    page.nextOffset = page.fromOffset;
    QByteArray needle = request.filter;
    for (char &c : needle)
        c = lower(c);

    QElapsedTimer timer;
    timer.start();
    while (page.records.size() < request.maxRecords && page.nextOffset < page.endOffset) {
        const int want =
            int(std::min<qsizetype>(kRecordsPerLock, request.maxRecords - page.records.size()));
        int scannedHere = 0;
        std::int64_t gapFirst = -1, gapLast = -1; // looked into outside the partition's lock
        const ReadOutcome outcome = partition.readRecords(
            page.nextOffset, needle.isEmpty() ? want : kRecordsPerLock, [&](const RecordView &r) {
                ++scannedHere;
                if (r.offset > page.nextOffset && gapFirst < 0) {
                    gapFirst = page.nextOffset;
                    gapLast = r.offset - 1;
                }
                page.nextOffset = r.offset + 1;
                if (containsIgnoringCase(r.key, needle) || containsIgnoringCase(r.value, needle)) {
                    page.records.append(copyRecord(r));
                }
                return page.records.size() < request.maxRecords;
            });
        page.scanned += scannedHere;
        if (gapFirst >= 0)
            if (QString note = gapNote(partition, gapFirst, gapLast); !note.isEmpty())
                page.note = note;
        if (outcome.records == 0) {
            // Nothing at nextOffset: the end, a gap left by retention, or a batch that
            // cannot be decoded. Step over the last kind and say so; stop at the others.
            QString skipError;
            const std::int64_t skipped =
                skipUndecodable(partition, page.nextOffset, page.note, skipError);
            if (skipped <= page.nextOffset) {
                page.error = !outcome.error.isEmpty() ? outcome.error : skipError;
                break;
            }
            if (!outcome.error.isEmpty())
                page.note = outcome.error;
            page.nextOffset = skipped;
        } else if (!outcome.error.isEmpty()) {
            page.error = outcome.error;
            break;
        }
        if (!needle.isEmpty() && timer.elapsed() >= request.timeBudgetMs)
            break;
        page.endOffset = std::max(page.endOffset, partition.endOffset());
    }
    return page;
}

} // namespace rivulet
