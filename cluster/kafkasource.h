#pragma once

#include "clustersource.h"
#include "kafkasettings.h"

#include <QString>
#include <QStringList>

#include <memory>

namespace rivulet {

class KafkaAdmin;
class KafkaCluster;

// A Kafka-compatible cluster as a ClusterSource, through librdkafka (Debian's 2.0, the C API):
// what the window and rivulet-cli show when attached with --connect/--bootstrap (issue 13).
//
// The read side uses three client handles, each behind its own mutex so that a long
// snapshot of a big cluster does not hold up the message browser:
//   - snapshots: Metadata, ListOffsets (earliest and latest of every partition),
//     ListGroups, DescribeGroups and OffsetFetch (KafkaCluster::describe/describeGroups);
//   - look-ups: one topic's Metadata and offsets, DescribeConfigs (partitionRanges(),
//     partitionCount(), retention());
//   - the browser's consumer: assign + seek, Fetch, ListOffsets by timestamp. It has a
//     group.id only because librdkafka's assign() needs one; it never subscribes, never joins
//     the group and never commits (enable.auto.commit=false, no offsets stored).
// The write side forwards to KafkaAdmin (its own producer and admin queue).
//
// Every call is bounded: requests time out after timeoutMs() (5 s unless set), so an
// unreachable or failing cluster gives an error saying why within a few seconds, never a
// hang. Once a snapshot has found no broker (or authentication failed), the reads and
// lookups fail at once with that reason until a snapshot gets an answer again. Safe to call
// from several threads at once.
class KafkaSource : public ClusterSource
{
public:
    static constexpr int kDefaultTimeoutMs = 5000;

    // The clients for settings (no network yet: the first snapshot connects). Null with error
    // for a configuration librdkafka refuses (the property named, its value never repeated).
    // name is the connection's name, for info().
    static std::unique_ptr<KafkaSource> open(const KafkaSettings &settings, QString name,
                                             QString &error);
    ~KafkaSource() override;
    KafkaSource(const KafkaSource &) = delete;
    KafkaSource &operator=(const KafkaSource &) = delete;

    // How long one request may take; a snapshot makes two rounds of them (topics, groups).
    void setTimeoutMs(int timeoutMs);
    int timeoutMs() const;

    SourceInfo info() const override;

    // Topics (partitions, leader, replicas, ISR, start and end offsets; sizes -1, see
    // KafkaCluster), the cluster's brokers, and consumer groups with members, assignments and
    // committed offsets. Each partition's stats.recordsIn counts the growth of its end offset
    // since the source first saw it (transaction markers included: a client cannot tell them
    // apart), so that rates can be drawn from it; the other counters stay 0, and there are no
    // clients or native consumer positions. Samples totalRates()/topicRates() (at most once a
    // second).
    bool snapshot(BrokerSnapshot &snapshot, QString &error) override;
    // Topics or groups the last good snapshot could not describe ("orders: Leader not
    // available"), for a status line; the snapshot itself leaves them out.
    QStringList lastProblems() const;

    // messagesIn only: a cluster does not tell a client what its consumers read
    std::vector<RateSample> totalRates() const override;
    std::vector<RateSample> topicRates(const QString &topic) const override;

    // A page read through the browser's consumer (assign at the offset, Fetch until the page
    // is full, the end is reached, or the time is up). A filtered read gives up
    // request.timeBudgetMs after its first record arrived; any read, after timeoutMs().
    // DecodedRecord.size is the key, value and header names and values (librdkafka does not
    // hand out the record's encoded size).
    RecordPage readRecords(QByteArrayView topic, int partition,
                           const ReadRequest &request) override;
    // ListOffsets by timestamp, then the record found is read for its timestamp. With
    // kNewestTimestamp: the partition's last record (librdkafka 2.0 cannot send ListOffsets'
    // MAX_TIMESTAMP, which needs version 7), which is the newest unless producers set
    // timestamps out of order.
    TimestampLookup offsetForTimestamp(QByteArrayView topic, int partition,
                                       std::int64_t timestamp) override;
    QList<PartitionRange> partitionRanges(QByteArrayView topic) override;
    int partitionCount(QByteArrayView topic) override;
    std::optional<RetentionPolicy> retention(QByteArrayView topic) override;

    // Forwarded to KafkaAdmin (cluster/kafkaadmin.h: a producer with acks=all and admin
    // requests, 5 s timeouts).
    WriteResult produce(QByteArrayView topic, int partition,
                        const QList<OutgoingRecord> &records) override;
    bool createTopic(QByteArrayView name, int partitions, std::optional<RetentionPolicy> retention,
                     QString &error) override;
    bool deleteTopic(QByteArrayView name, QString &error) override;
    bool setRetention(QByteArrayView name, const RetentionPolicy &retention,
                      QString &error) override;
    ChangeOutcome addPartitions(QByteArrayView name, std::int64_t newTotal, QString &error,
                                bool validateOnly = false) override;
    ChangeOutcome deleteRecordsBefore(QByteArrayView topic, std::int64_t partition,
                                      std::int64_t offset, std::int64_t &startOffset,
                                      QString &error) override;
    using ClusterSource::resetGroupOffsets;
    GroupOutcome resetGroupOffsets(const QByteArray &groupId, QByteArrayView topic,
                                   const std::map<int, std::int64_t> &offsets,
                                   QString &error) override;
    GroupOutcome deleteGroup(const QByteArray &groupId, QString &error) override;

private:
    struct Private;
    explicit KafkaSource(std::unique_ptr<Private> d);
    std::unique_ptr<Private> d;
};

} // namespace rivulet
