#include "options.h"

#include <QCommandLineParser>
#include <QStandardPaths>

#include <limits>

namespace {

bool parseCount(const QString &text, long long min, long long max, long long &out)
{
    bool ok = false;
    out = text.toLongLong(&ok);
    return ok && out >= min && out <= max;
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
        QStringLiteral("Kafka protocol port (default 9092; 0 picks a free one). With --port 0 "
                       "and no --kafka-port, both ports are picked."),
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
        QStringLiteral("Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)."),
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
        QStringLiteral("Default retention by age for new topics: whole segments older than this "
                       "are deleted (default -1: keep everything)."),
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
    parser.addOptions({help, version, headless, port, kafkaPort, advertisedHost, noAutoCreate,
                       defaultPartitions, listen, inMemory, dataDir, fsync, segmentBytes,
                       retentionMs, retentionBytes, workers, maxRequest});

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
    long long n = 0;
    if (parser.isSet(port)) {
        if (!parseCount(parser.value(port), 0, 65535, n))
            return fail(QStringLiteral("--port wants a number from 0 to 65535, not '%1'")
                            .arg(parser.value(port)));
        o.port = quint16(n);
    }
    if (parser.isSet(kafkaPort)) {
        if (!parseCount(parser.value(kafkaPort), 0, 65535, n))
            return fail(QStringLiteral("--kafka-port wants a number from 0 to 65535, not '%1'")
                            .arg(parser.value(kafkaPort)));
        o.kafkaPort = quint16(n);
    } else if (parser.isSet(port) && o.port == 0) {
        o.kafkaPort = 0;
    }
    if (!parser.isSet(kafkaPort) && o.port == o.kafkaPort && o.port != 0)
        return fail(QStringLiteral("--port %1 is the Kafka port too; pick another with "
                                   "--kafka-port")
                        .arg(o.port));
    o.advertisedHost = parser.value(advertisedHost);
    o.autoCreateTopics = !parser.isSet(noAutoCreate);
    if (parser.isSet(defaultPartitions)) {
        if (!parseCount(parser.value(defaultPartitions), 1, 10000, n))
            return fail(QStringLiteral("--default-partitions wants a number from 1 to 10000, "
                                       "not '%1'")
                            .arg(parser.value(defaultPartitions)));
        o.defaultPartitions = int(n);
    }
    if (parser.isSet(listen)) {
        QHostAddress address;
        const QString text = parser.value(listen);
        if (text == u"localhost")
            address = QHostAddress(QHostAddress::LocalHost);
        else if (!address.setAddress(text))
            return fail(QStringLiteral("--listen wants an IP address such as 127.0.0.1 or "
                                       "0.0.0.0, not '%1'")
                            .arg(text));
        o.listen = address;
    }
    if (parser.isSet(workers)) {
        if (!parseCount(parser.value(workers), 1, 256, n))
            return fail(QStringLiteral("--workers wants a number from 1 to 256, not '%1'")
                            .arg(parser.value(workers)));
        o.workers = int(n);
    }
    if (parser.isSet(maxRequest)) {
        if (!parseCount(parser.value(maxRequest), 1024, 1LL << 30, n))
            return fail(QStringLiteral("--max-request-bytes wants a number from 1024 to "
                                       "1073741824, not '%1'")
                            .arg(parser.value(maxRequest)));
        o.maxRequestBytes = std::size_t(n);
    }
    o.inMemory = parser.isSet(inMemory);
    if (o.inMemory && parser.isSet(dataDir))
        return fail(QStringLiteral("--in-memory and --data-dir cannot be used together"));
    o.dataDir = parser.isSet(dataDir) ? parser.value(dataDir) : defaultDataDir();
    if (o.dataDir.isEmpty())
        return fail(QStringLiteral("--data-dir wants a directory"));
    if (parser.isSet(fsync)) {
        const auto policy = rivulet::parseFsyncPolicy(parser.value(fsync));
        if (!policy)
            return fail(QStringLiteral("--fsync wants never, interval or always, not '%1'")
                            .arg(parser.value(fsync)));
        o.log.fsync = *policy;
    }
    if (parser.isSet(segmentBytes)) {
        if (!parseCount(parser.value(segmentBytes), 4096, 1LL << 30, n))
            return fail(QStringLiteral("--segment-bytes wants a number from 4096 to 1073741824, "
                                       "not '%1'")
                            .arg(parser.value(segmentBytes)));
        o.log.segmentBytes = n;
    }
    if (parser.isSet(retentionMs)) {
        if (!parseCount(parser.value(retentionMs), -1, std::numeric_limits<qint64>::max(), n))
            return fail(QStringLiteral("--retention-ms wants -1 or a number of milliseconds, "
                                       "not '%1'")
                            .arg(parser.value(retentionMs)));
        o.retention.retentionMs = n;
    }
    if (parser.isSet(retentionBytes)) {
        if (!parseCount(parser.value(retentionBytes), -1, std::numeric_limits<qint64>::max(), n))
            return fail(QStringLiteral("--retention-bytes wants -1 or a number of bytes, not "
                                       "'%1'")
                            .arg(parser.value(retentionBytes)));
        o.retention.retentionBytes = n;
    }
    return result;
}

QString defaultDataDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
}

bool noDisplayAvailable()
{
    return qEnvironmentVariableIsEmpty("DISPLAY") &&
           qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
           qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}
