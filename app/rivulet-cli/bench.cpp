#include "bench.h"

#include "args.h"
#include "benchbroker.h"
#include "benchidle.h"
#include "benchpartitions.h"
#include "benchrecovery.h"
#include "benchrun.h"
#include "benchwire.h"
#include "commands.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QThread>

#include <cstdio>
#include <limits>

namespace cli {

namespace {

using namespace bench;

const QStringList kValueOptions = {QStringLiteral("producers"),
                                   QStringLiteral("consumers"),
                                   QStringLiteral("partitions"),
                                   QStringLiteral("messages"),
                                   QStringLiteral("size"),
                                   QStringLiteral("batch"),
                                   QStringLiteral("inflight"),
                                   QStringLiteral("limit"),
                                   QStringLiteral("rate"),
                                   QStringLiteral("fsync"),
                                   QStringLiteral("data-dir"),
                                   QStringLiteral("broker"),
                                   QStringLiteral("host"),
                                   QStringLiteral("port"),
                                   QStringLiteral("broker-pid"),
                                   QStringLiteral("peer"),
                                   QStringLiteral("topic"),
                                   QStringLiteral("json"),
                                   QStringLiteral("runs"),
                                   QStringLiteral("partition-scale"),
                                   QStringLiteral("idle-connections")};
const QStringList kFlagOptions = {QStringLiteral("seed-values"), QStringLiteral("seed-workload"),
                                  QStringLiteral("sequential"),  QStringLiteral("in-memory"),
                                  QStringLiteral("keep-data"),   QStringLiteral("quiet"),
                                  QStringLiteral("recovery"),    QStringLiteral("verify-selftest")};

int usage(const QString &message)
{
    return cli::usage(QStringLiteral("bench"), message);
}

// The bench takes options only: a positional argument is a mistake worth naming.
struct Parsed : cli::Args
{
};

Parsed parse(const QStringList &args)
{
    Parsed out{cli::parseArgs(args, kValueOptions, kFlagOptions)};
    if (out.error.isEmpty() && !out.positional.isEmpty())
        out.error = QStringLiteral("unexpected argument '%1'").arg(out.positional.first());
    return out;
}

template <typename T>
bool number(const Parsed &p, const char *name, double min, double max, T &out, QString &error)
{
    const QString key = QLatin1String(name);
    if (!p.values.contains(key))
        return true;
    bool ok = false;
    const double v = p.values.value(key).toDouble(&ok);
    if (!ok || v < min || v > max || (std::is_integral_v<T> && v != double(qint64(v)))) {
        error = QStringLiteral("--%1 wants a number from %2 to %3, not '%4'")
                    .arg(key)
                    .arg(min, 0, 'f', 0)
                    .arg(max, 0, 'f', 0)
                    .arg(p.values.value(key));
        return false;
    }
    out = T(v);
    return true;
}

QString grouped(double v)
{
    QString digits = QString::number(qint64(v + 0.5));
    for (qsizetype i = digits.size() - 3; i > (digits.startsWith(u'-') ? 1 : 0); i -= 3)
        digits.insert(i, u',');
    return digits;
}

QString micros(double ns)
{
    return QString::number(ns / 1000.0, 'f', ns < 10000000 ? 1 : 0);
}

QString describeLoad(const Options &o)
{
    const QString values = o.seedValues ? QStringLiteral("\"nice message {i}\" values")
                                        : QStringLiteral("%1-byte values").arg(o.size);
    QString s = QStringLiteral("%1 producer%2 x %3 %4, batch %5, %6 in flight, -> %7 partition%8")
                    .arg(o.producers)
                    .arg(o.producers == 1 ? "" : "s")
                    .arg(grouped(double(o.messages)), values)
                    .arg(o.batch)
                    .arg(o.inflight)
                    .arg(o.partitions)
                    .arg(o.partitions == 1 ? "" : "s");
    s += QStringLiteral("; %1 consumer%2, limit %3")
             .arg(o.consumers)
             .arg(o.consumers == 1 ? "" : "s")
             .arg(o.limit > 0 ? o.limit : o.batch);
    s += o.sequential ? QStringLiteral(", after the producers") : QStringLiteral(", concurrently");
    if (o.rate > 0)
        s += QStringLiteral("; paced at %1 msgs/s").arg(grouped(o.rate));
    if (o.idleConnections > 0)
        s += QStringLiteral("; %1 idle connections held open meanwhile")
                 .arg(grouped(o.idleConnections));
    return s;
}

// The broker's memory around --idle-connections: before they open, once they are open (before
// the load), and after they closed, when the broker should have given their memory back.
struct IdleMemory
{
    ProcessUsage before;
    ProcessUsage open;
    ProcessUsage after;
    double afterSeconds = 0;

