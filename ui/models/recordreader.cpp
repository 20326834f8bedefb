#include "recordreader.h"

#include "clustersource.h"

#include <QElapsedTimer>

#include <algorithm>

namespace rivulet {
namespace {

// Records asked for per partition when several are merged: small enough that a page over
// many partitions does not copy far more than it shows, large enough to keep calls few.
constexpr int kMinRefill = 16;

} // namespace

RecordReader::RecordReader(ClusterSource &source, QByteArray topic, QList<int> partitions,
                           RecordFilter filter)
    : m_source(source), m_topic(std::move(topic)), m_filter(std::move(filter))
{
    m_cursors.reserve(std::size_t(partitions.size()));
    for (int p : partitions)
        m_cursors.push_back({p, 0, 0, 0, {}, false});
    // the partitions' offsets are looked up by the first seek, on the reading thread
}

bool RecordReader::before(const DecodedRecord &a, const DecodedRecord &b)
{
    if (a.timestamp != b.timestamp)
        return a.timestamp < b.timestamp;
    if (a.partition != b.partition)
        return a.partition < b.partition;
    return a.offset < b.offset;
}

void RecordReader::refreshRanges()
{
    m_ranges = m_source.partitionRanges(m_topic);
    for (Cursor &c : m_cursors) {
        if (c.partition < m_ranges.size()) {
            c.start = m_ranges[c.partition].startOffset;
            c.end = m_ranges[c.partition].endOffset;
        } else {
            // the topic went (or was made again smaller): nothing more to read
            c.start = c.end = c.next;
        }
    }
}

void RecordReader::seekOldest()
{
    refreshRanges();
    for (Cursor &c : m_cursors) {
        c.buffered.clear();
        c.next = c.start;
    }
}

void RecordReader::seekOffset(std::int64_t offset)
{
    refreshRanges();
    for (Cursor &c : m_cursors) {
        c.buffered.clear();
        c.next = std::clamp(offset, c.start, c.end);
    }
}

QString RecordReader::seekTime(std::int64_t ms)
{
    refreshRanges();
    QStringList problems;
    for (Cursor &c : m_cursors) {
        c.buffered.clear();
        const TimestampLookup found = m_source.offsetForTimestamp(m_topic, c.partition, ms);
        if (!found.error.isEmpty())
            problems << QStringLiteral("partition %1: %2").arg(c.partition).arg(found.error);
        c.next = found.offset >= 0 ? std::max(found.offset, c.start) : c.end;
    }
    return problems.join(QStringLiteral("; "));
}

void RecordReader::problem(const Cursor &c, const QString &what, MergedPage &page) const
{
    // one partition of several: say which and go on with the others
    if (m_cursors.size() == 1)
        page.error = what;
    else
        page.note = QStringLiteral("partition %1: %2").arg(c.partition).arg(what);
}

void RecordReader::refill(Cursor &c, int records, int timeBudgetMs, MergedPage &page)
{
    ReadRequest request;
    request.fromOffset = c.next;
    request.maxRecords = records;
    request.filter = m_filter;
    request.timeBudgetMs = timeBudgetMs;
    RecordPage read = m_source.readRecords(m_topic, c.partition, request);
    c.next = std::max(c.next, read.nextOffset);
    c.start = read.startOffset;
    c.end = std::max(read.endOffset, c.next);
    page.scanned += read.scanned;
    for (DecodedRecord &r : read.records)
        c.buffered.push_back(std::move(r));
    if (!read.note.isEmpty())
        page.note = m_cursors.size() == 1
                        ? read.note
                        : QStringLiteral("partition %1: %2").arg(c.partition).arg(read.note);
    if (!read.error.isEmpty()) {
        c.failed = true;
        problem(c, read.error, page);
    }
}

void RecordReader::finish(MergedPage &page) const
{
    page.positions.clear();
    page.ranges = m_ranges;
    page.more = false;
    for (const Cursor &c : m_cursors) {
        if (c.partition < page.ranges.size()) // the reads may have seen newer ends
            page.ranges[c.partition].endOffset =
                std::max(page.ranges[c.partition].endOffset, c.end);
        page.positions.append(c.buffered.empty() ? c.next : c.buffered.front().offset);
        page.more = page.more || !c.buffered.empty() || (!c.failed && c.next < c.end);
    }
}

MergedPage RecordReader::read(int maxRecords, int timeBudgetMs)
{
    MergedPage page;
    refreshRanges();
    QElapsedTimer timer;
    timer.start();
    const int refillSize = m_cursors.size() == 1
                               ? maxRecords
                               : std::max(kMinRefill, maxRecords / int(m_cursors.size()));
    while (page.records.size() < maxRecords) {
        // every partition that may hold the next record in merge order has one read ahead
        bool waiting = false;
        for (Cursor &c : m_cursors) {
            if (!c.buffered.empty() || c.failed || c.next >= c.end)
                continue;
            refill(c, std::min(refillSize, maxRecords - int(page.records.size())),
                   std::max(1, timeBudgetMs - int(timer.elapsed())), page);
            waiting = waiting || (c.buffered.empty() && !c.failed && c.next < c.end);
        }
        if (waiting) {
            // a filtered read ran out of time in some partition: the merge cannot go on
            // until it has looked further
            if (timer.elapsed() >= timeBudgetMs)
                break;
            continue;
        }
        Cursor *best = nullptr;
        for (Cursor &c : m_cursors)
            if (!c.buffered.empty() &&
                (!best || before(c.buffered.front(), best->buffered.front())))
                best = &c;
        if (!best)
            break;
        page.records.append(std::move(best->buffered.front()));
        best->buffered.pop_front();
    }
    finish(page);
    return page;
}

MergedPage RecordReader::readNewest(int count, std::int64_t window)
{
    MergedPage page;
    refreshRanges();
    // the newest `count` of each partition (in its last `window` offsets) are candidates;
    // the newest `count` of the candidates are the page. Kept trimmed as each partition is
    // read, so memory holds at most a few pages whatever the partition count.
    std::vector<DecodedRecord> newest;
    for (Cursor &c : m_cursors) {
        c.buffered.clear();
        const std::int64_t end = c.end;
        c.next = std::max(c.start, end - window);
        std::deque<DecodedRecord> mine;
        while (!c.failed && c.next < end) {
            const std::int64_t from = c.next;
            refill(c, count, 250, page);
            while (!c.buffered.empty()) {
                if (c.buffered.front().offset < end)
                    mine.push_back(std::move(c.buffered.front()));
                c.buffered.pop_front();
                if (int(mine.size()) > count)
                    mine.pop_front();
            }
            if (c.next <= from && c.buffered.empty())
                break; // no progress: an error was reported
        }
        c.next = std::max(c.next, end);
        for (DecodedRecord &r : mine)
            newest.push_back(std::move(r));
        std::sort(newest.begin(), newest.end(), before);
        if (int(newest.size()) > count)
            newest.erase(newest.begin(), newest.end() - count);
    }
    page.records.reserve(qsizetype(newest.size()));
    for (DecodedRecord &r : newest)
        page.records.append(std::move(r));
    finish(page);
    return page;
}

MergedPage RecordReader::peek()
{
    MergedPage page;
    refreshRanges();
    finish(page);
    return page;
}

MergedPage RecordReader::readTail(int maxRecords, std::int64_t maxBacklog, int keep)
{
    refreshRanges();
    std::int64_t skipped = 0;
    for (Cursor &c : m_cursors) {
        const std::int64_t position = c.buffered.empty() ? c.next : c.buffered.front().offset;
        if (c.end - position > maxBacklog) {
            // the producers are faster than anyone can read along: jump to the newest
            c.buffered.clear();
            const std::int64_t to = std::max(position, c.end - keep);
            skipped += to - position;
            c.next = to;
        }
    }
    MergedPage page = read(maxRecords, 250);
    page.skipped = skipped;
    return page;
}

} // namespace rivulet
