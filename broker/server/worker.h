#pragma once

#include "session.h"

#include <QObject>
#include <QThread>

#include <atomic>
#include <functional>

namespace rivulet {

// Makes the session for an accepted connection, in the worker's thread.
using SessionFactory = std::function<Session *(qintptr descriptor, QObject *parent)>;

// The connection timeouts a worker enforces (BrokerConfig); 0 turns one off.
struct Timeouts
{
    int requestMs = 0;
    int idleMs = 0;
};

// A thread with its own event loop (waiting with epoll: EpollEventDispatcher) that owns
// the sessions handed to it. One coarse timer per worker sweeps its sessions (timeouts,
// connections held back by the broker's buffer budget) instead of a timer per connection,
// so that an idle connection stays nearly free; it also gives freed memory back to the
// system after many connections have gone (releaseFreedMemory()).
class Worker : public QObject
{
    Q_OBJECT
public:
    // sessionEnded runs in the worker's thread each time a session is gone (its descriptor
    // closed).
    Worker(SessionFactory factory, int index, std::function<void()> sessionEnded = {},
           Timeouts timeouts = {});
    ~Worker() override;

    void start();
    // Closes every session and stops the thread; call from the thread that created it.
    void stop();
    // Thread-safe: the session is created in the worker's thread.
    void adopt(qintptr descriptor);
    int sessionCount() const { return m_sessions.load(std::memory_order_relaxed); }
    // How often the sweep runs: a quarter of the shorter timeout, between 10 ms and 1 s.
    int sweepIntervalMs() const;

private:
    void createSession(qintptr descriptor);
    // Runs in the worker's thread every sweepIntervalMs().
    void sweep();

    SessionFactory m_factory;
    std::function<void()> m_sessionEnded;
    QThread m_thread;
    QObject *m_sessionParent = nullptr; // lives in m_thread; parent of every session
    std::atomic<int> m_sessions{0};
    Timeouts m_timeouts;
    int m_peakSinceTrim = 0; // sessions; in the worker's thread
};

// Hands memory the allocator keeps but no longer uses back to the system (glibc
// malloc_trim), at most once a second, for the whole process. Worker::sweep() calls it once
// the broker's open connections have fallen well below their recent peak, since every
// connection's buffers and session objects are freed into the allocator's per-thread arenas,
// which otherwise keep the pages. Returns whether it ran.
bool releaseFreedMemory();

} // namespace rivulet
