#pragma once

#include "read.h"

#include <QByteArray>
#include <QList>

#include <deque>
#include <vector>

namespace rivulet {

class ClusterSource;

// What one read of a RecordReader found.
struct MergedPage
{
    QList<DecodedRecord> records; // in merge order
    // Per partition read (in the reader's order): the offset of the first record not handed
    // out yet. With the partitions' end offsets it tells whether more is there to read.
    QList<std::int64_t> positions;
    QList<PartitionRange> ranges; // of every partition of the topic, when read
    std::int64_t skipped = 0;     // readTail(): records passed over to keep up
    bool more = false;            // records are known to be waiting (read ahead, or before an end)
    std::int64_t scanned = 0;     // records looked at (more than taken when filtering)
    QString note;
    QString error;
};

// Reads the message browser's records through ClusterSource::readRecords(), a page at a time: one
// partition in offset order, or several merged by timestamp. Each partition is read in
// offset order, and the merge always hands out the record with the smallest (timestamp,
// partition, offset) among the partitions' next records: a partition whose timestamps go
// backwards (they are the producer's clock) stays in offset order. Blocking: it runs on the
// browser's pool thread, one call at a time.
class RecordReader
{
public:
    RecordReader(ClusterSource &source, QByteArray topic, QList<int> partitions,
                 RecordFilter filter);

    // Where the next read starts in every partition.
    void seekOldest();
    void seekOffset(std::int64_t offset); // the same offset in each (clamped to what it holds)
    // Each partition's first record with a timestamp at or after ms (its end when none is).
    QString seekTime(std::int64_t ms);

    // The newest `count` records (the last in merge order) among the last `window` offsets
    // of each partition, in merge order; reading goes on from each partition's end.
    MergedPage readNewest(int count, std::int64_t window);
    // Up to maxRecords records in merge order. A filtered read that runs out of time hands
    // out what it found (perhaps nothing) with more set; the caller asks again.
    MergedPage read(int maxRecords, int timeBudgetMs);
    // Live tail: read() after moving each partition more than maxBacklog records behind its
    // end to its last `keep` records.
    MergedPage readTail(int maxRecords, std::int64_t maxBacklog, int keep);
    // No records: only the positions and the partitions' offsets now.
    MergedPage peek();

    // The merge order: timestamp, then partition, then offset.
    static bool before(const DecodedRecord &a, const DecodedRecord &b);

private:
    struct Cursor
    {
        int partition = 0;
        std::int64_t next = 0; // the next offset to read from the log
        std::int64_t start = 0;
        std::int64_t end = 0;
        std::deque<DecodedRecord> buffered; // read ahead, not handed out yet
        bool failed = false;                // its data cannot be read: left out
    };

    void refreshRanges();
    void refill(Cursor &c, int records, int timeBudgetMs, MergedPage &page);
    // Fills positions and more.
    void finish(MergedPage &page) const;
    void problem(const Cursor &c, const QString &what, MergedPage &page) const;

    ClusterSource &m_source;
    QByteArray m_topic;
    RecordFilter m_filter;
    std::vector<Cursor> m_cursors;
    QList<PartitionRange> m_ranges;
};

} // namespace rivulet
