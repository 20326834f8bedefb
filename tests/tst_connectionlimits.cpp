// The broker at its limits: --max-connections closes what is over it at once, and at the
// descriptor limit (EMFILE) it keeps serving, does not spin, and accepts again once
// descriptors free up.
#include "broker.h"
#include "native/clientcodec.h"
#include "server/server.h"
#include "support/rivuletprocess.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTcpSocket>
#include <QTest>

#include <memory>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

using namespace rivulet;
using namespace rivulet::testsupport;

namespace {

constexpr int kWaitMs = 30000;

// A connection that made one native round trip (ListTopics), so the broker surely serves it.
std::unique_ptr<QTcpSocket> servedConnection(quint16 port, QString &error)
{
    auto socket = std::make_unique<QTcpSocket>();
    socket->connectToHost(QHostAddress::LocalHost, port);
    if (!socket->waitForConnected(kWaitMs)) {
        error = socket->errorString();
        return nullptr;
    }
    socket->write(native::encodeListTopics());
    QElapsedTimer clock;
    clock.start();
    while (socket->bytesAvailable() == 0 && socket->state() == QAbstractSocket::ConnectedState &&
           clock.elapsed() < kWaitMs)
        QTest::qWait(5); // runs this thread's loop, which the in-process server accepts on
    if (socket->bytesAvailable() == 0) {
        error = QStringLiteral("no answer (%1)").arg(socket->errorString());
        return nullptr;
    }
    socket->readAll();
    return socket;
}

// utime + stime of a process, in seconds.
double cpuSeconds(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray stat = f.readAll();
    // fields after the command name, which may hold spaces: state is field 3, utime 14
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return -1;
    return double(fields[11].toLongLong() + fields[12].toLongLong()) /
           double(::sysconf(_SC_CLK_TCK));
}

} // namespace

