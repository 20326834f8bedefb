#include "kafkaadmin.h"

#include "rdkafkahandle.h"

#include <QDeadlineTimer>
#include <QThread>

#include <algorithm>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace rivulet {
namespace {

using rdkafka::Event;
using rdkafka::PartitionList;
using rdkafka::Queue;
using Options = rdkafka::AdminOptions;

// How long the cluster gets to answer one request, and a producer to have a record stored.
constexpr int kRequestTimeoutMs = 5000;
constexpr int kDeliveryTimeoutMs = 10000;
// librdkafka answers every admin request by its request timeout; this is a safety margin
// on top, so that a lost answer still cannot hang a caller.
constexpr int kAnswerMarginMs = 2000;
// How long one thread serves the client's callbacks before looking at its own state again.
constexpr int kServeSliceMs = 20;

// One produce() call's records, as their delivery reports come in (on whichever thread is
// serving the client's callbacks at the time).
struct Batch
{
    std::mutex mutex;
    std::condition_variable done;
    std::size_t pending = 0;
    std::vector<std::int64_t> offsets;       // by record, -1 until stored
    std::vector<rd_kafka_resp_err_t> errors; // by record
    std::vector<QString> errorTexts;         // by record, librdkafka's reason
};

// A record's delivery report finds its Batch and index through the message's opaque.
struct Slot
{
    Batch *batch = nullptr;
    std::size_t index = 0;
};

void delivered(rd_kafka_t *, const rd_kafka_message_t *message, void *)
{
    auto *slot = static_cast<Slot *>(message->_private);
    if (!slot)
        return;
    Batch &batch = *slot->batch;
    const std::lock_guard lock(batch.mutex);
    batch.errors[slot->index] = message->err;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR)
        batch.offsets[slot->index] = message->offset;
    else
        batch.errorTexts[slot->index] = QString::fromUtf8(rd_kafka_err2str(message->err));
    if (--batch.pending == 0)
        batch.done.notify_all();
}

QString quoted(QByteArrayView name)
{
    return QStringLiteral("'%1'").arg(QString::fromUtf8(name));
}

} // namespace

struct KafkaAdmin::Private
{
    KafkaSettings settings;
    rdkafka::Events events;
    rdkafka::Handle client;
    // librdkafka runs the client's callbacks (error events, delivery reports) in the thread
    // that calls rd_kafka_poll(); one thread at a time serves them, under this mutex, which
    // also guards events.
    std::mutex serving;

    // Serves the callbacks for up to ms.
    void serve(int ms)
    {
        const std::lock_guard lock(serving);
        rd_kafka_poll(client.get(), ms);
    }

    QString failure(rd_kafka_resp_err_t err)
    {
        const std::lock_guard lock(serving);
        rd_kafka_poll(client.get(), 0); // the error events that say why
        return rdkafka::failure(events, err);
    }

    // The broker's own message for err when it gave one (it names the topic or group),
    // otherwise failure(err).
    QString failure(rd_kafka_resp_err_t err, const char *message)
    {
        if (rdkafka::isUnreachable(err) || !message || !*message)
            return failure(err);
        return QString::fromUtf8(message);
    }

