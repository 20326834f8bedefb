#pragma once

#include "connection.h"
#include "kafka/kafkahandler.h"
#include "session.h"

#include <QTimer>

#include <memory>
#include <mutex>

namespace rivulet {

class ClientStats;

// One Kafka-protocol connection. Like a Kafka broker it handles a connection's requests one
// at a time: while an answer is pending (a JoinGroup waiting for the round, a Fetch waiting
// for data) the next request stays unread, so answers always go out in request order.
class KafkaSession : public Session
{
    Q_OBJECT
public:
    // How often a waiting Fetch looks for new data (it answers early when data arrives).
    static constexpr int kFetchPollMs = 5;

    // What a TLS listener knows of a connection it relays (TlsSession): the real peer, and
    // the subject of a verified client certificate.
    struct Relayed
    {
        QString peerHost;
        QString peerName;
        QString certificateSubject; // empty without a client certificate
    };

    KafkaSession(Broker &broker, std::shared_ptr<const kafka::KafkaConfig> config,
                 qintptr descriptor, QObject *parent = nullptr, const Relayed *relayed = nullptr);
    ~KafkaSession() override;

    Connection::Expiry sweep(qint64 nowMs, int requestTimeoutMs, int idleTimeoutMs) override;

private:
    // Lets other threads hand a deferred answer to this session while it exists.
    struct Handle
    {
        std::mutex mutex;
        KafkaSession *session = nullptr;
    };

    void processInput();
    // A deferred answer (null: none to send) is ready; the next request may be read.
    void deliver(const QByteArray &response);
    void send(const QByteArray &response);
    void pollFetch();
    void close(const QString &why);

    Broker &m_broker;
    std::shared_ptr<const kafka::KafkaConfig> m_config;
    std::shared_ptr<ClientStats> m_stats;
    std::shared_ptr<Handle> m_handle;
    Connection m_connection;
    QTimer m_fetchTimer;
    std::unique_ptr<kafka::KafkaHandler> m_handler;
    bool m_waiting = false;
    bool m_closing = false;
};

} // namespace rivulet
