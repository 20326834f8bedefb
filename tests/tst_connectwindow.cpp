// The window attached to a Kafka cluster (issue 13): `rivulet --connect` and its refusals,
// no secret in its log or settings, a window on a second Rivulet started here as a separate
// process (its topics in the TopicsModel, its name in the title), an unreachable bootstrap
// said in the status bar while the event loop keeps turning, and Connect… opening another
// window that owns its source.
#include "clusterwindows.h"
#include "connectionsdialog.h"
#include "kafkasettings.h"
#include "mainwindow.h"
#include "statusline.h"
#include "support/rivuletprocess.h"
#include "support/windowfixture.h"
#include "topicsmodel.h"

#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace rivulet;
using namespace rivulet::testsupport;

namespace {

// The longest the event loop went without running a 5 ms timer, while it runs.
class StallMeter
{
public:
    StallMeter()
    {
        m_timer.setInterval(5);
        QObject::connect(&m_timer, &QTimer::timeout,
                         [this] { m_longestMs = std::max(m_longestMs, m_clock.restart()); });
        m_clock.start();
        m_timer.start();
    }
    qint64 longestMs() const { return m_longestMs; }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_longestMs = 0;
};

bool writeFile(const QString &path, const QByteArray &text)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(text) == text.size();
}

} // namespace

class TestConnectWindow : public QObject
{
    Q_OBJECT

    QTemporaryDir m_home;

