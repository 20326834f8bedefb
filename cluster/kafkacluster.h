#pragma once

#include "kafkasettings.h"
#include "log/logsettings.h"
#include "monitor/groupsnapshot.h"
#include "monitor/snapshot.h"
#include "rdkafkahandle.h"

#include <QByteArrayView>
#include <QString>

#include <vector>

namespace rivulet {

// One look at a Kafka cluster: its brokers, and its topics in the same snapshot types the
// in-process broker gives the window (partitions with start/end offsets, leader, replicas
// and in-sync replicas). What the Kafka protocol does not tell a client is left unknown:
// sizes (-1), message counters and consumer positions (zero, empty).
struct ClusterDescription
{
    std::int64_t takenMs = 0;
    std::vector<ClusterNode> brokers;  // by id
    int answeredBy = -1;               // the broker that answered the Metadata request
    std::vector<TopicSnapshot> topics; // by name, internal ones (__…) included
    QStringList problems;              // topics or partitions whose metadata had an error
};

// A connection to a Kafka cluster through librdkafka (Debian's librdkafka, the C API), for
// the window's cluster source and `rivulet-cli --bootstrap`. Every call blocks for up to
// its timeout: run them off the GUI thread. Not thread-safe: one thread at a time.
class KafkaCluster
{
public:
    explicit KafkaCluster(KafkaSettings settings);
    ~KafkaCluster();
    KafkaCluster(const KafkaCluster &) = delete;
    KafkaCluster &operator=(const KafkaCluster &) = delete;

    // Makes the client (no network yet). False with error for a configuration librdkafka
    // refuses (an unknown property, a bad value: named, the value never repeated).
    bool open(QString &error);
    // Brokers, topics, partitions and their offsets, within timeoutMs. False with error
    // when no broker answered ("no Kafka broker answered at …: <why>"), or authentication
    // failed; per-topic errors go to out.problems instead.
    bool describe(ClusterDescription &out, int timeoutMs, QString &error);
    // The cluster's consumer groups (ListConsumerGroups, DescribeConsumerGroups, and an
    // OffsetFetch of every committed offset per group), by group id, within timeoutMs. What
    // the admin API does not tell (generation, leader, last-seen times) stays unknown (0,
    // empty). False with error when the cluster did not answer; a group that could not be
    // described is left out and named in problems.
    bool describeGroups(std::vector<GroupSnapshot> &out, QStringList &problems, int timeoutMs,
                        QString &error);

    // One topic as describe() gives it (Metadata for that topic alone, then its offsets).
    // True with exists false when the cluster has no such topic; asking never creates it.
    bool describeTopic(QByteArrayView name, TopicSnapshot &out, bool &exists, int timeoutMs,
                       QString &error);
    // A topic's retention.ms and retention.bytes (DescribeConfigs; -1 when unset). True with
    // exists false when the cluster has no such topic.
    bool describeRetention(QByteArrayView name, RetentionPolicy &out, bool &exists, int timeoutMs,
                           QString &error);

    const KafkaSettings &settings() const { return m_settings; }

private:
    // the reason for a failed request, with what the client's error events said
    QString failure(rd_kafka_resp_err_t err) const;
    // waits up to timeoutMs on the client's admin queue for one event of that type
    struct Event;
    std::unique_ptr<Event> waitFor(int type, int timeoutMs);
    // start and end offsets of every partition of topics (ListOffsets earliest and latest)
    bool queryOffsets(std::vector<TopicSnapshot> &topics, int timeoutMs, QString &error);

    KafkaSettings m_settings;
    rdkafka::Events m_events;
    rdkafka::Handle m_client;
    rd_kafka_queue_t *m_queue = nullptr; // admin results, with m_client
};

} // namespace rivulet
