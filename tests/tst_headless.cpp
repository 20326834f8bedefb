#include "native/nativeclient.h"
#include "support/rivuletprocess.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTest>

#include <csignal>

// The rivulet executable as a process: its command line, start-up, and shutdown.

using namespace rivulet::testsupport;

namespace {

// No display of any kind and no platform forced: what a server or a CI box has.
QProcessEnvironment noDisplayEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    return env;
}

// A window could be made (offscreen), so nothing falls back to headless on its own.
QProcessEnvironment offscreenEnvironment()
{
    QProcessEnvironment env = noDisplayEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    return env;
}

// The rivulet executable run to its end.
Run runToEnd(const QStringList &args, const QProcessEnvironment &env)
{
    return runProcess(binary("rivulet"), args, {}, env);
}

// With a fixed native port the Kafka listener would take its default port (9092) too, which
// anything else on the machine may hold: let it pick a free one, where that option exists.
QStringList freeKafkaPort()
{
    static const bool supported = [] {
        QProcess process;
        process.setProcessEnvironment(noDisplayEnvironment());
        process.start(binary("rivulet"), {QStringLiteral("--help")});
        return process.waitForFinished(kTimeoutMs) &&
               process.readAllStandardOutput().contains("--kafka-port");
    }();
    return supported ? QStringList{QStringLiteral("--kafka-port"), QStringLiteral("0")}
                     : QStringList{};
}

// A shutdown message that should worry nobody: no Qt warnings, no errors, no crash.
QString alarming(const QString &stderrText)
{
    static const QRegularExpression words(
        QStringLiteral("warning|error|critical|fatal|qthread|qobject|qsocketnotifier|destroyed|"
                       "abort|segmentation|assert|leak|still running"),
        QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch match = words.match(stderrText);
    return match.hasMatch() ? match.captured() : QString();
}

} // namespace

