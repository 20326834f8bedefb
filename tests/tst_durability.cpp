#include "native/clientcodec.h"
#include "native/nativeclient.h"
#include "support/tmpfsmount.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QDirIterator>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QtEndian>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

// The durable log end to end: a real broker process on a data directory, killed, stopped,
// and restarted over files the test damages on purpose.

using namespace rivulet::native;

namespace {

// Bounds every wait; generous because the machines running this are shared.
constexpr int kTimeoutMs = 30000;
constexpr int kCallMs = 15000;

// Runs the event loop (which reads the broker's pipes) until pred() holds or time runs out.
template <typename Pred> bool waitUntil(Pred pred, int timeoutMs = kTimeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!pred()) {
        if (deadline.hasExpired())
            return false;
        QEventLoop loop;
        QTimer::singleShot(std::clamp<qint64>(deadline.remainingTime(), 1, 20), &loop,
                           &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

// One rivulet process on a data directory.
class BrokerProcess
{
public:
    explicit BrokerProcess(QString dataDir, QStringList extraArgs = {})
        : m_dataDir(std::move(dataDir)), m_extraArgs(std::move(extraArgs))
    {
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput,
                         [this] { m_out += QString::fromUtf8(m_process.readAllStandardOutput()); });
        QObject::connect(&m_process, &QProcess::readyReadStandardError,
                         [this] { m_err += QString::fromUtf8(m_process.readAllStandardError()); });
    }
    ~BrokerProcess()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(kTimeoutMs);
        }
    }
    BrokerProcess(const BrokerProcess &) = delete;
    BrokerProcess &operator=(const BrokerProcess &) = delete;

    // Starts the broker and waits for its "ready" line.
    bool start(const std::function<void()> &childModifier = {})
    {
        static const QRegularExpression ready(QStringLiteral(R"(ready: native (\S+):(\d+))"));
        if (childModifier)
            m_process.setChildProcessModifier(childModifier);
        m_process.start(QStringLiteral(RIVULET_BIN_DIR "/rivulet"),
                        QStringList{QStringLiteral("--headless"), QStringLiteral("--port"),
                                    QStringLiteral("0"), QStringLiteral("--data-dir"), m_dataDir} +
                            m_extraArgs);
        if (!m_process.waitForStarted(kTimeoutMs))
            return false;
        QRegularExpressionMatch match;
        waitUntil([&] {
            match = ready.match(m_out);
            return match.hasMatch() || m_process.state() == QProcess::NotRunning;
        });
        m_port = match.hasMatch() ? quint16(match.captured(2).toUInt()) : 0;
        return m_port != 0;
    }

    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process.processId(); }
    const QString &errText() const { return m_err; }
    bool waitForErr(const QString &what)
    {
        return waitUntil([&] {
                   return m_err.contains(what) || m_process.state() == QProcess::NotRunning;
               }) &&
               m_err.contains(what);
    }

    // SIGKILL and reap.
    bool kill9()
    {
        m_process.kill();
        return waitUntil([&] { return m_process.state() == QProcess::NotRunning; });
    }
    // SIGTERM: a clean shutdown that must end with exit code 0.
    bool stop()
    {
        m_process.terminate();
        return waitUntil([&] { return m_process.state() == QProcess::NotRunning; }) &&
               m_process.exitStatus() == QProcess::NormalExit && m_process.exitCode() == 0;
    }

    // For failure messages: valid until the next call.
    const char *describe()
    {
        m_description = QStringLiteral("state=%1 exit=%2\n--- stdout:\n%3--- stderr:\n%4")
                            .arg(int(m_process.state()))
                            .arg(m_process.exitCode())
                            .arg(m_out, m_err)
                            .toUtf8();
        return m_description.constData();
    }

private:
    QString m_dataDir;
    QStringList m_extraArgs;
    QProcess m_process;
    QString m_out;
    QString m_err;
    quint16 m_port = 0;
    QByteArray m_description;
};

bool connectClient(NativeClient &client, quint16 port, QString &why)
{
    if (!client.connectTo(QStringLiteral("127.0.0.1"), port, kCallMs) ||
        !client.enableErrorText(kCallMs)) {
        why = QStringLiteral("cannot connect to port %1: %2").arg(port).arg(client.errorString());
        return false;
    }
    return true;
}

// Sends one request; false (and why) on a connection problem or an Error reply.
bool request(NativeClient &client, const QByteArray &bytes, Reply &reply, QString &why)
{
    reply = {};
    if (!client.call(bytes, reply, kCallMs)) {
        why = QStringLiteral("connection problem: %1").arg(client.errorString());
        return false;
    }
    if (reply.error) {
        why = QStringLiteral("Error reply: %1").arg(reply.errorText);
        return false;
    }
    return true;
}

