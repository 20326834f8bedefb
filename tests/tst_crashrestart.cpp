// A real broker process on a data directory, killed with SIGKILL under concurrent produce or
// stopped cleanly, then restarted: every acknowledged record is there, byte for byte, and
// consumer positions survive; a second broker on the same directory is refused.
#include "native/clientcodec.h"
#include "native/nativeclient.h"
#include "support/datadirbroker.h"
#include "support/nativecalls.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using namespace rivulet::native;
using namespace rivulet::testsupport;

namespace {

// One producer of killNineUnderConcurrentProduce: its own connection and partition.
struct Producer
{
    quint32 partition = 0;
    quint32 seed = 0;
    std::atomic<int> ackedBatches{0};
    std::atomic<bool> finished{false};
    QList<QByteArray> sent;                 // every value sent, in order
    QList<QPair<qint64, QByteArray>> acked; // (offset, value) the broker confirmed
    QString problem;                        // an acknowledgement that made no sense
    QString stopReason;

    void run(quint16 port, const std::atomic<bool> &abort)
    {
        NativeClient client;
        QRandomGenerator rng(seed);
        if (!connectClient(client, port, problem)) {
            finished = true;
            return;
        }
        for (int i = 0; !abort && sent.size() < 2'000'000;) {
            const int n = rng.bounded(1, 51);
            const QList<QByteArray> values =
                numbered(QByteArray("p") + QByteArray::number(partition) + '-', i, n);
            i += n;
            sent += values;
            qint64 last = -1;
            if (!produce(client, "t", partition, values, last, stopReason))
                break;
            if (last - n + 1 != acked.size()) {
                problem = QStringLiteral("a batch of %1 acknowledged with last offset %2 after %3 "
                                         "acknowledged records")
                              .arg(n)
                              .arg(last)
                              .arg(acked.size());
                break;
            }
            for (int j = 0; j < n; ++j)
                acked.append({last - n + 1 + j, values[j]});
            ++ackedBatches;
        }
        finished = true;
    }
};

} // namespace

class TestCrashRestart : public QObject
{
    Q_OBJECT

    using Fixture = DataDirFixture;

    void killNineRound(int round)
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto broker = std::make_unique<DataDirBroker>(dir.path());
        QVERIFY2(broker->start(), broker->describe());
        NativeClient admin;
        QString why;
        QVERIFY2(connectClient(admin, broker->port(), why), qPrintable(why));
        Reply reply;
        QVERIFY2(request(admin, encodeCreateTopic("t", 4), reply, why), qPrintable(why));
        admin.close();

        constexpr int kBatchesBeforeKill = 300;
        std::atomic<bool> abort{false};
        std::vector<std::unique_ptr<Producer>> producers;
        std::vector<std::thread> threads;
        const quint32 seed = QRandomGenerator::global()->generate();
        qInfo("round %d: seed %u", round, seed);
        for (quint32 k = 0; k < 4; ++k) {
            producers.push_back(std::make_unique<Producer>());
            producers.back()->partition = k;
            producers.back()->seed = seed + k;
            threads.emplace_back(&Producer::run, producers.back().get(), broker->port(),
                                 std::cref(abort));
        }
        const bool enough = waitUntil(
            [&] {
                return std::all_of(producers.begin(), producers.end(), [](const auto &p) {
                    return p->ackedBatches >= kBatchesBeforeKill || p->finished;
                });
            },
            60000);
        const bool allProducing = std::none_of(producers.begin(), producers.end(),
                                               [](const auto &p) { return bool(p->finished); });
        const bool killed = broker->kill9();
        abort = true; // and the producers see their connections close
        for (std::thread &t : threads)
            t.join();
        QVERIFY2(killed, broker->describe());
        QVERIFY2(enough, "the producers were too slow");
        for (const auto &p : producers) {
            QVERIFY2(p->problem.isEmpty(), qPrintable(p->problem));
            QVERIFY2(p->ackedBatches >= kBatchesBeforeKill, qPrintable(p->stopReason));
        }
        QVERIFY2(allProducing, "a producer stopped before the kill");

