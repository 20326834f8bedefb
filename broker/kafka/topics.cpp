// Creating and deleting topics from Kafka clients and admin tools: CreateTopics
// (PROTOCOL.md §15.6) and DeleteTopics (§15.17).
#include "kafkahandler.h"

#include "broker.h"

#include <algorithm>

namespace rivulet::kafka {

namespace {

// A topic id as Kafka's tools print it (Uuid.toString: URL-safe base64, no padding), so that
// an id in a message can be compared with what the client sent.
QByteArray kafkaText(const QUuid &id)
{
    return id.toRfc4122().toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

} // namespace

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, CreateTopicsRequest &request)
{
    const BrokerConfig &brokerConfig = m_broker.config();
    CreateTopicsResponse response;
    for (const auto &t : request.topics) {
        // Only retention and the delete policy mean something to Rivulet; other configs are
        // accepted and ignored, so that tools which always send a few still work.
        RetentionPolicy retention = brokerConfig.defaultRetention;
        bool retentionSet = false;
        QByteArray badConfig;
        for (const auto &c : t.configs) {
            const QByteArray value = c.value.value_or(QByteArray());
            bool ok = true;
            if (c.name == "retention.ms") {
                retention.retentionMs = value.toLongLong(&ok);
                retentionSet = true;
            } else if (c.name == "retention.bytes") {
                retention.retentionBytes = value.toLongLong(&ok);
                retentionSet = true;
            } else if (c.name == "cleanup.policy" && value != "delete") {
                ok = false; // compaction is not something Rivulet does
            }
            if (!ok && badConfig.isEmpty())
                badConfig = c.name + '=' + value;
        }

        auto &r = response.topics.emplace_back();
        r.name = t.name;
        const std::int32_t partitions =
            t.numPartitions == -1 ? m_config.defaultPartitions : t.numPartitions;
        std::shared_ptr<Topic> created;
        if (const QString problem = topicNameProblem(t.name); !problem.isEmpty()) {
            r.errorCode = error::InvalidTopic;
            r.errorMessage = problem.toUtf8();
        } else if (t.replicationFactor != -1 && t.replicationFactor != 1) {
            r.errorCode = error::InvalidReplicationFactor;
            r.errorMessage = "Rivulet is a single broker: the replication factor can only be 1";
        } else if (!t.assignments.empty()) {
            r.errorCode = error::InvalidRequest;
            r.errorMessage = "manual replica assignment is not supported";
        } else if (partitions < 1 || partitions > kMaxPartitions) {
            r.errorCode = error::InvalidPartitions;
            r.errorMessage = QByteArray("the number of partitions must be between 1 and ") +
                             QByteArray::number(kMaxPartitions);
        } else if (!badConfig.isEmpty()) {
            r.errorCode = error::InvalidConfig;
            r.errorMessage = "unsupported topic config " + badConfig;
        } else if (m_broker.topics().find(t.name)) {
            r.errorCode = error::TopicAlreadyExists;
            r.errorMessage = "topic '" + t.name + "' already exists";
        } else if (!request.validateOnly) {
            const auto result = m_broker.createTopic(
                t.name, partitions, retentionSet ? std::optional(retention) : std::nullopt);
            if (result.outcome == TopicRegistry::CreateOutcome::AlreadyExists ||
                result.outcome == TopicRegistry::CreateOutcome::Conflict) {
                r.errorCode = error::TopicAlreadyExists;
                r.errorMessage = "topic '" + t.name + "' already exists";
            } else if (result.outcome == TopicRegistry::CreateOutcome::Invalid) {
                r.errorCode = error::InvalidRequest;
                r.errorMessage = result.error.toUtf8();
            } else {
                created = result.topic;
            }
        }

        if (call.version() < 5)
            continue;
        // v5+: what the topic was created with (or would be, with validate_only), so that
        // the client needs no DescribeConfigs; Kafka sends an empty list with an error.
        r.configs.emplace();
        if (r.errorCode != error::None)
            continue;
        r.numPartitions = partitions;
        r.replicationFactor = 1;
        if (created)
            r.topicId = created->id(); // v7; a topic only validated has none
        for (auto &c :
             topicConfigs(brokerConfig, created ? created->retention() : retention, false)) {
            r.configs->push_back({.name = std::move(c.name),
                                  .value = std::move(c.value),
                                  .readOnly = c.readOnly,
                                  .configSource = c.configSource,
                                  .isSensitive = c.isSensitive});
        }
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, DeleteTopicsRequest &request)
{
    // v6 names each topic by name or by id (the id wins when both are given, as with Kafka's
    // KRaft controller); before, by name only. Each topic is answered once however often it is
    // named, in the order it was first named.
    struct Wanted
    {
        std::optional<QByteArray> name;
        QUuid id;
        bool operator==(const Wanted &o) const
        {
            return id.isNull() ? o.id.isNull() && name == o.name : id == o.id;
        }
    };
    std::vector<Wanted> wanted;
    auto want = [&](Wanted w) {
        if (std::find(wanted.begin(), wanted.end(), w) == wanted.end())
            wanted.push_back(std::move(w));
    };
    if (call.version() >= 6) {
        for (const auto &t : request.topics)
            want({t.topicId.isNull() ? t.name : std::nullopt, t.topicId});
    } else {
        for (const QByteArray &name : request.topicNames)
            want({name, {}});
    }

    // timeout_ms is not looked at: a deletion is done before the answer goes out
    DeleteTopicsResponse response;
    for (const Wanted &w : wanted) {
        auto &r = response.responses.emplace_back();
        r.name = w.name;
        r.topicId = w.id;
        std::shared_ptr<Topic> topic;
        if (!w.id.isNull()) {
            topic = m_broker.topics().find(w.id);
            if (!topic) {
                r.errorCode = error::UnknownTopicId;
                r.errorMessage = "unknown topic id " + kafkaText(w.id);
                continue;
            }
            r.name = topic->name().toUtf8();
        } else {
            topic = m_broker.topics().find(r.name.value_or(QByteArray()));
            if (!topic) {
                r.errorCode = error::UnknownTopicOrPartition;
                r.errorMessage = r.name ? "unknown topic '" + *r.name + "'"
                                        : QByteArray("neither a topic name nor an id given");
                continue;
            }
            r.topicId = topic->id();
        }
        QString why;
        if (!m_broker.deleteTopic(*r.name, why)) {
            // gone from the registry, its files maybe not
            r.errorCode = error::KafkaStorageError;
            r.errorMessage = why.toUtf8();
        }
    }
    return call.respond(response);
}

} // namespace rivulet::kafka
