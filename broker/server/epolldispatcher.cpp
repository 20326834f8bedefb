#include "epolldispatcher.h"

#include <QCoreApplication>
#include <QSocketNotifier>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace rivulet {
namespace {

// Ready descriptors taken per epoll_wait; more stay ready and come with the next call.
constexpr int kMaxEvents = 256;

std::int64_t nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent), m_ready(kMaxEvents)
{
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    m_wakeFd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_epoll < 0 || m_wakeFd < 0) {
        qWarning("rivulet: cannot make an epoll event loop: %s", strerror(errno));
        return;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = m_wakeFd;
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeFd, &event) != 0) {
        qWarning("rivulet: cannot watch the event loop's eventfd: %s", strerror(errno));
        ::close(m_wakeFd);
        m_wakeFd = -1;
    }
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
    if (m_epoll >= 0)
        ::close(m_epoll);
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_interrupted.store(false, std::memory_order_relaxed);
    Q_EMIT awake();
    // Events posted from now on wake the wait below through the eventfd.
    QCoreApplication::sendPostedEvents();

    const bool mayWait = flags.testFlag(QEventLoop::WaitForMoreEvents) &&
                         !m_interrupted.load(std::memory_order_acquire);
    if (mayWait)
        Q_EMIT aboutToBlock();
    if (m_interrupted.load(std::memory_order_acquire))
        return false;

    const bool timers = !flags.testFlag(QEventLoop::X11ExcludeTimers);
    const int timeoutMs = timers ? waitTimeoutMs(mayWait) : (mayWait ? -1 : 0);
    int activated = 0;
    if (flags.testFlag(QEventLoop::ExcludeSocketNotifiers)) {
        // only the wake-up descriptor counts; sockets stay ready (level-triggered) for later
        pollfd wake{m_wakeFd, POLLIN, 0};
        if (::poll(&wake, 1, timeoutMs) > 0) {
            consumeWakeUp();
            ++activated;
        }
    } else {
        int ready = ::epoll_wait(m_epoll, m_ready.data(), kMaxEvents, timeoutMs);
        if (ready < 0) {
            if (errno != EINTR)
                qWarning("rivulet: epoll_wait failed: %s", strerror(errno));
            ready = 0;
        }
        activated += activateSocketNotifiers(ready);
    }
    if (timers)
        activated += activateTimers();
    return activated > 0;
}

int EpollEventDispatcher::waitTimeoutMs(bool mayWait) const
{
    if (!mayWait)
        return 0;
    if (m_deadlines.empty())
        return -1;
    const std::int64_t left = m_deadlines.begin()->first - nowNs();
    if (left <= 0)
        return 0;
    // rounded up: waking before the deadline would only spin until it comes
    const std::int64_t ms = (left + 999999) / 1000000;
    return ms > INT_MAX ? INT_MAX : int(ms);
}

void EpollEventDispatcher::consumeWakeUp()
{
    std::uint64_t count = 0;
    while (::read(m_wakeFd, &count, sizeof count) < 0 && errno == EINTR) {
    }
    // After the read: a wakeUp() racing with it either wrote again or will be seen by the
    // sendPostedEvents() that starts the next processEvents().
    m_wakePending.store(false, std::memory_order_release);
}

int EpollEventDispatcher::activateSocketNotifiers(int ready)
{
    int activated = 0;
    QEvent event(QEvent::SockAct);
    for (int i = 0; i < ready; ++i) {
        const int fd = m_ready[std::size_t(i)].data.fd;
        const std::uint32_t events = m_ready[std::size_t(i)].events;
        if (fd == m_wakeFd) {
            consumeWakeUp();
            ++activated;
            continue;
        }
        // Each delivery may delete notifiers or whole connections (and their watches), so
        // the watch is looked up again before every one.
        const auto notifierFor = [this, fd](QSocketNotifier::Type type) -> QSocketNotifier * {
            const auto it = m_watches.find(fd);
            if (it == m_watches.end())
                return nullptr;
            switch (type) {
            case QSocketNotifier::Read:
                return it->second.read;
            case QSocketNotifier::Write:
                return it->second.write;
            case QSocketNotifier::Exception:
                return it->second.exception;
            }
            return nullptr;
        };
        // an error or hang-up wakes readers and writers, as poll(2) does for Qt's dispatcher
        const bool failed = events & (EPOLLERR | EPOLLHUP);
        if (events & (EPOLLIN | EPOLLRDHUP) || failed)
            if (QSocketNotifier *n = notifierFor(QSocketNotifier::Read)) {
                QCoreApplication::sendEvent(n, &event);
                ++activated;
            }
        if (events & EPOLLOUT || failed)
            if (QSocketNotifier *n = notifierFor(QSocketNotifier::Write)) {
                QCoreApplication::sendEvent(n, &event);
                ++activated;
            }
        if (events & EPOLLPRI)
            if (QSocketNotifier *n = notifierFor(QSocketNotifier::Exception)) {
                QCoreApplication::sendEvent(n, &event);
                ++activated;
            }
    }
    return activated;
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    if (fd < 0 || !isValid())
        return;
    Watch &watch = m_watches[fd];
    QSocketNotifier **slot = notifier->type() == QSocketNotifier::Read    ? &watch.read
                             : notifier->type() == QSocketNotifier::Write ? &watch.write
                                                                          : &watch.exception;
    if (*slot && *slot != notifier)
        qWarning("rivulet: a second socket notifier of the same type for descriptor %d "
                 "replaces the first",
                 fd);
    *slot = notifier;
    updateWatch(fd, watch);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    const auto it = m_watches.find(fd);
    if (it == m_watches.end())
        return;
    Watch &watch = it->second;
    for (QSocketNotifier **slot : {&watch.read, &watch.write, &watch.exception})
        if (*slot == notifier)
            *slot = nullptr;
    updateWatch(fd, watch);
    if (!watch.read && !watch.write && !watch.exception)
        m_watches.erase(it);
}