    Options options(rd_kafka_admin_op_t op, bool validateOnly = false)
    {
        char errstr[256];
        Options o(rd_kafka_AdminOptions_new(client.get(), op));
        rd_kafka_AdminOptions_set_request_timeout(o.get(), kRequestTimeoutMs, errstr,
                                                  sizeof errstr);
        // only the APIs that wait on the broker take an operation timeout
        if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
            op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS || op == RD_KAFKA_ADMIN_OP_DELETERECORDS)
            rd_kafka_AdminOptions_set_operation_timeout(o.get(), kRequestTimeoutMs, errstr,
                                                        sizeof errstr);
        if (validateOnly)
            rd_kafka_AdminOptions_set_validate_only(o.get(), 1, errstr, sizeof errstr);
        return o;
    }

    // Waits on queue (one call's own) for its result; null when none came in time, which
    // librdkafka's request timeout makes unlikely. Serves the client's callbacks meanwhile,
    // so that the error events saying why a broker cannot be reached are there.
    Event await(rd_kafka_queue_t *queue)
    {
        const QDeadlineTimer deadline(kRequestTimeoutMs + kAnswerMarginMs);
        while (!deadline.hasExpired()) {
            if (rd_kafka_event_t *event = rd_kafka_queue_poll(queue, kServeSliceMs))
                return Event(event);
            std::unique_lock lock(serving, std::try_to_lock);
            if (lock.owns_lock())
                rd_kafka_poll(client.get(), 0);
        }
        return nullptr;
    }

    // await() and the request's own error: null with error saying why when the request
    // failed as a whole.
    Event answer(rd_kafka_queue_t *queue, QString &error)
    {
        Event event = await(queue);
        if (!event) {
            error = failure(RD_KAFKA_RESP_ERR__TIMED_OUT);
            return nullptr;
        }
        if (const rd_kafka_resp_err_t err = rd_kafka_event_error(event.get())) {
            error = failure(err, rd_kafka_event_error_string(event.get()));
            return nullptr;
        }
        return event;
    }

    // The partition count of topic from a fresh Metadata request: -1 when there is no such
    // topic, -2 when the cluster did not answer (error says why).
    int partitionCount(QByteArrayView topic, QString &error)
    {
        const QByteArray name = topic.toByteArray();
        rdkafka::TopicHandle handle(rd_kafka_topic_new(client.get(), name.constData(), nullptr));
        if (!handle) {
            error = QStringLiteral("invalid topic name %1").arg(quoted(topic));
            return -2;
        }
        // a topic the cluster is still creating has no leader yet: ask again shortly, within
        // the request timeout
        const QDeadlineTimer deadline(kRequestTimeoutMs);
        int count = -1;
        QString problem;
        for (;;) {
            const struct rd_kafka_metadata *md = nullptr;
            const rd_kafka_resp_err_t err =
                rd_kafka_metadata(client.get(), 0, handle.get(), &md,
                                  int(std::max<qint64>(1, deadline.remainingTime())));
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                error = failure(err);
                return -2;
            }
            rd_kafka_resp_err_t topicErr = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
            for (int i = 0; i < md->topic_cnt; ++i) {
                if (name == md->topics[i].topic) {
                    topicErr = md->topics[i].err;
                    count = md->topics[i].partition_cnt;
                }
            }
            rd_kafka_metadata_destroy(md);
            if (topicErr == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE && !deadline.hasExpired()) {
                QThread::msleep(100);
                continue;
            }
            if (topicErr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
                count = -1;
            else if (topicErr != RD_KAFKA_RESP_ERR_NO_ERROR)
                problem = QString::fromUtf8(rd_kafka_err2str(topicErr));
            break;
        }
        if (!problem.isEmpty()) {
            error = QStringLiteral("topic %1: %2").arg(quoted(topic), problem);
            return -2;
        }
        if (count < 0)
            error = QStringLiteral("no topic %1").arg(quoted(topic));
        return count;
    }

    // Each listed partition's start and end offset (ListOffsets, earliest and latest).
    bool watermarks(QByteArrayView topic, const std::map<int, std::int64_t> &partitions,
                    std::map<int, std::pair<std::int64_t, std::int64_t>> &out, QString &error)
    {
        const QByteArray name = topic.toByteArray();
        for (const std::int64_t which : {RD_KAFKA_OFFSET_BEGINNING, RD_KAFKA_OFFSET_END}) {
            PartitionList list(rd_kafka_topic_partition_list_new(int(partitions.size())));
            for (const auto &entry : partitions)
                rd_kafka_topic_partition_list_add(list.get(), name.constData(), entry.first)
                    ->offset = which;
            const rd_kafka_resp_err_t err =
                rd_kafka_offsets_for_times(client.get(), list.get(), kRequestTimeoutMs);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                error = failure(err);
                return false;
            }
            for (int i = 0; i < list->cnt; ++i) {
                const rd_kafka_topic_partition_t &tp = list->elems[i];
                if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                    error = QStringLiteral("partition %1 of %2: %3")
                                .arg(tp.partition)
                                .arg(quoted(topic), failure(tp.err));
                    return false;
                }
                auto &range = out[tp.partition];
                (which == RD_KAFKA_OFFSET_BEGINNING ? range.first : range.second) = tp.offset;
            }
        }
        return true;
    }
};

KafkaAdmin::KafkaAdmin(std::unique_ptr<Private> d) : d(std::move(d)) {}

KafkaAdmin::~KafkaAdmin() = default;

const KafkaSettings &KafkaAdmin::settings() const
{
    return d->settings;
}

