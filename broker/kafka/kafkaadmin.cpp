// Admin APIs for the tools people point at a Kafka broker (Kafka UI, AKHQ, Redpanda Console,
// Offset Explorer, kafka-python's and confluent-kafka's admin clients, kcat): list and
// describe and delete consumer groups, delete topics, describe and alter topic configs. Every
// version here is below its API's first flexible version.
#include "kafkahandler.h"

#include "broker.h"

#include <algorithm>
#include <limits>

namespace rivulet::kafka {
namespace {

// DescribeConfigs resource types and config sources (from the Kafka schemas and
// ConfigResource / DescribeConfigsResponse.ConfigSource).
constexpr std::int8_t kTopicResource = 2;
constexpr std::int8_t kBrokerResource = 4;
constexpr std::int8_t kTopicConfig = 1;
constexpr std::int8_t kStaticBrokerConfig = 4;
constexpr std::int8_t kDefaultConfig = 5;

// AclOperation codes READ (3), DELETE (6) and DESCRIBE (8): what a Kafka broker without an
// authorizer reports as allowed on a group.
constexpr std::int32_t kGroupOperations = (1 << 3) | (1 << 6) | (1 << 8);
constexpr std::int32_t kOperationsNotAsked = std::numeric_limits<std::int32_t>::min();

struct ConfigEntry
{
    QByteArray name;
    QByteArray value;
    bool readOnly = true;
    std::int8_t source = kDefaultConfig;
};

// A nullable array of strings (null reads as nullopt).
std::optional<std::vector<QByteArray>> nullableStrings(Reader &in)
{
    const std::int32_t count = in.i32();
    if (!in.ok() || count == -1)
        return std::nullopt;
    std::vector<QByteArray> names;
    if (count < 0 || count > in.remaining() / 2) {
        in.fail();
        return names;
    }
    for (std::int32_t i = 0; i < count && in.ok(); ++i)
        names.push_back(in.string());
    return names;
}

// An array of names, each kept once: answers keyed by name give one answer per name,
// however often a request repeats it, as Kafka does.
std::vector<QByteArray> distinctStrings(Reader &in)
{
    std::vector<QByteArray> names;
    const std::int32_t count = in.arrayCount(2);
    for (std::int32_t i = 0; i < count && in.ok(); ++i) {
        QByteArray name = in.string();
        if (std::find(names.begin(), names.end(), name) == names.end())
            names.push_back(std::move(name));
    }
    return names;
}

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

} // namespace

QByteArray KafkaHandler::listGroups(const RequestHeader &h, Reader &)
{
    const auto groups = m_broker.groups().groups();
    QByteArray out = begin(h);
    Writer w(out);
    if (h.apiVersion >= 1)
        w.i32(0); // throttle_time_ms
    w.i16(error::None).array(std::int32_t(groups.size()));
    for (const auto &g : groups)
        w.string(g.groupId).string(g.protocolType);
    return out;
}

QByteArray KafkaHandler::describeGroups(const RequestHeader &h, Reader &in)
{
    std::vector<QByteArray> ids;
    const std::int32_t count = in.arrayCount(2);
    for (std::int32_t i = 0; i < count && in.ok(); ++i)
        ids.push_back(in.string());
    const bool includeOperations = h.apiVersion >= 3 && in.boolean();
    if (!in.ok())
        return {};

    QByteArray out = begin(h);
    Writer w(out);
    if (h.apiVersion >= 1)
        w.i32(0);
    w.array(std::int32_t(ids.size()));
    for (const QByteArray &id : ids) {
        // a group the coordinator does not know is "Dead", without an error, as in Kafka
        const auto g = m_broker.groups().group(id);
        // like Kafka, the protocol, member metadata and assignments only once Stable
        const bool stable = g && g->state == QLatin1String("Stable");
        w.i16(error::None)
            .string(id)
            .text(g ? g->state : QStringLiteral("Dead"))
            .string(g ? g->protocolType : QByteArray())
            .string(stable ? g->protocol : QByteArray())
            .array(g ? std::int32_t(g->members.size()) : 0);
        if (g) {
            for (const auto &m : g->members) {
                w.string(m.memberId);
                if (h.apiVersion >= 4)
                    w.nullableString(std::nullopt); // group_instance_id: no static members
                w.string(m.clientId)
                    .text(m.clientHost)
                    .bytes(stable ? QByteArrayView(m.metadata) : QByteArrayView())
                    .bytes(stable ? QByteArrayView(m.assignment) : QByteArrayView());
            }
        }
        if (h.apiVersion >= 3)
            w.i32(includeOperations ? kGroupOperations : kOperationsNotAsked);
    }
    return out;
}

QByteArray KafkaHandler::deleteTopics(const RequestHeader &h, Reader &in)
{
    const std::vector<QByteArray> names = distinctStrings(in);
    in.i32(); // timeout_ms: deletion is done before we answer
    if (!in.ok())
        return {};

    QByteArray out = begin(h);
    Writer w(out);
    if (h.apiVersion >= 1)
        w.i32(0);
    w.array(std::int32_t(names.size()));
    for (const QByteArray &name : names) {
        std::int16_t code = error::None;
        QString why;
        if (!m_broker.topics().find(name))
            code = error::UnknownTopicOrPartition;
        else if (!m_broker.deleteTopic(name, why))
            code = error::KafkaStorageError; // gone from the registry, its files maybe not
        w.string(name).i16(code);
    }
    return out;
}

QByteArray KafkaHandler::deleteGroups(const RequestHeader &h, Reader &in)
{
    // v0 and v1 are the same: [groups_names] -> throttle_time_ms [group_id error_code]
    const std::vector<QByteArray> ids = distinctStrings(in);
    if (!in.ok())
        return {};
    QByteArray out = begin(h);
    Writer w(out);
    w.i32(0).array(std::int32_t(ids.size()));
    for (const QByteArray &id : ids)
        w.string(id).i16(m_broker.groups().deleteGroup(id));
    return out;
}

QByteArray KafkaHandler::describeConfigs(const RequestHeader &h, Reader &in)
{
    struct Resource
    {
        std::int8_t type;
        QByteArray name;
        std::optional<std::vector<QByteArray>> keys;
    };
    std::vector<Resource> resources;
    const std::int32_t count = in.arrayCount(1 + 2 + 4);
    for (std::int32_t i = 0; i < count && in.ok(); ++i) {
        Resource r;
        r.type = in.i8();
        r.name = in.string();
        r.keys = nullableStrings(in);
        resources.push_back(std::move(r));
    }
    if (h.apiVersion >= 1)
        in.boolean(); // include_synonyms: Rivulet has no synonyms to list
    if (!in.ok())
        return {};

    const BrokerConfig builtIn;
    const KafkaConfig kafkaBuiltIn;
    const BrokerConfig &config = m_broker.config();
    QByteArray out = begin(h);
    Writer w(out);
    w.i32(0).array(std::int32_t(resources.size()));
    for (const Resource &r : resources) {
        std::int16_t code = error::None;
        std::optional<QByteArray> message;
        std::vector<ConfigEntry> entries;
        auto number = [](std::int64_t v) { return QByteArray::number(v); };
        if (r.type == kTopicResource) {
            const auto topic = m_broker.topics().find(r.name);
            if (!topicNameProblem(r.name).isEmpty()) {
                code = error::InvalidTopic;
                message = topicNameProblem(r.name).toUtf8();
            } else if (!topic) {
                code = error::UnknownTopicOrPartition;
                message = "unknown topic '" + r.name + "'";
            } else {
                const RetentionPolicy retention = topic->retention();
                const RetentionPolicy &brokerDefault = config.defaultRetention;
                entries = {
                    {"cleanup.policy", "delete", true, kDefaultConfig},
                    {"retention.ms", number(retention.retentionMs), false,
                     sourceOf(retention.retentionMs, brokerDefault.retentionMs,
                              builtIn.defaultRetention.retentionMs, true)},
                    {"retention.bytes", number(retention.retentionBytes), false,
                     sourceOf(retention.retentionBytes, brokerDefault.retentionBytes,
                              builtIn.defaultRetention.retentionBytes, true)},
                    {"segment.bytes", number(config.log.segmentBytes), true,
                     sourceOf(config.log.segmentBytes, config.log.segmentBytes,
                              builtIn.log.segmentBytes, false)},
                };
            }
        } else if (r.type == kBrokerResource) {
            // "" asks for the cluster-wide dynamic defaults, of which Rivulet has none
            if (!r.name.isEmpty() && r.name != QByteArray::number(m_config.nodeId)) {
                code = error::InvalidRequest;
                message = "this broker is node " + QByteArray::number(m_config.nodeId) + ", not '" +
                          r.name + "'";
            } else if (!r.name.isEmpty()) {
                auto broker = [&](const char *name, std::int64_t value, std::int64_t defaultValue) {
                    entries.push_back(
                        {name, number(value), true,
                         value == defaultValue ? kDefaultConfig : kStaticBrokerConfig});
                };
                broker("broker.id", m_config.nodeId, kafkaBuiltIn.nodeId);
                broker("num.partitions", m_config.defaultPartitions,
                       kafkaBuiltIn.defaultPartitions);
                broker("default.replication.factor", 1, 1);
                entries.push_back({"auto.create.topics.enable",
                                   m_config.autoCreateTopics ? "true" : "false", true,
                                   m_config.autoCreateTopics == kafkaBuiltIn.autoCreateTopics
                                       ? kDefaultConfig
                                       : kStaticBrokerConfig});
                broker("log.retention.ms", config.defaultRetention.retentionMs,
                       builtIn.defaultRetention.retentionMs);
                broker("log.retention.bytes", config.defaultRetention.retentionBytes,
                       builtIn.defaultRetention.retentionBytes);
                broker("log.segment.bytes", config.log.segmentBytes, builtIn.log.segmentBytes);
                entries.push_back({"log.cleanup.policy", "delete", true, kDefaultConfig});
                broker("socket.request.max.bytes", m_config.maxFrameBytes,
                       kafkaBuiltIn.maxFrameBytes);
                entries.push_back({"advertised.listeners",
                                   "PLAINTEXT://" + m_config.advertisedHost.toUtf8() + ':' +
                                       QByteArray::number(m_config.port),
                                   true, kStaticBrokerConfig});
            }
        } else {
            code = error::InvalidRequest;
            message = "unsupported resource type " + QByteArray::number(r.type);
        }
        if (r.keys)
            std::erase_if(entries, [&](const ConfigEntry &e) {
                return std::find(r.keys->begin(), r.keys->end(), e.name) == r.keys->end();
            });

        w.i16(code).nullableString(message).i8(r.type).string(r.name).array(
            std::int32_t(entries.size()));
        for (const ConfigEntry &e : entries) {
            w.string(e.name).nullableString(e.value).boolean(e.readOnly);
            if (h.apiVersion == 0) // is_default: not set on the topic, nor on the command line
                w.boolean(e.source == kDefaultConfig ||
                          (r.type == kTopicResource && e.source == kStaticBrokerConfig));
            else
                w.i8(e.source);
            w.boolean(false); // is_sensitive
            if (h.apiVersion >= 1)
                w.array(0); // synonyms
        }
    }
    return out;
}

// AlterConfigs replaces a topic's whole config (what is not named goes back to its default);
// IncrementalAlterConfigs changes only what it names. Only retention.ms and retention.bytes
// can change; cleanup.policy may be "set" to delete, the one policy Rivulet has.
QByteArray KafkaHandler::alterConfigs(const RequestHeader &h, Reader &in, bool incremental)
{
    struct Change
    {
        QByteArray name;
        std::int8_t operation = 0; // SET 0, DELETE 1, APPEND 2, SUBTRACT 3
        std::optional<QByteArray> value;
    };
    struct Resource
    {
        std::int8_t type;
        QByteArray name;
        std::vector<Change> changes;
    };
    std::vector<Resource> resources;
    const std::int32_t count = in.arrayCount(1 + 2 + 4);
    for (std::int32_t i = 0; i < count && in.ok(); ++i) {
        Resource r;
        r.type = in.i8();
        r.name = in.string();
        const std::int32_t changes = in.arrayCount(incremental ? 2 + 1 + 2 : 2 + 2);
        for (std::int32_t c = 0; c < changes && in.ok(); ++c) {
            Change change;
            change.name = in.string();
            if (incremental)
                change.operation = in.i8();
            change.value = in.nullableString();
            r.changes.push_back(std::move(change));
        }
        resources.push_back(std::move(r));
    }
    const bool validateOnly = in.boolean();
    if (!in.ok())
        return {};

    QByteArray out = begin(h);
    Writer w(out);
    w.i32(0).array(std::int32_t(resources.size()));
    for (const Resource &r : resources) {
        std::int16_t code = error::None;
        QByteArray message;
        const auto topic = r.type == kTopicResource ? m_broker.topics().find(r.name) : nullptr;
        if (r.type == kBrokerResource) {
            code = error::InvalidRequest;
            message = "Rivulet's broker settings are fixed at start-up (command-line options)";
        } else if (r.type != kTopicResource) {
            code = error::InvalidRequest;
            message = "unsupported resource type " + QByteArray::number(r.type);
        } else if (!topicNameProblem(r.name).isEmpty()) {
            code = error::InvalidTopic;
            message = topicNameProblem(r.name).toUtf8();
        } else if (!topic) {
            code = error::UnknownTopicOrPartition;
            message = "unknown topic '" + r.name + "'";
        }
        RetentionPolicy retention =
            incremental && topic ? topic->retention() : m_broker.config().defaultRetention;
        const RetentionPolicy &defaults = m_broker.config().defaultRetention;
        for (const Change &c : r.changes) {
            if (code != error::None)
                break;
            const bool remove = incremental ? c.operation == 1 : !c.value;
            const bool isMs = c.name == "retention.ms";
            if (c.operation < 0 || c.operation > 3) {
                code = error::InvalidRequest;
                message = "unknown config operation " + QByteArray::number(c.operation);
            } else if (isMs || c.name == "retention.bytes") {
                std::int64_t &field = isMs ? retention.retentionMs : retention.retentionBytes;
                if (c.operation >= 2) {
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
                if (c.operation != 1 && c.value && c.value->trimmed() != "delete") {
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
            if (!m_broker.setRetention(r.name, retention, why)) {
                code = m_broker.topics().find(r.name) ? error::KafkaStorageError
                                                      : error::UnknownTopicOrPartition;
                message = why.toUtf8();
            }
        }
        w.i16(code)
            .nullableString(code == error::None ? std::nullopt : std::optional(message))
            .i8(r.type)
            .string(r.name);
    }
    return out;
}

} // namespace rivulet::kafka
