#include "kafkacluster.h"

#include <QDateTime>
#include <QDeadlineTimer>

#include <algorithm>
#include <atomic>
#include <future>
#include <tuple>

namespace rivulet {
namespace {

using rdkafka::AdminOptions;
using rdkafka::PartitionList;

constexpr std::int64_t kEarliest = -2; // ListOffsets' special timestamps
constexpr std::int64_t kLatest = -1;
constexpr int kWaitSliceMs = 250;  // describe() waiting for a broker to come up
constexpr int kOffsetsChunk = 500; // partitions per ListOffsets call (see queryOffsets())
constexpr std::size_t kOffsetsThreads = 8;

// A topic of a Metadata answer as the snapshot types hold it, partitions by index; or
// "topic: why" when the answer for the topic is an error.
QString topicFromMetadata(const rd_kafka_metadata_topic &mt, TopicSnapshot &topic)
{
    topic.name = QString::fromUtf8(mt.topic);
    if (mt.err != RD_KAFKA_RESP_ERR_NO_ERROR)
        return QStringLiteral("%1: %2").arg(topic.name,
                                            QString::fromUtf8(rd_kafka_err2str(mt.err)));
    for (int p = 0; p < mt.partition_cnt; ++p) {
        const rd_kafka_metadata_partition &mp = mt.partitions[p];
        PartitionSnapshot partition;
        partition.partition = mp.id;
        partition.leader = mp.leader;
        partition.replicas.assign(mp.replicas, mp.replicas + mp.replica_cnt);
        partition.isr.assign(mp.isrs, mp.isrs + mp.isr_cnt);
        // DescribeLogDirs, which says how big a partition is, is not in librdkafka 2.0's
        // admin API (Debian's; it came in 2.3): sizes stay unknown (see README)
        partition.stats.sizeBytes = -1;
        // what other clients read, and bytes written, are not a client's to see
        partition.stats.recordsOut = -1;
        partition.stats.bytesIn = -1;
        partition.stats.bytesOut = -1;
        if (mp.err != RD_KAFKA_RESP_ERR_NO_ERROR)
            partition.unavailable = QString::fromUtf8(rd_kafka_err2str(mp.err));
        topic.partitions.push_back(std::move(partition));
    }
    std::sort(topic.partitions.begin(), topic.partitions.end(),
              [](const PartitionSnapshot &a, const PartitionSnapshot &b) {
                  return a.partition < b.partition;
              });
    return {};
}

// retention.ms / retention.bytes as a topic's config says them: a number, -1 when unset
std::int64_t configNumber(const char *value)
{
    bool ok = false;
    const std::int64_t n = value ? QByteArray(value).toLongLong(&ok) : -1;
    return ok ? n : -1;
}

} // namespace

KafkaCluster::KafkaCluster(KafkaSettings settings) : m_settings(std::move(settings))
{
    m_events.bootstrap = m_settings.bootstrap;
}

struct KafkaCluster::Event
{
    explicit Event(rd_kafka_event_t *event) : event(event) {}
    ~Event() { rd_kafka_event_destroy(event); }
    rd_kafka_event_t *event;
};

KafkaCluster::~KafkaCluster()
{
    if (m_queue)
        rd_kafka_queue_destroy(m_queue);
}

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
    if (m_client)
        m_queue = rd_kafka_queue_new(m_client.get());
    return bool(m_client);
}

QString KafkaCluster::failure(rd_kafka_resp_err_t err) const
{
    return rdkafka::failure(m_events, err);
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
    // While no broker is up, rd_kafka_metadata() waits for one until its timeout (and sends
    // nothing: __TRANSPORT). Asked in short slices, the client's error events in between tell
    // early that none will come (every bootstrap address failed, or authentication did)
    // instead of at the timeout. Those events are the ones since this call began (older ones
    // are forgotten, though the first poll may still deliver a few from just before).
    m_events.allBrokersDown = false;
    m_events.authenticationFailed = false;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    bool sliced = true;
    for (;;) {
        const qint64 left = std::max<qint64>(1, deadline.remainingTime());
        err = rd_kafka_metadata(m_client.get(), 1, nullptr, &md,
                                int(sliced ? std::min<qint64>(left, kWaitSliceMs) : left));
        rd_kafka_poll(m_client.get(), 0); // serves the error events that say why
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR || deadline.hasExpired())
            break;
        if (err == RD_KAFKA_RESP_ERR__TRANSPORT) {
            if (m_events.allBrokersDown || m_events.authenticationFailed)
                break;
            continue; // no broker up yet: wait for one another slice
        }
        if (err != RD_KAFKA_RESP_ERR__TIMED_OUT || !sliced)
            break;
        sliced = false; // the request went out and a big answer is slow: the rest of the time
    }
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
        TopicSnapshot topic;
        if (QString problem = topicFromMetadata(md->topics[i], topic); !problem.isEmpty())
            out.problems << problem;
        else
            out.topics.push_back(std::move(topic));
    }
    rd_kafka_metadata_destroy(md);
    std::sort(out.topics.begin(), out.topics.end(),
              [](const TopicSnapshot &a, const TopicSnapshot &b) { return a.name < b.name; });
    return queryOffsets(out.topics, int(std::max<qint64>(1, deadline.remainingTime())), error);
}

