#include "options.h"

#include <QCommandLineParser>
#include <QStandardPaths>

#include <limits>
#include <optional>

namespace {

// What a numeric option accepts. The message says it as "--NAME wants <wants>, not '<value>'";
// without a `wants` of its own that is "a number from <min> to <max>".
struct Accepts
{
    long long min;
    long long max;
    const char *wants = nullptr;
};

// Reads a numeric option into `out` when it is given (`out` keeps its default otherwise).
// Returns what is wrong with the value, for the user, or nothing.
template <typename T>
std::optional<QString> readNumber(const QCommandLineParser &parser,
                                  const QCommandLineOption &option, const Accepts &accepts, T &out)
{
    if (!parser.isSet(option))
        return std::nullopt;
    const QString text = parser.value(option);
    bool ok = false;
    const long long n = text.toLongLong(&ok);
    if (ok && n >= accepts.min && n <= accepts.max) {
        out = T(n);
        return std::nullopt;
    }
    const QString wants =
        accepts.wants ? QString::fromUtf8(accepts.wants)
                      : QStringLiteral("a number from %1 to %2").arg(accepts.min).arg(accepts.max);
    return QStringLiteral("--%1 wants %2, not '%3'").arg(option.names().constLast(), wants, text);
}

// An IP address, or localhost; nullopt otherwise.
std::optional<QHostAddress> parseAddress(const QString &text)
{
    if (text == u"localhost")
        return QHostAddress(QHostAddress::LocalHost);
    QHostAddress address;
    if (!address.setAddress(text))
        return std::nullopt;
    return address;
}

// PROTOCOL://HOST:PORT (HOST empty: fallbackHost; an IPv6 HOST in brackets).
std::optional<KafkaListener> parseListener(const QString &text, const QHostAddress &fallbackHost,
                                           QString &error)
{
    const auto wants = [&](const QString &what) {
        error = QStringLiteral("--kafka-listener wants PROTOCOL://HOST:PORT (PROTOCOL one of "
                               "PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL), not '%1': %2")
                    .arg(text, what);
        return std::nullopt;
    };
    const qsizetype scheme = text.indexOf(QStringLiteral("://"));
    if (scheme < 0)
        return wants(QStringLiteral("no ://"));
    KafkaListener listener;
    const auto security = rivulet::securityProtocolFromName(text.left(scheme));
    if (!security)
        return wants(QStringLiteral("unknown protocol '%1'").arg(text.left(scheme)));
    listener.security = *security;
    const QString hostPort = text.mid(scheme + 3);
    const qsizetype colon = hostPort.lastIndexOf(u':');
    if (colon < 0)
        return wants(QStringLiteral("no port"));
    QString host = hostPort.left(colon);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    if (host.isEmpty()) {
        listener.address = fallbackHost;
    } else if (const auto address = parseAddress(host)) {
        listener.address = *address;
    } else {
        return wants(QStringLiteral("'%1' is not an IP address").arg(host));
    }
    bool ok = false;
    const uint port = hostPort.mid(colon + 1).toUInt(&ok);
    if (!ok || port > 65535)
        return wants(QStringLiteral("the port is not a number from 0 to 65535"));
    listener.port = quint16(port);
    return listener;
}

} // namespace

