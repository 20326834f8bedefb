// Bounded abuse on the network side, each case a hostile client over loopback against an
// in-process broker (and the listen backlog, which follows somaxconn): a slowloris connection is
// closed after --request-timeout-ms, an idle one after --idle-timeout-ms (and not while its request
// is being answered), a client pipelining requests without reading the answers holds no more than
// its queued-reply cap, a Kafka Fetch asking for everything (and naming one partition 1,000 times)
// is answered within the caps, unfinished huge frames hold no more than the broker's buffer
// budget, and a compressed batch is inflated off the worker thread (a Kafka Produce checking a
// gzip bomb, a native Consume of a stored compressed batch) while the worker answers the others.
#include "broker.h"
#include "kafka/kafkahandler.h"
#include "log/compression.h"
#include "log/crc32c.h"
#include "log/recordbatch.h"
#include "native/clientcodec.h"
#include "server/server.h"
#include "support/kafkabytes.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTest>
#include <QTimer>
#include <QtEndian>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace rivulet;
using rivulet::testing::requestFrame;

namespace {

// Bounds every wait; generous because the machines running it are shared.
constexpr int kWaitMs = 30000;

// A raw client socket: blocking connect, then non-blocking I/O, so that the test decides
// exactly what is sent and never reads unless it says so.
class RawClient
{
public:
    explicit RawClient(int receiveBuffer = 0)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (receiveBuffer > 0)
            ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
    }
    ~RawClient()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    RawClient(const RawClient &) = delete;
    RawClient &operator=(const RawClient &) = delete;

    bool connectTo(quint16 port)
    {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
            return false;
        const int one = 1;
        ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return true;
    }
    // Sends as much of bytes as the socket takes now; returns how much.
    qsizetype sendSome(QByteArrayView bytes)
    {
        const ssize_t n =
            ::send(m_fd, bytes.data(), std::size_t(bytes.size()), MSG_NOSIGNAL | MSG_DONTWAIT);
        return n > 0 ? qsizetype(n) : 0;
    }
    bool sendAll(QByteArrayView bytes)
    {
        qsizetype sent = 0;
        QElapsedTimer clock;
        clock.start();
        while (sent < bytes.size() && clock.elapsed() < kWaitMs) {
            const qsizetype n = sendSome(bytes.sliced(sent));
            sent += n;
            if (n == 0)
                QTest::qWait(1);
        }
        return sent == bytes.size();
    }
    // Reads what has arrived into received(); true once the broker closed the connection.
    bool closedByPeer()
    {
        if (m_closed)
            return true;
        char buffer[65536];
        for (;;) {
            const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n > 0) {
                m_received.append(buffer, n);
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                m_closed = true;
            return m_closed;
        }
    }
    QByteArray &received() { return m_received; }

private:
    int m_fd = -1;
    bool m_closed = false;
    QByteArray m_received;
};

// A Kafka request frame: size, header v1 (api key, version, correlation id, client id), body.
QByteArray kafkaFrame(std::int16_t apiKey, std::int16_t version, std::int32_t correlationId,
                      const QByteArray &body)
{
    return requestFrame(apiKey, version, correlationId, body, QByteArray("tst_abusenet"));
}

// FetchRequest v4 for one topic naming partition 0 `times` times.
QByteArray fetchV4(const QByteArray &topic, int times, std::int32_t maxWaitMs,
                   std::int32_t maxBytes, std::int32_t partitionMaxBytes)
{
    Out b;
    b.i32(-1).i32(maxWaitMs).i32(1).i32(maxBytes).i8(0).i32(1).str(topic).i32(times);
    for (int i = 0; i < times; ++i)
        b.i32(0).i64(0).i32(partitionMaxBytes);
    return kafkaFrame(1, 4, 7, b.data());
}

// The body of the first whole Kafka response in bytes (after size and correlation id).
std::optional<QByteArray> firstResponseBody(const QByteArray &bytes)
{
    if (bytes.size() < 8)
        return std::nullopt;
    const qsizetype size = qFromBigEndian<std::int32_t>(bytes.constData());
    if (bytes.size() < 4 + size)
        return std::nullopt;
    return bytes.mid(8, size - 4);
}

