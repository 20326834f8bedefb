#include "consumersmodel.h"

#include "displayformat.h"
#include "modelroles.h"
#include "sortedmerge.h"

#include <QSet>

#include <algorithm>

namespace rivulet {
namespace {

constexpr std::int64_t kGroupRateWindowMs = 10000;

constexpr std::uint64_t bit(int column)
{
    return std::uint64_t(1) << column;
}

} // namespace

int ConsumersModel::compare(const Row &a, const Row &b)
{
    if (const int c = a.key.compare(b.key); c != 0)
        return c;
    if (a.group != b.group)
        return a.group ? 1 : -1;
    // topic names come from the same Topic object tick after tick: equal data, equal name
    if (a.topic.constData() != b.topic.constData() || a.topic.size() != b.topic.size())
        if (const int c = QString::compare(a.topic, b.topic); c != 0)
            return c;
    return a.partition - b.partition;
}

bool ConsumersModel::updateRate(RateMeter &rate, const Row &fresh, std::int64_t nowMs)
{
    // A group's committed offset is its position only while it has members: without them
    // nobody reads, whatever the offset does (its last commits as it leaves, or a reset).
    // Measuring starts again from the offset it has when members come back.
    if (fresh.group && (fresh.members == 0 || !fresh.hasOffset))
        return rate.restart(fresh.delivered, nowMs);
    // a group's offset moves when it commits (every few seconds): measure over longer
    return rate.update(fresh.delivered, nowMs, fresh.group ? kGroupRateWindowMs : 1000);
}

std::uint64_t ConsumersModel::refresh(Row &row, const Row &fresh, std::int64_t nowMs)
{
    std::uint64_t mask = 0;
    if (row.nextOffset != fresh.nextOffset)
        mask |= bit(NextOffset) | bit(Lag);
    if (row.endOffset != fresh.endOffset)
        mask |= bit(EndOffset) | bit(Lag);
    if (row.startOffset != fresh.startOffset)
        mask |= bit(Lag);
    if (row.lastSeenMs != fresh.lastSeenMs)
        mask |= bit(LastSeen);
    if (row.connected != fresh.connected || row.members != fresh.members ||
        row.hasOffset != fresh.hasOffset)
        mask |= bit(ColumnCount) - 1; // a gone consumer's whole row is drawn dimmed
    if (row.state != fresh.state)
        mask |= bit(State);
    if (row.member != fresh.member)
        mask |= bit(Member);
    // the first commit of an assigned partition is no advance: measure from it
    if (row.hasOffset != fresh.hasOffset ? row.rate.restart(fresh.delivered, nowMs)
                                         : updateRate(row.rate, fresh, nowMs))
        mask |= bit(Rate);
    row.members = fresh.members;
    row.state = fresh.state;
    row.member = fresh.member;
    row.hasOffset = fresh.hasOffset;
    row.nextOffset = fresh.nextOffset;
    row.startOffset = fresh.startOffset;
    row.endOffset = fresh.endOffset;
    row.delivered = fresh.delivered;
    row.lastSeenMs = fresh.lastSeenMs;
    row.connected = fresh.connected;
    return mask;
}

ConsumersModel::Rows ConsumersModel::rowsOf(const BrokerSnapshot &snapshot)
{
    QSet<QByteArray> open;
    open.reserve(qsizetype(snapshot.clients.size() * 2));
    for (const ClientStats::Snapshot &c : snapshot.clients) {
        open.insert(c.address.toUtf8());
        if (!c.name.isEmpty())
            open.insert(c.name.toUtf8());
    }

    Rows fresh;
    for (const TopicSnapshot &t : snapshot.topics)
        for (const PartitionSnapshot &p : t.partitions)
            for (const ConsumerPosition &c : p.consumers) {
                Row row;
                row.key = c.consumer;
                row.topic = t.name;
                row.partition = p.partition;
                row.nextOffset = c.nextOffset;
                row.startOffset = p.stats.startOffset;
                row.endOffset = p.stats.endOffset;
                row.delivered = c.delivered;
                row.lastSeenMs = c.lastSeenMs;
                fresh.push_back(std::move(row));
            }
    // The partition's numbers, or nullptr when the topic went (or was re-created smaller).
    auto statsOf = [&snapshot](const QString &topic, int partition) -> const PartitionStats * {
        const auto t = std::lower_bound(
            snapshot.topics.begin(), snapshot.topics.end(), topic,
            [](const TopicSnapshot &s, const QString &name) { return s.name < name; });
        if (t == snapshot.topics.end() || t->name != topic || partition < 0 ||
            partition >= int(t->partitions.size()))
            return nullptr;
        return &t->partitions[std::size_t(partition)].stats;
    };
    // Kafka groups: their committed offsets against the partitions' ends. For a group the
    // committed offset is the position, so its advance is the group's rate.
    for (const GroupSnapshot &g : snapshot.groups) {
        auto groupRow = [&](const QString &topic, int partition, const PartitionStats &stats) {
            Row row;
            row.key = g.groupId;
            row.group = true;
            row.members = int(g.members.size());
            row.state = g.state;
            if (const GroupMemberSnapshot *owner = g.owner(topic, partition))
                row.member = owner->label();
            row.topic = topic;
            row.partition = partition;
            row.startOffset = stats.startOffset;
            row.endOffset = stats.endOffset;
            row.lastSeenMs = g.lastSeenMs;
            row.connected = !g.members.empty();
            return row;
        };
        for (const GroupOffsetSnapshot &committed : g.offsets) {
            if (committed.offset < 0)
                continue;
            const PartitionStats *stats = statsOf(committed.topic, committed.partition);
            if (!stats)
                continue;
            Row row = groupRow(committed.topic, committed.partition, *stats);
            row.nextOffset = row.delivered = committed.offset;
            fresh.push_back(std::move(row));
        }
        // what a member holds but the group has not committed yet (a new group, a new
        // partition): shown so that every member's partitions are in the table
        for (const GroupMemberSnapshot &m : g.members)
            for (const TopicPartitions &t : m.assignment)
                for (const int partition : t.partitions) {
                    const GroupOffsetSnapshot *committed = g.offset(t.topic, partition);
                    const PartitionStats *stats = statsOf(t.topic, partition);
                    if ((committed && committed->offset >= 0) || !stats)
                        continue;
                    Row row = groupRow(t.topic, partition, *stats);
                    row.hasOffset = false;
                    row.nextOffset = row.delivered = 0;
                    fresh.push_back(std::move(row));
                }
    }
    std::sort(fresh.begin(), fresh.end(),
              [](const Row &a, const Row &b) { return compare(a, b) < 0; });
    // a partition two members claim (an assignor's mistake) is one row, as is its key
    fresh.erase(std::unique(fresh.begin(), fresh.end(),
                            [](const Row &a, const Row &b) { return compare(a, b) == 0; }),
                fresh.end());
    // once per consumer, not per row: its name decoded, and whether a connection carries it
    QByteArray lastKey;
    QString lastName;
    bool lastOpen = false;
    for (Row &row : fresh) {
        if (row.key != lastKey || lastName.isNull()) {
            lastKey = row.key;
            lastName = QString::fromUtf8(row.key);
            lastOpen = open.contains(row.key);
        }
        row.consumer = lastName;
        if (!row.group)
            row.connected = lastOpen;
    }
    return fresh;
}

void ConsumersModel::update(const Rows &fresh, std::int64_t takenMs)
{
    const std::int64_t previousSecond = m_nowMs / 1000;
    m_nowMs = takenMs;
    mergeSorted(
        fresh.size(), [this] { return m_rows.size(); },
        [&](std::size_t i, std::size_t j) { return compare(m_rows[i], fresh[j]); },
        [&](std::size_t first, std::size_t last) {
            beginRemoveRows({}, int(first), int(last));
            m_rows.erase(m_rows.begin() + std::ptrdiff_t(first),
                         m_rows.begin() + std::ptrdiff_t(last) + 1);
            endRemoveRows();
        },
        [&](std::size_t at, std::size_t first, std::size_t last) {
            beginInsertRows({}, int(at), int(at + last - first));
            std::vector<Row> added;
            added.reserve(last - first + 1);
            for (std::size_t j = first; j <= last; ++j) {
                Row row = fresh[j];
                updateRate(row.rate, row, m_nowMs);
                added.push_back(std::move(row));
            }
            m_rows.insert(m_rows.begin() + std::ptrdiff_t(at),
                          std::make_move_iterator(added.begin()),
                          std::make_move_iterator(added.end()));
            endInsertRows();
        },
        [&](std::size_t i, std::size_t j) { return refresh(m_rows[i], fresh[j], m_nowMs); },
        [&](std::size_t first, std::size_t last, int firstColumn, int lastColumn) {
            Q_EMIT dataChanged(index(int(first), firstColumn), index(int(last), lastColumn));
        });

    // "12 s ago" moves on by itself: once a second, one range for the whole column
    if (!m_rows.empty() && m_nowMs / 1000 != previousSecond)
        Q_EMIT dataChanged(index(0, LastSeen), index(int(m_rows.size()) - 1, LastSeen));

    m_lagging = 0;
    m_totalLag = 0;
    for (const Row &row : m_rows) {
        m_lagging += row.lag() > 0;
        m_totalLag += row.lag();
    }
}

int ConsumersModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ConsumersModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ConsumersModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const Row &row = m_rows[std::size_t(index.row())];
    switch (role) {
    case Qt::TextAlignmentRole:
        return index.column() <= Topic || index.column() >= Member
                   ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                   : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case LagRole:
        return qlonglong(row.lag());
    case GroupStateRole:
        return row.group ? QVariant(int(row.state)) : QVariant();
    case LagFractionRole: {
        const std::int64_t stored = std::max<std::int64_t>(1, row.endOffset - row.startOffset);
        return std::clamp(double(row.lag()) / double(stored), 0.0, 1.0);
    }
    case ConnectedRole:
        return row.connected;
    case ConsumerKeyRole:
        return row.key;
    case KafkaGroupRole:
        return row.group;
    case TopicNameRole:
        return row.topic;
    case PartitionRole:
        return row.partition;
    case Qt::ToolTipRole:
        if (index.column() == LastSeen && row.lastSeenMs > 0)
            return display::timestamp(row.lastSeenMs, 0);
        if (index.column() == Lag)
            return tr("%1 of %2 stored messages not read yet")
                .arg(display::count(row.lag()), display::count(row.endOffset - row.startOffset));
        if (index.column() == State && row.group)
            return row.connected
                       ? tr("%1: the group has %n member(s)", nullptr, row.members)
                             .arg(groupStateName(row.state))
                       : tr("%1: the group has no members").arg(groupStateName(row.state));
        if (index.column() == Member && row.group)
            return row.member.isEmpty() ? tr("No member of the group holds this partition")
                                        : tr("The member that holds this partition");
        if (!row.hasOffset && (index.column() == NextOffset || index.column() == Lag))
            return tr("Assigned to a member, but the group has committed no offset here yet");
        if (index.column() == State)
            return row.connected ? tr("A connection named %1 is open").arg(row.consumer)
                                 : tr("No open connection carries this consumer's name or address");
        if (index.column() == Kind)
            return row.group ? tr("A Kafka consumer group: its committed offset")
                             : tr("A native-protocol consumer: the offset after its last read");
        return {};
    case Qt::DisplayRole:
    case SortRole:
        break;
    default:
        return {};
    }
    const bool raw = role == SortRole;
    auto number = [raw](std::int64_t v) {
        return raw ? QVariant(qlonglong(v)) : QVariant(display::count(v));
    };
    switch (index.column()) {
    case Consumer:
        return row.consumer;
    case Kind:
        return row.group ? tr("kafka group") : tr("native");
    case Topic:
        return row.topic;
    case Partition:
        return raw ? QVariant(row.partition) : QVariant(QString::number(row.partition));
    case NextOffset:
        return row.hasOffset ? number(row.nextOffset) : raw ? QVariant(-1) : QVariant(tr("–"));
    case EndOffset:
        return number(row.endOffset);
    case Lag:
        return row.hasOffset ? number(row.lag()) : raw ? QVariant(-1) : QVariant(tr("–"));
    case Rate:
        return raw ? QVariant(row.rate.perSecond) : QVariant(display::rate(row.rate.perSecond));
    case LastSeen:
        return raw ? QVariant(qlonglong(row.lastSeenMs))
                   : QVariant(display::age(row.lastSeenMs, m_nowMs));
    case Member:
        return row.member;
    case State:
        if (row.group)
            return groupStateName(row.state);
        return row.connected ? tr("connected") : tr("gone");
    }
    return {};
}

QVariant ConsumersModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::TextAlignmentRole)
        return section <= Topic || section >= Member ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                                     : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case NextOffset:
            return tr("The offset this consumer reads next");
        case Lag:
            return tr("Messages behind: end offset − next offset");
        case Rate:
            return tr("Messages delivered to this consumer per second");
        case Member:
            return tr("A Kafka group's member that holds the partition: client id (host)");
        case State:
            return tr("A Kafka group's state (Stable, PreparingRebalance, Empty…); whether a "
                      "native consumer's connection is open");
        }
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Consumer:
        return tr("Consumer");
    case Kind:
        return tr("Type");
    case Topic:
        return tr("Topic");
    case Partition:
        return tr("Partition");
    case NextOffset:
        return tr("Next offset");
    case EndOffset:
        return tr("End offset");
    case Lag:
        return tr("Lag");
    case Rate:
        return tr("Msgs/s");
    case Member:
        return tr("Member");
    case LastSeen:
        return tr("Last seen");
    case State:
        return tr("State");
    }
    return {};
}

} // namespace rivulet
