// Metadata (PROTOCOL.md §15.2) and OffsetForLeaderEpoch (§15.22): where partitions live. One
// broker leads every partition, at leader epoch 0, for ever.
#include "kafkahandler.h"

#include "broker.h"

namespace rivulet::kafka {

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, MetadataRequest &request)
{
    const std::int16_t v = call.version();
    // v0: an empty list means all topics; v1+: null means all, empty means none
    const bool all = !request.topics || (v == 0 && request.topics->empty());
    struct Entry
    {
        std::optional<QByteArray> name;
        QUuid id;
        std::int16_t error = 0;
        std::shared_ptr<Topic> topic;
    };
    std::vector<Entry> entries;
    if (all) {
        for (const auto &topic : m_broker.topics().topics())
            entries.push_back({topic->name().toLatin1(), topic->id(), 0, topic});
    } else {
        for (const auto &wanted : *request.topics) {
            Entry e;
            if (wanted.name) {
                e.name = *wanted.name;
                e.topic = topicFor(*wanted.name, request.allowAutoTopicCreation, e.error);
            } else {
                // v10+: by topic id, never created
                e.id = wanted.topicId;
                e.topic = m_broker.topics().find(wanted.topicId);
                e.error = e.topic ? error::None : error::UnknownTopicId;
            }
            if (e.topic) {
                e.name = e.topic->name().toLatin1();
                e.id = e.topic->id();
            }
            entries.push_back(std::move(e));
        }
    }

    MetadataResponse response;
    response.brokers.push_back(
        {m_config.nodeId, m_config.advertisedHost.toUtf8(), m_config.port, std::nullopt});
    response.clusterId = m_config.clusterId;
    response.controllerId = m_config.nodeId;
    for (const Entry &e : entries) {
        MetadataResponse::MetadataResponseTopic t;
        t.errorCode = e.error;
        // before v12 the name is not nullable: an unknown id answers with an empty name
        t.name = e.name;
        t.topicId = e.id;
        const int partitions = e.topic ? e.topic->partitionCount() : 0;
        for (int p = 0; p < partitions; ++p) {
            MetadataResponse::MetadataResponseTopic::MetadataResponsePartition part;
            part.partitionIndex = p;
            part.leaderId = m_config.nodeId;
            part.leaderEpoch = 0;
            part.replicaNodes = {m_config.nodeId};
            part.isrNodes = {m_config.nodeId};
            t.partitions.push_back(std::move(part));
        }
        response.topics.push_back(std::move(t));
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, OffsetForLeaderEpochRequest &request)
{
    // Every record was written in epoch 0. Asked for the end of epoch 0 (or an unknown older
    // one, which clients send as -1), the answer is the log end; a newer epoch than ours is
    // one this broker never led.
    OffsetForLeaderEpochResponse response;
    for (const auto &wanted : request.topics) {
        OffsetForLeaderEpochResponse::OffsetForLeaderTopicResult t;
        t.topic = wanted.topic;
        const auto topic = m_broker.topics().find(wanted.topic);
        for (const auto &wp : wanted.partitions) {
            OffsetForLeaderEpochResponse::OffsetForLeaderTopicResult::EpochEndOffset r;
            r.partition = wp.partition;
            const Partition *p = topic ? topic->partition(wp.partition) : nullptr;
            if (!p) {
                r.errorCode = error::UnknownTopicOrPartition;
            } else if (wp.currentLeaderEpoch > 0) {
                r.errorCode = error::UnknownLeaderEpoch;
            } else if (wp.leaderEpoch > 0) {
                r.leaderEpoch = -1;
                r.endOffset = -1;
            } else {
                r.leaderEpoch = 0;
                r.endOffset = p->endOffset();
            }
            t.partitions.push_back(r);
        }
        response.topics.push_back(std::move(t));
    }
    return call.respond(response);
}

} // namespace rivulet::kafka
