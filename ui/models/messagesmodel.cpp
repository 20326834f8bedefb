#include "messagesmodel.h"

#include "clustersource.h"
#include "displayformat.h"
#include "modelroles.h"
#include "offthread.h"
#include "recordreader.h"
#include "valueformat.h"

#include <QDateTime>

#include <algorithm>
#include <utility>

namespace rivulet {

MessagesModel::MessagesModel(ClusterSource &source, QObject *parent)
    : QAbstractTableModel(parent), m_source(source)
{
    // one reader: pages arrive in the order they were asked for, and the RecordReader is
    // only ever used by one thread at a time
    m_pool.setMaxThreadCount(1);
}

MessagesModel::~MessagesModel()
{
    m_pool.clear();
    m_pool.waitForDone();
}

std::int64_t MessagesModel::endOffset() const
{
    std::int64_t end = 0;
    for (int p : m_partitions)
        if (p < m_ranges.size())
            end += m_ranges[p].endOffset;
    return end;
}

std::int64_t MessagesModel::unread() const
{
    std::int64_t behind = 0;
    for (qsizetype i = 0; i < m_positions.size() && i < m_partitions.size(); ++i)
        if (const int p = m_partitions[i]; p < m_ranges.size())
            behind += std::max<std::int64_t>(0, m_ranges[p].endOffset - m_positions[i]);
    return behind;
}

void MessagesModel::browse(const QString &topic, int partition, Start start, std::int64_t at)
{
    m_topic = topic;
    m_partition = partition;
    m_start = start;
    m_at = at;
    restart();
}

void MessagesModel::setFilter(const RecordFilter &filter)
{
    if (filter == m_filter)
        return;
    m_filter = filter;
    restart();
}

void MessagesModel::setFilter(const QString &text)
{
    RecordFilter filter;
    filter.text = text;
    setFilter(filter);
}

void MessagesModel::setLiveTail(bool on)
{
    if (on == m_liveTail)
        return;
    m_liveTail = on;
    if (on && m_reader && unread() > kPageSize) {
        m_start = Start::Newest;
        Q_EMIT startChanged(m_start);
        restart();
    } else {
        poll();
    }
}

void MessagesModel::restart()
{
    // The new state is in place before the reset is announced: views (and the model
    // tester) ask canFetchMore()/fetchMore() from inside endResetModel().
    ++m_generation; // pages of earlier reads are dropped when they arrive
    m_scanned = 0;
    const bool wasReading = m_reading;
    m_reading = false;
    m_peeks = 0;
    m_peekAgain = false;
    m_positions.clear();
    m_ranges.clear(); // the first page says
    m_more = false;
    m_reader.reset();
    m_seekPending = false;
    m_refreshNewest = false;
    m_filterProblem = m_filter.problem();
    // which partitions: the topic's partition count is registry metadata, no file is read
    const int count = partitionCountOf(m_partitionCounts, m_source, m_topic);
    m_partitions.clear();
    if (m_partition == kAllPartitions)
        for (int p = 0; p < count; ++p)
            m_partitions.append(p);
    else if (m_partition >= 0 && m_partition < count)
        m_partitions.append(m_partition);
    if (m_partitions.isEmpty()) {
        m_topic.clear();
        m_partition = 0;
    }
    if (!m_partitions.isEmpty() && m_filterProblem.isEmpty()) {
        m_reader =
            std::make_shared<RecordReader>(m_source, m_topic.toUtf8(), m_partitions, m_filter);
        m_seekPending = true;
    }
    beginResetModel();
    m_rows.clear();
    endResetModel();
    Q_EMIT messageChanged(m_filterProblem);
    if (m_reader)
        read(kPageSize); // unless the reset's listeners already asked for the first page
    else if (wasReading)
        Q_EMIT readingChanged(false);
}

void MessagesModel::setReading(bool reading)
{
    if (m_reading == reading)
        return;
    m_reading = reading;
    Q_EMIT readingChanged(reading);
}

void MessagesModel::read(int wanted)
{
    schedule(wanted, ReadKind::More);
}

void MessagesModel::schedule(int wanted, ReadKind kind)
{
    if (!m_reader)
        return;
    if (m_reading) {
        m_peekAgain = m_peekAgain || kind == ReadKind::Peek; // once the read is back
        return;
    }
    if (kind == ReadKind::Peek && m_peeks > 0 && !m_refreshNewest) {
        // the queued peek may look before what this one is for: look again after it
        m_peekAgain = true;
        return;
    }
    if (m_seekPending) {
        kind = ReadKind::Seek;
        wanted = std::max(wanted, int(kPageSize)); // a peek asked for first: read a page
        m_seekPending = false;
    }
    // a peek asked for by refreshNewest() acts on what it sees: one queued earlier may have
    // looked before the records came
    bool newestCheck = false;
    if (kind == ReadKind::Peek) {
        ++m_peeks;
        newestCheck = std::exchange(m_refreshNewest, false);
    } else {
        m_wanted = wanted;
        setReading(true);
    }
    // Newest with a filter looks at the last kNewestFilterWindow offsets of the topic
    const std::int64_t window =
        m_filter.isEmpty() ? kPageSize
                           : std::max<std::int64_t>(kPageSize, kNewestFilterWindow /
                                                                   std::max(1, partitionsRead()));
    const quint64 generation = m_generation;
    runOffGuiThread(
        m_pool, this,
        [reader = m_reader, kind, start = m_start, at = m_at, wanted, window] {
            switch (kind) {
            case ReadKind::Peek:
                return reader->peek();
            case ReadKind::More:
                return reader->read(wanted, 250);
            case ReadKind::Tail:
                return reader->readTail(wanted, kMaxTailBacklog, kPageSize);
            case ReadKind::Seek:
                break;
            }
            QString problem;
            switch (start) {
            case Start::Newest:
                return reader->readNewest(kPageSize, window);
            case Start::Oldest:
                reader->seekOldest();
                break;
            case Start::AtOffset:
                reader->seekOffset(at);
                break;
            case Start::AtTime:
                problem = reader->seekTime(at);
                break;
            }
            MergedPage page = reader->read(wanted, 250);
            if (!problem.isEmpty())
                page.note = problem;
            return page;
        },
        [this, generation, kind, newestCheck](const MergedPage &page) {
            pageArrived(generation, kind, page, newestCheck);
        });
}

void MessagesModel::pageArrived(quint64 generation, ReadKind kind, const MergedPage &page,
                                bool newestCheck)
{
    if (generation != m_generation)
        return;
    if (kind == ReadKind::Peek) {
        --m_peeks;
        if (m_reading) {
            // a read queued after it tells more; a Newest check waits for it
            m_refreshNewest = m_refreshNewest || newestCheck;
            return;
        }
        m_positions = page.positions;
        m_ranges = page.ranges;
        m_more = page.more;
        Q_EMIT pageRead();
        const bool again = std::exchange(m_peekAgain, false);
        if (newestCheck && !m_liveTail && m_start == Start::Newest && unread() > 0) {
            restart();
        } else if (m_liveTail && (m_more || unread() > 0)) {
            schedule(2000, ReadKind::Tail);
        } else if (!m_liveTail && m_start == Start::Newest && m_rows.empty() && unread() > 0) {
            // the first records of a topic browsed from the newest: show them
            m_seekPending = true;
            schedule(kPageSize, ReadKind::Seek);
        } else if (again) {
            poll();
        }
        return;
    }
    m_positions = page.positions;
    m_ranges = page.ranges;
    m_more = page.more;
    m_scanned += page.scanned;
    // not reading any more before the rows go in: a view that wants more as they arrive
    // may ask for the next page right away
    setReading(false);
    if (!page.records.isEmpty()) {
        const auto incoming = std::size_t(page.records.size());
        if (m_rows.size() + incoming > std::size_t(kMaxRows)) {
            const std::size_t drop =
                std::min(m_rows.size(), m_rows.size() + incoming - std::size_t(kMaxRows));
            if (drop > 0) {
                beginRemoveRows({}, 0, int(drop) - 1);
                m_rows.erase(m_rows.begin(), m_rows.begin() + std::ptrdiff_t(drop));
                endRemoveRows();
            }
        }
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(incoming) - 1);
        for (const DecodedRecord &r : page.records)
            m_rows.push_back(r);
        endInsertRows();
    }
    if (!page.error.isEmpty())
        Q_EMIT messageChanged(page.error);
    else if (!page.note.isEmpty())
        Q_EMIT messageChanged(page.note);
    else if (page.skipped > 0)
        Q_EMIT messageChanged(
            tr("live tail skipped %1 messages to keep up").arg(display::count(page.skipped)));
    Q_EMIT pageRead();

