#pragma once

#include <QByteArray>
#include <QString>
#include <QStringView>

#include <cstdint>
#include <vector>

namespace rivulet {

namespace kafka {
class GroupCoordinator;
}

// Kafka consumer groups as the window and the CLI see them: plain values, with nothing that
// points into the broker, so that any source able to describe groups can fill them (the
// in-process broker's group coordinator here; a Kafka cluster's ListGroups, DescribeGroups
// and OffsetFetch answer the same fields).

// A group's state, as Kafka names it (DescribeGroups' group_state).
enum class GroupState
{
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
    Unknown, // a name this build does not know
};
// Kafka's name of the state ("Stable", "PreparingRebalance", …), and back.
QString groupStateName(GroupState state);
GroupState groupStateFromName(QStringView name);

// Partitions of one topic, in ascending order.
struct TopicPartitions
{
    QString topic;
    std::vector<int> partitions;
};

struct GroupMemberSnapshot
{
    QString memberId;
    QString groupInstanceId; // a static member's (KIP-345); empty for a dynamic one
    QString clientId;
    QString host;
    // What the leader assigned it, by topic name, decoded from Kafka's consumer protocol.
    // Empty before its first assignment, or when assignmentReadable is false (a group of
    // another protocol type, such as "connect", whose assignments are not topic lists).
    std::vector<TopicPartitions> assignment;
    bool assignmentReadable = true;
    std::int64_t lastSeenMs = 0; // its last join, sync, heartbeat or commit (0: not known)

    // "client-id (host)", or whichever of the two is known
    QString label() const;
};

struct GroupOffsetSnapshot
{
    QString topic;
    int partition = 0;
    std::int64_t offset = -1;
    QString metadata;
    std::int64_t commitMs = 0; // 0: not known
};

struct GroupSnapshot
{
    QByteArray groupId; // as the broker keys it (the id's bytes)
    GroupState state = GroupState::Empty;
    QString protocolType; // "consumer" for Kafka's consumers, or empty before any member
    QString protocol;     // the assignor the members agreed on ("range", …)
    int generation = 0;
    QString leaderId;
    std::vector<GroupMemberSnapshot> members; // by member id
    std::vector<GroupOffsetSnapshot> offsets; // by topic, then partition
    // the last time a member was heard from or an offset committed (0: never, or not known)
    std::int64_t lastSeenMs = 0;

    // The member whose assignment holds the partition, or nullptr.
    const GroupMemberSnapshot *owner(const QString &topic, int partition) const;
    // The group's committed offset in the partition, or nullptr.
    const GroupOffsetSnapshot *offset(const QString &topic, int partition) const;
};

// Every group the coordinator knows, by group id. Takes the coordinator's lock once.
std::vector<GroupSnapshot> takeGroupSnapshots(const kafka::GroupCoordinator &coordinator);

} // namespace rivulet
