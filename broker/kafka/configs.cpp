// Topic and broker configs for the admin tools people point at a Kafka broker (Kafka UI,
// AKHQ, Redpanda Console, kafka-python's and confluent-kafka's admin clients):
// DescribeConfigs (PROTOCOL.md §15.18), AlterConfigs and IncrementalAlterConfigs (§15.19).
// Only a topic's retention can change; everything else is set on the command line.
#include "kafkahandler.h"

#include "broker.h"

#include <algorithm>

namespace rivulet::kafka {

using ConfigDescription =
    DescribeConfigsResponse::DescribeConfigsResult::DescribeConfigsResourceResult;

namespace {

// Resource types (ConfigResource.Type), config sources (DescribeConfigsResponse.ConfigSource)
// and config types (DescribeConfigs v3+, ConfigType), from the Kafka schemas.
constexpr std::int8_t kTopicResource = 2;
constexpr std::int8_t kBrokerResource = 4;
constexpr std::int8_t kTopicConfig = 1;
constexpr std::int8_t kStaticBrokerConfig = 4;
constexpr std::int8_t kDefaultConfig = 5;
constexpr std::int8_t kBooleanType = 1;
constexpr std::int8_t kStringType = 2;
constexpr std::int8_t kIntType = 3;
constexpr std::int8_t kLongType = 5;
constexpr std::int8_t kListType = 7;

// IncrementalAlterConfigs' config_operation
constexpr std::int8_t kSet = 0;
constexpr std::int8_t kDelete = 1;
constexpr std::int8_t kAppend = 2;
constexpr std::int8_t kSubtract = 3;

// Where a value comes from: set on the topic, set on the command line, or built in.
std::int8_t sourceOf(std::int64_t value, std::int64_t brokerValue, std::int64_t builtIn,
                     bool topicLevel)
{
    if (topicLevel && value != brokerValue)
        return kTopicConfig;
    return brokerValue == builtIn ? kDefaultConfig : kStaticBrokerConfig;
}

// retention.ms / retention.bytes: -1 (keep everything) or more.
bool parseRetention(const std::optional<QByteArray> &value, std::int64_t &out)
{
    bool ok = false;
    const std::int64_t v = value ? value->trimmed().toLongLong(&ok) : 0;
    if (!ok || v < -1)
        return false;
    out = v;
    return true;
}

// The documentation goes out only when asked for (v3+), as in Kafka: it is most of an answer.
ConfigDescription describeConfig(const char *name, QByteArray value, bool readOnly,
                                 std::int8_t source, std::int8_t type, const char *documentation,
                                 bool withDocumentation)
{
    ConfigDescription d;
    d.name = name;
    d.value = std::move(value);
    d.readOnly = readOnly;
    d.isDefault = source == kDefaultConfig;
    d.configSource = source;
    d.configType = type;
    if (withDocumentation)
        d.documentation = QByteArray(documentation);
    return d;
}

QByteArray number(std::int64_t v)
{
    return QByteArray::number(v);
}

// The broker's settings, all fixed at start-up.
std::vector<ConfigDescription> brokerConfigs(const KafkaConfig &kafka, const BrokerConfig &config,
                                             bool withDocumentation)
{
    const BrokerConfig builtIn;
    const KafkaConfig kafkaBuiltIn;
    std::vector<ConfigDescription> entries;
    auto add = [&](const char *name, QByteArray value, std::int8_t source, std::int8_t type,
                   const char *documentation) {
        entries.push_back(describeConfig(name, std::move(value), true, source, type, documentation,
                                         withDocumentation));
    };
    auto setting = [&](const char *name, std::int64_t value, std::int64_t builtInValue,
                       std::int8_t type, const char *documentation) {
        add(name, number(value), value == builtInValue ? kDefaultConfig : kStaticBrokerConfig, type,
            documentation);
    };
    setting("broker.id", kafka.nodeId, kafkaBuiltIn.nodeId, kIntType,
            "This broker's node id. Rivulet is a single broker: it is its own controller and "
            "the coordinator of every group.");
    setting("num.partitions", kafka.defaultPartitions, kafkaBuiltIn.defaultPartitions, kIntType,
            "The partition count of topics created without one (--default-partitions).");
    setting("default.replication.factor", 1, 1, kIntType, "Always 1: Rivulet is a single broker.");
    add("auto.create.topics.enable", kafka.autoCreateTopics ? "true" : "false",
        kafka.autoCreateTopics == kafkaBuiltIn.autoCreateTopics ? kDefaultConfig
                                                                : kStaticBrokerConfig,
        kBooleanType,
        "Whether a topic a client asks for (Metadata, Produce) is created when it does not "
        "exist (off with --no-auto-create).");
    setting("log.retention.ms", config.defaultRetention.retentionMs,
            builtIn.defaultRetention.retentionMs, kLongType,
            "The retention by age of new topics (--retention-ms); -1 keeps everything.");
    setting("log.retention.bytes", config.defaultRetention.retentionBytes,
            builtIn.defaultRetention.retentionBytes, kLongType,
            "The retention by size per partition of new topics (--retention-bytes); -1 keeps "
            "everything.");
    setting("log.segment.bytes", config.log.segmentBytes, builtIn.log.segmentBytes, kIntType,
            "The size at which a partition starts a new segment file, for every topic "
            "(--segment-bytes).");
    add("log.cleanup.policy", "delete", kDefaultConfig, kListType,
        "Always delete: old segments are deleted, never compacted.");
    setting("socket.request.max.bytes", kafka.maxFrameBytes, kafkaBuiltIn.maxFrameBytes, kIntType,
            "The largest Kafka request accepted; a larger one closes the connection.");
    add("advertised.listeners",
        "PLAINTEXT://" + kafka.advertisedHost.toUtf8() + ':' + QByteArray::number(kafka.port),
        kStaticBrokerConfig, kStringType,
        "Where clients are told to connect (--advertised-host and --kafka-port).");
    return entries;
}

// What AlterConfigs and IncrementalAlterConfigs ask of one config (AlterConfigs only sets).
struct ConfigChange
{
    QByteArray name;
    std::int8_t operation = kSet;
    std::optional<QByteArray> value;
};

struct AlterResult
{
    std::int16_t code = error::None;
    std::optional<QByteArray> message; // null on success
};

// AlterConfigs replaces a topic's whole config (what is not named goes back to its default);
// IncrementalAlterConfigs changes only what it names. Only retention.ms and retention.bytes
// can change; cleanup.policy may be "set" to delete, the one policy Rivulet has. A resource
// is changed all at once or not at all.
AlterResult alterResource(Broker &broker, std::int8_t type, const QByteArray &name,
                          const std::vector<ConfigChange> &changes, bool incremental,
                          bool validateOnly)
{
    std::int16_t code = error::None;
    QByteArray message;
    const auto topic = type == kTopicResource ? broker.topics().find(name) : nullptr;
    if (type == kBrokerResource) {
        code = error::InvalidRequest;
        message = "Rivulet's broker settings are fixed at start-up (command-line options)";
    } else if (type != kTopicResource) {
        code = error::InvalidRequest;
        message = "unsupported resource type " + QByteArray::number(type);
    } else if (const QString problem = topicNameProblem(name); !problem.isEmpty()) {
        code = error::InvalidTopic;
        message = problem.toUtf8();
    } else if (!topic) {
        code = error::UnknownTopicOrPartition;
        message = "unknown topic '" + name + "'";
    }
    const RetentionPolicy &defaults = broker.config().defaultRetention;
    RetentionPolicy retention = incremental && topic ? topic->retention() : defaults;
    for (const ConfigChange &c : changes) {
        if (code != error::None)
            break;
        const bool remove = incremental ? c.operation == kDelete : !c.value;
        const bool isMs = c.name == "retention.ms";
        if (c.operation < kSet || c.operation > kSubtract) {
            code = error::InvalidRequest;
            message = "unknown config operation " + QByteArray::number(c.operation);
        } else if (isMs || c.name == "retention.bytes") {
            std::int64_t &field = isMs ? retention.retentionMs : retention.retentionBytes;
            if (c.operation >= kAppend) {
                code = error::InvalidConfig;
                message = c.name + " is not a list: it can only be set or deleted";
            } else if (remove) {
                field = isMs ? defaults.retentionMs : defaults.retentionBytes;
            } else if (!parseRetention(c.value, field)) {
                code = error::InvalidConfig;
                message = "invalid value for " + c.name + ": '" + c.value.value_or("null") +
                          "' (a whole number, -1 for no limit)";
            }
        } else if (c.name == "cleanup.policy") {
            if (c.operation != kDelete && c.value && c.value->trimmed() != "delete") {
                code = error::InvalidConfig;
                message = "Rivulet only deletes old segments: cleanup.policy must be delete";
            }
        } else if (c.name == "segment.bytes") {
            code = error::InvalidConfig;
            message = "segment.bytes is broker-wide in Rivulet (--segment-bytes)";
        } else {
            code = error::InvalidConfig;
            message = "unknown or unsupported topic config '" + c.name + "'";
        }
    }
    if (code == error::None && !validateOnly) {
        QString why;
        if (!broker.setRetention(name, retention, why)) {
            // the topic may have been deleted since it was looked up
            code = broker.topics().find(name) ? error::KafkaStorageError
                                              : error::UnknownTopicOrPartition;
            message = why.toUtf8();
        }
    }
    if (code == error::None)
        return {};
    return {code, message};
}

} // namespace

// A topic's configs as DescribeConfigs lists them; CreateTopics v5+ (topics.cpp) answers with
// the same, so that both always agree.
std::vector<ConfigDescription>
topicConfigs(const BrokerConfig &config, const RetentionPolicy &retention, bool withDocumentation)
{
    const BrokerConfig builtIn;
    const RetentionPolicy &brokerDefault = config.defaultRetention;
    std::vector<ConfigDescription> entries = {
        describeConfig("cleanup.policy", "delete", true, kDefaultConfig, kListType,
                       "Always delete: whole old segments are deleted by retention.ms and "
                       "retention.bytes. Rivulet does not compact.",
                       withDocumentation),
        describeConfig("retention.ms", number(retention.retentionMs), false,
                       sourceOf(retention.retentionMs, brokerDefault.retentionMs,
                                builtIn.defaultRetention.retentionMs, true),
                       kLongType,
                       "A segment is deleted once its newest record is older than this many "
                       "milliseconds; -1 keeps data of any age. The segment being written to "
                       "is never deleted.",
                       withDocumentation),
        describeConfig("retention.bytes", number(retention.retentionBytes), false,
                       sourceOf(retention.retentionBytes, brokerDefault.retentionBytes,
                                builtIn.defaultRetention.retentionBytes, true),
                       kLongType,
                       "The oldest segments of a partition are deleted while it would still "
                       "hold this many bytes without them; -1 sets no limit.",
                       withDocumentation),
        describeConfig("segment.bytes", number(config.log.segmentBytes), true,
                       sourceOf(config.log.segmentBytes, config.log.segmentBytes,
                                builtIn.log.segmentBytes, false),
                       kIntType,
                       "The size at which a partition starts a new segment file; the same for "
                       "every topic (--segment-bytes).",
                       withDocumentation),
    };
    // v0's is_default: not set on the topic (a command-line default counts as a default here)
    for (ConfigDescription &e : entries)
        e.isDefault = e.configSource != kTopicConfig;
    return entries;
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, DescribeConfigsRequest &request)
{
    // include_synonyms is not looked at: Rivulet has no synonyms to list
    DescribeConfigsResponse response;
    for (const auto &r : request.resources) {
        auto &result = response.results.emplace_back();
        result.resourceType = r.resourceType;
        result.resourceName = r.resourceName;
        if (r.resourceType == kTopicResource) {
            const auto topic = m_broker.topics().find(r.resourceName);
            if (const QString problem = topicNameProblem(r.resourceName); !problem.isEmpty()) {
                result.errorCode = error::InvalidTopic;
                result.errorMessage = problem.toUtf8();
            } else if (!topic) {
                result.errorCode = error::UnknownTopicOrPartition;
                result.errorMessage = "unknown topic '" + r.resourceName + "'";
            } else {
                result.configs = topicConfigs(m_broker.config(), topic->retention(),
                                              request.includeDocumentation);
            }
        } else if (r.resourceType == kBrokerResource) {
            // "" asks for the cluster-wide dynamic defaults, of which Rivulet has none
            if (!r.resourceName.isEmpty() &&
                r.resourceName != QByteArray::number(m_config.nodeId)) {
                result.errorCode = error::InvalidRequest;
                result.errorMessage = "this broker is node " + QByteArray::number(m_config.nodeId) +
                                      ", not '" + r.resourceName + "'";
            } else if (!r.resourceName.isEmpty()) {
                result.configs =
                    brokerConfigs(m_config, m_broker.config(), request.includeDocumentation);
            }
        } else {
            result.errorCode = error::InvalidRequest;
            result.errorMessage = "unsupported resource type " + QByteArray::number(r.resourceType);
        }
        if (r.configurationKeys) {
            const std::vector<QByteArray> &keys = *r.configurationKeys;
            std::erase_if(result.configs, [&](const ConfigDescription &e) {
                return std::find(keys.begin(), keys.end(), e.name) == keys.end();
            });
        }
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, AlterConfigsRequest &request)
{
    AlterConfigsResponse response;
    for (const auto &r : request.resources) {
        std::vector<ConfigChange> changes;
        for (const auto &c : r.configs)
            changes.push_back({c.name, kSet, c.value});
        auto result = alterResource(m_broker, r.resourceType, r.resourceName, changes, false,
                                    request.validateOnly);
        response.responses.push_back({.errorCode = result.code,
                                      .errorMessage = std::move(result.message),
                                      .resourceType = r.resourceType,
                                      .resourceName = r.resourceName});
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call,
                                           IncrementalAlterConfigsRequest &request)
{
    IncrementalAlterConfigsResponse response;
    for (const auto &r : request.resources) {
        std::vector<ConfigChange> changes;
        for (const auto &c : r.configs)
            changes.push_back({c.name, c.configOperation, c.value});
        auto result = alterResource(m_broker, r.resourceType, r.resourceName, changes, true,
                                    request.validateOnly);
        response.responses.push_back({.errorCode = result.code,
                                      .errorMessage = std::move(result.message),
                                      .resourceType = r.resourceType,
                                      .resourceName = r.resourceName});
    }
    return call.respond(response);
}

} // namespace rivulet::kafka
