#include "benchrecovery.h"

#include "benchbroker.h"
#include "benchrun.h"
#include "commands.h"
#include "native/nativeclient.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <cstdio>

#include <unistd.h>

namespace cli::bench {
namespace {

constexpr int kIdleSettleMs = 2000;

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

QString list(const std::vector<double> &v)
{
    QStringList parts;
    for (const double x : v)
        parts << QString::number(x, 'f', 1);
    return parts.join(QStringLiteral(", "));
}

QJsonArray jsonList(const std::vector<double> &v)
{
    QJsonArray a;
    for (const double x : v)
        a.append(x);
    return a;
}

QStringList brokerArgs(const Options &o, const QString &dir)
{
    QStringList args{QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("0"),
                     QStringLiteral("--data-dir"), dir};
    if (!o.fsync.isEmpty())
        args << QStringLiteral("--fsync") << o.fsync;
    return args;
}

// Page cache out, so start-up reads from the disk; needs root outside a container.
bool dropCaches()
{
    sync();
    QFile f(QStringLiteral("/proc/sys/vm/drop_caches"));
    return f.open(QIODevice::WriteOnly) && f.write("3\n") == 2 && f.flush();
}

struct LogShape
{
    QByteArray topic;
    std::uint64_t messages = 0;
    QString error;
};

// The messages the broker holds in the bench's topic (the only one, or --topic).
LogShape logShape(const Options &o, quint16 port)
{
    using namespace rivulet::native;
    LogShape shape;
    NativeClient client;
    Reply reply;
    if (!client.connectTo(o.host, port) || !client.call(encodeListTopics(), reply)) {
        shape.error = client.errorString();
        return shape;
    }
    for (const TopicPartitionInfo &p : reply.topicPartitions) {
        if (!o.topic.isEmpty() && p.topic != o.topic.toUtf8())
            continue;
        if (!shape.topic.isEmpty() && p.topic != shape.topic) {
            shape.error = QStringLiteral("the data directory holds several topics; name one "
                                         "with --topic");
            return shape;
        }
        shape.topic = p.topic;
        shape.messages += p.endOffset - p.startOffset;
    }
    return shape;
}

qint64 diskBytes(const QString &dir, int &files)
{
    qint64 total = 0;
    files = 0;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        total += it.fileInfo().size();
        ++files;
    }
    return total;
}

struct Samples
{
    std::vector<double> cleanStart, crashStart, stop, idleRss, crashRss;
};

} // namespace