// Stores `batches` batches of `perBatch` records of `valueBytes` bytes each.
void fill(Broker &broker, const QByteArray &topic, int batches, int perBatch, int valueBytes)
{
    QCOMPARE(broker.createTopic(topic, 1).outcome, TopicRegistry::CreateOutcome::Created);
    const QByteArray value(valueBytes, 'v');
    for (int b = 0; b < batches; ++b) {
        RecordBatchBuilder builder(Broker::nowMs(), perBatch, std::size_t(perBatch * valueBytes));
        for (int i = 0; i < perBatch; ++i)
            builder.append(value);
        ProduceOptions options;
        options.trusted = true;
        QCOMPARE(broker.produce(topic, 0, builder.finish(), options).error, ProduceError::None);
    }
}

double rssMiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toDouble() / 1024;
    return -1;
}

// Occupies the broker's pool (a broker with BrokerConfig::offWorkerThreads = 1) until
// released or destroyed, so that a test sees what the worker answers while a costly check
// waits its turn. Declared after the broker, so that a failing test releases it first.
class PoolGate
{
public:
    explicit PoolGate(Broker &broker)
    {
        broker.runOffWorker([this] {
            m_running = true;
            std::unique_lock lock(m_mutex);
            m_opened.wait(lock, [this] { return m_open; });
        });
    }
    ~PoolGate() { release(); }
    bool running() const { return m_running; }
    void release()
    {
        {
            std::lock_guard lock(m_mutex);
            m_open = true;
        }
        m_opened.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_opened;
    bool m_open = false;
    std::atomic<bool> m_running{false};
};

// An uncompressed batch of values, or the same with its records gzipped.
QByteArray batchOf(const QList<QByteArray> &values, bool gzip)
{
    RecordBatchBuilder builder(Broker::nowMs());
    for (const QByteArray &v : values)
        builder.append(v);
    QByteArray batch = builder.finish();
    if (!gzip)
        return batch;
    QByteArray packed;
    QString error;
    if (!compression::compress(1, QByteArrayView(batch).sliced(batch::kHeaderSize), packed, error))
        qFatal("%s", qPrintable(error));
    batch = batch.left(batch::kHeaderSize) + packed;
    qToBigEndian<std::int32_t>(std::int32_t(batch.size() - batch::kLogOverhead),
                               batch.data() + batch::kBatchLength);
    qToBigEndian<std::int16_t>(1, batch.data() + batch::kAttributes);
    qToBigEndian<std::uint32_t>(crc32c(batch.constData() + batch::kAttributes,
                                       std::size_t(batch.size() - batch::kAttributes)),
                                batch.data() + batch::kCrc);
    return batch;
}

// ProduceRequest v3 of one batch to partition 0 of topic, acks -1.
QByteArray produceV3(std::int32_t correlationId, const QByteArray &topic, const QByteArray &batch)
{
    Out b;
    b.i16(-1).i16(-1).i32(30000).i32(1).str(topic).i32(1).i32(0).i32(std::int32_t(batch.size()));
    b.raw(batch);
    return kafkaFrame(0, 3, correlationId, b.data());
}

// The whole Kafka responses at the front of bytes: (correlation id, body after it).
QList<std::pair<std::int32_t, QByteArray>> kafkaResponses(const QByteArray &bytes)
{
    QList<std::pair<std::int32_t, QByteArray>> responses;
    for (qsizetype at = 0; bytes.size() - at >= 8;) {
        const qsizetype size = qFromBigEndian<std::int32_t>(bytes.constData() + at);
        if (bytes.size() - at < 4 + size)
            break;
        responses.append({qFromBigEndian<std::int32_t>(bytes.constData() + at + 4),
                          bytes.mid(at + 8, size - 4)});
        at += 4 + size;
    }
    return responses;
}

// A ProduceResponse v3's error code for its one topic's one partition.
int produceError(const QByteArray &body)
{
    // [topics: name, [partitions: index, error_code, ...]]
    const qsizetype nameAt = 4;
    const qsizetype nameLength = qFromBigEndian<std::int16_t>(body.constData() + nameAt);
    return qFromBigEndian<std::int16_t>(body.constData() + nameAt + 2 + nameLength + 4 + 4);
}

// The whole native replies in bytes.
QList<native::Reply> nativeReplies(const QByteArray &bytes)
{
    QList<native::Reply> replies;
    native::ReplyParser parser;
    std::size_t offset = 0;
    for (;;) {
        native::Reply reply;
        std::size_t consumed = 0;
        if (parser.parse(bytes.constData() + offset, std::size_t(bytes.size()) - offset, reply,
                         consumed) != native::ReplyParser::Status::Complete)
            return replies;
        offset += consumed;
        replies.append(reply);
    }
}

} // namespace

