#include "benchpartitions.h"

#include "benchbroker.h"
#include "commands.h"
#include "log/topicregistry.h"
#include "native/nativeclient.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <cstdio>

namespace cli::bench {
namespace {

using namespace rivulet::native;

// Requests in flight on the one connection: enough to hide the round trip.
constexpr int kWindow = 64;

int openDescriptors(qint64 pid)
{
    return int(QDir(QStringLiteral("/proc/%1/fd").arg(pid))
                   .entryList(QDir::Files | QDir::System | QDir::NoDotAndDotDot)
                   .size());
}

struct Probe
{
    int descriptors = 0;
    double rssMiB = 0;
};

Probe probe(qint64 pid)
{
    return {openDescriptors(pid), double(processUsage(pid).rssKiB) / 1024};
}

QByteArray topicName(int t)
{
    return "scale-" + QByteArray::number(t);
}

QByteArray valueFor(int topic, int partition)
{
    return "partition-scale " + QByteArray::number(topic) + '/' + QByteArray::number(partition);
}

// Sends make(i) for i in [0, count) with kWindow requests in flight; check(i, reply) says
// what is wrong with a reply, or nothing.
QString pipeline(NativeClient &client, int count, const std::function<QByteArray(int)> &make,
                 const std::function<QString(int, const Reply &)> &check)
{
    int sent = 0;
    for (int done = 0; done < count; ++done) {
        while (sent < count && sent - done < kWindow)
            if (!client.send(make(sent++)))
                return client.errorString();
        Reply reply;
        if (!client.readReply(reply, 120000))
            return client.errorString();
        if (QString why = check(done, reply); !why.isEmpty())
            return why;
    }
    return {};
}

struct Layout
{
    int topics = 0;
    int perTopic = 0;
    int partitions(int t, int total) const { return std::min(perTopic, total - t * perTopic); }
};

} // namespace

int runPartitionScale(const Options &o, int total)
{
    if (o.external || o.inMemory || o.peer != Peer::Rivulet) {
        std::fprintf(stderr, "rivulet-cli bench --partition-scale: starts its own broker on a "
                             "data directory; leave out --port, --peer and --in-memory\n");
        return Usage;
    }
    QTemporaryDir temp(QDir::tempPath() + QStringLiteral("/rivulet-scale-XXXXXX"));
    temp.setAutoRemove(!o.keepData);
    const QString dir = o.dataDir.isEmpty() ? temp.path() : o.dataDir;
    if (QFile::exists(QDir(dir).filePath(QStringLiteral("topics.json")))) {
        std::fprintf(stderr,
                     "rivulet-cli bench --partition-scale: %s already holds topics; "
                     "give an empty --data-dir\n",
                     qPrintable(dir));
        return Usage;
    }
    QStringList args{QStringLiteral("--headless"),
                     QStringLiteral("--port"),
                     QStringLiteral("0"),
                     QStringLiteral("--kafka-port"),
                     QStringLiteral("0"),
                     QStringLiteral("--data-dir"),
                     dir};
    if (!o.fsync.isEmpty())
        args << QStringLiteral("--fsync") << o.fsync;
    auto fail = [](const QString &why) {
        std::fprintf(stderr, "rivulet-cli bench --partition-scale: %s\n", qPrintable(why));
        return Unreachable;
    };

    Layout layout;
    layout.perTopic = rivulet::kMaxPartitions;
    layout.topics = (total + layout.perTopic - 1) / layout.perTopic;
    QJsonObject json;
    QString error;
    QElapsedTimer clock;

    // 1. create, produce one record to each partition, stop cleanly
    double createMs = 0, produceMs = 0, stopMs = 0, firstStartMs = 0;
    Probe idle, afterCreate, afterProduce;
    {
        ChildBroker broker;
        if (!broker.start(o.brokerPath, args, error))
            return fail(error);
        firstStartMs = broker.startupMs();
        idle = probe(broker.pid());
        NativeClient client;
        if (!client.connectTo(broker.host(), broker.port()) || !client.enableErrorText())
            return fail(client.errorString());
        clock.start();
        for (int t = 0; t < layout.topics; ++t) {
            Reply reply;
            if (!client.call(
                    encodeCreateTopic(topicName(t), std::uint32_t(layout.partitions(t, total))),
                    reply, 600000))
                return fail(client.errorString());
            if (reply.error)
                return fail(QStringLiteral("creating %1: %2")
                                .arg(QString::fromLatin1(topicName(t)), reply.errorText));
        }
        createMs = double(clock.nsecsElapsed()) / 1e6;
        afterCreate = probe(broker.pid());
        clock.start();
        for (int t = 0; t < layout.topics; ++t) {
            error = pipeline(
                client, layout.partitions(t, total),
                [&](int p) {
                    return encodeProduce(topicName(t), std::uint32_t(p), {valueFor(t, p)});
                },
                [&](int p, const Reply &reply) {
                    if (reply.error || reply.offsets != QList<std::uint32_t>{0})
                        return QStringLiteral("producing to %1[%2]: %3")
                            .arg(QString::fromLatin1(topicName(t)))
                            .arg(p)
                            .arg(reply.error ? reply.errorText
                                             : QStringLiteral("not acknowledged at offset 0"));
                    return QString();
                });
            if (!error.isEmpty())
                return fail(error);
        }
        produceMs = double(clock.nsecsElapsed()) / 1e6;
        afterProduce = probe(broker.pid());
        client.close();
        if (!broker.stop(600000))
            return fail(QStringLiteral("the broker did not stop cleanly"));
        stopMs = broker.stopMs();
    }

    // 2. start again and read the record back from every partition
    double restartMs = 0, consumeMs = 0;
    Probe afterRestart, afterConsume;
    {
        ChildBroker broker;
        if (!broker.start(o.brokerPath, args, error))
            return fail(error);
        restartMs = broker.startupMs();
        afterRestart = probe(broker.pid());
        NativeClient client;
        if (!client.connectTo(broker.host(), broker.port()) || !client.enableErrorText())
            return fail(client.errorString());
        clock.start();
        for (int t = 0; t < layout.topics; ++t) {
            error = pipeline(
                client, layout.partitions(t, total),
                [&](int p) { return encodeConsume(topicName(t), std::uint32_t(p), 0, 1); },
                [&](int p, const Reply &reply) {
                    if (reply.error || reply.contents.size() != 1 ||
                        reply.contents.front().value != valueFor(t, p))
                        return QStringLiteral("reading %1[%2] back: %3")
                            .arg(QString::fromLatin1(topicName(t)))
                            .arg(p)
                            .arg(reply.error ? reply.errorText
                                             : QStringLiteral("not the record produced"));
                    return QString();
                });
            if (!error.isEmpty())
                return fail(error);
        }
        consumeMs = double(clock.nsecsElapsed()) / 1e6;
        afterConsume = probe(broker.pid());
        client.close();
        if (!broker.stop(600000))
            return fail(QStringLiteral("the broker did not stop cleanly after reading"));
    }

    std::printf("partition scale: %d partitions in %d topic%s (%s), fsync %s\n", total,
                layout.topics, layout.topics == 1 ? "" : "s", qPrintable(dir),
                o.fsync.isEmpty() ? "interval" : qPrintable(o.fsync));
    const auto line = [](const char *what, double ms, const Probe &p) {
        std::printf("%-40s %9.1f ms   %6d descriptors   RSS %7.1f MiB\n", what, ms, p.descriptors,
                    p.rssMiB);
    };
    line("start, empty data dir:", firstStartMs, idle);
    line("create every partition:", createMs, afterCreate);
    line("produce 1 record to each (64 in flight):", produceMs, afterProduce);
    std::printf("%-40s %9.1f ms\n", "clean stop:", stopMs);
    line("start holding them (to ready):", restartMs, afterRestart);
    line("consume 1 record from each, verified:", consumeMs, afterConsume);

    if (!o.jsonPath.isEmpty()) {
        json[u"partitions"] = total;
        json[u"fsync"] = o.fsync.isEmpty() ? QStringLiteral("interval") : o.fsync;
        json[u"create_ms"] = createMs;
        json[u"produce_ms"] = produceMs;
        json[u"stop_ms"] = stopMs;
        json[u"restart_ms"] = restartMs;
        json[u"consume_ms"] = consumeMs;
        const auto put = [&](const char *name, const Probe &p) {
            json[QLatin1String(name) + QLatin1String("_descriptors")] = p.descriptors;
            json[QLatin1String(name) + QLatin1String("_rss_mib")] = p.rssMiB;
        };
        put("idle", idle);
        put("after_create", afterCreate);
        put("after_produce", afterProduce);
        put("after_restart", afterRestart);
        put("after_consume", afterConsume);
        writeJsonReport(o, json);
    }
    return Ok;
}

} // namespace cli::bench
