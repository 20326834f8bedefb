// The window on a source that is not the in-process broker with listeners (issue 13): no
// listener segment or listener actions, the title naming the source, and a source that does
// not answer — "connecting to …" until the first snapshot comes back, "… unreachable since …"
// once one failed, the last data kept, the window never waiting for it on the GUI thread.
#include "broker.h"
#include "brokersource.h"
#include "consumersmodel.h"
#include "consumerspanel.h"
#include "mainwindow.h"
#include "modelroles.h"
#include "statusline.h"
#include "support/windowfixture.h"
#include "topicsmodel.h"

#include <QAction>
#include <QLabel>
#include <QMenu>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QTimer>
#include <QToolButton>

#include <atomic>

using namespace rivulet;
using namespace rivulet::testing;

namespace {

// A cluster as the window sees one: the broker of this test behind it, reachable or not,
// and its snapshot held back on demand (a slow network).
class RemoteSource : public BrokerSource
{
public:
    using BrokerSource::BrokerSource;
    using ClusterSource::resetGroupOffsets;

    SourceInfo info() const override
    {
        SourceInfo info;
        info.kind = SourceInfo::Kind::Kafka;
        info.name = QStringLiteral("staging");
        info.bootstrap = QStringLiteral("127.0.0.1:1");
        return info;
    }
    bool snapshot(BrokerSnapshot &snapshot, QString &error) override
    {
        if (hold.load()) {
            held.release();
            gate.acquire();
        }
        if (down.load()) {
            error = QStringLiteral("connection refused");
            return false;
        }
        return BrokerSource::snapshot(snapshot, error);
    }
    bool hasNativeConsumers() const override { return false; }

    std::atomic<bool> down{false};
    std::atomic<bool> hold{false};
    QSemaphore held; // released when a held snapshot() has started
    QSemaphore gate; // lets a held snapshot() go on
};

QAction *actionNamed(QWidget &w, const QString &text)
{
    for (QAction *a : w.findChildren<QAction *>())
        if (a->text() == text)
            return a;
    return nullptr;
}

} // namespace

