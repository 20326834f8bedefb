// The Connections dialog (Broker → Connect…) and the store behind it (issue 13): named
// connections kept in QSettings without a secret, "This machine's broker" first, and Test
// against a Kafka listener started here and against a port nobody listens on.
#include "broker.h"
#include "connectionsdialog.h"
#include "connectionstore.h"
#include "kafka/kafkahandler.h"
#include "kafkasettings.h"
#include "server/server.h"
#include "support/rivuletprocess.h"
#include "support/windowfixture.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rivulet;
using namespace rivulet::testing;

namespace {

SavedConnection saved(const QString &name, const QString &bootstrap, const QString &file = {})
{
    SavedConnection c;
    c.name = name;
    c.bootstrap = bootstrap;
    c.configFile = file;
    return c;
}

} // namespace

class TestConnections : public QObject
{
    Q_OBJECT

    QTemporaryDir m_home;

    static QString settingsText()
    {
        QSettings().sync();
        QFile file(QSettings().fileName());
        return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_home.isValid());
        // QSettings reads XDG_CONFIG_HOME when first used: a settings file of this test's own
        qputenv("XDG_CONFIG_HOME", m_home.filePath(QStringLiteral("config")).toUtf8());
        QCoreApplication::setOrganizationName(QStringLiteral("rivulet-test"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_connections"));
        QVERIFY(QSettings().fileName().startsWith(m_home.path()));
    }

    void init() { QSettings().remove(QLatin1String(ConnectionStore::kSettingsGroup)); }

    void bootstrapChecks()
    {
        QVERIFY(bootstrapProblem(QStringLiteral("127.0.0.1:9092")).isEmpty());
        QVERIFY(bootstrapProblem(QStringLiteral("a.example:9092, b.example:19092")).isEmpty());
        QVERIFY(bootstrapProblem(QStringLiteral("[::1]:9092")).isEmpty());
        QVERIFY(!bootstrapProblem(QString()).isEmpty());
        QVERIFY(bootstrapProblem(QStringLiteral("kafka")).contains(QStringLiteral("no port")));
        QVERIFY(bootstrapProblem(QStringLiteral("kafka:0")).contains(QStringLiteral("1 to 65535")));
        QVERIFY(bootstrapProblem(QStringLiteral("kafka:99999")).contains(QStringLiteral("65535")));
        QVERIFY(bootstrapProblem(QStringLiteral("::1:9092")).contains(QStringLiteral("brackets")));
        QVERIFY(!bootstrapProblem(QStringLiteral("a:9092,")).isEmpty());
        QVERIFY(!bootstrapProblem(QStringLiteral("user@host:9092")).isEmpty());
    }

    void storeKeepsConnectionsAcrossInstances()
    {
        {
            ConnectionStore store(ConnectionStore::inProcessBroker());
            QAbstractItemModelTester tester(&store,
                                            QAbstractItemModelTester::FailureReportingMode::QtTest);
            QCOMPARE(store.count(), 1);
            QVERIFY(store.at(0).inProcess);
            QVERIFY(!store.isEditable(0));
            QVERIFY(!store.remove(0));
            QString error;
            QCOMPARE(store.add(saved(QStringLiteral("staging"), QStringLiteral(" kafka1:9092 "),
                                     QStringLiteral("/etc/staging.properties")),
                               error),
                     1);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            QCOMPARE(store.add(saved(QStringLiteral("prod"), QStringLiteral("kafka2:9093")), error),
                     2);
            // names are unique whatever their case; the bootstrap must be well formed
            QCOMPARE(store.add(saved(QStringLiteral("Staging"), QStringLiteral("x:1")), error), -1);
            QVERIFY(error.contains(QStringLiteral("already")));
            QCOMPARE(store.add(saved(QStringLiteral("bad"), QStringLiteral("nohost")), error), -1);
            QVERIFY(error.contains(QStringLiteral("no port")));
            QCOMPARE(store.add(saved(QStringLiteral("  "), QStringLiteral("x:1")), error), -1);
            QVERIFY(error.contains(QStringLiteral("name")));
            QVERIFY(!store.update(0, saved(QStringLiteral("x"), QStringLiteral("x:1")), error));
            QVERIFY(store.update(
                2, saved(QStringLiteral("production"), QStringLiteral("kafka2:9094")), error));
            QCOMPARE(store.count(), 3);
            QCOMPARE(store.data(store.index(1)).toString(),
                     QStringLiteral("staging — kafka1:9092"));
        }
        ConnectionStore again(ConnectionStore::localListener());
        QCOMPARE(again.count(), 3);
        QCOMPARE(again.at(0).name, QStringLiteral("This machine's broker"));
        QCOMPARE(again.at(0).bootstrap, QStringLiteral("127.0.0.1:9092"));
        QVERIFY(!again.at(0).inProcess);
        QCOMPARE(again.at(1).name, QStringLiteral("staging"));
        QCOMPARE(again.at(1).bootstrap, QStringLiteral("kafka1:9092"));
        QCOMPARE(again.at(1).configFile, QStringLiteral("/etc/staging.properties"));
        QCOMPARE(again.at(2).name, QStringLiteral("production"));
        QCOMPARE(again.at(2).bootstrap, QStringLiteral("kafka2:9094"));
        QVERIFY(again.remove(1));
        ConnectionStore third(ConnectionStore::localListener());
        QCOMPARE(third.count(), 2);
        QCOMPARE(third.at(1).name, QStringLiteral("production"));
        QCOMPARE(third.find(QStringLiteral("PRODUCTION")), 1);
        QCOMPARE(third.find(QStringLiteral("staging")), -1);
    }

    void storeSkipsWhatCouldNotHaveBeenSaved()
    {
        QSettings s;
        s.beginGroup(QLatin1String(ConnectionStore::kSettingsGroup));
        s.beginWriteArray(QStringLiteral("list"), 3);
        s.setArrayIndex(0);
        s.setValue(QStringLiteral("name"), QStringLiteral("good"));
        s.setValue(QStringLiteral("bootstrap"), QStringLiteral("h:1"));
        s.setArrayIndex(1);
        s.setValue(QStringLiteral("name"), QStringLiteral("no port"));
        s.setValue(QStringLiteral("bootstrap"), QStringLiteral("h"));
        s.setArrayIndex(2);
        s.setValue(QStringLiteral("name"), QStringLiteral("GOOD"));
        s.setValue(QStringLiteral("bootstrap"), QStringLiteral("h:2"));
        s.endArray();
        s.endGroup();
        s.sync();
        ConnectionStore store(ConnectionStore::inProcessBroker());
        QCOMPARE(store.count(), 2);
        QCOMPARE(store.at(1).name, QStringLiteral("good"));
    }

    void settingsForReadsThePropertiesFile()
    {
        const QString path = m_home.filePath(QStringLiteral("client.properties"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
                   "sasl.username=alice\nsasl.password=hunter2-secret\n");
        file.close();
        KafkaSettings settings;
        QString error;
        QVERIFY2(kafkaSettingsFor(saved(QStringLiteral("c"), QStringLiteral("h:9092"), path),
                                  settings, error),
                 qPrintable(error));
        QCOMPARE(settings.bootstrap, QStringLiteral("h:9092"));
        QCOMPARE(settings.properties.size(), 4);
        QVERIFY(!settings.describe().contains(QStringLiteral("hunter2")));
        // a connection saved with that file keeps only its path
        ConnectionStore store(ConnectionStore::inProcessBroker());
        QCOMPARE(store.add(saved(QStringLiteral("sasl"), QStringLiteral("h:9092"), path), error),
                 1);
        QVERIFY(settingsText().contains(QStringLiteral("client.properties")));
        QVERIFY(!settingsText().contains(QStringLiteral("hunter2")));
        QVERIFY(!kafkaSettingsFor(saved(QStringLiteral("c"), QStringLiteral("h:9092"),
                                        m_home.filePath(QStringLiteral("missing.properties"))),
                                  settings, error));
        QVERIFY(error.contains(QStringLiteral("missing.properties")));
        QVERIFY(!kafkaSettingsFor(ConnectionStore::inProcessBroker(), settings, error));
    }

    void dialogAddsEditsAndRemovesAsTyped()
    {
        ConnectionsDialog dialog(ConnectionStore::inProcessBroker());
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        // the first entry is selected, shown, and fixed
        QCOMPARE(dialog.selectedRow(), 0);
        QCOMPARE(dialog.nameEdit()->text(), QStringLiteral("This machine's broker"));
        QVERIFY(dialog.nameEdit()->isReadOnly());
        QVERIFY(!dialog.removeButton()->isEnabled());
        QVERIFY(!dialog.saveButton()->isEnabled());
        QVERIFY(!dialog.testButton()->isEnabled()); // this process's broker: nothing to test

        QTest::mouseClick(dialog.newButton(), Qt::LeftButton);
        QCOMPARE(dialog.selectedRow(), -1);
        QVERIFY(!dialog.nameEdit()->isReadOnly());
        typeInto(dialog.nameEdit(), QStringLiteral("staging"));
        typeInto(dialog.bootstrapEdit(), QStringLiteral("kafka-staging"));
        QTest::mouseClick(dialog.saveButton(), Qt::LeftButton);
        QVERIFY(dialog.resultLabel()->text().contains(QStringLiteral("no port")));
        QCOMPARE(dialog.store().count(), 1);
        typeInto(dialog.bootstrapEdit(), QStringLiteral("kafka-staging:9092"));
        typeInto(dialog.configFileEdit(), QStringLiteral("/home/me/staging.properties"));
        QTest::mouseClick(dialog.saveButton(), Qt::LeftButton);
        QCOMPARE(dialog.store().count(), 2);
        QCOMPARE(dialog.selectedRow(), 1);
        QCOMPARE(dialog.resultLabel()->text(), QStringLiteral("Saved staging"));
        QVERIFY(dialog.removeButton()->isEnabled());

        // edit it: same row, new bootstrap
        typeInto(dialog.bootstrapEdit(), QStringLiteral("kafka-staging:19092"));
        QTest::mouseClick(dialog.saveButton(), Qt::LeftButton);
        QCOMPARE(dialog.store().count(), 2);
        QCOMPARE(dialog.store().at(1).bootstrap, QStringLiteral("kafka-staging:19092"));
        QVERIFY(settingsText().contains(QStringLiteral("kafka-staging:19092")));

        // a second one with the same name is refused
        QTest::mouseClick(dialog.newButton(), Qt::LeftButton);
        typeInto(dialog.nameEdit(), QStringLiteral("STAGING"));
        typeInto(dialog.bootstrapEdit(), QStringLiteral("other:9092"));
        QTest::mouseClick(dialog.saveButton(), Qt::LeftButton);
        QVERIFY(dialog.resultLabel()->text().contains(QStringLiteral("already")));
        QCOMPARE(dialog.store().count(), 2);

        // picking a row in the list shows it in the form
        QListView *list = dialog.list();
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {},
                          list->visualRect(dialog.store().index(1)).center());
        QCOMPARE(dialog.selectedRow(), 1);
        QCOMPARE(dialog.nameEdit()->text(), QStringLiteral("staging"));
        QCOMPARE(dialog.configFileEdit()->text(), QStringLiteral("/home/me/staging.properties"));
        QTest::mouseClick(dialog.removeButton(), Qt::LeftButton);
        QCOMPARE(dialog.store().count(), 1);
        QCOMPARE(dialog.selectedRow(), 0);
        QCOMPARE(ConnectionStore(ConnectionStore::inProcessBroker()).count(), 1);
    }

    // Every label with a mnemonic names its field: a label without a buddy shows the "&"
    // ("&Properties file:") and its Alt+letter goes nowhere.
    void labelsHaveBuddies()
    {
        ConnectionsDialog dialog(ConnectionStore::inProcessBroker());
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        int mnemonics = 0;
        for (QLabel *label : dialog.findChildren<QLabel *>()) {
            const QString text = label->text();
            if (!text.contains(QRegularExpression(QStringLiteral("(^|[^&])&[^&]"))))
                continue;
            ++mnemonics;
            QVERIFY2(label->buddy(), qPrintable(text));
        }
        QCOMPARE(mnemonics, 3);
        dialog.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&dialog));
        QTest::mouseClick(dialog.newButton(), Qt::LeftButton);
        dialog.nameEdit()->setFocus();
        QTest::keyClick(&dialog, Qt::Key_P, Qt::AltModifier);
        QTRY_COMPARE(QApplication::focusWidget(), dialog.configFileEdit());
    }

    void dialogConnectHandsOnTheForm()
    {
        ConnectionsDialog dialog(ConnectionStore::localListener());
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QSignalSpy requested(&dialog, &ConnectionsDialog::connectRequested);
        QTest::mouseClick(dialog.newButton(), Qt::LeftButton);
        typeInto(dialog.bootstrapEdit(), QStringLiteral("10.0.0.7"));
        QTest::mouseClick(dialog.connectButton(), Qt::LeftButton);
        QCOMPARE(requested.count(), 0); // no port: said, and the dialog stays
        QVERIFY(dialog.isVisible());
        QVERIFY(dialog.resultLabel()->text().contains(QStringLiteral("no port")));
        typeInto(dialog.bootstrapEdit(), QStringLiteral("10.0.0.7:9092"));
        QTest::mouseClick(dialog.connectButton(), Qt::LeftButton);
        QCOMPARE(requested.count(), 1);
        const auto chosen = requested.at(0).at(0).value<SavedConnection>();
        QCOMPARE(chosen.bootstrap, QStringLiteral("10.0.0.7:9092"));
        QCOMPARE(chosen.name, QStringLiteral("10.0.0.7:9092")); // unnamed: its address
        QVERIFY(!dialog.isVisible());
        QCOMPARE(dialog.store().count(), 1); // connecting does not save

        // the first entry of a --connect process is the local Kafka port
        ConnectionsDialog local(ConnectionStore::localListener());
        QSignalSpy localRequested(&local, &ConnectionsDialog::connectRequested);
        local.show();
        QVERIFY(local.testButton()->isEnabled());
        QTest::keyClick(local.list(), Qt::Key_Return); // the default button: Connect
        QTRY_COMPARE(localRequested.count(), 1);
        QCOMPARE(localRequested.at(0).at(0).value<SavedConnection>().bootstrap,
                 QStringLiteral("127.0.0.1:9092"));
    }

    void testSaysReachableWithBrokersAndTopics()
    {
        Broker broker;
        QVERIFY(broker.createTopic("orders", 3).topic);
        QVERIFY(broker.createTopic("audit", 1).topic);
        kafka::KafkaConfig config;
        config.port = 0;
        Server server(broker, 1, config);
        QVERIFY(server.start(QHostAddress::LocalHost, 0));

        ConnectionsDialog dialog(ConnectionStore::inProcessBroker());
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QSignalSpy finished(&dialog, &ConnectionsDialog::testFinished);
        QTest::mouseClick(dialog.newButton(), Qt::LeftButton);
        typeInto(dialog.nameEdit(), QStringLiteral("here"));
        typeInto(dialog.bootstrapEdit(), QStringLiteral("127.0.0.1:%1").arg(server.serverPort()));
        QTest::mouseClick(dialog.testButton(), Qt::LeftButton);
        // the listener answers on this thread: the test runs off it, the loop keeps turning
        QVERIFY(dialog.testRunning());
        QVERIFY(!dialog.testButton()->isEnabled());
        QVERIFY(finished.wait(kTimeoutMs));
        QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(finished.at(0).at(1).toString()));
        QCOMPARE(dialog.resultLabel()->text(), QStringLiteral("reachable: 1 broker, 2 topics"));
        QVERIFY(dialog.testButton()->isEnabled());
        server.stop();
        broker.shutdown();
    }

    void testSaysWhyNotAndKeepsTheWindowTurning()
    {
        ConnectionsDialog dialog(ConnectionStore::inProcessBroker());
        dialog.setTestTimeoutMs(3000);
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        QSignalSpy finished(&dialog, &ConnectionsDialog::testFinished);
        QTest::mouseClick(dialog.newButton(), Qt::LeftButton);
        typeInto(dialog.bootstrapEdit(),
                 QStringLiteral("127.0.0.1:%1").arg(testsupport::unusedPort()));
        QElapsedTimer clock;
        clock.start();
        QTest::mouseClick(dialog.testButton(), Qt::LeftButton);
        const qint64 clickMs = clock.elapsed();
        QVERIFY(finished.wait(kTimeoutMs));
        QVERIFY(!finished.at(0).at(0).toBool());
        QVERIFY2(!dialog.resultLabel()->text().isEmpty(), "no reason given");
        QVERIFY(!dialog.resultLabel()->text().startsWith(QStringLiteral("reachable")));
        qInfo("unreachable: the click returned after %lld ms, the answer came after %lld ms: %s",
              clickMs, clock.elapsed(), qPrintable(dialog.resultLabel()->text()));

        // an unreadable properties file is said, not tried
        typeInto(dialog.configFileEdit(), m_home.filePath(QStringLiteral("nope.properties")));
        QTest::mouseClick(dialog.testButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, kTimeoutMs);
        QVERIFY(dialog.resultLabel()->text().contains(QStringLiteral("nope.properties")));
    }

    void connectOpensFromTheWindowMenu()
    {
        Fixture f;
        QSignalSpy requested(f.window.get(), &MainWindow::connectRequested);
        ConnectionsDialog *dialog = f.window->openConnections();
        QVERIFY(dialog);
        QCOMPARE(f.window->openConnections(), dialog); // one at a time
        QVERIFY(dialog->store().at(0).inProcess);
        QTest::mouseClick(dialog->connectButton(), Qt::LeftButton);
        QCOMPARE(requested.count(), 1);
        QVERIFY(requested.at(0).at(0).value<SavedConnection>().inProcess);
    }
};

QTEST_MAIN(TestConnections)
#include "tst_connections.moc"
