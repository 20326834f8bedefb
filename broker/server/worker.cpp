#include "worker.h"

#include "epolldispatcher.h"

namespace rivulet {

Worker::Worker(SessionFactory factory, int index, std::function<void()> sessionEnded)
    : m_factory(std::move(factory)), m_sessionEnded(std::move(sessionEnded))
{
    m_thread.setObjectName(QStringLiteral("rivulet-worker-%1").arg(index));
}

Worker::~Worker()
{
    stop();
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

} // namespace rivulet