class TestWindowSource : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void aClusterWindowHasNoListenerParts()
    {
        Broker broker;
        RemoteSource source(broker);
        MainWindow w(source);
        w.setRefreshIntervalMs(0);
        w.show();
        QCOMPARE(w.windowTitle(), QStringLiteral("Rivulet — staging (127.0.0.1:1)"));
        QAction *copy = actionNamed(w, QStringLiteral("&Copy address"));
        QAction *listen = actionNamed(w, QStringLiteral("Listen on other &ports…"));
        QVERIFY(copy && listen);
        QVERIFY(!copy->isVisible());
        QVERIFY(!listen->isVisible());
        QVERIFY(!actionNamed(w, QStringLiteral("Copy &Kafka bootstrap address")));
        // the address segment names the cluster, with no Copy button
        QTRY_VERIFY2(w.statusLine()->addressLabel()->text().contains(QLatin1String("staging")),
                     qPrintable(w.statusLine()->addressLabel()->text()));
        for (QToolButton *b : w.statusLine()->findChildren<QToolButton *>())
            if (b->text() == QLatin1String("Copy"))
                QVERIFY(!b->isVisible());

        // a native consumer's position cannot be forgotten on a cluster: not offered
        QVERIFY(createFilledTopic(broker, QStringLiteral("cg"), {3}));
        broker.topics().find("cg")->partition(0)->noteConsumer("reader", 2, 2, Broker::nowMs());
        QSignalSpy refreshed(&w, &MainWindow::refreshed);
        w.refresh();
        QVERIFY(refreshed.wait(kTimeoutMs));
        const QAbstractItemModel *m = w.consumersView()->model();
        const int row = consumerRow(m, "reader", "cg", 0);
        QVERIFY(row >= 0);
        const std::unique_ptr<QMenu> menu(w.consumersPanel()->consumerMenu(m->index(row, 0)));
        for (QAction *a : menu->actions())
            QVERIFY2(!a->text().startsWith(QLatin1String("Forget")), qPrintable(a->text()));
    }

    void anUnreachableSourceIsSaidAndTheLastDataKept()
    {
        Broker broker;
        QVERIFY(createFilledTopic(broker, QStringLiteral("orders"), {2, 1}));
        RemoteSource source(broker);
        source.down = true;
        MainWindow w(source);
        w.setRefreshIntervalMs(0);
        QSignalSpy refreshed(&w, &MainWindow::refreshed);
        // until the first refresh (made off the GUI thread) comes back
        QLabel *problem = w.statusLine()->problemLabel();
        QVERIFY2(w.sourceProblem() == QStringLiteral("connecting to 127.0.0.1:1…"),
                 qPrintable(w.sourceProblem()));
        QVERIFY2(problem->text().contains(QStringLiteral("connecting to 127.0.0.1:1…")),
                 qPrintable(problem->text()));
        // a source never reached is unreachable too, and says why
        QTRY_VERIFY(refreshed.count() >= 1);
        QVERIFY2(w.sourceProblem().startsWith(QLatin1String("staging unreachable since ")),
                 qPrintable(w.sourceProblem()));
        QVERIFY2(w.sourceProblem().endsWith(QLatin1String(": connection refused")),
                 qPrintable(w.sourceProblem()));
        QCOMPARE(w.topicsModel()->rowCount(), 0);

        // it answers: the topics show and the problem goes
        source.down = false;
        w.refresh();
        QTRY_COMPARE(w.topicsModel()->rowCount(), 1);
        QTRY_VERIFY(w.sourceProblem().isEmpty());
        QVERIFY(problem->isHidden());

        // it stops answering: the rows stay, the status bar says since when and why
        source.down = true;
        const int before = refreshed.count();
        w.refresh();
        QTRY_VERIFY(refreshed.count() > before);
        QCOMPARE(w.topicsModel()->rowCount(), 1);
        QVERIFY2(w.sourceProblem().startsWith(QLatin1String("staging unreachable since ")),
                 qPrintable(w.sourceProblem()));
        QVERIFY2(w.sourceProblem().endsWith(QLatin1String(": connection refused")),
                 qPrintable(w.sourceProblem()));
        QVERIFY(problem->isVisibleTo(&w));
        QVERIFY2(problem->text().contains(QLatin1String("unreachable since")),
                 qPrintable(problem->text()));
        // the time it started failing stays while it goes on failing
        const QString first = w.sourceProblem();
        w.refresh();
        QTRY_VERIFY(refreshed.count() > before + 1);
        QCOMPARE(w.sourceProblem(), first);

        source.down = false;
        w.refresh();
        QTRY_VERIFY(w.sourceProblem().isEmpty());
    }

    void aSlowSnapshotDoesNotHoldTheWindow()
    {
        Broker broker;
        RemoteSource source(broker);
        MainWindow w(source);
        w.setRefreshIntervalMs(0);
        QSignalSpy refreshed(&w, &MainWindow::refreshed);
        QTRY_VERIFY(refreshed.count() >= 1);
        QVERIFY(createFilledTopic(broker, QStringLiteral("late"), {1}));
        source.hold = true;
        w.refresh(); // returns while the snapshot is still being made
        QVERIFY(source.held.tryAcquire(1, kTimeoutMs));
        // the GUI thread goes on: events are handled while the snapshot waits
        bool handled = false;
        QTimer::singleShot(0, &w, [&handled] { handled = true; });
        QTRY_VERIFY(handled);
        QCOMPARE(w.topicsModel()->rowCount(), 0);
        source.hold = false;
        source.gate.release();
        QTRY_COMPARE(w.topicsModel()->rowCount(), 1);
    }
};

QTEST_MAIN(TestWindowSource)
#include "tst_windowsource.moc"
