// KafkaAdmin (issue 13), the write side of a Kafka cluster, against Rivulet's own Kafka
// listener started here: librdkafka is the real client; every assertion is on the state of
// the in-process broker the test owns.
#include "broker.h"
#include "kafka/kafkahandler.h"
#include "kafkaadmin.h"
#include "kafkasettings.h"
#include "log/recordbatch.h"
#include "security/scram.h"
#include "security/userstore.h"
#include "server/server.h"
#include "support/kafkacluster.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <future>

using namespace rivulet;
using rivulet::testing::deadPort;
using rivulet::testing::fill;
using rivulet::testing::offThread;

namespace {

OutgoingRecord record(std::optional<QByteArray> key, std::optional<QByteArray> value,
                      std::int64_t timestampMs = -1, QList<DecodedHeader> headers = {})
{
    OutgoingRecord r;
    r.key = std::move(key);
    r.value = std::move(value);
    r.timestampMs = timestampMs;
    r.headers = std::move(headers);
    return r;
}

// A broker with a Kafka listener on a free port of 127.0.0.1, and a KafkaAdmin on it.
struct Cluster
{
    explicit Cluster(BrokerConfig brokerConfig = {}, kafka::KafkaConfig config = {})
        : broker(brokerConfig)
    {
        config.port = 0; // Metadata advertises the port start() picks
        server = std::make_unique<Server>(broker, 1, config);
    }
    ~Cluster()
    {
        admin.reset();
        server->stop();
    }
    bool start()
    {
        if (!server->start(QHostAddress::LocalHost, 0))
            return false;
        settings.bootstrap = QStringLiteral("127.0.0.1:%1").arg(server->serverPort());
        QString error;
        admin = KafkaAdmin::open(settings, error);
        if (!admin)
            qWarning("%s", qPrintable(error));
        return bool(admin);
    }
    Broker broker;
    std::unique_ptr<Server> server;
    KafkaSettings settings;
    std::unique_ptr<KafkaAdmin> admin;
};

} // namespace

