#include "partition.h"

namespace rivulet {

Partition::Partition(int index, std::unique_ptr<PartitionLog> log)
    : m_index(index), m_log(std::move(log))
{
    if (m_log->isLoaded())
        loadLocked(); // nobody else can see the partition yet
}

void Partition::load()
{
    std::lock_guard lock(m_logMutex);
    loadLocked();
}

void Partition::loadLocked()
{
    if (m_loaded.load(std::memory_order_relaxed))
        return;
    m_log->load();
    m_unavailable = m_log->brokenReason();
    publishStats();
    // After a restart the last write is the newest stored batch's time (one batch read,
    // found by the index): the log knows when it was last written to.
    if (m_log->endOffset() > m_log->startOffset()) {
        QString error;
        m_log->readBatches(
            m_log->endOffset() - 1,
            [this](QByteArrayView batch) {
                if (batch.size() >= batch::kHeaderSize)
                    m_lastAppendMs.store(
                        std::max<std::int64_t>(0, RecordBatchView(batch).maxTimestamp()),
                        std::memory_order_relaxed);
                return false;
            },
            error);
    }
    m_loaded.store(true, std::memory_order_release);
}

void Partition::publishStats()
{
    m_sizeBytes.store(m_log->sizeBytes(), std::memory_order_relaxed);
    m_startOffset.store(m_log->startOffset(), std::memory_order_relaxed);
    m_endOffset.store(m_log->endOffset(), std::memory_order_release);
}

AppendResult Partition::append(QByteArray &batch, std::int64_t nowMs)
{
    AppendResult result;
    std::int64_t appended = 0;
    bool syncNow = false;
    {
        std::lock_guard lock(m_logMutex);
        loadLocked();
        result = m_log->append(batch);
        if (!result.ok)
            return result;
        m_lastAppendMs.store(nowMs, std::memory_order_relaxed);
        if (RecordBatchView(batch).isControl())
            m_markers.fetch_add(result.lastOffset - result.baseOffset + 1,
                                std::memory_order_relaxed);
        else
            m_recordsIn.fetch_add(result.lastOffset - result.baseOffset + 1,
                                  std::memory_order_relaxed);
        m_bytesIn.fetch_add(batch.size(), std::memory_order_relaxed);
        publishStats();
        syncNow = m_log->syncOnAppend();
        appended = m_log->appendedBytes();
    }
    if (syncNow && !m_log->syncTo(appended, result.error)) {
        // written but maybe not on disk: the producer must not count on it
        result.ok = false;
        result.error = QStringLiteral("stored but not confirmed on disk: %1").arg(result.error);
    }
    return result;
}

bool Partition::readBatches(std::int64_t fromOffset, const BatchVisitor &visitor,
                            QString &error) const
{
    std::lock_guard lock(m_logMutex);
    const_cast<Partition *>(this)->loadLocked();
    return m_log->readBatches(fromOffset, visitor, error);
}

PartitionStats Partition::stats() const
{
    ensureLoaded();
    PartitionStats s;
    s.endOffset = endOffset();
    s.startOffset = startOffset();
    s.sizeBytes = m_sizeBytes.load(std::memory_order_relaxed);
    s.lastAppendMs = m_lastAppendMs.load(std::memory_order_relaxed);
    s.recordsIn = m_recordsIn.load(std::memory_order_relaxed);
    s.bytesIn = m_bytesIn.load(std::memory_order_relaxed);
    s.recordsOut = m_recordsOut.load(std::memory_order_relaxed);
    s.bytesOut = m_bytesOut.load(std::memory_order_relaxed);
    // retention may have taken markers with it: never more than the offsets left
    s.markers = std::min(m_markers.load(std::memory_order_relaxed), s.endOffset - s.startOffset);
    return s;
}

bool Partition::sync(QString &error)
{
    if (!isLoaded())
        return true; // nothing written since start-up
    std::int64_t appended = 0;
    {
        std::lock_guard lock(m_logMutex);
        appended = m_log->appendedBytes();
    }
    return m_log->syncTo(appended, error);
}

int Partition::applyRetention(const RetentionPolicy &policy, std::int64_t nowMs)
{
    if (policy.keepsEverything())
        return 0;
    std::lock_guard lock(m_logMutex);
    loadLocked();
    const int deleted = m_log->applyRetention(policy, nowMs);
    if (deleted > 0)
        publishStats();
    return deleted;
}

bool Partition::deleteRecordsBefore(std::int64_t offset, QString &error)
{
    std::lock_guard lock(m_logMutex);
    loadLocked();
    const bool ok = m_log->deleteRecordsBefore(offset, error);
    publishStats();
    return ok;
}

bool Partition::close(QString &error)
{
    std::lock_guard lock(m_logMutex);
    return m_log->close(error);
}

bool Partition::noteConsumer(QByteArrayView consumer, std::int64_t nextOffset,
                             std::int64_t delivered, std::int64_t nowMs, bool anonymous)
{
    std::lock_guard lock(m_consumerMutex);
    const std::string_view key(consumer.data(), std::size_t(consumer.size()));
    auto it = m_consumers.find(key);
    const bool fresh = it == m_consumers.end();
    if (fresh) {
        it = m_consumers.emplace(std::string(key), ConsumerPosition{}).first;
        it->second.consumer = consumer.toByteArray();
        m_hasConsumers.store(true, std::memory_order_release);
    }
    ConsumerPosition &p = it->second;
    const bool moved = fresh || p.nextOffset != nextOffset;
    p.nextOffset = nextOffset;
    p.delivered += delivered;
    p.lastSeenMs = nowMs;
    p.anonymous = anonymous;
    if (!anonymous) // anonymous positions are not saved: no need to write the file again
        m_consumerVersion.fetch_add(1, std::memory_order_relaxed);
    return moved;
}

bool Partition::forgetConsumer(QByteArrayView consumer)
{
    std::lock_guard lock(m_consumerMutex);
    const auto it =
        m_consumers.find(std::string_view(consumer.data(), std::size_t(consumer.size())));
    if (it == m_consumers.end())
        return false;
    m_consumers.erase(it);
    m_consumerVersion.fetch_add(1, std::memory_order_relaxed);
    return true;
}

int Partition::forgetAnonymousSeenBefore(std::int64_t ms)
{
    if (!m_hasConsumers.load(std::memory_order_acquire))
        return 0;
    std::lock_guard lock(m_consumerMutex);
    const auto before = m_consumers.size();
    std::erase_if(m_consumers, [ms](const auto &entry) {
        return entry.second.anonymous && entry.second.lastSeenMs < ms;
    });
    const int forgotten = int(before - m_consumers.size());
    if (forgotten > 0)
        m_consumerVersion.fetch_add(1, std::memory_order_relaxed);
    return forgotten;
}

void Partition::restoreConsumer(const ConsumerPosition &position)
{
    std::lock_guard lock(m_consumerMutex);
    m_consumers[position.consumer.toStdString()] = position;
    m_hasConsumers.store(true, std::memory_order_release);
}

std::vector<ConsumerPosition> Partition::consumers() const
{
    if (!m_hasConsumers.load(std::memory_order_acquire))
        return {};
    std::lock_guard lock(m_consumerMutex);
    std::vector<ConsumerPosition> result;
    result.reserve(m_consumers.size());
    for (const auto &[key, position] : m_consumers)
        result.push_back(position);
    return result;
}

} // namespace rivulet
