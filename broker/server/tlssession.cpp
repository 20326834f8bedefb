#include "tlssession.h"

#include "kafkasession.h"
#include "security/tlssettings.h"

#include <QLocalSocket>
#include <QSslSocket>

#include <sys/socket.h>
#include <unistd.h>

namespace rivulet {

TlsSession::TlsSession(Broker &broker, std::shared_ptr<const kafka::KafkaConfig> config,
                       qintptr descriptor, QObject *parent)
    : Session(parent), m_broker(broker), m_config(std::move(config)), m_tls(new QSslSocket(this))
{
    m_tls->setReadBufferSize(kRelayWindow);
    if (!m_tls->setSocketDescriptor(descriptor)) {
        ::close(int(descriptor));
        QMetaObject::invokeMethod(this, &Session::finished, Qt::QueuedConnection);
        m_done = true;
        return;
    }
    const QHostAddress peer = m_tls->peerAddress();
    bool isV4 = false;
    const quint32 v4 = peer.toIPv4Address(&isV4);
    const QString host = isV4 ? QHostAddress(v4).toString() : peer.toString();
    m_peerName = (host.contains(u':') ? u'[' + host + u']' : host) + u':' +
                 QString::number(m_tls->peerPort());
    m_tls->setSslConfiguration(*m_config->tls);

    connect(m_tls, &QSslSocket::encrypted, this, &TlsSession::encrypted);
    connect(m_tls, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        // "requested": a client without a certificate may come in; one whose certificate
        // does not verify may not (Qt aborts the handshake unless the errors are ignored)
        if (m_config->tlsClientAuth != TlsClientAuth::Requested)
            return;
        for (const QSslError &e : errors)
            if (e.error() != QSslError::NoPeerCertificate)
                return;
        m_tls->ignoreSslErrors(errors);
    });
    connect(m_tls, &QAbstractSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
        if (e == QAbstractSocket::RemoteHostClosedError && m_tls->isEncrypted())
            return; // the client closed: disconnected() ends the relay
        if (!m_tls->isEncrypted())
            refuse(QStringLiteral("TLS handshake failed: %1").arg(m_tls->errorString()));
    });
    connect(m_tls, &QSslSocket::readyRead, this, &TlsSession::toSession);
    connect(m_tls, &QSslSocket::encryptedBytesWritten, this, &TlsSession::toClient);
    connect(m_tls, &QAbstractSocket::disconnected, this, [this] {
        m_tlsEnded = true;
        toSession(); // passes on what is left, then ends the session's input
        checkDone();
    });
    m_handshakeTimer.setSingleShot(true);
    connect(&m_handshakeTimer, &QTimer::timeout, this,
            [this] { refuse(QStringLiteral("no TLS handshake within %1 ms").arg(kHandshakeMs)); });
    m_handshakeTimer.start(kHandshakeMs);
    m_tls->startServerEncryption();
}

TlsSession::~TlsSession() = default;

void TlsSession::refuse(const QString &why)
{
    if (m_done || m_relay)
        return;
    qWarning("rivulet: closing TLS connection from %s: %s", qPrintable(m_peerName),
             qPrintable(why));
    m_done = true;
    m_handshakeTimer.stop();
    m_tls->abort();
    Q_EMIT finished();
}

void TlsSession::encrypted()
{
    m_handshakeTimer.stop();
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        refuse(QStringLiteral("cannot make the relay: %1").arg(qt_error_string(errno)));
        return;
    }
    KafkaSession::Relayed relayed;
    relayed.peerName = m_peerName;
    relayed.peerHost = m_peerName.left(m_peerName.lastIndexOf(u':')).remove(u'[').remove(u']');
    const QSslCertificate certificate = m_tls->peerCertificate();
    if (!certificate.isNull())
        relayed.certificateSubject = certificateSubjectName(certificate);
    m_relay = new QLocalSocket(this);
    m_relay->setReadBufferSize(kRelayWindow);
    m_relay->setSocketDescriptor(pair[0]);
    connect(m_relay, &QLocalSocket::readyRead, this, &TlsSession::toClient);
    connect(m_relay, &QLocalSocket::bytesWritten, this, &TlsSession::toSession);
    connect(m_relay, &QLocalSocket::disconnected, this, [this] {
        m_relayEnded = true;
        toClient(); // sends what the session said, then closes the TLS connection
        checkDone();
    });
    m_session = new KafkaSession(m_broker, m_config, pair[1], this, &relayed);
    connect(m_session, &Session::finished, m_session, &QObject::deleteLater);
    toSession(); // application data may have come with the handshake's last flight
}

void TlsSession::toSession()
{
    if (!m_relay || m_relay->state() != QLocalSocket::ConnectedState)
        return;
    while (m_tls->bytesAvailable() > 0 && m_relay->bytesToWrite() < kRelayWindow)
        m_relay->write(m_tls->read(64 << 10));
    // the client is gone and all it sent is passed on: the session sees its input end
    // (disconnecting waits for the bytes still to be written)
    if (m_tlsEnded && m_tls->bytesAvailable() == 0)
        m_relay->disconnectFromServer();
}

void TlsSession::toClient()
{
    if (!m_relay || m_tls->state() != QAbstractSocket::ConnectedState)
        return;
    while (m_relay->bytesAvailable() > 0 &&
           m_tls->encryptedBytesToWrite() + m_tls->bytesToWrite() < kRelayWindow)
        m_tls->write(m_relay->read(64 << 10));
    // the session closed its end and all it said is on its way: close the TLS connection
    if (m_relayEnded && m_relay->bytesAvailable() == 0)
        m_tls->disconnectFromHost();
}

void TlsSession::checkDone()
{
    if (m_done)
        return;
    const bool tlsOver = m_tls->state() == QAbstractSocket::UnconnectedState;
    const bool relayOver = !m_relay || m_relay->state() == QLocalSocket::UnconnectedState;
    if (tlsOver && relayOver) {
        m_done = true;
        Q_EMIT finished();
    }
}

Connection::Expiry TlsSession::sweep(qint64 nowMs, int requestTimeoutMs, int idleTimeoutMs)
{
    // closing the relayed session's end of the socketpair ends this one too (checkDone)
    return m_session && !m_done ? m_session->sweep(nowMs, requestTimeoutMs, idleTimeoutMs)
                                : Connection::Expiry::None;
}

} // namespace rivulet
