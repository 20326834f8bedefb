#pragma once

#include "groupcoordinator.h"
#include "protocol.h"
#include "security/securityprotocol.h"
#include "security/tlssettings.h"
#include "wire.h"

#include <QString>

#include <functional>
#include <limits>
#include <memory>

namespace rivulet {
class Broker;
struct BrokerConfig;
struct RetentionPolicy;
class ClientStats;
class Partition;
class Topic;
class SaslServer;
class UserStore;
} // namespace rivulet

namespace rivulet::kafka {

struct KafkaConfig
{
    std::int32_t nodeId = 0;
    QString advertisedHost = QStringLiteral("127.0.0.1");
    quint16 port = 9092;
    QByteArray clusterId = "rivulet";
    bool autoCreateTopics = true;
    int defaultPartitions = 1;
    std::int32_t maxFrameBytes = kDefaultMaxFrameBytes;
    // The listener's security; SASL listeners check passwords against users.
    SecurityProtocol security = SecurityProtocol::Plaintext;
    std::shared_ptr<UserStore> users;
    // TLS listeners (SSL, SASL_SSL): the server's certificate, key and client verification.
    std::shared_ptr<const QSslConfiguration> tls;
    TlsClientAuth tlsClientAuth = TlsClientAuth::None;
};

// Carries out Kafka requests for one connection. A request is decoded whole by the API table
// (kafkamessages.h) and handed to the handle() overload for its API; most answers are
// immediate, JoinGroup/SyncGroup answers come through the sink later, and a Fetch with no
// data waits (the session calls retryFetch() until it answers). Like a Kafka broker, the
// session reads the connection's next request only once the current one is answered.
//
// One handle() per API, in a file named after the API or its family: kafkahandler.cpp
// (ApiVersions, DescribeCluster), metadata.cpp, produce.cpp, fetch.cpp, listoffsets.cpp,
// groups.cpp, offsets.cpp, groupadmin.cpp, topics.cpp, partitions.cpp (CreatePartitions,
// DeleteRecords), configs.cpp, transactions.cpp, cluster.cpp (ACLs, quotas, elections,
// reassignments, log dirs) and sasl.cpp (SaslHandshake, SaslAuthenticate, and the gate that
// keeps a SASL listener's connection to those and ApiVersions until it is authenticated).
class KafkaHandler
{
public:
    // Delivers a deferred response (correlation id + body); callable from any thread.
    using Sink = std::function<void(QByteArray response)>;

    struct Outcome
    {
        enum class Kind
        {
            Respond,
            NoResponse,
            Deferred,
            WaitForData,
            Close,
            RespondAndClose // send response, then close for reason (a refused login)
        };
        Kind kind = Kind::Respond;
        QByteArray response; // Respond: correlation id + body
        QString reason;      // Close: why
    };

    KafkaHandler(Broker &broker, const KafkaConfig &config, std::shared_ptr<ClientStats> stats,
                 QString peerHost);
    ~KafkaHandler();

    Outcome handle(QByteArrayView frame, const Sink &sink);
    // For a Fetch that is waiting: the response once there is data or the wait is over.
    std::optional<QByteArray> retryFetch(std::int64_t nowMs);
    // How many bytes the connection may queue for the next answer: a Fetch carries no more
    // records than this (nor than its max_bytes or the broker's fetchMaxBytes), except its
    // first batch, as Kafka's rules have it.
    void setReplyRoom(qint64 bytes) { m_replyRoom = bytes; }
    // After a SaslHandshake v0 the client sends its SASL tokens as bare size-delimited
    // frames, not requests (any size, even under a request header's 8 bytes).
    bool expectsRawSaslToken() const { return m_auth == Auth::RawTokens; }
    // "User:NAME" once authenticated, else "ANONYMOUS" (Kafka's principal names).
    QString principal() const;
    // SSL listener: the client's verified certificate names it (SASL, if the listener has
    // it, names it instead once authenticated).
    void setCertificateSubject(const QString &subject) { m_user = subject; }

private:
    // What a handler knows of its request besides the body.
    struct Call
    {
        const RequestHeader &header;
        const Sink &sink;
        std::int16_t version() const { return header.apiVersion; }
        template <class Response> Outcome respond(const Response &r) const
        {
            return {Outcome::Kind::Respond, encodeResponse(header, r), {}};
        }
    };

#define RIVULET_DECLARE_HANDLER(Name) Outcome handle(const Call &call, Name##Request &request);
    RIVULET_KAFKA_APIS(RIVULET_DECLARE_HANDLER)
#undef RIVULET_DECLARE_HANDLER

    template <class Request> Outcome decodeAndHandle(const Call &call, Reader &in);

    // fetch.cpp: a Fetch that waits for data
    struct PendingFetch
    {
        RequestHeader header;
        std::int32_t minBytes = 1;
        std::int32_t maxBytes = 0;
        bool readCommitted = false;
        std::int64_t deadlineMs = 0;
        // the request's topics, resolved once: by name (v4-12) or by topic id (v13+)
        struct Topic
        {
            QByteArray name;
            QUuid id;
            std::vector<FetchRequest::FetchTopic::FetchPartition> partitions;
        };
        std::vector<Topic> topics;
        std::int16_t sessionError = error::None;
    };
    std::shared_ptr<rivulet::Topic> current(const PendingFetch::Topic &t) const;
    std::optional<QByteArray> answerFetch(PendingFetch &f, std::int64_t nowMs, bool final);

    // sasl.cpp
    enum class Auth
    {
        Open,          // not a SASL listener, or authenticated
        NeedHandshake, // a SASL listener's new connection
        NeedToken,     // mechanism chosen (SaslHandshake v1): SaslAuthenticate next
        RawTokens      // mechanism chosen (SaslHandshake v0): bare tokens next
    };
    // A request a connection may not send yet: the reason to close it, else empty.
    QString refusedBeforeAuthentication(const RequestHeader &h) const;
    Outcome handleRawSaslToken(QByteArrayView frame);
    void authenticated(const QString &user);

    // Finds a topic, creating it if the broker auto-creates topics and mayCreate.
    std::shared_ptr<rivulet::Topic> topicFor(const QByteArray &name, bool mayCreate,
                                             std::int16_t &error);

    Broker &m_broker;
    KafkaConfig m_config;
    std::shared_ptr<ClientStats> m_stats;
    QString m_peerHost;
    std::unique_ptr<PendingFetch> m_pendingFetch;
    qint64 m_replyRoom = std::numeric_limits<qint64>::max();
    Auth m_auth = Auth::Open;
    std::unique_ptr<SaslServer> m_sasl;
    QString m_user; // the SASL user, once authenticated
};

// configs.cpp: a topic's configs as DescribeConfigs lists them (CreateTopics v5+ too)
std::vector<DescribeConfigsResponse::DescribeConfigsResult::DescribeConfigsResourceResult>
topicConfigs(const BrokerConfig &config, const RetentionPolicy &retention, bool withDocumentation);

} // namespace rivulet::kafka