bool KafkaCluster::queryOffsets(std::vector<TopicSnapshot> &topics, int timeoutMs, QString &error)
{
    // One ListOffsets per leader for many partitions, instead of a watermark query each. But
    // librdkafka 2.0 matches each partition of the answer to the request by a linear search
    // (rd_kafka_topic_partition_list_find), quadratic in the partitions asked at once: for
    // 5,000 it spent ~0.15 s in strcmp. So they are asked in chunks, earliest and latest at
    // the same time, from a few threads, each chunk waiting on a queue of its own inside
    // librdkafka; rd_kafka_poll() (whose error callback writes m_events) stays on this thread.
    struct Chunk
    {
        PartitionList list;
        std::int64_t which = kLatest;
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    };
    std::vector<Chunk> chunks;
    for (const std::int64_t which : {kEarliest, kLatest}) {
        for (const TopicSnapshot &topic : topics) {
            const QByteArray name = topic.name.toUtf8();
            for (const PartitionSnapshot &p : topic.partitions) {
                if (!p.unavailable.isEmpty())
                    continue;
                if (chunks.empty() || chunks.back().which != which ||
                    chunks.back().list->cnt == kOffsetsChunk)
                    chunks.push_back(
                        {PartitionList(rd_kafka_topic_partition_list_new(kOffsetsChunk)), which});
                rd_kafka_topic_partition_list_add(chunks.back().list.get(), name.constData(),
                                                  p.partition)
                    ->offset = which;
            }
        }
    }
    if (chunks.empty())
        return true;
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
        for (std::size_t i = next++; i < chunks.size(); i = next++)
            chunks[i].err =
                rd_kafka_offsets_for_times(m_client.get(), chunks[i].list.get(), timeoutMs);
    };
    std::vector<std::future<void>> helpers;
    for (std::size_t t = 1; t < std::min<std::size_t>(chunks.size(), kOffsetsThreads); ++t)
        helpers.push_back(std::async(std::launch::async, work));
    work();
    for (auto &helper : helpers)
        helper.get();
    rd_kafka_poll(m_client.get(), 0);
    for (const Chunk &chunk : chunks) {
        if (chunk.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            error = failure(chunk.err);
            return false;
        }
    }
    for (const Chunk &chunk : chunks) {
        for (int i = 0; i < chunk.list->cnt; ++i) {
            const rd_kafka_topic_partition_t &tp = chunk.list->elems[i];
            const QString name = QString::fromUtf8(tp.topic);
            const auto topic = std::lower_bound(
                topics.begin(), topics.end(), name,
                [](const TopicSnapshot &t, const QString &n) { return t.name < n; });
            if (topic == topics.end() || topic->name != name)
                continue;
            for (PartitionSnapshot &p : topic->partitions) {
                if (p.partition != tp.partition)
                    continue;
                if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR)
                    p.unavailable = QString::fromUtf8(rd_kafka_err2str(tp.err));
                else if (chunk.which == kEarliest)
                    p.stats.startOffset = tp.offset;
                else
                    p.stats.endOffset = tp.offset;
                break;
            }
        }
    }
    return true;
}

std::unique_ptr<KafkaCluster::Event> KafkaCluster::waitFor(int type, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        rd_kafka_event_t *event =
            rd_kafka_queue_poll(m_queue, int(std::max<qint64>(0, deadline.remainingTime())));
        rd_kafka_poll(m_client.get(), 0); // the error events that say why
        if (event) {
            auto owned = std::make_unique<Event>(event);
            if (rd_kafka_event_type(event) == type)
                return owned;
            continue; // a late result of an earlier call that timed out
        }
        if (deadline.hasExpired())
            return nullptr;
    }
}