std::unique_ptr<KafkaAdmin> KafkaAdmin::open(const KafkaSettings &settings, QString &error)
{
    auto d = std::make_unique<Private>();
    d->settings = settings;
    d->events.bootstrap = settings.bootstrap;
    QList<std::pair<QByteArray, QByteArray>> config = {
        {"client.id", "rivulet"},
        // every record on every in-sync replica before it counts as written, in order and
        // once (the idempotent producer keeps the order across retries)
        {"acks", "all"},
        {"enable.idempotence", "true"},
        // a record for a topic that is not there is an error, never a new topic
        {"allow.auto.create.topics", "false"},
        {"message.timeout.ms", QByteArray::number(kDeliveryTimeoutMs)},
        {"request.timeout.ms", QByteArray::number(kRequestTimeoutMs)},
        {"socket.timeout.ms", QByteArray::number(kRequestTimeoutMs)},
        // each call waits for its records, so none waits for more to come
        {"linger.ms", "0"},
    };
    config += settings.properties; // the user's settings win
    d->client = rdkafka::create(RD_KAFKA_PRODUCER, config, &d->events, error, delivered);
    if (!d->client)
        return nullptr;
    return std::unique_ptr<KafkaAdmin>(new KafkaAdmin(std::move(d)));
}

WriteResult KafkaAdmin::produce(QByteArrayView topic, int partition,
                                const QList<OutgoingRecord> &records)
{
    WriteResult result;
    if (records.isEmpty())
        return result;
    QString error;
    const int partitions = d->partitionCount(topic, error);
    if (partitions < 0) {
        result.error = error;
        return result;
    }
    if (partition < 0 || partition >= partitions) {
        result.error = QStringLiteral("topic %1 has no partition %2 (it has %3)")
                           .arg(quoted(topic))
                           .arg(partition)
                           .arg(partitions);
        return result;
    }

    const QByteArray name = topic.toByteArray();
    Batch batch;
    batch.offsets.assign(std::size_t(records.size()), -1);
    batch.errors.assign(std::size_t(records.size()), RD_KAFKA_RESP_ERR_NO_ERROR);
    batch.errorTexts.resize(std::size_t(records.size()));
    std::vector<Slot> slots(std::size_t(records.size()));
    QString enqueueError; // why a record could not even be handed to the client
    std::size_t enqueued = 0;
    for (; enqueued < slots.size(); ++enqueued) {
        const OutgoingRecord &r = records[qsizetype(enqueued)];
        slots[enqueued] = {&batch, enqueued};
        rd_kafka_headers_t *headers = nullptr;
        if (!r.headers.isEmpty()) {
            headers = rd_kafka_headers_new(std::size_t(r.headers.size()));
            for (const DecodedHeader &h : r.headers)
                rd_kafka_header_add(headers, h.name.constData(), h.name.size(),
                                    h.hasValue ? h.value.constData() : nullptr,
                                    h.hasValue ? h.value.size() : 0);
        }
        {
            const std::lock_guard lock(batch.mutex);
            ++batch.pending;
        }
        // an empty key or value is a present one: librdkafka keeps a non-null pointer of
        // length 0 as empty, and null as null
        static const char empty = 0;
        const char *key = r.key ? (r.key->isEmpty() ? &empty : r.key->constData()) : nullptr;
        const char *value =
            r.value ? (r.value->isEmpty() ? &empty : r.value->constData()) : nullptr;
        const std::size_t keySize = r.key ? std::size_t(r.key->size()) : 0;
        const std::size_t valueSize = r.value ? std::size_t(r.value->size()) : 0;
        const QDeadlineTimer queueDeadline(kDeliveryTimeoutMs);
        rd_kafka_resp_err_t err;
        for (;;) {
            err = rd_kafka_producev(
                d->client.get(), RD_KAFKA_V_TOPIC(name.constData()),
                RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(const_cast<char *>(key), keySize),
                RD_KAFKA_V_VALUE(const_cast<char *>(value), valueSize),
                RD_KAFKA_V_TIMESTAMP(r.timestampMs < 0 ? 0 : r.timestampMs),
                RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(&slots[enqueued]), RD_KAFKA_V_END);
            // a full local queue drains as deliveries are served: wait for room, bounded
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || queueDeadline.hasExpired())
                break;
            d->serve(kServeSliceMs);
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (headers)
                rd_kafka_headers_destroy(headers); // not taken on failure
            const std::lock_guard lock(batch.mutex);
            --batch.pending;
            enqueueError = QStringLiteral("record %1 could not be sent: %2")
                               .arg(enqueued)
                               .arg(QString::fromUtf8(rd_kafka_err2str(err)));
            break;
        }
    }

    // Every enqueued record gets a delivery report by message.timeout.ms; whichever waiting
    // thread holds `serving` runs the callbacks for all of them.
    for (;;) {
        {
            std::unique_lock lock(batch.mutex);
            if (batch.pending == 0)
                break;
        }
        std::unique_lock serve(d->serving, std::try_to_lock);
        if (serve.owns_lock()) {
            rd_kafka_poll(d->client.get(), kServeSliceMs);
            continue;
        }
        std::unique_lock lock(batch.mutex);
        batch.done.wait_for(lock, std::chrono::milliseconds(kServeSliceMs),
                            [&] { return batch.pending == 0; });
    }

    // an idempotent producer that lost its guarantees stops for good; say why
    char fatal[512];
    if (rd_kafka_fatal_error(d->client.get(), fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR)
        result.error = QStringLiteral("the producer stopped (%1); open the connection again")
                           .arg(QString::fromUtf8(fatal));
    for (std::size_t i = 0; i < enqueued; ++i) {
        if (batch.errors[i] != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (result.error.isEmpty())
                result.error =
                    QStringLiteral("record %1 was not stored: %2")
                        .arg(i)
                        .arg(rdkafka::isUnreachable(batch.errors[i]) ? d->failure(batch.errors[i])
                                                                     : batch.errorTexts[i]);
            continue;
        }
        const std::int64_t offset = batch.offsets[i];
        ++result.written;
        if (result.baseOffset < 0 || offset < result.baseOffset)
            result.baseOffset = offset;
        result.lastOffset = std::max(result.lastOffset, offset);
    }
    if (result.error.isEmpty())
        result.error = enqueueError;
    return result;
}

