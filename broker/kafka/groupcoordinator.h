#pragma once

#include "log/commitjournal.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

namespace rivulet::kafka {

// Kafka consumer groups with Rivulet as the only coordinator: membership, rebalances with
// the protocol chosen by vote, session timeouts and committed offsets, following Kafka's
// classic group protocol: static members (KIP-345, a group_instance_id that keeps its place
// across restarts) and the MEMBER_ID_REQUIRED round trip (KIP-394). Thread-safe; answers
// to JoinGroup and SyncGroup may come later, from whichever thread completes the round, so
// callbacks must hand their result to the right connection themselves. No callback runs
// under the coordinator's lock.
//
// One class because its jobs share one state under one mutex (a commit checks membership and
// generation atomically with a rebalance; a group lives while it has members or offsets), in
// three files by job: groupcoordinator.cpp the membership protocol (join, sync, heartbeat,
// leave, tick), groupoffsets.cpp committed offsets and their journal, groupviews.cpp the
// views for DescribeGroups, the window and the CLI.
class GroupCoordinator
{
public:
    struct Protocol
    {
        QByteArray name;
        QByteArray metadata;
    };
    // A member as the leader's JoinGroup answer lists it.
    struct JoinedMember
    {
        QByteArray memberId;
        std::optional<QByteArray> groupInstanceId; // set for a static member
        QByteArray metadata;                       // for the group's chosen protocol
    };
    struct JoinResult
    {
        std::int16_t error = 0;
        std::int32_t generation = -1;
        QByteArray protocol;
        QByteArray leader;
        QByteArray memberId; // with MemberIdRequired: the id to join again with
        // JoinGroup v9's skip_assignment: a static leader that came back to a stable group
        // gets the member list but must keep the current assignment
        bool skipAssignment = false;
        std::vector<JoinedMember> members; // leader only
    };
    struct SyncResult
    {
        std::int16_t error = 0;
        QByteArray assignment;
    };
    using JoinCallback = std::function<void(const JoinResult &)>;
    using SyncCallback = std::function<void(const SyncResult &)>;

    struct JoinRequest
    {
        QByteArray groupId;
        QByteArray memberId;
        QByteArray clientId;
        QString clientHost;
        std::int32_t sessionTimeoutMs = 10000;
        std::int32_t rebalanceTimeoutMs = 10000;
        QByteArray protocolType;
        std::vector<Protocol> protocols;
        std::optional<QByteArray> groupInstanceId; // JoinGroup v5+: a static member
        // JoinGroup v4+ (KIP-394): a dynamic member without an id is given one with
        // MemberIdRequired and must join again with it; before v4 it joins at once
        bool requireKnownMemberId = false;
        bool supportsSkipAssignment = false; // JoinGroup v9+
    };
    // A member named in LeaveGroup v3+: by member id, by group_instance_id, or both.
    struct LeaveMember
    {
        QByteArray memberId;
        std::optional<QByteArray> groupInstanceId;
    };
    struct Commit
    {
        QByteArray topic;
        std::int32_t partition = 0;
        std::int64_t offset = 0;
        QByteArray metadata;
    };
    struct CommittedOffset
    {
        std::int64_t offset = -1;
        QByteArray metadata;
        std::int64_t commitMs = 0; // when it was committed (0: not known)
    };
    // A group's committed offsets by topic and partition.
    using Offsets = std::map<std::pair<QByteArray, std::int32_t>, CommittedOffset>;

    // How long a new group waits for more members before its first round completes
    // (Kafka's group.initial.rebalance.delay.ms).
    explicit GroupCoordinator(std::int64_t initialRebalanceDelayMs = 3000);

