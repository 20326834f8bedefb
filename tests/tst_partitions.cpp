#include "broker.h"
#include "log/filelog.h"
#include "log/recordbatch.h"
#include "support/tmpfsmount.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

// Broker::addPartitions() and Broker::deleteRecordsBefore() (Kafka's CreatePartitions and
// DeleteRecords), in memory and on a data directory across a clean restart and a kill -9.

using namespace rivulet;

namespace {

QByteArray batchOf(const QByteArray &value)
{
    RecordBatchBuilder builder(1000);
    builder.append(value);
    return builder.finish();
}

// Produces count one-record batches "topic/partition/offset" to the partition.
bool produce(Broker &broker, const QByteArray &topic, int partition, int count)
{
    for (int i = 0; i < count; ++i) {
        const Partition *p = broker.topics().find(topic)->partition(partition);
        const QByteArray value =
            topic + '/' + QByteArray::number(partition) + '/' + QByteArray::number(p->endOffset());
        if (broker.produce(topic, partition, batchOf(value)).error != ProduceError::None)
            return false;
    }
    return true;
}

// The offsets of the records readRecords() hands out from `from` on.
QList<qint64> offsetsFrom(const Partition &p, qint64 from)
{
    QList<qint64> offsets;
    p.readRecords(from, 1 << 20, [&](const RecordView &r) {
        offsets.append(r.offset);
        return true;
    });
    return offsets;
}

QList<qint64> range(qint64 from, qint64 to)
{
    QList<qint64> r;
    for (qint64 i = from; i < to; ++i)
        r.append(i);
    return r;
}

std::unique_ptr<Broker> openBroker(const QString &dir, const BrokerConfig &config = {})
{
    auto broker = std::make_unique<Broker>(config);
    QStringList notes;
    QString error;
    if (!broker->openDataDir(dir, notes, error)) {
        qWarning("cannot open %s: %s", qPrintable(dir), qPrintable(error));
        return nullptr;
    }
    return broker;
}

int topicsJsonPartitions(const QString &dir, const QString &topic)
{
    QFile f(dir + QStringLiteral("/topics.json"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QJsonValue &v :
         QJsonDocument::fromJson(f.readAll())[QStringLiteral("topics")].toArray())
        if (v[QStringLiteral("name")].toString() == topic)
            return v[QStringLiteral("partitions")].toInt();
    return -1;
}

// Runs work in a child process that then dies by SIGKILL, as a broker killed with kill -9
// right after its answers went out. False when work failed (or the child did not die so).
bool inKilledChild(const std::function<bool()> &work)
{
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (!work())
            ::_exit(1);
        ::kill(::getpid(), SIGKILL);
        ::_exit(2);
    }
    int status = 0;
    return pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
           WTERMSIG(status) == SIGKILL;
}

} // namespace

