#include "kafkahandler.h"

#include "broker.h"
#include "monitor/clientregistry.h"

namespace rivulet::kafka {

KafkaHandler::KafkaHandler(Broker &broker, const KafkaConfig &config,
                           std::shared_ptr<ClientStats> stats, QString peerHost)
    : m_broker(broker), m_config(config), m_stats(std::move(stats)), m_peerHost(std::move(peerHost))
{
}

KafkaHandler::~KafkaHandler() = default;

QByteArray KafkaHandler::begin(const RequestHeader &h)
{
    QByteArray out;
    out.reserve(64);
    Writer(out).i32(h.correlationId);
    return out;
}

KafkaHandler::Outcome KafkaHandler::handle(QByteArrayView frame, const Sink &sink)
{
    Reader in(frame);
    RequestHeader h;
    h.apiKey = in.i16();
    h.apiVersion = in.i16();
    h.correlationId = in.i32();
    if (!in.ok())
        return {Outcome::Kind::Close, {}, QStringLiteral("request shorter than its header")};

    const auto range = supportedRange(h.apiKey);
    const bool versionOk = range && h.apiVersion >= range->min && h.apiVersion <= range->max;
    if (h.apiKey == std::int16_t(ApiKey::ApiVersions) && !versionOk) {
        // a newer client asks first in a version we do not speak: answer in v0 with
        // UNSUPPORTED_VERSION and our ranges, so it steps down (KIP-511)
        RequestHeader v0 = h;
        v0.apiVersion = 0;
        QByteArray out = begin(h);
        Writer w(out);
        w.i16(error::UnsupportedVersion).array(std::int32_t(std::size(kSupportedApis)));
        for (const ApiRange &r : kSupportedApis)
            w.i16(std::int16_t(r.key)).i16(r.min).i16(r.max);
        return {Outcome::Kind::Respond, out, {}};
    }
    h.clientId = in.nullableString();
    if (!in.ok())
        return {Outcome::Kind::Close, {}, QStringLiteral("malformed request header")};
    if (h.clientId && !h.clientId->isEmpty())
        m_stats->noteName(*h.clientId);
    if (!versionOk) {
        // Where the answer's layout is simple and known (see unsupportedVersionBody), say
        // UNSUPPORTED_VERSION; otherwise close, as Kafka does with a request it cannot parse.
        if (auto body = unsupportedVersionBody(h.apiKey, h.apiVersion))
            return {Outcome::Kind::Respond, begin(h) + *body, {}};
        return {Outcome::Kind::Close,
                {},
                range ? QStringLiteral("%1 v%2 is not supported (Rivulet speaks v%3-v%4)")
                            .arg(QLatin1String(apiName(h.apiKey)))
                            .arg(h.apiVersion)
                            .arg(range->min)
                            .arg(range->max)
                      : QStringLiteral("API key %1 is not supported").arg(h.apiKey)};
    }

    Outcome outcome;
    switch (ApiKey(h.apiKey)) {
    case ApiKey::ApiVersions:
        outcome.response = apiVersions(h, in);
        break;
    case ApiKey::Metadata:
        outcome.response = metadata(h, in);
        break;
    case ApiKey::CreateTopics:
        outcome.response = createTopics(h, in);
        break;
    case ApiKey::FindCoordinator:
        outcome.response = findCoordinator(h, in);
        break;
    case ApiKey::Produce:
        outcome = produce(h, in);
        break;
    case ApiKey::Fetch:
        outcome = fetch(h, in);
        break;
    case ApiKey::ListOffsets:
        outcome.response = listOffsets(h, in);
        break;
    case ApiKey::JoinGroup:
        outcome = joinGroup(h, in, sink);
        break;
    case ApiKey::SyncGroup:
        outcome = syncGroup(h, in, sink);
        break;
    case ApiKey::Heartbeat:
        outcome.response = heartbeat(h, in);
        break;
    case ApiKey::LeaveGroup:
        outcome.response = leaveGroup(h, in);
        break;
    case ApiKey::OffsetCommit:
        outcome.response = offsetCommit(h, in);
        break;
    case ApiKey::OffsetFetch:
        outcome.response = offsetFetch(h, in);
        break;
    case ApiKey::ListGroups:
        outcome.response = listGroups(h, in);
        break;
    case ApiKey::DescribeGroups:
        outcome.response = describeGroups(h, in);
        break;
    case ApiKey::DeleteTopics:
        outcome.response = deleteTopics(h, in);
        break;
    case ApiKey::DeleteGroups:
        outcome.response = deleteGroups(h, in);
        break;
    case ApiKey::DescribeConfigs:
        outcome.response = describeConfigs(h, in);
        break;
    case ApiKey::AlterConfigs:
        outcome.response = alterConfigs(h, in, false);
        break;
    case ApiKey::IncrementalAlterConfigs:
        outcome.response = alterConfigs(h, in, true);
        break;
    }
    if (!in.ok())
        return {Outcome::Kind::Close,
                {},
                QStringLiteral("malformed %1 v%2 request")
                    .arg(QLatin1String(apiName(h.apiKey)))
                    .arg(h.apiVersion)};
    return outcome;
}

QByteArray KafkaHandler::apiVersions(const RequestHeader &h, Reader &)
{
    QByteArray out = begin(h);
    Writer w(out);
    w.i16(error::None).array(std::int32_t(std::size(kSupportedApis)));
    for (const ApiRange &r : kSupportedApis)
        w.i16(std::int16_t(r.key)).i16(r.min).i16(r.max);
    if (h.apiVersion >= 1)
        w.i32(0); // throttle_time_ms
    return out;
}

std::shared_ptr<Topic> KafkaHandler::topicFor(const QByteArray &name, bool mayCreate,
                                              std::int16_t &error)
{
    error = error::None;
    if (auto topic = m_broker.topics().find(name))
        return topic;
    if (!topicNameProblem(name).isEmpty()) {
        error = error::InvalidTopic;
        return nullptr;
    }
    if (!mayCreate || !m_config.autoCreateTopics) {
        error = error::UnknownTopicOrPartition;
        return nullptr;
    }
    const auto result = m_broker.createTopic(name, m_config.defaultPartitions);
    if (!result.topic)
        error = error::UnknownTopicOrPartition;
    return result.topic;
}

QByteArray KafkaHandler::metadata(const RequestHeader &h, Reader &in)
{
    // v0: an empty list means all topics; v1+: null means all, empty means none
    std::vector<QByteArray> requested;
    bool all = false;
    const std::int32_t count = in.i32();
    if (count == -1 && h.apiVersion >= 1) {
        all = true;
    } else if (count < 0 || count > in.remaining() / 2) {
        in.fail();
        return {};
    } else {
        for (std::int32_t i = 0; i < count; ++i)
            requested.push_back(in.string());
        all = count == 0 && h.apiVersion == 0;
    }
    const bool allowCreate = h.apiVersion >= 4 ? in.boolean() : true;
    if (!in.ok())
        return {}; // read it all before creating anything

    struct Entry
    {
        QByteArray name;
        std::int16_t error = 0;
        std::shared_ptr<Topic> topic;
    };
    std::vector<Entry> entries;
    if (all) {
        for (const auto &topic : m_broker.topics().topics())
            entries.push_back({topic->name().toLatin1(), 0, topic});
    } else {
        for (const QByteArray &name : requested) {
            Entry e{name, 0, nullptr};
            e.topic = topicFor(name, allowCreate, e.error);
            entries.push_back(e);
        }
    }

    QByteArray out = begin(h);
    Writer w(out);
    if (h.apiVersion >= 3)
        w.i32(0); // throttle_time_ms
    w.array(1).i32(m_config.nodeId).text(m_config.advertisedHost).i32(m_config.port);
    if (h.apiVersion >= 1)
        w.nullableString(std::nullopt); // rack
    if (h.apiVersion >= 2)
        w.nullableString(m_config.clusterId);
    if (h.apiVersion >= 1)
        w.i32(m_config.nodeId); // controller
    w.array(std::int32_t(entries.size()));
    for (const Entry &e : entries) {
        w.i16(e.error).string(e.name);
        if (h.apiVersion >= 1)
            w.boolean(false); // is_internal
        const int partitions = e.topic ? e.topic->partitionCount() : 0;
        w.array(partitions);
        for (int p = 0; p < partitions; ++p)
            w.i16(error::None)
                .i32(p)
                .i32(m_config.nodeId)
                .array(1)
                .i32(m_config.nodeId)
                .array(1)
                .i32(m_config.nodeId);
    }
    return out;
}

QByteArray KafkaHandler::findCoordinator(const RequestHeader &h, Reader &in)
{
    in.string(); // key (group id)
    if (h.apiVersion >= 1)
        in.i8(); // key type: groups and transactions both land here
    QByteArray out = begin(h);
    Writer w(out);
    if (h.apiVersion >= 1)
        w.i32(0);
    w.i16(error::None);
    if (h.apiVersion >= 1)
        w.nullableString(std::nullopt);
    w.i32(m_config.nodeId).text(m_config.advertisedHost).i32(m_config.port);
    return out;
}

QByteArray KafkaHandler::createTopics(const RequestHeader &h, Reader &in)
{
    struct Result
    {
        QByteArray name;
        std::int16_t error = 0;
        std::optional<QByteArray> message;
    };
    std::vector<Result> results;
    const std::int32_t count = in.arrayCount(2 + 4 + 2 + 4 + 4);
    struct Wanted
    {
        QByteArray name;
        std::int32_t partitions;
        std::int16_t replication;
        bool assignments;
        std::optional<RetentionPolicy> retention;
        QByteArray badConfig;
    };
    std::vector<Wanted> wanted;
    for (std::int32_t i = 0; i < count && in.ok(); ++i) {
        Wanted t;
        t.name = in.string();
        t.partitions = in.i32();
        t.replication = in.i16();
        const std::int32_t assignments = in.arrayCount(8);
        t.assignments = assignments > 0;
        for (std::int32_t a = 0; a < assignments && in.ok(); ++a) {
            in.i32();
            const std::int32_t brokers = in.arrayCount(4);
            for (std::int32_t b = 0; b < brokers; ++b)
                in.i32();
        }
        const std::int32_t configs = in.arrayCount(4);
        RetentionPolicy retention = m_broker.config().defaultRetention;
        bool retentionSet = false;
        for (std::int32_t c = 0; c < configs && in.ok(); ++c) {
            const QByteArray key = in.string();
            const QByteArray value = in.nullableString().value_or(QByteArray());
            bool ok = true;
            if (key == "retention.ms") {
                retention.retentionMs = value.toLongLong(&ok);
                retentionSet = true;
            } else if (key == "retention.bytes") {
                retention.retentionBytes = value.toLongLong(&ok);
                retentionSet = true;
            } else if (key == "cleanup.policy" && value != "delete") {
                ok = false; // compaction is not something Rivulet does
            }
            if (!ok && t.badConfig.isEmpty())
                t.badConfig = key + '=' + value;
        }
        if (retentionSet)
            t.retention = retention;
        wanted.push_back(std::move(t));
    }
    in.i32(); // timeout_ms
    const bool validateOnly = h.apiVersion >= 1 && in.boolean();
    if (!in.ok())
        return {};

    for (const Wanted &t : wanted) {
        Result r{t.name, error::None, std::nullopt};
        const std::int32_t partitions =
            t.partitions == -1 ? m_config.defaultPartitions : t.partitions;
        if (const QString problem = topicNameProblem(t.name); !problem.isEmpty()) {
            r.error = error::InvalidTopic;
            r.message = problem.toUtf8();
        } else if (t.replication != -1 && t.replication != 1) {
            r.error = error::InvalidReplicationFactor;
            r.message = "Rivulet is a single broker: the replication factor can only be 1";
        } else if (t.assignments) {
            r.error = error::InvalidRequest;
            r.message = "manual replica assignment is not supported";
        } else if (partitions < 1 || partitions > TopicRegistry::kMaxPartitions) {
            r.error = error::InvalidPartitions;
            r.message = QByteArray("the number of partitions must be between 1 and ") +
                        QByteArray::number(TopicRegistry::kMaxPartitions);
        } else if (!t.badConfig.isEmpty()) {
            r.error = error::InvalidConfig;
            r.message = "unsupported topic config " + t.badConfig;
        } else if (m_broker.topics().find(t.name)) {
            r.error = error::TopicAlreadyExists;
            r.message = "topic '" + t.name + "' already exists";
        } else if (!validateOnly) {
            const auto created = m_broker.createTopic(t.name, partitions, t.retention);
            if (created.outcome == TopicRegistry::CreateOutcome::AlreadyExists ||
                created.outcome == TopicRegistry::CreateOutcome::Conflict) {
                r.error = error::TopicAlreadyExists;
                r.message = "topic '" + t.name + "' already exists";
            } else if (created.outcome == TopicRegistry::CreateOutcome::Invalid) {
                r.error = error::InvalidRequest;
                r.message = created.error.toUtf8();
            }
        }
        results.push_back(r);
    }

    QByteArray out = begin(h);
    Writer w(out);
    if (h.apiVersion >= 2)
        w.i32(0);
    w.array(std::int32_t(results.size()));
    for (const Result &r : results) {
        w.string(r.name).i16(r.error);
        if (h.apiVersion >= 1)
            w.nullableString(r.message);
    }
    return out;
}

} // namespace rivulet::kafka
