#pragma once

#include "log/logsettings.h"
#include "monitor/ratehistory.h"
#include "monitor/snapshot.h"
#include "outcomes.h"
#include "read.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace rivulet {

// The seam between the window (and rivulet-cli) and what they show: the broker in this
// process (BrokerSource) or a Kafka cluster reached through librdkafka (KafkaSource). Both
// answer with the same plain snapshot and record types, so the models and panels do not know
// which they have (issue 13).
//
// Threading: every call may block (files for the in-process broker, the network for a
// cluster) and must be made off the GUI thread, except info() and the capability queries.
// Implementations are safe to call from several threads at once.

// One record to write, as the injector, the importer and rivulet-cli build them.
struct OutgoingRecord
{
    std::int64_t timestampMs = -1;   // -1: the time of writing
    std::optional<QByteArray> key;   // nullopt: no key
    std::optional<QByteArray> value; // nullopt: a null value (a tombstone)
    QList<DecodedHeader> headers;
};

// How a write went. Records are written in order; on an error, those before it may be stored.
struct WriteResult
{
    std::int64_t baseOffset = -1; // offset of the first record stored, -1: none
    std::int64_t lastOffset = -1; // offset of the last record stored
    std::int64_t written = 0;     // records stored
    QString error;                // empty: every record was stored
};

// What the title bar, the status bar and the About box say about the source.
struct SourceInfo
{
    enum class Kind
    {
        InProcess, // the broker running in this process
        Kafka      // a Kafka-compatible cluster reached through librdkafka
    };
    Kind kind = Kind::InProcess;
    QString name;      // "this machine's broker" or the connection's name
    QString bootstrap; // Kafka: the bootstrap servers; in-process: empty
    QString dataPath;  // in-process and durable: the data directory; otherwise empty
};

class ClusterSource
{
public:
    virtual ~ClusterSource() = default;

    virtual SourceInfo info() const = 0;

    // Topics, partitions, consumer positions, clients and consumer groups. A cluster that
    // cannot be reached (or answers with an error) gives false with error saying why, and
    // leaves snapshot untouched; the in-process broker always answers.
    virtual bool snapshot(BrokerSnapshot &snapshot, QString &error) = 0;
    // Messages and bytes per second over the last minutes, one sample a second at most: the
    // whole source, and one topic. A cluster's are computed from end-offset deltas between
    // snapshots (messages in only; a cluster does not say what its consumers read).
    virtual std::vector<RateSample> totalRates() const = 0;
    virtual std::vector<RateSample> topicRates(const QString &topic) const = 0;

    // The message browser: a page of decoded records (assign + seek on a cluster, no group,
    // never committing), Kafka's ListOffsets by timestamp, each partition's start and end
    // (empty: no such topic, or unreachable), the partition count (-1: no such topic) and
    // the retention (nullopt: no such topic).
    virtual RecordPage readRecords(QByteArrayView topic, int partition,
                                   const ReadRequest &request) = 0;
    virtual TimestampLookup offsetForTimestamp(QByteArrayView topic, int partition,
                                               std::int64_t timestamp) = 0;
    virtual QList<PartitionRange> partitionRanges(QByteArrayView topic) = 0;
    virtual int partitionCount(QByteArrayView topic) = 0;
    virtual std::optional<RetentionPolicy> retention(QByteArrayView topic) = 0;

    // Writes records to one partition of an existing topic, in order.
    virtual WriteResult produce(QByteArrayView topic, int partition,
                                const QList<OutgoingRecord> &records) = 0;

    // Topic administration (Kafka's CreateTopics, DeleteTopics, AlterConfigs of
    // retention.ms/retention.bytes, CreatePartitions, DeleteRecords). false/not Done: error
    // says why. Creating a topic that exists is an error here.
    virtual bool createTopic(QByteArrayView name, int partitions,
                             std::optional<RetentionPolicy> retention, QString &error) = 0;
    virtual bool deleteTopic(QByteArrayView name, QString &error) = 0;
    virtual bool setRetention(QByteArrayView name, const RetentionPolicy &retention,
                              QString &error) = 0;
    virtual ChangeOutcome addPartitions(QByteArrayView name, std::int64_t newTotal, QString &error,
                                        bool validateOnly = false) = 0;
    virtual ChangeOutcome deleteRecordsBefore(QByteArrayView topic, std::int64_t partition,
                                              std::int64_t offset, std::int64_t &startOffset,
                                              QString &error) = 0;

    // Consumer groups: new committed offsets for the partitions listed (clamped to what each
    // holds; the others keep theirs) and deleting a group, both only while the group has no
    // members, as Kafka's tools.
    virtual GroupOutcome resetGroupOffsets(const QByteArray &groupId, QByteArrayView topic,
                                           const std::map<int, std::int64_t> &offsets,
                                           QString &error) = 0;
    // Every partition of the topic to its start, its end, or one offset: resolved through
    // partitionRanges() and the call above.
    GroupOutcome resetGroupOffsets(const QByteArray &groupId, QByteArrayView topic, ResetTo to,
                                   std::int64_t offset, QString &error);
    virtual GroupOutcome deleteGroup(const QByteArray &groupId, QString &error) = 0;

    // Native-protocol consumer positions exist only in the in-process broker.
    virtual bool hasNativeConsumers() const { return false; }
    // Forgets a native consumer's position in one partition; false when there was none.
    virtual bool forgetConsumer(QByteArrayView topic, int partition, QByteArrayView consumer)
    {
        (void)topic;
        (void)partition;
        (void)consumer;
        return false;
    }
};

} // namespace rivulet
