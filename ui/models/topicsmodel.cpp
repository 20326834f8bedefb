#include "topicsmodel.h"

#include "displayformat.h"
#include "modelroles.h"
#include "sortedmerge.h"

#include <algorithm>

namespace rivulet {
namespace {

constexpr std::uint64_t bit(int column)
{
    return std::uint64_t(1) << column;
}

// Topic rows carry no internal id; partition rows carry their topic's node.
constexpr quintptr kTopicRow = 0;
// what a source cannot know (a cluster's sizes and reads)
const QString kUnknown = QStringLiteral("—");

} // namespace

TopicsModel::TopicsModel(QObject *parent) : QAbstractItemModel(parent) {}

TopicsModel::~TopicsModel() = default;

void TopicsModel::update(const BrokerSnapshot &snapshot)
{
    m_nowMs = snapshot.takenMs;
    m_groupCounts.clear();
    for (const GroupSnapshot &g : snapshot.groups)
        for (const GroupOffsetSnapshot &committed : g.offsets)
            if (committed.offset >= 0)
                ++m_groupCounts[qMakePair(committed.topic, committed.partition)];
    // the broker hands topics sorted by name; a hand-made snapshot may not be
    std::vector<const TopicSnapshot *> fresh;
    fresh.reserve(snapshot.topics.size());
    for (const TopicSnapshot &t : snapshot.topics)
        fresh.push_back(&t);
    auto byName = [](const TopicSnapshot *a, const TopicSnapshot *b) { return a->name < b->name; };
    if (!std::is_sorted(fresh.begin(), fresh.end(), byName))
        std::sort(fresh.begin(), fresh.end(), byName);

    mergeSorted(
        fresh.size(), [this] { return m_topics.size(); },
        [&](std::size_t i, std::size_t j) {
            return QString::compare(m_topics[i]->name, fresh[j]->name);
        },
        [&](std::size_t first, std::size_t last) {
            beginRemoveRows({}, int(first), int(last));
            m_topics.erase(m_topics.begin() + std::ptrdiff_t(first),
                           m_topics.begin() + std::ptrdiff_t(last) + 1);
            renumber(first);
            endRemoveRows();
        },
        [&](std::size_t at, std::size_t first, std::size_t last) {
            beginInsertRows({}, int(at), int(at + last - first));
            std::vector<std::unique_ptr<TopicNode>> nodes;
            for (std::size_t j = first; j <= last; ++j) {
                auto node = std::make_unique<TopicNode>();
                node->name = fresh[j]->name;
                node->shown = m_allShown;
                for (const PartitionSnapshot &p : fresh[j]->partitions) {
                    node->partitions.emplace_back();
                    refreshPartition(node->partitions.back(), node->name, p);
                }
                std::sort(node->partitions.begin(), node->partitions.end(),
                          [](const auto &a, const auto &b) { return a.partition < b.partition; });
                aggregate(*node);
                nodes.push_back(std::move(node));
            }
            m_topics.insert(m_topics.begin() + std::ptrdiff_t(at),
                            std::make_move_iterator(nodes.begin()),
                            std::make_move_iterator(nodes.end()));
            renumber(at);
            endInsertRows();
        },
        [&](std::size_t i, std::size_t j) { return mergePartitions(*m_topics[i], *fresh[j]); },
        [&](std::size_t first, std::size_t last, int firstColumn, int lastColumn) {
            Q_EMIT dataChanged(createIndex(int(first), firstColumn, kTopicRow),
                               createIndex(int(last), lastColumn, kTopicRow));
        });

    Totals totals;
    totals.topics = std::int64_t(m_topics.size());
    for (const auto &t : m_topics) {
        totals.partitions += std::int64_t(t->partitions.size());
        totals.messages += t->messages;
        totals.bytes = totals.bytes < 0 || t->bytes < 0 ? -1 : totals.bytes + t->bytes;
        totals.inRate += t->inRate;
        totals.outRate = totals.outRate < 0 || t->outRate < 0 ? -1 : totals.outRate + t->outRate;
        totals.unavailable += t->unavailable;
    }
    m_totals = totals;
}

std::uint64_t TopicsModel::refreshPartition(PartitionNode &node, const QString &topic,
                                            const PartitionSnapshot &fresh)
{
    const std::int64_t nowMs = m_nowMs;
    std::uint64_t mask = 0;
    const PartitionStats &s = fresh.stats;
    node.partition = fresh.partition;
    if (s.startOffset != node.stats.startOffset)
        mask |= bit(StartOffset) | bit(Messages);
    if (s.endOffset != node.stats.endOffset)
        mask |= bit(EndOffset) | bit(Messages);
    if (s.sizeBytes != node.stats.sizeBytes)
        mask |= bit(Size);
    if (s.lastAppendMs != node.stats.lastAppendMs)
        mask |= bit(LastWrite);
    if (node.in.update(s.recordsIn, nowMs))
        mask |= bit(InRate);
    if (node.out.update(s.recordsOut, nowMs))
        mask |= bit(OutRate);
    const int consumers =
        int(fresh.consumers.size()) +
        (m_groupCounts.isEmpty() ? 0 : m_groupCounts.value(qMakePair(topic, fresh.partition)));
    if (consumers != node.consumers) {
        node.consumers = consumers;
        mask |= bit(Consumers);
    }
    if (fresh.unavailable != node.unavailable) {
        node.unavailable = fresh.unavailable;
        mask |= bit(Name);
    }
    node.stats = s;
    return mask;
}

std::uint64_t TopicsModel::aggregate(TopicNode &t)
{
    std::int64_t messages = 0, bytes = 0, lastAppend = 0;
    double in = 0, out = 0;
    int consumers = 0, unavailable = 0;
    for (const PartitionNode &p : t.partitions) {
        unavailable += !p.unavailable.isEmpty();
        messages += p.stats.endOffset - p.stats.startOffset - p.stats.markers;
        // one unknown size (-1, a cluster's) makes the topic's unknown, not smaller
        bytes = bytes < 0 || p.stats.sizeBytes < 0 ? -1 : bytes + p.stats.sizeBytes;
        lastAppend = std::max(lastAppend, p.stats.lastAppendMs);
        in += p.in.perSecond;
        // one partition whose reads are unknown (a cluster's) makes the topic's unknown
        out = out < 0 || p.stats.recordsOut < 0 ? -1 : out + p.out.perSecond;
        consumers += p.consumers;
    }
    std::uint64_t mask = 0;
    auto set = [&mask](auto &field, auto value, int column) {
        if (field != value) {
            field = value;
            mask |= bit(column);
        }
    };
    set(t.messages, messages, Messages);
    set(t.bytes, bytes, Size);
    set(t.lastAppendMs, lastAppend, LastWrite);
    set(t.inRate, in, InRate);
    set(t.outRate, out, OutRate);
    set(t.consumers, consumers, Consumers);
    set(t.unavailable, unavailable, Name);
    return mask;
}

std::uint64_t TopicsModel::mergePartitions(TopicNode &node, const TopicSnapshot &fresh)
{
    std::uint64_t topicMask = 0;
    const QModelIndex parent = createIndex(node.row, 0, kTopicRow);
    const auto *const p = fresh.partitions.data();
    const std::size_t before = node.partitions.size();
    mergeSorted(
        fresh.partitions.size(), [&] { return node.partitions.size(); },
        [&](std::size_t i, std::size_t j) { return node.partitions[i].partition - p[j].partition; },
        [&](std::size_t first, std::size_t last) {
            beginRemoveRows(parent, int(first), int(last));
            node.partitions.erase(node.partitions.begin() + std::ptrdiff_t(first),
                                  node.partitions.begin() + std::ptrdiff_t(last) + 1);
            endRemoveRows();
        },
        [&](std::size_t at, std::size_t first, std::size_t last) {
            beginInsertRows(parent, int(at), int(at + last - first));
            std::vector<PartitionNode> added(last - first + 1);
            for (std::size_t j = first; j <= last; ++j)
                refreshPartition(added[j - first], node.name, p[j]);
            node.partitions.insert(node.partitions.begin() + std::ptrdiff_t(at), added.begin(),
                                   added.end());
            endInsertRows();
        },
        [&](std::size_t i, std::size_t j) {
            return refreshPartition(node.partitions[i], node.name, p[j]);
        },
        [&](std::size_t first, std::size_t last, int firstColumn, int lastColumn) {
            if (!node.shown)
                return;
            auto *id = &node;
            Q_EMIT dataChanged(createIndex(int(first), firstColumn, id),
                               createIndex(int(last), lastColumn, id));
        });
    if (node.partitions.size() != before)
        topicMask |= bit(Partitions);
    return topicMask | aggregate(node);
}

void TopicsModel::setPartitionsShown(const QString &topic, bool shown)
{
    const int row = topicRow(topic);
    if (row < 0)
        return;
    TopicNode &node = *m_topics[std::size_t(row)];
    const bool was = node.shown;
    node.shown = shown || m_allShown;
    if (node.shown && !was)
        announcePartitions(node);
}

void TopicsModel::setAllPartitionsShown(bool shown)
{
    m_allShown = shown;
    for (const auto &node : m_topics) {
        const bool was = node->shown;
        node->shown = shown;
        if (shown && !was)
            announcePartitions(*node);
    }
}

void TopicsModel::announcePartitions(TopicNode &node)
{
    if (!node.partitions.empty())
        Q_EMIT dataChanged(createIndex(0, 0, &node),
                           createIndex(int(node.partitions.size()) - 1, ColumnCount - 1, &node));
}

void TopicsModel::renumber(std::size_t from)
{
    for (std::size_t i = from; i < m_topics.size(); ++i)
        m_topics[i]->row = int(i);
}

int TopicsModel::topicRow(const QString &topic) const
{
    const auto it =
        std::lower_bound(m_topics.begin(), m_topics.end(), topic,
                         [](const auto &node, const QString &name) { return node->name < name; });
    return it != m_topics.end() && (*it)->name == topic ? int(it - m_topics.begin()) : -1;
}

QModelIndex TopicsModel::topicIndex(const QString &topic, int column) const
{
    const int row = topicRow(topic);
    return row < 0 ? QModelIndex() : createIndex(row, column, kTopicRow);
}

QModelIndex TopicsModel::partitionIndex(const QString &topic, int partition, int column) const
{
    const int row = topicRow(topic);
    if (row < 0)
        return {};
    TopicNode *node = m_topics[std::size_t(row)].get();
    for (std::size_t i = 0; i < node->partitions.size(); ++i)
        if (node->partitions[i].partition == partition)
            return createIndex(int(i), column, node);
    return {};
}

QStringList TopicsModel::topicNames() const
{
    QStringList names;
    names.reserve(qsizetype(m_topics.size()));
    for (const auto &t : m_topics)
        names << t->name;
    return names;
}

int TopicsModel::partitionCount(const QString &topic) const
{
    const int row = topicRow(topic);
    return row < 0 ? 0 : int(m_topics[std::size_t(row)]->partitions.size());
}

QModelIndex TopicsModel::index(int row, int column, const QModelIndex &parent) const
{
    if (column < 0 || column >= ColumnCount || row < 0)
        return {};
    if (!parent.isValid())
        return row < int(m_topics.size()) ? createIndex(row, column, kTopicRow) : QModelIndex();
    if (parent.internalId() != kTopicRow || parent.row() >= int(m_topics.size()))
        return {};
    TopicNode *node = m_topics[std::size_t(parent.row())].get();
    return row < int(node->partitions.size()) ? createIndex(row, column, node) : QModelIndex();
}

QModelIndex TopicsModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || child.internalId() == kTopicRow)
        return {};
    const auto *node = static_cast<const TopicNode *>(child.internalPointer());
    return createIndex(node->row, 0, kTopicRow);
}

int TopicsModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_topics.size());
    if (parent.column() != 0 || parent.internalId() != kTopicRow)
        return 0;
    return int(m_topics[std::size_t(parent.row())]->partitions.size());
}

int TopicsModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant TopicsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    if (role == Qt::TextAlignmentRole)
        return index.column() == Name ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                      : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (index.internalId() == kTopicRow)
        return topicData(*m_topics[std::size_t(index.row())], index.column(), role);
    const auto *node = static_cast<const TopicNode *>(index.internalPointer());
    return partitionData(*node, node->partitions[std::size_t(index.row())], index.column(), role);
}

QVariant TopicsModel::topicData(const TopicNode &t, int column, int role) const
{
    if (role == TopicNameRole)
        return t.name;
    if (role == PartitionRole)
        return -1;
    if (role == Qt::ToolTipRole && column == Name && t.unavailable > 0)
        return tr("%1 of its %2 partitions could not be opened: expand the topic to see why")
            .arg(t.unavailable)
            .arg(t.partitions.size());
    if (role == Qt::ToolTipRole && column == LastWrite && t.lastAppendMs > 0)
        return display::timestamp(t.lastAppendMs, 0) + QLatin1String(" · ") +
               display::age(t.lastAppendMs, m_nowMs);
    if (role != Qt::DisplayRole && role != SortRole)
        return {};
    const bool raw = role == SortRole;
    switch (column) {
    case Name:
        return t.name;
    case Partitions:
        return raw ? QVariant(qlonglong(t.partitions.size()))
                   : QVariant(display::count(std::int64_t(t.partitions.size())));
    case StartOffset:
    case EndOffset:
        return raw ? QVariant(qlonglong(-1)) : QVariant();
    case Messages:
        return raw ? QVariant(qlonglong(t.messages)) : QVariant(display::count(t.messages));
    case Size:
        return raw ? QVariant(qlonglong(t.bytes)) : QVariant(display::bytes(t.bytes));
    case InRate:
        return raw ? QVariant(t.inRate) : QVariant(display::rate(t.inRate));
    case OutRate:
        return raw ? QVariant(t.outRate)
                   : QVariant(t.outRate < 0 ? kUnknown : display::rate(t.outRate));
    case Consumers:
        return raw ? QVariant(t.consumers) : QVariant(display::count(t.consumers));
    case LastWrite:
        return raw ? QVariant(qlonglong(t.lastAppendMs))
                   : QVariant(display::clock(t.lastAppendMs, m_nowMs));
    }
    return {};
}

