// The in-process broker answering each native request over TCP, checked against bytes
// written by hand: produce and consume (and the original's workload, scaled down), topics
// created, recreated and unknown, the error-text option, ListTopics and ListConsumers.
#include "native/clientcodec.h"
#include "native/nativeclient.h"
#include "support/inprocessbroker.h"
#include "support/loopclient.h"
#include "support/nativebytes.h"
#include "support/nativecalls.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QHash>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

using namespace rivulet;
using namespace rivulet::native;
using namespace rivulet::testsupport;

namespace {

// Runs each job on its own thread and spins this thread's event loop meanwhile (the server
// accepts connections here). False if they did not all finish within timeoutMs.
bool runConcurrently(const std::vector<std::function<void()>> &jobs, int timeoutMs)
{
    std::vector<std::unique_ptr<QThread>> threads;
    int running = int(jobs.size());
    QEventLoop loop;
    for (const auto &job : jobs) {
        threads.emplace_back(QThread::create(job));
        QObject::connect(threads.back().get(), &QThread::finished, &loop, [&] {
            if (--running == 0)
                loop.quit();
        });
    }
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    for (auto &thread : threads)
        thread->start();
    if (running > 0)
        loop.exec();
    const bool inTime = running == 0;
    // Stragglers use this frame's data; every job bounds its own waits, so this ends.
    if (running > 0)
        loop.exec();
    for (auto &thread : threads)
        thread->wait();
    return inTime;
}

QByteArray seedValue(int producer, int i)
{
    return "nice message " + QByteArray::number(i) + " from producer " +
           QByteArray::number(producer);
}

constexpr int kSeedPartitions = 10;
constexpr int kSeedValues = 20000;
constexpr int kSeedBatch = 30;
constexpr int kSeedWorkloadMs = 120000;

QString produceSeed(quint16 port, int partition)
{
    NativeClient client;
    if (!client.connectTo(QStringLiteral("127.0.0.1"), port, kTimeoutMs))
        return client.errorString();
    for (int first = 0; first < kSeedValues; first += kSeedBatch) {
        QList<QByteArray> values;
        for (int i = first; i < std::min(first + kSeedBatch, kSeedValues); ++i)
            values << seedValue(partition, i);
        Reply reply;
        if (!client.call(encodeProduce("seed", std::uint32_t(partition), values), reply,
                         kTimeoutMs))
            return QStringLiteral("producer %1: %2").arg(partition).arg(client.errorString());
        const auto last = std::uint32_t(first + values.size() - 1);
        if (reply.error || reply.offsets != QList<std::uint32_t>{last})
            return QStringLiteral("producer %1: batch from %2 was answered error=%3 offsets=%4, "
                                  "expected offset %5")
                .arg(partition)
                .arg(first)
                .arg(reply.error)
                .arg(reply.offsets.isEmpty() ? -1 : qint64(reply.offsets.first()))
                .arg(last);
    }
    return {};
}

QString consumeSeed(quint16 port, int partition)
{
    NativeClient client;
    if (!client.connectTo(QStringLiteral("127.0.0.1"), port, kTimeoutMs))
        return client.errorString();
    const QByteArray consumerId = "seed-consumer-" + QByteArray::number(partition);
    QDeadlineTimer deadline(kSeedWorkloadMs);
    std::uint32_t next = 0;
    while (next < std::uint32_t(kSeedValues)) {
        if (deadline.hasExpired())
            return QStringLiteral("consumer %1 stuck at offset %2").arg(partition).arg(next);
        Reply reply;
        if (!client.call(encodeConsume("seed", std::uint32_t(partition), next, 30, consumerId),
                         reply, kTimeoutMs))
            return QStringLiteral("consumer %1: %2").arg(partition).arg(client.errorString());
        if (reply.error || reply.contents.size() > 30)
            return QStringLiteral("consumer %1: error=%2, %3 records for limit 30")
                .arg(partition)
                .arg(reply.error)
                .arg(reply.contents.size());
        for (const ContentRecord &record : reply.contents) {
            if (record.offset != next || record.value != seedValue(partition, int(next)))
                return QStringLiteral("consumer %1 expected offset %2 '%3', got offset %4 '%5'")
                    .arg(partition)
                    .arg(next)
                    .arg(QString::fromUtf8(seedValue(partition, int(next))))
                    .arg(record.offset)
                    .arg(QString::fromUtf8(record.value));
            ++next;
        }
        if (reply.contents.isEmpty())
            QThread::yieldCurrentThread(); // the protocol has no long poll: ask again
    }
    Reply tail;
    if (!client.call(encodeConsume("seed", std::uint32_t(partition), next, 30, consumerId), tail,
                     kTimeoutMs))
        return client.errorString();
    if (tail.error || !tail.contents.isEmpty())
        return QStringLiteral("consumer %1 read past the end").arg(partition);
    return {};
}

} // namespace

