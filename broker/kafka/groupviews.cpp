// GroupCoordinator, the views: groups as plain values for ListGroups, DescribeGroups, the
// window and the CLI (state names, members with what they sent and were assigned, committed
// offsets, when the group was last heard from), and the decoding of a consumer's assignment.
#include "groupcoordinator.h"

#include "wire.h"

#include <algorithm>

namespace rivulet::kafka {

QString GroupCoordinator::stateName(State state)
{
    switch (state) {
    case State::Empty:
        return QStringLiteral("Empty");
    case State::PreparingRebalance:
        return QStringLiteral("PreparingRebalance");
    case State::CompletingRebalance:
        return QStringLiteral("CompletingRebalance");
    case State::Stable:
        return QStringLiteral("Stable");
    }
    return {};
}

GroupCoordinator::GroupView GroupCoordinator::view(const QByteArray &groupId, const Group &g)
{
    GroupView v;
    v.groupId = groupId;
    v.lastSeenMs = g.lastSeenMs;
    v.state = stateName(g.state);
    v.protocolType = g.protocolType;
    v.protocol = g.protocol;
    v.generation = g.generation;
    v.leader = g.leader;
    for (const auto &[memberId, m] : g.members) {
        MemberView member{memberId, m.clientId,   m.clientHost, m.assignment,
                          {},       m.lastSeenMs, m.instanceId};
        for (const Protocol &p : m.protocols)
            if (p.name == g.protocol)
                member.metadata = p.metadata;
        v.lastSeenMs = std::max(v.lastSeenMs, m.lastSeenMs);
        v.members.push_back(std::move(member));
    }
    v.offsets = g.offsets;
    for (const auto &[key, committed] : g.offsets)
        v.lastSeenMs = std::max(v.lastSeenMs, committed.commitMs);
    return v;
}

std::optional<GroupCoordinator::Assignment>
GroupCoordinator::consumerAssignment(const QByteArray &assignment)
{
    Assignment topics;
    if (assignment.isEmpty())
        return topics;
    Reader in(assignment);
    const std::int16_t version = in.i16();
    const std::int32_t count = in.arrayLength(false, 6);
    if (!in.ok() || version < 0 || count < 0)
        return std::nullopt;
    for (std::int32_t i = 0; i < count && in.ok(); ++i) {
        QByteArray topic = in.string();
        const std::int32_t partitions = in.arrayLength(false, 4);
        if (partitions < 0)
            in.fail();
        std::vector<std::int32_t> list;
        for (std::int32_t j = 0; j < partitions && in.ok(); ++j)
            list.push_back(in.i32());
        topics.emplace_back(std::move(topic), std::move(list));
    }
    // the user data that follows is the assignor's own
    if (!in.ok())
        return std::nullopt;
    return topics;
}

std::vector<GroupCoordinator::GroupView> GroupCoordinator::groups() const
{
    std::lock_guard lock(m_mutex);
    std::vector<GroupView> result;
    for (const auto &[id, g] : m_groups)
        result.push_back(view(id, g));
    return result;
}

std::optional<GroupCoordinator::GroupView> GroupCoordinator::group(const QByteArray &groupId) const
{
    std::lock_guard lock(m_mutex);
    const auto g = m_groups.find(groupId);
    if (g == m_groups.end())
        return std::nullopt;
    return view(g->first, g->second);
}

} // namespace rivulet::kafka
