#pragma once

#include "kafkasettings.h"
#include "log/logsettings.h"
#include "security/securityprotocol.h"
#include "security/tlssettings.h"

#include <QHostAddress>
#include <QString>
#include <QStringList>

#include <vector>

// One Kafka listener: --kafka-port (PLAINTEXT) or a --kafka-listener PROTOCOL://HOST:PORT.
struct KafkaListener
{
    rivulet::SecurityProtocol security = rivulet::SecurityProtocol::Plaintext;
    QHostAddress address;
    quint16 port = 0;
};

// The rivulet command line.
struct Options
{
    bool headless = false;
    // --connect BOOTSTRAP [--kafka-config FILE]: a window on that Kafka cluster, and no broker
    // here (no listeners, no data directory). The properties are read from the file at parse
    // time; their values are never printed (KafkaSettings::describe()).
    bool connect = false;
    rivulet::KafkaSettings cluster;
    QHostAddress listen{QHostAddress::LocalHost}; // the --kafka-port listener's address
    // The native protocol has no authentication: loopback unless --native-listen says.
    QHostAddress nativeListen{QHostAddress::LocalHost};
    bool nativeListenGiven = false;
    quint16 port = 8080;
    quint16 kafkaPort = 9092;
    // Every Kafka listener, the --kafka-port one (PLAINTEXT) first unless only
    // --kafka-listener options were given.
    std::vector<KafkaListener> kafkaListeners;
    rivulet::TlsSettings tls;
    QStringList notes;      // printed to stderr at start (e.g. what --listen no longer does)
    QString advertisedHost; // empty: the listen address (or the host name for 0.0.0.0)
    bool autoCreateTopics = true;
    int defaultPartitions = 1;
    bool inMemory = false;
    QString dataDir; // empty: the platform's app data location
    rivulet::LogSettings log;
    rivulet::RetentionPolicy retention;
    int workers = 0; // one per core
    std::size_t maxRequestBytes = 0;
    int maxConnections = 10000;      // rivulet::ConnectionLimit::kDefaultMax
    std::size_t maxMessageBytes = 0; // 0: rivulet::compression::kDefaultMaxInflatedBytes
    bool seedCompat = false;
    // bounded abuse; the defaults are BrokerConfig's
    int requestTimeoutMs = 30000;
    int idleTimeoutMs = 600000;
    qint64 maxQueuedReplyBytes = qint64(4) << 20;
    qint64 maxBufferedBytes = qint64(256) << 20;
    qint64 fetchMaxBytes = 57671680;
};

struct ParsedOptions
{
    Options options;
    enum class Action
    {
        Run,
        Exit
    } action = Action::Run;
    int exitCode = 0;
    QString message; // printed before exiting: help, version or what was wrong
};

// Parses arguments (argv[0] first). Never exits the process itself.
ParsedOptions parseOptions(const QStringList &arguments);

// $XDG_DATA_HOME/rivulet, e.g. ~/.local/share/rivulet.
QString defaultDataDir();

// True when the window cannot be shown: no X11 or Wayland display and no platform forced.
bool noDisplayAvailable();
