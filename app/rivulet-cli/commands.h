#pragma once

#include <QByteArray>
#include <QList>
#include <QStringList>

#include <functional>

namespace rivulet {
struct KafkaSettings;
}

// rivulet-cli's commands. Each returns the process exit code:
// 0 done, 1 the broker answered Error, 2 bad command line, 3 broker unreachable or gone.
namespace cli {

enum ExitCode
{
    Ok = 0,
    BrokerError = 1,
    Usage = 2,
    Unreachable = 3
};

struct Target
{
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 8080;
};

// What create, delete, retention, produce and consume are asked, the same whether they go
// to the native protocol or to a Kafka cluster (--bootstrap). The parse functions return Ok,
// or Usage after printing what is wrong.
struct CreateOptions
{
    QString topic;
    qint64 partitions = 1;
    qint64 retentionMs = -1;
    qint64 retentionBytes = -1;
    bool setRetention = false; // --retention-ms or --retention-bytes given
};
struct RetentionOptions
{
    QString topic;
    qint64 ms = -1;
    qint64 bytes = -1;
};
struct ProduceOptions
{
    QString topic;
    qint64 partition = 0;
    qint64 batch = 100;
    QStringList values; // empty: one message per line of stdin
};
struct ConsumeOptions
{
    QString topic;
    qint64 partition = 0;
    qint64 offset = 0;
    qint64 count = -1; // -1: no limit
    bool follow = false;
    QString format;
    QByteArray consumer;
    bool consumerGiven = false;
};
int parseCreate(const QStringList &args, CreateOptions &out);
int parseTopicOnly(const QString &command, const QStringList &args, QString &topic);
int parseRetention(const QStringList &args, RetentionOptions &out);
int parseProduce(const QStringList &args, ProduceOptions &out);
int parseConsume(const QStringList &args, ConsumeOptions &out);
// Hands produce's values (its arguments, or stdin's lines) to send in batches of o.batch;
// stops at the first exit code that is not Ok and returns it.
int sendValues(const ProduceOptions &o, const std::function<int(const QList<QByteArray> &)> &send);
// The lines the commands print when they succeed.
void printCreated(const CreateOptions &o);
void printRetention(const RetentionOptions &o);
void printProduced(const ProduceOptions &o, qint64 sent, qint64 firstOffset, qint64 lastOffset);
// One consumed message as --format says (%o offset, %v value, %p partition, %t topic).
void printRecord(const ConsumeOptions &o, qint64 offset, const QByteArray &value);

int create(const Target &target, const QStringList &args);
int produce(const Target &target, const QStringList &args);
int consume(const Target &target, const QStringList &args);
int remove(const Target &target, const QStringList &args);
int retention(const Target &target, const QStringList &args);
int topics(const Target &target, const QStringList &args);
int consumers(const Target &target, const QStringList &args);
// Over the Kafka protocol (--bootstrap, --kafka-config), which carries keys, headers and
// timestamps.
int exportTopic(const QStringList &args);
int importTopic(const QStringList &args);
// Against any Kafka cluster through librdkafka (--bootstrap before the command).
int clusterTopics(const rivulet::KafkaSettings &settings, const QStringList &args);
int clusterConsumers(const rivulet::KafkaSettings &settings, const QStringList &args);
int clusterCreate(const rivulet::KafkaSettings &settings, const QStringList &args);
int clusterDelete(const rivulet::KafkaSettings &settings, const QStringList &args);
int clusterRetention(const rivulet::KafkaSettings &settings, const QStringList &args);
int clusterProduce(const rivulet::KafkaSettings &settings, const QStringList &args);
int clusterConsume(const rivulet::KafkaSettings &settings, const QStringList &args);
// On a data directory (users.json), with or without the broker running.
int users(const QStringList &args);
// tls init DIR: a self-signed authority, a localhost server certificate and a client one.
int tls(const QStringList &args);

} // namespace cli