    // a filtered read stops after its time budget: carry on until the page is full
    const int stillWanted = m_wanted - int(page.records.size());
    if (page.error.isEmpty() && !m_filter.isEmpty() && stillWanted > 0 && (m_more || unread() > 0))
        read(stillWanted);
    else if (m_liveTail || m_refreshNewest || std::exchange(m_peekAgain, false))
        poll();
}

void MessagesModel::refreshNewest()
{
    if (m_start != Start::Newest || m_liveTail || !m_reader)
        return;
    m_refreshNewest = true;
    poll();
}

void MessagesModel::poll()
{
    // what arrived is learnt on the reading thread: the GUI thread reads no offsets itself
    schedule(0, ReadKind::Peek);
}

bool MessagesModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && m_reader && !m_reading && (m_more || unread() > 0);
}

void MessagesModel::fetchMore(const QModelIndex &parent)
{
    if (!parent.isValid())
        read(kPageSize);
}

const DecodedRecord *MessagesModel::record(int row) const
{
    return row >= 0 && row < int(m_rows.size()) ? &m_rows[std::size_t(row)] : nullptr;
}

int MessagesModel::rowOf(int partition, std::int64_t offset) const
{
    for (std::size_t row = 0; row < m_rows.size(); ++row)
        if (m_rows[row].partition == partition && m_rows[row].offset == offset)
            return int(row);
    return -1;
}

int MessagesModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int MessagesModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant MessagesModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const DecodedRecord &r = m_rows[std::size_t(index.row())];
    if (role == Qt::TextAlignmentRole)
        return index.column() == Partition || index.column() == Offset || index.column() == Size ||
                       index.column() == Headers
                   ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == SortRole) {
        switch (index.column()) {
        case Partition:
            return r.partition;
        case Offset:
            return qlonglong(r.offset);
        case Timestamp:
            return qlonglong(r.timestamp);
        case Size:
            return qlonglong(r.size);
        case Headers:
            return int(r.headers.size());
        }
        return data(index, Qt::DisplayRole);
    }
    if (role == Qt::ToolTipRole && index.column() == Timestamp)
        return QDateTime::fromMSecsSinceEpoch(r.timestamp, Qt::UTC).toString(Qt::ISODateWithMs);
    if (role == Qt::ToolTipRole && index.column() == Headers && !r.headers.isEmpty()) {
        QStringList lines;
        for (const DecodedHeader &h : r.headers)
            lines << QString::fromUtf8(h.name) + QLatin1String(": ") +
                         valueformat::preview(h.value, 80);
        return lines.join(QLatin1Char('\n'));
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Partition:
        return QString::number(r.partition);
    case Offset:
        return display::count(r.offset);
    case Timestamp:
        return display::timestamp(r.timestamp, QDateTime::currentMSecsSinceEpoch());
    case Key:
        return r.hasKey ? valueformat::preview(r.key, 60) : QString();
    case Value:
        return r.hasValue ? valueformat::preview(r.value) : tr("(null)");
    case Headers:
        return r.headers.isEmpty() ? QString() : QString::number(r.headers.size());
    case Size:
        return display::bytes(r.size);
    }
    return {};
}

QVariant MessagesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::TextAlignmentRole)
        return section == Partition || section == Offset || section == Size || section == Headers
                   ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Partition:
        return tr("Partition");
    case Offset:
        return tr("Offset");
    case Timestamp:
        return tr("Timestamp");
    case Key:
        return tr("Key");
    case Value:
        return tr("Value");
    case Headers:
        return tr("Headers");
    case Size:
        return tr("Size");
    }
    return {};
}

} // namespace rivulet

namespace rivulet {

void MessagesModel::setPartitionCountLookup(PartitionCountLookup lookup)
{
    m_partitionCounts = std::move(lookup);
}

} // namespace rivulet
