// Request dispatch through the API table, and the APIs about the broker itself: ApiVersions
// (PROTOCOL.md §15.1) and DescribeCluster (§15.21).
#include "kafkahandler.h"

#include "broker.h"
#include "monitor/clientregistry.h"
#include "security/saslserver.h"

namespace rivulet::kafka {

KafkaHandler::KafkaHandler(Broker &broker, const KafkaConfig &config,
                           std::shared_ptr<ClientStats> stats, QString peerHost)
    : m_broker(broker), m_config(config), m_stats(std::move(stats)),
      m_peerHost(std::move(peerHost)),
      m_auth(usesSasl(config.security) ? Auth::NeedHandshake : Auth::Open)
{
}

KafkaHandler::~KafkaHandler() = default;

template <class Request>
KafkaHandler::Outcome KafkaHandler::decodeAndHandle(const Call &call, Reader &in)
{
    Request request;
    request.read(in, call.version());
    // The whole request is read before anything is done: a malformed one changes nothing.
    if (!in.ok())
        return {Outcome::Kind::Close,
                {},
                QStringLiteral("malformed %1 v%2 request")
                    .arg(QLatin1String(apiName(call.header.apiKey)))
                    .arg(call.version())};
    return handle(call, request);
}

KafkaHandler::Outcome KafkaHandler::handle(QByteArrayView frame, const Sink &sink)
{
    if (m_auth == Auth::RawTokens)
        return handleRawSaslToken(frame);
    Reader in(frame);
    RequestHeader h;
    h.apiKey = in.i16();
    h.apiVersion = in.i16();
    h.correlationId = in.i32();
    if (!in.ok())
        return {Outcome::Kind::Close, {}, QStringLiteral("request shorter than its header")};

    const ApiInfo *api = apiInfo(h.apiKey);
    const bool versionOk =
        api && h.apiVersion >= api->minVersion && h.apiVersion <= api->maxVersion;
    if (h.apiKey == std::int16_t(ApiKey::ApiVersions) && !versionOk) {
        // a newer client asks first in a version we do not speak: answer in v0 with
        // UNSUPPORTED_VERSION and our ranges, so it steps down (KIP-511)
        RequestHeader v0 = h;
        v0.apiVersion = 0;
        ApiVersionsRequest none;
        Call call{v0, sink};
        Outcome outcome = handle(call, none);
        // error_code is the body's first field, right after the correlation id
        outcome.response[4] = 0;
        outcome.response[5] = char(error::UnsupportedVersion);
        return outcome;
    }
    h.clientId = in.nullableString();
    h.flexible = versionOk && api->isFlexible(h.apiVersion);
    if (h.flexible) {
        // header v2: tagged fields, none of which Rivulet uses
        const std::int64_t tags = in.unsignedVarint();
        for (std::int64_t i = 0; i < tags && in.ok(); ++i) {
            in.unsignedVarint();
            in.skip(in.unsignedVarint());
        }
    }
    if (!in.ok())
        return {Outcome::Kind::Close, {}, QStringLiteral("malformed request header")};
    if (h.clientId && !h.clientId->isEmpty())
        m_stats->noteName(*h.clientId);
    if (!versionOk) {
        // As Kafka does with a request it cannot parse: the client sees the connection close
        // (and has asked ApiVersions first, so it only gets here by ignoring the answer).
        return {Outcome::Kind::Close,
                {},
                api ? QStringLiteral("%1 v%2 is not supported (Rivulet speaks v%3-v%4)")
                          .arg(QLatin1String(api->name))
                          .arg(h.apiVersion)
                          .arg(api->minVersion)
                          .arg(api->maxVersion)
                    : QStringLiteral("API key %1 is not supported").arg(h.apiKey)};
    }

    if (const QString refused = refusedBeforeAuthentication(h); !refused.isEmpty())
        return {Outcome::Kind::Close, {}, refused};

    const Call call{h, sink};
    switch (ApiKey(h.apiKey)) {
#define RIVULET_DISPATCH(Name)                                                                     \
    case ApiKey::Name:                                                                             \
        return decodeAndHandle<Name##Request>(call, in);
        RIVULET_KAFKA_APIS(RIVULET_DISPATCH)
#undef RIVULET_DISPATCH
    }
    return {Outcome::Kind::Close, {}, QStringLiteral("API key %1 is not supported").arg(h.apiKey)};
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, ApiVersionsRequest &request)
{
    if (!request.clientSoftwareName.isEmpty())
        m_stats->noteSoftware(request.clientSoftwareName, request.clientSoftwareVersion);
    ApiVersionsResponse response;
    for (const ApiInfo &api : kApiTable)
        response.apiKeys.push_back({std::int16_t(api.key), api.minVersion, api.maxVersion});
    // no finalized features: a single broker with nothing to negotiate (KIP-584)
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, DescribeClusterRequest &request)
{
    DescribeClusterResponse response;
    response.endpointType = request.endpointType;
    if (request.endpointType != 1) {
        // 2 = controllers: Rivulet has no separate controller listener
        response.errorCode = error::MismatchedEndpointType;
        response.errorMessage = QByteArray("Rivulet has only a broker endpoint");
        return call.respond(response);
    }
    response.clusterId = m_config.clusterId;
    response.controllerId = m_config.nodeId;
    response.brokers.push_back(
        {m_config.nodeId, m_config.advertisedHost.toUtf8(), m_config.port, std::nullopt});
    // Kafka without an authorizer reports the operations as not asked for
    return call.respond(response);
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

} // namespace rivulet::kafka
