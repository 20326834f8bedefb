#include "benchrun.h"

#include "benchclients.h"
#include "benchwire.h"
#include "native/nativeclient.h"

#include <thread>

namespace cli::bench {
namespace {

QString prepareNativeTopic(const Options &o, quint16 port, const QByteArray &topic)
{
    using namespace rivulet::native;
    NativeClient client;
    Reply reply;
    if (!client.connectTo(o.host, port) || !client.enableErrorText())
        return client.errorString();
    if (!client.call(encodeCreateTopic(topic, std::uint32_t(o.partitions)), reply))
        return client.errorString();
    if (reply.error)
        return QStringLiteral("cannot create topic %1: %2")
            .arg(QString::fromUtf8(topic), reply.errorText);
    if (!client.call(encodeListTopics(), reply))
        return client.errorString();
    for (const TopicPartitionInfo &p : reply.topicPartitions)
        if (p.topic == topic && p.endOffset != 0)
            return QStringLiteral("topic %1 already holds messages; give a new --topic")
                .arg(QString::fromUtf8(topic));
    return {};
}

QString prepareRedisStreams(const Options &o, quint16 port, const QByteArray &topic)
{
    QByteArray del = "*" + QByteArray::number(o.partitions + 1) + "\r\n$3\r\nDEL\r\n";
    for (int p = 0; p < o.partitions; ++p) {
        const QByteArray key = topic + ':' + QByteArray::number(p);
        del += "$" + QByteArray::number(key.size()) + "\r\n" + key + "\r\n";
    }
    Connection c;
    QString error;
    if (!c.open(o.host, port, error) || !c.sendAll(del.toStdString(), error))
        return error;
    while (c.size() < 3 || std::string_view(c.data(), c.size()).find("\r\n") == std::string::npos)
        if (!c.receive(10000, error))
            return error;
    if (*c.data() != ':')
        return QStringLiteral("DEL failed: %1")
            .arg(QString::fromUtf8(c.data(), qsizetype(c.size())));
    return {};
}

template <typename Stats>
void collectErrors(const std::vector<Stats> &all, const char *who, RunResult &r)
{
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i].error.isEmpty())
            continue;
        r.errors << QStringLiteral("%1 %2: %3").arg(QLatin1String(who)).arg(i).arg(all[i].error);
        (all[i].mismatch ? r.mismatch : r.failed) = true;
    }
}

} // namespace

QString prepareTopic(const Options &options, quint16 port, const QByteArray &topic)
{
    return options.peer == Peer::Redis ? prepareRedisStreams(options, port, topic)
                                       : prepareNativeTopic(options, port, topic);
}

