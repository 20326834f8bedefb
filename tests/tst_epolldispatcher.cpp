// EpollEventDispatcher on a thread of its own: queued calls, timers, socket notifiers
// (level-triggered, enabled and disabled, deleted while others fire) and quitting.
#include "server/epolldispatcher.h"

#include <QSocketNotifier>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <memory>

#include <sys/socket.h>
#include <unistd.h>

using namespace rivulet;

namespace {

// A socketpair whose ends are closed at the end of the test.
struct Pair
{
    int fds[2] = {-1, -1};
    Pair() { ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds); }
    ~Pair()
    {
        for (const int fd : fds)
            if (fd >= 0)
                ::close(fd);
    }
};

// A thread running an EpollEventDispatcher, and an object living in it to run code there.
class EpollThread
{
public:
    EpollThread()
    {
        m_dispatcher = new EpollEventDispatcher;
        m_thread.setEventDispatcher(m_dispatcher);
        m_context.moveToThread(&m_thread);
        m_thread.start();
    }
    ~EpollThread()
    {
        m_thread.quit();
        m_thread.wait();
    }
    // Runs f in the thread and waits for it.
    template <typename F> void run(F f)
    {
        QMetaObject::invokeMethod(&m_context, f, Qt::BlockingQueuedConnection);
    }
    QObject *context() { return &m_context; }
    QThread &thread() { return m_thread; }
    EpollEventDispatcher *dispatcher() const { return m_dispatcher; }

private:
    QThread m_thread;
    QObject m_context;
    EpollEventDispatcher *m_dispatcher; // owned by the thread
};

} // namespace

