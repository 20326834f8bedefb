#include "support/rivuletprocess.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

// Where the rivulet window keeps its settings and the broker its data, with
// XDG_CONFIG_HOME and XDG_DATA_HOME pointing at a directory of the test's own: the settings
// in $XDG_CONFIG_HOME/rivulet/rivulet.conf (README), not under "Unknown Organization"; the
// data still in $XDG_DATA_HOME/rivulet; settings of an earlier version moved once.

using namespace rivulet::testsupport;

namespace {

class Home
{
public:
    QString config() const { return m_dir.filePath(QStringLiteral("config")); }
    QString data() const { return m_dir.filePath(QStringLiteral("data")); }
    QString settingsFile() const { return config() + QStringLiteral("/rivulet/rivulet.conf"); }
    QString oldDir() const { return config() + QStringLiteral("/Unknown Organization"); }
    QString oldSettingsFile() const { return oldDir() + QStringLiteral("/rivulet.conf"); }

    // The window offscreen, free ports, this home's XDG directories.
    QProcessEnvironment environment() const
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), config());
        env.insert(QStringLiteral("XDG_DATA_HOME"), data());
        return env;
    }

private:
    QTemporaryDir m_dir;
};

// Writes an INI file with one value in [window], as QSettings would have.
bool writeSettings(const QString &file, int refreshMs)
{
    if (!QDir().mkpath(QFileInfo(file).absolutePath()))
        return false;
    QSettings s(file, QSettings::IniFormat);
    s.setValue(QStringLiteral("window/refreshMs"), refreshMs);
    s.sync();
    return s.status() == QSettings::NoError;
}

int refreshMsIn(const QString &file)
{
    return QSettings(file, QSettings::IniFormat)
        .value(QStringLiteral("window/refreshMs"), -1)
        .toInt();
}

// Runs the window until its ready line, then stops it (it saves its settings on the way out).
bool runWindow(const Home &home, QString &output)
{
    BrokerProcess broker(home.environment());
    const bool started = broker.start({QStringLiteral("--port"), QStringLiteral("0"),
                                       QStringLiteral("--kafka-port"), QStringLiteral("0")});
    const bool stopped = started && broker.stop();
    output = broker.describe();
    return started && stopped && broker.process().exitStatus() == QProcess::NormalExit &&
           broker.process().exitCode() == 0;
}

} // namespace

class TestSettingsPath : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void settingsAndDataWhereTheReadmeSays()
    {
        Home home;
        QString output;
        QVERIFY2(runWindow(home, output), qPrintable(output));
        QVERIFY2(QFileInfo::exists(home.settingsFile()), qPrintable(output));
        QVERIFY(QSettings(home.settingsFile(), QSettings::IniFormat)
                    .contains(QStringLiteral("window/geometry")));
        QVERIFY2(!QFileInfo::exists(home.oldDir()), "settings went to 'Unknown Organization'");
        // the data directory did not move with the organisation name
        QVERIFY2(output.contains(QStringLiteral("(data %1/rivulet,").arg(home.data())),
                 qPrintable(output));
    }

    void oldSettingsMovedOnce()
    {
        Home home;
        QVERIFY(writeSettings(home.oldSettingsFile(), 1000));
        QString output;
        QVERIFY2(runWindow(home, output), qPrintable(output));
        QCOMPARE(refreshMsIn(home.settingsFile()), 1000); // kept, and saved back by the window
        QVERIFY(!QFileInfo::exists(home.oldSettingsFile()));
        QVERIFY(!QFileInfo::exists(home.oldDir())); // it was empty afterwards
        QVERIFY2(output.contains(QStringLiteral("moved the settings from")), qPrintable(output));

        // an old file that shows up again later is left alone: the new one is the truth
        QVERIFY(writeSettings(home.oldSettingsFile(), 100));
        QVERIFY2(runWindow(home, output), qPrintable(output));
        QCOMPARE(refreshMsIn(home.settingsFile()), 1000);
        QCOMPARE(refreshMsIn(home.oldSettingsFile()), 100);
        QVERIFY2(!output.contains(QStringLiteral("moved the settings")), qPrintable(output));
    }
};

QTEST_GUILESS_MAIN(TestSettingsPath)

#include "tst_settingspath.moc"
