// rivulet-cli commands against any Kafka cluster (--bootstrap), through the cluster source's
// librdkafka clients (cluster/kafkacluster.h to look, cluster/kafkaadmin.h to change) rather
// than the native protocol; consume reads with a librdkafka consumer of its own.
#include "args.h"
#include "commands.h"
#include "kafkaadmin.h"
#include "kafkaclient.h"
#include "kafkacluster.h"

#include <QDeadlineTimer>

#include <cstdio>
#include <optional>

namespace cli {
namespace {

constexpr int kDescribeTimeoutMs = 10000;

QString brokerList(const std::vector<int> &ids)
{
    QStringList parts;
    for (const int id : ids)
        parts << QString::number(id);
    return parts.join(QLatin1Char(','));
}

// Checks a listing command's arguments (none), opens the client and describes the cluster,
// with its groups when asked; on failure prints why and gives the exit code.
std::optional<int> describeFor(const QString &command, const QStringList &argv,
                               rivulet::KafkaCluster &cluster,
                               rivulet::ClusterDescription &description,
                               std::vector<rivulet::GroupSnapshot> *groups, QStringList &problems)
{
    if (!argv.isEmpty())
        return usage(command, QStringLiteral("takes no arguments"));
    QString error;
    if (!cluster.open(error))
        return usage(command, error);
    if (!cluster.describe(description, kDescribeTimeoutMs, error) ||
        (groups && !cluster.describeGroups(*groups, problems, kDescribeTimeoutMs, error))) {
        std::fprintf(stderr, "rivulet-cli %s: %s\n", qPrintable(command), qPrintable(error));
        return Unreachable;
    }
    problems = description.problems + problems;
    return std::nullopt;
}

// The exit code for a KafkaAdmin error: Unreachable when it says no broker answered.
int failed(const QString &command, const QString &error)
{
    std::fprintf(stderr, "rivulet-cli %s: %s\n", qPrintable(command), qPrintable(error));
    return rivulet::rdkafka::saysUnreachable(error) ? Unreachable : BrokerError;
}

std::unique_ptr<rivulet::KafkaAdmin> openAdmin(const QString &command,
                                               const rivulet::KafkaSettings &settings, int &rc)
{
    QString error;
    auto admin = rivulet::KafkaAdmin::open(settings, error);
    if (!admin)
        rc = usage(command, error);
    return admin;
}

// A consume with no record and no end-of-partition for this long gives up (without --follow).
constexpr int kConsumeIdleMs = 30000;

} // namespace

int clusterCreate(const rivulet::KafkaSettings &settings, const QStringList &argv)
{
    CreateOptions o;
    int rc = parseCreate(argv, o);
    if (rc != Ok)
        return rc;
    const auto admin = openAdmin(QStringLiteral("create"), settings, rc);
    if (!admin)
        return rc;
    std::optional<rivulet::RetentionPolicy> retention;
    if (o.setRetention)
        retention = rivulet::RetentionPolicy{o.retentionMs, o.retentionBytes};
    QString error;
    if (!admin->createTopic(o.topic.toUtf8(), int(o.partitions), retention, error))
        return failed(QStringLiteral("create"), error);
    printCreated(o);
    return Ok;
}

int clusterDelete(const rivulet::KafkaSettings &settings, const QStringList &argv)
{
    QString topic;
    int rc = parseTopicOnly(QStringLiteral("delete"), argv, topic);
    if (rc != Ok)
        return rc;
    const auto admin = openAdmin(QStringLiteral("delete"), settings, rc);
    if (!admin)
        return rc;
    QString error;
    if (!admin->deleteTopic(topic.toUtf8(), error))
        return failed(QStringLiteral("delete"), error);
    std::printf("topic %s deleted\n", qPrintable(topic));
    return Ok;
}

int clusterRetention(const rivulet::KafkaSettings &settings, const QStringList &argv)
{
    RetentionOptions o;
    int rc = parseRetention(argv, o);
    if (rc != Ok)
        return rc;
    const auto admin = openAdmin(QStringLiteral("retention"), settings, rc);
    if (!admin)
        return rc;
    QString error;
    if (!admin->setRetention(o.topic.toUtf8(), rivulet::RetentionPolicy{o.ms, o.bytes}, error))
        return failed(QStringLiteral("retention"), error);
    printRetention(o);
    return Ok;
}

int clusterProduce(const rivulet::KafkaSettings &settings, const QStringList &argv)
{
    ProduceOptions o;
    int rc = parseProduce(argv, o);
    if (rc != Ok)
        return rc;
    const auto admin = openAdmin(QStringLiteral("produce"), settings, rc);
    if (!admin)
        return rc;
    const QByteArray topic = o.topic.toUtf8();
    qint64 sent = 0, firstOffset = -1, lastOffset = -1;
    rc = sendValues(o, [&](const QList<QByteArray> &values) {
        QList<rivulet::OutgoingRecord> records;
        records.reserve(values.size());
        for (const QByteArray &value : values) {
            rivulet::OutgoingRecord record;
            record.value = value;
            records.append(std::move(record));
        }
        const rivulet::WriteResult result = admin->produce(topic, int(o.partition), records);
        if (result.written > 0) {
            if (firstOffset < 0)
                firstOffset = result.baseOffset;
            lastOffset = result.lastOffset;
            sent += result.written;
        }
        if (result.error.isEmpty())
            return int(Ok);
        if (sent > 0)
            std::fprintf(stderr,
                         "rivulet-cli produce: %lld message%s stored at offsets "
                         "%lld..%lld before the error\n",
                         sent, sent == 1 ? "" : "s", firstOffset, lastOffset);
        return failed(QStringLiteral("produce"), result.error);
    });
    if (rc != Ok)
        return rc;
    printProduced(o, sent, firstOffset, lastOffset);
    return Ok;
}

// Reads one partition with librdkafka's per-partition consumer: no group, nothing committed.
// Without --follow it stops at the end offset seen when it started.
int clusterConsume(const rivulet::KafkaSettings &settings, const QStringList &argv)
{
    const QString command = QStringLiteral("consume");
    ConsumeOptions o;
    int rc = parseConsume(argv, o);
    if (rc != Ok)
        return rc;
    if (o.consumerGiven)
        return usage(command, QStringLiteral("--consumer names a position kept by Rivulet's "
                                             "native protocol; with --bootstrap, consume reads "
                                             "from --offset without a group and commits nothing"));
    namespace kafka = cli::kafka;
    kafka::Events events;
    events.bootstrap = settings.bootstrap;
    QList<std::pair<QByteArray, QByteArray>> config = {
        {"client.id", "rivulet-cli-consume"},  {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"}, {"enable.partition.eof", "true"},
        {"auto.offset.reset", "earliest"}, // an --offset below the start begins at the start
    };
    config += settings.properties;
    QString error;
    const kafka::Handle rk = kafka::create(RD_KAFKA_CONSUMER, config, &events, error);
    if (!rk)
        return usage(command, error);
    if (kafka::checkedPartitionCount(rk.get(), command, o.topic, o.partition, &events, rc) < 0)
        return rc;
    const QByteArray topic = o.topic.toUtf8();
    const auto partition = std::int32_t(o.partition);
    int64_t low = 0, high = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        rk.get(), topic.constData(), partition, &low, &high, kafka::kMetadataTimeoutMs);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_poll(rk.get(), 0);
        return failed(command, kafka::isUnreachable(err)
                                   ? kafka::unreachableHint(events)
                                   : QString::fromUtf8(rd_kafka_err2str(err)));
    }
    if (o.count == 0 || (!o.follow && std::max<qint64>(o.offset, low) >= high))
        return Ok;
    // a Fetch past the end is out of range (and would start over at the beginning): an
    // --offset past it starts at the end, and the records before --offset are skipped
    const qint64 from = std::clamp<qint64>(o.offset, low, high);

