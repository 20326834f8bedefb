// `rivulet --seed-compat`: the original Rust broker's answer to a Consume at or past the end
// of a partition (docs/PROTOCOL.md §5.2.1), so the original's own load client finishes.
// Runs the rivulet executable; the client is the blocking NativeClient on the test thread.

#include "native/clientcodec.h"
#include "native/nativeclient.h"
#include "support/nativebytes.h"
#include "support/rivuletprocess.h"

#include <QTcpSocket>
#include <QTest>

#include <algorithm>
#include <memory>

using namespace rivulet::native;
using namespace rivulet::testsupport;

namespace {

// The shape of the original's load client (its client_test.rs), scaled down: the producer
// sends values 0..kWritten-1 in batches of 30 and the consumer polls with limit 30 until it
// sees kTarget, an offset no producer ever wrote (the original writes 1,999,980 values and
// waits for offset 1,999,999). Each reply moves it to its last Content offset + 1; a reply
// without Content counts as last offset 0, so it starts again at offset 1.
constexpr int kBatch = 30;
constexpr int kWritten = 1980;
constexpr quint32 kTarget = 1999;
// Reading the partition once takes kWritten / kBatch = 66 polls and the compat answers 20
// more; without the compat answer the client loops, so every run is bounded by this count.
constexpr int kMostPolls = 1000;

QByteArray value(int i)
{
    return "nice message " + QByteArray::number(i);
}

struct LoopResult
{
    QString error; // a connection problem or an Error reply
    bool found = false;
    int polls = 0;
    int restarts = 0; // replies without Content, after which the client started again at 1
};

LoopResult originalConsumerLoop(NativeClient &client, const QByteArray &topic)
{
    LoopResult result;
    quint32 current = 0;
    while (!result.found && result.polls < kMostPolls) {
        Reply reply;
        ++result.polls;
        if (!client.call(encodeConsume(topic, 0, current, kBatch, "consumer_0"), reply)) {
            result.error = client.errorString();
            return result;
        }
        if (reply.error) {
            result.error = QStringLiteral("Error reply at offset %1").arg(current);
            return result;
        }
        quint32 last = 0;
        for (const ContentRecord &record : reply.contents) {
            last = record.offset;
            if (last == kTarget)
                result.found = true;
        }
        if (reply.contents.isEmpty())
            ++result.restarts;
        current = last + 1;
    }
    return result;
}

} // namespace

class TestSeedCompat : public QObject
{
    Q_OBJECT

    std::unique_ptr<BrokerProcess> m_broker; // one per test: its output is that test's
    NativeClient m_client;

    void startBroker(const QStringList &extra)
    {
        m_broker = std::make_unique<BrokerProcess>();
        QVERIFY2(
            m_broker->start(QStringList{QStringLiteral("--headless"), QStringLiteral("--in-memory"),
                                        QStringLiteral("--port"), QStringLiteral("0")} +
                            extra),
            qPrintable(m_broker->describe()));
        QVERIFY2(m_client.connectTo(m_broker->nativeHost(), m_broker->nativePort(), kTimeoutMs),
                 qPrintable(m_client.errorString()));
    }

    void produceLikeTheOriginal(const QByteArray &topic)
    {
        Reply reply;
        QVERIFY(m_client.call(encodeCreateTopic(topic, 1), reply));
        QVERIFY(!reply.error);
        for (int first = 0; first < kWritten; first += kBatch) {
            QList<QByteArray> values;
            for (int i = first; i < first + kBatch; ++i)
                values << value(i);
            QVERIFY(m_client.call(encodeProduce(topic, 0, values), reply));
            QVERIFY(!reply.error);
        }
    }