    // The broker notices the closes, frees the sessions and gives the memory back on its
    // next sweep (at most a second later): sampled for a few seconds, the lowest kept.
    void measureAfterClose(qint64 pid)
    {
        QElapsedTimer clock;
        clock.start();
        for (int i = 0; i < 16; ++i) {
            QThread::msleep(250);
            const ProcessUsage now = processUsage(pid);
            if (now.ok && (!after.ok || now.rssKiB < after.rssKiB)) {
                after = now;
                afterSeconds = double(clock.elapsed()) / 1000;
            }
        }
    }
    void report(int connections) const
    {
        if (!before.ok || !open.ok || !after.ok) {
            std::printf("idle     broker RSS unknown (give --broker-pid for a broker at --port)\n");
            return;
        }
        std::printf("idle     broker RSS %.1f MiB before %s idle connections, %.1f MiB with them "
                    "open, %.1f MiB %.1f s after they closed\n",
                    double(before.rssKiB) / 1024, qPrintable(grouped(connections)),
                    double(open.rssKiB) / 1024, double(after.rssKiB) / 1024, afterSeconds);
    }
    QJsonObject toJson() const
    {
        return {{QStringLiteral("before"), double(before.rssKiB) / 1024},
                {QStringLiteral("open"), double(open.rssKiB) / 1024},
                {QStringLiteral("after_close"), double(after.rssKiB) / 1024}};
    }
};

void printPhase(const char *name, const Phase &phase)
{
    std::printf("%-9s%s msgs in %.3f s: %s msgs/s, %.1f MB/s (%s requests)\n", name,
                qPrintable(grouped(double(phase.messages))), phase.seconds,
                qPrintable(grouped(phase.rate())), phase.megabytesPerSecond(),
                qPrintable(grouped(double(phase.requests))));
}

QJsonObject toJson(const Options &o, const QString &brokerKind, const RunResult &r)
{
    QJsonObject j;
    j[u"peer"] = o.peer == Peer::Redis ? QStringLiteral("redis") : QStringLiteral("rivulet");
    j[u"broker"] = brokerKind;
    j[u"producers"] = o.producers;
    j[u"consumers"] = o.consumers;
    j[u"partitions"] = o.partitions;
    j[u"messages_per_producer"] = double(o.messages);
    j[u"value_size"] = o.seedValues ? -1 : o.size;
    j[u"batch"] = o.batch;
    j[u"inflight"] = o.inflight;
    j[u"limit"] = o.limit > 0 ? o.limit : o.batch;
    j[u"rate"] = o.rate;
    j[u"sequential"] = o.sequential;
    j[u"idle_connections"] = o.idleConnections;
    const auto phase = [](const Phase &p) {
        QJsonObject x;
        x[u"messages"] = double(p.messages);
        x[u"seconds"] = p.seconds;
        x[u"msgs_per_s"] = p.rate();
        x[u"mb_per_s"] = p.megabytesPerSecond();
        x[u"requests"] = double(p.requests);
        x[u"broker_cpu_us_per_msg"] = p.brokerCpuSeconds >= 0 && p.messages > 0
                                          ? p.brokerCpuSeconds * 1e6 / double(p.messages)
                                          : -1;
        return x;
    };
    j[u"produce"] = phase(r.produce);
    j[u"consume"] = phase(r.consume);
    j[u"latency_us"] = QJsonObject{{QStringLiteral("p50"), r.latency.p50 / 1000},
                                   {QStringLiteral("p99"), r.latency.p99 / 1000},
                                   {QStringLiteral("p999"), r.latency.p999 / 1000},
                                   {QStringLiteral("max"), r.latency.max / 1000}};
    j[u"late_sends"] = double(r.lateSends);
    if (o.rate > 0)
        j[u"latency_from_schedule_us"] =
            QJsonObject{{QStringLiteral("p50"), r.fromSchedule.p50 / 1000},
                        {QStringLiteral("p99"), r.fromSchedule.p99 / 1000},
                        {QStringLiteral("p999"), r.fromSchedule.p999 / 1000},
                        {QStringLiteral("max"), r.fromSchedule.max / 1000}};
    j[u"wall_s"] = r.wallSeconds;
    if (r.brokerAfter.ok) {
        j[u"broker_cpu_s"] = r.brokerCpuSeconds();
        j[u"broker_user_s"] = r.brokerAfter.userSeconds - r.brokerBefore.userSeconds;
        j[u"broker_sys_s"] = r.brokerAfter.systemSeconds - r.brokerBefore.systemSeconds;
        j[u"broker_cpu_us_per_msg"] =
            r.moved() ? r.brokerCpuSeconds() * 1e6 / double(r.moved()) : 0;
        j[u"broker_peak_rss_mib"] = double(r.brokerAfter.peakRssKiB) / 1024;
        j[u"broker_rss_mib"] = double(r.brokerAfter.rssKiB) / 1024;
    }
    j[u"client_cpu_s"] = r.clientCpuSeconds();
    j[u"other_cpu_s"] = r.otherCpuSeconds();
    j[u"verified"] = !r.failed && !r.mismatch;
    j[u"errors"] = QJsonArray::fromStringList(r.errors);
    return j;
}

void report(const Options &o, const QString &brokerKind, const RunResult &r)
{
    std::printf("rivulet-cli bench: %s\n", qPrintable(describeLoad(o)));
    std::printf("broker   %s\n", qPrintable(brokerKind));
    if (r.produce.messages > 0) {
        printPhase("produce", r.produce);
        std::printf("         round trip p50 %s us, p99 %s us, p99.9 %s us, max %s us",
                    qPrintable(micros(r.latency.p50)), qPrintable(micros(r.latency.p99)),
                    qPrintable(micros(r.latency.p999)), qPrintable(micros(r.latency.max)));
        std::printf("\n");
        if (o.rate > 0)
            std::printf(
                "         from schedule p50 %s us, p99 %s us, p99.9 %s us, max %s us "
                "(%s sends over 1 ms late)\n",
                qPrintable(micros(r.fromSchedule.p50)), qPrintable(micros(r.fromSchedule.p99)),
                qPrintable(micros(r.fromSchedule.p999)), qPrintable(micros(r.fromSchedule.max)),
                qPrintable(grouped(double(r.lateSends))));
    }
    if (r.consume.messages > 0 || o.consumers > 0) {
        printPhase("consume", r.consume);
        if (r.emptyReplies > 0 || r.staleRecords > 0)
            std::printf("         %s empty replies (caught up), %s records re-read past a short "
                        "reply\n",
                        qPrintable(grouped(double(r.emptyReplies))),
                        qPrintable(grouped(double(r.staleRecords))));
    }
    if (r.brokerAfter.ok && r.brokerBefore.ok) {
        const double cpu = r.brokerCpuSeconds();
        std::printf("broker   CPU %.2f s (user %.2f, system %.2f) = %.3f us per message moved "
                    "(%s moved); peak RSS %.1f MiB, RSS now %.1f MiB\n",
                    cpu, r.brokerAfter.userSeconds - r.brokerBefore.userSeconds,
                    r.brokerAfter.systemSeconds - r.brokerBefore.systemSeconds,
                    r.moved() ? cpu * 1e6 / double(r.moved()) : 0.0,
                    qPrintable(grouped(double(r.moved()))), double(r.brokerAfter.peakRssKiB) / 1024,
                    double(r.brokerAfter.rssKiB) / 1024);
        if (r.produce.brokerCpuSeconds >= 0 && r.produce.messages > 0)
            std::printf("         produce %.3f us/msg",
                        r.produce.brokerCpuSeconds * 1e6 / double(r.produce.messages));
        if (r.consume.brokerCpuSeconds >= 0 && r.consume.messages > 0)
            std::printf("%sconsume %.3f us/msg",
                        r.produce.brokerCpuSeconds >= 0 ? ", " : "         ",
                        r.consume.brokerCpuSeconds * 1e6 / double(r.consume.messages));
        if (r.produce.brokerCpuSeconds >= 0 || r.consume.brokerCpuSeconds >= 0)
            std::printf("\n");
    } else {
        std::printf("broker   CPU and memory unknown (give --broker-pid for a broker at --port)\n");
    }
    std::printf("client   CPU %.2f s for %.2f s of wall time\n", r.clientCpuSeconds(),
                r.wallSeconds);
    const double capacity = r.wallSeconds * double(QThread::idealThreadCount());
    std::printf("machine  other processes took %.2f CPU-s (%.0f%% of the %d cores) during the "
                "run%s\n",
                r.otherCpuSeconds(), capacity > 0 ? 100 * r.otherCpuSeconds() / capacity : 0.0,
                QThread::idealThreadCount(),
                capacity > 0 && r.otherCpuSeconds() / capacity > 0.1 ? ": figures are noisy" : "");
    if (r.failed || r.mismatch) {
        std::printf("verify   FAILED%s\n", r.mismatch ? "" : " (the load did not complete)");
        for (const QString &e : r.errors)
            std::printf("         %s\n", qPrintable(e));
    } else if (o.consumers > 0) {
        std::printf("verify   OK: every consumer saw every message of its partitions once, in "
                    "order, with the right bytes\n");
    } else {
        std::printf("verify   OK: every produce acknowledged (no consumers to read back)\n");
    }
    std::fflush(stdout);
}

} // namespace

int runBench(const QString &host, quint16 port, bool portGiven, const QStringList &args)
{
    const Parsed p = parse(args);
    if (!p.error.isEmpty())
        return usage(p.error);
    Options o;
    o.host = host;
    o.port = port;
    o.external = portGiven;
    if (p.flags.contains(QStringLiteral("seed-workload"))) {
        // the original project's load
        o.producers = o.consumers = o.partitions = 10;
        o.messages = 2000000;
        o.seedValues = true;
        o.batch = o.limit = 30;
        o.inflight = 1;
    }
    QString error;
    int runs = 3;
    if (!number(p, "producers", 1, 10000, o.producers, error) ||
        !number(p, "consumers", 0, 10000, o.consumers, error) ||
        !number(p, "partitions", 1, 10000, o.partitions, error) ||
        !number(p, "messages", 1, 4294967295.0, o.messages, error) ||
        !number(p, "size", 0, 16 << 20, o.size, error) ||
        !number(p, "batch", 1, 1000000, o.batch, error) ||
        !number(p, "inflight", 1, 4096, o.inflight, error) ||
        !number(p, "limit", 0, 1000000, o.limit, error) ||
        !number(p, "rate", 0, 1e9, o.rate, error) || !number(p, "port", 1, 65535, o.port, error) ||
        !number(p, "broker-pid", 1, 1e9, o.externalPid, error) ||
        !number(p, "runs", 1, 100, runs, error) ||
        !number(p, "idle-connections", 0, 1000000, o.idleConnections, error))
        return usage(error);
    if (p.values.contains(QStringLiteral("port")))
        o.external = true;
    o.host = p.values.value(QStringLiteral("host"), o.host);
    o.seedValues = o.seedValues || p.flags.contains(QStringLiteral("seed-values"));
    o.sequential = p.flags.contains(QStringLiteral("sequential"));
    o.inMemory = p.flags.contains(QStringLiteral("in-memory"));
    o.keepData = p.flags.contains(QStringLiteral("keep-data"));
    o.quiet = p.flags.contains(QStringLiteral("quiet"));
    o.verifySelftest = p.flags.contains(QStringLiteral("verify-selftest"));
    o.fsync = p.values.value(QStringLiteral("fsync"));
    o.dataDir = p.values.value(QStringLiteral("data-dir"));
    o.brokerPath = p.values.value(QStringLiteral("broker"), defaultBrokerPath());
    o.jsonPath = p.values.value(QStringLiteral("json"));
    const QString peer = p.values.value(QStringLiteral("peer"), QStringLiteral("rivulet"));
    if (peer == u"redis")
        o.peer = Peer::Redis;
    else if (peer != u"rivulet")
        return usage(QStringLiteral("--peer is rivulet or redis, not '%1'").arg(peer));
    if (o.peer == Peer::Redis && !o.external)
        return usage(QStringLiteral("--peer redis needs the --port of a running redis-server"));
    if (o.inMemory && !o.dataDir.isEmpty())
        return usage(QStringLiteral("--in-memory and --data-dir exclude each other"));
    if (!o.fsync.isEmpty() && o.fsync != u"never" && o.fsync != u"interval" && o.fsync != u"always")
        return usage(QStringLiteral("--fsync is never, interval or always"));
    if (o.external && (o.inMemory || !o.fsync.isEmpty() || !o.dataDir.isEmpty()))
        return usage(QStringLiteral("--in-memory, --fsync and --data-dir configure the bench's "
                                    "own broker; leave them out with --port"));
    // the native protocol's offsets are 32 bits
    const auto perPartition =
        std::uint64_t(o.messages) * std::uint64_t((o.producers + o.partitions - 1) / o.partitions);
    if (perPartition > std::numeric_limits<std::uint32_t>::max())
        return usage(QStringLiteral("a partition would get %1 messages, past the native "
                                    "protocol's 32-bit offsets")
                         .arg(perPartition));

    o.topic = p.values.value(QStringLiteral("topic"));
    if (p.values.contains(QStringLiteral("partition-scale"))) {
        int partitions = 0;
        if (!number(p, "partition-scale", 1, 1000000, partitions, error))
            return usage(error);
        return runPartitionScale(o, partitions);
    }
    if (p.flags.contains(QStringLiteral("recovery"))) {
        // reading 20M messages back 30 at a time, one request at a time, takes minutes
        if (!p.values.contains(QStringLiteral("limit")))
            o.limit = 1000;
        if (!p.values.contains(QStringLiteral("inflight")))
            o.inflight = 4;
        return runRecovery(o, runs);
    }

    ValueSource values(o.size, o.seedValues);
    error = checkNativeEncoding(values);
    if (!error.isEmpty()) {
        std::fprintf(stderr, "rivulet-cli bench: %s\n", qPrintable(error));
        return BrokerError;
    }
    if (o.verifySelftest)
        values.corruptExpectation(0, std::uint64_t(o.messages / 2));
    const QByteArray topic =
        (o.topic.isEmpty()
             ? QStringLiteral("bench-%1-%2")
                   .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")))
                   .arg(QCoreApplication::applicationPid())
             : o.topic)
            .toUtf8();

    ChildBroker child;
    QTemporaryDir tempDir(QDir::tempPath() + QStringLiteral("/rivulet-bench-XXXXXX"));
    QString brokerKind;
    qint64 brokerPid = o.externalPid;
    quint16 brokerPort = o.port;
    if (!o.external) {
        QStringList brokerArgs{QStringLiteral("--headless"), QStringLiteral("--port"),
                               QStringLiteral("0")};
        QString dir = o.dataDir;
        if (o.inMemory) {
            brokerArgs << QStringLiteral("--in-memory");
        } else {
            if (dir.isEmpty()) {
                if (!tempDir.isValid())
                    return usage(QStringLiteral("cannot make a temporary data directory"));
                dir = tempDir.path();
            }
            brokerArgs << QStringLiteral("--data-dir") << dir;
        }
        if (!o.fsync.isEmpty())
            brokerArgs << QStringLiteral("--fsync") << o.fsync;
        // room for the idle connections next to the load's own; only past the default
        // (10,000), so that brokers without the option still run the smaller loads
        const int needed = o.idleConnections + o.producers + o.consumers + 64;
        if (o.idleConnections > 0 && needed > 10000)
            brokerArgs << QStringLiteral("--max-connections") << QString::number(needed);
        tempDir.setAutoRemove(!o.keepData);
        if (!child.start(o.brokerPath, brokerArgs, error)) {
            std::fprintf(stderr, "rivulet-cli bench: %s\n", qPrintable(error));
            return Unreachable;
        }
        o.host = child.host();
        brokerPort = child.port();
        brokerPid = child.pid();
        brokerKind = QStringLiteral("child rivulet (pid %1), %2, fsync %3")
                         .arg(brokerPid)
                         .arg(o.inMemory ? QStringLiteral("in memory")
                                         : QStringLiteral("durable log in %1").arg(dir))
                         .arg(o.fsync.isEmpty() ? QStringLiteral("interval") : o.fsync);
    } else {
        brokerKind = QStringLiteral("%1 at %2:%3%4")
                         .arg(o.peer == Peer::Redis ? QStringLiteral("redis-server")
                                                    : QStringLiteral("rivulet"))
                         .arg(o.host)
                         .arg(brokerPort)
                         .arg(brokerPid ? QStringLiteral(" (pid %1)").arg(brokerPid) : QString());
    }

    error = prepareTopic(o, brokerPort, topic);
    if (!error.isEmpty()) {
        std::fprintf(stderr, "rivulet-cli bench: %s\n", qPrintable(error));
        return Unreachable;
    }
    IdleConnections idle;
    IdleMemory idleMemory;
    if (o.idleConnections > 0) {
        idleMemory.before = processUsage(brokerPid);
        error = idle.open(o.host, brokerPort, topic, o.idleConnections);
        if (!error.isEmpty()) {
            std::fprintf(stderr, "rivulet-cli bench: %s\n", qPrintable(error));
            idle.close();
            if (!o.external)
                child.stop();
            return Unreachable;
        }
    }
    idleMemory.open = processUsage(brokerPid);
    RunPlan plan;
    plan.perProducer = std::uint64_t(o.messages);
    const RunResult result = runLoad(o, brokerPort, brokerPid, topic, values, plan);
    idle.close();
    if (o.idleConnections > 0)
        idleMemory.measureAfterClose(brokerPid);
    if (!o.external && !child.stop())
        std::fprintf(stderr, "rivulet-cli bench: the broker did not stop cleanly\n");
    if (!o.external && o.keepData && !o.inMemory)
        std::printf("data kept in %s\n",
                    qPrintable(o.dataDir.isEmpty() ? tempDir.path() : o.dataDir));
    report(o, brokerKind, result);
    if (o.idleConnections > 0)
        idleMemory.report(o.idleConnections);
    if (!o.jsonPath.isEmpty()) {
        QJsonObject json = toJson(o, brokerKind, result);
        if (o.idleConnections > 0 && idleMemory.before.ok)
            json[u"idle_rss_mib"] = idleMemory.toJson();
        writeJsonReport(o, json);
    }
    if (result.mismatch)
        return BrokerError;
    return result.failed ? Unreachable : Ok;
}

} // namespace cli