    const kafka::TopicHandle rkt(rd_kafka_topic_new(rk.get(), topic.constData(), nullptr));
    if (rd_kafka_consume_start(rkt.get(), partition, from) != 0)
        return failed(command,
                      QStringLiteral("cannot start reading partition %1: %2")
                          .arg(partition)
                          .arg(QString::fromUtf8(rd_kafka_err2str(rd_kafka_last_error()))));
    qint64 printed = 0;
    bool done = false;
    QDeadlineTimer idle(kConsumeIdleMs);
    while (!done && rc == Ok) {
        rd_kafka_message_t *m = rd_kafka_consume(rkt.get(), partition, 200);
        rd_kafka_poll(rk.get(), 0); // serves error events into events.lastError
        if (!m) {
            std::fflush(stdout);
            if (!o.follow && idle.hasExpired())
                rc = failed(command,
                            QStringLiteral("nothing arrived for %1 s short of offset %2: %3")
                                .arg(kConsumeIdleMs / 1000)
                                .arg(high)
                                .arg(events.lastError.isEmpty()
                                         ? QStringLiteral("the broker stopped answering")
                                         : kafka::unreachableHint(events)));
            continue;
        }
        idle.setRemainingTime(kConsumeIdleMs);
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            // read_committed may end short of the high watermark (an open transaction)
            done = !o.follow;
        } else if (m->err) {
            // a lost connection is retried by the client (until the idle timeout)
            if (!kafka::isUnreachable(m->err))
                rc = failed(command, QStringLiteral("partition %1: %2")
                                         .arg(partition)
                                         .arg(QString::fromUtf8(rd_kafka_message_errstr(m))));
        } else if (m->offset >= o.offset) {
            const QByteArray value =
                m->payload ? QByteArray(static_cast<const char *>(m->payload), qsizetype(m->len))
                           : QByteArray();
            printRecord(o, m->offset, value);
            if (o.follow)
                std::fflush(stdout);
            ++printed;
            done = (o.count >= 0 && printed >= o.count) || (!o.follow && m->offset + 1 >= high);
        }
        rd_kafka_message_destroy(m);
    }
    std::fflush(stdout);
    rd_kafka_consume_stop(rkt.get(), partition);
    return rc;
}

