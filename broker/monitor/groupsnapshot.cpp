#include "groupsnapshot.h"

#include "kafka/groupcoordinator.h"

#include <algorithm>
#include <tuple>

namespace rivulet {
namespace {

constexpr struct
{
    GroupState state;
    const char *name;
} kStateNames[] = {
    {GroupState::Empty, "Empty"},
    {GroupState::PreparingRebalance, "PreparingRebalance"},
    {GroupState::CompletingRebalance, "CompletingRebalance"},
    {GroupState::Stable, "Stable"},
    {GroupState::Dead, "Dead"},
};

GroupMemberSnapshot memberOf(const kafka::GroupCoordinator::MemberView &m, bool consumerProtocol)
{
    GroupMemberSnapshot member;
    member.memberId = QString::fromUtf8(m.memberId);
    member.groupInstanceId = m.groupInstanceId ? QString::fromUtf8(*m.groupInstanceId) : QString();
    member.clientId = QString::fromUtf8(m.clientId);
    member.host = m.clientHost;
    member.lastSeenMs = m.lastSeenMs;
    const auto assignment =
        consumerProtocol ? kafka::GroupCoordinator::consumerAssignment(m.assignment) : std::nullopt;
    member.assignmentReadable = assignment.has_value();
    if (assignment) {
        for (const auto &[topic, partitions] : *assignment) {
            if (partitions.empty())
                continue;
            TopicPartitions t{QString::fromUtf8(topic), {}};
            t.partitions.assign(partitions.begin(), partitions.end());
            std::sort(t.partitions.begin(), t.partitions.end());
            member.assignment.push_back(std::move(t));
        }
        std::sort(
            member.assignment.begin(), member.assignment.end(),
            [](const TopicPartitions &a, const TopicPartitions &b) { return a.topic < b.topic; });
    }
    return member;
}

} // namespace

QString groupStateName(GroupState state)
{
    for (const auto &s : kStateNames)
        if (s.state == state)
            return QString::fromLatin1(s.name);
    return QStringLiteral("Unknown");
}

GroupState groupStateFromName(QStringView name)
{
    for (const auto &s : kStateNames)
        if (name == QLatin1String(s.name))
            return s.state;
    return GroupState::Unknown;
}

QString GroupMemberSnapshot::label() const
{
    if (clientId.isEmpty())
        return host;
    if (host.isEmpty())
        return clientId;
    return QStringLiteral("%1 (%2)").arg(clientId, host);
}

const GroupMemberSnapshot *GroupSnapshot::owner(const QString &topic, int partition) const
{
    for (const GroupMemberSnapshot &m : members)
        for (const TopicPartitions &t : m.assignment)
            if (t.topic == topic &&
                std::binary_search(t.partitions.begin(), t.partitions.end(), partition))
                return &m;
    return nullptr;
}

const GroupOffsetSnapshot *GroupSnapshot::offset(const QString &topic, int partition) const
{
    const auto o = std::lower_bound(
        offsets.begin(), offsets.end(), std::make_pair(topic, partition),
        [](const GroupOffsetSnapshot &s, const auto &key) {
            return std::tie(s.topic, s.partition) < std::tie(key.first, key.second);
        });
    return o != offsets.end() && o->topic == topic && o->partition == partition ? &*o : nullptr;
}

std::vector<GroupSnapshot> takeGroupSnapshots(const kafka::GroupCoordinator &coordinator)
{
    std::vector<GroupSnapshot> groups;
    for (const kafka::GroupCoordinator::GroupView &g : coordinator.groups()) {
        GroupSnapshot s;
        s.groupId = g.groupId;
        s.state = groupStateFromName(g.state);
        s.protocolType = QString::fromUtf8(g.protocolType);
        s.protocol = QString::fromUtf8(g.protocol);
        s.generation = g.generation;
        s.leaderId = QString::fromUtf8(g.leader);
        s.lastSeenMs = g.lastSeenMs;
        // only the consumer protocol's assignments are topic lists; a group whose members
        // have not joined yet has no protocol type, and nothing assigned either
        const bool consumer = g.protocolType == "consumer" || g.protocolType.isEmpty();
        s.members.reserve(g.members.size());
        for (const auto &m : g.members)
            s.members.push_back(memberOf(m, consumer));
        s.offsets.reserve(g.offsets.size());
        for (const auto &[key, committed] : g.offsets)
            s.offsets.push_back({QString::fromUtf8(key.first), key.second, committed.offset,
                                 QString::fromUtf8(committed.metadata), committed.commitMs});
        // the coordinator orders topics by their bytes; QString order can differ (UTF-16)
        std::sort(s.offsets.begin(), s.offsets.end(),
                  [](const GroupOffsetSnapshot &a, const GroupOffsetSnapshot &b) {
                      return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
                  });
        groups.push_back(std::move(s));
    }
    return groups;
}

} // namespace rivulet