class TestNativeServerRequests : public QObject, private InProcessBroker
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup() { stopBroker(); }

    void createProduceConsume()
    {
        QVERIFY(startBroker());
        LoopClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        Reply reply;
        QByteArray raw;

        QVERIFY2(c.call(encodeCreateTopic("basics", 1), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, kEmpty);

        const QList<QByteArray> five{"zero", "one", "two", "three", "four"};
        QVERIFY2(c.call(encodeProduce("basics", 0, five), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, QByteArray::fromHex("020000000400"));
        QVERIFY2(c.call(encodeProduce("basics", 0, {"five", ""}), reply, &raw),
                 qPrintable(c.error()));
        QCOMPARE(raw, offsetRecord(6) + kEmpty);

        QByteArray all;
        const QList<QByteArray> expected = five + QList<QByteArray>{"five", ""};
        for (int i = 0; i < expected.size(); ++i)
            all += contentRecord(quint32(i), expected[i]);
        QVERIFY2(c.call(encodeConsume("basics", 0, 0, 100), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, all + kEmpty);

        // from the middle, limited, and at the end
        QVERIFY2(c.call(encodeConsume("basics", 0, 3, 2), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, contentRecord(3, "three") + contentRecord(4, "four") + kEmpty);
        QVERIFY2(c.call(encodeConsume("basics", 0, 7, 10), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, kEmpty);
        QVERIFY2(c.call(encodeConsume("basics", 0, 0, 0), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, kEmpty);
        QVERIFY(c.buffer().isEmpty());
    }

    void seedWorkloadScaledDown()
    {
        QVERIFY(startBroker());
        {
            LoopClient admin;
            QVERIFY2(admin.connectTo(m_port), qPrintable(admin.error()));
            Reply reply;
            QVERIFY2(admin.call(encodeCreateTopic("seed", kSeedPartitions), reply),
                     qPrintable(admin.error()));
            QVERIFY(!reply.error);
        }

        std::vector<QString> errors(2 * kSeedPartitions);
        std::vector<std::function<void()>> jobs;
        const quint16 port = m_port;
        for (int p = 0; p < kSeedPartitions; ++p) {
            jobs.push_back([&errors, port, p] { errors[std::size_t(p)] = produceSeed(port, p); });
            jobs.push_back([&errors, port, p] {
                errors[std::size_t(kSeedPartitions + p)] = consumeSeed(port, p);
            });
        }
        QVERIFY2(runConcurrently(jobs, kSeedWorkloadMs), "the workload did not finish in time");
        for (const QString &error : errors)
            QVERIFY2(error.isEmpty(), qPrintable(error));

        LoopClient check;
        QVERIFY2(check.connectTo(m_port), qPrintable(check.error()));
        Reply topics;
        QVERIFY2(check.call(encodeListTopics(), topics), qPrintable(check.error()));
        QCOMPARE(topics.topicPartitions.size(), kSeedPartitions);
        for (const TopicPartitionInfo &p : topics.topicPartitions)
            QCOMPARE(p.endOffset, std::uint64_t(kSeedValues));
        Reply consumers;
        QVERIFY2(check.call(encodeListConsumers(), consumers), qPrintable(check.error()));
        QCOMPARE(consumers.consumerPositions.size(), kSeedPartitions);
        for (const ConsumerPositionInfo &c : consumers.consumerPositions) {
            QCOMPARE(c.consumer, "seed-consumer-" + QByteArray::number(c.partition));
            QCOMPARE(c.nextOffset, std::uint64_t(kSeedValues));
            QCOMPARE(c.delivered, std::uint64_t(kSeedValues));
        }
    }

    void recreatingTopic()
    {
        QVERIFY(startBroker());
        LoopClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        Reply reply;
        QByteArray raw;
        QVERIFY2(c.call(encodeCreateTopic("keep", 3), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, kEmpty);
        QVERIFY2(c.call(encodeProduce("keep", 2, {"a", "b"}), reply), qPrintable(c.error()));
        QCOMPARE(reply.offsets, QList<std::uint32_t>{1});

        // the same count: a no-op that keeps the data
        QVERIFY2(c.call(encodeCreateTopic("keep", 3), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, kEmpty);
        // another count: refused, the topic untouched
        QVERIFY2(c.call(encodeCreateTopic("keep", 4), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, kError);
        QVERIFY2(c.call(encodeCreateTopic("keep", 1), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, kError);
        // invalid counts and names
        QVERIFY2(c.call(encodeCreateTopic("none", 0), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, kError);
        QVERIFY2(c.call(encodeCreateTopic("bad name!", 1), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, kError);

        QVERIFY2(c.call(encodeConsume("keep", 2, 0, 10), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, contentRecord(0, "a") + contentRecord(1, "b") + kEmpty);
        QVERIFY2(c.call(encodeProduce("keep", 3, {"x"}), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, kError); // still three partitions
        QVERIFY2(c.call(encodeProduce("keep", 2, {"c"}), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, offsetRecord(2) + kEmpty);
    }

    void unknownTopicOrPartition()
    {
        QVERIFY(startBroker());
        LoopClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        Reply reply;
        QByteArray raw;
        QVERIFY2(c.call(encodeCreateTopic("known", 2), reply), qPrintable(c.error()));

        const QList<QByteArray> requests{
            encodeProduce("unknown", 0, {"v"}),
            encodeConsume("unknown", 0, 0, 10),
            encodeProduce("known", 2, {"v"}),
            encodeConsume("known", 2, 0, 10),
            encodeProduce("known", 0xffffffffu, {"v"}),
            encodeConsume("known", 0xffffffffu, 0, 10),
            encodeProduce("", 0, {"v"}),
        };
        for (const QByteArray &request : requests) {
            QVERIFY2(c.call(request, reply, &raw), qPrintable(c.error()));
            QCOMPARE(raw, kError);
        }
        // the connection stays usable, and nothing was created or written
        QVERIFY2(c.call(encodeListTopics(), reply), qPrintable(c.error()));
        QCOMPARE(reply.topicPartitions.size(), 2);
        for (const TopicPartitionInfo &p : reply.topicPartitions) {
            QCOMPARE(p.topic, QByteArray("known"));
            QCOMPARE(p.endOffset, 0u);
        }
    }

    void errorTextOption()
    {
        QVERIFY(startBroker());
        LoopClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        Reply reply;
        QByteArray raw;

        QVERIFY2(c.call(encodeConsume("missing-topic", 0, 0, 1), reply, &raw),
                 qPrintable(c.error()));
        QCOMPARE(raw, kError); // the seed's reply unless asked for more

        QVERIFY2(c.call(encodeSetOptions(kOptionErrorText), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, kEmpty);
        QVERIFY2(c.call(encodeConsume("missing-topic", 0, 0, 1), reply, &raw),
                 qPrintable(c.error()));
        QVERIFY(reply.error);
        QVERIFY2(reply.errorText.contains(u"missing-topic"), qPrintable(reply.errorText));
        const QByteArray text = reply.errorText.toUtf8();
        QCOMPARE(raw, QByteArray("\x03\x06", 2) + be32(quint32(text.size())) + text + kEmpty);

        QVERIFY2(c.call(encodeCreateTopic("two", 2), reply), qPrintable(c.error()));
        QVERIFY2(c.call(encodeProduce("two", 5, {"v"}), reply), qPrintable(c.error()));
        QVERIFY(reply.error);
        QVERIFY2(reply.errorText.contains(u"5"), qPrintable(reply.errorText));
        QVERIFY2(c.call(encodeCreateTopic("two", 3), reply), qPrintable(c.error()));
        QVERIFY(reply.error);
        QVERIFY2(reply.errorText.contains(u"two"), qPrintable(reply.errorText));

        // and off again
        QVERIFY2(c.call(encodeSetOptions(0), reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, kEmpty);
        QVERIFY2(c.call(encodeConsume("missing-topic", 0, 0, 1), reply, &raw),
                 qPrintable(c.error()));
        QCOMPARE(raw, kError);

        // the option is per connection
        LoopClient other;
        QVERIFY2(other.connectTo(m_port), qPrintable(other.error()));
        QVERIFY2(c.call(encodeSetOptions(kOptionErrorText), reply), qPrintable(c.error()));
        QVERIFY2(other.call(encodeConsume("missing-topic", 0, 0, 1), reply, &raw),
                 qPrintable(other.error()));
        QCOMPARE(raw, kError);
    }

    void listTopicsReportsOffsets()
    {
        QVERIFY(startBroker());
        LoopClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        Reply reply;
        QVERIFY2(c.call(encodeListTopics(), reply), qPrintable(c.error()));
        QVERIFY(!reply.error);
        QVERIFY(reply.topicPartitions.isEmpty());

        const std::int64_t before = Broker::nowMs();
        QVERIFY2(c.call(encodeCreateTopic("beta", 1), reply), qPrintable(c.error()));
        QVERIFY2(c.call(encodeCreateTopic("alpha", 2), reply), qPrintable(c.error()));
        QVERIFY2(c.call(encodeProduce("alpha", 0, numbered("a", 0, 3)), reply),
                 qPrintable(c.error()));
        QVERIFY2(c.call(encodeProduce("alpha", 1, numbered("b", 0, 5)), reply),
                 qPrintable(c.error()));
        QVERIFY2(c.call(encodeProduce("alpha", 1, numbered("c", 0, 2)), reply),
                 qPrintable(c.error()));
        const std::int64_t after = Broker::nowMs();

        QVERIFY2(c.call(encodeListTopics(), reply), qPrintable(c.error()));
        QVERIFY(!reply.error);
        QCOMPARE(reply.topicPartitions.size(), 3);
        const auto &tp = reply.topicPartitions;
        // sorted by topic, then partition
        QCOMPARE(tp[0].topic, QByteArray("alpha"));
        QCOMPARE(tp[0].partition, 0u);
        QCOMPARE(tp[1].topic, QByteArray("alpha"));
        QCOMPARE(tp[1].partition, 1u);
        QCOMPARE(tp[2].topic, QByteArray("beta"));
        QCOMPARE(tp[2].partition, 0u);
        QCOMPARE(tp[0].endOffset, 3u);
        QCOMPARE(tp[1].endOffset, 7u);
        QCOMPARE(tp[2].endOffset, 0u);
        for (const TopicPartitionInfo &p : tp)
            QCOMPARE(p.startOffset, 0u);
        QVERIFY(tp[0].sizeBytes >= 3 * 2);
        QVERIFY(tp[1].sizeBytes > tp[0].sizeBytes);
        QCOMPARE(tp[2].sizeBytes, 0u);
        for (int i : {0, 1}) {
            QVERIFY(tp[i].lastAppendMs >= std::uint64_t(before));
            QVERIFY(tp[i].lastAppendMs <= std::uint64_t(after));
        }
        QCOMPARE(tp[2].lastAppendMs, 0u);
    }

    void listConsumersReportsPositions()
    {
        QVERIFY(startBroker());
        LoopClient named;
        QVERIFY2(named.connectTo(m_port), qPrintable(named.error()));
        LoopClient anonymous;
        QVERIFY2(anonymous.connectTo(m_port), qPrintable(anonymous.error()));
        Reply reply;
        QVERIFY2(named.call(encodeCreateTopic("events", 2), reply), qPrintable(named.error()));
        QVERIFY2(named.call(encodeProduce("events", 0, numbered("e", 0, 10)), reply),
                 qPrintable(named.error()));
        QVERIFY2(named.call(encodeProduce("events", 1, numbered("f", 0, 4)), reply),
                 qPrintable(named.error()));

        QVERIFY2(named.call(encodeListConsumers(), reply), qPrintable(named.error()));
        QVERIFY(!reply.error);
        QVERIFY(reply.consumerPositions.isEmpty());

        // "reader": 4 then the remaining 6 of partition 0
        QVERIFY2(named.call(encodeConsume("events", 0, 0, 4, "reader"), reply),
                 qPrintable(named.error()));
        QCOMPARE(reply.contents.size(), 4);
        QVERIFY2(named.call(encodeConsume("events", 0, 4, 100, "reader"), reply),
                 qPrintable(named.error()));
        QCOMPARE(reply.contents.size(), 6);
        // the same connection under another id counts separately
        QVERIFY2(named.call(encodeConsume("events", 0, 2, 3, "other"), reply),
                 qPrintable(named.error()));
        // no id: the connection's address names it
        QVERIFY2(anonymous.call(encodeConsume("events", 1, 1, 2), reply),
                 qPrintable(anonymous.error()));
        QCOMPARE(reply.contents.size(), 2);
        const std::int64_t before = Broker::nowMs();
        QVERIFY2(anonymous.call(encodeConsume("events", 1, 3, 2), reply),
                 qPrintable(anonymous.error()));
        const std::int64_t after = Broker::nowMs();
        QCOMPARE(reply.contents.size(), 1);
        // more data after the reads makes a lag
        QVERIFY2(named.call(encodeProduce("events", 1, numbered("g", 0, 3)), reply),
                 qPrintable(named.error()));

        QVERIFY2(anonymous.call(encodeListConsumers(), reply), qPrintable(anonymous.error()));
        QVERIFY(!reply.error);
        QCOMPARE(reply.consumerPositions.size(), 3);
        QHash<QByteArray, ConsumerPositionInfo> byName;
        for (const ConsumerPositionInfo &c : std::as_const(reply.consumerPositions))
            byName.insert(c.consumer, c);
        const QByteArray peer = "127.0.0.1:" + QByteArray::number(anonymous.localPort());
        QVERIFY2(byName.contains("reader") && byName.contains("other") && byName.contains(peer),
                 QList<QByteArray>(byName.keyBegin(), byName.keyEnd()).join(", ").constData());

        const ConsumerPositionInfo reader = byName.value("reader");
        QCOMPARE(reader.topic, QByteArray("events"));
        QCOMPARE(reader.partition, 0u);
        QCOMPARE(reader.nextOffset, 10u);
        QCOMPARE(reader.endOffset, 10u);
        QCOMPARE(reader.delivered, 10u);
        const ConsumerPositionInfo other = byName.value("other");
        QCOMPARE(other.partition, 0u);
        QCOMPARE(other.nextOffset, 5u);
        QCOMPARE(other.delivered, 3u);
        const ConsumerPositionInfo anon = byName.value(peer);
        QCOMPARE(anon.topic, QByteArray("events"));
        QCOMPARE(anon.partition, 1u);
        QCOMPARE(anon.nextOffset, 4u);
        QCOMPARE(anon.endOffset, 7u);
        QCOMPARE(anon.delivered, 3u);
        QVERIFY(anon.lastSeenMs >= std::uint64_t(before));
        QVERIFY(anon.lastSeenMs <= std::uint64_t(after));
    }

    void anonymousPositionsAreForgottenAfterAWhile()
    {
        BrokerConfig config;
        config.anonymousPositionTtlMs = 60000;
        QVERIFY(startBroker(config));
        LoopClient client;
        QVERIFY2(client.connectTo(m_port), qPrintable(client.error()));
        Reply reply;
        QVERIFY2(client.call(encodeCreateTopic("history", 1), reply), qPrintable(client.error()));
        QVERIFY2(client.call(encodeProduce("history", 0, numbered("h", 0, 5)), reply),
                 qPrintable(client.error()));
        QVERIFY2(client.call(encodeConsume("history", 0, 0, 5, "named"), reply),
                 qPrintable(client.error()));
        QVERIFY2(client.call(encodeConsume("history", 0, 0, 2), reply), qPrintable(client.error()));
        auto names = [&] {
            QList<QByteArray> result;
            if (!client.call(encodeListConsumers(), reply))
                return result;
            for (const ConsumerPositionInfo &c : std::as_const(reply.consumerPositions))
                result << c.consumer;
            std::sort(result.begin(), result.end());
            return result;
        };
        const QByteArray peer = "127.0.0.1:" + QByteArray::number(client.localPort());
        QCOMPARE(names(), (QList<QByteArray>{peer, "named"}));
        // a housekeeping round within the minute keeps it
        m_broker->housekeep(true);
        QCOMPARE(names(), (QList<QByteArray>{peer, "named"}));
        // a minute on, only the anonymous one goes, however old the named one is
        Partition *p = m_broker->topics().find("history")->partition(0);
        QCOMPARE(p->forgetAnonymousSeenBefore(Broker::nowMs() + 60000), 1);
        QCOMPARE(names(), QList<QByteArray>{"named"});
        // reading again brings it back
        QVERIFY2(client.call(encodeConsume("history", 0, 2, 1), reply), qPrintable(client.error()));
        QCOMPARE(names(), (QList<QByteArray>{peer, "named"}));
    }
};

QTEST_GUILESS_MAIN(TestNativeServerRequests)
#include "tst_nativeserverrequests.moc"