bool KafkaAdmin::createTopic(QByteArrayView name, int partitions,
                             std::optional<RetentionPolicy> retention, QString &error)
{
    if (partitions < 1) {
        error = QStringLiteral("a topic needs at least one partition");
        return false;
    }
    const QByteArray topic = name.toByteArray();
    char errstr[512];
    rd_kafka_NewTopic_t *newTopic =
        rd_kafka_NewTopic_new(topic.constData(), partitions, -1, errstr, sizeof errstr);
    if (!newTopic) {
        error = QString::fromUtf8(errstr);
        return false;
    }
    if (retention) {
        rd_kafka_NewTopic_set_config(newTopic, "retention.ms",
                                     QByteArray::number(qint64(retention->retentionMs)));
        rd_kafka_NewTopic_set_config(newTopic, "retention.bytes",
                                     QByteArray::number(qint64(retention->retentionBytes)));
    }
    const Queue queue(rd_kafka_queue_new(d->client.get()));
    const Options options = d->options(RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_CreateTopics(d->client.get(), &newTopic, 1, options.get(), queue.get());
    rd_kafka_NewTopic_destroy(newTopic);
    const Event event = d->answer(queue.get(), error);
    if (!event)
        return false;
    std::size_t count = 0;
    const rd_kafka_topic_result_t **results = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(event.get()), &count);
    for (std::size_t i = 0; i < count; ++i) {
        const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
        if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            error = QStringLiteral("topic %1 already exists").arg(quoted(name));
            return false;
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            error = QStringLiteral("could not create topic %1: %2")
                        .arg(quoted(name),
                             d->failure(err, rd_kafka_topic_result_error_string(results[i])));
            return false;
        }
    }
    return true;
}

bool KafkaAdmin::deleteTopic(QByteArrayView name, QString &error)
{
    const QByteArray topic = name.toByteArray();
    rd_kafka_DeleteTopic_t *deleteTopic = rd_kafka_DeleteTopic_new(topic.constData());
    const Queue queue(rd_kafka_queue_new(d->client.get()));
    const Options options = d->options(RD_KAFKA_ADMIN_OP_DELETETOPICS);
    rd_kafka_DeleteTopics(d->client.get(), &deleteTopic, 1, options.get(), queue.get());
    rd_kafka_DeleteTopic_destroy(deleteTopic);
    const Event event = d->answer(queue.get(), error);
    if (!event)
        return false;
    std::size_t count = 0;
    const rd_kafka_topic_result_t **results = rd_kafka_DeleteTopics_result_topics(
        rd_kafka_event_DeleteTopics_result(event.get()), &count);
    for (std::size_t i = 0; i < count; ++i) {
        const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
        if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            error = QStringLiteral("no topic %1").arg(quoted(name));
            return false;
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            error = QStringLiteral("could not delete topic %1: %2")
                        .arg(quoted(name),
                             d->failure(err, rd_kafka_topic_result_error_string(results[i])));
            return false;
        }
    }
    return true;
}

