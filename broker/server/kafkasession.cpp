#include "kafkasession.h"

#include "broker.h"
#include "log/bytes.h"

namespace rivulet {

KafkaSession::KafkaSession(Broker &broker, std::shared_ptr<const kafka::KafkaConfig> config,
                           qintptr descriptor, QObject *parent)
    : Session(parent), m_broker(broker), m_config(std::move(config)),
      m_handle(std::make_shared<Handle>())
{
    m_handle->session = this;
    m_socket.setSocketDescriptor(descriptor);
    m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_socket.setReadBufferSize(1 << 20);
    const QString host = m_socket.peerAddress().toString();
    m_stats = broker.clients().add(host + u':' + QString::number(m_socket.peerPort()),
                                   QStringLiteral("kafka"), Broker::nowMs());
    m_handler = std::make_unique<kafka::KafkaHandler>(broker, *m_config, m_stats, host);
    m_fetchTimer.setInterval(kFetchPollMs);
    connect(&m_fetchTimer, &QTimer::timeout, this, &KafkaSession::pollFetch);
    connect(&m_socket, &QTcpSocket::readyRead, this, &KafkaSession::processInput);
    connect(&m_socket, &QTcpSocket::bytesWritten, this, [this] {
        if (m_socket.bytesToWrite() < kMaxPendingWrite / 2)
            processInput();
    });
    connect(&m_socket, &QTcpSocket::disconnected, this, &Session::finished);
    if (m_socket.state() != QAbstractSocket::ConnectedState)
        QMetaObject::invokeMethod(this, &Session::finished, Qt::QueuedConnection);
}

KafkaSession::~KafkaSession()
{
    {
        std::lock_guard lock(m_handle->mutex);
        m_handle->session = nullptr;
    }
    m_broker.clients().remove(m_stats);
}

void KafkaSession::processInput()
{
    while (!m_waiting && !m_closing && m_socket.bytesToWrite() < kMaxPendingWrite) {
        const qint64 available = m_socket.bytesAvailable();
        if (available > 0) {
            m_in.append(m_socket.read(available));
            m_stats->addBytesIn(available);
        }
        const qsizetype have = m_in.size() - m_inStart;
        if (have < 4)
            break;
        const std::int32_t size = be::readI32(m_in.constData() + m_inStart);
        if (size < 8 || size > m_config->maxFrameBytes) {
            // checked before a byte of it is buffered
            close(QStringLiteral("request size %1 is outside 8..%2").arg(size).arg(m_config->maxFrameBytes));
            return;
        }
        if (have < 4 + size) {
            if (m_socket.bytesAvailable() > 0)
                continue;
            break;
        }
        const QByteArray frame = m_in.mid(m_inStart + 4, size);
        m_inStart += 4 + size;
        if (m_inStart == m_in.size()) {
            m_in.clear();
            m_inStart = 0;
        }
        const std::shared_ptr<Handle> handle = m_handle;
        const auto outcome = m_handler->handle(frame, [handle](QByteArray response) {
            std::lock_guard lock(handle->mutex);
            if (KafkaSession *s = handle->session)
                QMetaObject::invokeMethod(
                    s, [s, response] { s->deliver(response); }, Qt::QueuedConnection);
        });
        using Kind = kafka::KafkaHandler::Outcome::Kind;
        switch (outcome.kind) {
        case Kind::Respond:
            send(outcome.response);
            break;
        case Kind::NoResponse:
            break;
        case Kind::Deferred:
            m_waiting = true;
            break;
        case Kind::WaitForData:
            m_waiting = true;
            m_fetchTimer.start();
            break;
        case Kind::Close:
            close(outcome.reason);
            return;
        }
    }
    if (m_inStart > (1 << 20)) {
        m_in.remove(0, m_inStart);
        m_inStart = 0;
    }
}

void KafkaSession::send(const QByteArray &response)
{
    char size[4];
    be::writeU32(size, std::uint32_t(response.size()));
    m_socket.write(size, 4);
    m_socket.write(response);
    m_stats->addBytesOut(4 + response.size());
}

void KafkaSession::deliver(const QByteArray &response)
{
    if (m_closing)
        return;
    send(response);
    m_waiting = false;
    processInput();
}

void KafkaSession::pollFetch()
{
    if (auto response = m_handler->retryFetch(Broker::nowMs())) {
        m_fetchTimer.stop();
        deliver(*response);
    }
}

void KafkaSession::close(const QString &why)
{
    qWarning("rivulet: closing Kafka connection from %s: %s",
             qPrintable(m_socket.peerAddress().toString()), qPrintable(why));
    m_closing = true;
    m_fetchTimer.stop();
    m_socket.disconnectFromHost();
}

} // namespace rivulet