class TestPartitions : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void addPartitionsSharesTheOldOnesAndKeepsOldViews()
    {
        Broker broker;
        const RetentionPolicy retention{3600000, 1 << 20};
        QCOMPARE(broker.createTopic("t", 2, retention).outcome,
                 TopicRegistry::CreateOutcome::Created);
        const auto before = broker.topics().find("t");
        QVERIFY(produce(broker, "t", 0, 5));

        QString error;
        QCOMPARE(broker.addPartitions("t", 5, error), Broker::ChangeOutcome::Done);
        const auto after = broker.topics().find("t");
        QVERIFY(after != before);
        QCOMPARE(after->partitionCount(), 5);
        QCOMPARE(after->id(), before->id());
        QCOMPARE(after->name(), before->name());
        QCOMPARE(after->retention().retentionMs, retention.retentionMs);
        QCOMPARE(after->retention().retentionBytes, retention.retentionBytes);
        QCOMPARE(broker.topics().find(before->id()), after);
        QCOMPARE(broker.topics().topics().size(), std::size_t(1));
        QCOMPARE(broker.topics().topics().front(), after);
        // the old partitions are the same objects, with their data; the old view is intact
        QCOMPARE(after->partition(0), before->partition(0));
        QCOMPARE(after->partition(1), before->partition(1));
        QCOMPARE(before->partitionCount(), 2);
        QCOMPARE(before->partition(2), nullptr);
        QCOMPARE(after->partition(0)->endOffset(), 5);
        for (int i = 2; i < 5; ++i) {
            QCOMPARE(after->partition(i)->index(), i);
            QCOMPARE(after->partition(i)->endOffset(), 0);
        }
        // the new partitions take records; the snapshot lists them
        QVERIFY(produce(broker, "t", 4, 3));
        QCOMPARE(offsetsFrom(*after->partition(4), 0), range(0, 3));
        const BrokerSnapshot snapshot = broker.snapshot();
        QCOMPARE(snapshot.topics.size(), std::size_t(1));
        QCOMPARE(snapshot.topics.front().partitions.size(), std::size_t(5));
        QCOMPARE(snapshot.topics.front().partitions[4].stats.endOffset, 3);

        // Kafka's rules
        QCOMPARE(broker.addPartitions("t", 5, error), Broker::ChangeOutcome::Invalid);
        QCOMPARE(error, QStringLiteral("Topic already has 5 partitions."));
        QCOMPARE(broker.addPartitions("t", 3, error), Broker::ChangeOutcome::Invalid);
        QVERIFY2(error.contains(QStringLiteral("higher than the requested 3")), qPrintable(error));
        QCOMPARE(broker.addPartitions("t", kMaxPartitions + 1, error),
                 Broker::ChangeOutcome::Invalid);
        QCOMPARE(broker.addPartitions("nope", 3, error), Broker::ChangeOutcome::UnknownTopic);
        // validate only: nothing changes
        QCOMPARE(broker.addPartitions("t", 7, error, true), Broker::ChangeOutcome::Done);
        QCOMPARE(broker.topics().find("t"), after);
        QCOMPARE(after->partitionCount(), 5);

        // setting retention afterwards reaches the registry's topic
        QVERIFY(broker.setRetention("t", {-1, -1}, error));
        QCOMPARE(broker.topics().find("t")->retention().retentionMs, -1);
    }

    void deleteRecordsBeforeInMemory()
    {
        Broker broker;
        QCOMPARE(broker.createTopic("d", 2).outcome, TopicRegistry::CreateOutcome::Created);
        QVERIFY(produce(broker, "d", 0, 10));
        const Partition &p = *broker.topics().find("d")->partition(0);

        std::int64_t start = 0;
        QString error;
        QCOMPARE(broker.deleteRecordsBefore("d", 0, 4, start, error), Broker::ChangeOutcome::Done);
        QCOMPARE(start, 4);
        QCOMPARE(p.startOffset(), 4);
        QCOMPARE(p.stats().startOffset, 4);
        QCOMPARE(offsetsFrom(p, 3), QList<qint64>());
        QCOMPARE(offsetsFrom(p, 4), range(4, 10));
        // a lower offset changes nothing and answers the start
        QCOMPARE(broker.deleteRecordsBefore("d", 0, 2, start, error), Broker::ChangeOutcome::Done);
        QCOMPARE(start, 4);
        // past the end, or below -1
        QCOMPARE(broker.deleteRecordsBefore("d", 0, 11, start, error),
                 Broker::ChangeOutcome::OutOfRange);
        QCOMPARE(start, -1);
        QCOMPARE(broker.deleteRecordsBefore("d", 0, -2, start, error),
                 Broker::ChangeOutcome::OutOfRange);
        QCOMPARE(broker.deleteRecordsBefore("d", 2, 0, start, error),
                 Broker::ChangeOutcome::UnknownPartition);
        QCOMPARE(broker.deleteRecordsBefore("e", 0, 0, start, error),
                 Broker::ChangeOutcome::UnknownTopic);
        QCOMPARE(p.startOffset(), 4);
        // -1: the high watermark, everything
        QCOMPARE(broker.deleteRecordsBefore("d", 0, -1, start, error), Broker::ChangeOutcome::Done);
        QCOMPARE(start, 10);
        QCOMPARE(p.stats().sizeBytes, 0);
        QVERIFY(produce(broker, "d", 0, 2));
        QCOMPARE(offsetsFrom(p, 0), QList<qint64>());
        QCOMPARE(offsetsFrom(p, 10), range(10, 12));
        // an empty partition: offset 0 is its end
        QCOMPARE(broker.deleteRecordsBefore("d", 1, 0, start, error), Broker::ChangeOutcome::Done);
        QCOMPARE(start, 0);
    }

    void durableAcrossACleanRestart()
    {
        QTemporaryDir tmp;
        {
            auto broker = openBroker(tmp.path());
            QVERIFY(broker);
            QCOMPARE(broker->createTopic("g", 1).outcome, TopicRegistry::CreateOutcome::Created);
            QVERIFY(produce(*broker, "g", 0, 20));
            QString error;
            QCOMPARE(broker->addPartitions("g", 3, error), Broker::ChangeOutcome::Done);
            QCOMPARE(topicsJsonPartitions(tmp.path(), "g"), 3);
            QVERIFY(QDir(tmp.path() + "/topics/g/2").exists());
            QVERIFY(produce(*broker, "g", 2, 7));
            std::int64_t start = 0;
            QCOMPARE(broker->deleteRecordsBefore("g", 0, 15, start, error),
                     Broker::ChangeOutcome::Done);
            QCOMPARE(start, 15);
            QCOMPARE(broker->deleteRecordsBefore("g", 2, -1, start, error),
                     Broker::ChangeOutcome::Done);
            QCOMPARE(start, 7);
            broker->shutdown();
        }
        // a leftover directory of a partition topics.json does not count (an addition that
        // was never recorded) is not taken for the new partition's data
        {
            QStringList notes;
            auto stale = FileLog::open(tmp.path() + "/topics/g/3", LogSettings{}, false, notes);
            QByteArray batch = batchOf("stale");
            QVERIFY(stale->append(batch).ok);
            QString error;
            QVERIFY(stale->close(error));
        }
        auto broker = openBroker(tmp.path());
        QVERIFY(broker);
        const auto topic = broker->topics().find("g");
        QCOMPARE(topic->partitionCount(), 3);
        QCOMPARE(topic->partition(0)->startOffset(), 15);
        QCOMPARE(offsetsFrom(*topic->partition(0), 15), range(15, 20));
        QCOMPARE(offsetsFrom(*topic->partition(0), 0), QList<qint64>());
        QCOMPARE(topic->partition(2)->startOffset(), 7);
        QCOMPARE(topic->partition(2)->endOffset(), 7);
        QString error;
        QCOMPARE(broker->addPartitions("g", 4, error), Broker::ChangeOutcome::Done);
        QCOMPARE(broker->topics().find("g")->partition(3)->endOffset(), 0);
        QCOMPARE(topicsJsonPartitions(tmp.path(), "g"), 4);
    }

    // DeleteRecords on a full file system (a small tmpfs) frees the segments below the new
    // start even though there is no room for log-start-offset's temp file at first, records
    // the start once there is, and the partition takes records again.
    void deleteRecordsFreesAFullDisk()
    {
        QTemporaryDir tmp;
        testsupport::TmpfsMount disk(tmp.path(), "2m");
        if (!disk.mounted())
            QSKIP(qPrintable(disk.why()));
        BrokerConfig config;
        config.log.segmentBytes = 128 << 10;
        auto broker = openBroker(tmp.path(), config);
        QVERIFY(broker);
        QCOMPARE(broker->createTopic("full", 1).outcome, TopicRegistry::CreateOutcome::Created);
        const QByteArray value(16 << 10, 'v');
        std::int64_t acked = 0;
        ProduceResult result;
        while ((result = broker->produce("full", 0, batchOf(value))).error == ProduceError::None)
            ++acked;
        QCOMPARE(int(result.error), int(ProduceError::Storage));
        QVERIFY2(result.message.contains(u"No space left"), qPrintable(result.message));
        QVERIFY(acked > 16);
        disk.fill(QStringLiteral("filler"));
        const qint64 freeBefore = disk.freeBytes();

        std::int64_t start = 0;
        QString error;
        QCOMPARE(broker->deleteRecordsBefore("full", 0, acked - 1, start, error),
                 Broker::ChangeOutcome::Done);
        QCOMPARE(start, acked - 1);
        QVERIFY2(disk.freeBytes() > freeBefore + (1 << 20),
                 qPrintable(QString::number(disk.freeBytes())));
        QVERIFY(!QFile::exists(tmp.path() + "/topics/full/0/log-start-offset.tmp"));
        QCOMPARE(int(broker->produce("full", 0, batchOf(value)).error), int(ProduceError::None));
        broker->shutdown();
        broker.reset();
        broker = openBroker(tmp.path(), config);
        QVERIFY(broker);
        const Partition *p = broker->topics().find("full")->partition(0);
        QCOMPARE(p->startOffset(), acked - 1);
        QCOMPARE(offsetsFrom(*p, acked - 1), range(acked - 1, acked + 1));
    }

    // A retention change that cannot be recorded (no room for topics.json's temp file) is
    // refused and changes nothing: the policy in force stays the one on disk.
    void retentionUnchangedWhenItCannotBeSaved()
    {
        QTemporaryDir tmp;
        testsupport::TmpfsMount disk(tmp.path(), "1m");
        if (!disk.mounted())
            QSKIP(qPrintable(disk.why()));
        auto broker = openBroker(tmp.path());
        QVERIFY(broker);
        QCOMPARE(broker->createTopic("kept", 1).outcome, TopicRegistry::CreateOutcome::Created);
        QString error;
        QVERIFY(broker->setRetention("kept", {3600000, -1}, error));
        disk.fill(QStringLiteral("filler"));
        QVERIFY(!broker->setRetention("kept", {1000, 4096}, error));
        QVERIFY2(error.contains(u"No space left") || error.contains(u"topics"), qPrintable(error));
        QCOMPARE(broker->topics().find("kept")->retention().retentionMs, std::int64_t(3600000));
        QCOMPARE(broker->topics().find("kept")->retention().retentionBytes, std::int64_t(-1));
    }

    void durableAfterKill9()
    {
        QTemporaryDir tmp;
        // the child answers each change and is killed: nothing is closed or saved on the way
        // out
        QVERIFY(inKilledChild([&] {
            auto broker = openBroker(tmp.path());
            QString error;
            std::int64_t start = 0;
            return broker &&
                   broker->createTopic("k", 2).outcome == TopicRegistry::CreateOutcome::Created &&
                   produce(*broker, "k", 0, 50) &&
                   broker->addPartitions("k", 4, error) == Broker::ChangeOutcome::Done &&
                   produce(*broker, "k", 3, 9) &&
                   broker->deleteRecordsBefore("k", 0, 30, start, error) ==
                       Broker::ChangeOutcome::Done &&
                   start == 30 &&
                   broker->deleteRecordsBefore("k", 3, 9, start, error) ==
                       Broker::ChangeOutcome::Done &&
                   produce(*broker, "k", 3, 1);
        }));
        auto broker = openBroker(tmp.path());
        QVERIFY(broker);
        const auto topic = broker->topics().find("k");
        QVERIFY(topic);
        QCOMPARE(topic->partitionCount(), 4);
        QCOMPARE(topic->partition(0)->startOffset(), 30);
        QCOMPARE(topic->partition(0)->endOffset(), 50);
        QCOMPARE(offsetsFrom(*topic->partition(0), 29), QList<qint64>());
        QCOMPARE(offsetsFrom(*topic->partition(0), 30), range(30, 50));
        QCOMPARE(topic->partition(3)->startOffset(), 9);
        QCOMPARE(offsetsFrom(*topic->partition(3), 9), QList<qint64>{9});
    }
};

QTEST_GUILESS_MAIN(TestPartitions)
#include "tst_partitions.moc"
