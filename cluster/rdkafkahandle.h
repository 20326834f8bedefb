#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <librdkafka/rdkafka.h>

#include <memory>
#include <optional>
#include <utility>

// A librdkafka client handle and what it reports, shared by rivulet-cli's Kafka commands and
// the cluster source (kafkacluster.h): one place that applies a configuration and keeps the
// client's errors instead of printing them.
namespace rivulet::rdkafka {

struct HandleDeleter
{
    void operator()(rd_kafka_t *rk) const { rd_kafka_destroy(rk); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

struct TopicDeleter
{
    void operator()(rd_kafka_topic_t *rkt) const { rd_kafka_topic_destroy(rkt); }
};
using TopicHandle = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;

// The other librdkafka objects the cluster code owns, each freed by its own destroy call.
struct PartitionListDeleter
{
    void operator()(rd_kafka_topic_partition_list_t *list) const
    {
        rd_kafka_topic_partition_list_destroy(list);
    }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

struct MessageDeleter
{
    void operator()(rd_kafka_message_t *m) const { rd_kafka_message_destroy(m); }
};
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

struct EventDeleter
{
    void operator()(rd_kafka_event_t *event) const { rd_kafka_event_destroy(event); }
};
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

struct QueueDeleter
{
    void operator()(rd_kafka_queue_t *queue) const { rd_kafka_queue_destroy(queue); }
};
using Queue = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;

struct AdminOptionsDeleter
{
    void operator()(rd_kafka_AdminOptions_t *o) const { rd_kafka_AdminOptions_destroy(o); }
};
using AdminOptions = std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter>;

// The client's own error events, kept so that a caller can say in one sentence why it failed
// ("Connect to ipv4#127.0.0.1:9092 failed: Connection refused"). Written on librdkafka's
// threads only while the caller polls (rd_kafka_poll), so the caller's thread reads them.
struct Events
{
    QString bootstrap; // HOST:PORT[,HOST:PORT…]
    QString lastError;
    bool allBrokersDown = false; // every bootstrap address refused or failed
    bool authenticationFailed = false;
    void *user = nullptr; // the caller's own state, for its delivery callback
};

// A producer's delivery report callback; its opaque is the Events.
using DeliveryCallback = void (*)(rd_kafka_t *, const rd_kafka_message_t *, void *opaque);

// A producer or consumer on events->bootstrap with config applied in order (later entries
// win). events must outlive the handle. Null with error on a bad configuration; error never
// repeats a property's value (it may be a secret).
Handle create(rd_kafka_type_t type, const QList<std::pair<QByteArray, QByteArray>> &config,
              Events *events, QString &error, DeliveryCallback delivered = nullptr);

// A consumed message's headers in order, by name; nullopt for a null header value.
QList<std::pair<QByteArray, std::optional<QByteArray>>> messageHeaders(const rd_kafka_message_t *m);

// True for the errors that mean "no broker to talk to".
bool isUnreachable(rd_kafka_resp_err_t err);

// Why a request failed, in one sentence: an authentication failure or "no Kafka broker
// answered at …" with the client's last error event for the errors isUnreachable() names,
// librdkafka's text for err otherwise.
QString failure(const Events &events, rd_kafka_resp_err_t err);
// Whether a message holds one of failure()'s "no broker / authentication failed" sentences
// (rivulet-cli's exit code 3 for errors that come back as text, as KafkaAdmin's do).
bool saysUnreachable(const QString &message);

} // namespace rivulet::rdkafka