class TestEpollDispatcher : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void isInstalled()
    {
        EpollThread t;
        QVERIFY(t.dispatcher()->isValid());
        QAbstractEventDispatcher *seen = nullptr;
        t.run([&] { seen = QAbstractEventDispatcher::instance(); });
        QCOMPARE(seen, t.dispatcher());
    }

    void queuedCallsFromManyThreads()
    {
        EpollThread t;
        std::atomic<int> calls{0};
        std::vector<std::unique_ptr<QThread>> posters;
        for (int p = 0; p < 4; ++p) {
            posters.emplace_back(QThread::create([&] {
                for (int i = 0; i < 1000; ++i)
                    QMetaObject::invokeMethod(
                        t.context(), [&] { calls.fetch_add(1); }, Qt::QueuedConnection);
            }));
            posters.back()->start();
        }
        for (auto &p : posters)
            p->wait();
        QTRY_COMPARE(calls.load(), 4000);
    }

    void timersFireAndStop()
    {
        EpollThread t;
        std::atomic<int> single{0}, repeated{0}, zero{0};
        QTimer *repeating = nullptr;
        int remaining = -2;
        t.run([&] {
            QTimer::singleShot(20, t.context(), [&] { single.fetch_add(1); });
            repeating = new QTimer(t.context());
            QObject::connect(repeating, &QTimer::timeout, [&] { repeated.fetch_add(1); });
            repeating->start(5);
            auto *zeroTimer = new QTimer(t.context());
            zeroTimer->setInterval(0);
            QObject::connect(zeroTimer, &QTimer::timeout, zeroTimer, [&, zeroTimer] {
                if (zero.fetch_add(1) + 1 == 3)
                    zeroTimer->stop();
            });
            zeroTimer->start();
            auto *far = new QTimer(t.context());
            far->start(60000);
            remaining = far->remainingTime();
        });
        QVERIFY2(remaining > 50000 && remaining <= 60000, qPrintable(QString::number(remaining)));
        QTRY_COMPARE(single.load(), 1);
        QTRY_VERIFY(repeated.load() >= 5);
        QTRY_COMPARE(zero.load(), 3);
        t.run([&] { repeating->stop(); });
        const int stoppedAt = repeated.load();
        // a queued call after a few timer periods sees no further tick
        std::atomic<bool> later{false};
        t.run([&] { QTimer::singleShot(30, t.context(), [&] { later = true; }); });
        QTRY_VERIFY(later.load());
        QCOMPARE(repeated.load(), stoppedAt);
        // a single-shot timer fired once only
        QCOMPARE(single.load(), 1);
    }

    void socketNotifierIsLevelTriggered()
    {
        EpollThread t;
        Pair pair;
        QVERIFY(pair.fds[0] >= 0);
        std::atomic<int> activations{0};
        std::atomic<int> bytes{0};
        QSocketNotifier *notifier = nullptr;
        t.run([&] {
            notifier = new QSocketNotifier(pair.fds[0], QSocketNotifier::Read, t.context());
            QObject::connect(notifier, &QSocketNotifier::activated, [&] {
                // one byte per activation: the rest must be announced again
                char c;
                if (::read(pair.fds[0], &c, 1) == 1)
                    bytes.fetch_add(1);
                activations.fetch_add(1);
            });
        });
        QCOMPARE(::write(pair.fds[1], "abc", 3), 3);
        QTRY_COMPARE(bytes.load(), 3);
        // disabled: data waits unannounced; enabled again: it comes
        t.run([&] { notifier->setEnabled(false); });
        const int before = activations.load();
        QCOMPARE(::write(pair.fds[1], "d", 1), 1);
        std::atomic<bool> passed{false};
        t.run([&] { QTimer::singleShot(30, t.context(), [&] { passed = true; }); });
        QTRY_VERIFY(passed.load());
        QCOMPARE(activations.load(), before);
        t.run([&] { notifier->setEnabled(true); });
        QTRY_COMPARE(bytes.load(), 4);
        t.run([&] { delete notifier; });
        QCOMPARE(t.dispatcher()->watchedCount(), 0);
    }

    void writeNotifierAndHangUp()
    {
        EpollThread t;
        Pair pair;
        std::atomic<int> writable{0}, readable{0};
        t.run([&] {
            auto *w = new QSocketNotifier(pair.fds[0], QSocketNotifier::Write, t.context());
            QObject::connect(w, &QSocketNotifier::activated, w, [&, w] {
                writable.fetch_add(1);
                w->setEnabled(false);
            });
            auto *r = new QSocketNotifier(pair.fds[0], QSocketNotifier::Read, t.context());
            QObject::connect(r, &QSocketNotifier::activated, r, [&, r] {
                char c[16];
                if (::read(pair.fds[0], c, sizeof c) == 0) { // end of input
                    readable.fetch_add(1);
                    r->setEnabled(false);
                }
            });
        });
        QTRY_COMPARE(writable.load(), 1);
        ::close(pair.fds[1]);
        pair.fds[1] = -1;
        QTRY_COMPARE(readable.load(), 1);
    }

    // Many idle descriptors and one busy one: every message gets through, and a notifier
    // deleting another one (and its descriptor) from its handler is safe.
    void manyIdleAndDeletionsWhileFiring()
    {
        EpollThread t;
        std::vector<std::unique_ptr<Pair>> idle;
        for (int i = 0; i < 500; ++i)
            idle.push_back(std::make_unique<Pair>());
        Pair a, b;
        std::atomic<int> got{0};
        t.run([&] {
            for (auto &p : idle)
                new QSocketNotifier(p->fds[0], QSocketNotifier::Read, t.context());
            auto *nb = new QSocketNotifier(b.fds[0], QSocketNotifier::Read, t.context());
            QObject::connect(nb, &QSocketNotifier::activated, [&] { got.fetch_add(100); });
            auto *na = new QSocketNotifier(a.fds[0], QSocketNotifier::Read, t.context());
            QObject::connect(na, &QSocketNotifier::activated, na, [&, na, nb] {
                char c[16];
                ::read(a.fds[0], c, sizeof c);
                delete nb; // possibly reported ready in this same wake-up
                got.fetch_add(1);
                na->setEnabled(false);
            });
        });
        QCOMPARE(t.dispatcher()->watchedCount(), 502);
        // both ready at once
        QCOMPARE(::write(b.fds[1], "x", 1), 1);
        QCOMPARE(::write(a.fds[1], "x", 1), 1);
        QTRY_VERIFY(got.load() % 100 == 1);
        std::atomic<bool> done{false};
        t.run([&] { QTimer::singleShot(20, t.context(), [&] { done = true; }); });
        QTRY_VERIFY(done.load());
        QVERIFY(got.load() == 1 || got.load() == 101); // b fired at most once before it died
    }

    void quitEndsTheThread()
    {
        EpollThread t;
        QVERIFY(t.thread().isRunning());
        t.thread().quit();
        QVERIFY(t.thread().wait(30000));
        QVERIFY(t.thread().isFinished());
    }
};

QTEST_GUILESS_MAIN(TestEpollDispatcher)
#include "tst_epolldispatcher.moc"
