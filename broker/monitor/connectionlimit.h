#pragma once

#include <atomic>
#include <cstdint>

namespace rivulet {

// The broker's open connections against --max-connections, over both protocols. A
// connection counts from its accept until its session is gone. Thread-safe.
class ConnectionLimit
{
public:
    static constexpr int kDefaultMax = 10000;

    explicit ConnectionLimit(int max = kDefaultMax) : m_max(max > 0 ? max : kDefaultMax) {}

    // Counts a new connection, or refuses it (and counts the refusal) at the limit.
    bool tryOpen()
    {
        int open = m_open.load(std::memory_order_relaxed);
        do {
            if (open >= m_max) {
                m_refused.fetch_add(1, std::memory_order_relaxed);
                return false;
            }
        } while (!m_open.compare_exchange_weak(open, open + 1, std::memory_order_relaxed));
        return true;
    }
    void closed() { m_open.fetch_sub(1, std::memory_order_relaxed); }

    int open() const { return m_open.load(std::memory_order_relaxed); }
    int max() const { return m_max; }
    std::uint64_t refused() const { return m_refused.load(std::memory_order_relaxed); }

private:
    const int m_max;
    std::atomic<int> m_open{0};
    std::atomic<std::uint64_t> m_refused{0};
};

} // namespace rivulet
