// rivulet-cli commands against any Kafka cluster (--bootstrap), through the cluster source's
// librdkafka clients (cluster/kafkacluster.h to look, cluster/kafkasource.h to read records,
// cluster/kafkaadmin.h to change) rather than the native protocol.
#include "args.h"
#include "commands.h"
#include "kafkaadmin.h"
#include "kafkacluster.h"
#include "kafkasource.h"

#include <QThread>

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

constexpr int kConsumePage = 1000; // records a page
constexpr int kFollowPollMs = 200; // --follow at the end: how long until it looks again

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

// Reads one partition a page at a time through the cluster source's browser reads
// (KafkaSource::readRecords: assign + seek, no group, nothing committed). Without --follow it
// stops at the end offset seen by the first page.
int clusterConsume(const rivulet::KafkaSettings &settings, const QStringList &argv)
{
    const QString command = QStringLiteral("consume");
    ConsumeOptions o;
    if (const int rc = parseConsume(argv, o); rc != Ok)
        return rc;
    if (o.consumerGiven)
        return usage(command, QStringLiteral("--consumer names a position kept by Rivulet's "
                                             "native protocol; with --bootstrap, consume reads "
                                             "from --offset without a group and commits nothing"));
    QString error;
    const auto source = rivulet::KafkaSource::open(settings, QStringLiteral("rivulet-cli"), error);
    if (!source)
        return usage(command, error);
    const QByteArray topic = o.topic.toUtf8();
    qint64 offset = o.offset, printed = 0, end = -1;
    while (o.count < 0 || printed < o.count) {
        rivulet::ReadRequest request;
        request.fromOffset = offset;
        request.maxRecords =
            int(o.count < 0 ? kConsumePage : std::min<qint64>(kConsumePage, o.count - printed));
        const rivulet::RecordPage page = source->readRecords(topic, int(o.partition), request);
        if (!page.error.isEmpty())
            return failed(command, page.error);
        if (end < 0)
            end = page.endOffset; // where a consume without --follow stops
        for (const rivulet::DecodedRecord &record : page.records) {
            if (!o.follow && record.offset >= end)
                break;
            printRecord(o, record.offset, record.value);
            ++printed;
        }
        std::fflush(stdout);
        offset = page.nextOffset;
        if (!o.follow && offset >= end)
            break;
        if (page.records.isEmpty() && offset >= page.endOffset)
            QThread::msleep(kFollowPollMs); // at the end: look again shortly
    }
    return Ok;
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