QVariant TopicsModel::partitionData(const TopicNode &t, const PartitionNode &p, int column,
                                    int role) const
{
    if (role == TopicNameRole)
        return t.name;
    if (role == PartitionRole)
        return p.partition;
    const PartitionStats &s = p.stats;
    if (role == Qt::ToolTipRole && !p.unavailable.isEmpty())
        return tr("Unavailable: %1. Nothing can be read from or written to this partition "
                  "until the damage is repaired or the partition's directory is moved away "
                  "(see docs/PROTOCOL.md, recovery).")
            .arg(p.unavailable);
    if (role == Qt::ToolTipRole && column == LastWrite && s.lastAppendMs > 0)
        return display::timestamp(s.lastAppendMs, 0) + QLatin1String(" · ") +
               display::age(s.lastAppendMs, m_nowMs);
    if (role != Qt::DisplayRole && role != SortRole)
        return {};
    const bool raw = role == SortRole;
    auto number = [raw](std::int64_t v) {
        return raw ? QVariant(qlonglong(v)) : QVariant(display::count(v));
    };
    // a partition that could not be opened has no offsets or size to show, not zeros
    if (!raw && !p.unavailable.isEmpty() && column >= StartOffset && column <= Size)
        return column == Messages ? tr("unavailable") : kUnknown;
    switch (column) {
    case Name:
        if (raw)
            return p.partition;
        return p.unavailable.isEmpty() ? tr("partition %1").arg(p.partition)
                                       : tr("partition %1 — unavailable").arg(p.partition);
    case Partitions:
        return raw ? QVariant(0) : QVariant();
    case StartOffset:
        return number(s.startOffset);
    case EndOffset:
        return number(s.endOffset);
    case Messages:
        return number(s.endOffset - s.startOffset - s.markers);
    case Size:
        return raw ? QVariant(qlonglong(s.sizeBytes)) : QVariant(display::bytes(s.sizeBytes));
    case InRate:
        return raw ? QVariant(p.in.perSecond) : QVariant(display::rate(p.in.perSecond));
    case OutRate:
        if (s.recordsOut < 0)
            return raw ? QVariant(-1.0) : QVariant(kUnknown);
        return raw ? QVariant(p.out.perSecond) : QVariant(display::rate(p.out.perSecond));
    case Consumers:
        return number(p.consumers);
    case LastWrite:
        return raw ? QVariant(qlonglong(s.lastAppendMs))
                   : QVariant(display::clock(s.lastAppendMs, m_nowMs));
    }
    return {};
}

QVariant TopicsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::TextAlignmentRole)
        return section == Name ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                               : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case StartOffset:
            return tr("First offset still stored");
        case EndOffset:
            return tr("Offset the next message will get");
        case Messages:
            return tr("Messages stored: end offset − start offset");
        case InRate:
            return tr("Messages appended per second");
        case OutRate:
            return tr("Messages delivered to consumers per second");
        case Consumers:
            return tr("Consumers with a position in the partition (native consumers and Kafka "
                      "groups that committed an offset)");
        }
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Name:
        return tr("Topic");
    case Partitions:
        return tr("Partitions");
    case StartOffset:
        return tr("Start");
    case EndOffset:
        return tr("End");
    case Messages:
        return tr("Messages");
    case Size:
        return tr("Size");
    case InRate:
        return tr("In/s");
    case OutRate:
        return tr("Out/s");
    case Consumers:
        return tr("Consumers");
    case LastWrite:
        return tr("Last write");
    }
    return {};
}

} // namespace rivulet
