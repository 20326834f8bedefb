#pragma once

#include "clustersource.h"

namespace rivulet {

class Broker;

// The ClusterSource of the broker running in this process: every call forwards to Broker,
// which is safe from any thread. The broker must outlive the source.
class BrokerSource : public ClusterSource
{
public:
    explicit BrokerSource(Broker &broker);

    using ClusterSource::resetGroupOffsets;

    SourceInfo info() const override;
    bool snapshot(BrokerSnapshot &snapshot, QString &error) override;
    std::vector<RateSample> totalRates() const override;
    std::vector<RateSample> topicRates(const QString &topic) const override;

    RecordPage readRecords(QByteArrayView topic, int partition,
                           const ReadRequest &request) override;
    TimestampLookup offsetForTimestamp(QByteArrayView topic, int partition,
                                       std::int64_t timestamp) override;
    QList<PartitionRange> partitionRanges(QByteArrayView topic) override;
    int partitionCount(QByteArrayView topic) override;
    std::optional<RetentionPolicy> retention(QByteArrayView topic) override;

    // The records as ONE magic-2 batch (RecordBatchBuilder, its first timestamp the oldest
    // record's), stored through Broker::produce() as trusted: all or nothing.
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

    GroupOutcome resetGroupOffsets(const QByteArray &groupId, QByteArrayView topic,
                                   const std::map<int, std::int64_t> &offsets,
                                   QString &error) override;
    GroupOutcome deleteGroup(const QByteArray &groupId, QString &error) override;

    bool hasNativeConsumers() const override { return true; }
    bool forgetConsumer(QByteArrayView topic, int partition, QByteArrayView consumer) override;

    Broker &broker() const { return m_broker; }

private:
    Broker &m_broker;
};

} // namespace rivulet
