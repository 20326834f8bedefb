#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <utility>

namespace rivulet {

// How to reach a Kafka cluster: its bootstrap servers and the librdkafka properties that
// secure the connection (security.protocol, sasl.*, ssl.*), read from a file the user keeps
// (`--kafka-config FILE`). The properties' values never go to the settings file or a log.
struct KafkaSettings
{
    QString bootstrap;  // HOST:PORT[,HOST:PORT…]
    QString configFile; // where properties came from (empty: none)
    QList<std::pair<QByteArray, QByteArray>> properties;

    // "HOST:PORT (SASL_SSL, user alice)"-style description that names no secret.
    QString describe() const;
};

// Reads a librdkafka/Java-style properties file: `name=value` (or `name: value`) lines,
// `#` and `!` comments, blank lines ignored, whitespace around names and values trimmed.
// False with an error naming the file and line for anything else (a line without `=`, an
// empty name); the error never quotes a value. bootstrap.servers in the file is taken as
// the bootstrap when settings.bootstrap is empty, and dropped otherwise (the command line
// wins).
bool loadKafkaConfig(const QString &path, KafkaSettings &settings, QString &error);

// What is wrong with a bootstrap list (HOST:PORT[,HOST:PORT…], an IPv6 host in brackets,
// ports 1–65535), for the user; empty when it is well formed. Says nothing of reachability.
QString bootstrapProblem(const QString &bootstrap);

// Properties whose values are secrets (passwords, keys, tokens): shown as "•••".
bool isSecretProperty(const QByteArray &name);

} // namespace rivulet