        broker = std::make_unique<DataDirBroker>(dir.path());
        QVERIFY2(broker->start(), broker->describe());
        NativeClient client;
        QVERIFY2(connectClient(client, broker->port(), why), qPrintable(why));
        for (const auto &p : producers) {
            QList<ContentRecord> stored;
            QVERIFY2(consumeAll(client, "t", p->partition, 0, stored, why),
                     qPrintable(QStringLiteral("t[%1]: %2").arg(p->partition).arg(why)));
            const QString context = QStringLiteral("round %1, t[%2]: %3 stored, %4 acknowledged, "
                                                   "%5 sent")
                                        .arg(round)
                                        .arg(p->partition)
                                        .arg(stored.size())
                                        .arg(p->acked.size())
                                        .arg(p->sent.size());
            qInfo("%s", qPrintable(context));
            QVERIFY2(stored.size() >= p->acked.size(), qPrintable(context));
            QVERIFY2(stored.size() <= p->sent.size(), qPrintable(context));
            // dense offsets from 0 holding exactly what the producer sent, in its order
            const QString bad = mismatch(stored, p->sent.first(stored.size()));
            QVERIFY2(bad.isEmpty(), qPrintable(context + QStringLiteral(": ") + bad));
            for (const auto &[offset, value] : std::as_const(p->acked))
                QVERIFY2(stored[offset].offset == offset && stored[offset].value == value,
                         qPrintable(context));
            qint64 last = -1;
            QVERIFY2(produce(client, "t", p->partition, {"after-restart"}, last, why),
                     qPrintable(why));
            QCOMPARE(last, qint64(stored.size()));
        }
        QVERIFY2(broker->stop(), broker->describe());
    }

