#include "messagesmodel.h"

#include "displayformat.h"
#include "log/topic.h"
#include "modelroles.h"
#include "offthread.h"
#include "recordreader.h"
#include "valueformat.h"

#include <QDateTime>

#include <algorithm>

namespace rivulet {

MessagesModel::MessagesModel(QObject *parent) : QAbstractTableModel(parent)
{
    // one reader: pages arrive in the order they were asked for
    m_pool.setMaxThreadCount(1);
}

MessagesModel::~MessagesModel()
{
    m_pool.clear();
    m_pool.waitForDone();
}

QString MessagesModel::topicName() const
{
    return m_topic ? m_topic->name() : QString();
}

std::int64_t MessagesModel::endOffset() const
{
    const Partition *p = m_topic ? m_topic->partition(m_partition) : nullptr;
    return p ? p->endOffset() : 0;
}

void MessagesModel::browse(std::shared_ptr<Topic> topic, int partition, Start start,
                           std::int64_t offset)
{
    m_topic = topic && topic->partition(partition) ? std::move(topic) : nullptr;
    m_partition = m_topic ? partition : 0;
    m_start = start;
    m_startOffset = offset;
    restart();
}

void MessagesModel::setFilter(const QString &text)
{
    const QByteArray filter = text.toUtf8();
    if (filter == m_filter)
        return;
    m_filter = filter;
    restart();
}

void MessagesModel::setLiveTail(bool on)
{
    if (on == m_liveTail)
        return;
    m_liveTail = on;
    if (on && m_topic && endOffset() - m_next > kPageSize) {
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
    m_next = 0;
    if (m_topic) {
        const Partition *p = m_topic->partition(m_partition);
        const std::int64_t first = p->startOffset(), end = p->endOffset();
        switch (m_start) {
        case Start::Oldest:
            m_next = first;
            break;
        case Start::Newest:
            m_next = std::max(first, end - (m_filter.isEmpty() ? kPageSize : kNewestFilterWindow));
            break;
        case Start::AtOffset:
            m_next = std::clamp(m_startOffset, first, end);
            break;
        }
    }
    beginResetModel();
    m_rows.clear();
    endResetModel();
    Q_EMIT messageChanged(QString());
    if (m_topic)
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

void MessagesModel::anchorNewest()
{
    // Newest with nothing shown yet means the newest records at the time of reading, not
    // at the time of choosing: a partition that was empty (or shorter) then has grown since
    if (m_start != Start::Newest || !m_rows.empty() || !m_topic)
        return;
    const Partition *p = m_topic->partition(m_partition);
    m_next = std::max({m_next, p->startOffset(),
                       p->endOffset() - (m_filter.isEmpty() ? kPageSize : kNewestFilterWindow)});
}

void MessagesModel::read(int wanted)
{
    if (!m_topic || m_reading)
        return;
    anchorNewest();
    m_wanted = wanted;
    setReading(true);
    PageRequest request;
    request.fromOffset = m_next;
    request.maxRecords = wanted;
    request.filter = m_filter;
    const quint64 generation = m_generation;
    runOffGuiThread(
        m_pool, this,
        [topic = m_topic, partition = m_partition, request] {
            return readRecordPage(*topic->partition(partition), request);
        },
        [this, generation](RecordPage page) { pageArrived(generation, page); });
}

void MessagesModel::pageArrived(quint64 generation, const RecordPage &page)
{
    if (generation != m_generation)
        return;
    m_next = std::max(m_next, page.nextOffset);
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
        for (const BrowsedRecord &r : page.records)
            m_rows.push_back(r);
        endInsertRows();
    }
    if (!page.error.isEmpty())
        Q_EMIT messageChanged(page.error);
    else if (!page.note.isEmpty())
        Q_EMIT messageChanged(page.note);
    Q_EMIT pageRead();

    // a filtered read stops after its time budget: carry on until the page is full
    const int stillWanted = m_wanted - int(page.records.size());
    if (page.error.isEmpty() && !m_filter.isEmpty() && stillWanted > 0 && m_next < endOffset())
        read(stillWanted);
    else if (m_liveTail)
        poll();
}

void MessagesModel::poll()
{
    if (!m_topic || m_reading)
        return;
    if (!m_liveTail) {
        // the first records of a partition browsed from the newest: show them
        if (m_start == Start::Newest && m_rows.empty() && endOffset() > m_next)
            read(kPageSize);
        return;
    }
    const std::int64_t end = endOffset();
    if (end <= m_next)
        return;
    if (end - m_next > kMaxTailBacklog) {
        // the producers are faster than anyone can read along: jump to the newest
        Q_EMIT messageChanged(tr("live tail skipped %1 messages to keep up")
                                  .arg(display::count(end - kPageSize - m_next)));
        m_next = end - kPageSize;
    }
    read(int(std::min<std::int64_t>(end - m_next, 2000)));
}

bool MessagesModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && m_topic && !m_reading && m_next < endOffset();
}

void MessagesModel::fetchMore(const QModelIndex &parent)
{
    if (!parent.isValid())
        read(kPageSize);
}

const BrowsedRecord *MessagesModel::record(int row) const
{
    return row >= 0 && row < int(m_rows.size()) ? &m_rows[std::size_t(row)] : nullptr;
}

int MessagesModel::rowOfOffset(std::int64_t offset) const
{
    const auto it =
        std::lower_bound(m_rows.begin(), m_rows.end(), offset,
                         [](const BrowsedRecord &r, std::int64_t o) { return r.offset < o; });
    return it != m_rows.end() && it->offset == offset ? int(it - m_rows.begin()) : -1;
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
    const BrowsedRecord &r = m_rows[std::size_t(index.row())];
    if (role == Qt::TextAlignmentRole)
        return index.column() == Offset || index.column() == Size || index.column() == Headers
                   ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == SortRole) {
        switch (index.column()) {
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
        return QDateTime::fromMSecsSinceEpoch(r.timestamp).toString(Qt::ISODateWithMs);
    if (role == Qt::ToolTipRole && index.column() == Headers && !r.headers.isEmpty()) {
        QStringList lines;
        for (const BrowsedHeader &h : r.headers)
            lines << QString::fromUtf8(h.name) + QLatin1String(": ") +
                         valueformat::preview(h.value, 80);
        return lines.join(QLatin1Char('\n'));
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Offset:
        return display::count(r.offset);
    case Timestamp:
        return display::timestamp(r.timestamp, QDateTime::currentMSecsSinceEpoch());
    case Key:
        return r.hasKey ? valueformat::preview(r.key, 60) : QString();
    case Value:
        return valueformat::preview(r.value);
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
        return section == Offset || section == Size || section == Headers
                   ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
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
