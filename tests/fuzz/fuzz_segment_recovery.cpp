// libFuzzer harness: opening a partition directory whose files hold arbitrary bytes: the
// segment recovery scanner, the .index loader and the start-offset file (broker/log/
// segment.*, filelog.*).
//
// Input: one mode byte, then the files. Bit 0: the last shutdown was clean (indexes are
// trusted). Bit 1: an .index file for the newest segment ([uint16 length][bytes]). Bit 2: a
// second segment: the bytes are split at a uint16 position, the second part is a segment
// whose base offset is a uint8. Bit 3: a log-start-offset file holding a uint8 as text.
// The rest is segment bytes. The log is opened as after a crash (or a clean stop), every
// batch it serves is read, a new batch is appended and read back, and the log is closed.
// Checked besides the sanitizers: with one segment scanned whole, everything recovery kept
// can be read; appending after recovery works and gets the next offset.
#include "fuzzsupport.h"

#include "log/filelog.h"
#include "log/recordbatch.h"

using namespace rivulet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    fuzz::ensureApplication();
    fuzz::Input in(data, size);
    const std::uint8_t mode = in.u8();
    const bool clean = mode & 1;
    const bool withIndex = mode & 2;
    const bool twoSegments = mode & 4;
    const bool withStartOffset = mode & 8;
    const QByteArray index = withIndex ? in.take(in.u16()).toByteArray() : QByteArray();
    const std::size_t split = twoSegments ? in.u16() : 0;
    const std::int64_t secondBase = twoSegments ? in.u8() : 0;
    const std::int64_t startOffset = withStartOffset ? in.u8() : 0;
    const QByteArray first = twoSegments ? in.take(split).toByteArray() : in.rest().toByteArray();
    const QByteArray second = twoSegments ? in.rest().toByteArray() : QByteArray();

    const QString dir = fuzz::freshDir(QStringLiteral("partition"));
    fuzz::writeFile(Segment::logPath(dir, 0), first);
    std::int64_t newestBase = 0;
    if (twoSegments && secondBase != 0) {
        fuzz::writeFile(Segment::logPath(dir, secondBase), second);
        newestBase = secondBase;
    }
    if (withIndex)
        fuzz::writeFile(Segment::indexPath(dir, newestBase), index);
    if (withStartOffset)
        fuzz::writeFile(FileLog::startOffsetPath(dir), QByteArray::number(startOffset));

    LogSettings settings;
    settings.segmentBytes = 4096; // small, so that the append after recovery may roll
    settings.fsync = FsyncPolicy::Never;
    QStringList notes;
    auto log = FileLog::open(dir, settings, clean, notes);
    if (auto *broken = dynamic_cast<BrokenLog *>(log.get())) {
        if (broken->reason().isEmpty())
            fuzz::fail("a partition that cannot be opened gives no reason");
        return 0;
    }
    if (log->startOffset() > log->endOffset() || log->startOffset() < 0)
        fuzz::fail("the recovered log's start is past its end");

    QString error;
    std::int64_t next = log->startOffset();
    const bool read = log->readBatches(
        log->startOffset(),
        [&](QByteArrayView bytes) {
            const RecordBatchView batch(bytes);
            if (batch.validate(false) != RecordBatchView::Check::Ok)
                fuzz::fail("the log served a batch that is not intact");
            next = batch.lastOffset() + 1;
            return true;
        },
        error);
    const bool scannedWhole = !clean && (!twoSegments || secondBase == 0) && !withStartOffset;
    if (scannedWhole && !read)
        fuzz::fail("a log recovered by a full scan cannot be read");
    if (read && next != log->endOffset() && log->endOffset() > log->startOffset())
        fuzz::fail("the batches read do not end at the log's end");

    RecordBatchBuilder builder(1700000000000);
    builder.append("after recovery");
    QByteArray batch = builder.finish();
    const std::int64_t end = log->endOffset();
    const AppendResult appended = log->append(batch);
    if (appended.ok) {
        if (appended.baseOffset != end)
            fuzz::fail("an append after recovery did not get the log's end offset");
        bool found = false;
        if (!log->readBatches(
                end,
                [&](QByteArrayView bytes) {
                    found = RecordBatchView(bytes).baseOffset() == end;
                    return false;
                },
                error) ||
            !found)
            fuzz::fail("a batch appended after recovery cannot be read back");
    } else if (appended.error.isEmpty()) {
        fuzz::fail("a failed append gives no reason");
    }
    log->close(error);
    return 0;
}