RunResult runLoad(const Options &o, quint16 port, qint64 brokerPid, const QByteArray &topic,
                  const ValueSource &values, const RunPlan &plan)
{
    RunResult r;
    const Load load{o, topic, values, port, plan.perProducer};
    const int producers = plan.produce ? o.producers : 0;
    const int consumers = plan.consume ? o.consumers : 0;
    std::vector<ProducerStats> produced(static_cast<std::size_t>(producers));
    std::vector<ConsumerStats> consumed(static_cast<std::size_t>(consumers));
    std::vector<std::thread> producerThreads, consumerThreads;
    StartGate first, second;

    auto startConsumers = [&](StartGate &gate) {
        for (int i = 0; i < consumers; ++i)
            consumerThreads.emplace_back(
                [&, i] { runConsumer(load, i, gate, consumed[std::size_t(i)]); });
    };
    for (int i = 0; i < producers; ++i)
        producerThreads.emplace_back(
            [&, i] { runProducer(load, i, first, produced[std::size_t(i)]); });
    if (!o.sequential)
        startConsumers(first);

    first.waitForArrivals(producers + (o.sequential ? 0 : consumers));
    r.brokerBefore = processUsage(brokerPid);
    r.clientBefore = selfUsage();
    const double busyBefore = machineBusySeconds();
    const std::int64_t start = nowNs();
    first.open();
    for (std::thread &t : producerThreads)
        t.join();
    std::int64_t produceEnd = start;
    for (const ProducerStats &s : produced) {
        produceEnd = std::max(produceEnd, s.endNs);
        r.produce.messages += s.messages;
        r.produce.valueBytes += s.valueBytes;
        r.produce.requests += s.requests;
        r.lateSends += s.lateSends;
    }
    r.produce.seconds = double(produceEnd - start) / 1e9;

    std::int64_t consumeStart = start;
    if (o.sequential && consumers > 0) {
        const ProcessUsage middle = processUsage(brokerPid);
        if (middle.ok && r.brokerBefore.ok)
            r.produce.brokerCpuSeconds = middle.cpuSeconds() - r.brokerBefore.cpuSeconds();
        startConsumers(second);
        second.waitForArrivals(consumers);
        const ProcessUsage ready = processUsage(brokerPid);
        consumeStart = nowNs();
        second.open();
        for (std::thread &t : consumerThreads)
            t.join();
        const ProcessUsage after = processUsage(brokerPid);
        if (after.ok && ready.ok)
            r.consume.brokerCpuSeconds = after.cpuSeconds() - ready.cpuSeconds();
    } else {
        for (std::thread &t : consumerThreads)
            t.join();
        if (consumers == 0 && r.brokerBefore.ok)
            r.produce.brokerCpuSeconds =
                processUsage(brokerPid).cpuSeconds() - r.brokerBefore.cpuSeconds();
    }
    std::int64_t end = produceEnd;
    std::int64_t consumeEnd = consumeStart;
    for (const ConsumerStats &s : consumed) {
        consumeEnd = std::max(consumeEnd, s.endNs);
        r.consume.messages += s.messages;
        r.consume.valueBytes += s.valueBytes;
        r.consume.requests += s.requests;
        r.emptyReplies += s.emptyReplies;
        r.staleRecords += s.staleRecords;
    }
    end = std::max(end, consumeEnd);
    r.consume.seconds = double(consumeEnd - consumeStart) / 1e9;
    r.wallSeconds = double(end - start) / 1e9;
    r.brokerAfter = processUsage(brokerPid);
    r.clientAfter = selfUsage();
    r.machineBusySeconds = machineBusySeconds() - busyBefore;
    if (producers == 0 && consumers > 0 && r.brokerBefore.ok && r.brokerAfter.ok)
        r.consume.brokerCpuSeconds = r.brokerCpuSeconds();

    std::vector<std::uint32_t> latencies, fromSchedule;
    for (ProducerStats &s : produced) {
        latencies.insert(latencies.end(), s.latencyNs.begin(), s.latencyNs.end());
        fromSchedule.insert(fromSchedule.end(), s.fromScheduleNs.begin(), s.fromScheduleNs.end());
        std::vector<std::uint32_t>().swap(s.latencyNs);
        std::vector<std::uint32_t>().swap(s.fromScheduleNs);
    }
    r.latency = percentiles(std::move(latencies));
    r.fromSchedule = percentiles(std::move(fromSchedule));
    collectErrors(produced, "producer", r);
    collectErrors(consumed, "consumer", r);

    // every consumer must have read everything its partitions should hold
    if (!r.failed && !r.mismatch) {
        std::uint64_t expected = 0;
        for (int c = 0; c < consumers; ++c)
            for (const int p : partitionsOf(c, consumers, o.partitions))
                expected += producersOf(p, o.producers, o.partitions).size() * plan.perProducer;
        if (r.consume.messages != expected) {
            r.mismatch = true;
            r.errors << QStringLiteral("consumers read %1 messages where %2 were due")
                            .arg(r.consume.messages)
                            .arg(expected);
        }
        if (plan.produce &&
            r.produce.messages != std::uint64_t(o.messages) * std::uint64_t(producers)) {
            r.failed = true;
            r.errors << QStringLiteral("producers had %1 messages acknowledged where %2 were sent")
                            .arg(r.produce.messages)
                            .arg(std::uint64_t(o.messages) * std::uint64_t(producers));
        }
    }
    return r;
}

} // namespace cli::bench
