// How the native server treats its connections: pipelined requests answered in order, a
// request over the maximum or with an unknown tag refused, Quit, back-pressure from a client
// that never reads, random bytes, and a prompt stop with clients connected.
#include "native/clientcodec.h"
#include "native/nativeclient.h"
#include "support/inprocessbroker.h"
#include "support/loopclient.h"
#include "support/nativebytes.h"
#include "support/nativecalls.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

using namespace rivulet;
using namespace rivulet::native;
using namespace rivulet::testsupport;

class TestNativeServerConnections : public QObject, private InProcessBroker
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup() { stopBroker(); }

    void pipelinedRequestsAnsweredInOrder()
    {
        QVERIFY(startBroker());
        LoopClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));

        // everything in one write: create, then produce i / consume i interleaved
        constexpr int kPairs = 300;
        QByteArray requests = encodeCreateTopic("pipe", 1);
        for (int i = 0; i < kPairs; ++i) {
            requests += encodeProduce("pipe", 0, {"value " + QByteArray::number(i)});
            requests += encodeConsume("pipe", 0, std::uint32_t(i), 1);
        }
        requests += encodeListTopics();
        QByteArray expected = kEmpty;
        for (int i = 0; i < kPairs; ++i) {
            expected += offsetRecord(quint32(i)) + kEmpty;
            expected += contentRecord(quint32(i), "value " + QByteArray::number(i)) + kEmpty;
        }
        c.send(requests);

        QByteArray received;
        Reply reply;
        QByteArray raw;
        for (int i = 0; i < 1 + 2 * kPairs; ++i) {
            QVERIFY2(c.readReply(reply, &raw), qPrintable(c.error()));
            received += raw;
        }
        QCOMPARE(received, expected);
        QVERIFY2(c.readReply(reply), qPrintable(c.error()));
        QCOMPARE(reply.topicPartitions.size(), 1);
        QCOMPARE(reply.topicPartitions.first().endOffset, std::uint64_t(kPairs));

        // and the other way round: one request dribbled out a few bytes per write
        const QByteArray split = encodeProduce("pipe", 0, {"split", "across", "writes"}, "cid");
        for (qsizetype at = 0; at < split.size(); at += 5) {
            c.send(split.mid(at, 5));
            QVERIFY(c.waitUntil([&] { return c.socket().bytesToWrite() == 0; }, kTimeoutMs));
        }
        QVERIFY2(c.readReply(reply, &raw), qPrintable(c.error()));
        QCOMPARE(raw, offsetRecord(kPairs + 2) + kEmpty);
    }

    void requestOverMaximumIsRefused()
    {
        BrokerConfig config;
        config.maxRequestBytes = 4096;
        QVERIFY(startBroker(config));
        LoopClient bystander;
        QVERIFY2(bystander.connectTo(m_port), qPrintable(bystander.error()));
        Reply reply;
        QByteArray raw;
        QVERIFY2(bystander.call(encodeCreateTopic("lim", 1), reply), qPrintable(bystander.error()));

        // 24 bytes of framing: a 4072-byte value makes a request of exactly the maximum
        const QByteArray atLimit = encodeProduce("lim", 0, {QByteArray(4072, 'a')});
        QCOMPARE(atLimit.size(), 4096);
        QVERIFY2(bystander.call(atLimit, reply, &raw), qPrintable(bystander.error()));
        QCOMPARE(raw, offsetRecord(0) + kEmpty);
        // many small requests together are far over the maximum, but each is fine
        QByteArray many;
        for (int i = 0; i < 100; ++i)
            many += encodeProduce("lim", 0, {QByteArray(100, 'b')});
        bystander.send(many);
        for (int i = 0; i < 100; ++i) {
            QVERIFY2(bystander.readReply(reply, &raw), qPrintable(bystander.error()));
            QCOMPARE(raw, offsetRecord(quint32(1 + i)) + kEmpty);
        }

        {
            LoopClient big;
            QVERIFY2(big.connectTo(m_port), qPrintable(big.error()));
            const QByteArray overLimit = encodeProduce("lim", 0, {QByteArray(4073, 'c')});
            QCOMPARE(overLimit.size(), 4097);
            QVERIFY2(big.call(overLimit, reply, &raw), qPrintable(big.error()));
            QCOMPARE(raw, kError);
            QVERIFY2(big.waitClosed(), qPrintable(big.error()));
            QVERIFY(big.buffer().isEmpty());
        }
        {
            // only the header of a huge value: refused before the value is sent
            LoopClient huge;
            QVERIFY2(huge.connectTo(m_port), qPrintable(huge.error()));
            QVERIFY2(huge.call(encodeSetOptions(kOptionErrorText), reply),
                     qPrintable(huge.error()));
            QByteArray header =
                QByteArray(1, '\x01') + be32(3) + "lim" + be32(0) + be32(1) + be32(0x7fffffffu);
            QVERIFY2(huge.call(header, reply), qPrintable(huge.error()));
            QVERIFY(reply.error);
            QVERIFY2(reply.errorText.contains(u"4096"), qPrintable(reply.errorText));
            QVERIFY2(huge.waitClosed(), qPrintable(huge.error()));
        }
        // the bystander is unaffected and nothing of the refused requests was stored
        QVERIFY2(bystander.call(encodeProduce("lim", 0, {"after"}), reply, &raw),
                 qPrintable(bystander.error()));
        QCOMPARE(raw, offsetRecord(101) + kEmpty);
        QVERIFY2(bystander.call(encodeConsume("lim", 0, 101, 10), reply, &raw),
                 qPrintable(bystander.error()));
        QCOMPARE(raw, contentRecord(101, "after") + kEmpty);
    }

    void unknownTagIsRefused_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        // tags no version of the protocol assigns
        QTest::newRow("0") << QByteArray("\x00", 1);
        QTest::newRow("200") << kUnknownAction;
        QTest::newRow("255 and more") << QByteArray("\xff\x01\x02\x03");
        QTest::newRow("after a good request") << encodeListTopics() + kUnknownAction;
    }

    void unknownTagIsRefused()
    {
        QFETCH(QByteArray, bytes);
        QVERIFY(startBroker());
        LoopClient bystander;
        QVERIFY2(bystander.connectTo(m_port), qPrintable(bystander.error()));
        Reply reply;
        QByteArray raw;
        {
            LoopClient c;
            QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
            c.send(bytes);
            if (bytes.startsWith(encodeListTopics())) {
                QVERIFY2(c.readReply(reply, &raw), qPrintable(c.error()));
                QCOMPARE(raw, kEmpty);
            }
            QVERIFY2(c.readReply(reply, &raw), qPrintable(c.error()));
            QCOMPARE(raw, kError);
            QVERIFY2(c.waitClosed(), qPrintable(c.error()));
            QVERIFY(c.buffer().isEmpty());
        }
        QVERIFY2(bystander.call(encodeCreateTopic("fine", 1), reply, &raw),
                 qPrintable(bystander.error()));
        QCOMPARE(raw, kEmpty);
    }

    void quitClosesTheConnection()
    {
        QVERIFY(startBroker());
        Reply reply;
        QByteArray raw;
        {
            LoopClient c;
            QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
            c.send(encodeQuit());
            QVERIFY2(c.waitClosed(), qPrintable(c.error()));
            QVERIFY(c.buffer().isEmpty()); // Quit has no reply
        }
        {
            // replies before the Quit arrive; requests after it are not carried out
            LoopClient c;
            QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
            c.send(encodeCreateTopic("q", 1) + encodeProduce("q", 0, {"kept"}) +
                   encodeQuit("some-id") + encodeProduce("q", 0, {"dropped"}));
            QVERIFY2(c.waitClosed(), qPrintable(c.error()));
            QCOMPARE(c.buffer(), kEmpty + offsetRecord(0) + kEmpty);
        }
        LoopClient check;
        QVERIFY2(check.connectTo(m_port), qPrintable(check.error()));
        QVERIFY2(check.call(encodeConsume("q", 0, 0, 10), reply, &raw), qPrintable(check.error()));
        QCOMPARE(raw, contentRecord(0, "kept") + kEmpty);
    }

    void backPressureDoesNotStallOthers()
    {
        // one worker: the client that never reads shares its thread with everyone else
        QVERIFY(startBroker({}, 1));
        LoopClient other;
        QVERIFY2(other.connectTo(m_port), qPrintable(other.error()));
        Reply reply;
        QVERIFY2(other.call(encodeCreateTopic("big", 1), reply), qPrintable(other.error()));
        const QList<QByteArray> values = numbered(QByteArray(16 * 1024, 'v'), 0, 16);
        QVERIFY2(other.call(encodeProduce("big", 0, values), reply), qPrintable(other.error()));
        QCOMPARE(reply.offsets, QList<std::uint32_t>{15});

        // ~1 GB of replies asked for, none read; this socket buffers at most 64 KiB
        LoopClient greedy(64 * 1024);
        QVERIFY2(greedy.connectTo(m_port), qPrintable(greedy.error()));
        constexpr int kRequests = 4000;
        QByteArray requests;
        for (int i = 0; i < kRequests; ++i)
            requests += encodeConsume("big", 0, 0, 16);
        greedy.send(requests);
        QVERIFY(greedy.waitUntil([&] { return greedy.socket().bytesAvailable() >= 64 * 1024; },
                                 kTimeoutMs));

        for (int i = 0; i < 50; ++i) {
            QVERIFY2(other.call(encodeProduce("big", 0, {"small " + QByteArray::number(i)}), reply),
                     qPrintable(other.error()));
            QCOMPARE(reply.offsets, QList<std::uint32_t>{std::uint32_t(16 + i)});
            QVERIFY2(other.call(encodeConsume("big", 0, std::uint32_t(16 + i), 1), reply),
                     qPrintable(other.error()));
            QCOMPARE(reply.contents.size(), 1);
        }
        LoopClient newcomer;
        QVERIFY2(newcomer.connectTo(m_port), qPrintable(newcomer.error()));
        QVERIFY2(newcomer.call(encodeListTopics(), reply), qPrintable(newcomer.error()));
        QCOMPARE(reply.topicPartitions.size(), 1);

        // once it reads, the greedy client gets whole, correct replies in order
        for (int i = 0; i < 100; ++i) {
            QVERIFY2(greedy.readReply(reply), qPrintable(greedy.error()));
            QVERIFY(!reply.error);
            QCOMPARE(reply.contents.size(), 16);
            for (int k = 0; k < 16; ++k) {
                QCOMPARE(reply.contents[k].offset, std::uint32_t(k));
                QVERIFY(reply.contents[k].value == values[k]);
            }
        }
        greedy.socket().abort();
        QTRY_COMPARE_WITH_TIMEOUT(m_server->connectionCount(), 2, kTimeoutMs);
        QVERIFY2(other.call(encodeConsume("big", 0, 65, 10), reply), qPrintable(other.error()));
        QCOMPARE(reply.contents.size(), 1);
        QCOMPARE(reply.contents.first().value, QByteArray("small 49"));
    }

    void randomBytesDoNotHurtTheBroker()
    {
        QVERIFY(startBroker());
        LoopClient early;
        QVERIFY2(early.connectTo(m_port), qPrintable(early.error()));
        Reply reply;
        QByteArray raw;
        QVERIFY2(early.call(encodeCreateTopic("sturdy", 1), reply), qPrintable(early.error()));
        QVERIFY2(early.call(encodeProduce("sturdy", 0, {"before"}), reply),
                 qPrintable(early.error()));

        QRandomGenerator random(20240607);
        constexpr int kWaves = 6, kPerWave = 50; // waves stay within the listen backlog
        const char validTags[] = {1, 2, 3, 4, 5, 6, 8};
        for (int wave = 0; wave < kWaves; ++wave) {
            std::vector<std::unique_ptr<QTcpSocket>> sockets;
            for (int i = 0; i < kPerWave; ++i) {
                sockets.push_back(std::make_unique<QTcpSocket>());
                sockets.back()->connectToHost(QHostAddress::LocalHost, m_port);
            }
            QVERIFY(early.waitUntil(
                [&] {
                    return std::all_of(sockets.begin(), sockets.end(), [](const auto &s) {
                        return s->state() == QAbstractSocket::ConnectedState;
                    });
                },
                kTimeoutMs));
            for (int i = 0; i < kPerWave; ++i) {
                QByteArray junk(1 + qsizetype(random.bounded(2048)), '\0');
                for (char &byte : junk)
                    byte = char(random.bounded(256));
                // a third start like a real request, to get deeper into the parser
                if (i % 3 == 0)
                    junk[0] = validTags[random.bounded(int(sizeof validTags))];
                sockets[std::size_t(i)]->write(junk);
            }
            QVERIFY(early.waitUntil(
                [&] {
                    return std::all_of(sockets.begin(), sockets.end(),
                                       [](const auto &s) { return s->bytesToWrite() == 0; });
                },
                kTimeoutMs));
            for (int i = 0; i < kPerWave; ++i) {
                if (i % 2)
                    sockets[std::size_t(i)]->abort();
                else
                    sockets[std::size_t(i)]->disconnectFromHost();
            }
        }
        QTRY_COMPARE_WITH_TIMEOUT(m_server->connectionCount(), 1, kTimeoutMs);

        // the connection opened before the storm, and a new one
        QVERIFY2(early.call(encodeProduce("sturdy", 0, {"after"}), reply, &raw),
                 qPrintable(early.error()));
        QCOMPARE(raw, offsetRecord(1) + kEmpty);
        LoopClient late;
        QVERIFY2(late.connectTo(m_port), qPrintable(late.error()));
        QVERIFY2(late.call(encodeConsume("sturdy", 0, 0, 10), reply, &raw),
                 qPrintable(late.error()));
        QCOMPARE(raw, contentRecord(0, "before") + contentRecord(1, "after") + kEmpty);
        QVERIFY2(late.call(encodeListTopics(), reply), qPrintable(late.error()));
        QVERIFY(!reply.error);
    }

    void stopReturnsPromptlyWithClientsConnected()
    {
        QVERIFY(startBroker());
        LoopClient admin;
        QVERIFY2(admin.connectTo(m_port), qPrintable(admin.error()));
        Reply reply;
        QVERIFY2(admin.call(encodeCreateTopic("busy", 1), reply), qPrintable(admin.error()));
        QVERIFY2(admin.call(encodeProduce("busy", 0, numbered(QByteArray(16 * 1024, 'x'), 0, 16)),
                            reply),
                 qPrintable(admin.error()));

        std::vector<std::unique_ptr<LoopClient>> idle;
        for (int i = 0; i < 10; ++i) {
            idle.push_back(std::make_unique<LoopClient>());
            QVERIFY2(idle.back()->connectTo(m_port), qPrintable(idle.back()->error()));
            QVERIFY2(idle.back()->call(encodeListTopics(), reply),
                     qPrintable(idle.back()->error()));
        }
        LoopClient halfRequest;
        QVERIFY2(halfRequest.connectTo(m_port), qPrintable(halfRequest.error()));
        halfRequest.send(encodeProduce("busy", 0, {"never finished"}).left(12));
        LoopClient greedy(64 * 1024);
        QVERIFY2(greedy.connectTo(m_port), qPrintable(greedy.error()));
        QByteArray requests;
        for (int i = 0; i < 2000; ++i)
            requests += encodeConsume("busy", 0, 0, 16);
        greedy.send(requests);
        QVERIFY(greedy.waitUntil([&] { return greedy.socket().bytesAvailable() >= 64 * 1024; },
                                 kTimeoutMs));

        // a blocking client on another thread, waiting for a reply that cannot come
        std::atomic<bool> waiting{false};
        QString blockedResult;
        QElapsedTimer clock;
        clock.start();
        qint64 blockedReturnedMs = -1;
        std::unique_ptr<QThread> blocked(QThread::create([&] {
            NativeClient client;
            if (!client.connectTo(QStringLiteral("127.0.0.1"), m_port, kTimeoutMs)) {
                blockedResult = client.errorString();
                return;
            }
            client.send(encodeConsume("busy", 0, 0, 1).left(6));
            waiting = true;
            Reply r;
            blockedResult = client.readReply(r, kTimeoutMs) ? QStringLiteral("got a reply")
                                                            : client.errorString();
            blockedReturnedMs = clock.elapsed();
        }));
        blocked->start();
        // on an early failure, too: the thread uses this frame (its waits are bounded)
        const auto joinBlocked = qScopeGuard([&] { blocked->wait(); });
        QTRY_VERIFY_WITH_TIMEOUT(waiting.load(), kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(m_server->connectionCount(), 14, kTimeoutMs);

        // and one refused, in its lingering close
        LoopClient refused;
        QVERIFY2(refused.connectTo(m_port), qPrintable(refused.error()));
        QVERIFY2(refused.call(kUnknownAction, reply), qPrintable(refused.error()));
        QVERIFY(reply.error);

        const qint64 stopStartedMs = clock.elapsed();
        m_server->stop();
        const qint64 stopMs = clock.elapsed() - stopStartedMs;
        // a hang check, not a speed target: far above the 2 s lingering close
        QVERIFY2(stopMs < 10000, qPrintable(QStringLiteral("stop() took %1 ms").arg(stopMs)));
        QCOMPARE(m_server->connectionCount(), 0);

        QVERIFY(blocked->wait(kTimeoutMs));
        QVERIFY2(blockedResult.contains(u"closed"), qPrintable(blockedResult));
        const qint64 blockedForMs = blockedReturnedMs - stopStartedMs;
        QVERIFY2(blockedForMs < 10000,
                 qPrintable(QStringLiteral("the blocked client waited %1 ms").arg(blockedForMs)));
        for (LoopClient *c : {&admin, &halfRequest, &greedy, &refused})
            QVERIFY2(c->waitClosed(), qPrintable(c->error()));
        for (const auto &c : idle)
            QVERIFY2(c->waitClosed(), qPrintable(c->error()));

        // nothing listens any more
        LoopClient late;
        QVERIFY(!late.connectTo(m_port));
    }
};

QTEST_GUILESS_MAIN(TestNativeServerConnections)
#include "tst_nativeserverconnections.moc"
