#include "support/rivuletprocess.h"
#include "support/tmpfsmount.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

// Start-up on a data directory rivulet cannot use: a metadata file damaged or unreadable
// (a directory in its place: the tests run as root, so chmod cannot make one), or a
// directory it cannot write. Both `rivulet --headless` and the window exit non-zero with a
// message naming the file and what to do; never a crash, never a start with the file's
// contents silently missing.

using namespace rivulet::testsupport;

namespace {

// A valid topics.json, as a broker writes it.
const QByteArray kTopics = R"({
    "topics": [
        {"createdMs": 1700000000000, "id": "6a1f5a47-4a53-4b1c-9a36-1f2e3d4c5b6a",
         "name": "orders", "partitions": 2, "retention.bytes": -1, "retention.ms": -1}
    ],
    "version": 1
}
)";

bool write(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

QStringList brokerArgs(const QString &dataDir, bool headless)
{
    QStringList args{QStringLiteral("--port"),       QStringLiteral("0"),
                     QStringLiteral("--kafka-port"), QStringLiteral("0"),
                     QStringLiteral("--data-dir"),   dataDir};
    if (headless)
        args.prepend(QStringLiteral("--headless"));
    return args;
}

QProcessEnvironment offscreen()
{
    QProcessEnvironment env = inheritedEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    return env;
}

} // namespace

class TestDamagedDataDir : public QObject
{
    Q_OBJECT
private:
    // Runs the broker both ways on dataDir; each must refuse to start, saying `names` (the
    // file) and `todo` (what to do).
    void refusesToStart(const QString &dataDir, const QString &names, const QString &todo)
    {
        for (const bool headless : {true, false}) {
            const Run run =
                runProcess(binary("rivulet"), brokerArgs(dataDir, headless), {}, offscreen());
            const QByteArray context =
                QByteArray(headless ? "--headless: " : "window: ") + run.describe();
            QVERIFY2(run.finished, context.constData()); // exited by itself: no crash, no hang
            QVERIFY2(run.exitCode != 0, context.constData());
            QVERIFY2(!run.out.contains(u"ready"), context.constData());
            QVERIFY2(run.err.contains(names), context.constData());
            QVERIFY2(run.err.contains(todo), context.constData());
        }
    }

private Q_SLOTS:
    // The data directory the cases below damage starts, and keeps its topic, as it is.
    void intactDirectoryStarts()
    {
        QTemporaryDir dir;
        QVERIFY(write(dir.filePath(QStringLiteral("topics.json")), kTopics));
        BrokerProcess broker;
        QVERIFY2(broker.start(brokerArgs(dir.path(), true)), qPrintable(broker.describe()));
        QVERIFY(broker.stop());
        QCOMPARE(broker.process().exitCode(), 0);
        QFile topics(dir.filePath(QStringLiteral("topics.json")));
        QVERIFY(topics.open(QIODevice::ReadOnly));
        QVERIFY(topics.readAll().contains("\"orders\""));
    }

    void damagedMetadataFile_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("content"); // null: a directory in the file's place
        QTest::addColumn<QString>("problem");
        const QByteArray none;
        QTest::newRow("topics.json garbage")
            << "topics.json" << QByteArray("\x00\x17garbage", 9) << "is not valid JSON";
        QTest::newRow("topics.json cut short")
            << "topics.json" << kTopics.left(kTopics.size() / 2) << "is not valid JSON";
        QTest::newRow("topics.json empty") << "topics.json" << QByteArray("") << "is empty";
        QTest::newRow("topics.json a directory") << "topics.json" << none << "is not a file";
        QTest::newRow("topics.json an array")
            << "topics.json" << QByteArray("[1, 2]") << "does not hold a JSON object";
        QTest::newRow("topics.json unknown version")
            << "topics.json" << QByteArray(R"({"version": 7, "topics": []})")
            << "has an unknown format version";
        QTest::newRow("topics.json topics not a list")
            << "topics.json" << QByteArray(R"({"version": 1, "topics": "orders"})")
            << "has no list under \"topics\"";
        QTest::newRow("topics.json topic without partitions")
            << "topics.json" << QByteArray(R"({"version": 1, "topics": [{"name": "orders"}]})")
            << "has a damaged entry";
        QTest::newRow("consumers.json garbage")
            << "consumers.json" << QByteArray("{\"positions\": [") << "is not valid JSON";
        QTest::newRow("consumers.json a directory") << "consumers.json" << none << "is not a file";
        QTest::newRow("consumers.json positions damaged")
            << "consumers.json" << QByteArray(R"({"version": 1, "positions": [3]})")
            << "has a damaged entry";
        QTest::newRow("groups.json garbage")
            << "groups.json" << QByteArray("}{") << "is not valid JSON";
        QTest::newRow("groups.json a directory") << "groups.json" << none << "is not a file";
        QTest::newRow("groups.json offsets not a list")
            << "groups.json" << QByteArray(R"({"version": 1, "offsets": {}})")
            << "has no list under \"offsets\"";
        QTest::newRow("transactions.json garbage")
            << "transactions.json" << QByteArray("{\"version\": 1, \"transactions\": [")
            << "is not valid JSON";
        QTest::newRow("transactions.json a directory")
            << "transactions.json" << none << "is not a file";
        QTest::newRow("commit journal a directory")
            << "commits/00000000000000000001.journal" << none << "cannot be read";
    }
    void damagedMetadataFile()
    {
        QFETCH(QString, file);
        QFETCH(QByteArray, content);
        QFETCH(QString, problem);
        QTemporaryDir dir;
        if (file != u"topics.json")
            QVERIFY(write(dir.filePath(QStringLiteral("topics.json")), kTopics));
        const QString path = dir.filePath(file);
        if (content.isNull())
            QVERIFY(QDir().mkpath(path));
        else
            QVERIFY(write(path, content));
        refusesToStart(dir.path(), path + u' ' + problem, QStringLiteral("move it aside"));
        // and nothing was overwritten on the way out
        if (file == u"topics.json" || content.isNull())
            return;
        QFile topics(dir.filePath(QStringLiteral("topics.json")));
        QVERIFY(topics.open(QIODevice::ReadOnly));
        QCOMPARE(topics.readAll(), kTopics);
    }

    // Something else where the journal's directory should be.
    void commitsIsAFile()
    {
        QTemporaryDir dir;
        QVERIFY(write(dir.filePath(QStringLiteral("commits")), "not a directory"));
        refusesToStart(dir.path(), dir.filePath(QStringLiteral("commits")),
                       QStringLiteral("move it aside"));
    }

    // A --data-dir below a regular file cannot be made.
    void dataDirUnderAFile()
    {
        QTemporaryDir dir;
        QVERIFY(write(dir.filePath(QStringLiteral("file")), "x"));
        const QString dataDir = dir.filePath(QStringLiteral("file/data"));
        refusesToStart(dataDir, dataDir, QStringLiteral("give --data-dir a directory"));
    }

    // A data directory on a read-only file system (a read-only tmpfs).
    void readOnlyDataDir()
    {
        QTemporaryDir dir;
        const QString dataDir = dir.filePath(QStringLiteral("ro"));
        TmpfsMount mount(dataDir, "1m", MS_RDONLY);
        if (!mount.mounted())
            QSKIP(qPrintable(mount.why()));
        refusesToStart(dataDir, QStringLiteral("Read-only file system"),
                       QStringLiteral("give --data-dir a directory"));
    }
};

QTEST_GUILESS_MAIN(TestDamagedDataDir)
#include "tst_damageddatadir.moc"
