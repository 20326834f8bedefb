#pragma once

#include "browsedrecord.h"

#include <QAbstractTableModel>
#include <QThreadPool>

#include <deque>
#include <memory>

namespace rivulet {

class Topic;

// The message browser's rows: records of one partition from a chosen start, read a page at
// a time as the view scrolls (canFetchMore/fetchMore). Reads run on the model's own pool
// thread and come back as queued calls, so the GUI thread never waits on the log. A filter
// keeps records whose key or value contains its text; live tail keeps reading what
// producers append.
class MessagesModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
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
        Newest,
        AtOffset
    };

    static constexpr int kPageSize = 200;
    // Newest with a filter searches this many of the last offsets.
    static constexpr int kNewestFilterWindow = 10000;
    // Rows kept; the oldest go first (live tail over a busy partition).
    static constexpr int kMaxRows = 50000;
    // Live tail falls this far behind before it skips ahead to the newest records.
    static constexpr int kMaxTailBacklog = 20000;

    explicit MessagesModel(QObject *parent = nullptr);
    ~MessagesModel() override;

    // Shows the partition from start: the rows are replaced (this is a user's choice, not
    // a refresh). A null topic clears the browser.
    void browse(std::shared_ptr<Topic> topic, int partition, Start start, std::int64_t offset = 0);
    // Reads again from the same start, keeping only matching records.
    void setFilter(const QString &text);
    QString filter() const { return QString::fromUtf8(m_filter); }
    void setLiveTail(bool on);
    bool liveTail() const { return m_liveTail; }
    // The refresh tick: live tail reads the records that arrived since the last read, and
    // Newest with nothing shown yet reads the newest records once some arrive.
    void poll();

    QString topicName() const;
    int partition() const { return m_partition; }
    Start start() const { return m_start; }
    bool isReading() const { return m_reading; }
    std::int64_t nextOffset() const { return m_next; }
    std::int64_t endOffset() const;
    std::int64_t scanned() const { return m_scanned; }
    const BrowsedRecord *record(int row) const;
    int rowOfOffset(std::int64_t offset) const;
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
    void restart();
    void anchorNewest();
    void read(int wanted);
    void pageArrived(quint64 generation, const RecordPage &page);
    void setReading(bool reading);

    QThreadPool m_pool;
    std::shared_ptr<Topic> m_topic;
    int m_partition = 0;
    Start m_start = Start::Newest;
    std::int64_t m_startOffset = 0;
    QByteArray m_filter;
    bool m_liveTail = false;

    std::deque<BrowsedRecord> m_rows;
    std::int64_t m_next = 0;
    std::int64_t m_scanned = 0;
    int m_wanted = 0; // matches still to find for the current fetch (filtered reads)
    quint64 m_generation = 0;
    bool m_reading = false;
};

} // namespace rivulet
