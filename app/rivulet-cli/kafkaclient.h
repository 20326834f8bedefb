#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include "kafkasettings.h"
#include "rdkafkahandle.h"

#include <memory>
#include <utility>

// What `rivulet-cli export` and `import` share: a librdkafka handle on the broker's Kafka
// listener. They use the Kafka protocol because the native protocol carries only values;
// keys, headers and timestamps need Kafka's record format.
namespace cli {
struct Args;
}

namespace cli::kafka {

constexpr int kMetadataTimeoutMs = 10000;

using rivulet::rdkafka::create;
using rivulet::rdkafka::DeliveryCallback;
using rivulet::rdkafka::Events;
using rivulet::rdkafka::Handle;
using rivulet::rdkafka::isUnreachable;
using rivulet::rdkafka::TopicHandle;

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

// export's and import's client settings: --bootstrap (default 127.0.0.1:9092, or the
// file's bootstrap.servers) and the librdkafka properties of --kafka-config FILE. Returns Ok,
// or Usage after printing what is wrong with the file.
int clientSettings(const QString &command, const Args &args, rivulet::KafkaSettings &settings);

// "Is the broker running?" hint with the address and the client's last error.
QString unreachableHint(const Events &events);

} // namespace cli::kafka