bool KafkaAdmin::setRetention(QByteArrayView name, const RetentionPolicy &retention, QString &error)
{
    const QByteArray topic = name.toByteArray();
    // 1. the topic's dynamic configs, which AlterConfigs would otherwise reset
    QList<std::pair<QByteArray, QByteArray>> keep;
    {
        rd_kafka_ConfigResource_t *resource =
            rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.constData());
        const Queue queue(rd_kafka_queue_new(d->client.get()));
        const Options options = d->options(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
        rd_kafka_DescribeConfigs(d->client.get(), &resource, 1, options.get(), queue.get());
        rd_kafka_ConfigResource_destroy(resource);
        const Event event = d->answer(queue.get(), error);
        if (!event)
            return false;
        std::size_t count = 0;
        const rd_kafka_ConfigResource_t **resources = rd_kafka_DescribeConfigs_result_resources(
            rd_kafka_event_DescribeConfigs_result(event.get()), &count);
        if (count != 1) {
            error = QStringLiteral("the cluster did not describe topic %1").arg(quoted(name));
            return false;
        }
        if (const rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(resources[0])) {
            error =
                err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                    ? QStringLiteral("no topic %1").arg(quoted(name))
                    : QStringLiteral("could not read the configuration of topic %1: %2")
                          .arg(quoted(name),
                               d->failure(err, rd_kafka_ConfigResource_error_string(resources[0])));
            return false;
        }
        std::size_t entries = 0;
        const rd_kafka_ConfigEntry_t **configs =
            rd_kafka_ConfigResource_configs(resources[0], &entries);
        for (std::size_t i = 0; i < entries; ++i) {
            const rd_kafka_ConfigEntry_t *e = configs[i];
            const QByteArray configName = rd_kafka_ConfigEntry_name(e);
            // a broker that answers DescribeConfigs v0 tells no source, only is_default
            const rd_kafka_ConfigSource_t source = rd_kafka_ConfigEntry_source(e);
            const bool topicConfig =
                source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG ||
                (source == RD_KAFKA_CONFIG_SOURCE_UNKNOWN_CONFIG &&
                 !rd_kafka_ConfigEntry_is_default(e) && !rd_kafka_ConfigEntry_is_read_only(e));
            if (!topicConfig || configName == "retention.ms" || configName == "retention.bytes")
                continue;
            const char *value = rd_kafka_ConfigEntry_value(e);
            if (rd_kafka_ConfigEntry_is_sensitive(e) || !value) {
                // the cluster does not tell its value, so AlterConfigs could only drop it
                error = QStringLiteral("topic %1 has a secret setting %2 that changing its "
                                       "retention would reset (librdkafka 2.0 has only "
                                       "AlterConfigs); change it with Kafka's own tools")
                            .arg(quoted(name), QString::fromUtf8(configName));
                return false;
            }
            keep.append({configName, QByteArray(value)});
        }
    }

    // 2. the same configs again with the new retention
    rd_kafka_ConfigResource_t *resource =
        rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.constData());
    for (const auto &[configName, value] : keep)
        rd_kafka_ConfigResource_set_config(resource, configName.constData(), value.constData());
    rd_kafka_ConfigResource_set_config(resource, "retention.ms",
                                       QByteArray::number(qint64(retention.retentionMs)));
    rd_kafka_ConfigResource_set_config(resource, "retention.bytes",
                                       QByteArray::number(qint64(retention.retentionBytes)));
    const Queue queue(rd_kafka_queue_new(d->client.get()));
    const Options options = d->options(RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
    rd_kafka_AlterConfigs(d->client.get(), &resource, 1, options.get(), queue.get());
    rd_kafka_ConfigResource_destroy(resource);
    const Event event = d->answer(queue.get(), error);
    if (!event)
        return false;
    std::size_t count = 0;
    const rd_kafka_ConfigResource_t **resources = rd_kafka_AlterConfigs_result_resources(
        rd_kafka_event_AlterConfigs_result(event.get()), &count);
    for (std::size_t i = 0; i < count; ++i) {
        if (const rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(resources[i])) {
            error =
                err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                    ? QStringLiteral("no topic %1").arg(quoted(name))
                    : QStringLiteral("could not change the retention of topic %1: %2")
                          .arg(quoted(name),
                               d->failure(err, rd_kafka_ConfigResource_error_string(resources[i])));
            return false;
        }
    }
    return true;
}