ParsedOptions parseOptions(const QStringList &arguments)
{
    ParsedOptions result;
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Rivulet: a local Kafka-style message broker with a live window into it.\n"
                       "Without --headless it opens the desktop window (or runs headless when "
                       "there is no display)."));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help and exit."));
    const QCommandLineOption version({QStringLiteral("v"), QStringLiteral("version")},
                                     QStringLiteral("Show the version and exit."));
    const QCommandLineOption headless(QStringLiteral("headless"),
                                      QStringLiteral("Run the broker without a window."));
    const QCommandLineOption port(
        QStringLiteral("port"),
        QStringLiteral("Native protocol port (default 8080; 0 picks a free one)."),
        QStringLiteral("N"));
    const QCommandLineOption kafkaPort(
        QStringLiteral("kafka-port"),
        QStringLiteral("Kafka protocol port without security (PLAINTEXT; default 9092; 0 picks "
                       "a free one). With --port 0 and no --kafka-port, both ports are picked."),
        QStringLiteral("N"));
    const QCommandLineOption advertisedHost(
        QStringLiteral("advertised-host"),
        QStringLiteral("Host name Kafka clients are told to connect to (default: the listen "
                       "address)."),
        QStringLiteral("HOST"));
    const QCommandLineOption noAutoCreate(
        QStringLiteral("no-auto-create"),
        QStringLiteral("Do not create unknown topics when Kafka clients ask for them."));
    const QCommandLineOption defaultPartitions(
        QStringLiteral("default-partitions"),
        QStringLiteral("Partitions of topics created without a count (default 1)."),
        QStringLiteral("N"));
    const QCommandLineOption listen(
        QStringLiteral("listen"),
        QStringLiteral("Address of the Kafka --kafka-port listener (default 127.0.0.1; 0.0.0.0 "
                       "for every interface). The native listener moves only with "
                       "--native-listen."),
        QStringLiteral("ADDR"));
    const QCommandLineOption inMemory(
        QStringLiteral("in-memory"),
        QStringLiteral("Keep everything in memory only; nothing survives a restart."));
    const QCommandLineOption dataDir(
        QStringLiteral("data-dir"),
        QStringLiteral("Where topics and offsets are stored (default: %1).").arg(defaultDataDir()),
        QStringLiteral("DIR"));
    const QCommandLineOption fsync(
        QStringLiteral("fsync"),
        QStringLiteral("When data is forced to disk: never (left to the OS), interval (every "
                       "second, the default) or always (before each produce is acknowledged)."),
        QStringLiteral("POLICY"));
    const QCommandLineOption segmentBytes(
        QStringLiteral("segment-bytes"),
        QStringLiteral("Size at which a partition starts a new segment file (default 134217728 "
                       "= 128 MiB)."),
        QStringLiteral("BYTES"));
    const QCommandLineOption retentionMs(
        QStringLiteral("retention-ms"),
        QStringLiteral("Default retention by age for new topics: whole segments (4 MiB chunks "
                       "with --in-memory) older than this are deleted (default -1: keep "
                       "everything)."),
        QStringLiteral("MS"));
    const QCommandLineOption retentionBytes(
        QStringLiteral("retention-bytes"),
        QStringLiteral("Default retention by size per partition for new topics (default -1: "
                       "keep everything)."),
        QStringLiteral("BYTES"));
    const QCommandLineOption workers(
        QStringLiteral("workers"),
        QStringLiteral("Worker threads for connections (default: one per core)."),
        QStringLiteral("N"));
    const QCommandLineOption maxRequest(
        QStringLiteral("max-request-bytes"),
        QStringLiteral("Largest request accepted (default 67108864 = 64 MiB)."),
        QStringLiteral("BYTES"));
    const QCommandLineOption seedCompat(
        QStringLiteral("seed-compat"),
        QStringLiteral("Answer a native Consume at or past the end of a non-empty partition as "
                       "the original Rust broker did: with the partition's last record, "
                       "labelled with the offset asked for (for clients written against it; "
                       "docs/PROTOCOL.md 5.2.1)."));
    parser.addOptions({help, version, headless, port, kafkaPort, advertisedHost, noAutoCreate,
                       defaultPartitions, listen, inMemory, dataDir, fsync, segmentBytes,
                       retentionMs, retentionBytes, workers, maxRequest, seedCompat});
    const QCommandLineOption maxConnections(
        QStringLiteral("max-connections"),
        QStringLiteral("Open connections allowed, native and Kafka together; more are closed as "
                       "soon as they are accepted (default 10000)."),
        QStringLiteral("N"));
    parser.addOption(maxConnections);
    const QCommandLineOption requestTimeout(
        QStringLiteral("request-timeout-ms"),
        QStringLiteral("Close a connection that began a request and did not finish sending it "
                       "within this long (default 30000; 0: never)."),
        QStringLiteral("MS"));
    const QCommandLineOption idleTimeout(
        QStringLiteral("idle-timeout-ms"),
        QStringLiteral("Close a connection idle between requests for this long, as Kafka's "
                       "connections.max.idle.ms (default 600000; 0: never)."),
        QStringLiteral("MS"));
    const QCommandLineOption maxQueuedReply(
        QStringLiteral("max-queued-reply-bytes"),
        QStringLiteral("Replies a connection may have waiting for its client to read them; "
                       "past it the connection's next requests wait, and no reply is built "
                       "bigger than the room left (beyond 1 MiB or one record). Default 4194304 "
                       "= 4 MiB: 10 clients pipelining Consumes they never read hold about 74 "
                       "MiB (193 MiB at 16 MiB, 19 at 1 MiB); a fast consumer (native, or kcat "
                       "over Kafka) measured no slower at 1, 4 or 16 MiB."),
        QStringLiteral("BYTES"));
    const QCommandLineOption maxBuffered(
        QStringLiteral("max-buffered-bytes"),
        QStringLiteral("Request and reply bytes all connections together may hold; past it "
                       "big requests and replies wait (default 268435456 = 256 MiB)."),
        QStringLiteral("BYTES"));
    const QCommandLineOption fetchMax(
        QStringLiteral("fetch-max-bytes"),
        QStringLiteral("Most record bytes in one Kafka Fetch answer, whatever the client asks "
                       "(default 57671680, as Kafka's fetch.max.bytes)."),
        QStringLiteral("BYTES"));
    parser.addOptions({requestTimeout, idleTimeout, maxQueuedReply, maxBuffered, fetchMax});
    const QCommandLineOption maxMessage(
        QStringLiteral("max-message-bytes"),
        QStringLiteral("Largest record batch a Kafka producer may send, counted uncompressed: a "
                       "compressed batch that inflates past it is refused (MESSAGE_TOO_LARGE), "
                       "and reading a stored one that does stops there (default 33554432 = 32 "
                       "MiB; Kafka's message.max.bytes of 1048588 bounds a batch as sent, "
                       "compressed, not what it inflates to). Inflating is done off the "
                       "connections' worker threads."),
        QStringLiteral("BYTES"));
    parser.addOption(maxMessage);
    const QCommandLineOption nativeListen(
        QStringLiteral("native-listen"),
        QStringLiteral("Address of the native protocol listener (default 127.0.0.1). The native "
                       "protocol has no authentication: any other address opens it to anyone "
                       "who can reach it."),
        QStringLiteral("ADDR"));
    const QCommandLineOption kafkaListener(
        QStringLiteral("kafka-listener"),
        QStringLiteral("A Kafka listener PROTOCOL://HOST:PORT, PROTOCOL one of PLAINTEXT, SSL, "
                       "SASL_PLAINTEXT, SASL_SSL (repeatable; an empty HOST is --listen's). "
                       "Without --kafka-port, only these listen."),
        QStringLiteral("LISTENER"));
    const QCommandLineOption tlsCert(
        QStringLiteral("kafka-tls-cert"),
        QStringLiteral("PEM certificate (and chain) of the SSL and SASL_SSL listeners."),
        QStringLiteral("FILE"));
    const QCommandLineOption tlsKey(QStringLiteral("kafka-tls-key"),
                                    QStringLiteral("PEM private key of --kafka-tls-cert."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption tlsCa(
        QStringLiteral("kafka-tls-ca"),
        QStringLiteral("PEM certificates of the authorities that sign client certificates."),
        QStringLiteral("FILE"));
    const QCommandLineOption tlsClientAuth(
        QStringLiteral("kafka-tls-client-auth"),
        QStringLiteral("Client certificates on TLS listeners: none (default), requested "
                       "(verified when given) or required."),
        QStringLiteral("MODE"));
    parser.addOptions({nativeListen, kafkaListener, tlsCert, tlsKey, tlsCa, tlsClientAuth});
    const QCommandLineOption connect(
        QStringLiteral("connect"),
        QStringLiteral("Open the window on the Kafka cluster at BOOTSTRAP (HOST:PORT[,HOST:PORT…]) "
                       "instead of running a broker here: no listeners, no data directory."),
        QStringLiteral("BOOTSTRAP"));
    const QCommandLineOption kafkaConfig(
        QStringLiteral("kafka-config"),
        QStringLiteral("With --connect: a librdkafka properties file (security.protocol, "
                       "sasl.mechanism, sasl.username, sasl.password, ssl.ca.location, …). Its "
                       "values are never printed or saved."),
        QStringLiteral("FILE"));
    parser.addOptions({connect, kafkaConfig});

    auto fail = [&](const QString &message) {
        result.action = ParsedOptions::Action::Exit;
        result.exitCode = 2;
        result.message =
            QStringLiteral("rivulet: %1\nTry 'rivulet --help' for the options.").arg(message);
        return result;
    };

    if (!parser.parse(arguments))
        return fail(parser.errorText());
    if (!parser.positionalArguments().isEmpty())
        return fail(
            QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
    if (parser.isSet(help)) {
        result.action = ParsedOptions::Action::Exit;
        result.message = parser.helpText();
        return result;
    }
    if (parser.isSet(version)) {
        result.action = ParsedOptions::Action::Exit;
        result.message = QStringLiteral("rivulet %1").arg(QStringLiteral(RIVULET_VERSION));
        return result;
    }

    Options &o = result.options;
    o.headless = parser.isSet(headless);
    if (parser.isSet(kafkaConfig) && !parser.isSet(connect))
        return fail(QStringLiteral("--kafka-config is for --connect: the properties of the "
                                   "client that reaches another cluster"));
    if (parser.isSet(connect)) {
        if (o.headless)
            return fail(QStringLiteral("--connect opens a window on another cluster and "
                                       "--headless runs a broker without one: pick one"));
        // everything that shapes a broker here means nothing when there is none
        const QList<const QCommandLineOption *> brokerOptions = {
            &port,           &kafkaPort,      &advertisedHost, &noAutoCreate,   &defaultPartitions,
            &listen,         &inMemory,       &dataDir,        &fsync,          &segmentBytes,
            &retentionMs,    &retentionBytes, &workers,        &maxRequest,     &seedCompat,
            &maxConnections, &requestTimeout, &idleTimeout,    &maxQueuedReply, &maxBuffered,
            &fetchMax,       &maxMessage,     &nativeListen,   &kafkaListener,  &tlsCert,
            &tlsKey,         &tlsCa,          &tlsClientAuth};
        for (const QCommandLineOption *option : brokerOptions)
            if (parser.isSet(*option))
                return fail(QStringLiteral("--connect runs no broker here: --%1 does not apply")
                                .arg(option->names().constLast()));
        o.connect = true;
        o.cluster.bootstrap = parser.value(connect).trimmed();
        if (const QString problem = rivulet::bootstrapProblem(o.cluster.bootstrap);
            !problem.isEmpty())
            return fail(QStringLiteral("--connect: %1").arg(problem));
        if (parser.isSet(kafkaConfig)) {
            QString error;
            if (!rivulet::loadKafkaConfig(parser.value(kafkaConfig), o.cluster, error))
                return fail(QStringLiteral("--kafka-config: %1").arg(error));
        }
        return result;
    }
    if (auto error = readNumber(parser, port, {0, 65535}, o.port))
        return fail(*error);
    if (auto error = readNumber(parser, kafkaPort, {0, 65535}, o.kafkaPort))
        return fail(*error);
    if (!parser.isSet(kafkaPort) && parser.isSet(port) && o.port == 0)
        o.kafkaPort = 0;
    if (!parser.isSet(kafkaPort) && o.port == o.kafkaPort && o.port != 0)
        return fail(QStringLiteral("--port %1 is the Kafka port too; pick another with "
                                   "--kafka-port")
                        .arg(o.port));
    o.advertisedHost = parser.value(advertisedHost);
    o.autoCreateTopics = !parser.isSet(noAutoCreate);
    if (auto error = readNumber(parser, defaultPartitions, {1, 10000}, o.defaultPartitions))
        return fail(*error);
    if (parser.isSet(listen)) {
        const auto address = parseAddress(parser.value(listen));
        if (!address)
            return fail(QStringLiteral("--listen wants an IP address such as 127.0.0.1 or "
                                       "0.0.0.0, not '%1'")
                            .arg(parser.value(listen)));
        o.listen = *address;
    }
    o.nativeListenGiven = parser.isSet(nativeListen);
    if (o.nativeListenGiven) {
        const auto address = parseAddress(parser.value(nativeListen));
        if (!address)
            return fail(QStringLiteral("--native-listen wants an IP address such as 127.0.0.1 "
                                       "or 0.0.0.0, not '%1'")
                            .arg(parser.value(nativeListen)));
        o.nativeListen = *address;
    } else if (parser.isSet(listen) && !o.listen.isLoopback()) {
        // --listen used to move both listeners; the native one has no authentication
        o.notes << QStringLiteral("--listen %1 applies to the Kafka listener only; the native "
                                  "protocol has no authentication and stays on 127.0.0.1 "
                                  "(--native-listen %1 exposes it as before)")
                       .arg(parser.value(listen));
    }
    if (parser.isSet(kafkaPort) || !parser.isSet(kafkaListener))
        o.kafkaListeners.push_back({rivulet::SecurityProtocol::Plaintext, o.listen, o.kafkaPort});
    for (const QString &text : parser.values(kafkaListener)) {
        QString error;
        const auto listener = parseListener(text, o.listen, error);
        if (!listener)
            return fail(error);
        o.kafkaListeners.push_back(*listener);
    }
    bool anyTls = false;
    for (const KafkaListener &l : o.kafkaListeners)
        anyTls |= rivulet::usesTls(l.security);
    o.tls.certFile = parser.value(tlsCert);
    o.tls.keyFile = parser.value(tlsKey);
    o.tls.caFile = parser.value(tlsCa);
    if (parser.isSet(tlsClientAuth)) {
        const auto mode = rivulet::tlsClientAuthFromName(parser.value(tlsClientAuth));
        if (!mode)
            return fail(QStringLiteral("--kafka-tls-client-auth wants none, requested or "
                                       "required, not '%1'")
                            .arg(parser.value(tlsClientAuth)));
        o.tls.clientAuth = *mode;
    }
    const bool tlsOptions = parser.isSet(tlsCert) || parser.isSet(tlsKey) || parser.isSet(tlsCa) ||
                            parser.isSet(tlsClientAuth);
    if (tlsOptions && !anyTls)
        return fail(QStringLiteral("the --kafka-tls-* options are for SSL and SASL_SSL "
                                   "listeners; add one with --kafka-listener "
                                   "SSL://127.0.0.1:9093"));
    if (anyTls && (o.tls.certFile.isEmpty() || o.tls.keyFile.isEmpty()))
        return fail(QStringLiteral("an SSL or SASL_SSL listener needs --kafka-tls-cert and "
                                   "--kafka-tls-key ('rivulet-cli tls init DIR' makes a pair "
                                   "for local use)"));
    if (auto error = readNumber(parser, workers, {1, 256}, o.workers))
        return fail(*error);
    if (auto error = readNumber(parser, maxRequest, {1024, 1LL << 30}, o.maxRequestBytes))
        return fail(*error);
    if (auto error = readNumber(parser, maxConnections, {1, 1000000}, o.maxConnections))
        return fail(*error);
    const Accepts timeout{0, std::numeric_limits<int>::max(),
                          "0 (never) or a number of milliseconds"};
    if (auto error = readNumber(parser, requestTimeout, timeout, o.requestTimeoutMs))
        return fail(*error);
    if (auto error = readNumber(parser, idleTimeout, timeout, o.idleTimeoutMs))
        return fail(*error);
    if (auto error = readNumber(parser, maxQueuedReply, {65536, 1LL << 40}, o.maxQueuedReplyBytes))
        return fail(*error);
    if (auto error = readNumber(parser, maxBuffered, {1LL << 20, 1LL << 40}, o.maxBufferedBytes))
        return fail(*error);
    if (auto error = readNumber(parser, fetchMax, {1024, std::numeric_limits<std::int32_t>::max()},
                                o.fetchMaxBytes))
        return fail(*error);
    if (auto error = readNumber(parser, maxMessage, {1024, 1LL << 30}, o.maxMessageBytes))
        return fail(*error);
    o.inMemory = parser.isSet(inMemory);
    o.seedCompat = parser.isSet(seedCompat);
    if (o.inMemory && parser.isSet(dataDir))
        return fail(QStringLiteral("--in-memory and --data-dir cannot be used together"));
    o.dataDir = parser.isSet(dataDir) ? parser.value(dataDir) : defaultDataDir();
    if (o.dataDir.isEmpty())
        return fail(QStringLiteral("--data-dir wants a directory"));
    for (const KafkaListener &l : o.kafkaListeners)
        if (rivulet::usesSasl(l.security) && o.inMemory)
            return fail(QStringLiteral("a %1 listener reads its users from the data directory "
                                       "(users.json, 'rivulet-cli users add'); --in-memory "
                                       "has none")
                            .arg(rivulet::securityProtocolName(l.security)));
    if (parser.isSet(fsync)) {
        const auto policy = rivulet::parseFsyncPolicy(parser.value(fsync));
        if (!policy)
            return fail(QStringLiteral("--fsync wants never, interval or always, not '%1'")
                            .arg(parser.value(fsync)));
        o.log.fsync = *policy;
    }
    if (auto error = readNumber(parser, segmentBytes, {4096, 1LL << 30}, o.log.segmentBytes))
        return fail(*error);
    const Accepts retentionAge{-1, std::numeric_limits<qint64>::max(),
                               "-1 (keep everything) or a number of milliseconds"};
    const Accepts retentionSize{-1, std::numeric_limits<qint64>::max(),
                                "-1 (keep everything) or a number of bytes"};
    if (auto error = readNumber(parser, retentionMs, retentionAge, o.retention.retentionMs))
        return fail(*error);
    if (auto error = readNumber(parser, retentionBytes, retentionSize, o.retention.retentionBytes))
        return fail(*error);
    return result;
}

QString defaultDataDir()
{
    // not AppDataLocation: with the organisation set (appidentity.cpp) that is
    // ~/.local/share/rivulet/rivulet, and the data of earlier versions would be left behind
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
           QStringLiteral("/rivulet");
}

bool noDisplayAvailable()
{
    return qEnvironmentVariableIsEmpty("DISPLAY") &&
           qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
           qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}
