#pragma once

#include <QByteArrayView>
#include <QUuid>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace rivulet {

class Partition;

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
    // Under mutex(), before the first check after start-up: reads the newest batches of the
    // partition once, so that what producers wrote before a restart (or a kill -9) is known
    // again and a batch retried across the restart is still recognised, and transactions
    // left open are seen (Kafka rebuilds the same state from its log).
    void load(const Partition &partition);
    // The open transaction of a producer on this partition: the offset of its first record,
    // or nullopt. Transactions end with markers (Broker::writeTxnMarker).
    std::optional<std::int64_t> openTransaction(std::int64_t producerId) const;
    void endTransaction(std::int64_t producerId);
    // A marker of producerId at epoch was written: an older epoch is fenced here from now on.
    void noteMarker(std::int64_t producerId, std::int16_t epoch);
    // The first offset of the oldest open transaction (the last stable offset), or nullopt.
    std::optional<std::int64_t> firstOpenOffset() const;

    // Aborted transactions (KIP-98's transaction index): a read_committed consumer drops a
    // producer's records from firstOffset until it meets the abort marker at lastOffset.
    struct Aborted
    {
        std::int64_t producerId;
        std::int64_t firstOffset;
        std::int64_t lastOffset;
    };
    void addAborted(const Aborted &a) { m_aborted.push_back(a); }
    // Those that overlap [from, to].
    std::vector<Aborted> aborted(std::int64_t from, std::int64_t to) const;
    const std::vector<Aborted> &allAborted() const { return m_aborted; }
    // Drops those wholly before the log start (gone by retention).
    void pruneAborted(std::int64_t logStart);

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
    std::vector<Aborted> m_aborted; // by lastOffset
};

// Every partition's PartitionProducers, by topic id and partition.
class ProducerStates
{
public:
    std::shared_ptr<PartitionProducers> of(const QUuid &topic, int partition);
    // Without creating: nullptr for a partition no idempotent or transactional producer
    // has written to since start-up (nor had an aborted transaction before it).
    std::shared_ptr<PartitionProducers> find(const QUuid &topic, int partition);
    // Every partition's state, for saving the aborted lists.
    std::vector<std::tuple<QUuid, int, std::shared_ptr<PartitionProducers>>> all();
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
