#include "aboutdialog.h"
#include "broker.h"
#include "brokersource.h"
#include "documentation.h"
#include "kafka/kafkahandler.h"
#include "mainwindow.h"
#include "server/server.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QMenuBar>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

// Help → About and Help → Open documentation; the icon compiled into the executable.

using namespace rivulet;

namespace {

QAction *menuAction(QMainWindow &window, const QString &menu, const QString &text)
{
    for (QAction *top : window.menuBar()->actions())
        if (top->text() == menu && top->menu())
            for (QAction *a : top->menu()->actions())
                if (a->text() == text)
                    return a;
    return nullptr;
}

// A broker with a native and a Kafka listener on free ports, and the window onto it.
struct Fixture
{
    explicit Fixture(const QString &dataDir = {})
        : native(broker, 1), kafka(broker, 1, kafka::KafkaConfig{})
    {
        if (!dataDir.isEmpty()) {
            QStringList notes;
            QString error;
            if (!broker.openDataDir(dataDir, notes, error))
                qFatal("cannot open %s: %s", qPrintable(dataDir), qPrintable(error));
        }
        if (!native.start(QHostAddress::LocalHost, 0) || !kafka.start(QHostAddress::LocalHost, 0))
            qFatal("cannot listen");
        window = std::make_unique<MainWindow>(source);
        window->addListener(native);
        window->addListener(kafka);
    }
    ~Fixture()
    {
        window.reset();
        kafka.stop();
        native.stop();
        broker.shutdown();
    }

    Broker broker;
    BrokerSource source{broker};
    Server native;
    Server kafka;
    std::unique_ptr<MainWindow> window;
};

} // namespace

class TestAboutDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void iconFromTheResources()
    {
        const QIcon icon = applicationIcon();
        QVERIFY(!icon.isNull());
        const QList<QSize> sizes = icon.availableSizes();
        for (int size : {16, 32, 48, 64, 128, 256})
            QVERIFY2(sizes.contains(QSize(size, size)), qPrintable(QString::number(size)));
        // drawn, not blank: the tile's blue in the middle of the 64 px render
        const QImage image = icon.pixmap(64, 64).toImage();
        QCOMPARE(image.size(), QSize(64, 64));
        const QColor middle = image.pixelColor(32, 8);
        QVERIFY2(middle.alpha() == 255 && middle.blue() > middle.red(),
                 qPrintable(middle.name(QColor::HexArgb)));
    }

    void aboutNamesListenersDataAndLicences()
    {
        QTemporaryDir data;
        Fixture f(data.path());
        QAction *about =
            menuAction(*f.window, QStringLiteral("&Help"), QStringLiteral("&About Rivulet"));
        QVERIFY(about);
        about->trigger();
        auto *dialog = f.window->findChild<AboutDialog *>();
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        const QString text = dialog->text();
        QVERIFY2(text.contains(QStringLiteral("Rivulet " RIVULET_VERSION)), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("127.0.0.1:%1").arg(f.native.serverPort())),
                 qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("127.0.0.1:%1").arg(f.kafka.serverPort())),
                 qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("Kafka protocol")));
        QVERIFY2(text.contains(f.broker.dataPath().toHtmlEscaped()), qPrintable(text));
        QVERIFY(text.contains(QSettings().fileName().toHtmlEscaped()));
        for (const char *library : {"Qt 6", "zlib", "zstd", "LZ4", "Snappy"})
            QVERIFY2(text.contains(QLatin1String(library)), library);
        QVERIFY(text.contains(QStringLiteral("GNU LGPL version 3")));
        dialog->close(); // deletes itself
        QTRY_VERIFY(!f.window->findChild<AboutDialog *>());
    }

    void aboutInMemoryAndAListenerDown()
    {
        Fixture f;
        f.kafka.stop();
        AboutDialog *dialog = f.window->openAbout();
        const QString text = dialog->text();
        QVERIFY2(text.contains(QStringLiteral("in memory")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("not listening")), qPrintable(text));
        dialog->close();
    }

    void documentationInstalledBesideTheBinaries()
    {
        // an installed tree: <prefix>/bin and <prefix>/share/doc/rivulet/README.md
        QTemporaryDir prefix;
        QVERIFY(QDir(prefix.path()).mkpath(QStringLiteral("bin")));
        QVERIFY(QDir(prefix.path()).mkpath(QStringLiteral("share/doc/rivulet")));
        const QString readme = prefix.filePath(QStringLiteral("share/doc/rivulet/README.md"));
        QFile file(readme);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("# Rivulet\n");
        file.close();
        QCOMPARE(documentationFile(prefix.filePath(QStringLiteral("bin"))), readme);
        QCOMPARE(documentationCandidates(prefix.filePath(QStringLiteral("bin"))).first(), readme);
    }

    void documentationOfTheSourceTreeForABuild()
    {
        // build/bin has no share/doc beside it: the README of the source tree
        QTemporaryDir elsewhere;
        const QString found = documentationFile(elsewhere.path());
        QVERIFY(found.endsWith(QStringLiteral("/README.md")));
        QVERIFY(QFile::exists(found));
        QCOMPARE(found, documentationCandidates(elsewhere.path()).last());
    }

    void helpMenuHasDocumentation()
    {
        Fixture f;
        QAction *docs =
            menuAction(*f.window, QStringLiteral("&Help"), QStringLiteral("Open &documentation"));
        QVERIFY(docs);
        QCOMPARE(docs->shortcut(), QKeySequence(QKeySequence::HelpContents));
    }
};

int main(int argc, char **argv)
{
    QTemporaryDir config; // settings of the test's own, not the user's
    qputenv("XDG_CONFIG_HOME", config.path().toUtf8());
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("rivulet-test"));
    QCoreApplication::setApplicationName(QStringLiteral("rivulet-abouttest"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RIVULET_VERSION));
    TestAboutDialog test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_aboutdialog.moc"
