#include "groupmembersmodel.h"

#include "displayformat.h"
#include "modelroles.h"
#include "sortedmerge.h"

#include <QStringList>

#include <algorithm>

namespace rivulet {
namespace {

constexpr std::uint64_t bit(int column)
{
    return std::uint64_t(1) << column;
}

// The group's own fields, as the summary shows them.
bool sameSummary(const GroupSnapshot &a, const GroupSnapshot &b)
{
    return a.state == b.state && a.members.size() == b.members.size() && a.protocol == b.protocol &&
           a.protocolType == b.protocolType && a.generation == b.generation &&
           a.leaderId == b.leaderId;
}

} // namespace

void GroupMembersModel::setGroup(const QByteArray &groupId)
{
    if (groupId == m_groupId)
        return;
    m_groupId = groupId;
    if (!m_rows.empty()) {
        beginRemoveRows({}, 0, int(m_rows.size()) - 1);
        m_rows.clear();
        endRemoveRows();
    }
    if (m_group) {
        m_group.reset();
        Q_EMIT groupChanged();
    }
}

QString GroupMembersModel::assignmentText(const std::vector<TopicPartitions> &assignment)
{
    QStringList topics;
    for (const TopicPartitions &t : assignment) {
        QStringList runs;
        for (std::size_t i = 0; i < t.partitions.size();) {
            std::size_t j = i;
            while (j + 1 < t.partitions.size() && t.partitions[j + 1] == t.partitions[j] + 1)
                ++j;
            runs << (j == i ? QString::number(t.partitions[i])
                     : j == i + 1
                         ? QStringLiteral("%1, %2").arg(t.partitions[i]).arg(t.partitions[j])
                         : QStringLiteral("%1–%2").arg(t.partitions[i]).arg(t.partitions[j]));
            i = j + 1;
        }
        topics << QStringLiteral("%1 %2").arg(t.topic, runs.join(QStringLiteral(", ")));
    }
    return topics.join(QStringLiteral(" · "));
}

QString GroupMembersModel::summary(const GroupSnapshot &group)
{
    QStringList parts;
    parts << groupStateName(group.state)
          << display::count(qint64(group.members.size()), tr("member"), tr("members"));
    if (!group.protocol.isEmpty())
        parts << (group.protocolType.isEmpty() || group.protocolType == QLatin1String("consumer")
                      ? tr("assignor %1").arg(group.protocol)
                      : tr("%1 protocol %2").arg(group.protocolType, group.protocol));
    if (group.generation > 0)
        parts << tr("generation %1").arg(group.generation);
    return parts.join(QStringLiteral(" · "));
}

void GroupMembersModel::update(const std::vector<GroupSnapshot> &groups, std::int64_t takenMs)
{
    const std::int64_t previousSecond = m_nowMs / 1000;
    m_nowMs = takenMs;
    const GroupSnapshot *found = nullptr;
    if (!m_groupId.isEmpty())
        for (const GroupSnapshot &g : groups)
            if (g.groupId == m_groupId)
                found = &g;

    bool summaryChanged = found ? !m_group || !sameSummary(*m_group, *found) : m_group.has_value();
    if (found) {
        GroupSnapshot kept = *found;
        kept.offsets.clear();
        m_group = std::move(kept);
    } else {
        m_group.reset();
    }

    std::vector<Row> fresh;
    if (found) {
        fresh.reserve(found->members.size());
        for (const GroupMemberSnapshot &m : found->members)
            fresh.push_back({m, assignmentText(m.assignment), m.memberId == found->leaderId});
        std::sort(fresh.begin(), fresh.end(),
                  [](const Row &a, const Row &b) { return a.member.memberId < b.member.memberId; });
    }
    mergeSorted(
        fresh.size(), [this] { return m_rows.size(); },
        [&](std::size_t i, std::size_t j) {
            return QString::compare(m_rows[i].member.memberId, fresh[j].member.memberId);
        },
        [&](std::size_t first, std::size_t last) {
            beginRemoveRows({}, int(first), int(last));
            m_rows.erase(m_rows.begin() + std::ptrdiff_t(first),
                         m_rows.begin() + std::ptrdiff_t(last) + 1);
            endRemoveRows();
        },
        [&](std::size_t at, std::size_t first, std::size_t last) {
            beginInsertRows({}, int(at), int(at + last - first));
            m_rows.insert(m_rows.begin() + std::ptrdiff_t(at),
                          fresh.begin() + std::ptrdiff_t(first),
                          fresh.begin() + std::ptrdiff_t(last) + 1);
            endInsertRows();
        },
        [&](std::size_t i, std::size_t j) {
            Row &row = m_rows[i];
            const Row &f = fresh[j];
            std::uint64_t mask = 0;
            if (row.leader != f.leader)
                mask |= bit(MemberId); // "(leader)" follows the leader's id
            if (row.member.clientId != f.member.clientId)
                mask |= bit(ClientId);
            if (row.member.host != f.member.host)
                mask |= bit(Host);
            if (row.assignment != f.assignment ||
                row.member.assignmentReadable != f.member.assignmentReadable)
                mask |= bit(Assignment);
            if (row.member.lastSeenMs != f.member.lastSeenMs)
                mask |= bit(LastSeen);
            if (row.member.groupInstanceId != f.member.groupInstanceId)
                mask |= bit(MemberId);
            row = f;
            return mask;
        },
        [&](std::size_t first, std::size_t last, int firstColumn, int lastColumn) {
            Q_EMIT dataChanged(index(int(first), firstColumn), index(int(last), lastColumn));
        });
    if (!m_rows.empty() && m_nowMs / 1000 != previousSecond)
        Q_EMIT dataChanged(index(0, LastSeen), index(int(m_rows.size()) - 1, LastSeen));
    if (summaryChanged)
        Q_EMIT groupChanged();
}

int GroupMembersModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int GroupMembersModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant GroupMembersModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const Row &row = m_rows[std::size_t(index.row())];
    const GroupMemberSnapshot &m = row.member;
    switch (role) {
    case Qt::ToolTipRole:
        if (index.column() == MemberId) {
            QString tip = row.leader ? tr("The group's leader: its client computed the assignment")
                                     : tr("A member of the group");
            if (!m.groupInstanceId.isEmpty())
                tip += tr("\nStatic member (group.instance.id %1)").arg(m.groupInstanceId);
            return tip;
        }
        if (index.column() == Assignment && !m.assignmentReadable)
            return tr("The group's protocol type is not \"consumer\": its assignments are not "
                      "lists of partitions");
        if (index.column() == LastSeen && m.lastSeenMs > 0)
            return display::timestamp(m.lastSeenMs, 0);
        return {};
    case Qt::DisplayRole:
    case SortRole:
        break;
    default:
        return {};
    }
    switch (index.column()) {
    case MemberId:
        return row.leader && role == Qt::DisplayRole ? tr("%1 (leader)").arg(m.memberId)
                                                     : m.memberId;
    case ClientId:
        return m.clientId;
    case Host:
        return m.host;
    case Assignment:
        if (!m.assignmentReadable)
            return tr("(not a consumer assignment)");
        return row.assignment.isEmpty() && role == Qt::DisplayRole ? tr("nothing assigned")
                                                                   : row.assignment;
    case LastSeen:
        return role == SortRole ? QVariant(qlonglong(m.lastSeenMs))
                                : QVariant(display::age(m.lastSeenMs, m_nowMs));
    }
    return {};
}

QVariant GroupMembersModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case MemberId:
        return tr("Member id");
    case ClientId:
        return tr("Client id");
    case Host:
        return tr("Host");
    case Assignment:
        return tr("Assigned partitions");
    case LastSeen:
        return tr("Last seen");
    }
    return {};
}

} // namespace rivulet
