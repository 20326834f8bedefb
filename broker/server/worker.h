#pragma once

#include "session.h"

#include <QObject>
#include <QThread>

#include <atomic>
#include <functional>

namespace rivulet {

// Makes the session for an accepted connection, in the worker's thread.
using SessionFactory = std::function<Session *(qintptr descriptor, QObject *parent)>;

// A thread with its own event loop (waiting with epoll: EpollEventDispatcher) that owns
// the sessions handed to it.
class Worker : public QObject
{
    Q_OBJECT
public:
    // sessionEnded runs in the worker's thread each time a session is gone (its descriptor
    // closed).
    Worker(SessionFactory factory, int index, std::function<void()> sessionEnded = {});
    ~Worker() override;

    void start();
    // Closes every session and stops the thread; call from the thread that created it.
    void stop();
    // Thread-safe: the session is created in the worker's thread.
    void adopt(qintptr descriptor);
    int sessionCount() const { return m_sessions.load(std::memory_order_relaxed); }

private:
    void createSession(qintptr descriptor);

    SessionFactory m_factory;
    std::function<void()> m_sessionEnded;
    QThread m_thread;
    QObject *m_sessionParent = nullptr; // lives in m_thread; parent of every session
    std::atomic<int> m_sessions{0};
};

} // namespace rivulet