bool KafkaCluster::describeGroups(std::vector<GroupSnapshot> &out, QStringList &problems,
                                  int timeoutMs, QString &error)
{
    out.clear();
    if (!m_client) {
        error = QStringLiteral("not connected");
        return false;
    }
    const QDeadlineTimer deadline(timeoutMs);
    const auto remaining = [&] { return int(std::max<qint64>(1, deadline.remainingTime())); };
    char errstr[512];
    const auto options = [&](rd_kafka_admin_op_t op) {
        rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(m_client.get(), op);
        rd_kafka_AdminOptions_set_request_timeout(o, remaining(), errstr, sizeof errstr);
        return o;
    };
    const auto failed = [&](rd_kafka_event_t *event) {
        const auto err = event ? rd_kafka_event_error(event) : RD_KAFKA_RESP_ERR__TIMED_OUT;
        error = failure(err);
        if (event && !rdkafka::isUnreachable(err))
            error = QString::fromUtf8(rd_kafka_event_error_string(event));
        return false;
    };

    // 1. which groups there are
    rd_kafka_AdminOptions_t *listOptions = options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    rd_kafka_ListConsumerGroups(m_client.get(), listOptions, m_queue);
    rd_kafka_AdminOptions_destroy(listOptions);
    const auto listed = waitFor(RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, remaining());
    if (!listed || rd_kafka_event_error(listed->event))
        return failed(listed ? listed->event : nullptr);
    const auto *listResult = rd_kafka_event_ListConsumerGroups_result(listed->event);
    size_t count = 0;
    const rd_kafka_ConsumerGroupListing_t **listings =
        rd_kafka_ListConsumerGroups_result_valid(listResult, &count);
    std::vector<QByteArray> ids;
    for (size_t i = 0; i < count; ++i)
        ids.emplace_back(rd_kafka_ConsumerGroupListing_group_id(listings[i]));
    size_t errorCount = 0;
    const rd_kafka_error_t **errors =
        rd_kafka_ListConsumerGroups_result_errors(listResult, &errorCount);
    for (size_t i = 0; i < errorCount; ++i)
        problems << QString::fromUtf8(rd_kafka_error_string(errors[i]));
    std::sort(ids.begin(), ids.end());
    if (ids.empty())
        return true;

    // 2. each group's state and members
    std::vector<const char *> names;
    for (const QByteArray &id : ids)
        names.push_back(id.constData());
    rd_kafka_AdminOptions_t *describeOptions = options(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    rd_kafka_DescribeConsumerGroups(m_client.get(), names.data(), names.size(), describeOptions,
                                    m_queue);
    rd_kafka_AdminOptions_destroy(describeOptions);
    const auto described = waitFor(RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, remaining());
    if (!described || rd_kafka_event_error(described->event))
        return failed(described ? described->event : nullptr);
    const auto *describeResult = rd_kafka_event_DescribeConsumerGroups_result(described->event);
    const rd_kafka_ConsumerGroupDescription_t **descriptions =
        rd_kafka_DescribeConsumerGroups_result_groups(describeResult, &count);
    for (size_t i = 0; i < count; ++i) {
        const rd_kafka_ConsumerGroupDescription_t *d = descriptions[i];
        const QByteArray id = rd_kafka_ConsumerGroupDescription_group_id(d);
        if (const rd_kafka_error_t *e = rd_kafka_ConsumerGroupDescription_error(d)) {
            problems << QStringLiteral("group %1: %2")
                            .arg(QString::fromUtf8(id),
                                 QString::fromUtf8(rd_kafka_error_string(e)));
            continue;
        }
        GroupSnapshot group;
        group.groupId = id;
        group.state = groupStateFromName(QString::fromUtf8(
            rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d))));
        group.protocol = QString::fromUtf8(rd_kafka_ConsumerGroupDescription_partition_assignor(d));
        // DescribeGroups answers the members' protocol type as "consumer" for Kafka's
        // consumers; librdkafka says only whether the group is a simple (member-less) one
        if (!rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d))
            group.protocolType = QStringLiteral("consumer");
        const size_t members = rd_kafka_ConsumerGroupDescription_member_count(d);
        for (size_t m = 0; m < members; ++m) {
            const rd_kafka_MemberDescription_t *md = rd_kafka_ConsumerGroupDescription_member(d, m);
            GroupMemberSnapshot member;
            member.memberId = QString::fromUtf8(rd_kafka_MemberDescription_consumer_id(md));
            if (const char *instance = rd_kafka_MemberDescription_group_instance_id(md))
                member.groupInstanceId = QString::fromUtf8(instance);
            member.clientId = QString::fromUtf8(rd_kafka_MemberDescription_client_id(md));
            member.host = QString::fromUtf8(rd_kafka_MemberDescription_host(md));
            const rd_kafka_topic_partition_list_t *assigned =
                rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(md));
            for (int p = 0; assigned && p < assigned->cnt; ++p) {
                const QString topic = QString::fromUtf8(assigned->elems[p].topic);
                if (member.assignment.empty() || member.assignment.back().topic != topic)
                    member.assignment.push_back({topic, {}});
                member.assignment.back().partitions.push_back(assigned->elems[p].partition);
            }
            std::sort(member.assignment.begin(), member.assignment.end(),
                      [](const TopicPartitions &a, const TopicPartitions &b) {
                          return a.topic < b.topic;
                      });
            for (TopicPartitions &t : member.assignment)
                std::sort(t.partitions.begin(), t.partitions.end());
            group.members.push_back(std::move(member));
        }
        std::sort(group.members.begin(), group.members.end(),
                  [](const GroupMemberSnapshot &a, const GroupMemberSnapshot &b) {
                      return a.memberId < b.memberId;
                  });
        out.push_back(std::move(group));
    }
    std::sort(out.begin(), out.end(),
              [](const GroupSnapshot &a, const GroupSnapshot &b) { return a.groupId < b.groupId; });

    // 3. every committed offset of each group: librdkafka 2.0 takes one group per call, so
    // they are all asked at once and their answers collected as they come
    for (const GroupSnapshot &group : out) {
        rd_kafka_ListConsumerGroupOffsets_t *request =
            rd_kafka_ListConsumerGroupOffsets_new(group.groupId.constData(), nullptr);
        rd_kafka_AdminOptions_t *offsetOptions =
            options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
        rd_kafka_ListConsumerGroupOffsets(m_client.get(), &request, 1, offsetOptions, m_queue);
        rd_kafka_AdminOptions_destroy(offsetOptions);
        rd_kafka_ListConsumerGroupOffsets_destroy(request);
    }
    for (std::size_t answered = 0; answered < out.size(); ++answered) {
        const auto offsets = waitFor(RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, remaining());
        if (!offsets)
            return failed(nullptr);
        size_t groups = 0;
        const rd_kafka_group_result_t **results = rd_kafka_ListConsumerGroupOffsets_result_groups(
            rd_kafka_event_ListConsumerGroupOffsets_result(offsets->event), &groups);
        for (size_t g = 0; g < groups; ++g) {
            const QByteArray id = rd_kafka_group_result_name(results[g]);
            const auto group = std::lower_bound(
                out.begin(), out.end(), id,
                [](const GroupSnapshot &s, const QByteArray &key) { return s.groupId < key; });
            if (group == out.end() || group->groupId != id)
                continue;
            if (const rd_kafka_error_t *e = rd_kafka_group_result_error(results[g])) {
                problems << QStringLiteral("offsets of group %1: %2")
                                .arg(QString::fromUtf8(id),
                                     QString::fromUtf8(rd_kafka_error_string(e)));
                continue;
            }
            // (a late answer of an earlier, timed-out call for the same group replaces, never
            // adds to, what is there)
            group->offsets.clear();
            const rd_kafka_topic_partition_list_t *list =
                rd_kafka_group_result_partitions(results[g]);
            for (int p = 0; list && p < list->cnt; ++p) {
                const rd_kafka_topic_partition_t &tp = list->elems[p];
                if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR || tp.offset < 0)
                    continue; // no commit for that partition
                GroupOffsetSnapshot offset;
                offset.topic = QString::fromUtf8(tp.topic);
                offset.partition = tp.partition;
                offset.offset = tp.offset;
                if (tp.metadata && tp.metadata_size > 0)
                    offset.metadata = QString::fromUtf8(static_cast<const char *>(tp.metadata),
                                                        qsizetype(tp.metadata_size));
                group->offsets.push_back(std::move(offset));
            }
            std::sort(group->offsets.begin(), group->offsets.end(),
                      [](const GroupOffsetSnapshot &a, const GroupOffsetSnapshot &b) {
                          return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
                      });
        }
    }
    return true;
}

