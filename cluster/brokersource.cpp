#include "brokersource.h"

#include "broker.h"
#include "log/recordbatch.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace rivulet {

BrokerSource::BrokerSource(Broker &broker) : m_broker(broker) {}

SourceInfo BrokerSource::info() const
{
    SourceInfo info;
    info.kind = SourceInfo::Kind::InProcess;
    info.name = QStringLiteral("This machine's broker");
    info.dataPath = m_broker.dataPath(); // empty unless durable
    return info;
}

bool BrokerSource::snapshot(BrokerSnapshot &snapshot, QString &error)
{
    (void)error; // the broker in this process always answers
    snapshot = m_broker.snapshot();
    return true;
}

std::vector<RateSample> BrokerSource::totalRates() const
{
    return m_broker.rates().total();
}

std::vector<RateSample> BrokerSource::topicRates(const QString &topic) const
{
    return m_broker.rates().topic(topic);
}

RecordPage BrokerSource::readRecords(QByteArrayView topic, int partition,
                                     const ReadRequest &request)
{
    return m_broker.readRecords(topic, partition, request);
}

TimestampLookup BrokerSource::offsetForTimestamp(QByteArrayView topic, int partition,
                                                 std::int64_t timestamp)
{
    return m_broker.offsetForTimestamp(topic, partition, timestamp);
}

QList<PartitionRange> BrokerSource::partitionRanges(QByteArrayView topic)
{
    return m_broker.partitionRanges(topic);
}

int BrokerSource::partitionCount(QByteArrayView topic)
{
    return m_broker.partitionCount(topic);
}

std::optional<RetentionPolicy> BrokerSource::retention(QByteArrayView topic)
{
    if (const auto t = m_broker.topics().find(topic))
        return t->retention();
    return std::nullopt;
}

WriteResult BrokerSource::produce(QByteArrayView topic, int partition,
                                  const QList<OutgoingRecord> &records)
{
    WriteResult result;
    if (records.isEmpty())
        return result;
    // A batch's records may not be older than its first timestamp: start it at the oldest.
    const std::int64_t now = Broker::nowMs();
    std::int64_t first = std::numeric_limits<std::int64_t>::max();
    for (const OutgoingRecord &r : records)
        first = std::min(first, r.timestampMs >= 0 ? r.timestampMs : now);
    RecordBatchBuilder builder(first, int(records.size()));
    std::vector<HeaderView> headers;
    for (const OutgoingRecord &r : records) {
        headers.clear();
        for (const DecodedHeader &h : r.headers)
            headers.push_back(
                {h.name, h.hasValue ? QByteArrayView(h.value) : QByteArrayView(), h.hasValue});
        builder.append(r.timestampMs >= 0 ? r.timestampMs : now,
                       r.key ? std::optional<QByteArrayView>(*r.key) : std::nullopt,
                       r.value ? std::optional<QByteArrayView>(*r.value) : std::nullopt, headers);
    }
    ProduceOptions options;
    options.trusted = true; // built by RecordBatchBuilder: right by construction
    const ProduceResult stored = m_broker.produce(topic, partition, builder.finish(), options);
    if (stored.error != ProduceError::None) {
        result.error = stored.message;
        return result;
    }
    result.baseOffset = stored.baseOffset;
    result.lastOffset = stored.lastOffset;
    result.written = stored.records;
    return result;
}

bool BrokerSource::createTopic(QByteArrayView name, int partitions,
                               std::optional<RetentionPolicy> retention, QString &error)
{
    const TopicRegistry::CreateResult created =
        m_broker.createTopic(name, partitions, std::move(retention));
    switch (created.outcome) {
    case TopicRegistry::CreateOutcome::Created:
        return true;
    case TopicRegistry::CreateOutcome::AlreadyExists:
    case TopicRegistry::CreateOutcome::Conflict:
        error = QStringLiteral("topic \"%1\" already exists").arg(QString::fromUtf8(name));
        return false;
    case TopicRegistry::CreateOutcome::Invalid:
        break;
    }
    error = created.error.isEmpty()
                ? QStringLiteral("cannot create topic \"%1\"").arg(QString::fromUtf8(name))
                : created.error;
    return false;
}

bool BrokerSource::deleteTopic(QByteArrayView name, QString &error)
{
    return m_broker.deleteTopic(name, error);
}

bool BrokerSource::setRetention(QByteArrayView name, const RetentionPolicy &retention,
                                QString &error)
{
    return m_broker.setRetention(name, retention, error);
}

ChangeOutcome BrokerSource::addPartitions(QByteArrayView name, std::int64_t newTotal,
                                          QString &error, bool validateOnly)
{
    return m_broker.addPartitions(name, newTotal, error, validateOnly);
}

ChangeOutcome BrokerSource::deleteRecordsBefore(QByteArrayView topic, std::int64_t partition,
                                                std::int64_t offset, std::int64_t &startOffset,
                                                QString &error)
{
    return m_broker.deleteRecordsBefore(topic, partition, offset, startOffset, error);
}

GroupOutcome BrokerSource::resetGroupOffsets(const QByteArray &groupId, QByteArrayView topic,
                                             const std::map<int, std::int64_t> &offsets,
                                             QString &error)
{
    return m_broker.resetGroupOffsets(groupId, topic, offsets, error);
}

GroupOutcome BrokerSource::deleteGroup(const QByteArray &groupId, QString &error)
{
    return m_broker.deleteGroup(groupId, error);
}

bool BrokerSource::forgetConsumer(QByteArrayView topic, int partition, QByteArrayView consumer)
{
    return m_broker.forgetConsumer(topic, partition, consumer);
}

} // namespace rivulet