// Produces values; lastOffset is the offset the broker gave the last of them.
bool produce(NativeClient &client, const QByteArray &topic, quint32 partition,
             const QList<QByteArray> &values, qint64 &lastOffset, QString &why)
{
    Reply reply;
    if (!request(client, encodeProduce(topic, partition, values), reply, why))
        return false;
    if (reply.offsets.size() != 1) {
        why = QStringLiteral("a Produce reply with %1 offsets").arg(reply.offsets.size());
        return false;
    }
    lastOffset = reply.offsets.front();
    return true;
}

// Every record from `from` on, asking again until a reply comes back empty.
bool consumeAll(NativeClient &client, const QByteArray &topic, quint32 partition, quint32 from,
                QList<ContentRecord> &records, QString &why, QByteArrayView consumerId = {})
{
    records.clear();
    for (quint32 next = from;;) {
        Reply reply;
        if (!request(client, encodeConsume(topic, partition, next, 100000, consumerId), reply, why))
            return false;
        if (reply.contents.isEmpty())
            return true;
        records += reply.contents;
        next = reply.contents.back().offset + 1;
    }
}

// Empty when records are exactly expected, at dense offsets from firstOffset.
QString mismatch(const QList<ContentRecord> &records, const QList<QByteArray> &expected,
                 qint64 firstOffset = 0)
{
    for (qsizetype i = 0; i < std::min(records.size(), expected.size()); ++i) {
        if (records[i].offset != firstOffset + i)
            return QStringLiteral("record %1 has offset %2, expected %3")
                .arg(i)
                .arg(records[i].offset)
                .arg(firstOffset + i);
        if (records[i].value != expected[i])
            return QStringLiteral("offset %1 holds \"%2\", expected \"%3\"")
                .arg(records[i].offset)
                .arg(QString::fromLatin1(records[i].value.left(60)),
                     QString::fromLatin1(expected[i].left(60)));
    }
    if (records.size() != expected.size())
        return QStringLiteral("%1 records, expected %2").arg(records.size()).arg(expected.size());
    return {};
}

QList<QByteArray> numbered(const QByteArray &prefix, int from, int count, int padTo = 0)
{
    QList<QByteArray> values;
    for (int i = from; i < from + count; ++i) {
        QByteArray v = prefix + QByteArray::number(i);
        if (v.size() < padTo)
            v += QByteArray(padTo - v.size(), char('a' + i % 26));
        values << v;
    }
    return values;
}

QString partitionDir(const QString &dataDir, const QString &topic, int partition)
{
    return QStringLiteral("%1/topics/%2/%3").arg(dataDir, topic).arg(partition);
}

// The segment files of a partition, oldest first (names are zero-padded base offsets).
QStringList segments(const QString &directory)
{
    QStringList files =
        QDir(directory).entryList({QStringLiteral("*.log")}, QDir::Files, QDir::Name);
    for (QString &f : files)
        f = directory + u'/' + f;
    return files;
}

qint64 baseOffsetOf(const QString &segmentPath)
{
    return QFileInfo(segmentPath).completeBaseName().toLongLong();
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// Where each batch starts, by walking baseOffset (8) + batchLength (4) headers.
QList<qint64> batchStarts(const QByteArray &bytes)
{
    QList<qint64> starts;
    for (qint64 at = 0; at + 12 <= bytes.size();) {
        starts << at;
        at += 12 + qFromBigEndian<qint32>(bytes.constData() + at + 8);
    }
    return starts;
}

bool appendBytes(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::Append) && file.write(bytes) == bytes.size();
}

bool truncateBy(const QString &path, qint64 bytes)
{
    QFile file(path);
    return file.resize(file.size() - bytes);
}

bool flipBit(const QString &path, qint64 position, char mask)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadWrite) || !file.seek(position))
        return false;
    char byte = 0;
    if (!file.getChar(&byte) || !file.seek(position))
        return false;
    return file.putChar(char(byte ^ mask));
}

bool copyDir(const QString &from, const QString &to)
{
    QDirIterator it(from, QDir::Files | QDir::Hidden | QDir::Dirs | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString source = it.next();
        const QString target = to + source.mid(from.size());
        if (it.fileInfo().isDir()
                ? !QDir().mkpath(target)
                : !QDir().mkpath(QFileInfo(target).path()) || !QFile::copy(source, target))
            return false;
    }
    return true;
}

QList<TopicPartitionInfo> listTopics(NativeClient &client, QString &why)
{
    Reply reply;
    return request(client, encodeListTopics(), reply, why) ? reply.topicPartitions
                                                           : QList<TopicPartitionInfo>{};
}

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

class TestDurability : public QObject
{
    Q_OBJECT

    // Fills a partition with `batches` batches of 50 values of 100 bytes ("f-<i>-aaa..."):
    // about 5.5 KB each, so a 64 KiB segment holds a dozen.
    static bool fill(NativeClient &client, const QByteArray &topic, quint32 partition, int batches,
                     QList<QByteArray> &values, QString &why)
    {
        for (int b = 0; b < batches; ++b) {
            const QList<QByteArray> batch = numbered("f-", int(values.size()), 50, 100);
            qint64 last = -1;
            if (!produce(client, topic, partition, batch, last, why))
                return false;
            values += batch;
            if (last != values.size() - 1) {
                why = QStringLiteral("last offset %1 after %2 values").arg(last).arg(values.size());
                return false;
            }
        }
        return true;
    }

