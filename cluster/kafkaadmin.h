#pragma once

#include "clustersource.h"
#include "kafkasettings.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

namespace rivulet {

// Writes to a Kafka cluster through librdkafka (Debian's librdkafka, the C API): records
// (a producer with acks=all, every delivery report waited for) and the topic and group
// administration of ClusterSource's write side (CreateTopics, DeleteTopics,
// DescribeConfigs + AlterConfigs, CreatePartitions, DeleteRecords, DescribeConsumerGroups +
// AlterConsumerGroupOffsets, DeleteGroups). KafkaSource forwards its write side here, and
// rivulet-cli's cluster commands use it directly.
//
// Every call blocks on the network for a few seconds at most (request timeouts of 5 s, a
// delivery timeout of 10 s): a cluster that cannot be reached gives Unavailable/false with
// error saying why, never a hang. Run the calls off the GUI thread. Safe to call from several
// threads at once: each call waits on its own queue and delivery reports.
class KafkaAdmin
{
public:
    // A producer client for settings (no network yet). Null with error for a configuration
    // librdkafka refuses (the property named, its value never repeated).
    static std::unique_ptr<KafkaAdmin> open(const KafkaSettings &settings, QString &error);
    ~KafkaAdmin();
    KafkaAdmin(const KafkaAdmin &) = delete;
    KafkaAdmin &operator=(const KafkaAdmin &) = delete;

    // Writes records to one partition of an existing topic, in order (idempotent producer,
    // acks=all): key, value (nullopt: a tombstone), headers and timestamp as given (-1, and 0,
    // which librdkafka reads as "not set": the time of writing).
    // Waits for every delivery report; baseOffset/lastOffset are the offsets they report.
    WriteResult produce(QByteArrayView topic, int partition, const QList<OutgoingRecord> &records);

    // CreateTopics with the broker's default replication factor and, when given, retention.ms
    // and retention.bytes (-1: unlimited). A topic that exists is an error.
    bool createTopic(QByteArrayView name, int partitions, std::optional<RetentionPolicy> retention,
                     QString &error);
    bool deleteTopic(QByteArrayView name, QString &error);
    // retention.ms and retention.bytes (-1: unlimited). AlterConfigs replaces a topic's whole
    // dynamic configuration, so the topic's other non-default dynamic configs are read first
    // (DescribeConfigs) and sent again unchanged.
    bool setRetention(QByteArrayView name, const RetentionPolicy &retention, QString &error);
    // CreatePartitions up to newTotal (validateOnly: only asks whether the broker would).
    ChangeOutcome addPartitions(QByteArrayView name, std::int64_t newTotal, QString &error,
                                bool validateOnly = false);
    // DeleteRecords before offset (-1: the partition's end); startOffset is the partition's
    // new start.
    ChangeOutcome deleteRecordsBefore(QByteArrayView topic, std::int64_t partition,
                                      std::int64_t offset, std::int64_t &startOffset,
                                      QString &error);

    // New committed offsets for the listed partitions of topic, each clamped to the
    // partition's start and end; only while the group has no members (HasMembers otherwise).
    GroupOutcome resetGroupOffsets(const QByteArray &groupId, QByteArrayView topic,
                                   const std::map<int, std::int64_t> &offsets, QString &error);
    // DeleteGroups: HasMembers while it has members, UnknownGroup when there is no such group.
    GroupOutcome deleteGroup(const QByteArray &groupId, QString &error);

    const KafkaSettings &settings() const;

private:
    struct Private;
    explicit KafkaAdmin(std::unique_ptr<Private> d);
    std::unique_ptr<Private> d;
};

} // namespace rivulet