ChangeOutcome KafkaAdmin::addPartitions(QByteArrayView name, std::int64_t newTotal, QString &error,
                                        bool validateOnly)
{
    if (newTotal < 1 || newTotal > INT_MAX) {
        error = QStringLiteral("%1 is not a partition count").arg(newTotal);
        return ChangeOutcome::Invalid;
    }
    const QByteArray topic = name.toByteArray();
    char errstr[512];
    rd_kafka_NewPartitions_t *newPartitions =
        rd_kafka_NewPartitions_new(topic.constData(), std::size_t(newTotal), errstr, sizeof errstr);
    if (!newPartitions) {
        error = QString::fromUtf8(errstr);
        return ChangeOutcome::Invalid;
    }
    const Queue queue(rd_kafka_queue_new(d->client.get()));
    const Options options = d->options(RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, validateOnly);
    rd_kafka_CreatePartitions(d->client.get(), &newPartitions, 1, options.get(), queue.get());
    rd_kafka_NewPartitions_destroy(newPartitions);
    const Event event = d->answer(queue.get(), error);
    if (!event)
        return ChangeOutcome::Unavailable;
    std::size_t count = 0;
    const rd_kafka_topic_result_t **results = rd_kafka_CreatePartitions_result_topics(
        rd_kafka_event_CreatePartitions_result(event.get()), &count);
    for (std::size_t i = 0; i < count; ++i) {
        const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
            continue;
        error = d->failure(err, rd_kafka_topic_result_error_string(results[i]));
        switch (err) {
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
            error = QStringLiteral("no topic %1").arg(quoted(name));
            return ChangeOutcome::UnknownTopic;
        case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
        case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
        case RD_KAFKA_RESP_ERR_INVALID_REPLICA_ASSIGNMENT:
        case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
            return ChangeOutcome::Invalid;
        case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
            return ChangeOutcome::StorageError;
        default:
            return ChangeOutcome::Unavailable;
        }
    }
    return ChangeOutcome::Done;
}

ChangeOutcome KafkaAdmin::deleteRecordsBefore(QByteArrayView topic, std::int64_t partition,
                                              std::int64_t offset, std::int64_t &startOffset,
                                              QString &error)
{
    const int partitions = d->partitionCount(topic, error);
    if (partitions == -1)
        return ChangeOutcome::UnknownTopic;
    if (partitions < 0)
        return ChangeOutcome::Unavailable;
    if (partition < 0 || partition >= partitions) {
        error = QStringLiteral("topic %1 has no partition %2").arg(quoted(topic)).arg(partition);
        return ChangeOutcome::UnknownPartition;
    }
    if (offset < -1) {
        error = QStringLiteral("%1 is not an offset (-1: the end)").arg(offset);
        return ChangeOutcome::OutOfRange;
    }
    const QByteArray name = topic.toByteArray();
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), name.constData(), std::int32_t(partition))
        ->offset = offset; // -1 is RD_KAFKA_OFFSET_END: the partition's end
    rd_kafka_DeleteRecords_t *deleteRecords = rd_kafka_DeleteRecords_new(list.get());
    const Queue queue(rd_kafka_queue_new(d->client.get()));
    const Options options = d->options(RD_KAFKA_ADMIN_OP_DELETERECORDS);
    rd_kafka_DeleteRecords(d->client.get(), &deleteRecords, 1, options.get(), queue.get());
    rd_kafka_DeleteRecords_destroy(deleteRecords);
    const Event event = d->answer(queue.get(), error);
    if (!event)
        return ChangeOutcome::Unavailable;
    const rd_kafka_topic_partition_list_t *offsets =
        rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(event.get()));
    for (int i = 0; offsets && i < offsets->cnt; ++i) {
        const rd_kafka_topic_partition_t &tp = offsets->elems[i];
        switch (tp.err) {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            startOffset = tp.offset;
            return ChangeOutcome::Done;
        case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
            error = QStringLiteral("offset %1 is past the end of partition %2 of %3")
                        .arg(offset)
                        .arg(partition)
                        .arg(quoted(topic));
            return ChangeOutcome::OutOfRange;
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
            error = QStringLiteral("no partition %1 of topic %2").arg(partition).arg(quoted(topic));
            return ChangeOutcome::UnknownPartition;
        case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
            error = d->failure(tp.err);
            return ChangeOutcome::StorageError;
        default:
            error = d->failure(tp.err);
            return ChangeOutcome::Unavailable;
        }
    }
    error = QStringLiteral("the cluster did not answer for partition %1 of %2")
                .arg(partition)
                .arg(quoted(topic));
    return ChangeOutcome::Unavailable;
}

