#include "producerstate.h"

#include "log/bytes.h"
#include "log/partition.h"
#include "log/recordbatch.h"

#include <algorithm>
#include <limits>

namespace rivulet {
namespace {

std::int32_t nextSequence(std::int32_t last)
{
    // sequences wrap around to 0 after INT32_MAX, as Kafka's do
    return last == std::numeric_limits<std::int32_t>::max() ? 0 : last + 1;
}

} // namespace

ProducerBatch producerOf(QByteArrayView bytes)
{
    ProducerBatch b;
    if (bytes.size() < batch::kHeaderSize)
        return b;
    const char *p = bytes.data();
    b.producerId = be::readI64(p + batch::kProducerId);
    b.epoch = be::readI16(p + batch::kProducerEpoch);
    b.firstSequence = be::readI32(p + batch::kBaseSequence);
    // in 64 bits: the batch is not validated yet, its delta may be anything (a negative one
    // overflowed int32 here, found by fuzz_kafka_handler)
    const std::int64_t last =
        std::int64_t(b.firstSequence) + be::readI32(p + batch::kLastOffsetDelta);
    constexpr std::int64_t kMaxSequence = std::numeric_limits<std::int32_t>::max();
    b.lastSequence = b.firstSequence < 0   ? -1
                     : last > kMaxSequence ? std::int32_t(last - kMaxSequence - 1)
                                           : std::int32_t(last);
    b.transactional = be::readI16(p + batch::kAttributes) & 0x10;
    return b;
}

// Older batches than this many offsets back cannot be retries still in flight.
constexpr std::int64_t kProducerScanOffsets = 1'000'000;

void PartitionProducers::load(const Partition &partition)
{
    if (m_loaded)
        return;
    m_loaded = true;
    const std::int64_t from =
        std::max(partition.startOffset(), partition.endOffset() - kProducerScanOffsets);
    QString ignored; // damaged data is reported by the reads that need it
    partition.readBatches(
        from,
        [&](QByteArrayView bytes) {
            const RecordBatchView view(bytes);
            const ProducerBatch b = producerOf(bytes);
            if (b.producerId < 0)
                return true;
            if (view.isControl()) {
                // the marker that ended its transaction; an abort marker's transaction goes
                // on the aborted list (the log is the truth: a crash before transactions.json
                // was saved must not let read_committed consumers see aborted records)
                const auto first = openTransaction(b.producerId);
                bool abort = false;
                view.forEachRecord(view.baseOffset(), [&](const RecordView &r) {
                    abort = r.key.size() >= 4 && r.key[2] == 0 && r.key[3] == 0;
                    return false;
                });
                if (abort && first) {
                    const bool known =
                        std::any_of(m_aborted.begin(), m_aborted.end(), [&](const Aborted &a) {
                            return a.producerId == b.producerId &&
                                   a.lastOffset == view.baseOffset();
                        });
                    if (!known)
                        m_aborted.push_back({b.producerId, *first, view.baseOffset()});
                }
                endTransaction(b.producerId);
                noteMarker(b.producerId, b.epoch);
            } else
                remember(b, view.baseOffset(), view.lastOffset());
            return true;
        },
        ignored);
}

SequenceCheck PartitionProducers::check(const ProducerBatch &b, Remembered &duplicateOf) const
{
    const auto it = m_producers.find(b.producerId);
    // a producer this partition has not seen (new, or its batches are gone by retention)
    if (it == m_producers.end() || it->second.epoch < 0)
        return SequenceCheck::Append;
    const State &s = it->second;
    if (b.epoch < s.epoch)
        return SequenceCheck::StaleEpoch;
    if (b.epoch > s.epoch)
        return b.firstSequence == 0 ? SequenceCheck::Append : SequenceCheck::OutOfOrder;
    for (const Remembered &r : s.batches) {
        if (r.firstSequence == b.firstSequence && r.lastSequence == b.lastSequence) {
            duplicateOf = r;
            return SequenceCheck::Duplicate;
        }
    }
    if (s.batches.empty())
        return SequenceCheck::Append;
    return b.firstSequence == nextSequence(s.batches.back().lastSequence)
               ? SequenceCheck::Append
               : SequenceCheck::OutOfOrder;
}

void PartitionProducers::remember(const ProducerBatch &b, std::int64_t baseOffset,
                                  std::int64_t lastOffset)
{
    State &s = m_producers[b.producerId];
    if (b.epoch != s.epoch) {
        s.epoch = b.epoch;
        s.batches.clear();
    }
    if (b.firstSequence >= 0) {
        s.batches.push_back({b.firstSequence, b.lastSequence, baseOffset, lastOffset});
        while (s.batches.size() > std::size_t(kRememberedBatches))
            s.batches.pop_front();
    }
    if (b.transactional && !s.txnFirstOffset)
        s.txnFirstOffset = baseOffset;
}

std::optional<std::int64_t> PartitionProducers::openTransaction(std::int64_t producerId) const
{
    const auto it = m_producers.find(producerId);
    return it == m_producers.end() ? std::nullopt : it->second.txnFirstOffset;
}

void PartitionProducers::endTransaction(std::int64_t producerId)
{
    const auto it = m_producers.find(producerId);
    if (it != m_producers.end())
        it->second.txnFirstOffset.reset();
}

void PartitionProducers::noteMarker(std::int64_t producerId, std::int16_t epoch)
{
    State &s = m_producers[producerId];
    if (epoch > s.epoch) {
        s.epoch = epoch;
        s.batches.clear(); // the new epoch starts its sequences at 0
    }
}

std::optional<std::int64_t> PartitionProducers::firstOpenOffset() const
{
    std::optional<std::int64_t> first;
    for (const auto &[id, s] : m_producers)
        if (s.txnFirstOffset && (!first || *s.txnFirstOffset < *first))
            first = s.txnFirstOffset;
    return first;
}

std::vector<PartitionProducers::Aborted> PartitionProducers::aborted(std::int64_t from,
                                                                     std::int64_t to) const
{
    std::vector<Aborted> found;
    for (const Aborted &a : m_aborted)
        if (a.lastOffset >= from && a.firstOffset <= to)
            found.push_back(a);
    return found;
}

void PartitionProducers::pruneAborted(std::int64_t logStart)
{
    std::erase_if(m_aborted, [&](const Aborted &a) { return a.lastOffset < logStart; });
}

std::shared_ptr<PartitionProducers> ProducerStates::find(const QUuid &topic, int partition)
{
    std::lock_guard lock(m_mutex);
    const auto it = m_partitions.find({topic, partition});
    return it == m_partitions.end() ? nullptr : it->second;
}

std::vector<std::tuple<QUuid, int, std::shared_ptr<PartitionProducers>>> ProducerStates::all()
{
    std::lock_guard lock(m_mutex);
    std::vector<std::tuple<QUuid, int, std::shared_ptr<PartitionProducers>>> list;
    for (const auto &[key, state] : m_partitions)
        list.emplace_back(key.topic, key.partition, state);
    return list;
}

std::size_t ProducerStates::KeyHash::operator()(const Key &k) const noexcept
{
    return qHash(k.topic) ^ (std::size_t(k.partition) * 0x9E3779B97F4A7C15ull);
}

std::shared_ptr<PartitionProducers> ProducerStates::of(const QUuid &topic, int partition)
{
    std::lock_guard lock(m_mutex);
    auto &slot = m_partitions[{topic, partition}];
    if (!slot)
        slot = std::make_shared<PartitionProducers>();
    return slot;
}

void ProducerStates::forget(const QUuid &topic)
{
    std::lock_guard lock(m_mutex);
    for (auto it = m_partitions.begin(); it != m_partitions.end();)
        it = it->first.topic == topic ? m_partitions.erase(it) : std::next(it);
}

} // namespace rivulet