int runRecovery(const Options &given, int runs)
{
    Options o = given;
    if (o.external || o.inMemory || o.peer != Peer::Rivulet) {
        std::fprintf(stderr, "rivulet-cli bench --recovery: starts its own brokers on a data "
                             "directory; leave out --port, --peer and --in-memory\n");
        return Usage;
    }
    QTemporaryDir temp(QDir::tempPath() + QStringLiteral("/rivulet-recovery-XXXXXX"));
    temp.setAutoRemove(!o.keepData);
    const QString dir = o.dataDir.isEmpty() ? temp.path() : o.dataDir;
    const std::uint64_t expected = std::uint64_t(o.messages) * std::uint64_t(o.producers);
    const ValueSource values(o.size, o.seedValues);
    QString error;
    QJsonObject json;
    auto fail = [&](const QString &why) {
        std::fprintf(stderr, "rivulet-cli bench --recovery: %s\n", qPrintable(why));
        return Unreachable;
    };

    // baseline: the same broker on an empty directory
    std::vector<double> emptyStart;
    for (int i = 0; i < runs; ++i) {
        QTemporaryDir empty(QDir::tempPath() + QStringLiteral("/rivulet-empty-XXXXXX"));
        ChildBroker b;
        if (!b.start(o.brokerPath, brokerArgs(o, empty.path()), error))
            return fail(error);
        emptyStart.push_back(b.startupMs());
        b.stop();
    }

    // fill, unless the directory already holds a log
    QByteArray topic = o.topic.toUtf8();
    if (!QFile::exists(QDir(dir).filePath(QStringLiteral("topics.json")))) {
        ChildBroker b;
        if (!b.start(o.brokerPath, brokerArgs(o, dir), error))
            return fail(error);
        if (topic.isEmpty())
            topic = QByteArrayLiteral("recovery");
        o.host = b.host();
        error = prepareTopic(o, b.port(), topic);
        if (!error.isEmpty())
            return fail(error);
        RunPlan plan;
        plan.consume = false;
        plan.perProducer = std::uint64_t(o.messages);
        const RunResult fill = runLoad(o, b.port(), b.pid(), topic, values, plan);
        if (fill.failed || fill.mismatch)
            return fail(fill.errors.join(QStringLiteral("; ")));
        std::printf("filled   %llu messages in %.1f s (%.0f msgs/s, broker %.3f us/msg)\n",
                    static_cast<unsigned long long>(fill.produce.messages), fill.produce.seconds,
                    fill.produce.rate(),
                    fill.brokerCpuSeconds() * 1e6 / double(fill.produce.messages));
        if (!b.stop())
            return fail(QStringLiteral("the broker did not stop cleanly after the fill"));
    }
    int files = 0;
    const qint64 bytes = diskBytes(dir, files);
    // ask without dropping: the warm runs come first
    const bool canDrop = ::access("/proc/sys/vm/drop_caches", W_OK) == 0;

    // Start-up after a clean stop and after kill -9, with the page cache warm (a restart)
    // and, where it can be dropped, cold (a reboot). The first warm run also measures the
    // idle RSS and has one consumer read everything.
    Samples warm, cold;
    RunResult read;
    double rssAfterRead = 0, peakAfterRead = 0;
    const auto verifyShape = [&](ChildBroker &b, const char *when) -> QString {
        o.host = b.host();
        const LogShape shape = logShape(o, b.port());
        if (!shape.error.isEmpty())
            return shape.error;
        if (shape.messages != expected)
            return QStringLiteral("%1 the log holds %2 messages where %3 were acknowledged (give "
                                  "the --producers/--messages that filled it)")
                .arg(QLatin1String(when))
                .arg(shape.messages)
                .arg(expected);
        topic = shape.topic;
        return {};
    };
    for (const bool dropped : {false, true}) {
        if (dropped && !canDrop)
            break;
        Samples &into = dropped ? cold : warm;
        for (int i = 0; i < runs; ++i) {
            if (dropped)
                dropCaches();
            ChildBroker b;
            if (!b.start(o.brokerPath, brokerArgs(o, dir), error))
                return fail(error);
            into.cleanStart.push_back(b.startupMs());
            error = verifyShape(b, "after a clean stop");
            if (!error.isEmpty())
                return fail(error);
            if (!dropped) {
                QThread::msleep(kIdleSettleMs);
                into.idleRss.push_back(double(processUsage(b.pid()).rssKiB) / 1024);
            }
            if (!dropped && i == 0) {
                Options reader = o;
                reader.consumers = 1;
                RunPlan plan;
                plan.produce = false;
                plan.perProducer = std::uint64_t(o.messages);
                read = runLoad(reader, b.port(), b.pid(), topic, values, plan);
                if (read.failed || read.mismatch)
                    return fail(QStringLiteral("reading back: %1")
                                    .arg(read.errors.join(QStringLiteral("; "))));
                const ProcessUsage after = processUsage(b.pid());
                rssAfterRead = double(after.rssKiB) / 1024;
                peakAfterRead = double(after.peakRssKiB) / 1024;
            }
            if (!b.stop())
                return fail(QStringLiteral("the broker did not stop cleanly"));
            into.stop.push_back(b.stopMs());
        }
        // kill -9, then start again: the newest segments are checked batch by batch
        for (int i = 0; i < runs; ++i) {
            {
                ChildBroker victim;
                if (!victim.start(o.brokerPath, brokerArgs(o, dir), error))
                    return fail(error);
                victim.killHard();
            }
            if (dropped)
                dropCaches();
            ChildBroker b;
            b.setExpectUncleanStart(true);
            if (!b.start(o.brokerPath, brokerArgs(o, dir), error))
                return fail(error);
            into.crashStart.push_back(b.startupMs());
            error = verifyShape(b, "after kill -9");
            if (!error.isEmpty())
                return fail(error);
            into.crashRss.push_back(double(processUsage(b.pid()).rssKiB) / 1024);
            if (!b.stop())
                return fail(QStringLiteral("the broker did not stop cleanly after recovering"));
        }
    }

    std::printf("recovery: %s messages in %d partitions of topic %s, %.1f MiB in %d files (%s)\n",
                qPrintable(QString::number(expected)), o.partitions, topic.constData(),
                double(bytes) / 1048576.0, files, qPrintable(dir));
    const auto line = [](const char *what, const std::vector<double> &v, const char *unit) {
        if (!v.empty())
            std::printf("%-46s median %.1f %s (%s)\n", what, median(v), unit, qPrintable(list(v)));
    };
    line("start-up to ready, empty data dir:", emptyStart, "ms");
    line("start-up to ready, after clean stop:", warm.cleanStart, "ms");
    line("start-up to ready, after kill -9:", warm.crashStart, "ms");
    line("start-up, clean stop, page cache dropped:", cold.cleanStart, "ms");
    line("start-up, kill -9, page cache dropped:", cold.crashStart, "ms");
    if (!canDrop)
        std::printf("(the page cache cannot be dropped here: no cold start-up figures)\n");
    line("clean stop (SIGTERM to exit):", warm.stop, "ms");
    line("RSS holding the log, idle:", warm.idleRss, "MiB");
    line("RSS after recovering from kill -9:", warm.crashRss, "MiB");
    std::printf("one consumer read all %s messages in %.1f s (%s msgs/s, broker %.3f us/msg, "
                "every message verified); RSS after %.1f MiB, peak %.1f MiB\n",
                qPrintable(QString::number(read.consume.messages)), read.consume.seconds,
                qPrintable(QString::number(qint64(read.consume.rate()))),
                read.brokerCpuSeconds() * 1e6 /
                    double(std::max<std::uint64_t>(read.consume.messages, 1)),
                rssAfterRead, peakAfterRead);

    if (!o.jsonPath.isEmpty()) {
        json[u"messages"] = double(expected);
        json[u"disk_mib"] = double(bytes) / 1048576.0;
        json[u"cold_cache"] = canDrop;
        json[u"startup_empty_ms"] = jsonList(emptyStart);
        json[u"startup_clean_ms"] = jsonList(warm.cleanStart);
        json[u"startup_kill9_ms"] = jsonList(warm.crashStart);
        json[u"startup_clean_cold_ms"] = jsonList(cold.cleanStart);
        json[u"startup_kill9_cold_ms"] = jsonList(cold.crashStart);
        json[u"stop_ms"] = jsonList(warm.stop);
        json[u"idle_rss_mib"] = jsonList(warm.idleRss);
        json[u"kill9_rss_mib"] = jsonList(warm.crashRss);
        json[u"read_seconds"] = read.consume.seconds;
        json[u"read_msgs_per_s"] = read.consume.rate();
        json[u"rss_after_read_mib"] = rssAfterRead;
        json[u"peak_rss_after_read_mib"] = peakAfterRead;
        writeJsonReport(o, json);
    }
    return Ok;
}

} // namespace cli::bench