bool KafkaCluster::describeTopic(QByteArrayView name, TopicSnapshot &out, bool &exists,
                                 int timeoutMs, QString &error)
{
    exists = false;
    if (!m_client) {
        error = QStringLiteral("not connected");
        return false;
    }
    const QDeadlineTimer deadline(timeoutMs);
    const QByteArray topicName = name.toByteArray();
    // Metadata for this topic alone: a cluster's whole answer can be thousands of partitions.
    // (allow.auto.create.topics=false: asking never creates it.)
    const rdkafka::TopicHandle topic(
        rd_kafka_topic_new(m_client.get(), topicName.constData(), nullptr));
    if (!topic) {
        error = QString::fromUtf8(rd_kafka_err2str(rd_kafka_last_error()));
        return false;
    }
    const struct rd_kafka_metadata *md = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(m_client.get(), 0, topic.get(), &md, timeoutMs);
    rd_kafka_poll(m_client.get(), 0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        error = failure(err);
        return false;
    }
    out = {};
    QString problem;
    for (int i = 0; i < md->topic_cnt; ++i) {
        if (QByteArrayView(md->topics[i].topic) != QByteArrayView(topicName))
            continue;
        if (md->topics[i].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            rd_kafka_metadata_destroy(md);
            return true; // no such topic
        }
        problem = topicFromMetadata(md->topics[i], out);
        exists = problem.isEmpty();
    }
    rd_kafka_metadata_destroy(md);
    if (!problem.isEmpty()) {
        error = problem;
        return false;
    }
    if (!exists)
        return true;
    std::vector<TopicSnapshot> topics{std::move(out)};
    const bool ok = queryOffsets(topics, int(std::max<qint64>(1, deadline.remainingTime())), error);
    out = std::move(topics.front());
    return ok;
}

