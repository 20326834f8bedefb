// rivulet-cli commands against any Kafka cluster (--bootstrap), through the cluster source's
// librdkafka client (cluster/kafkacluster.h) rather than the native protocol.
#include "args.h"
#include "commands.h"
#include "kafkacluster.h"

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

} // namespace

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
