#pragma once

#include "kafka/kafkahandler.h"
#include "session.h"

#include <QTimer>

#include <memory>

class QLocalSocket;
class QSslSocket;

namespace rivulet {

class Broker;
class KafkaSession;

// A connection on a TLS listener (SSL, SASL_SSL). A QSslSocket (Qt's OpenSSL backend) takes
// the accepted descriptor and does the handshake; once the connection is encrypted, the
// plaintext is relayed over a socketpair to an ordinary KafkaSession, so that the Kafka
// code never knows whether TLS carries it. The relay costs a copy through the kernel each
// way; it keeps TLS out of Connection, whose raw descriptor I/O serves every plaintext
// listener. Bytes that are not a TLS handshake (a plaintext client on a TLS port), a
// certificate that does not verify, or no finished handshake within kHandshakeMs close the
// connection with one log line.
class TlsSession : public Session
{
    Q_OBJECT
public:
    static constexpr int kHandshakeMs = 10000;
    // Relay at most this much ahead of the slower side.
    static constexpr qint64 kRelayWindow = 1 << 20;

    TlsSession(Broker &broker, std::shared_ptr<const kafka::KafkaConfig> config, qintptr descriptor,
               QObject *parent = nullptr);
    ~TlsSession() override;

    // The relayed KafkaSession's timeouts (a partial request, an idle connection) count the
    // plaintext it sees; before the handshake finished, kHandshakeMs is the only limit.
    Connection::Expiry sweep(qint64 nowMs, int requestTimeoutMs, int idleTimeoutMs) override;

private:
    void encrypted();
    void refuse(const QString &why);
    void toSession();
    void toClient();
    void checkDone();

    Broker &m_broker;
    std::shared_ptr<const kafka::KafkaConfig> m_config;
    QSslSocket *m_tls;
    QLocalSocket *m_relay = nullptr; // our end of the socketpair
    KafkaSession *m_session = nullptr;
    QTimer m_handshakeTimer;
    QString m_peerName;
    bool m_tlsEnded = false;   // the client closed
    bool m_relayEnded = false; // the session closed
    bool m_done = false;
};

} // namespace rivulet
