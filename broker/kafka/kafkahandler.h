#pragma once

#include "groupcoordinator.h"
#include "protocol.h"
#include "wire.h"

#include <QString>

#include <functional>
#include <memory>

namespace rivulet {
class Broker;
class ClientStats;
class Partition;
class Topic;
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
};

// Carries out Kafka requests for one connection. A request is handled whole; most answers
// are immediate, JoinGroup/SyncGroup answers come through the sink later, and a Fetch with
// no data waits (the session calls retryFetch() until it answers). Like a Kafka broker, the
// session reads the connection's next request only once the current one is answered.
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
            Close
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

private:
    struct FetchPartition
    {
        std::int32_t partition = 0;
        std::int64_t offset = 0;
        std::int32_t maxBytes = 0;
    };
    struct FetchTopic
    {
        QByteArray name;
        std::vector<FetchPartition> partitions;
    };
    struct PendingFetch
    {
        RequestHeader header;
        std::int32_t minBytes = 1;
        std::int32_t maxBytes = 0;
        std::vector<FetchTopic> topics;
        std::int64_t deadlineMs = 0;
    };

    QByteArray apiVersions(const RequestHeader &h, Reader &in);
    QByteArray metadata(const RequestHeader &h, Reader &in);
    QByteArray createTopics(const RequestHeader &h, Reader &in);
    QByteArray findCoordinator(const RequestHeader &h, Reader &in);
    Outcome produce(const RequestHeader &h, Reader &in);
    Outcome fetch(const RequestHeader &h, Reader &in);
    QByteArray listOffsets(const RequestHeader &h, Reader &in);
    Outcome joinGroup(const RequestHeader &h, Reader &in, const Sink &sink);
    Outcome syncGroup(const RequestHeader &h, Reader &in, const Sink &sink);
    QByteArray heartbeat(const RequestHeader &h, Reader &in);
    QByteArray leaveGroup(const RequestHeader &h, Reader &in);
    QByteArray offsetCommit(const RequestHeader &h, Reader &in);
    QByteArray offsetFetch(const RequestHeader &h, Reader &in);
    // kafkaadmin.cpp
    QByteArray listGroups(const RequestHeader &h, Reader &in);
    QByteArray describeGroups(const RequestHeader &h, Reader &in);
    QByteArray deleteTopics(const RequestHeader &h, Reader &in);
    QByteArray deleteGroups(const RequestHeader &h, Reader &in);
    QByteArray describeConfigs(const RequestHeader &h, Reader &in);
    QByteArray alterConfigs(const RequestHeader &h, Reader &in, bool incremental);

    // Builds the Fetch response; returns how many record bytes it holds and whether any
    // partition answered with an error (which answers the request at once).
    QByteArray buildFetch(const PendingFetch &f, std::int64_t &recordBytes, bool &anyError);
    // Finds a topic, creating it if the broker auto-creates topics.
    std::shared_ptr<rivulet::Topic> topicFor(const QByteArray &name, bool mayCreate,
                                             std::int16_t &error);
    static QByteArray begin(const RequestHeader &h);

    Broker &m_broker;
    KafkaConfig m_config;
    std::shared_ptr<ClientStats> m_stats;
    QString m_peerHost;
    std::unique_ptr<PendingFetch> m_pendingFetch;
};

} // namespace rivulet::kafka