class TestKafkaAdmin : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void producesKeysValuesHeadersAndTimestamps()
    {
        Cluster c;
        QVERIFY(c.broker.createTopic("orders", 2).topic);
        QVERIFY(c.start());
        const QList<OutgoingRecord> records = {
            record("k1", "v1", 1000, {{"h1", "a"}, {"h2", {}, false}}),
            record(std::nullopt, std::nullopt), // no key, a tombstone, written now
            record(QByteArray(""), QByteArray(""), 2000),
        };
        const std::int64_t before = QDateTime::currentMSecsSinceEpoch();
        WriteResult result = offThread([&] { return c.admin->produce("orders", 1, records); });
        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        QCOMPARE(result.written, 3);
        QCOMPARE(result.baseOffset, 0);
        QCOMPARE(result.lastOffset, 2);

        const RecordPage page = c.broker.readRecords("orders", 1, ReadRequest{});
        QVERIFY2(page.error.isEmpty(), qPrintable(page.error));
        QCOMPARE(page.records.size(), 3);
        const DecodedRecord &first = page.records[0];
        QCOMPARE(first.offset, 0);
        QVERIFY(first.hasKey);
        QCOMPARE(first.key, QByteArray("k1"));
        QVERIFY(first.hasValue);
        QCOMPARE(first.value, QByteArray("v1"));
        QCOMPARE(first.timestamp, 1000);
        QCOMPARE(first.headers.size(), 2);
        QCOMPARE(first.headers[0].name, QByteArray("h1"));
        QCOMPARE(first.headers[0].value, QByteArray("a"));
        QVERIFY(first.headers[0].hasValue);
        QCOMPARE(first.headers[1].name, QByteArray("h2"));
        QVERIFY(!first.headers[1].hasValue);
        const DecodedRecord &tombstone = page.records[1];
        QVERIFY(!tombstone.hasKey);
        QVERIFY(!tombstone.hasValue);
        QVERIFY(tombstone.timestamp >= before);
        QVERIFY(tombstone.headers.isEmpty());
        const DecodedRecord &empty = page.records[2];
        QVERIFY(empty.hasKey);
        QVERIFY(empty.key.isEmpty());
        QVERIFY(empty.hasValue);
        QVERIFY(empty.value.isEmpty());
        QCOMPARE(empty.timestamp, 2000);
        QCOMPARE(c.broker.partitionRanges("orders")[0].endOffset, 0); // partition 0 untouched

        // the next write follows on
        result = offThread([&] { return c.admin->produce("orders", 1, {record("k", "v")}); });
        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        QCOMPARE(result.baseOffset, 3);
        QCOMPARE(result.lastOffset, 3);
        QCOMPARE(c.broker.partitionRanges("orders")[1].endOffset, 4);

        // no such partition, no such topic (and no topic made for it)
        result = offThread([&] { return c.admin->produce("orders", 2, {record("k", "v")}); });
        QCOMPARE(result.written, 0);
        QVERIFY2(result.error.contains(QLatin1String("no partition 2")), qPrintable(result.error));
        result = offThread([&] { return c.admin->produce("nowhere", 0, {record("k", "v")}); });
        QCOMPARE(result.written, 0);
        QVERIFY2(result.error.contains(QLatin1String("no topic 'nowhere'")),
                 qPrintable(result.error));
        QVERIFY(!c.broker.topics().find("nowhere"));
    }

    // Several threads write at once through one KafkaAdmin (as the window's pool does): every
    // record is stored once, each call's in its order.
    void producesFromSeveralThreadsAtOnce()
    {
        Cluster c;
        QVERIFY(c.broker.createTopic("load", 4).topic);
        QVERIFY(c.start());
        std::vector<WriteResult> results = offThread([&] {
            std::vector<std::future<WriteResult>> calls;
            for (int t = 0; t < 8; ++t)
                calls.push_back(std::async(std::launch::async, [&, t] {
                    QList<OutgoingRecord> records;
                    for (int i = 0; i < 100; ++i)
                        records.append(record(QByteArray::number(t), QByteArray::number(i)));
                    return c.admin->produce("load", t % 4, records);
                }));
            std::vector<WriteResult> out;
            for (auto &call : calls)
                out.push_back(call.get());
            return out;
        });
        for (const WriteResult &r : results) {
            QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
            QCOMPARE(r.written, 100);
            // two calls share each partition: their records may interleave
            QVERIFY(r.lastOffset - r.baseOffset >= 99);
        }
        for (int p = 0; p < 4; ++p) {
            ReadRequest request;
            request.maxRecords = 1000;
            const RecordPage page = c.broker.readRecords("load", p, request);
            QCOMPARE(page.records.size(), 200);
            // each call's records are stored once, in its order
            std::map<QByteArray, int> next;
            for (const DecodedRecord &record : page.records)
                QCOMPARE(record.value, QByteArray::number(next[record.key]++));
            QCOMPARE(next.size(), std::size_t(2));
            for (const auto &[key, count] : next)
                QCOMPARE(count, 100);
        }
    }

    // Admin calls from several threads at once each get their own answer.
    void administersFromSeveralThreadsAtOnce()
    {
        Cluster c;
        QVERIFY(c.start());
        const QStringList errors = offThread([&] {
            std::vector<std::future<QString>> calls;
            for (int t = 0; t < 8; ++t)
                calls.push_back(std::async(std::launch::async, [&, t] {
                    const QByteArray name = "parallel-" + QByteArray::number(t);
                    QString error;
                    if (!c.admin->createTopic(name, 1, std::nullopt, error) ||
                        !c.admin->setRetention(name, RetentionPolicy{1000 * (t + 1), -1}, error) ||
                        c.admin->addPartitions(name, 2 + t, error) != ChangeOutcome::Done)
                        return QStringLiteral("%1: %2").arg(QString::fromUtf8(name), error);
                    return QString();
                }));
            QStringList out;
            for (auto &call : calls)
                if (QString e = call.get(); !e.isEmpty())
                    out << e;
            return out;
        });
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
        for (int t = 0; t < 8; ++t) {
            const auto topic = c.broker.topics().find("parallel-" + QByteArray::number(t));
            QVERIFY(topic);
            QCOMPARE(topic->partitionCount(), 2 + t);
            QCOMPARE(topic->retention().retentionMs, 1000 * (t + 1));
        }
    }

    void createsAndDeletesTopics()
    {
        Cluster c;
        QVERIFY(c.start());
        QString error;
        const RetentionPolicy retention{60000, 1 << 20};
        QVERIFY2(offThread([&] { return c.admin->createTopic("fresh", 3, retention, error); }),
                 qPrintable(error));
        auto topic = c.broker.topics().find("fresh");
        QVERIFY(topic);
        QCOMPARE(topic->partitionCount(), 3);
        QCOMPARE(topic->retention().retentionMs, 60000);
        QCOMPARE(topic->retention().retentionBytes, 1 << 20);

        QVERIFY(offThread([&] { return c.admin->createTopic("plain", 1, std::nullopt, error); }));
        QCOMPARE(c.broker.topics().find("plain")->retention().retentionMs,
                 c.broker.config().defaultRetention.retentionMs);

        QVERIFY(!offThread([&] { return c.admin->createTopic("fresh", 1, std::nullopt, error); }));
        QVERIFY2(error.contains(QLatin1String("already exists")), qPrintable(error));
        QCOMPARE(c.broker.topics().find("fresh")->partitionCount(), 3);
        QVERIFY(!offThread([&] { return c.admin->createTopic("none", 0, std::nullopt, error); }));
        QVERIFY(!c.broker.topics().find("none"));

        QVERIFY2(offThread([&] { return c.admin->deleteTopic("fresh", error); }),
                 qPrintable(error));
        QVERIFY(!c.broker.topics().find("fresh"));
        QVERIFY(!offThread([&] { return c.admin->deleteTopic("fresh", error); }));
        QVERIFY2(error.contains(QLatin1String("no topic 'fresh'")), qPrintable(error));
        QVERIFY(c.broker.topics().find("plain"));
    }

    // Rivulet keeps no topic config but retention (cleanup.policy is always delete and
    // segment.bytes broker-wide), so that other dynamic configs survive setRetention()'s
    // AlterConfigs cannot be shown against it: here, both retention values change together
    // and another topic's stay.
    void setsRetention()
    {
        Cluster c;
        QVERIFY(c.broker.createTopic("kept", 1, RetentionPolicy{1000, 2000}).topic);
        QVERIFY(c.broker.createTopic("other", 1, RetentionPolicy{3000, 4000}).topic);
        QVERIFY(c.start());
        QString error;
        QVERIFY2(offThread([&] {
                     return c.admin->setRetention("kept", RetentionPolicy{-1, 5000}, error);
                 }),
                 qPrintable(error));
        QCOMPARE(c.broker.topics().find("kept")->retention().retentionMs, -1);
        QCOMPARE(c.broker.topics().find("kept")->retention().retentionBytes, 5000);
        QCOMPARE(c.broker.topics().find("other")->retention().retentionMs, 3000);
        QCOMPARE(c.broker.topics().find("other")->retention().retentionBytes, 4000);

        QVERIFY2(offThread([&] {
                     return c.admin->setRetention("kept", RetentionPolicy{86400000, -1}, error);
                 }),
                 qPrintable(error));
        QCOMPARE(c.broker.topics().find("kept")->retention().retentionMs, 86400000);
        QCOMPARE(c.broker.topics().find("kept")->retention().retentionBytes, -1);

        QVERIFY(!offThread([&] { return c.admin->setRetention("gone", {}, error); }));
        QVERIFY2(error.contains(QLatin1String("no topic 'gone'")), qPrintable(error));
    }

    void addsPartitions()
    {
        Cluster c;
        QVERIFY(c.broker.createTopic("grow", 2).topic);
        QVERIFY(c.start());
        QString error;
        QCOMPARE(offThread([&] { return c.admin->addPartitions("grow", 5, error, true); }),
                 ChangeOutcome::Done);
        QCOMPARE(c.broker.partitionCount("grow"), 2); // only validated
        QCOMPARE(offThread([&] { return c.admin->addPartitions("grow", 5, error); }),
                 ChangeOutcome::Done);
        QCOMPARE(c.broker.partitionCount("grow"), 5);
        QCOMPARE(offThread([&] { return c.admin->addPartitions("grow", 3, error); }),
                 ChangeOutcome::Invalid);
        QVERIFY(!error.isEmpty());
        QCOMPARE(c.broker.partitionCount("grow"), 5);
        QCOMPARE(offThread([&] { return c.admin->addPartitions("missing", 3, error); }),
                 ChangeOutcome::UnknownTopic);
        QCOMPARE(offThread([&] { return c.admin->addPartitions("grow", -4, error); }),
                 ChangeOutcome::Invalid);

        // the new partitions take records
        const WriteResult r =
            offThread([&] { return c.admin->produce("grow", 4, {record("k", "v")}); });
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(c.broker.partitionRanges("grow")[4].endOffset, 1);
    }

    void deletesRecords()
    {
        Cluster c;
        QVERIFY(c.broker.createTopic("old", 2).topic);
        QVERIFY(fill(c.broker, "old", 0, 10));
        QVERIFY(fill(c.broker, "old", 1, 6));
        QVERIFY(c.start());
        QString error;
        std::int64_t start = -1;
        QCOMPARE(offThread([&] { return c.admin->deleteRecordsBefore("old", 0, 4, start, error); }),
                 ChangeOutcome::Done);
        QCOMPARE(start, 4);
        QCOMPARE(c.broker.partitionRanges("old")[0].startOffset, 4);
        QCOMPARE(c.broker.partitionRanges("old")[1].startOffset, 0);
        // -1: everything
        QCOMPARE(
            offThread([&] { return c.admin->deleteRecordsBefore("old", 1, -1, start, error); }),
            ChangeOutcome::Done);
        QCOMPARE(start, 6);
        QCOMPARE(c.broker.partitionRanges("old")[1].startOffset, 6);

        QCOMPARE(
            offThread([&] { return c.admin->deleteRecordsBefore("old", 0, 99, start, error); }),
            ChangeOutcome::OutOfRange);
        QVERIFY(!error.isEmpty());
        QCOMPARE(c.broker.partitionRanges("old")[0].startOffset, 4);
        QCOMPARE(offThread([&] { return c.admin->deleteRecordsBefore("old", 7, 1, start, error); }),
                 ChangeOutcome::UnknownPartition);
        QCOMPARE(offThread([&] { return c.admin->deleteRecordsBefore("new", 0, 1, start, error); }),
                 ChangeOutcome::UnknownTopic);
        QVERIFY(!c.broker.topics().find("new"));
    }

    void resetsOffsetsOfAnEmptyGroup()
    {
        Cluster c;
        QVERIFY(c.broker.createTopic("orders", 3).topic);
        QVERIFY(fill(c.broker, "orders", 0, 10));
        QVERIFY(fill(c.broker, "orders", 1, 5));
        QVERIFY(fill(c.broker, "orders", 2, 8));
        std::int64_t start = 0;
        QString error;
        QCOMPARE(c.broker.deleteRecordsBefore("orders", 2, 3, start, error),
                 Broker::ChangeOutcome::Done);
        QVERIFY(c.broker.groups().storeCommitted(
            "billing", {{"orders", 0, 7, {}}, {"orders", 1, 5, {}}, {"orders", 2, 8, {}}},
            Broker::nowMs(), error));
        QVERIFY(c.start());

        // partition 0 to 2, partition 1 past its end (clamped to 5), partition 2 before its
        // start (clamped to 3)
        const std::map<int, std::int64_t> offsets = {{0, 2}, {1, 100}, {2, 0}};
        QCOMPARE(offThread([&] {
                     return c.admin->resetGroupOffsets("billing", "orders", offsets, error);
                 }),
                 GroupOutcome::Done);
        const auto committed = [&](int partition) {
            const auto o = c.broker.groups().committed("billing", "orders", partition);
            return o ? o->offset : -1;
        };
        QCOMPARE(committed(0), 2);
        QCOMPARE(committed(1), 5);
        QCOMPARE(committed(2), 3);

        // only the partitions listed change
        QCOMPARE(offThread([&] {
                     return c.admin->resetGroupOffsets("billing", "orders", {{1, 0}}, error);
                 }),
                 GroupOutcome::Done);
        QCOMPARE(committed(0), 2);
        QCOMPARE(committed(1), 0);

        // a group with no offsets yet gets them
        QCOMPARE(offThread([&] {
                     return c.admin->resetGroupOffsets("newcomer", "orders", {{0, 4}}, error);
                 }),
                 GroupOutcome::Done);
        QCOMPARE(c.broker.groups().committed("newcomer", "orders", 0)->offset, 4);

        QCOMPARE(offThread([&] {
                     return c.admin->resetGroupOffsets("billing", "orders", {{3, 0}}, error);
                 }),
                 GroupOutcome::UnknownPartition);
        QCOMPARE(offThread([&] {
                     return c.admin->resetGroupOffsets("billing", "gone", {{0, 0}}, error);
                 }),
                 GroupOutcome::UnknownTopic);
        QCOMPARE(offThread([&] { return c.admin->resetGroupOffsets("", "orders", {}, error); }),
                 GroupOutcome::InvalidGroup);
        QCOMPARE(committed(0), 2);
    }

    // A group with a kcat member: resetting its offsets or deleting it is refused with
    // HasMembers, and works once the member has left.
    void groupWithAMemberIsLeftAlone()
    {
        const QString kcat = QStandardPaths::findExecutable(QStringLiteral("kcat"));
        if (kcat.isEmpty())
            QSKIP("kcat is not installed (scripts/setup.sh installs it)");
        BrokerConfig brokerConfig;
        brokerConfig.groupInitialRebalanceDelayMs = 0;
        Cluster c(brokerConfig);
        QVERIFY(c.broker.createTopic("orders", 1).topic);
        QVERIFY(fill(c.broker, "orders", 0, 5));
        QVERIFY(c.start());

        QProcess member;
        member.start(kcat,
                     {"-b", c.settings.bootstrap, "-G", "busy", "-q", "-X",
                      "auto.offset.reset=earliest", "-X", "auto.commit.interval.ms=100", "orders"});
        QVERIFY(member.waitForStarted());
        const auto stop = qScopeGuard([&] {
            member.kill();
            member.waitForFinished();
        });
        // the member has consumed and committed everything
        QTRY_COMPARE_WITH_TIMEOUT(
            [&] {
                const auto o = c.broker.groups().committed("busy", "orders", 0);
                return o ? o->offset : -1;
            }(),
            5, 30000);

        QString error;
        QCOMPARE(offThread([&] {
                     return c.admin->resetGroupOffsets("busy", "orders", {{0, 0}}, error);
                 }),
                 GroupOutcome::HasMembers);
        QVERIFY2(error.contains(QLatin1String("consumers must stop")), qPrintable(error));
        QCOMPARE(c.broker.groups().committed("busy", "orders", 0)->offset, 5);
        QCOMPARE(offThread([&] { return c.admin->deleteGroup("busy", error); }),
                 GroupOutcome::HasMembers);
        QVERIFY(c.broker.groups().committed("busy", "orders", 0));

        // kcat leaves its group on SIGTERM
        member.terminate();
        QVERIFY(member.waitForFinished(15000));
        QTRY_COMPARE_WITH_TIMEOUT(
            offThread([&] {
                return c.admin->resetGroupOffsets("busy", "orders", {{0, 1}}, error);
            }),
            GroupOutcome::Done, 30000);
        QCOMPARE(c.broker.groups().committed("busy", "orders", 0)->offset, 1);
        QCOMPARE(offThread([&] { return c.admin->deleteGroup("busy", error); }),
                 GroupOutcome::Done);
        QVERIFY(!c.broker.groups().committed("busy", "orders", 0));
    }

    void deletesAnEmptyGroup()
    {
        Cluster c;
        QVERIFY(c.broker.createTopic("orders", 1).topic);
        QString error;
        QVERIFY(c.broker.groups().storeCommitted("idle", {{"orders", 0, 0, {}}}, Broker::nowMs(),
                                                 error));
        QVERIFY(c.start());
        QCOMPARE(offThread([&] { return c.admin->deleteGroup("idle", error); }),
                 GroupOutcome::Done);
        QVERIFY(c.broker.groups().committedOffsets("idle").empty());
        QCOMPARE(offThread([&] { return c.admin->deleteGroup("idle", error); }),
                 GroupOutcome::UnknownGroup);
        QVERIFY2(error.contains(QLatin1String("no group 'idle'")), qPrintable(error));
        QCOMPARE(offThread([&] { return c.admin->deleteGroup("", error); }),
                 GroupOutcome::InvalidGroup);
    }

    // Nobody listens: every call comes back with a clear error (the request timeouts bound
    // how long; the figures are printed, not asserted).
    void unreachableBootstrapSaysSo()
    {
        const quint16 port = deadPort();
        QVERIFY(port != 0);
        KafkaSettings settings;
        settings.bootstrap = QStringLiteral("127.0.0.1:%1").arg(port);
        QString error;
        const auto admin = KafkaAdmin::open(settings, error);
        QVERIFY2(admin, qPrintable(error));
        const QString expected =
            QStringLiteral("no Kafka broker answered at 127.0.0.1:%1").arg(port);

        QElapsedTimer timer;
        timer.start();
        const WriteResult r = offThread([&] { return admin->produce("t", 0, {record("k", "v")}); });
        qInfo("produce gave up after %lld ms: %s", timer.restart(), qPrintable(r.error));
        QCOMPARE(r.written, 0);
        QVERIFY2(r.error.startsWith(expected), qPrintable(r.error));

        QVERIFY(!offThread([&] { return admin->createTopic("t", 1, std::nullopt, error); }));
        qInfo("createTopic gave up after %lld ms: %s", timer.restart(), qPrintable(error));
        QVERIFY2(error.startsWith(expected), qPrintable(error));

        QCOMPARE(offThread([&] { return admin->addPartitions("t", 2, error); }),
                 ChangeOutcome::Unavailable);
        qInfo("addPartitions gave up after %lld ms: %s", timer.restart(), qPrintable(error));
        QVERIFY2(error.startsWith(expected), qPrintable(error));

        QCOMPARE(offThread([&] { return admin->deleteGroup("g", error); }),
                 GroupOutcome::Unavailable);
        qInfo("deleteGroup gave up after %lld ms: %s", timer.restart(), qPrintable(error));
        QVERIFY2(error.startsWith(expected), qPrintable(error));

        QCOMPARE(offThread([&] {
                     return admin->resetGroupOffsets("g", "t", {{0, 0}}, error);
                 }),
                 GroupOutcome::Unavailable);
        qInfo("resetGroupOffsets gave up after %lld ms: %s", timer.restart(), qPrintable(error));
        QVERIFY2(error.startsWith(expected), qPrintable(error));
    }
    // A SASL listener: the properties of a --kafka-config file are what KafkaAdmin connects
    // with; a wrong password is a clear error, not a hang.
    void authenticatesWithTheGivenProperties()
    {
        QTemporaryDir dir;
        const QString path = userfile::pathIn(dir.path());
        SaslUser alice{QStringLiteral("alice"), {}};
        alice.credentials[scram::Mechanism::Sha512] =
            scram::makeCredential(scram::Mechanism::Sha512, "right", 4096);
        QString error;
        QVERIFY2(userfile::save(path, {alice}, error), qPrintable(error));
        kafka::KafkaConfig config;
        config.security = SecurityProtocol::SaslPlaintext;
        config.users = std::make_shared<UserStore>(path);
        QVERIFY2(config.users->load(error), qPrintable(error));
        Cluster c({}, config);
        QVERIFY(c.server->start(QHostAddress::LocalHost, 0));
        KafkaSettings settings;
        settings.bootstrap = QStringLiteral("127.0.0.1:%1").arg(c.server->serverPort());
        settings.properties = {{"security.protocol", "SASL_PLAINTEXT"},
                               {"sasl.mechanism", "SCRAM-SHA-512"},
                               {"sasl.username", "alice"},
                               {"sasl.password", "right"}};
        auto admin = KafkaAdmin::open(settings, error);
        QVERIFY2(admin, qPrintable(error));
        QVERIFY2(offThread([&] { return admin->createTopic("secured", 2, std::nullopt, error); }),
                 qPrintable(error));
        QCOMPARE(c.broker.partitionCount("secured"), 2);

        settings.properties.last().second = "wrong";
        admin = KafkaAdmin::open(settings, error);
        QVERIFY2(admin, qPrintable(error));
        QVERIFY(!offThread([&] { return admin->deleteTopic("secured", error); }));
        QVERIFY2(error.startsWith(
                     QStringLiteral("authentication with %1 failed").arg(settings.bootstrap)),
                 qPrintable(error));
        QVERIFY(!error.contains(QLatin1String("wrong")));
        QVERIFY(c.broker.topics().find("secured"));
    }

    // (a configuration librdkafka refuses: tst_kafkacluster, through the same rdkafka::create())
};

QTEST_GUILESS_MAIN(TestKafkaAdmin)
#include "tst_kafkaadmin.moc"