void EpollEventDispatcher::updateWatch(int fd, Watch &watch)
{
    // Level-triggered, as QSocketNotifier promises: a Connection reads at most a chunk per
    // activation and a paused session leaves input in the socket; both rely on being told
    // again while data is waiting.
    const std::uint32_t wanted = (watch.read ? std::uint32_t(EPOLLIN) : 0u) |
                                 (watch.write ? std::uint32_t(EPOLLOUT) : 0u) |
                                 (watch.exception ? std::uint32_t(EPOLLPRI) : 0u);
    if (wanted == watch.events)
        return;
    epoll_event event{};
    event.events = wanted;
    event.data.fd = fd;
    if (wanted == 0) {
        // fails harmlessly when the descriptor was closed already: the kernel dropped it
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, &event);
        watch.events = 0;
        return;
    }
    int result = ::epoll_ctl(m_epoll, watch.events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event);
    // the descriptor was closed and its number reused behind our back (MOD: not there any
    // more), or was left in the set (ADD: already there)
    if (result != 0 && errno == ENOENT)
        result = ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event);
    else if (result != 0 && errno == EEXIST)
        result = ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event);
    if (result != 0) {
        // EBADF: closed before its notifier was disabled; EPERM: a regular file, which epoll
        // cannot watch (poll(2) would call it always ready)
        if (errno != EBADF)
            qWarning("rivulet: cannot watch descriptor %d: %s", fd, strerror(errno));
        watch.events = 0;
        return;
    }
    watch.events = wanted;
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                         QObject *object)
{
    if (timerId <= 0 || interval < 0 || !object)
        return;
    unregisterTimer(timerId);
    Timer &timer = m_timers[timerId];
    timer.intervalMs = interval;
    timer.type = timerType;
    timer.object = object;
    setDeadline(timerId, timer, nowNs() + interval * 1000000);
}

void EpollEventDispatcher::setDeadline(int timerId, Timer &timer, std::int64_t deadlineNs)
{
    m_deadlines.erase({timer.deadlineNs, timerId});
    timer.deadlineNs = deadlineNs;
    m_deadlines.insert({deadlineNs, timerId});
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return false;
    m_deadlines.erase({it->second.deadlineNs, timerId});
    m_timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    bool any = false;
    for (auto it = m_timers.begin(); it != m_timers.end();) {
        if (it->second.object != object) {
            ++it;
            continue;
        }
        m_deadlines.erase({it->second.deadlineNs, it->first});
        it = m_timers.erase(it);
        any = true;
    }
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo>
EpollEventDispatcher::registeredTimers(QObject *object) const
{
    QList<TimerInfo> out;
    for (const auto &[id, timer] : m_timers)
        if (timer.object == object)
            out.append(TimerInfo(id, int(timer.intervalMs), timer.type));
    return out;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return -1;
    const std::int64_t left = it->second.deadlineNs - nowNs();
    return left <= 0 ? 0 : int(std::min<std::int64_t>((left + 999999) / 1000000, INT_MAX));
}

int EpollEventDispatcher::activateTimers()
{
    if (m_deadlines.empty())
        return 0;
    const std::int64_t now = nowNs();
    // Only the timers due now fire, each once: a handler that restarts its timer (or starts
    // a zero-interval one) is served on a later pass.
    std::vector<int> due;
    for (auto it = m_deadlines.begin(); it != m_deadlines.end() && it->first <= now; ++it)
        due.push_back(it->second);
    int activated = 0;
    for (const int id : due) {
        auto it = m_timers.find(id);
        if (it == m_timers.end() || it->second.inEvent || it->second.deadlineNs > now)
            continue; // stopped, busy in a nested loop, or restarted by an earlier handler
        Timer &timer = it->second;
        std::int64_t next = timer.deadlineNs + timer.intervalMs * 1000000;
        if (next <= now)
            next = now + timer.intervalMs * 1000000; // fell behind: no burst to catch up
        setDeadline(id, timer, next);
        timer.inEvent = true;
        QObject *object = timer.object;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        ++activated;
        it = m_timers.find(id);
        if (it != m_timers.end())
            it->second.inEvent = false;
    }
    return activated;
}

void EpollEventDispatcher::wakeUp()
{
    if (m_wakePending.exchange(true, std::memory_order_acq_rel))
        return; // a wake-up is on its way already
    const std::uint64_t one = 1;
    while (::write(m_wakeFd, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

void EpollEventDispatcher::interrupt()
{
    m_interrupted.store(true, std::memory_order_release);
    wakeUp();
}

} // namespace rivulet