class TestAbuseNet : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void slowlorisIsClosedAfterTheRequestTimeout()
    {
        BrokerConfig config;
        config.requestTimeoutMs = 300;
        config.idleTimeoutMs = 0;
        Broker broker(config);
        Server native(broker, 1);
        Server kafka(broker, 1, kafka::KafkaConfig{});
        QVERIFY(native.start(QHostAddress::LocalHost, 0));
        QVERIFY(kafka.start(QHostAddress::LocalHost, 0));

        // one byte of a native request, two of a Kafka frame's size, and nothing more
        RawClient nativeClient;
        RawClient kafkaClient;
        QVERIFY(nativeClient.connectTo(native.serverPort()));
        QVERIFY(kafkaClient.connectTo(kafka.serverPort()));
        QElapsedTimer clock;
        clock.start();
        QCOMPARE(nativeClient.sendSome(native::encodeListTopics().first(1)), 1);
        QCOMPARE(kafkaClient.sendSome(QByteArray("\0\0", 2)), 2);
        QTRY_VERIFY_WITH_TIMEOUT(nativeClient.closedByPeer(), kWaitMs);
        const qint64 nativeMs = clock.elapsed();
        QTRY_VERIFY_WITH_TIMEOUT(kafkaClient.closedByPeer(), kWaitMs);
        qInfo("a stalled request closed after %lld ms (native) and %lld ms (Kafka) with "
              "--request-timeout-ms 300",
              nativeMs, clock.elapsed());
        QVERIFY(nativeClient.received().isEmpty());
        QVERIFY(kafkaClient.received().isEmpty());
    }

    void listensWithTheSystemBacklog()
    {
        // Qt's default of 50 dropped the SYNs of a burst of connects (5,000 took 72 s)
        QFile somaxconn(QStringLiteral("/proc/sys/net/core/somaxconn"));
        QVERIFY(somaxconn.open(QIODevice::ReadOnly));
        const int system = somaxconn.readAll().trimmed().toInt();
        QCOMPARE(Server::systemListenBacklog(), system);
        Broker broker;
        Server native(broker, 1);
        Server kafka(broker, 1, kafka::KafkaConfig{});
        QVERIFY(native.start(QHostAddress::LocalHost, 0));
        QVERIFY(kafka.start(QHostAddress::LocalHost, 0));
        QCOMPARE(native.listenBacklogSize(), system);
        QCOMPARE(kafka.listenBacklogSize(), system);
    }

    void slowlorisDribblingOneByteAtATimeIsClosedToo()
    {
        BrokerConfig config;
        config.requestTimeoutMs = 300;
        config.idleTimeoutMs = 0;
        Broker broker(config);
        Server native(broker, 1);
        QVERIFY(native.start(QHostAddress::LocalHost, 0));
        // a request that takes 30 s at one byte per 100 ms
        const QByteArray request = native::encodeListTopics(QByteArray(300, 'c'));
        RawClient client;
        QVERIFY(client.connectTo(native.serverPort()));
        qsizetype sent = 0;
        QTimer drip;
        connect(&drip, &QTimer::timeout, this, [&] {
            if (sent < request.size() && !client.closedByPeer())
                sent += client.sendSome(request.sliced(sent, 1));
        });
        drip.start(100);
        QElapsedTimer clock;
        clock.start();
        QTRY_VERIFY_WITH_TIMEOUT(client.closedByPeer(), kWaitMs);
        drip.stop();
        qInfo("a client sending one byte per 100 ms closed after %lld ms, %lld of %lld bytes sent",
              clock.elapsed(), qint64(sent), qint64(request.size()));
        QVERIFY(sent < request.size());
        QVERIFY(client.received().isEmpty());
    }

    void idleConnectionIsClosedButNotWhileItsRequestIsAnswered()
    {
        BrokerConfig config;
        config.requestTimeoutMs = 0;
        config.idleTimeoutMs = 400;
        Broker broker(config);
        Server native(broker, 1);
        Server kafka(broker, 1, kafka::KafkaConfig{});
        QVERIFY(native.start(QHostAddress::LocalHost, 0));
        QVERIFY(kafka.start(QHostAddress::LocalHost, 0));
        QCOMPARE(broker.createTopic("quiet", 1).outcome, TopicRegistry::CreateOutcome::Created);

        // native: answered, then left idle: closed
        RawClient idle;
        QVERIFY(idle.connectTo(native.serverPort()));
        QVERIFY(idle.sendAll(native::encodeListTopics()));
        QTRY_VERIFY_WITH_TIMEOUT(!idle.received().isEmpty() || idle.closedByPeer(), kWaitMs);
        QVERIFY(!idle.received().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(idle.closedByPeer(), kWaitMs);

        // Kafka: a Fetch waiting 2 s for data on an empty topic is a request being answered,
        // not idleness, though it lasts five idle timeouts
        RawClient waiting;
        QVERIFY(waiting.connectTo(kafka.serverPort()));
        QElapsedTimer clock;
        clock.start();
        QVERIFY(waiting.sendAll(fetchV4("quiet", 1, 2000, 1 << 20, 1 << 20)));
        QTRY_VERIFY_WITH_TIMEOUT(firstResponseBody(waiting.received()) || waiting.closedByPeer(),
                                 kWaitMs);
        QVERIFY2(firstResponseBody(waiting.received()).has_value(),
                 "the connection was closed while its Fetch waited");
        QVERIFY(clock.elapsed() >= 2000 - 50);
        QTRY_VERIFY_WITH_TIMEOUT(waiting.closedByPeer(), kWaitMs);
    }

    void pipeliningNonReaderHoldsNoMoreThanItsCap()
    {
        BrokerConfig config;
        config.maxQueuedReplyBytes = 1 << 20;
        Broker broker(config);
        Server native(broker, 1);
        QVERIFY(native.start(QHostAddress::LocalHost, 0));
        fill(broker, "deep", 64, 64, 1000); // 4 MiB of values
        broker.buffers().resetPeak();

        // 500 Consumes of 50 records (50 KB) each, 25 MB of answers, sent at once and not read
        RawClient client(4096);
        QVERIFY(client.connectTo(native.serverPort()));
        const QByteArray consume = native::encodeConsume("deep", 0, 0, 50, "hog");
        const int requests = 500;
        QByteArray all;
        for (int i = 0; i < requests; ++i)
            all += consume;
        QVERIFY(client.sendAll(all));
        // the broker answers until the kernel's buffers and its own queue are full...
        QTRY_VERIFY_WITH_TIMEOUT(broker.buffers().held() >= (1 << 20) / 2, kWaitMs);
        // ...and no further: its queue stays at the cap (plus one reply) however long the
        // client does not read; the peak is checked again after every answer was read
        qInfo("a client pipelining %d Consumes without reading: the broker holds %.2f MiB for "
              "it (cap 1 MiB)",
              requests, double(broker.buffers().held()) / (1 << 20));
        QVERIFY2(broker.buffers().peak() <= (1 << 20) + (256 << 10),
                 qPrintable(QString::number(broker.buffers().peak())));

        // a slow reader that does read is never closed: every answer comes
        native::ReplyParser parser;
        int replies = 0;
        std::size_t offset = 0;
        QElapsedTimer clock;
        clock.start();
        while (replies < requests && clock.elapsed() < 120000) {
            QVERIFY(!client.closedByPeer());
            for (;;) {
                native::Reply reply;
                std::size_t consumed = 0;
                const auto status =
                    parser.parse(client.received().constData() + offset,
                                 std::size_t(client.received().size()) - offset, reply, consumed);
                QVERIFY(status != native::ReplyParser::Status::Malformed);
                if (status != native::ReplyParser::Status::Complete)
                    break;
                QVERIFY(!reply.error);
                QVERIFY(!reply.contents.isEmpty());
                offset += consumed;
                ++replies;
            }
            if (offset > (8u << 20)) {
                client.received().remove(0, qsizetype(offset));
                offset = 0;
            }
            QTest::qWait(1);
        }
        QCOMPARE(replies, requests);
        // while it read slowly, the broker refilled its queue to the cap again and again
        qInfo("the slow reader got all %d answers; the broker held at most %.2f MiB for it",
              requests, double(broker.buffers().peak()) / (1 << 20));
        QVERIFY2(broker.buffers().peak() <= (1 << 20) + (256 << 10),
                 qPrintable(QString::number(broker.buffers().peak())));
    }

    void fetchIsAnsweredWithinTheCaps()
    {
        BrokerConfig config;
        config.fetchMaxBytes = 1 << 20;
        Broker broker(config);
        Server kafka(broker, 1, kafka::KafkaConfig{});
        QVERIFY(kafka.start(QHostAddress::LocalHost, 0));
        fill(broker, "wide", 40, 100, 1000); // 40 batches of ~100 KB

        // max_bytes 2^31-1, partition_max_bytes 2^31-1, partition 0 named 1,000 times
        RawClient client;
        QVERIFY(client.connectTo(kafka.serverPort()));
        const std::int32_t huge = std::numeric_limits<std::int32_t>::max();
        QVERIFY(client.sendAll(fetchV4("wide", 1000, 0, huge, huge)));
        QTRY_VERIFY_WITH_TIMEOUT(firstResponseBody(client.received()) || client.closedByPeer(),
                                 kWaitMs);
        const auto body = firstResponseBody(client.received());
        QVERIFY(body);
        bool ok = false;
        const auto response = decoded<kafka::FetchResponse>(*body, 4, ok);
        QVERIFY(ok);
        QCOMPARE(response.responses.size(), std::size_t(1));
        QCOMPARE(response.responses[0].partitions.size(), std::size_t(1)); // answered once
        const auto &records = response.responses[0].partitions[0].records;
        qInfo("Fetch of 1,000 x partition 0 with max_bytes 2^31-1: %lld record bytes in a "
              "%lld-byte answer (broker maximum 1 MiB)",
              qint64(records.size()), qint64(body->size()));
        QVERIFY(records.size() > 0);
        QVERIFY(records.size() <= (1 << 20));

        // Kafka's rule: a first batch bigger than max_bytes still comes, alone
        RawClient small;
        QVERIFY(small.connectTo(kafka.serverPort()));
        QVERIFY(small.sendAll(fetchV4("wide", 1, 0, 10, huge)));
        QTRY_VERIFY_WITH_TIMEOUT(firstResponseBody(small.received()) || small.closedByPeer(),
                                 kWaitMs);
        const auto one = decoded<kafka::FetchResponse>(*firstResponseBody(small.received()), 4, ok);
        QVERIFY(ok);
        const QByteArray &first = one.responses[0].partitions[0].records;
        // exactly one whole batch, the first
        QCOMPARE(RecordBatchView::sizeAt(first.constData(), std::size_t(first.size())),
                 std::optional<std::int64_t>(first.size()));
        QCOMPARE(RecordBatchView(first).baseOffset(), std::int64_t(0));
    }

    void unfinishedHugeFramesHoldNoMoreThanTheBudget()
    {
        BrokerConfig config;
        config.maxBufferedBytes = 8 << 20;
        config.requestTimeoutMs = 0; // they would be closed; here they must be held back
        Broker broker(config);
        Server kafka(broker, 2, kafka::KafkaConfig{});
        QVERIFY(kafka.start(QHostAddress::LocalHost, 0));
        const double rssBefore = rssMiB();

        // five connections each declaring a 90 MiB frame and sending as fast as taken
        const int declared = 90 << 20;
        const QByteArray chunk(1 << 20, 'x');
        std::vector<std::unique_ptr<RawClient>> hogs;
        std::vector<qint64> sent(5, 0);
        for (int i = 0; i < 5; ++i) {
            hogs.push_back(std::make_unique<RawClient>());
            QVERIFY(hogs.back()->connectTo(kafka.serverPort()));
            QVERIFY(hogs.back()->sendAll(Out().i32(declared).data()));
        }
        int stalled = 0;
        while (stalled < 200) {
            qint64 progress = 0;
            for (int i = 0; i < 5; ++i) {
                const qsizetype n = hogs[std::size_t(i)]->sendSome(chunk);
                sent[std::size_t(i)] += n;
                progress += n;
            }
            stalled = progress > 0 ? 0 : stalled + 1;
            QTest::qWait(2);
        }
        qint64 total = 0;
        for (const qint64 s : sent)
            total += s;
        const qint64 peak = broker.buffers().peak();
        qInfo("five unfinished 90 MiB frames: %.1f MiB sent before the broker stopped reading, "
              "broker buffers peaked at %.1f MiB (budget 8 MiB); test process RSS %.0f -> %.0f "
              "MiB",
              double(total) / (1 << 20), double(peak) / (1 << 20), rssBefore, rssMiB());
        // the budget, plus the floor, one read and slack for each connection
        QVERIFY2(peak <= (8 << 20) + 5 * (BufferBudget::kFloorBytes + (384 << 10)),
                 qPrintable(QString::number(peak)));

        // the broker's memory grew by about the budget, not by what was sent (the test's own
        // buffers are a few MiB)
        QVERIFY2(rssMiB() - rssBefore < 64, qPrintable(QString::number(rssMiB() - rssBefore)));

        // small requests are still served meanwhile
        RawClient other;
        QVERIFY(other.connectTo(kafka.serverPort()));
        QVERIFY(other.sendAll(kafkaFrame(18, 0, 1, {}))); // ApiVersions v0
        QTRY_VERIFY_WITH_TIMEOUT(firstResponseBody(other.received()) || other.closedByPeer(),
                                 kWaitMs);
        QVERIFY(firstResponseBody(other.received()).has_value());
    }

    void compressedProduceIsCheckedOffTheWorker()
    {
        BrokerConfig config;
        config.maxMessageBytes = 1 << 20;
        config.offWorkerThreads = 1;
        Broker broker(config);
        Server kafka(broker, 1, kafka::KafkaConfig{}); // one worker: both clients share it
        QVERIFY(kafka.start(QHostAddress::LocalHost, 0));
        // a gzip batch whose one record inflates to 4 MiB, past the 1 MiB maximum
        const QByteArray bomb = batchOf({QByteArray(4 << 20, '\0')}, true);
        QVERIFY(bomb.size() < 64 << 10);
        PoolGate gate(broker); // the bomb's check waits behind it
        QTRY_VERIFY_WITH_TIMEOUT(gate.running(), kWaitMs);

        // the hostile client pipelines the bomb and an ordinary produce
        RawClient hostile;
        QVERIFY(hostile.connectTo(kafka.serverPort()));
        QVERIFY(hostile.sendAll(produceV3(1, "bomb", bomb) +
                                produceV3(2, "after", batchOf({"x"}, false))));
        // another client on the same worker is answered while the bomb waits for its check
        RawClient other;
        QVERIFY(other.connectTo(kafka.serverPort()));
        QVERIFY(other.sendAll(kafkaFrame(18, 0, 5, {}) +
                              produceV3(6, "small", batchOf({"y", "z"}, false))));
        QTRY_VERIFY_WITH_TIMEOUT(
            kafkaResponses(other.received()).size() == 2 || other.closedByPeer(), kWaitMs);
        auto answers = kafkaResponses(other.received());
        QCOMPARE(answers.size(), 2);
        QCOMPARE(answers[0].first, 5);
        QCOMPARE(answers[1].first, 6);
        QCOMPARE(produceError(answers[1].second), 0);
        QVERIFY(!hostile.closedByPeer());
        QVERIFY(hostile.received().isEmpty()); // its first answer is not ready, nor its second

        // once checked, the bomb is refused and the answers come in request order
        gate.release();
        QTRY_VERIFY_WITH_TIMEOUT(
            kafkaResponses(hostile.received()).size() == 2 || hostile.closedByPeer(), kWaitMs);
        answers = kafkaResponses(hostile.received());
        QCOMPARE(answers.size(), 2);
        QCOMPARE(answers[0].first, 1);
        QCOMPARE(produceError(answers[0].second), 10); // MESSAGE_TOO_LARGE
        QCOMPARE(answers[1].first, 2);
        QCOMPARE(produceError(answers[1].second), 0);
        QCOMPARE(broker.partitionRanges("bomb").value(0).endOffset, 0); // nothing stored
        QCOMPARE(broker.partitionRanges("after").value(0).endOffset, 1);
    }

    void nativeConsumeDecompressesOffTheWorker()
    {
        BrokerConfig config;
        config.offWorkerThreads = 1;
        Broker broker(config);
        Server native(broker, 1);
        QVERIFY(native.start(QHostAddress::LocalHost, 0));
        // "mixed": offset 0 plain, 1-2 gzip, 3 plain; "plain": offsets 0-1
        QCOMPARE(broker.createTopic("mixed", 1).outcome, TopicRegistry::CreateOutcome::Created);
        QCOMPARE(broker.createTopic("plain", 1).outcome, TopicRegistry::CreateOutcome::Created);
        for (const auto &[values, gzip] : {std::pair{QList<QByteArray>{"p0"}, false},
                                           std::pair{QList<QByteArray>{"g1", "g2"}, true},
                                           std::pair{QList<QByteArray>{"p3"}, false}})
            QCOMPARE(broker.produce("mixed", 0, batchOf(values, gzip)).error, ProduceError::None);
        QCOMPARE(broker.produce("plain", 0, batchOf({"a", "b"}, false)).error, ProduceError::None);
        PoolGate gate(broker);
        QTRY_VERIFY_WITH_TIMEOUT(gate.running(), kWaitMs);

        // the worker answers up to the compressed batch; the Consume that starts at it waits
        // for the pool, and the request after it waits for that answer
        RawClient reader;
        QVERIFY(reader.connectTo(native.serverPort()));
        QVERIFY(reader.sendAll(native::encodeConsume("mixed", 0, 0, 10) +
                               native::encodeConsume("mixed", 0, 1, 10) +
                               native::encodeListTopics()));
        RawClient other;
        QVERIFY(other.connectTo(native.serverPort()));
        QVERIFY(other.sendAll(native::encodeConsume("plain", 0, 0, 10)));
        QTRY_VERIFY_WITH_TIMEOUT(
            nativeReplies(other.received()).size() == 1 || other.closedByPeer(), kWaitMs);
        QCOMPARE(nativeReplies(other.received()).value(0).contents.size(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(
            nativeReplies(reader.received()).size() == 1 || reader.closedByPeer(), kWaitMs);
        auto replies = nativeReplies(reader.received());
        QCOMPARE(replies.size(), 1);
        QCOMPARE(replies[0].contents.size(), 1);
        QCOMPARE(replies[0].contents[0].value, QByteArray("p0"));

        gate.release();
        QTRY_VERIFY_WITH_TIMEOUT(
            nativeReplies(reader.received()).size() == 3 || reader.closedByPeer(), kWaitMs);
        replies = nativeReplies(reader.received());
        QCOMPARE(replies.size(), 3);
        QVERIFY(!replies[1].error);
        QStringList got;
        for (const native::ContentRecord &r : replies[1].contents)
            got << QStringLiteral("%1=%2").arg(r.offset).arg(QString::fromLatin1(r.value));
        QCOMPARE(got, QStringList({"1=g1", "2=g2", "3=p3"}));
        QCOMPARE(replies[2].topicPartitions.size(), 2); // ListTopics, answered last
    }
};

QTEST_GUILESS_MAIN(TestAbuseNet)
#include "tst_abusenet.moc"
