#include "partition.h"

namespace rivulet {

Partition::Partition(int index, std::unique_ptr<PartitionLog> log)
    : m_index(index), m_log(std::move(log))
{
    m_startOffset = m_log->startOffset();
    m_endOffset = m_log->endOffset();
    m_sizeBytes = m_log->sizeBytes();
}

AppendResult Partition::append(QByteArray &batch, std::int64_t nowMs)
{
    std::lock_guard lock(m_logMutex);
    AppendResult result = m_log->append(batch);
    if (result.ok) {
        m_sizeBytes.store(m_log->sizeBytes(), std::memory_order_relaxed);
        m_startOffset.store(m_log->startOffset(), std::memory_order_relaxed);
        m_lastAppendMs.store(nowMs, std::memory_order_relaxed);
        m_endOffset.store(m_log->endOffset(), std::memory_order_release);
    }
    return result;
}

void Partition::readBatches(std::int64_t fromOffset, const BatchVisitor &visitor) const
{
    std::lock_guard lock(m_logMutex);
    m_log->readBatches(fromOffset, visitor);
}

PartitionStats Partition::stats() const
{
    PartitionStats s;
    s.endOffset = endOffset();
    s.startOffset = startOffset();
    s.sizeBytes = m_sizeBytes.load(std::memory_order_relaxed);
    s.lastAppendMs = m_lastAppendMs.load(std::memory_order_relaxed);
    return s;
}

void Partition::noteConsumer(QByteArrayView consumer, std::int64_t nextOffset,
                             std::int64_t delivered, std::int64_t nowMs)
{
    std::lock_guard lock(m_consumerMutex);
    const std::string_view key(consumer.data(), std::size_t(consumer.size()));
    auto it = m_consumers.find(key);
    if (it == m_consumers.end()) {
        it = m_consumers.emplace(std::string(key), ConsumerPosition{}).first;
        it->second.consumer = consumer.toByteArray();
    }
    ConsumerPosition &p = it->second;
    p.nextOffset = nextOffset;
    p.delivered += delivered;
    p.lastSeenMs = nowMs;
}

std::vector<ConsumerPosition> Partition::consumers() const
{
    std::lock_guard lock(m_consumerMutex);
    std::vector<ConsumerPosition> result;
    result.reserve(m_consumers.size());
    for (const auto &[key, position] : m_consumers)
        result.push_back(position);
    return result;
}

} // namespace rivulet