private Q_SLOTS:
    void killNineUnderConcurrentProduce()
    {
        for (int round = 1; round <= 3; ++round) {
            killNineRound(round);
            if (QTest::currentTestFailed())
                return;
        }
    }

    void secondInstanceRefused()
    {
        Fixture f;
        QVERIFY2(f.start(), qPrintable(f.why));
        Reply reply;
        QVERIFY2(request(f.client, encodeCreateTopic("s", 1), reply, f.why), qPrintable(f.why));
        qint64 last = -1;
        QVERIFY2(produce(f.client, "s", 0, {"one"}, last, f.why), qPrintable(f.why));

        QProcess second;
        second.start(QStringLiteral(RIVULET_BIN_DIR "/rivulet"),
                     {QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0"),
                      QStringLiteral("--data-dir"), f.dir.path()});
        QVERIFY(second.waitForStarted(kTimeoutMs));
        const bool exited = second.waitForFinished(10000);
        const QString err = QString::fromUtf8(second.readAllStandardError());
        const QString out = QString::fromUtf8(second.readAllStandardOutput());
        if (!exited) {
            second.kill();
            second.waitForFinished(kTimeoutMs);
        }
        QVERIFY2(exited, qPrintable(out + err));
        QCOMPARE(second.exitStatus(), QProcess::NormalExit);
        QVERIFY2(second.exitCode() != 0, qPrintable(err));
        QVERIFY2(err.contains(f.dir.path()), qPrintable(err));
        QVERIFY2(!out.contains(u"ready"), qPrintable(out));

        // the first broker still serves, and still owns the directory
        QVERIFY2(produce(f.client, "s", 0, {"two"}, last, f.why), qPrintable(f.why));
        QCOMPARE(last, qint64(1));
        QList<ContentRecord> stored;
        QVERIFY2(consumeAll(f.client, "s", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, {"one", "two"}), QString());
        QVERIFY2(f.broker->stop(), f.broker->describe());
    }

    void cleanRestartKeepsEverything()
    {
        Fixture f;
        QVERIFY2(f.start(), qPrintable(f.why));
        Reply reply;
        QVERIFY2(request(f.client, encodeCreateTopic("a", 3), reply, f.why), qPrintable(f.why));
        QVERIFY2(request(f.client, encodeCreateTopic("b", 1), reply, f.why), qPrintable(f.why));
        const QList<QByteArray> a1 = numbered("a1-", 0, 20);
        const QList<QByteArray> a2 = numbered("a2-", 0, 5);
        const QList<QByteArray> b0 = numbered("b0-", 0, 3);
        qint64 last = -1;
        QVERIFY2(produce(f.client, "a", 1, a1, last, f.why), qPrintable(f.why));
        QVERIFY2(produce(f.client, "a", 2, a2, last, f.why), qPrintable(f.why));
        QVERIFY2(produce(f.client, "b", 0, b0, last, f.why), qPrintable(f.why));
        QVERIFY2(request(f.client, encodeConsume("a", 1, 0, 7, "alice"), reply, f.why),
                 qPrintable(f.why));
        QCOMPARE(reply.contents.size(), qsizetype(7));
        // a reader without a consumer_id is named by its address: not worth keeping; a
        // consumer_id that merely looks like an address is a name like any other
        QVERIFY2(request(f.client, encodeConsume("b", 0, 0, 2), reply, f.why), qPrintable(f.why));
        QVERIFY2(request(f.client, encodeConsume("b", 0, 0, 1, "10.0.0.5:8080"), reply, f.why),
                 qPrintable(f.why));
        QVERIFY2(f.broker->stop(), f.broker->describe());
        QVERIFY(QFile::exists(f.dir.path() + QStringLiteral("/clean-shutdown")));
        {
            // a file from before such positions were left out: its address-named entries
            // are forgotten by the first housekeeping round
            QFile file(f.dir.path() + QStringLiteral("/consumers.json"));
            QVERIFY(file.open(QIODevice::ReadOnly));
            QJsonObject root = QJsonDocument::fromJson(file.readAll()).object();
            file.close();
            QJsonArray positions = root.value(QStringLiteral("positions")).toArray();
            QStringList saved;
            for (const QJsonValue &v : std::as_const(positions))
                saved << v.toObject().value(QStringLiteral("consumer")).toString();
            saved.sort();
            QCOMPARE(saved, (QStringList{"10.0.0.5:8080", "alice"})); // no anonymous reader
            QVERIFY(root.value(QStringLiteral("anonymousOmitted")).toBool());
            // made an older version's file: no marker, and an address-named entry
            root.remove(QStringLiteral("anonymousOmitted"));
            positions = QJsonArray();
            positions.append(
                QJsonObject{{QStringLiteral("topic"), QStringLiteral("a")},
                            {QStringLiteral("partition"), 1},
                            {QStringLiteral("consumer"), QStringLiteral("alice")},
                            {QStringLiteral("nextOffset"), 7},
                            {QStringLiteral("delivered"), 7},
                            {QStringLiteral("lastSeenMs"), QDateTime::currentMSecsSinceEpoch()}});
            positions.append(
                QJsonObject{{QStringLiteral("topic"), QStringLiteral("b")},
                            {QStringLiteral("partition"), 0},
                            {QStringLiteral("consumer"), QStringLiteral("10.1.2.3:4567")},
                            {QStringLiteral("nextOffset"), 1},
                            {QStringLiteral("delivered"), 1},
                            {QStringLiteral("lastSeenMs"), 1000}});
            root.insert(QStringLiteral("positions"), positions);
            QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
            file.write(QJsonDocument(root).toJson());
        }

        QVERIFY2(f.start(), qPrintable(f.why));
        QTRY_VERIFY_WITH_TIMEOUT((request(f.client, encodeListConsumers(), reply, f.why) &&
                                  reply.consumerPositions.size() == 1),
                                 kTimeoutMs);
        QCOMPARE(reply.consumerPositions[0].consumer, QByteArray("alice"));
        QList<TopicPartitionInfo> partitions = listTopics(f.client, f.why);
        QVERIFY2(f.why.isEmpty(), qPrintable(f.why));
        std::sort(partitions.begin(), partitions.end(), [](const auto &x, const auto &y) {
            return std::pair(x.topic, x.partition) < std::pair(y.topic, y.partition);
        });
        QStringList seen;
        for (const TopicPartitionInfo &p : partitions)
            seen << QStringLiteral("%1[%2] %3..%4")
                        .arg(QString::fromLatin1(p.topic))
                        .arg(p.partition)
                        .arg(p.startOffset)
                        .arg(p.endOffset);
        QCOMPARE(seen, QStringList({"a[0] 0..0", "a[1] 0..20", "a[2] 0..5", "b[0] 0..3"}));

        QList<ContentRecord> stored;
        QVERIFY2(consumeAll(f.client, "a", 1, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, a1), QString());
        QVERIFY2(consumeAll(f.client, "a", 2, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, a2), QString());
        QVERIFY2(consumeAll(f.client, "b", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, b0), QString());

        QVERIFY2(request(f.client, encodeListConsumers(), reply, f.why), qPrintable(f.why));
        const auto alice =
            std::find_if(reply.consumerPositions.begin(), reply.consumerPositions.end(),
                         [](const ConsumerPositionInfo &c) { return c.consumer == "alice"; });
        QVERIFY2(alice != reply.consumerPositions.end(), "alice's position was lost");
        QCOMPARE(alice->topic, QByteArray("a"));
        QCOMPARE(alice->partition, 1u);
        QCOMPARE(alice->nextOffset, quint64(7));
        QCOMPARE(alice->delivered, quint64(7));

        QVERIFY2(produce(f.client, "a", 1, {"more"}, last, f.why), qPrintable(f.why));
        QCOMPARE(last, qint64(20));
        QVERIFY2(f.broker->stop(), f.broker->describe());
        // everything the broker said is read by now: a clean start has nothing to recover
        for (const QString &note :
             {QStringLiteral("not shut down cleanly"), QStringLiteral("recovered"),
              QStringLiteral("rebuilt"), QStringLiteral("damaged"), QStringLiteral("unavailable")})
            QVERIFY2(!f.broker->errText().contains(note), f.broker->describe());
    }
};

QTEST_GUILESS_MAIN(TestCrashRestart)
#include "tst_crashrestart.moc"