class TestHeadless : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void help_data()
    {
        QTest::addColumn<QProcessEnvironment>("env");
        QTest::newRow("no display") << noDisplayEnvironment();
        QTest::newRow("offscreen") << offscreenEnvironment();
    }

    void help()
    {
        QFETCH(QProcessEnvironment, env);
        const Run r = runToEnd({QStringLiteral("--help")}, env);
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(r.out.contains(u"--headless") && r.out.contains(u"--port"), r.describe());
    }

    void version()
    {
        const Run r = runToEnd({QStringLiteral("--version")}, noDisplayEnvironment());
        QVERIFY2(r.finished && r.exitCode == 0, r.describe());
        QVERIFY2(
            QRegularExpression(QStringLiteral(R"(^rivulet \d+\.\d+\.\d+)")).match(r.out).hasMatch(),
            r.describe());
        QVERIFY2(r.out.contains(QStringLiteral(RIVULET_VERSION)), r.describe());
    }

    void badOptions_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("port not a number") << QStringList{"--headless", "--port", "abc"} << "abc";
        QTest::newRow("port too big") << QStringList{"--headless", "--port", "70000"} << "70000";
        QTest::newRow("port negative") << QStringList{"--headless", "--port=-1"} << "-1";
        QTest::newRow("port missing") << QStringList{"--headless", "--port"} << "port";
        QTest::newRow("listen nonsense")
            << QStringList{"--headless", "--listen", "nonsense"} << "nonsense";
        QTest::newRow("unknown option") << QStringList{"--headless", "--bogus"} << "bogus";
        QTest::newRow("stray argument") << QStringList{"--headless", "stray"} << "stray";
        QTest::newRow("workers zero") << QStringList{"--headless", "--workers", "0"} << "workers";
        QTest::newRow("native-listen nonsense")
            << QStringList{"--headless", "--native-listen", "nowhere"} << "nowhere";
        QTest::newRow("listener protocol")
            << QStringList{"--headless", "--kafka-listener", "TLS://127.0.0.1:0"} << "TLS";
        QTest::newRow("listener without port")
            << QStringList{"--headless", "--kafka-listener", "SSL://127.0.0.1"} << "no port";
        QTest::newRow("tls listener without certificate")
            << QStringList{"--headless", "--kafka-listener", "SSL://127.0.0.1:0"}
            << "--kafka-tls-cert";
        QTest::newRow("tls options without a tls listener")
            << QStringList{"--headless", "--kafka-tls-cert", "x.pem"} << "SSL";
        QTest::newRow("client auth nonsense")
            << QStringList{"--headless", "--kafka-tls-client-auth", "sometimes"} << "sometimes";
        QTest::newRow("sasl listener in memory")
            << QStringList{"--headless", "--kafka-listener", "SASL_PLAINTEXT://127.0.0.1:0"}
            << "users.json";
        // without --headless: refused the same way before any window is made
        QTest::newRow("windowed, unknown option") << QStringList{"--bogus"} << "bogus";
        QTest::newRow("windowed, stray argument") << QStringList{"stray"} << "stray";
    }

    void badOptions()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        // --in-memory: should a row wrongly start a broker, it touches no data directory
        const Run r = runToEnd(QStringList{"--in-memory"} + args, offscreenEnvironment());
        QVERIFY2(r.finished && r.exitCode == 2, r.describe());
        QVERIFY2(r.out.isEmpty(), r.describe());
        QVERIFY2(r.err.contains(mentions), r.describe());
        // and what to do about it
        QVERIFY2(r.err.contains(u"--help"), r.describe());
        QVERIFY2(!r.err.contains(u"ready"), r.describe());
    }

    void secondBrokerOnTheSamePort()
    {
        BrokerProcess first(noDisplayEnvironment());
        quint16 port = 0;
        // the port was free a moment ago; try again if someone took it meanwhile
        for (int attempt = 0; attempt < 3 && port == 0; ++attempt) {
            const quint16 wanted = unusedPort();
            QVERIFY(wanted != 0);
            if (first.start(
                    QStringList{"--headless", "--in-memory", "--port", QString::number(wanted)} +
                    freeKafkaPort())) {
                QCOMPARE(first.nativePort(), wanted);
                port = wanted;
            }
        }
        QVERIFY2(port != 0, qPrintable(first.describe()));

        const Run second =
            runToEnd(QStringList{"--headless", "--in-memory", "--port", QString::number(port)} +
                         freeKafkaPort(),
                     noDisplayEnvironment());
        QVERIFY2(second.finished && second.exitCode == 1, second.describe());
        QVERIFY2(second.err.contains(QStringLiteral("127.0.0.1:%1").arg(port)), second.describe());
        QVERIFY2(second.err.contains(u"--port"), second.describe());
        QVERIFY2(!second.out.contains(u"ready"), second.describe());

        // the first is unharmed
        rivulet::native::NativeClient client;
        QVERIFY2(client.connectTo(QStringLiteral("127.0.0.1"), port, kTimeoutMs),
                 qPrintable(client.errorString()));
        rivulet::native::Reply reply;
        QVERIFY2(client.call(rivulet::native::encodeListTopics(), reply, kTimeoutMs),
                 qPrintable(client.errorString()));
        QVERIFY(!reply.error);
        client.close();

        QVERIFY(first.stop());
        QCOMPARE(first.process().exitStatus(), QProcess::NormalExit);
        QCOMPARE(first.process().exitCode(), 0);
    }

    void stopsOnSignal_data()
    {
        QTest::addColumn<int>("signalNumber");
        QTest::addColumn<bool>("withClients");
        QTest::newRow("SIGTERM") << int(SIGTERM) << false;
        QTest::newRow("SIGTERM with clients") << int(SIGTERM) << true;
        QTest::newRow("SIGINT with clients") << int(SIGINT) << true;
    }

    void stopsOnSignal()
    {
        QFETCH(int, signalNumber);
        QFETCH(bool, withClients);
        BrokerProcess broker(noDisplayEnvironment());
        QVERIFY2(broker.start({"--headless", "--in-memory", "--port", "0"}),
                 qPrintable(broker.describe()));
        // loopback unless asked otherwise
        QCOMPARE(broker.nativeHost(), QStringLiteral("127.0.0.1"));
        const quint16 port = broker.nativePort();

        // one client that did some work, one in the middle of a request
        rivulet::native::NativeClient worked;
        QTcpSocket halfway;
        if (withClients) {
            QVERIFY2(worked.connectTo(QStringLiteral("127.0.0.1"), port, kTimeoutMs),
                     qPrintable(worked.errorString()));
            rivulet::native::Reply reply;
            QVERIFY2(worked.call(rivulet::native::encodeCreateTopic("t", 2), reply, kTimeoutMs),
                     qPrintable(worked.errorString()));
            QVERIFY(!reply.error);
            QVERIFY2(
                worked.call(rivulet::native::encodeProduce("t", 1, {"a", "b"}), reply, kTimeoutMs),
                qPrintable(worked.errorString()));
            QCOMPARE(reply.offsets, QList<std::uint32_t>{1});
            halfway.connectToHost(QHostAddress::LocalHost, port);
            QVERIFY(halfway.waitForConnected(kTimeoutMs));
            halfway.write(rivulet::native::encodeProduce("t", 0, {"unfinished"}).left(9));
            QVERIFY(halfway.waitForBytesWritten(kTimeoutMs));
        }

        QElapsedTimer clock;
        clock.start();
        QVERIFY2(broker.stop(signalNumber), "the broker did not stop");
        const qint64 ms = clock.elapsed();
        // a hang check, not a speed target
        QVERIFY2(ms < 10000, qPrintable(QStringLiteral("stopping took %1 ms").arg(ms)));
        QCOMPARE(broker.process().exitStatus(), QProcess::NormalExit);
        QCOMPARE(broker.process().exitCode(), 0);
        const QString err = broker.errors();
        QVERIFY2(alarming(err).isEmpty(), qPrintable(err));
    }

    void inMemoryRetentionDeletesOldChunks()
    {
        // --in-memory with a retention of one byte: the housekeeping pass (every 5 s) deletes
        // every chunk but the newest, and a read below the new start is refused
        BrokerProcess broker(noDisplayEnvironment());
        QVERIFY2(
            broker.start({"--headless", "--in-memory", "--port", "0", "--retention-bytes", "1"}),
            qPrintable(broker.describe()));
        rivulet::native::NativeClient client;
        QVERIFY2(client.connectTo(QStringLiteral("127.0.0.1"), broker.nativePort(), kTimeoutMs),
                 qPrintable(client.errorString()));
        rivulet::native::Reply reply;
        QVERIFY(client.call(rivulet::native::encodeCreateTopic("kept", 1), reply, kTimeoutMs));
        QVERIFY(!reply.error);
        // 12 MiB in 1 MiB requests: three 4 MiB chunks at least
        const QList<QByteArray> values(100, QByteArray(10 * 1024, 'r'));
        constexpr int kRequests = 12;
        for (int i = 0; i < kRequests; ++i) {
            QVERIFY2(
                client.call(rivulet::native::encodeProduce("kept", 0, values), reply, kTimeoutMs),
                qPrintable(client.errorString()));
            QVERIFY2(!reply.error, qPrintable(reply.errorText));
        }
        const std::uint32_t last = kRequests * 100 - 1;
        QVERIFY(client.call(rivulet::native::encodeSetOptions(rivulet::native::kOptionErrorText),
                            reply, kTimeoutMs));
        QTRY_VERIFY_WITH_TIMEOUT(
            client.call(rivulet::native::encodeConsume("kept", 0, 0, 1), reply, kTimeoutMs) &&
                reply.error,
            20000);
        QVERIFY2(reply.errorText.contains(QLatin1String("retention")), qPrintable(reply.errorText));
        // the newest record is still there
        QVERIFY(client.call(rivulet::native::encodeConsume("kept", 0, last, 1), reply, kTimeoutMs));
        QVERIFY(!reply.error);
        QCOMPARE(reply.contents.size(), 1);
        QCOMPARE(reply.contents[0].offset, last);
        QCOMPARE(reply.contents[0].value, values[0]);
        QVERIFY(broker.stop());
        QVERIFY2(broker.errors().contains(QLatin1String("retention deleted")),
                 qPrintable(broker.errors()));
    }

    void noDisplayFallsBackToHeadless()
    {
        BrokerProcess broker(noDisplayEnvironment());
        QVERIFY2(broker.start({"--in-memory", "--port", "0"}), // no --headless
                 qPrintable(broker.describe()));

        rivulet::native::NativeClient client;
        QVERIFY2(client.connectTo(broker.nativeHost(), broker.nativePort(), kTimeoutMs),
                 qPrintable(client.errorString()));
        rivulet::native::Reply reply;
        QVERIFY2(client.call(rivulet::native::encodeListTopics(), reply, kTimeoutMs),
                 qPrintable(client.errorString()));
        QVERIFY(!reply.error);
        client.close();

        QVERIFY2(broker.stop(), "the broker did not stop");
        QCOMPARE(broker.process().exitStatus(), QProcess::NormalExit);
        QCOMPARE(broker.process().exitCode(), 0);
        // it tells the user why there is no window
        const QString err = broker.errors();
        QVERIFY2(err.contains(u"headless"), qPrintable(err));
    }
};

QTEST_GUILESS_MAIN(TestHeadless)
#include "tst_headless.moc"