    void killNineRound(int round)
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto broker = std::make_unique<BrokerProcess>(dir.path());
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

        broker = std::make_unique<BrokerProcess>(dir.path());
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

    // A data directory, the broker on it (restarted by each start()) and a client of it.
    struct Fixture
    {
        QTemporaryDir dir;
        std::unique_ptr<BrokerProcess> broker;
        NativeClient client;
        QString why;

        bool start(const QStringList &args = {}, const std::function<void()> &modifier = {})
        {
            client.close();
            broker = std::make_unique<BrokerProcess>(dir.path(), args);
            if (!broker->start(modifier)) {
                why = QString::fromUtf8(broker->describe());
                return false;
            }
            return connectClient(client, broker->port(), why);
        }
    };

    // A data directory, stopped cleanly, whose f[0] fills several 64 KiB segments; f[1] is
    // small. Built once and copied by every case that damages it.
    std::unique_ptr<Fixture> m_segmented;
    QList<QByteArray> m_segmentedValues;
    QList<QByteArray> m_segmentedOther;
    const QStringList m_segmentArgs{QStringLiteral("--segment-bytes"), QStringLiteral("65536")};

    void buildSegmented()
    {
        if (m_segmented)
            return;
        auto base = std::make_unique<Fixture>();
        QVERIFY2(base->start(m_segmentArgs), qPrintable(base->why));
        Reply reply;
        QVERIFY2(request(base->client, encodeCreateTopic("f", 2), reply, base->why),
                 qPrintable(base->why));
        QList<QByteArray> values, other;
        QVERIFY2(fill(base->client, "f", 0, 60, values, base->why), qPrintable(base->why));
        QVERIFY2(fill(base->client, "f", 1, 3, other, base->why), qPrintable(base->why));
        QVERIFY2(base->broker->stop(), base->broker->describe());
        QVERIFY2(segments(partitionDir(base->dir.path(), "f", 0)).size() >= 4,
                 "expected at least 4 segments");
        m_segmented = std::move(base);
        m_segmentedValues = values;
        m_segmentedOther = other;
    }

    // Rows: which byte of which batch of f[0]'s first segment to flip, and which bit.
    static void oldSegmentFlips(bool lengthField)
    {
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("byte");
        QTest::addColumn<int>("mask");
        if (!lengthField) {
            QTest::newRow("a value in the first batch") << 0 << 200 << 0x04;
            QTest::newRow("a value in the third batch") << 2 << 3000 << 0x80;
            QTest::newRow("the second batch's CRC") << 1 << 18 << 0x01;
            QTest::newRow("the second batch's magic") << 1 << 16 << 0x01;
        } else {
            QTest::newRow("length off by one") << 1 << 11 << 0x01;
            QTest::newRow("length negative") << 1 << 8 << 0x80;
            QTest::newRow("length 1 MiB longer, past the segment's end") << 1 << 9 << 0x10;
        }
    }

