#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <librdkafka/rdkafka.h>

#include <memory>
#include <utility>

// What `rivulet-cli export` and `import` share: a librdkafka handle on the broker's Kafka
// listener. They use the Kafka protocol because the native protocol carries only values;
// keys, headers and timestamps need Kafka's record format.
namespace cli::kafka {

constexpr int kMetadataTimeoutMs = 10000;

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

// The client's own log and error events, kept instead of printed so that a command can say
// in one sentence why it failed ("Connect to ipv4#127.0.0.1:9092 failed: Connection refused").
struct Events
{
    QString bootstrap; // HOST:PORT of the Kafka listener
    QString lastError;
    bool allBrokersDown = false; // every bootstrap address refused or failed
    void *user = nullptr;        // the command's own state, for its delivery callback
};

// A producer's delivery report callback; its opaque is the Events.
using DeliveryCallback = void (*)(rd_kafka_t *, const rd_kafka_message_t *, void *opaque);

// A producer or consumer on events->bootstrap with config applied. events must outlive the
// handle. Returns null with error on a bad configuration.
Handle create(rd_kafka_type_t type, const QList<std::pair<const char *, QByteArray>> &config,
              Events *events, QString &error, DeliveryCallback delivered = nullptr);

// The topic's partition count, waiting up to kMetadataTimeoutMs for the broker (and for a
// topic that the broker is creating). On failure: -1 with error, and exitCode Unreachable
// when no broker answered or BrokerError when it answered that the topic is not there.
int partitionCount(rd_kafka_t *rk, const QByteArray &topic, Events *events, QString &error,
                   int &exitCode);

// partitionCount() for a command that reads or writes partition `wanted` (-1: any): on
// failure prints "rivulet-cli COMMAND: <what is wrong><suffix>" (a partition the topic lacks
// is a usage error) and returns -1 with exitCode set.
int checkedPartitionCount(rd_kafka_t *rk, const QString &command, const QString &topic,
                          qint64 wanted, Events *events, int &exitCode, const char *suffix = "");

// True for the errors that mean "no broker to talk to" (exit code Unreachable).
bool isUnreachable(rd_kafka_resp_err_t err);

// "Is the broker running?" hint with the address and the client's last error.
QString unreachableHint(const Events &events);

} // namespace cli::kafka
