// GroupCoordinator, the membership protocol: JoinGroup (new members, the KIP-394 member id
// round trip, static members of KIP-345), the rounds of a rebalance and the protocol vote,
// SyncGroup, Heartbeat, LeaveGroup and the tick that expires sessions and ends rounds.
// Committed offsets are in groupoffsets.cpp, the views for the window and DescribeGroups in
// groupviews.cpp: one class, one mutex and one map of groups, in three files by job.
#include "groupcoordinator.h"

#include "protocol.h"

#include <QUuid>

#include <algorithm>
#include <set>

namespace rivulet::kafka {
namespace {

constexpr std::int32_t kMinSessionTimeoutMs = 1000;
constexpr std::int32_t kMaxSessionTimeoutMs = 3600000;

void run(std::vector<std::function<void()>> &deferred)
{
    for (auto &f : deferred)
        f();
}

} // namespace

GroupCoordinator::GroupCoordinator(std::int64_t initialRebalanceDelayMs)
    : m_initialDelayMs(initialRebalanceDelayMs)
{
}

std::int16_t GroupCoordinator::validateMember(const Group &group, const QByteArray &memberId,
                                              const std::optional<QByteArray> &instanceId)
{
    if (instanceId) {
        const auto owner = group.staticMembers.find(*instanceId);
        if (owner == group.staticMembers.end())
            return error::UnknownMemberId;
        if (owner->second != memberId)
            return error::FencedInstanceId; // a newer member took over this instance id
    }
    return group.members.count(memberId) ? error::None : error::UnknownMemberId;
}

void GroupCoordinator::update(Member &member, JoinRequest &request, std::int64_t nowMs)
{
    member.clientId = request.clientId;
    member.clientHost = request.clientHost;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.protocols = std::move(request.protocols);
    member.lastSeenMs = nowMs;
}

std::vector<GroupCoordinator::JoinedMember> GroupCoordinator::currentMembers(const Group &group)
{
    std::vector<JoinedMember> all;
    for (const auto &[id, m] : group.members)
        for (const Protocol &p : m.protocols)
            if (p.name == group.protocol)
                all.push_back({id, m.instanceId, p.metadata});
    return all;
}

GroupCoordinator::JoinResult GroupCoordinator::currentGeneration(const Group &group,
                                                                 const QByteArray &memberId,
                                                                 bool withMembers)
{
    JoinResult r;
    r.generation = group.generation;
    r.protocol = group.protocol;
    r.leader = group.leader;
    r.memberId = memberId;
    if (withMembers)
        r.members = currentMembers(group);
    return r;
}

void GroupCoordinator::join(JoinRequest request, std::int64_t nowMs, JoinCallback callback)
{
    Deferred deferred;
    auto fail = [&](std::int16_t code, const QByteArray &memberId) {
        JoinResult r;
        r.error = code;
        r.memberId = memberId;
        deferred.push_back([cb = std::move(callback), r] { cb(r); });
    };
    {
        std::lock_guard lock(m_mutex);
        auto found = m_groups.find(request.groupId);
        if (request.groupId.isEmpty()) {
            fail(error::InvalidGroupId, request.memberId);
        } else if (request.sessionTimeoutMs < kMinSessionTimeoutMs ||
                   request.sessionTimeoutMs > kMaxSessionTimeoutMs) {
            fail(error::InvalidSessionTimeout, request.memberId);
        } else if (request.protocolType.isEmpty() || request.protocols.empty()) {
            fail(error::InconsistentGroupProtocol, request.memberId);
        } else if (found == m_groups.end() && !request.memberId.isEmpty()) {
            // only a join without a member id makes a group
            fail(error::UnknownMemberId, request.memberId);
        } else {
            if (found == m_groups.end())
                found = m_groups.emplace(request.groupId, Group{}).first;
            Group &group = found->second;
            const bool isNew = request.memberId.isEmpty();
            const bool pending = !isNew && !request.groupInstanceId &&
                                 group.pendingMembers.count(request.memberId) > 0;
            // the member this join speaks for, whose own protocols do not count below
            QByteArray self = request.memberId;
            if (isNew && request.groupInstanceId)
                if (auto s = group.staticMembers.find(*request.groupInstanceId);
                    s != group.staticMembers.end())
                    self = s->second; // a static member coming back under a new id
            // protocols every other member supports
            std::set<QByteArray> common;
            bool first = true;
            for (const auto &[id, m] : group.members) {
                if (id == self)
                    continue;
                std::set<QByteArray> names;
                for (const Protocol &p : m.protocols)
                    names.insert(p.name);
                if (first)
                    common = names;
                else
                    std::erase_if(common, [&](const QByteArray &n) { return !names.count(n); });
                first = false;
            }
            const bool othersPresent = !first;
            const bool compatible =
                (!othersPresent || group.protocolType == request.protocolType) &&
                (!othersPresent ||
                 std::any_of(request.protocols.begin(), request.protocols.end(),
                             [&](const Protocol &p) { return common.count(p.name) > 0; }));
            const std::int16_t membership =
                isNew || pending ? error::None
                                 : validateMember(group, request.memberId, request.groupInstanceId);
            if (membership != error::None) {
                fail(membership, request.memberId);
            } else if (!compatible) {
                fail(error::InconsistentGroupProtocol, request.memberId);
            } else if (pending) {
                // the round trip's second join: the member is in now
                group.pendingMembers.erase(request.memberId);
                const QByteArray id = request.memberId;
                addMember(group, request, id, nowMs, std::move(callback), deferred);
            } else if (!isNew) {
                joinExistingMember(group, request, nowMs, std::move(callback), deferred);
            } else {
                // Kafka's member ids: the group instance id or client id, then a UUID
                const QByteArray id = (request.groupInstanceId      ? *request.groupInstanceId
                                       : request.clientId.isEmpty() ? QByteArray("member")
                                                                    : request.clientId) +
                                      '-' + QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
                if (self != request.memberId) {
                    replaceStaticMember(group, request, id, nowMs, std::move(callback), deferred);
                } else if (!request.groupInstanceId && request.requireKnownMemberId) {
                    // KIP-394: remembered for a session timeout; no round starts yet
                    group.pendingMembers[id] = nowMs + request.sessionTimeoutMs;
                    fail(error::MemberIdRequired, id);
                } else {
                    addMember(group, request, id, nowMs, std::move(callback), deferred);
                }
            }
        }
    }
    run(deferred);
}

void GroupCoordinator::addMember(Group &group, JoinRequest &request, const QByteArray &memberId,
                                 std::int64_t nowMs, JoinCallback callback, Deferred &deferred)
{
    const bool newGroup = group.members.empty();
    Member &m = group.members[memberId];
    m.id = memberId;
    m.joinOrder = m_nextJoinOrder++;
    m.instanceId = request.groupInstanceId;
    if (m.instanceId)
        group.staticMembers[*m.instanceId] = memberId;
    update(m, request, nowMs);
    m.pendingJoin = std::move(callback);
    group.protocolType = request.protocolType;
    if (group.state != State::PreparingRebalance)
        prepareRebalance(group, nowMs, newGroup, deferred);
    maybeCompleteJoin(group, nowMs, deferred);
}

void GroupCoordinator::rejoin(Group &group, Member &m, JoinRequest &request, std::int64_t nowMs,
                              JoinCallback callback, Deferred &deferred)
{
    update(m, request, nowMs);
    if (m.pendingJoin)
        // a second join from the same member (it reconnected): the first waiter is told to
        // rejoin instead of hanging
        deferred.push_back([old = std::move(m.pendingJoin), id = m.id] {
            JoinResult r;
            r.error = error::RebalanceInProgress;
            r.memberId = id;
            old(r);
        });
    m.pendingJoin = std::move(callback);
    group.protocolType = request.protocolType;
    if (group.state != State::PreparingRebalance)
        prepareRebalance(group, nowMs, false, deferred);
    maybeCompleteJoin(group, nowMs, deferred);
}

void GroupCoordinator::joinExistingMember(Group &group, JoinRequest &request, std::int64_t nowMs,
                                          JoinCallback callback, Deferred &deferred)
{
    Member &m = group.members.at(request.memberId);
    const bool sameProtocols =
        std::equal(m.protocols.begin(), m.protocols.end(), request.protocols.begin(),
                   request.protocols.end(), [](const Protocol &a, const Protocol &b) {
                       return a.name == b.name && a.metadata == b.metadata;
                   });
    // As Kafka: in a round that has completed, or in a stable group, a member that joins
    // again with the same protocols is told the current generation (it may have missed the
    // answer) instead of starting a round; the leader's join always starts one (that is how
    // a consumer leader asks for a new assignment).
    const bool current = sameProtocols && (group.state == State::CompletingRebalance ||
                                           (group.state == State::Stable && group.leader != m.id));
    if (current) {
        m.lastSeenMs = nowMs;
        const JoinResult r = currentGeneration(
            group, m.id, group.state == State::CompletingRebalance && group.leader == m.id);
        deferred.push_back([cb = std::move(callback), r] { cb(r); });
        return;
    }
    rejoin(group, m, request, nowMs, std::move(callback), deferred);
}

void GroupCoordinator::replaceStaticMember(Group &group, JoinRequest &request,
                                           const QByteArray &newMemberId, std::int64_t nowMs,
                                           JoinCallback callback, Deferred &deferred)
{
    // Kafka's updateStaticMemberThenRebalanceOrCompleteJoin: the instance's member takes the
    // new id, keeping its place (join order, leadership, assignment); the old id is fenced,
    // and whoever still waits under it is told so.
    const QByteArray oldMemberId = group.staticMembers.at(*request.groupInstanceId);
    const QByteArray previousLeader = group.leader;
    auto node = group.members.extract(oldMemberId);
    Member &old = node.mapped();
    if (old.pendingJoin)
        deferred.push_back([cb = std::move(old.pendingJoin), oldMemberId] {
            JoinResult r;
            r.error = error::FencedInstanceId;
            r.memberId = oldMemberId;
            cb(r);
        });
    if (old.pendingSync)
        deferred.push_back([cb = std::move(old.pendingSync)] {
            SyncResult r;
            r.error = error::FencedInstanceId;
            cb(r);
        });
    old.pendingJoin = nullptr;
    old.pendingSync = nullptr;
    old.id = newMemberId;
    node.key() = newMemberId;
    Member &m = group.members.insert(std::move(node)).position->second;
    group.staticMembers[*request.groupInstanceId] = newMemberId;
    if (group.leader == oldMemberId)
        group.leader = newMemberId;
    update(m, request, nowMs);
    group.protocolType = request.protocolType;
    switch (group.state) {
    case State::Stable:
        if (chooseProtocol(group) == group.protocol) {
            // nothing for the group to change: no rebalance. The member gets the current
            // generation and its assignment through SyncGroup. Before JoinGroup v9 the
            // answer names the previous leader, so that a leader coming back does not take
            // itself for the leader and assign again (a stable group would not pass a new
            // assignment on); from v9 it is told to skip the assignment instead.
            const bool isLeader = group.leader == newMemberId;
            JoinResult r =
                currentGeneration(group, newMemberId, request.supportsSkipAssignment && isLeader);
            if (request.supportsSkipAssignment)
                r.skipAssignment = isLeader;
            else
                r.leader = previousLeader;
            deferred.push_back([cb = std::move(callback), r] { cb(r); });
            return;
        }
        break; // its protocols change the group's choice: a new round
    case State::CompletingRebalance:
        // the leader may be assigning to the old id: a new round
        break;
    case State::PreparingRebalance:
    case State::Empty: // not reached: the instance's member is in the group
        break;
    }
    m.pendingJoin = std::move(callback);
    if (group.state != State::PreparingRebalance)
        prepareRebalance(group, nowMs, false, deferred);
    maybeCompleteJoin(group, nowMs, deferred);
}

void GroupCoordinator::prepareRebalance(Group &group, std::int64_t nowMs, bool newGroup,
                                        Deferred &deferred)
{
    // members waiting for an assignment from the round being abandoned must rejoin
    for (auto &[id, m] : group.members) {
        if (m.pendingSync) {
            deferred.push_back([cb = std::move(m.pendingSync)] {
                SyncResult r;
                r.error = error::RebalanceInProgress;
                cb(r);
            });
            m.pendingSync = nullptr;
        }
    }
    std::int32_t timeout = 0;
    for (const auto &[id, m] : group.members)
        timeout = std::max(timeout, m.rebalanceTimeoutMs);
    group.state = State::PreparingRebalance;
    group.rebalanceDeadlineMs = nowMs + std::max(timeout, 1000);
    group.initialDelayUntilMs =
        newGroup ? nowMs + std::min<std::int64_t>(m_initialDelayMs, timeout) : 0;
}

void GroupCoordinator::maybeCompleteJoin(Group &group, std::int64_t nowMs, Deferred &deferred)
{
    if (group.state != State::PreparingRebalance)
        return;
    // everyone: every member, and whoever was given an id with MemberIdRequired and may
    // still join with it
    const bool everyoneIn = group.pendingMembers.empty() &&
                            std::all_of(group.members.begin(), group.members.end(),
                                        [](const auto &e) { return bool(e.second.pendingJoin); });
    const bool waitOver = nowMs >= group.rebalanceDeadlineMs;
    if ((everyoneIn && nowMs >= group.initialDelayUntilMs) || waitOver)
        completeJoin(group, nowMs, deferred);
}

QByteArray GroupCoordinator::chooseProtocol(const Group &group)
{
    // candidates: supported by every member; each member votes for the candidate it lists
    // first; most votes wins, ties going to the earliest-joined member's preference
    std::vector<const Member *> members;
    for (const auto &[id, m] : group.members)
        members.push_back(&m);
    std::sort(members.begin(), members.end(),
              [](const Member *a, const Member *b) { return a->joinOrder < b->joinOrder; });
    std::vector<QByteArray> candidates;
    for (const Protocol &p : members.front()->protocols) {
        const bool everywhere = std::all_of(members.begin(), members.end(), [&](const Member *m) {
            return std::any_of(m->protocols.begin(), m->protocols.end(),
                               [&](const Protocol &q) { return q.name == p.name; });
        });
        if (everywhere)
            candidates.push_back(p.name);
    }
    if (candidates.empty())
        return {};
    std::map<QByteArray, int> votes;
    for (const Member *m : members)
        for (const Protocol &p : m->protocols)
            if (std::find(candidates.begin(), candidates.end(), p.name) != candidates.end()) {
                ++votes[p.name];
                break;
            }
    QByteArray best = candidates.front();
    for (const QByteArray &c : candidates)
        if (votes[c] > votes[best])
            best = c;
    return best;
}

void GroupCoordinator::completeJoin(Group &group, std::int64_t nowMs, Deferred &deferred)
{
    // dynamic members that did not rejoin in time are out; static ones stay (until their
    // session times out), with the protocols they last joined with
    for (auto it = group.members.begin(); it != group.members.end();) {
        if (!it->second.pendingJoin && !it->second.instanceId) {
            // its last sign of life stays the group's after it goes, as in removeMember()
            group.lastSeenMs = std::max(group.lastSeenMs, it->second.lastSeenMs);
            it = group.members.erase(it);
        } else {
            ++it;
        }
    }
    if (group.members.empty()) {
        group.state = State::Empty;
        group.leader.clear();
        group.protocol.clear();
        return;
    }
    // the leader stays while it has joined this round; otherwise the longest-standing member
    // that has
    const Member *leader = nullptr;
    if (auto current = group.members.find(group.leader);
        current != group.members.end() && current->second.pendingJoin)
        leader = &current->second;
    if (!leader)
        for (const auto &[id, m] : group.members)
            if (m.pendingJoin && (!leader || m.joinOrder < leader->joinOrder))
                leader = &m;
    if (!leader) {
        // only static members that have not rejoined: wait for them another rebalance
        // timeout (their sessions may run out first), as Kafka does
        std::int32_t timeout = 0;
        for (const auto &[id, m] : group.members)
            timeout = std::max(timeout, m.rebalanceTimeoutMs);
        group.rebalanceDeadlineMs = nowMs + std::max(timeout, 1000);
        return;
    }
    group.leader = leader->id;
    group.protocol = chooseProtocol(group);
    ++group.generation;
    group.state = State::CompletingRebalance;
    const std::vector<JoinedMember> all = currentMembers(group);
    for (auto &[id, m] : group.members) {
        m.assignment.clear();
        m.lastSeenMs = nowMs;
        if (!m.pendingJoin)
            continue; // a static member away: it gets the generation when it comes back
        JoinResult r = currentGeneration(group, id, false);
        if (id == group.leader)
            r.members = all;
        deferred.push_back([cb = std::move(m.pendingJoin), r] { cb(r); });
        m.pendingJoin = nullptr;
    }
}

void GroupCoordinator::sync(const QByteArray &groupId, std::int32_t generation,
                            const QByteArray &memberId,
                            std::vector<std::pair<QByteArray, QByteArray>> assignments,
                            std::int64_t nowMs, SyncCallback callback,
                            const std::optional<QByteArray> &groupInstanceId)
{
    Deferred deferred;
    SyncResult immediate;
    bool answerNow = true;
    {
        std::lock_guard lock(m_mutex);
        auto g = m_groups.find(groupId);
        const std::int16_t membership = g == m_groups.end()
                                            ? error::UnknownMemberId
                                            : validateMember(g->second, memberId, groupInstanceId);
        Member *member = membership == error::None ? &g->second.members.at(memberId) : nullptr;
        if (!member) {
            immediate.error = membership;
        } else if (generation != g->second.generation) {
            immediate.error = error::IllegalGeneration;
        } else if (g->second.state == State::PreparingRebalance) {
            immediate.error = error::RebalanceInProgress;
        } else if (g->second.state == State::Stable) {
            immediate.assignment = member->assignment;
            member->lastSeenMs = nowMs;
        } else { // CompletingRebalance: wait for the leader's assignments
            Group &group = g->second;
            member->lastSeenMs = nowMs;
            member->pendingSync = std::move(callback);
            answerNow = false;
            if (memberId == group.leader) {
                for (auto &[id, bytes] : assignments)
                    if (auto it = group.members.find(id); it != group.members.end())
                        it->second.assignment = bytes;
                group.state = State::Stable;
                for (auto &[id, m] : group.members) {
                    if (!m.pendingSync)
                        continue;
                    SyncResult r;
                    r.assignment = m.assignment;
                    deferred.push_back([cb = std::move(m.pendingSync), r] { cb(r); });
                    m.pendingSync = nullptr;
                }
            }
        }
    }
    if (answerNow)
        callback(immediate);
    run(deferred);
}

std::int16_t GroupCoordinator::heartbeat(const QByteArray &groupId, std::int32_t generation,
                                         const QByteArray &memberId, std::int64_t nowMs,
                                         const std::optional<QByteArray> &groupInstanceId)
{
    std::lock_guard lock(m_mutex);
    auto g = m_groups.find(groupId);
    if (g == m_groups.end())
        return error::UnknownMemberId;
    if (const std::int16_t code = validateMember(g->second, memberId, groupInstanceId))
        return code;
    g->second.members.at(memberId).lastSeenMs = nowMs;
    if (generation != g->second.generation)
        return error::IllegalGeneration;
    if (g->second.state != State::Stable)
        return error::RebalanceInProgress;
    return error::None;
}

void GroupCoordinator::removeMember(Group &group, const QByteArray &memberId, std::int64_t nowMs,
                                    Deferred &deferred)
{
    auto it = group.members.find(memberId);
    if (it == group.members.end())
        return;
    // its last sign of life stays the group's after it goes
    group.lastSeenMs = std::max(group.lastSeenMs, it->second.lastSeenMs);
    if (it->second.pendingJoin)
        deferred.push_back([cb = std::move(it->second.pendingJoin), memberId] {
            JoinResult r;
            r.error = error::UnknownMemberId;
            r.memberId = memberId;
            cb(r);
        });
    if (it->second.pendingSync)
        deferred.push_back([cb = std::move(it->second.pendingSync)] {
            SyncResult r;
            r.error = error::UnknownMemberId;
            cb(r);
        });
    if (it->second.instanceId)
        if (auto s = group.staticMembers.find(*it->second.instanceId);
            s != group.staticMembers.end() && s->second == memberId)
            group.staticMembers.erase(s);
    group.members.erase(it);
    if (group.members.empty()) {
        group.state = State::Empty;
        group.leader.clear();
        group.protocol.clear();
        ++group.generation;
        return;
    }
    if (group.state != State::PreparingRebalance)
        prepareRebalance(group, nowMs, false, deferred);
    maybeCompleteJoin(group, nowMs, deferred);
}

std::int16_t GroupCoordinator::leave(const QByteArray &groupId, const QByteArray &memberId,
                                     std::int64_t nowMs)
{
    return leave(groupId, {{memberId, std::nullopt}}, nowMs).front();
}

std::vector<std::int16_t> GroupCoordinator::leave(const QByteArray &groupId,
                                                  const std::vector<LeaveMember> &members,
                                                  std::int64_t nowMs)
{
    Deferred deferred;
    std::vector<std::int16_t> result;
    {
        std::lock_guard lock(m_mutex);
        auto g = m_groups.find(groupId);
        for (const LeaveMember &leaving : members) {
            if (g == m_groups.end()) {
                result.push_back(error::UnknownMemberId);
                continue;
            }
            Group &group = g->second;
            QByteArray id = leaving.memberId;
            std::int16_t code = error::None;
            if (id.isEmpty()) {
                // by group_instance_id alone (an administrator removing a static member)
                const auto s = leaving.groupInstanceId
                                   ? group.staticMembers.find(*leaving.groupInstanceId)
                                   : group.staticMembers.end();
                if (s == group.staticMembers.end())
                    code = error::UnknownMemberId;
                else
                    id = s->second;
            } else if (group.pendingMembers.erase(id) > 0) {
                // an id handed out with MemberIdRequired: forgotten; a round waiting for it
                // need not wait any longer
                result.push_back(error::None);
                maybeCompleteJoin(group, nowMs, deferred);
                continue;
            } else {
                code = validateMember(group, id, leaving.groupInstanceId);
            }
            if (code == error::None) {
                group.lastSeenMs = std::max(group.lastSeenMs, nowMs); // leaving is a sign too
                removeMember(group, id, nowMs, deferred);
            }
            result.push_back(code);
        }
    }
    run(deferred);
    return result;
}

void GroupCoordinator::tick(std::int64_t nowMs)
{
    Deferred deferred;
    {
        std::lock_guard lock(m_mutex);
        for (auto &[id, group] : m_groups) {
            // ids handed out with MemberIdRequired that nobody joined with in a session
            std::erase_if(group.pendingMembers,
                          [&](const auto &pending) { return nowMs > pending.second; });
            std::vector<QByteArray> expired;
            for (const auto &[memberId, m] : group.members)
                if (!m.pendingJoin && nowMs - m.lastSeenMs > m.sessionTimeoutMs)
                    expired.push_back(memberId);
            for (const QByteArray &memberId : expired)
                removeMember(group, memberId, nowMs, deferred);
            maybeCompleteJoin(group, nowMs, deferred);
        }
    }
    run(deferred);
}

} // namespace rivulet::kafka
