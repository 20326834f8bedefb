#pragma once

#include <QAbstractEventDispatcher>

#include <atomic>
#include <cstdint>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

struct epoll_event;

namespace rivulet {

// A Qt event dispatcher for the worker threads that waits with epoll, so that a wake-up
// costs in proportion to the connections that are ready, not to the connections that are
// open. Qt's own dispatchers (glib's main loop or QEventDispatcherUNIX) hand every
// registered descriptor to poll(2) on every wake-up, so with 10,000 idle connections each
// request paid for 10,000 descriptors.
//
// It keeps Qt's contract: QSocketNotifier (level-triggered: a notifier fires again on the
// next pass while its descriptor stays ready and it stays enabled), QTimer and
// QObject::startTimer, posted events and queued calls from any thread (woken through an
// eventfd), QEventLoop::exit()/QThread::quit(). Install it with QThread::setEventDispatcher()
// before the thread starts. Linux only.
class EpollEventDispatcher final : public QAbstractEventDispatcher
{
    Q_OBJECT
public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    // False if the epoll or eventfd descriptor could not be made (EMFILE); the thread
    // should then keep Qt's own dispatcher.
    bool isValid() const { return m_epoll >= 0 && m_wakeFd >= 0; }

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

    // Descriptors watched now (for tests).
    int watchedCount() const { return int(m_watches.size()); }

private:
    // The notifiers of one descriptor and the events epoll watches for it.
    struct Watch
    {
        QSocketNotifier *read = nullptr;
        QSocketNotifier *write = nullptr;
        QSocketNotifier *exception = nullptr;
        std::uint32_t events = 0; // what epoll has now; 0: not in the epoll set
    };
    struct Timer
    {
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        QObject *object = nullptr;
        std::int64_t deadlineNs = 0;
        bool inEvent = false; // its QTimerEvent is being delivered: no recursion
    };

    void updateWatch(int fd, Watch &watch);
    void setDeadline(int timerId, Timer &timer, std::int64_t deadlineNs);
    int waitTimeoutMs(bool mayWait) const;
    void consumeWakeUp();
    int activateTimers();
    int activateSocketNotifiers(int ready);

    int m_epoll = -1;
    int m_wakeFd = -1; // eventfd: wakeUp() from any thread
    std::atomic<bool> m_wakePending{false};
    std::atomic<bool> m_interrupted{false};
    std::unordered_map<int, Watch> m_watches;
    std::unordered_map<int, Timer> m_timers;
    std::set<std::pair<std::int64_t, int>> m_deadlines; // (deadline, timer id)
    std::vector<epoll_event> m_ready;
};

} // namespace rivulet
