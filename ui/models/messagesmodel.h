#pragma once

#include "read.h"
#include "refreshdata.h"

#include <QAbstractTableModel>
#include <QThreadPool>

#include <deque>
#include <memory>

namespace rivulet {

class ClusterSource;
class RecordReader;
struct MergedPage;

// The message browser's rows: records of one partition, or of every partition of a topic
// merged by timestamp (ties by partition, then offset; see RecordReader), from a chosen
// start, read a page at a time as the view scrolls (canFetchMore/fetchMore). Reads go
// through ClusterSource::readRecords() on the model's own pool thread and come back as queued
// calls, so the GUI thread never waits on the log. A filter keeps matching records (text or
// regular expression over key, value and headers; a header name and value); live tail keeps
// reading what producers append.
class MessagesModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Partition,
        Offset,
        Timestamp,
        Key,
        Value,
        Headers,
        Size,
        ColumnCount
    };
    enum class Start
    {
        Oldest,
        // The kPageSize newest records (the last in merge order: of all partitions together
        // when merged), shown oldest first, so the newest is the last row.
        Newest,
        AtOffset, // the same offset in each partition read
        AtTime    // each partition's first record with a timestamp at or after a time
    };
    static constexpr int kAllPartitions = -1;

    static constexpr int kPageSize = 200;
    // Newest with a filter searches this many of the last offsets (split over partitions
    // when merged, at least kPageSize each).
    static constexpr int kNewestFilterWindow = 10000;
    // Rows kept; the oldest go first (live tail over a busy partition).
    static constexpr int kMaxRows = 50000;
    // Live tail falls this far behind (in a partition) before it skips ahead to the newest.
    static constexpr int kMaxTailBacklog = 20000;

    explicit MessagesModel(ClusterSource &source, QObject *parent = nullptr);
    ~MessagesModel() override;
    // Where the partition counts come from (the window's last refresh); without, the source.
    void setPartitionCountLookup(PartitionCountLookup lookup);

    // Shows the partition (kAllPartitions: all of them, merged) from start; at is the offset
    // (AtOffset) or the time in ms since the epoch (AtTime). The rows are replaced (this is a
    // user's choice, not a refresh). An empty or unknown topic clears the browser.
    void browse(const QString &topic, int partition, Start start, std::int64_t at = 0);
    // Reads again from the same start, keeping only matching records. A filter that cannot
    // be used (an invalid regular expression) clears the rows and is filterProblem().
    void setFilter(const RecordFilter &filter);
    // The text filter alone (no regex, no header filter).
    void setFilter(const QString &text);
    const RecordFilter &filter() const { return m_filter; }
    QString filterProblem() const { return m_filterProblem; }
    void setLiveTail(bool on);
    bool liveTail() const { return m_liveTail; }
    // The refresh tick: live tail reads the records that arrived since the last read, and
    // Newest with nothing shown yet reads the newest records once some arrive.
    void poll();
    // Newest without live tail: reads the newest records again if more have arrived since
    // (the browser shown again after another tab).
    void refreshNewest();

    QString topicName() const { return m_topic; }
    // kAllPartitions when merged
    int partition() const { return m_partition; }
    bool isMerged() const { return m_partition == kAllPartitions; }
    int partitionsRead() const { return int(m_partitions.size()); }
    Start start() const { return m_start; }
    bool isReading() const { return m_reading; }
    // Records stored past what has been read, over the partitions read.
    std::int64_t unread() const;
    // The end offset of the partition browsed; merged, the sum over the partitions.
    std::int64_t endOffset() const;
    std::int64_t scanned() const { return m_scanned; }
    const DecodedRecord *record(int row) const;
    // The row of that record, or -1.
    int rowOf(int partition, std::int64_t offset) const;
    // Blocks until queued reads are done (tests and shutdown).
    void waitForReads() { m_pool.waitForDone(); }

    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    void readingChanged(bool reading);
    // The start changed by itself: live tail over a long backlog starts from the newest.
    void startChanged(rivulet::MessagesModel::Start start);
    // A page arrived (rows may or may not have been added).
    void pageRead();
    // Something the user should know about the last read: an error or a note.
    void messageChanged(const QString &message);

private:
    enum class ReadKind
    {
        Seek, // the first read after a restart: place the cursors, then read
        More,
        Tail,
        Peek // only the partitions' offsets, to learn whether records arrived
    };
    void restart();
    void read(int wanted);
    void pageArrived(quint64 generation, ReadKind kind, const MergedPage &page,
                     bool newestCheck = false);
    void setReading(bool reading);
    // Schedules a read; Peek reads no records and leaves isReading() alone.
    void schedule(int wanted, ReadKind kind);

    ClusterSource &m_source;
    PartitionCountLookup m_partitionCounts;
    QThreadPool m_pool;
    QString m_topic;
    int m_partition = 0;
    QList<int> m_partitions;        // read
    QList<PartitionRange> m_ranges; // of every partition of the topic, from the last read
    Start m_start = Start::Newest;
    std::int64_t m_at = 0;
    RecordFilter m_filter;
    QString m_filterProblem;
    bool m_liveTail = false;

    // Touched only by the pool's one thread; a restart makes a new one.
    std::shared_ptr<RecordReader> m_reader;
    bool m_seekPending = false;
    QList<std::int64_t> m_positions; // per partition read, from the last page
    bool m_more = false;             // the reader holds records read ahead
    std::deque<DecodedRecord> m_rows;
    std::int64_t m_scanned = 0;
    int m_wanted = 0; // matches still to find for the current fetch (filtered reads)
    quint64 m_generation = 0;
    bool m_reading = false;
    int m_peeks = 0; // queued
    bool m_peekAgain = false;
    bool m_refreshNewest = false; // the next peek restarts Newest if records arrived
};

} // namespace rivulet
