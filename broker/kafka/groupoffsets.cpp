// GroupCoordinator, committed offsets: OffsetCommit and the commits a transaction stores,
// OffsetFetch, OffsetDelete and DeleteGroups (which drop offsets), and their persistence:
// every change goes to the commit journal under the coordinator's lock before it is
// acknowledged, and offsets()/restore() are what groups.json holds. The membership checks a
// commit makes are groupcoordinator.cpp's.
#include "groupcoordinator.h"

#include "protocol.h"
#include "wire.h"

#include <algorithm>
#include <set>

namespace rivulet::kafka {
namespace {

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

std::int16_t GroupCoordinator::commit(const QByteArray &groupId, std::int32_t generation,
                                      const QByteArray &memberId,
                                      const std::vector<Commit> &commits, std::int64_t nowMs,
                                      const std::optional<QByteArray> &groupInstanceId)
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
        if (const std::int16_t code = validateMember(group, memberId, groupInstanceId))
            return code;
        auto m = group.members.find(memberId);
        if (generation != group.generation)
            return error::IllegalGeneration;
        // Like Kafka: commits still count while the group prepares a rebalance (members
        // learn of it from heartbeats), but not between JoinGroup and SyncGroup.
        if (group.state == State::CompletingRebalance)
            return error::RebalanceInProgress;
        m->second.lastSeenMs = nowMs;
    }
    // applied first, then journaled under the same lock: the journal's order is this order
    std::vector<std::pair<Offsets::key_type, std::optional<CommittedOffset>>> before;
    for (const Commit &c : commits) {
        const Offsets::key_type key{c.topic, c.partition};
        const auto old = group.offsets.find(key);
        before.emplace_back(key, old == group.offsets.end()
                                     ? std::nullopt
                                     : std::optional<CommittedOffset>(old->second));
        group.offsets[key] = {c.offset, c.metadata, nowMs};
    }
    QString why;
    if (!journal(groupId, commits, nowMs, why)) {
        qWarning("rivulet: commit of group %s not stored: %s", groupId.constData(),
                 qPrintable(why));
        for (auto it = before.rbegin(); it != before.rend(); ++it) {
            if (it->second)
                group.offsets[it->first] = *it->second;
            else
                group.offsets.erase(it->first);
        }
        if (group.members.empty() && group.offsets.empty())
            m_groups.erase(found);
        return error::KafkaStorageError;
    }
    group.lastSeenMs = std::max(group.lastSeenMs, nowMs);
    ++m_offsetVersion;
    return error::None;
}

std::int16_t GroupCoordinator::checkCommit(const QByteArray &groupId, std::int32_t generation,
                                           const QByteArray &memberId,
                                           const std::optional<QByteArray> &groupInstanceId) const
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
    if (const std::int16_t code = validateMember(group, memberId, groupInstanceId))
        return code;
    if (generation != group.generation)
        return error::IllegalGeneration;
    return error::None;
}

bool GroupCoordinator::storeCommitted(const QByteArray &groupId, const std::vector<Commit> &commits,
                                      std::int64_t nowMs, QString &error)
{
    std::lock_guard lock(m_mutex);
    Group &group = m_groups[groupId];
    for (const Commit &c : commits)
        group.offsets[{c.topic, c.partition}] = {c.offset, c.metadata, nowMs};
    group.lastSeenMs = std::max(group.lastSeenMs, nowMs);
    ++m_offsetVersion;
    return journal(groupId, commits, nowMs, error);
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
    std::vector<OffsetChange> changes;
    for (const auto &key : partitions) {
        if (!group.members.empty() && (!subscribed || subscribed->count(key.first))) {
            partitionErrors.push_back(error::GroupSubscribedToTopic);
            continue;
        }
        if (group.offsets.erase(key) > 0) {
            removed = true;
            changes.push_back(OffsetChange::removal(OffsetChange::Kind::GroupOffsetDeleted, groupId,
                                                    key.first, key.second));
        }
        partitionErrors.push_back(error::None);
    }
    if (group.members.empty() && group.offsets.empty() && !partitions.empty()) {
        // nothing is left of it: Kafka's group turns Dead (and after a restart it would be
        // gone too)
        m_groups.erase(g);
        removed = true;
        changes.push_back(OffsetChange::removal(OffsetChange::Kind::GroupDeleted, groupId));
    }
    if (removed)
        ++m_offsetVersion; // groups.json is saved again without them
    QString why;
    if (!journal(std::move(changes), why))
        qWarning("rivulet: deleting offsets of group %s not journaled (groups.json is saved "
                 "without them within seconds): %s",
                 groupId.constData(), qPrintable(why));
    return error::None;
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
    QString why;
    if (!journal({OffsetChange::removal(OffsetChange::Kind::GroupDeleted, groupId)}, why))
        qWarning("rivulet: deleting group %s not journaled (groups.json is saved without it "
                 "within seconds): %s",
                 groupId.constData(), qPrintable(why));
    return error::None;
}

bool GroupCoordinator::journal(const QByteArray &groupId, const std::vector<Commit> &commits,
                               std::int64_t nowMs, QString &error)
{
    if (!m_journal)
        return true; // nothing to build the changes for
    std::vector<OffsetChange> changes;
    changes.reserve(commits.size());
    for (const Commit &c : commits)
        changes.push_back(
            OffsetChange::groupOffset(groupId, c.topic, c.partition, c.offset, c.metadata, nowMs));
    return journal(std::move(changes), error);
}

bool GroupCoordinator::journal(std::vector<OffsetChange> changes, QString &error)
{
    return !m_journal || changes.empty() || m_journal(changes, error);
}

void GroupCoordinator::setJournal(Journal journal)
{
    std::lock_guard lock(m_mutex);
    m_journal = std::move(journal);
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