bool KafkaCluster::describeRetention(QByteArrayView name, RetentionPolicy &out, bool &exists,
                                     int timeoutMs, QString &error)
{
    exists = false;
    if (!m_client) {
        error = QStringLiteral("not connected");
        return false;
    }
    const QByteArray topicName = name.toByteArray();
    char errstr[512];
    AdminOptions options(
        rd_kafka_AdminOptions_new(m_client.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS));
    rd_kafka_AdminOptions_set_request_timeout(options.get(), timeoutMs, errstr, sizeof errstr);
    rd_kafka_ConfigResource_t *resource =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topicName.constData());
    rd_kafka_DescribeConfigs(m_client.get(), &resource, 1, options.get(), m_queue);
    rd_kafka_ConfigResource_destroy(resource);
    const auto answer = waitFor(RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, timeoutMs + 500);
    if (!answer) {
        error = failure(RD_KAFKA_RESP_ERR__TIMED_OUT);
        return false;
    }
    if (const rd_kafka_resp_err_t err = rd_kafka_event_error(answer->event)) {
        error = rdkafka::isUnreachable(err)
                    ? failure(err)
                    : QString::fromUtf8(rd_kafka_event_error_string(answer->event));
        return false;
    }
    size_t count = 0;
    const rd_kafka_ConfigResource_t **resources = rd_kafka_DescribeConfigs_result_resources(
        rd_kafka_event_DescribeConfigs_result(answer->event), &count);
    for (size_t i = 0; i < count; ++i) {
        const rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(resources[i]);
        if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            return true; // no such topic
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char *why = rd_kafka_ConfigResource_error_string(resources[i]);
            error = QString::fromUtf8(why && *why ? why : rd_kafka_err2str(err));
            return false;
        }
        out = {};
        size_t entries = 0;
        const rd_kafka_ConfigEntry_t **configs =
            rd_kafka_ConfigResource_configs(resources[i], &entries);
        for (size_t e = 0; e < entries; ++e) {
            const QByteArrayView config(rd_kafka_ConfigEntry_name(configs[e]));
            if (config == "retention.ms")
                out.retentionMs = configNumber(rd_kafka_ConfigEntry_value(configs[e]));
            else if (config == "retention.bytes")
                out.retentionBytes = configNumber(rd_kafka_ConfigEntry_value(configs[e]));
        }
        exists = true;
    }
    return true;
}

} // namespace rivulet
