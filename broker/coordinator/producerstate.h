#pragma once

#include <QByteArrayView>
#include <QUuid>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace rivulet {

// What an idempotent producer's batch says about itself (its RecordBatch header).
struct ProducerBatch
{
    std::int64_t producerId = -1;
    std::int16_t epoch = -1;
    std::int32_t firstSequence = -1;
    std::int32_t lastSequence = -1;
    bool transactional = false;
};

// The sequence check of one batch against what the partition knows of its producer.
enum class SequenceCheck
{
    Append,     // in sequence (or a producer not seen before): store it
    Duplicate,  // a retry of one of the last five batches: answer with its offsets
    OutOfOrder, // a gap, or a sequence that went back
    StaleEpoch, // an older epoch than the producer's current one
};

// The idempotent producers of one partition (KIP-98): per producer id, its epoch and the
// sequence numbers and offsets of its last five batches, as a Kafka broker keeps them. Held
// under its own lock across check and append, so that two copies of one batch racing in on
// two connections are stored once.
class PartitionProducers
{
public:
    static constexpr int kRememberedBatches = 5;

    struct Remembered
    {
        std::int32_t firstSequence;
        std::int32_t lastSequence;
        std::int64_t baseOffset;
        std::int64_t lastOffset;
    };

    std::mutex &mutex() { return m_mutex; }
    // Under mutex():
    SequenceCheck check(const ProducerBatch &b, Remembered &duplicateOf) const;
    void remember(const ProducerBatch &b, std::int64_t baseOffset, std::int64_t lastOffset);
    bool loaded() const { return m_loaded; }
    void setLoaded() { m_loaded = true; }
    // The open transaction of a producer on this partition: the offset of its first record,
    // or nullopt. Transactions end with markers (Broker::writeTxnMarker).
    std::optional<std::int64_t> openTransaction(std::int64_t producerId) const;
    void endTransaction(std::int64_t producerId);
    // The first offset of the oldest open transaction (the last stable offset), or nullopt.
    std::optional<std::int64_t> firstOpenOffset() const;

    struct State
    {
        std::int16_t epoch = -1;
        std::deque<Remembered> batches; // oldest first
        std::optional<std::int64_t> txnFirstOffset;
    };
    // For DescribeProducers.
    std::unordered_map<std::int64_t, State> producers() const { return m_producers; }

private:
    std::mutex m_mutex;
    bool m_loaded = false;
    std::unordered_map<std::int64_t, State> m_producers;
};

// Every partition's PartitionProducers, by topic id and partition.
class ProducerStates
{
public:
    std::shared_ptr<PartitionProducers> of(const QUuid &topic, int partition);
    void forget(const QUuid &topic); // the topic was deleted

private:
    struct Key
    {
        QUuid topic;
        int partition;
        bool operator==(const Key &) const = default;
    };
    struct KeyHash
    {
        std::size_t operator()(const Key &k) const noexcept;
    };
    std::mutex m_mutex;
    std::unordered_map<Key, std::shared_ptr<PartitionProducers>, KeyHash> m_partitions;
};

// Reads the producer fields of a batch header.
ProducerBatch producerOf(QByteArrayView batch);

} // namespace rivulet