    void join(JoinRequest request, std::int64_t nowMs, JoinCallback callback);
    // With a groupInstanceId (SyncGroup v3+, Heartbeat v3+, OffsetCommit v7+), the member id
    // must be the one that instance id now belongs to (else FencedInstanceId).
    void sync(const QByteArray &groupId, std::int32_t generation, const QByteArray &memberId,
              std::vector<std::pair<QByteArray, QByteArray>> assignments, std::int64_t nowMs,
              SyncCallback callback, const std::optional<QByteArray> &groupInstanceId = {});
    std::int16_t heartbeat(const QByteArray &groupId, std::int32_t generation,
                           const QByteArray &memberId, std::int64_t nowMs,
                           const std::optional<QByteArray> &groupInstanceId = {});
    // LeaveGroup v0-v2: one member by its id.
    std::int16_t leave(const QByteArray &groupId, const QByteArray &memberId, std::int64_t nowMs);
    // LeaveGroup v3+: each member leaves in turn; one error code per member, in order.
    std::vector<std::int16_t> leave(const QByteArray &groupId,
                                    const std::vector<LeaveMember> &members, std::int64_t nowMs);
    // All-or-nothing check of membership and generation, then every offset is stored.
    std::int16_t commit(const QByteArray &groupId, std::int32_t generation,
                        const QByteArray &memberId, const std::vector<Commit> &commits,
                        std::int64_t nowMs, const std::optional<QByteArray> &groupInstanceId = {});
    // For a transactional offset commit (TxnOffsetCommit): the same checks as commit(), but
    // nothing is stored; storeCommitted() stores them when the transaction commits.
    std::int16_t checkCommit(const QByteArray &groupId, std::int32_t generation,
                             const QByteArray &memberId,
                             const std::optional<QByteArray> &groupInstanceId = {}) const;
    // False (and why) when the journal could not record them; they are stored in memory all
    // the same (the transaction that staged them has committed) and saved with groups.json.
    bool storeCommitted(const QByteArray &groupId, const std::vector<Commit> &commits,
                        std::int64_t nowMs, QString &error);
    std::optional<CommittedOffset> committed(const QByteArray &groupId, const QByteArray &topic,
                                             std::int32_t partition) const;
    // Every offset the group has committed (none for a group the coordinator does not know).
    Offsets committedOffsets(const QByteArray &groupId) const;
    // Drops committed offsets, as Kafka's OffsetDelete. Returns the error of the whole group:
    // InvalidGroupId, GroupIdNotFound, or NonEmptyGroup while it has members of a protocol
    // type other than "consumer" (whose subscriptions cannot be read). Otherwise sets
    // partitionErrors, one per partition in order: GroupSubscribedToTopic when a member may
    // consume the topic, else None (deleted, or there was nothing to delete). A group left
    // without members and offsets is gone, as Kafka's turns Dead.
    std::int16_t deleteOffsets(const QByteArray &groupId,
                               const std::vector<std::pair<QByteArray, std::int32_t>> &partitions,
                               std::vector<std::int16_t> &partitionErrors);
    // Forgets a group and its committed offsets, as Kafka's DeleteGroups: refused with
    // NonEmptyGroup while it has members, GroupIdNotFound when there is no such group.
    std::int16_t deleteGroup(const QByteArray &groupId);
    // Expires silent members (and ids handed out with MemberIdRequired that nobody joined
    // with) and completes rebalances whose wait is over; call often (every ~100 ms).
    void tick(std::int64_t nowMs);

    // For the window and the CLI.
    struct MemberView
    {
        QByteArray memberId;
        QByteArray clientId;
        QString clientHost;
        QByteArray assignment;       // as the leader sent it (consumer protocol bytes)
        QByteArray metadata;         // what the member sent with the group's chosen protocol
        std::int64_t lastSeenMs = 0; // its last join, sync, heartbeat or commit
        std::optional<QByteArray> groupInstanceId; // set for a static member
    };
    struct GroupView
    {
        QByteArray groupId;
        QString state;
        QByteArray protocolType;
        QByteArray protocol;
        std::int32_t generation = 0;
        QByteArray leader;
        std::vector<MemberView> members;
        Offsets offsets;
        // the last time a member was heard from or an offset was committed (0: never)
        std::int64_t lastSeenMs = 0;
    };
    std::vector<GroupView> groups() const;
    // A member's assignment in Kafka's consumer protocol (ConsumerProtocolAssignment: int16
    // version, then topics with their partitions, in every version, never flexible), by
    // topic as sent; nullopt when the bytes are not one. No bytes: nothing assigned yet.
    using Assignment = std::vector<std::pair<QByteArray, std::vector<std::int32_t>>>;
    static std::optional<Assignment> consumerAssignment(const QByteArray &assignment);
    // One group, as groups() shows it; nullopt when the coordinator does not know it.
    std::optional<GroupView> group(const QByteArray &groupId) const;

