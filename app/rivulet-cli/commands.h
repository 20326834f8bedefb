#pragma once

#include <QStringList>

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

int create(const Target &target, const QStringList &args);
int produce(const Target &target, const QStringList &args);
int consume(const Target &target, const QStringList &args);
int remove(const Target &target, const QStringList &args);
int retention(const Target &target, const QStringList &args);
int topics(const Target &target, const QStringList &args);
int consumers(const Target &target, const QStringList &args);
// Over the Kafka protocol (--bootstrap), which carries keys, headers and timestamps.
int exportTopic(const QStringList &args);
int importTopic(const QStringList &args);
// Against any Kafka cluster through librdkafka (--bootstrap before the command).
int clusterTopics(const rivulet::KafkaSettings &settings, const QStringList &args);
int clusterConsumers(const rivulet::KafkaSettings &settings, const QStringList &args);
// On a data directory (users.json), with or without the broker running.
int users(const QStringList &args);
// tls init DIR: a self-signed authority, a localhost server certificate and a client one.
int tls(const QStringList &args);

} // namespace cli