    QProcessEnvironment environment() const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_home.filePath(QStringLiteral("data")));
        return env;
    }

    QString secretFile() const { return m_home.filePath(QStringLiteral("sasl.properties")); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        qputenv("XDG_CONFIG_HOME", m_home.filePath(QStringLiteral("config")).toUtf8());
        QCoreApplication::setOrganizationName(QStringLiteral("rivulet-test"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_connectwindow"));
        QVERIFY(writeFile(secretFile(), "security.protocol=SASL_PLAINTEXT\n"
                                        "sasl.mechanism=PLAIN\n"
                                        "sasl.username=alice\n"
                                        "sasl.password=hunter2-Secret\n"));
    }

    void connectRefusesWhatDoesNotApply_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("says");
        const QString b = QStringLiteral("127.0.0.1:9092");
        QTest::newRow("headless") << QStringList{QStringLiteral("--connect"), b,
                                                 QStringLiteral("--headless")}
                                  << QStringLiteral("--headless");
        QTest::newRow("port") << QStringList{QStringLiteral("--connect"), b,
                                             QStringLiteral("--port"), QStringLiteral("0")}
                              << QStringLiteral("--port does not apply");
        QTest::newRow("data-dir") << QStringList{QStringLiteral("--connect"), b,
                                                 QStringLiteral("--data-dir"),
                                                 m_home.filePath(QStringLiteral("d"))}
                                  << QStringLiteral("--data-dir does not apply");
        QTest::newRow("kafka-port")
            << QStringList{QStringLiteral("--kafka-port"), QStringLiteral("0"),
                           QStringLiteral("--connect"), b}
            << QStringLiteral("--kafka-port does not apply");
        QTest::newRow("no port") << QStringList{QStringLiteral("--connect"),
                                                QStringLiteral("kafka.example")}
                                 << QStringLiteral("has no port");
        QTest::newRow("config alone") << QStringList{QStringLiteral("--kafka-config"), secretFile()}
                                      << QStringLiteral("--kafka-config is for --connect");
        QTest::newRow("unreadable config")
            << QStringList{QStringLiteral("--connect"), b, QStringLiteral("--kafka-config"),
                           m_home.filePath(QStringLiteral("missing.properties"))}
            << QStringLiteral("cannot read");
    }

    void connectRefusesWhatDoesNotApply()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, says);
        const Run run = runProcess(binary("rivulet"), args, {}, environment());
        QVERIFY2(run.finished, run.describe());
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(says), run.describe());
        QVERIFY(!run.out.contains(QStringLiteral("ready")));
    }

    void connectWithoutDisplaySaysSo()
    {
        QProcessEnvironment env = environment();
        env.remove(QStringLiteral("QT_QPA_PLATFORM"));
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        const Run run =
            runProcess(binary("rivulet"),
                       {QStringLiteral("--connect"), QStringLiteral("127.0.0.1:9092")}, {}, env);
        QVERIFY2(run.finished && run.exitCode == 2, run.describe());
        QVERIFY2(run.err.contains(QStringLiteral("no display")), run.describe());
    }

    void connectLogsNoSecret()
    {
        QProcess rivulet;
        rivulet.setProcessEnvironment(environment());
        rivulet.start(binary("rivulet"), {QStringLiteral("--connect"),
                                          QStringLiteral("127.0.0.1:%1").arg(unusedPort()),
                                          QStringLiteral("--kafka-config"), secretFile()});
        QVERIFY(rivulet.waitForStarted(kTimeoutMs));
        QByteArray err;
        QDeadlineTimer deadline(kTimeoutMs);
        while (!err.contains("connecting to") && !deadline.hasExpired() &&
               rivulet.state() == QProcess::Running) {
            rivulet.waitForReadyRead(100);
            err += rivulet.readAllStandardError();
        }
        rivulet.terminate();
        QVERIFY(rivulet.waitForFinished(kTimeoutMs));
        err += rivulet.readAllStandardError();
        const QByteArray out = rivulet.readAllStandardOutput();
        QVERIFY2(err.contains("connecting to"), err.constData());
        QVERIFY2(err.contains("user alice"), err.constData());
        QVERIFY2(!err.contains("hunter2") && !out.contains("hunter2"), err.constData());
        QVERIFY(!out.contains("ready")); // no broker here
        // nor in the settings the window wrote when it closed
        QFile settings(m_home.filePath(QStringLiteral("config/rivulet/rivulet.conf")));
        if (settings.open(QIODevice::ReadOnly))
            QVERIFY(!settings.readAll().contains("hunter2"));
    }

    void windowShowsAnotherRivulet()
    {
        BrokerProcess second(environment());
        QVERIFY2(second.start({QStringLiteral("--headless"), QStringLiteral("--port"),
                               QStringLiteral("0"), QStringLiteral("--kafka-port"),
                               QStringLiteral("0"), QStringLiteral("--in-memory")}),
                 qPrintable(second.describe()));
        QVERIFY(second.kafkaPort() != 0);
        const QString native = QString::number(second.nativePort());
        for (const QStringList &args :
             {QStringList{QStringLiteral("create"), QStringLiteral("orders"),
                          QStringLiteral("--partitions"), QStringLiteral("3")},
              QStringList{QStringLiteral("create"), QStringLiteral("audit")},
              QStringList{QStringLiteral("produce"), QStringLiteral("orders"), QStringLiteral("a"),
                          QStringLiteral("b"), QStringLiteral("c")}}) {
            const Run run = runProcess(binary("rivulet-cli"),
                                       QStringList{QStringLiteral("--port"), native} + args);
            QVERIFY2(run.finished && run.exitCode == 0, run.describe());
        }

        ClusterWindows windows(ConnectionStore::localListener());
        KafkaSettings settings;
        settings.bootstrap = QStringLiteral("127.0.0.1:%1").arg(second.kafkaPort());
        QString error;
        QElapsedTimer clock;
        clock.start();
        MainWindow *window = windows.open(settings, QStringLiteral("second rivulet"), error);
        QVERIFY2(window, qPrintable(error));
        const qint64 openMs = clock.elapsed();
        // from here the window only refreshes: every snapshot is taken off the GUI thread
        StallMeter stalls;
        QTRY_VERIFY_WITH_TIMEOUT(
            window->topicsModel()->topicNames().contains(QStringLiteral("orders")), kTimeoutMs);
        QVERIFY(window->topicsModel()->topicNames().contains(QStringLiteral("audit")));
        QVERIFY2(window->windowTitle().contains(QStringLiteral("second rivulet")),
                 qPrintable(window->windowTitle()));
        QVERIFY2(window->windowTitle().contains(settings.bootstrap),
                 qPrintable(window->windowTitle()));
        QVERIFY(window->sourceProblem().isEmpty());
        qInfo("window on a second rivulet: built and shown in %lld ms, topics shown after %lld "
              "ms, longest event-loop stall meanwhile %lld ms",
              openMs, clock.elapsed(), stalls.longestMs());
        QCOMPARE(windows.windows().size(), 1);

        // the cluster goes away: the window says so and keeps what it showed
        second.kill();
        QTRY_VERIFY_WITH_TIMEOUT(window->sourceProblem().contains(QStringLiteral("unreachable")),
                                 kTimeoutMs);
        QVERIFY(window->topicsModel()->topicNames().contains(QStringLiteral("orders")));
        window->close(); // WA_DeleteOnClose: the window, then its source
        QTRY_COMPARE(windows.windows().size(), 0);
    }

    void unreachableSaysSoWithoutStalling()
    {
        ClusterWindows windows(ConnectionStore::localListener());
        KafkaSettings settings;
        settings.bootstrap = QStringLiteral("127.0.0.1:%1").arg(unusedPort());
        QString error;
        QElapsedTimer clock;
        clock.start();
        MainWindow *window = windows.open(settings, QStringLiteral("nowhere"), error);
        QVERIFY2(window, qPrintable(error));
        const qint64 openMs = clock.elapsed();
        StallMeter stalls; // while the window tries to reach the cluster
        QVERIFY2(window->windowTitle().contains(QStringLiteral("nowhere")),
                 qPrintable(window->windowTitle()));
        QTRY_VERIFY_WITH_TIMEOUT(window->sourceProblem().contains(QStringLiteral("unreachable")),
                                 kTimeoutMs);
        QVERIFY(window->sourceProblem().contains(QStringLiteral("nowhere")));
        qInfo("unreachable cluster: window built and shown in %lld ms, unreachable said after "
              "%lld ms, longest event-loop stall meanwhile %lld ms: %s",
              openMs, clock.elapsed(), stalls.longestMs(), qPrintable(window->sourceProblem()));
    }

    void connectMenuOpensAnotherWindow()
    {
        ClusterWindows windows(ConnectionStore::localListener());
        KafkaSettings settings;
        settings.bootstrap = QStringLiteral("127.0.0.1:%1").arg(unusedPort());
        QString error;
        MainWindow *first = windows.open(settings, QStringLiteral("first"), error);
        QVERIFY2(first, qPrintable(error));
        ConnectionsDialog *dialog = first->openConnections();
        QVERIFY(dialog);
        QCOMPARE(dialog->store().at(0).bootstrap, QStringLiteral("127.0.0.1:9092"));
        QTest::mouseClick(dialog->newButton(), Qt::LeftButton);
        rivulet::testing::typeInto(dialog->nameEdit(), QStringLiteral("elsewhere"));
        rivulet::testing::typeInto(dialog->bootstrapEdit(),
                                   QStringLiteral("127.0.0.1:%1").arg(unusedPort()));
        QTest::mouseClick(dialog->connectButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(windows.windows().size(), 2, kTimeoutMs);
        MainWindow *second = windows.windows().at(1);
        QVERIFY(second != first);
        QVERIFY2(second->windowTitle().contains(QStringLiteral("elsewhere")),
                 qPrintable(second->windowTitle()));
        QVERIFY(second->testAttribute(Qt::WA_DeleteOnClose));
        second->close();
        QTRY_COMPARE(windows.windows().size(), 1);

        // a connection whose properties file is gone: said, and no window
        QSignalSpy failed(&windows, &ClusterWindows::openFailed);
        SavedConnection broken;
        broken.name = QStringLiteral("broken");
        broken.bootstrap = QStringLiteral("127.0.0.1:9092");
        broken.configFile = m_home.filePath(QStringLiteral("gone.properties"));
        windows.openConnection(broken, first);
        QVERIFY(failed.wait(kTimeoutMs));
        QVERIFY(failed.at(0).at(0).toString().contains(QStringLiteral("gone.properties")));
        QCOMPARE(windows.windows().size(), 1);
        QVERIFY(rivulet::testing::answerMessageBox(first, QStringLiteral("OK")));
    }
};

QTEST_MAIN(TestConnectWindow)
#include "tst_connectwindow.moc"