class TestConnectionLimits : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void maxConnectionsClosesTheRestAtOnce()
    {
        BrokerConfig config;
        config.maxConnections = 3;
        Broker broker(config);
        Server native(broker, 1);
        Server kafka(broker, 1, kafka::KafkaConfig{});
        QVERIFY(native.start(QHostAddress::LocalHost, 0));
        QVERIFY(kafka.start(QHostAddress::LocalHost, 0));

        std::vector<std::unique_ptr<QTcpSocket>> open;
        QString error;
        for (int i = 0; i < 2; ++i) {
            open.push_back(servedConnection(native.serverPort(), error));
            QVERIFY2(open.back(), qPrintable(error));
        }
        // the limit counts both protocols
        auto kafkaClient = std::make_unique<QTcpSocket>();
        kafkaClient->connectToHost(QHostAddress::LocalHost, kafka.serverPort());
        QVERIFY(kafkaClient->waitForConnected(kWaitMs));
        QTRY_COMPARE_WITH_TIMEOUT(broker.connections().open(), 3, kWaitMs);

        QTcpSocket over;
        over.connectToHost(QHostAddress::LocalHost, native.serverPort());
        QVERIFY(over.waitForConnected(kWaitMs));
        over.write(native::encodeListTopics());
        // closed without an answer
        QTRY_COMPARE_WITH_TIMEOUT(over.state(), QAbstractSocket::UnconnectedState, kWaitMs);
        QCOMPARE(over.bytesAvailable(), 0);
        BrokerSnapshot snapshot = broker.snapshot();
        QCOMPARE(snapshot.connections, 3);
        QCOMPARE(snapshot.maxConnections, 3);
        QCOMPARE(snapshot.refusedConnections, std::uint64_t(1));
        QTRY_COMPARE_WITH_TIMEOUT(native.connectionCount() + kafka.connectionCount(), 3, kWaitMs);

        // the ones inside the limit are still served
        open[0]->write(native::encodeListTopics());
        QTRY_VERIFY_WITH_TIMEOUT(open[0]->bytesAvailable() > 0, kWaitMs);

        // one gone: room for one more
        kafkaClient->abort();
        QTRY_COMPARE_WITH_TIMEOUT(broker.connections().open(), 2, kWaitMs);
        open.push_back(servedConnection(native.serverPort(), error));
        QVERIFY2(open.back(), qPrintable(error));
        QCOMPARE(broker.snapshot().refusedConnections, std::uint64_t(1));
        native.stop();
        kafka.stop();
        QCOMPARE(broker.connections().open(), 0);
    }

    // A broker process with RLIMIT_NOFILE lowered (soft and hard, so it cannot raise it):
    // connections until accept() fails with EMFILE, then the broker must say so once, use
    // no CPU meanwhile, serve the connections it has, and accept the waiting one as soon as
    // some close.
    void acceptsAgainAfterRunningOutOfDescriptors()
    {
        constexpr rlim_t kLimit = 64;
        BrokerProcess broker;
        broker.process().setChildProcessModifier([] {
            const rlimit limit{kLimit, kLimit};
            ::setrlimit(RLIMIT_NOFILE, &limit);
        });
        QVERIFY2(broker.start({"--headless", "--in-memory", "--port", "0", "--kafka-port", "0",
                               "--workers", "1"}),
                 qPrintable(broker.describe()));
        const quint16 port = broker.nativePort();
        const QString outOfDescriptors = QStringLiteral("cannot accept native connections");

        // fill the broker's descriptor table: each connection answered, until one is not
        std::vector<std::unique_ptr<QTcpSocket>> served;
        std::unique_ptr<QTcpSocket> waiting;
        for (rlim_t i = 0; i < kLimit && !waiting; ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            socket->connectToHost(QHostAddress::LocalHost, port);
            QVERIFY(socket->waitForConnected(kWaitMs)); // the kernel's backlog takes it
            socket->write(native::encodeListTopics());
            QTRY_VERIFY_WITH_TIMEOUT(socket->bytesAvailable() > 0 ||
                                         broker.errors().contains(outOfDescriptors),
                                     kWaitMs);
            if (socket->bytesAvailable() > 0) {
                socket->readAll();
                served.push_back(std::move(socket));
            } else {
                waiting = std::move(socket);
            }
        }
        QVERIFY2(waiting, qPrintable(broker.describe()));
        QVERIFY2(served.size() >= 5, qPrintable(QString::number(served.size())));

        // Out of descriptors, with a client waiting in the backlog: a listener that retried
        // accept() in a loop would burn a core here. This wait is the measurement window
        // itself, not a synchronisation.
        const qint64 pid = broker.process().processId();
        const double cpuBefore = cpuSeconds(pid);
        QElapsedTimer window;
        window.start();
        QTest::qWait(1500);
        const double cpu = cpuSeconds(pid) - cpuBefore;
        const double wall = double(window.elapsed()) / 1000;
        QVERIFY2(
            cpuBefore >= 0 && cpu < 0.1 * wall,
            qPrintable(QStringLiteral("the broker used %1 s of CPU in %2 s").arg(cpu).arg(wall)));

        // the open connections are still served
        served.front()->write(native::encodeListTopics());
        QTRY_VERIFY_WITH_TIMEOUT(served.front()->bytesAvailable() > 0, kWaitMs);
        served.front()->readAll();

        // descriptors free up: the waiting client is accepted and answered, new ones too
        for (int i = 0; i < 3; ++i) {
            served.back()->abort();
            served.pop_back();
        }
        QTRY_VERIFY_WITH_TIMEOUT(waiting->bytesAvailable() > 0, kWaitMs);
        QTcpSocket fresh;
        fresh.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(fresh.waitForConnected(kWaitMs));
        fresh.write(native::encodeListTopics());
        QTRY_VERIFY_WITH_TIMEOUT(fresh.bytesAvailable() > 0, kWaitMs);

        const QString log = broker.errors();
        // said once per time it ran out, not once per retry: the two lines alternate, starting
        // with running out, and it did accept again. (The accepts just made may have filled
        // the table once more, so the log may end with running out.)
        const QString again = QStringLiteral("accepting native connections again");
        QStringList sequence;
        for (const QString &line : log.split(u'\n'))
            if (line.contains(outOfDescriptors) || line.contains(again))
                sequence << (line.contains(again) ? QStringLiteral("again")
                                                  : QStringLiteral("out"));
        bool alternates = sequence.size() >= 2;
        for (qsizetype i = 0; i < sequence.size(); ++i)
            alternates = alternates && sequence[i] == (i % 2 ? u"again" : u"out");
        QVERIFY2(alternates, qPrintable(log));
        QVERIFY2(broker.stop(), qPrintable(broker.describe()));
        QCOMPARE(broker.process().exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestConnectionLimits)
#include "tst_connectionlimits.moc"
