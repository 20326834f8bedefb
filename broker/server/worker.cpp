#include "worker.h"

#include "epolldispatcher.h"

#include <QTimer>

#include <algorithm>
#include <chrono>

#include <malloc.h>

namespace rivulet {
namespace {

// Give memory back once a worker's connections fell by this many from their peak, or by
// half of a peak of at least kTrimMinPeak.
constexpr int kTrimAfterClosed = 1000;
constexpr int kTrimMinPeak = 128;

qint64 monotonicMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace

bool releaseFreedMemory()
{
    static std::atomic<qint64> last{-1000000};
    const qint64 now = monotonicMs();
    qint64 previous = last.load(std::memory_order_relaxed);
    if (now - previous < 1000 ||
        !last.compare_exchange_strong(previous, now, std::memory_order_relaxed))
        return false;
#if defined(__GLIBC__)
    ::malloc_trim(0);
    return true;
#else
    return false;
#endif
}

Worker::Worker(SessionFactory factory, int index, std::function<void()> sessionEnded,
               Timeouts timeouts)
    : m_factory(std::move(factory)), m_sessionEnded(std::move(sessionEnded)), m_timeouts(timeouts)
{
    m_thread.setObjectName(QStringLiteral("rivulet-worker-%1").arg(index));
}

Worker::~Worker()
{
    stop();
}

int Worker::sweepIntervalMs() const
{
    int shortest = 4000; // without timeouts the sweep still looks at held-back connections
    if (m_timeouts.requestMs > 0)
        shortest = std::min(shortest, m_timeouts.requestMs);
    if (m_timeouts.idleMs > 0)
        shortest = std::min(shortest, m_timeouts.idleMs);
    return std::clamp(shortest / 4, 10, 1000);
}

void Worker::start()
{
    if (m_thread.isRunning())
        return;
    // Before the thread starts (Qt's rule); the thread owns and deletes it when it ends.
    auto *dispatcher = new EpollEventDispatcher;
    if (dispatcher->isValid())
        m_thread.setEventDispatcher(dispatcher);
    else
        delete dispatcher; // out of descriptors: Qt's own dispatcher still works, slower
    m_sessionParent = new QObject;
    m_sessionParent->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_sessionParent, &QObject::deleteLater);
    m_thread.start();
    // the sweep timer lives in the worker's thread, as a child of the sessions' parent
    QMetaObject::invokeMethod(
        m_sessionParent,
        [this] {
            auto *timer = new QTimer(m_sessionParent);
            timer->setTimerType(Qt::CoarseTimer);
            connect(timer, &QTimer::timeout, m_sessionParent, [this] { sweep(); });
            timer->start(sweepIntervalMs());
        },
        Qt::QueuedConnection);
}

void Worker::stop()
{
    if (!m_thread.isRunning())
        return;
    // Sessions die in their own thread: deleteLater runs there before the loop exits.
    QMetaObject::invokeMethod(
        m_sessionParent, [parent = m_sessionParent] { qDeleteAll(parent->children()); },
        Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    m_sessionParent = nullptr;
}

void Worker::adopt(qintptr descriptor)
{
    QMetaObject::invokeMethod(
        m_sessionParent, [this, descriptor] { createSession(descriptor); }, Qt::QueuedConnection);
}

void Worker::createSession(qintptr descriptor)
{
    Session *session = m_factory(descriptor, m_sessionParent);
    m_sessions.fetch_add(1, std::memory_order_relaxed);
    // counted until destroyed, whether it finished or the worker stopped
    connect(session, &QObject::destroyed, session, [this] {
        m_sessions.fetch_sub(1, std::memory_order_relaxed);
        if (m_sessionEnded)
            m_sessionEnded();
    });
    connect(session, &Session::finished, session, &QObject::deleteLater);
}

void Worker::sweep()
{
    const qint64 now = monotonicMs();
    int timedOut = 0;
    // a copy: a session may finish during its sweep (it is deleted later, not now)
    const QObjectList children = m_sessionParent->children();
    for (QObject *child : children) {
        auto *session = qobject_cast<Session *>(child);
        // idle connections are closed quietly, as Kafka's broker does
        if (session && session->sweep(now, m_timeouts.requestMs, m_timeouts.idleMs) ==
                           Connection::Expiry::RequestTimedOut)
            ++timedOut;
    }
    // one line per sweep, however many: a slowloris attack must not flood the log
    if (timedOut > 0)
        qWarning("rivulet: closed %d connection%s that did not finish a request within "
                 "--request-timeout-ms %d",
                 timedOut, timedOut == 1 ? "" : "s", m_timeouts.requestMs);

    const int open = sessionCount();
    m_peakSinceTrim = std::max(m_peakSinceTrim, open);
    const int closed = m_peakSinceTrim - open;
    if (closed >= kTrimAfterClosed ||
        (m_peakSinceTrim >= kTrimMinPeak && closed >= m_peakSinceTrim / 2)) {
        if (releaseFreedMemory())
            m_peakSinceTrim = open;
    }
}

} // namespace rivulet