namespace {

// What a consumer group error means to resetGroupOffsets() and deleteGroup().
GroupOutcome groupOutcome(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
        return GroupOutcome::Done;
    case RD_KAFKA_RESP_ERR_INVALID_GROUP_ID:
        return GroupOutcome::InvalidGroup;
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
        return GroupOutcome::UnknownGroup;
    // Kafka refuses a commit outside the group's generation while it has members, and
    // deleting a group that has them
    case RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP:
    case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
    case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID:
        return GroupOutcome::HasMembers;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        return GroupOutcome::UnknownTopic;
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
        return GroupOutcome::StorageError;
    default:
        return GroupOutcome::Unavailable;
    }
}

QString hasMembers(const QByteArray &groupId)
{
    return QStringLiteral("group '%1' has members: Kafka changes only an empty group, so its "
                          "consumers must stop first")
        .arg(QString::fromUtf8(groupId));
}

} // namespace

GroupOutcome KafkaAdmin::resetGroupOffsets(const QByteArray &groupId, QByteArrayView topic,
                                           const std::map<int, std::int64_t> &offsets,
                                           QString &error)
{
    if (groupId.isEmpty()) {
        error = QStringLiteral("a group needs a name");
        return GroupOutcome::InvalidGroup;
    }
    // 1. only an empty group: Kafka would refuse too, but says less clearly why
    {
        const char *names[] = {groupId.constData()};
        const Queue queue(rd_kafka_queue_new(d->client.get()));
        const Options options = d->options(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
        rd_kafka_DescribeConsumerGroups(d->client.get(), names, 1, options.get(), queue.get());
        const Event event = d->answer(queue.get(), error);
        if (!event)
            return GroupOutcome::Unavailable;
        std::size_t count = 0;
        const rd_kafka_ConsumerGroupDescription_t **groups =
            rd_kafka_DescribeConsumerGroups_result_groups(
                rd_kafka_event_DescribeConsumerGroups_result(event.get()), &count);
        for (std::size_t i = 0; i < count; ++i) {
            if (const rd_kafka_error_t *e = rd_kafka_ConsumerGroupDescription_error(groups[i])) {
                const rd_kafka_resp_err_t err = rd_kafka_error_code(e);
                if (err == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND)
                    continue; // a new group: committing creates it
                error = d->failure(err, rd_kafka_error_string(e));
                return groupOutcome(err);
            }
            if (rd_kafka_ConsumerGroupDescription_member_count(groups[i]) > 0) {
                error = hasMembers(groupId);
                return GroupOutcome::HasMembers;
            }
        }
    }

    // 2. the topic's partitions, and the offsets clamped to what each holds
    const int partitions = d->partitionCount(topic, error);
    if (partitions == -1)
        return GroupOutcome::UnknownTopic;
    if (partitions < 0)
        return GroupOutcome::Unavailable;
    for (const auto &entry : offsets) {
        if (entry.first < 0 || entry.first >= partitions) {
            error =
                QStringLiteral("topic %1 has no partition %2").arg(quoted(topic)).arg(entry.first);
            return GroupOutcome::UnknownPartition;
        }
    }
    if (offsets.empty())
        return GroupOutcome::Done;
    std::map<int, std::pair<std::int64_t, std::int64_t>> ranges;
    if (!d->watermarks(topic, offsets, ranges, error))
        return GroupOutcome::Unavailable;

    // 3. the commit (an OffsetCommit outside any generation, as Kafka's tools make)
    const QByteArray name = topic.toByteArray();
    PartitionList list(rd_kafka_topic_partition_list_new(int(offsets.size())));
    for (const auto &[partition, offset] : offsets) {
        const auto &[start, end] = ranges[partition];
        rd_kafka_topic_partition_list_add(list.get(), name.constData(), partition)->offset =
            std::clamp(offset, start, std::max(start, end));
    }
    rd_kafka_AlterConsumerGroupOffsets_t *alter =
        rd_kafka_AlterConsumerGroupOffsets_new(groupId.constData(), list.get());
    const Queue queue(rd_kafka_queue_new(d->client.get()));
    const Options options = d->options(RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS);
    rd_kafka_AlterConsumerGroupOffsets(d->client.get(), &alter, 1, options.get(), queue.get());
    rd_kafka_AlterConsumerGroupOffsets_destroy(alter);
    const Event event = d->await(queue.get());
    if (!event || rd_kafka_event_error(event.get())) {
        const rd_kafka_resp_err_t err =
            event ? rd_kafka_event_error(event.get()) : RD_KAFKA_RESP_ERR__TIMED_OUT;
        const GroupOutcome outcome =
            rdkafka::isUnreachable(err) ? GroupOutcome::Unavailable : groupOutcome(err);
        error = outcome == GroupOutcome::HasMembers
                    ? hasMembers(groupId)
                    : d->failure(err, event ? rd_kafka_event_error_string(event.get()) : nullptr);
        return outcome;
    }
    std::size_t count = 0;
    const rd_kafka_group_result_t **results = rd_kafka_AlterConsumerGroupOffsets_result_groups(
        rd_kafka_event_AlterConsumerGroupOffsets_result(event.get()), &count);
    for (std::size_t i = 0; i < count; ++i) {
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        QString text;
        if (const rd_kafka_error_t *e = rd_kafka_group_result_error(results[i])) {
            err = rd_kafka_error_code(e);
            text = d->failure(err, rd_kafka_error_string(e));
        }
        const rd_kafka_topic_partition_list_t *answered =
            rd_kafka_group_result_partitions(results[i]);
        for (int p = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && answered && p < answered->cnt; ++p) {
            if (answered->elems[p].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                err = answered->elems[p].err;
                text = QStringLiteral("partition %1: %2")
                           .arg(answered->elems[p].partition)
                           .arg(d->failure(err));
            }
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            const GroupOutcome outcome = groupOutcome(err);
            error = outcome == GroupOutcome::HasMembers ? hasMembers(groupId) : text;
            return outcome == GroupOutcome::UnknownGroup ? GroupOutcome::Unavailable : outcome;
        }
    }
    return GroupOutcome::Done;
}

GroupOutcome KafkaAdmin::deleteGroup(const QByteArray &groupId, QString &error)
{
    if (groupId.isEmpty()) {
        error = QStringLiteral("a group needs a name");
        return GroupOutcome::InvalidGroup;
    }
    rd_kafka_DeleteGroup_t *deleteGroup = rd_kafka_DeleteGroup_new(groupId.constData());
    const Queue queue(rd_kafka_queue_new(d->client.get()));
    const Options options = d->options(RD_KAFKA_ADMIN_OP_DELETEGROUPS);
    rd_kafka_DeleteGroups(d->client.get(), &deleteGroup, 1, options.get(), queue.get());
    rd_kafka_DeleteGroup_destroy(deleteGroup);
    const Event event = d->answer(queue.get(), error);
    if (!event)
        return GroupOutcome::Unavailable;
    std::size_t count = 0;
    const rd_kafka_group_result_t **results = rd_kafka_DeleteGroups_result_groups(
        rd_kafka_event_DeleteGroups_result(event.get()), &count);
    for (std::size_t i = 0; i < count; ++i) {
        const rd_kafka_error_t *e = rd_kafka_group_result_error(results[i]);
        if (!e)
            continue;
        const rd_kafka_resp_err_t err = rd_kafka_error_code(e);
        const GroupOutcome outcome = groupOutcome(err);
        switch (outcome) {
        case GroupOutcome::HasMembers:
            error = hasMembers(groupId);
            break;
        case GroupOutcome::UnknownGroup:
            error = QStringLiteral("no group '%1'").arg(QString::fromUtf8(groupId));
            break;
        default:
            error = d->failure(err, rd_kafka_error_string(e));
            break;
        }
        return outcome;
    }
    return GroupOutcome::Done;
}

} // namespace rivulet
