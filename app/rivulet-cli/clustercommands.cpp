// rivulet-cli commands against any Kafka cluster (--bootstrap), through the cluster source's
// librdkafka client (cluster/kafkacluster.h) rather than the native protocol.
#include "args.h"
#include "commands.h"
#include "kafkacluster.h"

#include <cstdio>

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

} // namespace

int clusterTopics(const rivulet::KafkaSettings &settings, const QStringList &argv)
{
    if (!argv.isEmpty())
        return usage(QStringLiteral("topics"), QStringLiteral("takes no arguments"));
    rivulet::KafkaCluster cluster(settings);
    QString error;
    if (!cluster.open(error))
        return usage(QStringLiteral("topics"), error);
    rivulet::ClusterDescription description;
    if (!cluster.describe(description, kDescribeTimeoutMs, error)) {
        std::fprintf(stderr, "rivulet-cli topics: %s\n", qPrintable(error));
        return Unreachable;
    }
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
    for (const QString &problem : description.problems)
        std::fprintf(stderr, "rivulet-cli topics: %s\n", qPrintable(problem));
    return Ok;
}

} // namespace cli
