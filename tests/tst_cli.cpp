#include "support/rivuletprocess.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

// rivulet-cli end to end: a real broker process and the command line tool against it.

using namespace rivulet::testsupport;

namespace {

// Reads the process's stdout until it contains what; everything read so far goes to seen.
bool waitForOutput(QProcess &process, const QString &what, QString &seen)
{
    QDeadlineTimer deadline(kTimeoutMs);
    for (;;) {
        seen += QString::fromUtf8(process.readAllStandardOutput());
        if (seen.contains(what))
            return true;
        if (deadline.hasExpired() || process.state() == QProcess::NotRunning)
            return false;
        process.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
    }
}

// The whitespace-separated columns of the table row whose first columns are `key`.
QStringList row(const QString &table, const QStringList &key)
{
    const QStringList lines = table.split(u'\n', Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        const QStringList columns = line.split(u' ', Qt::SkipEmptyParts);
        if (columns.mid(0, key.size()) == key)
            return columns;
    }
    return {};
}

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

    BrokerProcess m_broker;

    Run cli(const QStringList &args, const QByteArray &input = {})
    {
        return runProcess(
            binary("rivulet-cli"),
            QStringList{QStringLiteral("--port"), QString::number(m_broker.nativePort())} + args,
            input);
    }

    QString bootstrap() const { return QStringLiteral("127.0.0.1:%1").arg(m_broker.kafkaPort()); }

