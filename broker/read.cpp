// Decoded reads: a page of records from a partition at an offset, and the offset for a
// timestamp (Kafka's ListOffsets search, which the Kafka handler shares). Fetch hands out
// whole stored batches instead and does not come here.
#include "read.h"

#include "broker.h"
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

DecodedRecord copyRecord(int partition, const RecordView &r)
{
    DecodedRecord out;
    out.partition = partition;
    out.offset = r.offset;
    out.timestamp = r.timestamp;
    out.hasKey = r.hasKey;
    out.key = r.key.toByteArray();
    out.hasValue = r.hasValue;
    out.valueSize = r.value.size();
    out.value =
        r.value.first(std::min(r.value.size(), DecodedRecord::kMaxValueBytes)).toByteArray();
    out.size = r.key.size() + r.value.size() + r.headerBytes.size();
    forEachHeader(r, [&](const HeaderView &h) {
        out.headers.append({h.name.toByteArray(), h.value.toByteArray(), h.hasValue});
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
// it ends so the reader can step over it instead of stopping there.
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

QString RecordFilter::problem() const
{
    return RecordMatcher(*this).problem();
}

RecordMatcher::RecordMatcher(const RecordFilter &filter)
    : m_everything(filter.isEmpty()), m_headerName(filter.headerName),
      m_headerValue(filter.headerValue)
{
    if (filter.text.isEmpty())
        return;
    if (filter.regex) {
        m_regex.emplace(filter.text);
        if (!m_regex->isValid()) {
            m_problem = QStringLiteral("invalid regular expression at character %1: %2")
                            .arg(m_regex->patternErrorOffset())
                            .arg(m_regex->errorString());
            return;
        }
        m_regex->optimize();
    } else {
        m_needle = filter.text.toUtf8();
        for (char &c : m_needle)
            c = lower(c);
    }
}

bool RecordMatcher::matchesText(QByteArrayView bytes) const
{
    if (m_regex)
        return m_regex->match(QString::fromUtf8(bytes)).hasMatch();
    return containsIgnoringCase(bytes, m_needle);
}

template <typename ForEachHeader>
bool RecordMatcher::matchesParts(bool hasKey, QByteArrayView key, QByteArrayView value,
                                 ForEachHeader headers) const
{
    if (m_everything)
        return true;
    if (!m_problem.isEmpty())
        return false;
    if (!m_headerName.isEmpty()) {
        bool found = false;
        headers([&](QByteArrayView name, QByteArrayView headerValue, bool hasValue) {
            found =
                found ||
                (name == m_headerName &&
                 (!m_headerValue || (hasValue && headerValue == QByteArrayView(*m_headerValue))));
        });
        if (!found)
            return false;
    }
    if (!m_regex && m_needle.isEmpty())
        return true;
    if ((hasKey && matchesText(key)) || matchesText(value))
        return true;
    bool found = false;
    headers([&](QByteArrayView name, QByteArrayView headerValue, bool) {
        found = found || matchesText(name) || matchesText(headerValue);
    });
    return found;
}

bool RecordMatcher::matches(const RecordView &record) const
{
    return matchesParts(record.hasKey, record.key, record.value, [&](const auto &f) {
        forEachHeader(record, [&](const HeaderView &h) { f(h.name, h.value, h.hasValue); });
    });
}

bool RecordMatcher::matches(const DecodedRecord &record) const
{
    return matchesParts(record.hasKey, record.key, record.value, [&](const auto &f) {
        for (const DecodedHeader &h : record.headers)
            f(h.name, h.value, h.hasValue);
    });
}

RecordPage readRecordPage(const Partition &partition, const ReadRequest &request,
                          const RecordMatcher &matcher)
{
    RecordPage page;
    page.partition = partition.index();
    page.startOffset = partition.startOffset();
    page.endOffset = partition.endOffset();
    page.fromOffset = std::max(request.fromOffset, page.startOffset);
    page.nextOffset = page.fromOffset;
    if (!matcher.problem().isEmpty()) {
        page.error = matcher.problem();
        return page;
    }
    const bool everything = matcher.matchesEverything();

    QElapsedTimer timer;
    timer.start();
    while (page.records.size() < request.maxRecords && page.nextOffset < page.endOffset) {
        const int want =
            int(std::min<qsizetype>(kRecordsPerLock, request.maxRecords - page.records.size()));
        int scannedHere = 0;
        std::int64_t gapFirst = -1, gapLast = -1; // looked into outside the partition's lock
        const ReadOutcome outcome = partition.readRecords(
            page.nextOffset, everything ? want : kRecordsPerLock, [&](const RecordView &r) {
                ++scannedHere;
                if (r.offset > page.nextOffset && gapFirst < 0) {
                    gapFirst = page.nextOffset;
                    gapLast = r.offset - 1;
                }
                page.nextOffset = r.offset + 1;
                if (matcher.matches(r))
                    page.records.append(copyRecord(page.partition, r));
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
        if (!everything && timer.elapsed() >= request.timeBudgetMs)
            break;
        page.endOffset = std::max(page.endOffset, partition.endOffset());
    }
    return page;
}

TimestampLookup lookUpTimestamp(const Partition &p, std::int64_t timestamp)
{
    TimestampLookup found;
    const std::int64_t start = p.startOffset();
    if (timestamp == TimestampLookup::kNewestTimestamp) {
        // the first record with the largest timestamp; batch headers say where to look
        std::int64_t best = -1;
        p.readBatches(
            start,
            [&](QByteArrayView bytes) {
                const RecordBatchView view(bytes);
                if (view.maxTimestamp() <= best)
                    return true;
                view.forEachRecord(start, [&](const RecordView &r) {
                    if (r.timestamp > best) {
                        best = r.timestamp;
                        found.offset = r.offset;
                        found.timestamp = r.timestamp;
                    }
                    return true;
                });
                return true;
            },
            found.error);
    } else {
        // Kafka's search: the first record whose timestamp is at or after the one asked for;
        // batches whose newest record is older are skipped unopened
        p.readBatches(
            start,
            [&](QByteArrayView bytes) {
                const RecordBatchView view(bytes);
                if (view.maxTimestamp() < timestamp)
                    return true;
                view.forEachRecord(start, [&](const RecordView &r) {
                    if (r.timestamp < timestamp)
                        return true;
                    found.offset = r.offset;
                    found.timestamp = r.timestamp;
                    return false;
                });
                return found.offset < 0;
            },
            found.error);
    }
    return found;
}

RecordPage Broker::readRecords(QByteArrayView topic, int partition,
                               const ReadRequest &request) const
{
    const auto t = m_topics.find(topic);
    const Partition *p = t ? t->partition(partition) : nullptr;
    if (!p) {
        RecordPage page;
        page.partition = partition;
        page.error = t ? QStringLiteral("topic %1 has no partition %2")
                             .arg(QString::fromUtf8(topic))
                             .arg(partition)
                       : QStringLiteral("topic %1 does not exist").arg(QString::fromUtf8(topic));
        return page;
    }
    return readRecordPage(*p, request, RecordMatcher(request.filter));
}

TimestampLookup Broker::offsetForTimestamp(QByteArrayView topic, int partition,
                                           std::int64_t timestamp) const
{
    const auto t = m_topics.find(topic);
    const Partition *p = t ? t->partition(partition) : nullptr;
    if (!p) {
        TimestampLookup none;
        none.error = QStringLiteral("no partition %1 of topic %2")
                         .arg(partition)
                         .arg(QString::fromUtf8(topic));
        return none;
    }
    return lookUpTimestamp(*p, timestamp);
}

QList<PartitionRange> Broker::partitionRanges(QByteArrayView topic) const
{
    QList<PartitionRange> ranges;
    if (const auto t = m_topics.find(topic)) {
        ranges.reserve(t->partitionCount());
        for (int i = 0; i < t->partitionCount(); ++i) {
            const Partition *p = t->partition(i);
            ranges.append({p->startOffset(), p->endOffset()});
        }
    }
    return ranges;
}

int Broker::partitionCount(QByteArrayView topic) const
{
    const auto t = m_topics.find(topic);
    return t ? t->partitionCount() : -1;
}

} // namespace rivulet
