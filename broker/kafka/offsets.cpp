// Committed offsets (PROTOCOL.md §15.12, §15.13): OffsetCommit, OffsetFetch and OffsetDelete,
// kept by the GroupCoordinator per group, topic and partition (and saved in groups.json).
#include "kafkahandler.h"

#include "broker.h"

namespace rivulet::kafka {
namespace {

// One group's answer to OffsetFetch, in the layout of the version (OffsetFetchResponseTopic
// before v8, OffsetFetchResponseTopics from v8): the partitions asked for, in request order,
// or with wanted null every partition the group has committed, by topic and partition.
template <class TopicOut, class TopicIn>
std::vector<TopicOut> fetchedOffsets(const GroupCoordinator::Offsets &offsets,
                                     const std::optional<std::vector<TopicIn>> &wanted)
{
    using PartitionOut = typename decltype(TopicOut::partitions)::value_type;
    auto partition = [](std::int32_t index, const GroupCoordinator::CommittedOffset *c) {
        PartitionOut p;
        p.partitionIndex = index;
        p.committedOffset = c ? c->offset : -1;
        p.committedLeaderEpoch = -1; // not kept: clients then skip their epoch check
        // with nothing committed, metadata is empty rather than null, as Kafka's
        p.metadata = c ? c->metadata : QByteArray();
        p.errorCode = error::None;
        return p;
    };
    std::vector<TopicOut> topics;
    if (!wanted) {
        for (const auto &[key, committed] : offsets) {
            if (topics.empty() || topics.back().name != key.first)
                topics.emplace_back().name = key.first;
            topics.back().partitions.push_back(partition(key.second, &committed));
        }
        return topics;
    }
    for (const auto &t : *wanted) {
        TopicOut &out = topics.emplace_back();
        out.name = t.name;
        for (std::int32_t index : t.partitionIndexes) {
            const auto c = offsets.find({t.name, index});
            out.partitions.push_back(partition(index, c == offsets.end() ? nullptr : &c->second));
        }
    }
    return topics;
}

} // namespace

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, OffsetCommitRequest &request)
{
    // v0 has no generation nor member id: their defaults (-1, "") make it a commit outside
    // any generation, as from a consumer that assigns partitions itself. Not used:
    // commit_timestamp (v1; the broker's clock is), retention_time_ms (v2-v4; offsets are
    // kept until the group is deleted), committed_leader_epoch (v6+). group_instance_id (v7+)
    // must belong to member_id (else 82 FENCED_INSTANCE_ID). v9 is v8 for classic groups.
    std::vector<GroupCoordinator::Commit> commits;
    for (const auto &t : request.topics)
        for (const auto &p : t.partitions)
            commits.push_back({t.name, p.partitionIndex, p.committedOffset,
                               p.committedMetadata.value_or(QByteArray())});
    // one check for the whole request: every partition gets its answer
    const std::int16_t code = m_broker.groups().commit(
        request.groupId, request.generationIdOrMemberEpoch, request.memberId, commits,
        Broker::nowMs(), request.groupInstanceId);
    OffsetCommitResponse response;
    for (const auto &t : request.topics) {
        auto &out = response.topics.emplace_back();
        out.name = t.name;
        for (const auto &p : t.partitions)
            out.partitions.push_back({p.partitionIndex, code});
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, OffsetFetchRequest &request)
{
    // require_stable (v7+) is not honoured yet: Kafka answers 88 UNSTABLE_OFFSET_COMMIT for a
    // partition whose offsets an open transaction has staged; Rivulet answers the committed
    // offset (staged ones are stored only when their transaction commits).
    // member_id and member_epoch (v9) are for KIP-848 groups; a classic group ignores them.
    OffsetFetchResponse response;
    if (call.version() >= 8) {
        // several groups, each with topics null meaning all it has committed
        for (const auto &g : request.groups) {
            auto &out = response.groups.emplace_back();
            out.groupId = g.groupId;
            out.topics = fetchedOffsets<
                OffsetFetchResponse::OffsetFetchResponseGroup::OffsetFetchResponseTopics>(
                m_broker.groups().committedOffsets(g.groupId), g.topics);
        }
        return call.respond(response);
    }
    // topics null means all from v2; before, it is read as empty, as it always was
    if (!request.topics && call.version() < 2)
        request.topics.emplace();
    response.topics = fetchedOffsets<OffsetFetchResponse::OffsetFetchResponseTopic>(
        m_broker.groups().committedOffsets(request.groupId), request.topics);
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, OffsetDeleteRequest &request)
{
    std::vector<std::pair<QByteArray, std::int32_t>> partitions;
    for (const auto &t : request.topics)
        for (const auto &p : t.partitions)
            partitions.emplace_back(t.name, p.partitionIndex);
    // Topics are not checked (Kafka answers 3 for an unknown one): Rivulet keeps a deleted
    // topic's committed offsets, and this is how to drop them without the whole group.
    std::vector<std::int16_t> errors;
    OffsetDeleteResponse response;
    response.errorCode = m_broker.groups().deleteOffsets(request.groupId, partitions, errors);
    if (response.errorCode != error::None)
        return call.respond(response); // a group-level error has no topics, as in Kafka
    auto code = errors.begin();
    for (const auto &t : request.topics) {
        auto &out = response.topics.emplace_back();
        out.name = t.name;
        for (const auto &p : t.partitions)
            out.partitions.push_back({p.partitionIndex, *code++});
    }
    return call.respond(response);
}

} // namespace rivulet::kafka