    // the same commands against the broker's Kafka listener, as against any Kafka cluster
    Run kafkaCli(const QStringList &args, const QByteArray &input = {})
    {
        return runProcess(binary("rivulet-cli"),
                          QStringList{QStringLiteral("--bootstrap"), bootstrap()} + args, input);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_broker.start({QStringLiteral("--headless"), QStringLiteral("--port"),
                                 QStringLiteral("0"), QStringLiteral("--in-memory")}),
                 qPrintable(m_broker.describe()));
    }

    void cleanupTestCase() { m_broker.kill(); }

    void createTopic()
    {
        Run r = cli({"create", "orders", "--partitions", "3"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(r.out.contains(u"orders") && r.out.contains(u"3 partitions"), r.describe());
        // again, the same: fine
        r = cli({"create", "orders", "--partitions", "3"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        // another count: the broker refuses, and says why
        r = cli({"create", "orders", "--partitions", "2"});
        QVERIFY2(r.finished && r.exitCode == 1, r.describe());
        QVERIFY2(r.err.contains(u"orders") && r.err.contains(u"3"), r.describe());
        QVERIFY2(r.out.isEmpty(), r.describe());
        // the default is one partition
        r = cli({"create", "single"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(r.out.contains(u"1 partition"), r.describe());
        // an invalid name
        r = cli({"create", "bad name"});
        QVERIFY2(r.finished && r.exitCode == 1, r.describe());
    }

    void produceFromArguments()
    {
        QVERIFY2(cli({"create", "args", "--partitions", "2"}).exitCode == 0, "create failed");
        Run r = cli({"produce", "args", "--partition", "1", "first", "second", "third"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(r.err.contains(u"3 messages") && r.err.contains(u"0..2"), r.describe());
        r = cli({"produce", "args", "--partition", "1", "fourth"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(r.err.contains(u"3..3"), r.describe());
        // a value that starts with a dash, after "--"
        r = cli({"produce", "args", "--partition", "1", "--", "--dashed"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());

        r = cli({"consume", "args", "--partition", "1"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, QStringLiteral("first\nsecond\nthird\nfourth\n--dashed\n"));
        r = cli({"consume", "args"}); // partition 0 is empty
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, QString());
    }

    void produceFromStdin()
    {
        QVERIFY2(cli({"create", "lines"}).exitCode == 0, "create failed");
        // in batches of 2, the last line without a newline
        Run r = cli({"produce", "lines", "--batch", "2"}, "one\ntwo\nthree\nfour\nfive");
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(r.err.contains(u"5 messages") && r.err.contains(u"0..4"), r.describe());
        r = cli({"consume", "lines", "--format", "%o:%v"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, QStringLiteral("0:one\n1:two\n2:three\n3:four\n4:five\n"));

        // more than one consume round trip's worth
        QByteArray many;
        QString expected;
        for (int i = 0; i < 2500; ++i) {
            many += "line " + QByteArray::number(i) + '\n';
            expected += QStringLiteral("%1:line %2\n").arg(5 + i).arg(i);
        }
        r = cli({"produce", "lines"}, many);
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(r.err.contains(u"2500 messages") && r.err.contains(u"5..2504"), r.describe());
        r = cli({"consume", "lines", "--offset", "5", "--format", "%o:%v"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, expected);

        // nothing on stdin: nothing produced, and it says so
        r = cli({"produce", "lines"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(r.err.contains(u"nothing"), r.describe());
    }

    void consumeOptions()
    {
        QVERIFY2(cli({"create", "opts", "--partitions", "2"}).exitCode == 0, "create failed");
        QVERIFY2(cli({"produce", "opts", "--partition", "1", "a", "b", "c", "d", "e"}).exitCode ==
                     0,
                 "produce failed");

        Run r = cli({"consume", "opts", "--partition", "1", "--offset", "1", "--count", "3",
                     "--format", "%o:%v", "--consumer", "reader"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, QStringLiteral("1:b\n2:c\n3:d\n"));

        r = cli({"consume", "opts", "--partition=1", "--offset=4", "--format", "%t/%p/%o %v%%"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, QStringLiteral("opts/1/4 e%\n"));

        r = cli({"consume", "opts", "--partition", "1", "--count", "0"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, QString());
    }

    void consumeAtEndPrintsNothing()
    {
        QVERIFY2(cli({"create", "ends"}).exitCode == 0, "create failed");
        Run r = cli({"consume", "ends"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, QString());
        QVERIFY2(cli({"produce", "ends", "x", "y"}).exitCode == 0, "produce failed");
        for (const char *offset : {"2", "1000"}) {
            r = cli({"consume", "ends", "--offset", offset});
            QVERIFY2(r.finished && r.exitCode == 0, r.describe());
            QCOMPARE(r.out, QString());
            QCOMPARE(r.err, QString());
        }
    }

    void consumersShowsPositionAndLag()
    {
        QVERIFY2(cli({"create", "lagging", "--partitions", "2"}).exitCode == 0, "create failed");
        QVERIFY2(
            cli({"produce", "lagging", "--partition", "1"}, "1\n2\n3\n4\n5\n6\n7\n").exitCode == 0,
            "produce failed");
        Run r = cli(
            {"consume", "lagging", "--partition", "1", "--count", "3", "--consumer", "slowpoke"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, QStringLiteral("1\n2\n3\n"));

        r = cli({"consumers"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        const QStringList header = r.out.section(u'\n', 0, 0).split(u' ', Qt::SkipEmptyParts);
        QVERIFY2(header.mid(0, 6) ==
                     QStringList({"CONSUMER", "TOPIC", "PARTITION", "NEXT", "END", "LAG"}),
                 r.describe());
        QStringList columns = row(r.out, {"slowpoke", "lagging", "1"});
        QVERIFY2(columns.size() >= 7, r.describe());
        QCOMPARE(columns[3], QStringLiteral("3")); // NEXT
        QCOMPARE(columns[4], QStringLiteral("7")); // END
        QCOMPARE(columns[5], QStringLiteral("4")); // LAG
        QCOMPARE(columns[6], QStringLiteral("3")); // DELIVERED

        // reading on moves it; more messages make it lag again
        QVERIFY2(cli({"consume", "lagging", "--partition", "1", "--offset", "3", "--consumer",
                      "slowpoke"})
                         .exitCode == 0,
                 "consume failed");
        QVERIFY2(cli({"produce", "lagging", "--partition", "1", "8", "9"}).exitCode == 0,
                 "produce failed");
        r = cli({"consumers"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        columns = row(r.out, {"slowpoke", "lagging", "1"});
        QVERIFY2(columns.size() >= 7, r.describe());
        QCOMPARE(columns[3], QStringLiteral("7"));
        QCOMPARE(columns[4], QStringLiteral("9"));
        QCOMPARE(columns[5], QStringLiteral("2"));
        QCOMPARE(columns[6], QStringLiteral("7"));
    }

    void topicsListsPartitions()
    {
        QVERIFY2(cli({"create", "listed", "--partitions", "3"}).exitCode == 0, "create failed");
        QVERIFY2(cli({"produce", "listed", "--partition", "0", "a"}).exitCode == 0,
                 "produce failed");
        QVERIFY2(cli({"produce", "listed", "--partition", "2", "a", "b", "c", "d"}).exitCode == 0,
                 "produce failed");
        const Run r = cli({"topics"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        const QStringList header = r.out.section(u'\n', 0, 0).split(u' ', Qt::SkipEmptyParts);
        QVERIFY2(header.mid(0, 4) == QStringList({"TOPIC", "PARTITION", "START", "END"}),
                 r.describe());
        const QStringList expectedEnds{"1", "0", "4"};
        for (int p = 0; p < 3; ++p) {
            const QStringList columns = row(r.out, {"listed", QString::number(p)});
            QVERIFY2(columns.size() >= 5, r.describe());
            QCOMPARE(columns[2], QStringLiteral("0")); // START
            QCOMPARE(columns[3], expectedEnds[p]);     // END
            QCOMPARE(columns[4], expectedEnds[p]);     // MESSAGES
        }
        QVERIFY2(row(r.out, {"listed", "3"}).isEmpty(), r.describe());
    }

    // The same table through the cluster source's librdkafka client, as for any Kafka
    // cluster: offsets, leader, replicas and ISR from Rivulet's Kafka listener.
    void topicsOverKafka()
    {
        QVERIFY2(cli({"create", "viakafka", "--partitions", "2"}).exitCode == 0, "create failed");
        QVERIFY2(cli({"produce", "viakafka", "--partition", "1", "a", "b"}).exitCode == 0,
                 "produce failed");
        const Run r = kafkaCli({"topics"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        const QStringList header = r.out.section(u'\n', 0, 0).split(u' ', Qt::SkipEmptyParts);
        QCOMPARE(header, QStringList({"TOPIC", "PARTITION", "START", "END", "MESSAGES", "LEADER",
                                      "REPLICAS", "ISR"}));
        QCOMPARE(row(r.out, {"viakafka", "0"}),
                 QStringList({"viakafka", "0", "0", "0", "0", "0", "0", "0"}));
        QCOMPARE(row(r.out, {"viakafka", "1"}),
                 QStringList({"viakafka", "1", "0", "2", "2", "0", "0", "0"}));

        // a configuration file with a property librdkafka does not know: named, exit 2
        QTemporaryDir dir;
        QFile config(dir.filePath(QStringLiteral("client.properties")));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write("no.such.property=hidden-value\n");
        config.close();
        const Run bad =
            runProcess(binary("rivulet-cli"),
                       {"--bootstrap", bootstrap(), "--kafka-config", config.fileName(), "topics"});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains(QLatin1String("no.such.property")), bad.describe());
        QVERIFY2(!bad.err.contains(QLatin1String("hidden-value")), bad.describe());

        // a command that has nothing to do with a cluster says so
        const Run notThere =
            runProcess(binary("rivulet-cli"), {"--bootstrap", bootstrap(), "users", "list"});
        QCOMPARE(notThere.exitCode, 2);
        QVERIFY2(notThere.err.contains(QLatin1String("users does not take --bootstrap")),
                 notThere.describe());
    }

    // create, produce, consume, retention and delete through KafkaAdmin and librdkafka, with
    // the same output as over the native protocol; what they did is checked over the native
    // protocol.
    void commandsOverKafka()
    {
        Run r = kafkaCli({"create", "kc", "--partitions", "2", "--retention-ms", "60000"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, QStringLiteral("topic kc ready with 2 partitions\n"));
        r = kafkaCli({"create", "kc"});
        QVERIFY2(r.finished && r.exitCode == 1, r.describe());
        QVERIFY2(r.err.contains(QLatin1String("already exists")), r.describe());

        r = kafkaCli({"produce", "kc", "--partition", "1", "a", "b", "c"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(r.err.contains(QLatin1String("produced 3 messages to kc[1] at offsets 0..2")),
                 r.describe());
        r = kafkaCli({"produce", "kc", "--partition", "1", "--batch", "1"}, "d\ne\n");
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(r.err.contains(QLatin1String("produced 2 messages to kc[1] at offsets 3..4")),
                 r.describe());
        // stored where they were sent
        r = cli({"consume", "kc", "--partition", "1", "--format", "%o:%v"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, QStringLiteral("0:a\n1:b\n2:c\n3:d\n4:e\n"));
        QCOMPARE(row(cli({"topics"}).out, {"kc", "0"}).value(3), QStringLiteral("0"));

        r = kafkaCli({"consume", "kc", "--partition", "1", "--format", "%t/%p %o:%v"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, QStringLiteral("kc/1 0:a\nkc/1 1:b\nkc/1 2:c\nkc/1 3:d\nkc/1 4:e\n"));
        r = kafkaCli({"consume", "kc", "--partition", "1", "--offset", "3", "--count", "1"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, QStringLiteral("d\n"));
        r = kafkaCli({"consume", "kc", "--partition", "1", "--offset", "99"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(r.out.isEmpty(), r.describe());
        r = kafkaCli({"consume", "kc"}); // partition 0 is empty
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(r.out.isEmpty(), r.describe());
        r = kafkaCli({"consume", "kc", "--consumer", "me"});
        QVERIFY2(r.finished && r.exitCode == 2, r.describe());
        QVERIFY2(r.err.contains(QLatin1String("without a group")), r.describe());

        r = kafkaCli({"retention", "kc", "--bytes", "1000"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, QStringLiteral("topic kc keeps any age and 1000 bytes per partition\n"));

        r = kafkaCli({"delete", "kc"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(r.out, QStringLiteral("topic kc deleted\n"));
        QVERIFY(row(cli({"topics"}).out, {"kc", "0"}).isEmpty());
        r = kafkaCli({"delete", "kc"});
        QVERIFY2(r.finished && r.exitCode == 1, r.describe());
        QVERIFY2(r.err.contains(QLatin1String("no topic 'kc'")), r.describe());
    }

    void unknownTopicOverKafka_data() { unknownTopic_data(); }

    void unknownTopicOverKafka()
    {
        QFETCH(QStringList, args);
        const Run r = kafkaCli(args);
        QVERIFY2(r.finished && r.exitCode == 1, r.describe());
        QVERIFY2(r.err.contains(u"no-such-topic"), r.describe());
        QVERIFY2(r.out.isEmpty(), r.describe());
    }

    void followOverKafka()
    {
        QVERIFY2(kafkaCli({"create", "klive"}).exitCode == 0, "create failed");
        QVERIFY2(kafkaCli({"produce", "klive", "early"}).exitCode == 0, "produce failed");
        QProcess follower;
        follower.start(binary("rivulet-cli"), {"--bootstrap", bootstrap(), "consume", "klive",
                                               "--follow", "--format", "%o:%v"});
        QVERIFY2(follower.waitForStarted(kTimeoutMs), qPrintable(follower.errorString()));
        QString seen;
        QVERIFY2(waitForOutput(follower, QStringLiteral("0:early\n"), seen),
                 qPrintable(seen + QString::fromUtf8(follower.readAllStandardError())));
        QVERIFY2(kafkaCli({"produce", "klive", "late-1", "late-2"}).exitCode == 0,
                 "produce failed");
        QVERIFY2(waitForOutput(follower, QStringLiteral("0:early\n1:late-1\n2:late-2\n"), seen),
                 qPrintable(seen + QString::fromUtf8(follower.readAllStandardError())));
        QCOMPARE(follower.state(), QProcess::Running);

        // from an offset past the end: what arrives from there on, nothing before it
        QProcess ahead;
        ahead.start(binary("rivulet-cli"), {"--bootstrap", bootstrap(), "consume", "klive",
                                            "--follow", "--offset", "4", "--format", "%o:%v"});
        QVERIFY2(ahead.waitForStarted(kTimeoutMs), qPrintable(ahead.errorString()));
        QVERIFY2(kafkaCli({"produce", "klive", "late-3", "late-4"}).exitCode == 0,
                 "produce failed");
        QString aheadSeen;
        QVERIFY2(waitForOutput(ahead, QStringLiteral("4:late-4\n"), aheadSeen),
                 qPrintable(aheadSeen + QString::fromUtf8(ahead.readAllStandardError())));
        QCOMPARE(aheadSeen, QStringLiteral("4:late-4\n"));
        QVERIFY2(waitForOutput(follower, QStringLiteral("3:late-3\n4:late-4\n"), seen),
                 qPrintable(seen + QString::fromUtf8(follower.readAllStandardError())));
        QCOMPARE(seen, QStringLiteral("0:early\n1:late-1\n2:late-2\n3:late-3\n4:late-4\n"));
        for (QProcess *p : {&follower, &ahead}) {
            p->kill();
            QVERIFY(p->waitForFinished(kTimeoutMs));
        }
    }

    void unreachableOverKafka_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("create") << QStringList{"create", "t"};
        QTest::newRow("delete") << QStringList{"delete", "t"};
        QTest::newRow("produce") << QStringList{"produce", "t", "v"};
        QTest::newRow("consume") << QStringList{"consume", "t"};
    }

    void unreachableOverKafka()
    {
        QFETCH(QStringList, args);
        const quint16 port = unusedPort();
        QVERIFY(port != 0);
        const Run r =
            runProcess(binary("rivulet-cli"),
                       QStringList{"--bootstrap", QStringLiteral("127.0.0.1:%1").arg(port)} + args);
        QVERIFY2(r.finished && r.exitCode == 3, r.describe());
        QVERIFY2(
            r.err.contains(QStringLiteral("no Kafka broker answered at 127.0.0.1:%1").arg(port)),
            r.describe());
        QVERIFY2(r.out.isEmpty(), r.describe());
    }

    // export and import take the librdkafka properties of --kafka-config, and its
    // bootstrap.servers when no --bootstrap is given
    void exportImportTakeAKafkaConfig()
    {
        QVERIFY2(kafkaCli({"create", "kfile"}).exitCode == 0, "create failed");
        QVERIFY2(kafkaCli({"produce", "kfile", "one", "two"}).exitCode == 0, "produce failed");
        QTemporaryDir dir;
        QFile config(dir.filePath(QStringLiteral("client.properties")));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write("bootstrap.servers=" + bootstrap().toUtf8() + "\nclient.id=from-file\n");
        config.close();
        const QString exported = dir.filePath(QStringLiteral("kfile.jsonl"));
        Run r = runProcess(binary("rivulet-cli"), {"--kafka-config", config.fileName(), "export",
                                                   "kfile", "--output", exported});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(r.err.contains(QLatin1String("exported 2 records")), r.describe());
        QVERIFY2(kafkaCli({"create", "kcopy"}).exitCode == 0, "create failed");
        r = runProcess(binary("rivulet-cli"),
                       {"import", "kcopy", "--kafka-config", config.fileName(), exported});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QCOMPARE(cli({"consume", "kcopy"}).out, QStringLiteral("one\ntwo\n"));

        QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
        config.write("no.such.property=hidden-value\n");
        config.close();
        for (const QString &command : {QStringLiteral("export"), QStringLiteral("import")}) {
            QStringList args = {"--bootstrap",     bootstrap(), "--kafka-config",
                                config.fileName(), command,     "kcopy"};
            if (command == u"import")
                args << exported;
            r = runProcess(binary("rivulet-cli"), args);
            QCOMPARE(r.exitCode, 2);
            QVERIFY2(r.err.contains(QLatin1String("no.such.property")), r.describe());
            QVERIFY2(!r.err.contains(QLatin1String("hidden-value")), r.describe());
        }
    }

    void unknownTopic_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("consume") << QStringList{"consume", "no-such-topic"};
        QTest::newRow("produce") << QStringList{"produce", "no-such-topic", "v"};
        QTest::newRow("follow") << QStringList{"consume", "no-such-topic", "--follow"};
    }

    void unknownTopic()
    {
        QFETCH(QStringList, args);
        const Run r = cli(args);
        QVERIFY2(r.finished && r.exitCode == 1, r.describe());
        QVERIFY2(r.err.contains(u"no-such-topic"), r.describe());
        QVERIFY2(r.out.isEmpty(), r.describe());
    }

    void badPartition()
    {
        QVERIFY2(cli({"create", "pair", "--partitions", "2"}).exitCode == 0, "create failed");
        Run r = cli({"produce", "pair", "--partition", "2", "v"});
        QVERIFY2(r.finished && r.exitCode == 1, r.describe());
        QVERIFY2(r.err.contains(u"partition"), r.describe());
        r = cli({"consume", "pair", "--partition", "7"});
        QVERIFY2(r.finished && r.exitCode == 1, r.describe());
        QVERIFY2(r.err.contains(u"partition"), r.describe());
    }

    void unreachableBroker_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("topics") << QStringList{"topics"};
        QTest::newRow("consumers") << QStringList{"consumers"};
        QTest::newRow("create") << QStringList{"create", "t"};
        QTest::newRow("produce") << QStringList{"produce", "t", "v"};
        QTest::newRow("consume") << QStringList{"consume", "t"};
    }

    void unreachableBroker()
    {
        QFETCH(QStringList, args);
        const quint16 port = unusedPort();
        QVERIFY(port != 0);
        const Run r =
            runProcess(binary("rivulet-cli"), QStringList{"--port", QString::number(port)} + args);
        QVERIFY2(r.finished && r.exitCode == 3, r.describe());
        QVERIFY2(r.err.contains(QString::number(port)), r.describe());
        // it says what to do about it
        QVERIFY2(r.err.contains(u"rivulet --headless") && r.err.contains(u"--port"), r.describe());
        QVERIFY2(r.out.isEmpty(), r.describe());
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("unknown command") << QStringList{"frobnicate"} << "frobnicate";
        QTest::newRow("unknown option") << QStringList{"consume", "t", "--bogus"} << "--bogus";
        QTest::newRow("unknown global option") << QStringList{"--bogus", "topics"} << "--bogus";
        QTest::newRow("missing value") << QStringList{"consume", "t", "--count"} << "--count";
        QTest::newRow("missing port") << QStringList{"--port"} << "--port";
        QTest::newRow("bad port") << QStringList{"--port", "abc", "topics"} << "abc";
        QTest::newRow("port out of range") << QStringList{"--port", "70000", "topics"} << "70000";
        QTest::newRow("bad count") << QStringList{"consume", "t", "--count", "many"} << "many";
        QTest::newRow("negative partition")
            << QStringList{"produce", "t", "--partition", "-1", "v"} << "-1";
        QTest::newRow("bad batch") << QStringList{"produce", "t", "--batch", "0", "v"} << "--batch";
        QTest::newRow("no topic") << QStringList{"consume"} << "TOPIC";
        QTest::newRow("two topics") << QStringList{"create", "a", "b"} << "TOPIC";
        QTest::newRow("extra argument") << QStringList{"topics", "x"} << "argument";
        QTest::newRow("no command") << QStringList{} << "Usage";
    }

    void usageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        // the global --port is left out where the row is about it
        const Run r =
            args.value(0) == u"--port" ? runProcess(binary("rivulet-cli"), args) : cli(args);
        QVERIFY2(r.finished && r.exitCode == 2, r.describe());
        QVERIFY2(r.err.contains(mentions), r.describe());
        QVERIFY2(r.err.contains(u"--help") || r.err.contains(u"Usage"), r.describe());
        QVERIFY2(r.out.isEmpty(), r.describe());
    }

    void helpAndVersion()
    {
        Run r = runProcess(binary("rivulet-cli"), {"--help"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        for (const char *word : {"create", "produce", "consume", "topics", "consumers", "--port"})
            QVERIFY2(r.out.contains(QLatin1String(word)), r.describe());
        r = runProcess(binary("rivulet-cli"), {"--version"});
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(r.out.contains(QStringLiteral(RIVULET_VERSION)), r.describe());
    }

    void followPrintsNewMessages()
    {
        QVERIFY2(cli({"create", "live"}).exitCode == 0, "create failed");
        QVERIFY2(cli({"produce", "live", "early"}).exitCode == 0, "produce failed");

        QProcess follower;
        follower.start(binary("rivulet-cli"), {"--port", QString::number(m_broker.nativePort()),
                                               "consume", "live", "--follow", "--format", "%o:%v"});
        QVERIFY2(follower.waitForStarted(kTimeoutMs), qPrintable(follower.errorString()));
        QString seen;
        // it is running and has caught up once it printed what was there before
        QVERIFY2(waitForOutput(follower, QStringLiteral("0:early\n"), seen),
                 qPrintable(seen + QString::fromUtf8(follower.readAllStandardError())));

        QVERIFY2(cli({"produce", "live", "late-1", "late-2"}).exitCode == 0, "produce failed");
        QVERIFY2(waitForOutput(follower, QStringLiteral("0:early\n1:late-1\n2:late-2\n"), seen),
                 qPrintable(seen + QString::fromUtf8(follower.readAllStandardError())));
        QVERIFY2(cli({"produce", "live"}, "late-3\n").exitCode == 0, "produce failed");
        QVERIFY2(waitForOutput(follower, QStringLiteral("2:late-2\n3:late-3\n"), seen),
                 qPrintable(seen + QString::fromUtf8(follower.readAllStandardError())));
        QCOMPARE(follower.state(), QProcess::Running);
        follower.kill();
        QVERIFY(follower.waitForFinished(kTimeoutMs));
        QCOMPARE(seen, QStringLiteral("0:early\n1:late-1\n2:late-2\n3:late-3\n"));
    }

    // last: stops the broker this test case shares
    void brokerStopsOnSigterm()
    {
        QVERIFY2(m_broker.stop(SIGTERM), "the broker did not stop on SIGTERM");
        QCOMPARE(m_broker.process().exitStatus(), QProcess::NormalExit);
        QCOMPARE(m_broker.process().exitCode(), 0);
        // and it is gone
        const Run r = cli({"topics"});
        QVERIFY2(r.finished && r.exitCode == 3, r.describe());
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