    void checkOldSegmentFlip()
    {
        QFETCH(int, batch);
        QFETCH(int, byte);
        QFETCH(int, mask);
        buildSegmented();
        if (QTest::currentTestFailed())
            return;
        const QString basePath = m_segmented->dir.path();
        const QStringList files = segments(partitionDir(basePath, "f", 0));
        const QList<qint64> starts = batchStarts(readAll(files.front()));
        QVERIFY(starts.size() > batch + 1);
        const QString first = files.front().mid(basePath.size());
        const qint64 laterBase = baseOffsetOf(files[2]);

        Fixture f;
        QVERIFY(copyDir(basePath, f.dir.path()));
        QVERIFY(flipBit(f.dir.path() + first, starts[batch] + byte, char(mask)));
        QVERIFY2(f.start(m_segmentArgs), qPrintable(f.why));
        QList<ContentRecord> stored;
        const bool served = consumeAll(f.client, "f", 0, 0, stored, f.why);
        QVERIFY2(!served,
                 qPrintable(QStringLiteral("offset 0 served %1 records").arg(stored.size())));
        QVERIFY2(f.why.startsWith(u"Error reply"), qPrintable(f.why));
        QVERIFY2(consumeAll(f.client, "f", 0, quint32(laterBase), stored, f.why),
                 qPrintable(f.why));
        QCOMPARE(mismatch(stored, m_segmentedValues.mid(laterBase), laterBase), QString());
        QVERIFY2(consumeAll(f.client, "f", 1, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, m_segmentedOther), QString());
        QVERIFY2(f.broker->kill9(), f.broker->describe());
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

    void garbageTailIsCut_data()
    {
        QTest::addColumn<bool>("cleanStop");
        QTest::newRow("after a clean stop") << true;
        QTest::newRow("after kill -9") << false;
    }

    void garbageTailIsCut()
    {
        QFETCH(bool, cleanStop);
        Fixture f;
        QVERIFY2(f.start(), qPrintable(f.why));
        Reply reply;
        QVERIFY2(request(f.client, encodeCreateTopic("g", 2), reply, f.why), qPrintable(f.why));
        QList<QByteArray> values[2];
        for (int b = 0; b < 12; ++b)
            for (quint32 p = 0; p < 2; ++p) {
                const auto batch = numbered("g-", int(values[p].size()), 1 + b % 5, 30);
                qint64 last = -1;
                QVERIFY2(produce(f.client, "g", p, batch, last, f.why), qPrintable(f.why));
                values[p] += batch;
            }
        QVERIFY2(cleanStop ? f.broker->stop() : f.broker->kill9(), f.broker->describe());

        const QStringList files = segments(partitionDir(f.dir.path(), "g", 0));
        QVERIFY(!files.isEmpty());
        const qint64 intactSize = QFileInfo(files.back()).size();
        QByteArray garbage;
        for (int i = 0; i < 37; ++i)
            garbage += char(QRandomGenerator::global()->bounded(256));
        QVERIFY(appendBytes(files.back(), garbage));

        QVERIFY2(f.start(), qPrintable(f.why));
        QVERIFY2(f.broker->waitForErr(QStringLiteral("cut 37 bytes")), f.broker->describe());
        QCOMPARE(QFileInfo(files.back()).size(), intactSize);
        for (quint32 p = 0; p < 2; ++p) {
            QList<ContentRecord> stored;
            QVERIFY2(consumeAll(f.client, "g", p, 0, stored, f.why), qPrintable(f.why));
            const QString bad = mismatch(stored, values[p]);
            QVERIFY2(bad.isEmpty(), qPrintable(bad));
            qint64 last = -1;
            QVERIFY2(produce(f.client, "g", p, {"next"}, last, f.why), qPrintable(f.why));
            QCOMPARE(last, qint64(values[p].size()));
        }
        QVERIFY2(f.broker->stop(), f.broker->describe());
    }

    void truncatedInsideLastRecord()
    {
        Fixture base;
        QVERIFY2(base.start(), qPrintable(base.why));
        Reply reply;
        QVERIFY2(request(base.client, encodeCreateTopic("tr", 1), reply, base.why),
                 qPrintable(base.why));
        constexpr int kBatches = 8;
        QList<QByteArray> values;
        qsizetype beforeLast = 0;
        for (int b = 0; b < kBatches; ++b) {
            beforeLast = values.size();
            const auto batch = numbered("tr-", int(values.size()), b + 2, 40);
            qint64 last = -1;
            QVERIFY2(produce(base.client, "tr", 0, batch, last, base.why), qPrintable(base.why));
            values += batch;
        }
        QVERIFY2(base.broker->stop(), base.broker->describe());
        const QString relative =
            segments(partitionDir(base.dir.path(), "tr", 0)).back().mid(base.dir.path().size());
        const QByteArray bytes = readAll(base.dir.path() + relative);
        const QList<qint64> starts = batchStarts(bytes);
        QCOMPARE(starts.size(), kBatches);
        const qint64 lastSize = bytes.size() - starts.back();

        const QList<QByteArray> prefix = values.first(beforeLast);
        for (const qint64 cut :
             {qint64(1), qint64(2), qint64(3), qint64(11), qint64(12), qint64(13), qint64(40),
              qint64(61), lastSize / 2, lastSize - 1, lastSize}) {
            for (const bool crashed : {false, true}) {
                const QString context =
                    QStringLiteral("cut %1 of the last batch's %2 bytes%3")
                        .arg(cut)
                        .arg(lastSize)
                        .arg(crashed ? QStringLiteral(", no clean-shutdown marker") : QString());
                Fixture f;
                QVERIFY(copyDir(base.dir.path(), f.dir.path()));
                QVERIFY(truncateBy(f.dir.path() + relative, cut));
                if (crashed)
                    QVERIFY(QFile::remove(f.dir.path() + QStringLiteral("/clean-shutdown")));
                QVERIFY2(f.start(), qPrintable(context + QStringLiteral(": ") + f.why));
                QList<ContentRecord> stored;
                QVERIFY2(consumeAll(f.client, "tr", 0, 0, stored, f.why),
                         qPrintable(context + QStringLiteral(": ") + f.why));
                const QString bad = mismatch(stored, prefix);
                QVERIFY2(bad.isEmpty(), qPrintable(context + QStringLiteral(": ") + bad));
                qint64 last = -1;
                QVERIFY2(produce(f.client, "tr", 0, {"next"}, last, f.why), qPrintable(f.why));
                QVERIFY2(last == prefix.size(), qPrintable(context));
                QVERIFY2(f.broker->kill9(), f.broker->describe());
            }
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

    void bitFlipInOldDataIsNeverServed_data() { oldSegmentFlips(false); }
    void bitFlipInOldDataIsNeverServed() { checkOldSegmentFlip(); }

    // The same for a flip in a batch's length field, which decides where the next batch is.
    void damagedLengthInOldDataIsNeverServed_data() { oldSegmentFlips(true); }
    void damagedLengthInOldDataIsNeverServed() { checkOldSegmentFlip(); }

    // After a crash, damage followed by intact data in the newest segment is not a torn
    // tail: the partition is refused, its neighbours keep working.
    void bitFlipInNewestSegmentAfterCrashIsRefused()
    {
        const QStringList &args = m_segmentArgs;
        Reply reply;
        QList<QByteArray> values, other;
        Fixture f;
        QVERIFY2(f.start(args), qPrintable(f.why));
        QVERIFY2(request(f.client, encodeCreateTopic("f", 2), reply, f.why), qPrintable(f.why));
        QVERIFY2(fill(f.client, "f", 0, 60, values, f.why), qPrintable(f.why));
        QVERIFY2(fill(f.client, "f", 1, 3, other, f.why), qPrintable(f.why));
        QVERIFY2(f.broker->kill9(), f.broker->describe());
        const QString newest = segments(partitionDir(f.dir.path(), "f", 0)).back();
        const QByteArray newestBytes = readAll(newest);
        const QList<qint64> newestStarts = batchStarts(newestBytes);
        QVERIFY2(newestStarts.size() >= 3, qPrintable(newest));
        const qint64 middle = newestStarts[newestStarts.size() / 2 - 1];
        QVERIFY(flipBit(newest, middle + 2000, 0x20));

        QVERIFY2(f.start(args), qPrintable(f.why));
        QVERIFY2(f.broker->waitForErr(QStringLiteral("refusing")), f.broker->describe());
        QList<ContentRecord> stored;
        for (const quint32 from : {quint32(0), quint32(baseOffsetOf(newest))}) {
            QVERIFY2(!consumeAll(f.client, "f", 0, from, stored, f.why),
                     qPrintable(
                         QStringLiteral("served %1 records from %2").arg(stored.size()).arg(from)));
            QVERIFY2(f.why.startsWith(u"Error reply"), qPrintable(f.why));
        }
        qint64 last = -1;
        QVERIFY2(!produce(f.client, "f", 0, {"x"}, last, f.why), "a refused partition took data");
        QVERIFY2(consumeAll(f.client, "f", 1, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, other), QString());
        QVERIFY2(produce(f.client, "f", 1, {"x"}, last, f.why), qPrintable(f.why));
        QCOMPARE(last, qint64(other.size()));
        QVERIFY2(f.broker->kill9(), f.broker->describe());
    }

    void indexDeletedIsRebuilt()
    {
        Fixture f;
        const QStringList &args = m_segmentArgs;
        QVERIFY2(f.start(args), qPrintable(f.why));
        Reply reply;
        QVERIFY2(request(f.client, encodeCreateTopic("ix", 1), reply, f.why), qPrintable(f.why));
        QList<QByteArray> values;
        QVERIFY2(fill(f.client, "ix", 0, 60, values, f.why), qPrintable(f.why));
        QVERIFY2(f.broker->stop(), f.broker->describe());

        const QString directory = partitionDir(f.dir.path(), "ix", 0);
        const QStringList files = segments(directory);
        QVERIFY2(files.size() >= 4, qPrintable(files.join(u' ')));
        const QStringList indexes =
            QDir(directory).entryList({QStringLiteral("*.index")}, QDir::Files);
        QCOMPARE(indexes.size(), files.size());
        for (const QString &index : indexes)
            QVERIFY(QFile::remove(directory + u'/' + index));

        QVERIFY2(f.start(args), qPrintable(f.why));
        QList<ContentRecord> stored;
        QVERIFY2(consumeAll(f.client, "ix", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, values), QString());
        // partitions open on first use: by now this one has, and rebuilt its indexes
        for (qsizetype i = 0; i + 1 < files.size(); ++i) {
            const QString index = files[i].chopped(4) + QStringLiteral(".index");
            QVERIFY2(QFile::exists(index), qPrintable(index));
        }
        // single records found through the rebuilt index, wherever they sit in a segment
        for (qsizetype offset = 0; offset < values.size(); offset += 37) {
            QVERIFY2(request(f.client, encodeConsume("ix", 0, quint32(offset), 1), reply, f.why),
                     qPrintable(f.why));
            QCOMPARE(reply.contents.size(), qsizetype(1));
            QCOMPARE(reply.contents.front().offset, quint32(offset));
            QCOMPARE(reply.contents.front().value, values[offset]);
        }
        qint64 last = -1;
        QVERIFY2(produce(f.client, "ix", 0, {"next"}, last, f.why), qPrintable(f.why));
        QCOMPARE(last, qint64(values.size()));
        QVERIFY2(f.broker->stop(), f.broker->describe());
    }

    void deleteTopicRemovesFiles()
    {
        Fixture f;
        QVERIFY2(f.start(), qPrintable(f.why));
        Reply reply;
        QVERIFY2(request(f.client, encodeCreateTopic("d", 2), reply, f.why), qPrintable(f.why));
        QVERIFY2(request(f.client, encodeCreateTopic("keep", 1), reply, f.why), qPrintable(f.why));
        qint64 last = -1;
        QVERIFY2(produce(f.client, "d", 1, numbered("d-", 0, 10), last, f.why), qPrintable(f.why));
        QVERIFY2(produce(f.client, "keep", 0, {"kept"}, last, f.why), qPrintable(f.why));
        const QString topicDir = f.dir.path() + QStringLiteral("/topics/d");
        QVERIFY(QFileInfo(topicDir).isDir());

        QVERIFY2(request(f.client, encodeDeleteTopic("d"), reply, f.why), qPrintable(f.why));
        QVERIFY2(!QFileInfo::exists(topicDir), qPrintable(topicDir));
        auto listed = [&](const QByteArray &topic) {
            const auto partitions = listTopics(f.client, f.why);
            return int(
                std::count_if(partitions.begin(), partitions.end(),
                              [&](const TopicPartitionInfo &p) { return p.topic == topic; }));
        };
        QCOMPARE(listed("d"), 0);
        QCOMPARE(listed("keep"), 1);
        QVERIFY2(!request(f.client, encodeConsume("d", 1, 0, 10), reply, f.why),
                 "a deleted topic still serves");

        QVERIFY2(request(f.client, encodeCreateTopic("d", 3), reply, f.why), qPrintable(f.why));
        QCOMPARE(listed("d"), 3);
        QList<ContentRecord> stored;
        QVERIFY2(consumeAll(f.client, "d", 1, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(stored.size(), qsizetype(0));
        QVERIFY2(produce(f.client, "d", 1, {"fresh"}, last, f.why), qPrintable(f.why));
        QCOMPARE(last, qint64(0));

        // and a restart brings back the new topic, not the old one
        QVERIFY2(f.broker->stop(), f.broker->describe());
        QVERIFY2(f.start(), qPrintable(f.why));
        QCOMPARE(listed("d"), 3);
        QVERIFY2(consumeAll(f.client, "d", 1, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, {"fresh"}), QString());
        QVERIFY2(consumeAll(f.client, "keep", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, {"kept"}), QString());
        QVERIFY2(f.broker->stop(), f.broker->describe());
    }

    void diskFull()
    {
        Fixture f;
        const QStringList args{QStringLiteral("--segment-bytes"), QStringLiteral("16777216")};
        // Only the soft limit: the test may raise it again without privileges.
        QVERIFY2(f.start(args,
                         [] {
                             struct rlimit limit = {};
                             ::getrlimit(RLIMIT_FSIZE, &limit);
                             limit.rlim_cur = 1 << 20;
                             ::setrlimit(RLIMIT_FSIZE, &limit);
                         }),
                 qPrintable(f.why));
        Reply reply;
        QVERIFY2(request(f.client, encodeCreateTopic("full", 1), reply, f.why), qPrintable(f.why));
        QList<QByteArray> acked;
        QString refusal;
        while (acked.size() < 10000) {
            const auto batch = numbered("full-", int(acked.size()), 8, 1000);
            qint64 last = -1;
            if (!produce(f.client, "full", 0, batch, last, refusal))
                break;
            acked += batch;
            QCOMPARE(last, qint64(acked.size() - 1));
        }
        QVERIFY2(refusal.startsWith(u"Error reply"), qPrintable(refusal));
        QVERIFY2(refusal.contains(u"File too large") && refusal.contains(u".log"),
                 qPrintable(refusal));
        QVERIFY2(acked.size() * 1000 < (1 << 20) && acked.size() * 1000 > (1 << 19),
                 qPrintable(QString::number(acked.size())));

        // reads keep working, and the refused batch left nothing behind
        QList<ContentRecord> stored;
        QVERIFY2(consumeAll(f.client, "full", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, acked), QString());
        const auto partitions = listTopics(f.client, f.why);
        QCOMPARE(partitions.size(), qsizetype(1));
        QCOMPARE(partitions.front().endOffset, quint64(acked.size()));

        struct rlimit limit = {};
        QCOMPARE(::prlimit(pid_t(f.broker->pid()), RLIMIT_FSIZE, nullptr, &limit), 0);
        QCOMPARE(limit.rlim_cur, rlim_t(1 << 20));
        limit.rlim_cur = limit.rlim_max;
        QCOMPARE(::prlimit(pid_t(f.broker->pid()), RLIMIT_FSIZE, &limit, nullptr), 0);
        for (int b = 0; b < 40; ++b) {
            const auto batch = numbered("full-", int(acked.size()), 8, 1000);
            qint64 last = -1;
            QVERIFY2(produce(f.client, "full", 0, batch, last, f.why), qPrintable(f.why));
            acked += batch;
            QCOMPARE(last, qint64(acked.size() - 1));
        }

        QVERIFY2(f.broker->kill9(), f.broker->describe());
        QVERIFY2(f.start(args), qPrintable(f.why));
        QVERIFY2(consumeAll(f.client, "full", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, acked), QString());
        qint64 last = -1;
        QVERIFY2(produce(f.client, "full", 0, {"next"}, last, f.why), qPrintable(f.why));
        QCOMPARE(last, qint64(acked.size()));
        QVERIFY2(f.broker->stop(), f.broker->describe());
    }

    // A real full file system (a small tmpfs): a produce that does not fit gets a clear
    // storage error and loses nothing acknowledged; a restart while the disk is still full
    // (an older segment's index missing, half-written temp files left) starts, removes the
    // temp files, and serves every acknowledged record; deleting a topic frees its space.
    void fullFileSystem()
    {
        Fixture f;
        rivulet::testsupport::TmpfsMount disk(f.dir.path(), "6m");
        if (!disk.mounted())
            QSKIP(qPrintable(disk.why()));
        const QStringList args{QStringLiteral("--segment-bytes"), QStringLiteral("262144")};
        QVERIFY2(f.start(args), qPrintable(f.why));
        Reply reply;
        QVERIFY2(request(f.client, encodeCreateTopic("keep", 1), reply, f.why), qPrintable(f.why));
        QVERIFY2(request(f.client, encodeCreateTopic("big", 1), reply, f.why), qPrintable(f.why));
        const QList<QByteArray> kept = numbered("keep-", 0, 20, 100);
        qint64 last = -1;
        QVERIFY2(produce(f.client, "keep", 0, kept, last, f.why), qPrintable(f.why));
        // what a broker killed in the middle of an atomic write leaves
        const QString strayMeta = f.dir.path() + QStringLiteral("/topics.json.tmp");
        // (not an .index.tmp: sealing a segment writes through that name and takes it over)
        const QString strayIndex =
            partitionDir(f.dir.path(), "big", 0) + QStringLiteral("/log-start-offset.tmp");
        for (const QString &path : {strayMeta, strayIndex}) {
            QFile stray(path);
            QVERIFY(stray.open(QIODevice::WriteOnly) && stray.write("{\"half") > 0);
        }

        QList<QByteArray> acked;
        QString refusal;
        while (acked.size() < 100000) {
            const auto batch = numbered("big-", int(acked.size()), 4, 32 << 10);
            if (!produce(f.client, "big", 0, batch, last, refusal))
                break;
            acked += batch;
            QCOMPARE(last, qint64(acked.size() - 1));
        }
        QVERIFY2(refusal.startsWith(u"Error reply") && refusal.contains(u"No space left"),
                 qPrintable(refusal));
        QVERIFY2(acked.size() > 100, qPrintable(QString::number(acked.size())));
        QList<ContentRecord> stored;
        QVERIFY2(consumeAll(f.client, "big", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, acked), QString());

        // stopped while full, an older segment unsealed (its index removed first, so that the
        // filler takes the page it held), and filled to the last block
        QVERIFY2(f.broker->stop(), f.broker->describe());
        const QStringList bigSegments = segments(partitionDir(f.dir.path(), "big", 0));
        QVERIFY2(bigSegments.size() >= 3, qPrintable(bigSegments.join(u' ')));
        QString firstIndex = bigSegments.front();
        firstIndex.replace(QStringLiteral(".log"), QStringLiteral(".index"));
        QFile::remove(firstIndex);
        disk.fill(QStringLiteral("filler"));
        QCOMPARE(disk.freeBytes(), qint64(0));

        QVERIFY2(f.start(args), qPrintable(f.why));
        QVERIFY2(consumeAll(f.client, "keep", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, kept), QString());
        QVERIFY2(consumeAll(f.client, "big", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, acked), QString());
        QVERIFY2(f.broker->waitForErr(QStringLiteral("removed ") + strayMeta),
                 f.broker->describe());
        QVERIFY2(f.broker->waitForErr(QStringLiteral("removed ") + strayIndex),
                 f.broker->describe());
        QVERIFY(!QFile::exists(strayMeta) && !QFile::exists(strayIndex));
        QVERIFY2(f.broker->errText().contains(u"cannot write the rebuilt index of"),
                 f.broker->describe());

        // (bigger than what is left of the file's last page)
        QVERIFY(!produce(f.client, "keep", 0, {QByteArray(64 << 10, 'n')}, last, refusal));
        QVERIFY2(refusal.contains(u"No space left"), qPrintable(refusal));
        QVERIFY2(consumeAll(f.client, "keep", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, kept), QString());

        // deleting a topic frees its space, even with no room for the new topics.json
        QVERIFY2(request(f.client, encodeDeleteTopic("big"), reply, f.why), qPrintable(f.why));
        QVERIFY2(waitUntil([&] { return disk.freeBytes() > (3 << 20); }),
                 qPrintable(QString::number(disk.freeBytes())));
        QVERIFY2(produce(f.client, "keep", 0, {"room again"}, last, f.why), qPrintable(f.why));
        QCOMPARE(last, qint64(kept.size()));
        QVERIFY2(f.broker->stop(), f.broker->describe());
        QVERIFY2(f.start(args), qPrintable(f.why));
        const auto partitions = listTopics(f.client, f.why);
        QCOMPARE(partitions.size(), qsizetype(1));
        QCOMPARE(partitions.front().topic, QByteArray("keep"));
        QVERIFY2(consumeAll(f.client, "keep", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, kept + QList<QByteArray>{"room again"}), QString());
        QVERIFY2(f.broker->stop(), f.broker->describe());
    }

    // A broker whose descriptor limit is 256 serves 2,100 partitions (segment files go
    // through its file pool, sized from the limit), before and after a restart.
    void lowDescriptorLimitServesThousandsOfPartitions()
    {
        const auto limit256 = [] {
            const rlimit limit{256, 256};
            ::setrlimit(RLIMIT_NOFILE, &limit);
        };
        constexpr int kPartitions = 2100;
        Fixture f;
        QVERIFY2(f.start({}, limit256), qPrintable(f.why));
        Reply reply;
        QVERIFY2(request(f.client, encodeCreateTopic("wide", kPartitions), reply, f.why),
                 qPrintable(f.why));
        const auto value = [](int p) { return "wide-" + QByteArray::number(p); };
        const auto openDescriptors = [&] {
            return QDir(QStringLiteral("/proc/%1/fd").arg(f.broker->pid()))
                .entryList(QDir::Files | QDir::System | QDir::NoDotAndDotDot)
                .size();
        };
        for (int p = 0; p < kPartitions; ++p) {
            QVERIFY2(request(f.client, encodeProduce("wide", quint32(p), {value(p)}), reply, f.why),
                     qPrintable(QStringLiteral("partition %1: %2").arg(p).arg(f.why)));
            QCOMPARE(reply.offsets, QList<quint32>{0});
        }
        QVERIFY(openDescriptors() <= 256);
        const auto readBack = [&] {
            for (int p = 0; p < kPartitions; ++p) {
                if (!request(f.client, encodeConsume("wide", quint32(p), 0, 10), reply, f.why))
                    return QStringLiteral("partition %1: %2").arg(p).arg(f.why);
                if (reply.contents.size() != 1 || reply.contents.front().value != value(p))
                    return QStringLiteral("partition %1 does not hold its record").arg(p);
            }
            return QString();
        };
        QCOMPARE(readBack(), QString());
        QVERIFY2(f.broker->stop(), f.broker->describe());

        QVERIFY2(f.start({}, limit256), qPrintable(f.why));
        QCOMPARE(readBack(), QString());
        QVERIFY(openDescriptors() <= 256);
        QVERIFY2(f.broker->stop(), f.broker->describe());
    }

    // CreateTopic answers an error, never "created", when a partition cannot be made, and
    // leaves no topic behind.
    void createTopicFailsWhenAPartitionCannotBeMade()
    {
        Fixture f;
        QVERIFY2(f.start(), qPrintable(f.why));
        // a file where the topic's directory should go: its partitions cannot be made
        // (the tests run as root, so permissions would not stop them)
        QFile blocker(f.dir.path() + QStringLiteral("/topics/blocked"));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        Reply reply;
        QVERIFY(!request(f.client, encodeCreateTopic("blocked", 3), reply, f.why));
        QVERIFY2(reply.error, qPrintable(f.why));
        QVERIFY2(reply.errorText.contains(QLatin1String("cannot create partition")),
                 qPrintable(reply.errorText));
        QVERIFY2(request(f.client, encodeListTopics(), reply, f.why), qPrintable(f.why));
        for (const TopicPartitionInfo &p : reply.topicPartitions)
            QVERIFY(p.topic != "blocked");
        // nothing half-made was recorded: after a restart there is no such topic either
        QVERIFY2(f.broker->stop(), f.broker->describe());
        QVERIFY2(f.start(), qPrintable(f.why));
        QVERIFY2(request(f.client, encodeListTopics(), reply, f.why), qPrintable(f.why));
        QVERIFY(reply.topicPartitions.isEmpty());
        // with the obstacle gone the same request succeeds
        QVERIFY(QFile::remove(blocker.fileName()));
        QVERIFY2(request(f.client, encodeCreateTopic("blocked", 3), reply, f.why),
                 qPrintable(f.why));
        QVERIFY2(request(f.client, encodeProduce("blocked", 2, {"ok"}), reply, f.why),
                 qPrintable(f.why));
    }
};

QTEST_GUILESS_MAIN(TestDurability)
#include "tst_durability.moc"