int clusterTopics(const rivulet::KafkaSettings &settings, const QStringList &argv)
{
    rivulet::KafkaCluster cluster(settings);
    rivulet::ClusterDescription description;
    QStringList problems;
    if (const auto failed =
            describeFor(QStringLiteral("topics"), argv, cluster, description, nullptr, problems))
        return *failed;
    std::printf("%-30s %9s %12s %12s %12s %7s %-12s %-12s\n", "TOPIC", "PARTITION", "START", "END",
                "MESSAGES", "LEADER", "REPLICAS", "ISR");
    for (const rivulet::TopicSnapshot &topic : description.topics)
        for (const rivulet::PartitionSnapshot &p : topic.partitions) {
            if (!p.unavailable.isEmpty()) {
                std::printf("%-30s %9d %s\n", qPrintable(topic.name), p.partition,
                            qPrintable(p.unavailable));
                continue;
            }
            std::printf("%-30s %9d %12lld %12lld %12lld %7d %-12s %-12s\n", qPrintable(topic.name),
                        p.partition, static_cast<long long>(p.stats.startOffset),
                        static_cast<long long>(p.stats.endOffset),
                        static_cast<long long>(p.stats.endOffset - p.stats.startOffset), p.leader,
                        qPrintable(brokerList(p.replicas)), qPrintable(brokerList(p.isr)));
        }
    for (const QString &problem : problems)
        std::fprintf(stderr, "rivulet-cli topics: %s\n", qPrintable(problem));
    return Ok;
}

int clusterConsumers(const rivulet::KafkaSettings &settings, const QStringList &argv)
{
    rivulet::KafkaCluster cluster(settings);
    rivulet::ClusterDescription description;
    std::vector<rivulet::GroupSnapshot> groups;
    QStringList problems;
    if (const auto failed =
            describeFor(QStringLiteral("consumers"), argv, cluster, description, &groups, problems))
        return *failed;
    const auto endOffset = [&](const QString &topic, int partition) -> qint64 {
        for (const rivulet::TopicSnapshot &t : description.topics)
            if (t.name == topic)
                for (const rivulet::PartitionSnapshot &p : t.partitions)
                    if (p.partition == partition)
                        return p.stats.endOffset;
        return -1;
    };
    std::printf("%-24s %-20s %-24s %9s %12s %12s %10s %s\n", "GROUP", "STATE", "TOPIC", "PARTITION",
                "COMMITTED", "END", "LAG", "MEMBER");
    for (const rivulet::GroupSnapshot &group : groups) {
        const QString state = rivulet::groupStateName(group.state);
        if (group.offsets.empty() && group.members.empty())
            std::printf("%-24s %-20s\n", group.groupId.constData(), qPrintable(state));
        for (const rivulet::GroupOffsetSnapshot &o : group.offsets) {
            const qint64 end = endOffset(o.topic, o.partition);
            const rivulet::GroupMemberSnapshot *owner = group.owner(o.topic, o.partition);
            std::printf("%-24s %-20s %-24s %9d %12lld %12lld %10s %s\n", group.groupId.constData(),
                        qPrintable(state), qPrintable(o.topic), o.partition,
                        static_cast<long long>(o.offset), static_cast<long long>(end),
                        end < 0 ? "-"
                                : qPrintable(QString::number(std::max<qint64>(0, end - o.offset))),
                        owner ? qPrintable(owner->label()) : "-");
        }
    }
    for (const QString &problem : problems)
        std::fprintf(stderr, "rivulet-cli consumers: %s\n", qPrintable(problem));
    return Ok;
}

} // namespace cli
