#include "broker.h"
#include "native/clientcodec.h"
#include "native/nativeclient.h"
#include "server/server.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QHash>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <QtEndian>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

using namespace rivulet;
using namespace rivulet::native;

namespace {

// Bounds every wait in this file; generous because the machines running it are shared.
constexpr int kTimeoutMs = 30000;

// Reply bytes written out by hand from docs/PROTOCOL.md, not with the broker's encoders.
QByteArray be32(quint32 v)
{
    QByteArray bytes(4, '\0');
    qToBigEndian(v, bytes.data());
    return bytes;
}
const QByteArray kEmpty(1, '\0');
const QByteArray kError("\x03\x00", 2);
const QByteArray kUnknownAction("\xc8", 1);
QByteArray offsetRecord(quint32 offset)
{
    return QByteArray(1, '\x02') + be32(offset);
}
QByteArray contentRecord(quint32 offset, const QByteArray &value)
{
    return QByteArray(1, '\x01') + be32(offset) + be32(quint32(value.size())) + value;
}

QList<QByteArray> numbered(const QByteArray &prefix, int from, int count)
{
    QList<QByteArray> values;
    for (int i = from; i < from + count; ++i)
        values << prefix + QByteArray::number(i);
    return values;
}

// A client on the test's own thread. Its waits run this thread's event loop, which the
// in-process server needs to accept connections; the broker's workers run on their own
// threads. Nothing is read from the socket unless a read is asked for, so a client that
// never reads (with a small read buffer) applies TCP back-pressure on the broker.
class LoopClient
{
public:
    explicit LoopClient(qint64 readBufferSize = 0) { m_socket.setReadBufferSize(readBufferSize); }

    bool connectTo(quint16 port)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        const bool settled = waitUntil(
            [this] {
                return m_socket.state() == QAbstractSocket::ConnectedState ||
                       m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            kTimeoutMs);
        if (!settled || m_socket.state() != QAbstractSocket::ConnectedState)
            return fail(QStringLiteral("cannot connect: %1").arg(m_socket.errorString()));
        m_localPort = m_socket.localPort();
        return true;
    }

    void send(const QByteArray &bytes) { m_socket.write(bytes); }

    // Waits for one whole reply; raw receives its exact bytes.
    bool readReply(Reply &reply, QByteArray *raw = nullptr, int timeoutMs = kTimeoutMs)
    {
        QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            pull();
            std::size_t consumed = 0;
            const auto status =
                m_parser.parse(m_buffer.constData(), std::size_t(m_buffer.size()), reply, consumed);
            if (status == ReplyParser::Status::Complete) {
                if (raw)
                    *raw = m_buffer.left(qsizetype(consumed));
                m_buffer.remove(0, qsizetype(consumed));
                return true;
            }
            if (status == ReplyParser::Status::Malformed)
                return fail(QStringLiteral("malformed reply: %1").arg(m_parser.error()));
            if (m_socket.state() != QAbstractSocket::ConnectedState)
                return fail(QStringLiteral("the broker closed the connection before a whole "
                                           "reply (%1 bytes buffered)")
                                .arg(m_buffer.size()));
            if (!waitUntil(
                    [this] {
                        return m_socket.bytesAvailable() > 0 ||
                               m_socket.state() != QAbstractSocket::ConnectedState;
                    },
                    int(deadline.remainingTime())))
                return fail(QStringLiteral("no whole reply within %1 ms").arg(timeoutMs));
        }
    }

    bool call(const QByteArray &request, Reply &reply, QByteArray *raw = nullptr)
    {
        send(request);
        return readReply(reply, raw);
    }

    // True once the broker has closed the connection; what it sent before stays in buffer().
    bool waitClosed(int timeoutMs = kTimeoutMs)
    {
        const bool closed = waitUntil(
            [this] {
                pull();
                return m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs);
        pull();
        return closed || fail(QStringLiteral("the broker kept the connection open"));
    }

    // Runs the event loop until pred() holds, waking early on this socket's signals.
    template <typename Pred> bool waitUntil(Pred pred, int timeoutMs)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (!pred()) {
            if (deadline.hasExpired())
                return false;
            QEventLoop loop;
            QObject::connect(&m_socket, &QIODevice::readyRead, &loop, &QEventLoop::quit);
            QObject::connect(&m_socket, &QIODevice::bytesWritten, &loop, &QEventLoop::quit);
            QObject::connect(&m_socket, &QAbstractSocket::stateChanged, &loop, &QEventLoop::quit);
            QTimer::singleShot(std::clamp<qint64>(deadline.remainingTime(), 1, 50), &loop,
                               &QEventLoop::quit);
            loop.exec();
        }
        return true;
    }

    QTcpSocket &socket() { return m_socket; }
    QByteArray &buffer() { return m_buffer; }
    quint16 localPort() const { return m_localPort; }
    const QString &error() const { return m_error; }

private:
    void pull() { m_buffer += m_socket.readAll(); }
    bool fail(const QString &why)
    {
        m_error = why;
        return false;
    }

    QTcpSocket m_socket;
    QByteArray m_buffer;
    ReplyParser m_parser;
    QString m_error;
    quint16 m_localPort = 0;
};

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

class TestNativeServer : public QObject
{
    Q_OBJECT

    std::unique_ptr<Broker> m_broker;
    std::unique_ptr<Server> m_server;
    quint16 m_port = 0;

    bool startBroker(BrokerConfig config = {}, int workers = 2)
    {
        m_broker = std::make_unique<Broker>(config);
        m_server = std::make_unique<Server>(*m_broker, workers);
        if (!m_server->start(QHostAddress::LocalHost, 0)) {
            qWarning("cannot start the server: %s", qPrintable(m_server->errorString()));
            return false;
        }
        m_port = m_server->serverPort();
        return true;
    }

private Q_SLOTS:
    void cleanup()
    {
        if (m_server)
            m_server->stop();
        m_server.reset();
        m_broker.reset();
    }

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

QTEST_GUILESS_MAIN(TestNativeServer)
#include "tst_nativeserver.moc"
