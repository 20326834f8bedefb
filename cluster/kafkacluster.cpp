#include "kafkacluster.h"

#include <QDateTime>
#include <QDeadlineTimer>

#include <algorithm>

namespace rivulet {
namespace {

constexpr std::int64_t kEarliest = -2; // ListOffsets' special timestamps
constexpr std::int64_t kLatest = -1;

struct PartitionListDeleter
{
    void operator()(rd_kafka_topic_partition_list_t *list) const
    {
        rd_kafka_topic_partition_list_destroy(list);
    }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

} // namespace

KafkaCluster::KafkaCluster(KafkaSettings settings) : m_settings(std::move(settings))
{
    m_events.bootstrap = m_settings.bootstrap;
}

KafkaCluster::~KafkaCluster() = default;

bool KafkaCluster::open(QString &error)
{
    QList<std::pair<QByteArray, QByteArray>> config = {
        {"client.id", "rivulet"},
        // offsets as the partitions hold them, open transactions included
        {"isolation.level", "read_uncommitted"},
        {"enable.auto.commit", "false"},
        // no group: this client only looks; it never joins or commits
        {"allow.auto.create.topics", "false"},
    };
    config += m_settings.properties; // the user's settings win
    m_client = rdkafka::create(RD_KAFKA_CONSUMER, config, &m_events, error);
    return bool(m_client);
}

QString KafkaCluster::failure(rd_kafka_resp_err_t err) const
{
    if (m_events.authenticationFailed)
        return QStringLiteral("authentication with %1 failed: %2")
            .arg(m_settings.bootstrap, m_events.lastError);
    if (rdkafka::isUnreachable(err)) {
        QString text = QStringLiteral("no Kafka broker answered at %1").arg(m_settings.bootstrap);
        if (!m_events.lastError.isEmpty())
            text += QStringLiteral(" (%1)").arg(m_events.lastError);
        return text;
    }
    return QString::fromUtf8(rd_kafka_err2str(err));
}

bool KafkaCluster::describe(ClusterDescription &out, int timeoutMs, QString &error)
{
    if (!m_client) {
        error = QStringLiteral("not connected");
        return false;
    }
    const QDeadlineTimer deadline(timeoutMs);
    out = {};
    out.takenMs = QDateTime::currentMSecsSinceEpoch();
    const struct rd_kafka_metadata *md = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(m_client.get(), 1, nullptr, &md, timeoutMs);
    rd_kafka_poll(m_client.get(), 0); // serves the error events that say why
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        error = failure(err);
        return false;
    }
    out.answeredBy = md->orig_broker_id;
    for (int i = 0; i < md->broker_cnt; ++i)
        out.brokers.push_back(
            {md->brokers[i].id, QString::fromUtf8(md->brokers[i].host), md->brokers[i].port});
    std::sort(out.brokers.begin(), out.brokers.end(),
              [](const ClusterNode &a, const ClusterNode &b) { return a.id < b.id; });
    for (int i = 0; i < md->topic_cnt; ++i) {
        const rd_kafka_metadata_topic &mt = md->topics[i];
        const QString name = QString::fromUtf8(mt.topic);
        if (mt.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            out.problems << QStringLiteral("%1: %2").arg(
                name, QString::fromUtf8(rd_kafka_err2str(mt.err)));
            continue;
        }
        TopicSnapshot topic;
        topic.name = name;
        for (int p = 0; p < mt.partition_cnt; ++p) {
            const rd_kafka_metadata_partition &mp = mt.partitions[p];
            PartitionSnapshot partition;
            partition.partition = mp.id;
            partition.leader = mp.leader;
            partition.replicas.assign(mp.replicas, mp.replicas + mp.replica_cnt);
            partition.isr.assign(mp.isrs, mp.isrs + mp.isr_cnt);
            partition.stats.sizeBytes = -1; // DescribeLogDirs is not asked (see README)
            if (mp.err != RD_KAFKA_RESP_ERR_NO_ERROR)
                partition.unavailable = QString::fromUtf8(rd_kafka_err2str(mp.err));
            topic.partitions.push_back(std::move(partition));
        }
        std::sort(topic.partitions.begin(), topic.partitions.end(),
                  [](const PartitionSnapshot &a, const PartitionSnapshot &b) {
                      return a.partition < b.partition;
                  });
        out.topics.push_back(std::move(topic));
    }
    rd_kafka_metadata_destroy(md);
    std::sort(out.topics.begin(), out.topics.end(),
              [](const TopicSnapshot &a, const TopicSnapshot &b) { return a.name < b.name; });
    const int remaining = int(std::max<qint64>(1, deadline.remainingTime()));
    return queryOffsets(out.topics, kEarliest, remaining, error) &&
           queryOffsets(out.topics, kLatest, int(std::max<qint64>(1, deadline.remainingTime())),
                        error);
}

bool KafkaCluster::queryOffsets(std::vector<TopicSnapshot> &topics, std::int64_t which,
                                int timeoutMs, QString &error)
{
    PartitionList list(rd_kafka_topic_partition_list_new(16));
    for (const TopicSnapshot &topic : topics) {
        const QByteArray name = topic.name.toUtf8();
        for (const PartitionSnapshot &p : topic.partitions)
            if (p.unavailable.isEmpty())
                rd_kafka_topic_partition_list_add(list.get(), name.constData(), p.partition)
                    ->offset = which;
    }
    if (list->cnt == 0)
        return true;
    // One ListOffsets per leader for every partition, instead of a watermark query each.
    const rd_kafka_resp_err_t err =
        rd_kafka_offsets_for_times(m_client.get(), list.get(), timeoutMs);
    rd_kafka_poll(m_client.get(), 0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        error = failure(err);
        return false;
    }
    // both lists are by topic name, then partition: walk them together
    for (int i = 0; i < list->cnt; ++i) {
        const rd_kafka_topic_partition_t &tp = list->elems[i];
        const QString name = QString::fromUtf8(tp.topic);
        const auto topic =
            std::lower_bound(topics.begin(), topics.end(), name,
                             [](const TopicSnapshot &t, const QString &n) { return t.name < n; });
        if (topic == topics.end() || topic->name != name)
            continue;
        for (PartitionSnapshot &p : topic->partitions) {
            if (p.partition != tp.partition)
                continue;
            if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR)
                p.unavailable = QString::fromUtf8(rd_kafka_err2str(tp.err));
            else if (which == kEarliest)
                p.stats.startOffset = tp.offset;
            else
                p.stats.endOffset = tp.offset;
            break;
        }
    }
    return true;
}

} // namespace rivulet