    // The exact bytes of the reply to one Consume, read from a socket of its own.
    QByteArray rawConsume(const QByteArray &topic, quint32 offset, quint32 limit)
    {
        QTcpSocket socket;
        socket.connectToHost(m_broker->nativeHost(), m_broker->nativePort());
        if (!socket.waitForConnected(kTimeoutMs))
            return "cannot connect: " + socket.errorString().toUtf8();
        socket.write(encodeConsume(topic, 0, offset, limit, "raw"));
        QByteArray bytes;
        ReplyParser parser;
        QDeadlineTimer deadline(kTimeoutMs);
        for (;;) {
            Reply reply;
            std::size_t consumed = 0;
            const auto status =
                parser.parse(bytes.constData(), std::size_t(bytes.size()), reply, consumed);
            if (status == ReplyParser::Status::Complete)
                return bytes.left(qsizetype(consumed));
            if (status == ReplyParser::Status::Malformed || deadline.hasExpired() ||
                !socket.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime()))))
                return "no whole reply: " + bytes.toHex();
            bytes += socket.readAll();
        }
    }

private Q_SLOTS:
    void cleanup()
    {
        m_client.close();
        m_broker.reset();
    }

    void theOriginalClientFinishesWithTheFlag()
    {
        startBroker({QStringLiteral("--seed-compat")});
        QVERIFY2(m_broker->describe().contains(QStringLiteral("seed-compat")),
                 "the ready line names the compatibility mode");
        produceLikeTheOriginal("topic");
        const LoopResult result = originalConsumerLoop(m_client, "topic");
        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        QVERIFY2(
            result.found,
            qPrintable(
                QStringLiteral("offset %1 not seen in %2 polls").arg(kTarget).arg(result.polls)));
        QCOMPARE(result.restarts, 0);
        QCOMPARE(result.polls, kWritten / kBatch + int(kTarget) - kWritten + 1);
    }

    void theOriginalClientNeverFinishesWithout()
    {
        startBroker({});
        QVERIFY(!m_broker->describe().contains(QStringLiteral("seed-compat")));
        produceLikeTheOriginal("topic");
        const LoopResult result = originalConsumerLoop(m_client, "topic");
        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        QVERIFY(!result.found);
        QCOMPARE(result.polls, kMostPolls);
        // it went round the partition again and again: every end gave an empty reply
        QVERIFY2(result.restarts >= kMostPolls / (kWritten / kBatch + 1),
                 qPrintable(QString::number(result.restarts)));
    }

    void compatAnswerBytes()
    {
        startBroker({QStringLiteral("--seed-compat")});
        Reply reply;
        QVERIFY(m_client.call(encodeCreateTopic("t", 1), reply));
        // an empty partition: nothing to repeat, the ordinary empty reply
        QCOMPARE(rawConsume("t", 0, 30), kEmpty);
        QCOMPARE(rawConsume("t", 7, 30), kEmpty);
        QVERIFY(m_client.call(encodeProduce("t", 0, {"a", "b", "c"}), reply));
        QVERIFY(!reply.error);
        // below the end: unchanged
        QCOMPARE(rawConsume("t", 1, 30), contentRecord(1, "b") + contentRecord(2, "c") + kEmpty);
        // at and past the end: the last record, labelled with the offset asked for, whatever
        // the limit (the original clamped the range's start, not its length)
        QCOMPARE(rawConsume("t", 3, 30), contentRecord(3, "c") + kEmpty);
        QCOMPARE(rawConsume("t", 1000, 1), contentRecord(1000, "c") + kEmpty);
        QCOMPARE(rawConsume("t", 0xffffffffu, 0), contentRecord(0xffffffffu, "c") + kEmpty);
        // the hand-written bytes of one such reply (PROTOCOL.md §5.2.1)
        QCOMPARE(contentRecord(5, "c") + kEmpty, QByteArray::fromHex("01"
                                                                     "00000005"
                                                                     "00000001"
                                                                     "63"
                                                                     "00"));
    }
};

QTEST_GUILESS_MAIN(TestSeedCompat)
#include "tst_seedcompat.moc"
