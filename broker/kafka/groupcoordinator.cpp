#include "groupcoordinator.h"

#include "protocol.h"
#include "wire.h"

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

// The topics of a consumer's subscription (Kafka's ConsumerProtocolSubscription: int16
// version, then the topics in every version, never flexible); nullopt when the bytes are not
// one.
std::optional<std::vector<QByteArray>> subscriptionTopics(const QByteArray &metadata)
{
    Reader in(metadata);
    const std::int16_t version = in.i16();
    const std::int32_t count = in.arrayLength(false, 2);
    if (!in.ok() || version < 0 || count < 0)
        return std::nullopt;
    std::vector<QByteArray> topics;
    for (std::int32_t i = 0; i < count && in.ok(); ++i)
        topics.push_back(in.string());
    if (!in.ok())
        return std::nullopt;
    return topics;
}

} // namespace

GroupCoordinator::GroupCoordinator(std::int64_t initialRebalanceDelayMs)
    : m_initialDelayMs(initialRebalanceDelayMs)
{
}

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

void GroupCoordinator::join(JoinRequest request, std::int64_t nowMs, JoinCallback callback)
{
    Deferred deferred;
    auto fail = [&](std::int16_t code) {
        JoinResult r;
        r.error = code;
        r.memberId = request.memberId;
        deferred.push_back([callback, r] { callback(r); });
    };
    {
        std::lock_guard lock(m_mutex);
        if (request.groupId.isEmpty()) {
            fail(error::InvalidGroupId);
        } else if (request.sessionTimeoutMs < kMinSessionTimeoutMs ||
                   request.sessionTimeoutMs > kMaxSessionTimeoutMs) {
            fail(error::InvalidSessionTimeout);
        } else if (request.protocolType.isEmpty() || request.protocols.empty()) {
            fail(error::InconsistentGroupProtocol);
        } else {
            Group &group = m_groups[request.groupId];
            const bool known = group.members.count(request.memberId) > 0;
            // protocols every other member supports
            std::set<QByteArray> common;
            bool first = true;
            for (const auto &[id, m] : group.members) {
                if (id == request.memberId)
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
                !othersPresent ||
                std::any_of(request.protocols.begin(), request.protocols.end(),
                            [&](const Protocol &p) { return common.count(p.name) > 0; });
            if (!request.memberId.isEmpty() && !known) {
                fail(error::UnknownMemberId);
            } else if ((othersPresent && group.protocolType != request.protocolType) ||
                       !compatible) {
                fail(error::InconsistentGroupProtocol);
            } else {
                if (request.memberId.isEmpty())
                    request.memberId =
                        (request.clientId.isEmpty() ? QByteArray("member") : request.clientId) +
                        '-' + QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
                const bool newGroup = group.members.empty();
                Member &m = group.members[request.memberId];
                m.id = request.memberId;
                if (!known)
                    m.joinOrder = m_nextJoinOrder++;
                m.clientId = request.clientId;
                m.clientHost = request.clientHost;
                m.sessionTimeoutMs = request.sessionTimeoutMs;
                m.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
                m.protocols = std::move(request.protocols);
                m.lastSeenMs = nowMs;
                if (m.pendingJoin)
                    // a second join from the same member (it reconnected): the first waiter
                    // is told to rejoin instead of hanging
                    deferred.push_back([old = std::move(m.pendingJoin), id = m.id] {
                        JoinResult r;
                        r.error = error::RebalanceInProgress;
                        r.memberId = id;
                        old(r);
                    });
                m.pendingJoin = std::move(callback);
                group.protocolType = request.protocolType;
                if (group.state != State::PreparingRebalance)
                    prepareRebalance(group, nowMs, newGroup, deferred);
                maybeCompleteJoin(group, nowMs, deferred);
            }
        }
    }
    run(deferred);
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
    const bool everyoneIn = std::all_of(group.members.begin(), group.members.end(),
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
    // members that did not rejoin in time are out
    for (auto it = group.members.begin(); it != group.members.end();) {
        if (!it->second.pendingJoin)
            it = group.members.erase(it);
        else
            ++it;
    }
    if (group.members.empty()) {
        group.state = State::Empty;
        group.leader.clear();
        group.protocol.clear();
        return;
    }
    group.protocol = chooseProtocol(group);
    ++group.generation;
    if (!group.members.count(group.leader)) {
        const auto first = std::min_element(
            group.members.begin(), group.members.end(),
            [](const auto &a, const auto &b) { return a.second.joinOrder < b.second.joinOrder; });
        group.leader = first->first;
    }
    group.state = State::CompletingRebalance;
    std::vector<std::pair<QByteArray, QByteArray>> all;
    for (const auto &[id, m] : group.members)
        for (const Protocol &p : m.protocols)
            if (p.name == group.protocol)
                all.emplace_back(id, p.metadata);
    for (auto &[id, m] : group.members) {
        JoinResult r;
        r.generation = group.generation;
        r.protocol = group.protocol;
        r.leader = group.leader;
        r.memberId = id;
        if (id == group.leader)
            r.members = all;
        m.assignment.clear();
        m.lastSeenMs = nowMs;
        deferred.push_back([cb = std::move(m.pendingJoin), r] { cb(r); });
        m.pendingJoin = nullptr;
    }
}

void GroupCoordinator::sync(const QByteArray &groupId, std::int32_t generation,
                            const QByteArray &memberId,
                            std::vector<std::pair<QByteArray, QByteArray>> assignments,
                            std::int64_t nowMs, SyncCallback callback)
{
    Deferred deferred;
    SyncResult immediate;
    bool answerNow = true;
    {
        std::lock_guard lock(m_mutex);
        auto g = m_groups.find(groupId);
        Member *member = nullptr;
        if (g != m_groups.end()) {
            auto m = g->second.members.find(memberId);
            member = m == g->second.members.end() ? nullptr : &m->second;
        }
        if (!member) {
            immediate.error = error::UnknownMemberId;
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
                                         const QByteArray &memberId, std::int64_t nowMs)
{
    std::lock_guard lock(m_mutex);
    auto g = m_groups.find(groupId);
    if (g == m_groups.end())
        return error::UnknownMemberId;
    auto m = g->second.members.find(memberId);
    if (m == g->second.members.end())
        return error::UnknownMemberId;
    m->second.lastSeenMs = nowMs;
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
    Deferred deferred;
    std::int16_t result = error::None;
    {
        std::lock_guard lock(m_mutex);
        auto g = m_groups.find(groupId);
        if (g == m_groups.end() || !g->second.members.count(memberId)) {
            result = error::UnknownMemberId;
        } else {
            g->second.lastSeenMs = std::max(g->second.lastSeenMs, nowMs); // leaving is a sign too
            removeMember(g->second, memberId, nowMs, deferred);
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

std::int16_t GroupCoordinator::commit(const QByteArray &groupId, std::int32_t generation,
                                      const QByteArray &memberId,
                                      const std::vector<Commit> &commits, std::int64_t nowMs)
{
    std::lock_guard lock(m_mutex);
    if (groupId.isEmpty())
        return error::InvalidGroupId;
    const bool manual = generation < 0 && memberId.isEmpty();
    // only a consumer that assigns partitions itself makes a group by committing; a
    // member's commit to a group that is gone (deleted, say) must not bring it back
    auto found = m_groups.find(groupId);
    if (found == m_groups.end()) {
        if (!manual)
            return error::UnknownMemberId;
        found = m_groups.emplace(groupId, Group{}).first;
    }
    Group &group = found->second;
    if (manual) {
        // a consumer that assigns partitions itself commits outside any generation
        if (!group.members.empty())
            return error::UnknownMemberId;
    } else {
        auto m = group.members.find(memberId);
        if (m == group.members.end())
            return error::UnknownMemberId;
        if (generation != group.generation)
            return error::IllegalGeneration;
        // Like Kafka: commits still count while the group prepares a rebalance (members
        // learn of it from heartbeats), but not between JoinGroup and SyncGroup.
        if (group.state == State::CompletingRebalance)
            return error::RebalanceInProgress;
        m->second.lastSeenMs = nowMs;
    }
    for (const Commit &c : commits)
        group.offsets[{c.topic, c.partition}] = {c.offset, c.metadata, nowMs};
    group.lastSeenMs = std::max(group.lastSeenMs, nowMs);
    ++m_offsetVersion;
    return error::None;
}

std::int16_t GroupCoordinator::checkCommit(const QByteArray &groupId, std::int32_t generation,
                                           const QByteArray &memberId) const
{
    std::lock_guard lock(m_mutex);
    if (groupId.isEmpty())
        return error::InvalidGroupId;
    const auto found = m_groups.find(groupId);
    // producers that commit for a group outside it (generation -1, no member id, as
    // TxnOffsetCommit before v3 always does) are accepted, as Kafka accepts them
    if (generation < 0 && memberId.isEmpty())
        return error::None;
    if (found == m_groups.end())
        return error::UnknownMemberId;
    const Group &group = found->second;
    if (group.members.find(memberId) == group.members.end())
        return error::UnknownMemberId;
    if (generation != group.generation)
        return error::IllegalGeneration;
    return error::None;
}

void GroupCoordinator::storeCommitted(const QByteArray &groupId, const std::vector<Commit> &commits,
                                      std::int64_t nowMs)
{
    std::lock_guard lock(m_mutex);
    Group &group = m_groups[groupId];
    for (const Commit &c : commits)
        group.offsets[{c.topic, c.partition}] = {c.offset, c.metadata, nowMs};
    group.lastSeenMs = std::max(group.lastSeenMs, nowMs);
    ++m_offsetVersion;
}

std::int16_t GroupCoordinator::deleteGroup(const QByteArray &groupId)
{
    std::lock_guard lock(m_mutex);
    if (groupId.isEmpty())
        return error::InvalidGroupId;
    const auto g = m_groups.find(groupId);
    if (g == m_groups.end())
        return error::GroupIdNotFound;
    if (!g->second.members.empty())
        return error::NonEmptyGroup;
    m_groups.erase(g);
    ++m_offsetVersion;
    return error::None;
}

std::optional<GroupCoordinator::CommittedOffset>
GroupCoordinator::committed(const QByteArray &groupId, const QByteArray &topic,
                            std::int32_t partition) const
{
    std::lock_guard lock(m_mutex);
    auto g = m_groups.find(groupId);
    if (g == m_groups.end())
        return std::nullopt;
    auto o = g->second.offsets.find({topic, partition});
    if (o == g->second.offsets.end())
        return std::nullopt;
    return o->second;
}

GroupCoordinator::Offsets GroupCoordinator::committedOffsets(const QByteArray &groupId) const
{
    std::lock_guard lock(m_mutex);
    const auto g = m_groups.find(groupId);
    return g == m_groups.end() ? Offsets() : g->second.offsets;
}

std::optional<std::set<QByteArray>> GroupCoordinator::subscribedTopics(const Group &group)
{
    // Kafka asks the subscriptions of the current generation; here every protocol a member
    // offers is asked (a consumer's subscription is the same in each), and a subscription
    // that cannot be read counts as one to every topic, as Kafka's unknown subscriptions do.
    std::set<QByteArray> all;
    for (const auto &[id, m] : group.members)
        for (const Protocol &p : m.protocols) {
            const auto topics = subscriptionTopics(p.metadata);
            if (!topics)
                return std::nullopt;
            all.insert(topics->begin(), topics->end());
        }
    return all;
}

std::int16_t
GroupCoordinator::deleteOffsets(const QByteArray &groupId,
                                const std::vector<std::pair<QByteArray, std::int32_t>> &partitions,
                                std::vector<std::int16_t> &partitionErrors)
{
    partitionErrors.clear();
    std::lock_guard lock(m_mutex);
    if (groupId.isEmpty())
        return error::InvalidGroupId;
    const auto g = m_groups.find(groupId);
    if (g == m_groups.end())
        return error::GroupIdNotFound;
    Group &group = g->second;
    // only a consumer group's members say which topics they consume
    if (!group.members.empty() && group.protocolType != "consumer")
        return error::NonEmptyGroup;
    const auto subscribed = subscribedTopics(group); // nullopt: every topic
    bool removed = false;
    for (const auto &key : partitions) {
        if (!group.members.empty() && (!subscribed || subscribed->count(key.first))) {
            partitionErrors.push_back(error::GroupSubscribedToTopic);
            continue;
        }
        removed = group.offsets.erase(key) > 0 || removed;
        partitionErrors.push_back(error::None);
    }
    if (group.members.empty() && group.offsets.empty() && !partitions.empty()) {
        // nothing is left of it: Kafka's group turns Dead (and after a restart it would be
        // gone too)
        m_groups.erase(g);
        removed = true;
    }
    if (removed)
        ++m_offsetVersion; // groups.json is saved again without them
    return error::None;
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
        MemberView member{memberId, m.clientId, m.clientHost, m.assignment, {}, m.lastSeenMs};
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

std::vector<GroupCoordinator::SavedOffset> GroupCoordinator::offsets() const
{
    std::lock_guard lock(m_mutex);
    std::vector<SavedOffset> result;
    for (const auto &[id, g] : m_groups)
        for (const auto &[key, committed] : g.offsets)
            result.push_back({id, key.first, key.second, committed});
    return result;
}

void GroupCoordinator::restore(const std::vector<SavedOffset> &offsets)
{
    std::lock_guard lock(m_mutex);
    for (const SavedOffset &o : offsets)
        m_groups[o.groupId].offsets[{o.topic, o.partition}] = o.committed;
}

std::uint64_t GroupCoordinator::offsetVersion() const
{
    std::lock_guard lock(m_mutex);
    return m_offsetVersion;
}

} // namespace rivulet::kafka
