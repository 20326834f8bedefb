#pragma once

#include <QtGlobal>

#include <algorithm>
#include <atomic>

namespace rivulet {

// The bytes every connection of the broker holds for requests (received, not yet handled)
// and replies (queued, not yet taken by the peer), against --max-buffered-bytes. Each
// Connection adds its own changes; nobody allocates through it. Thread-safe.
//
// Over the maximum, a connection holding more than kFloorBytes of input stops reading and
// one holding more than kFloorBytes of replies handles no further request, until the total
// falls again. Below the floor a connection always goes on: small requests are served
// whatever a few big ones hold, so a handful of hostile connections cannot starve the rest,
// and nothing waits for another connection to finish first (no deadlock). The total can
// therefore pass the maximum by at most kFloorBytes, one read (Connection::kReadChunk) and
// one reply per connection.
class BufferBudget
{
public:
    static constexpr qint64 kDefaultMax = qint64(256) << 20;
    static constexpr qint64 kFloorBytes = qint64(1) << 20;

    explicit BufferBudget(qint64 max = kDefaultMax) : m_max(max > 0 ? max : kDefaultMax) {}

    void add(qint64 delta)
    {
        const qint64 now = m_held.fetch_add(delta, std::memory_order_relaxed) + delta;
        qint64 peak = m_peak.load(std::memory_order_relaxed);
        while (now > peak && !m_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
        }
    }
    qint64 held() const { return m_held.load(std::memory_order_relaxed); }
    // The most held at once since start (or since resetPeak()).
    qint64 peak() const { return m_peak.load(std::memory_order_relaxed); }
    void resetPeak() { m_peak.store(held(), std::memory_order_relaxed); }
    qint64 max() const { return m_max; }
    bool exhausted() const { return held() >= m_max; }

private:
    const qint64 m_max;
    std::atomic<qint64> m_held{0};
    std::atomic<qint64> m_peak{0};
};

} // namespace rivulet