    // Persistence of committed offsets (the broker saves them with its metadata).
    struct SavedOffset
    {
        QByteArray groupId;
        QByteArray topic;
        std::int32_t partition = 0;
        CommittedOffset committed;
    };
    std::vector<SavedOffset> offsets() const;
    void restore(const std::vector<SavedOffset> &offsets);
    // Where every change of committed offsets is written, under the coordinator's lock and
    // in the order it is made, before it is acknowledged (the broker's CommitJournal). A
    // commit whose changes cannot be written is undone and answered KAFKA_STORAGE_ERROR.
    using Journal = std::function<bool(const std::vector<OffsetChange> &, QString &)>;
    void setJournal(Journal journal);
    std::uint64_t offsetVersion() const;

private:
    enum class State
    {
        Empty,
        PreparingRebalance,
        CompletingRebalance,
        Stable
    };
    struct Member
    {
        QByteArray id;
        QByteArray clientId;
        QString clientHost;
        std::int32_t sessionTimeoutMs = 10000;
        std::int32_t rebalanceTimeoutMs = 10000;
        std::vector<Protocol> protocols;
        QByteArray assignment;
        std::int64_t lastSeenMs = 0;
        std::uint64_t joinOrder = 0;
        std::optional<QByteArray> instanceId; // a static member's group_instance_id
        JoinCallback pendingJoin;
        SyncCallback pendingSync;
    };
    struct Group
    {
        State state = State::Empty;
        QByteArray protocolType;
        QByteArray protocol;
        std::int32_t generation = 0;
        QByteArray leader;
        std::map<QByteArray, Member> members;
        // static members: group_instance_id -> the member id it belongs to now
        std::map<QByteArray, QByteArray> staticMembers;
        // ids handed out with MemberIdRequired, not yet joined with: id -> when it expires
        std::map<QByteArray, std::int64_t> pendingMembers;
        std::int64_t rebalanceDeadlineMs = 0;
        std::int64_t initialDelayUntilMs = 0;
        Offsets offsets;
        // the latest sign of life of a member that has gone, or of a commit or leave
        std::int64_t lastSeenMs = 0;
    };
    using Deferred = std::vector<std::function<void()>>;

    // The checks of Kafka's validateMember: None, UnknownMemberId or FencedInstanceId.
    static std::int16_t validateMember(const Group &group, const QByteArray &memberId,
                                       const std::optional<QByteArray> &instanceId);
    static void update(Member &member, JoinRequest &request, std::int64_t nowMs);
    void addMember(Group &group, JoinRequest &request, const QByteArray &memberId,
                   std::int64_t nowMs, JoinCallback callback, Deferred &deferred);
    void joinExistingMember(Group &group, JoinRequest &request, std::int64_t nowMs,
                            JoinCallback callback, Deferred &deferred);
    void replaceStaticMember(Group &group, JoinRequest &request, const QByteArray &newMemberId,
                             std::int64_t nowMs, JoinCallback callback, Deferred &deferred);
    // A member's join with the answer held for the next round (starting it if none runs).
    void rejoin(Group &group, Member &member, JoinRequest &request, std::int64_t nowMs,
                JoinCallback callback, Deferred &deferred);
    static JoinResult currentGeneration(const Group &group, const QByteArray &memberId,
                                        bool withMembers);
    static std::vector<JoinedMember> currentMembers(const Group &group);
    void prepareRebalance(Group &group, std::int64_t nowMs, bool newGroup, Deferred &deferred);
    void maybeCompleteJoin(Group &group, std::int64_t nowMs, Deferred &deferred);
    void completeJoin(Group &group, std::int64_t nowMs, Deferred &deferred);
    void removeMember(Group &group, const QByteArray &memberId, std::int64_t nowMs,
                      Deferred &deferred);
    static QByteArray chooseProtocol(const Group &group);
    // The topics the members of a consumer group subscribe to; nullopt: maybe any.
    static std::optional<std::set<QByteArray>> subscribedTopics(const Group &group);
    static QString stateName(State state);
    // Writes changes to the journal (under m_mutex); true when there is none to write to.
    bool journal(const QByteArray &groupId, const std::vector<Commit> &commits, std::int64_t nowMs,
                 QString &error);
    bool journal(std::vector<OffsetChange> changes, QString &error);
    static GroupView view(const QByteArray &groupId, const Group &group);

    const std::int64_t m_initialDelayMs;
    mutable std::mutex m_mutex;
    std::map<QByteArray, Group> m_groups;
    std::uint64_t m_nextJoinOrder = 0;
    std::uint64_t m_offsetVersion = 0;
    Journal m_journal;
};

} // namespace rivulet::kafka
