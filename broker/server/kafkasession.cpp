#include "kafkasession.h"

#include "broker.h"
#include "log/bytes.h"

#include <algorithm>

namespace rivulet {

KafkaSession::KafkaSession(Broker &broker, std::shared_ptr<const kafka::KafkaConfig> config,
                           qintptr descriptor, QObject *parent, const Relayed *relayed)
    : Session(parent), m_broker(broker), m_config(std::move(config)),
      m_handle(std::make_shared<Handle>()),
      m_connection(descriptor, broker.config().maxQueuedReplyBytes, &broker.buffers(), this)
{
    m_handle->session = this;
    m_stats = broker.clients().add(relayed ? relayed->peerName : m_connection.peerName(),
                                   QStringLiteral("kafka"), Broker::nowMs());
    m_stats->setEncrypted(relayed != nullptr);
    m_handler = std::make_unique<kafka::KafkaHandler>(
        broker, *m_config, m_stats, relayed ? relayed->peerHost : m_connection.peerHost());
    if (relayed && !relayed->certificateSubject.isEmpty())
        m_handler->setCertificateSubject(relayed->certificateSubject);
    m_stats->setPrincipal(m_handler->principal());
    m_fetchTimer.setInterval(kFetchPollMs);
    connect(&m_fetchTimer, &QTimer::timeout, this, &KafkaSession::pollFetch);
    connect(&m_connection, &Connection::readyRead, this, &KafkaSession::processInput);
    connect(&m_connection, &Connection::closed, this, &Session::finished);
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
    while (!m_waiting && !m_closing && !m_connection.isBlocked()) {
        const qsizetype have = m_connection.size();
        if (have < 4)
            break;
        const std::int32_t size = be::readI32(m_connection.data());
        // a bare SASL token (after a v0 SaslHandshake) may be shorter than a request header
        const std::int32_t minimum = m_handler->expectsRawSaslToken() ? 0 : 8;
        if (size < minimum || size > m_config->maxFrameBytes) {
            // checked before a byte of it is buffered
            close(QStringLiteral("request size %1 is outside %2..%3")
                      .arg(size)
                      .arg(minimum)
                      .arg(m_config->maxFrameBytes));
            return;
        }
        if (have < 4 + size)
            break;
        m_stats->addBytesIn(4 + size);
        // decoded straight from the connection's buffer (no copy of a big Produce), which
        // nothing changes until handle() returns
        const QByteArrayView frame(m_connection.data() + 4, size);
        const std::shared_ptr<Handle> handle = m_handle;
        // a Fetch answer is no bigger than the connection may queue now (first batch apart)
        m_handler->setReplyRoom(std::max(m_connection.replyRoom(), BufferBudget::kFloorBytes));
        const auto outcome = m_handler->handle(frame, [handle](QByteArray response) {
            std::lock_guard lock(handle->mutex);
            if (KafkaSession *s = handle->session)
                QMetaObject::invokeMethod(
                    s, [s, response] { s->deliver(response); }, Qt::QueuedConnection);
        });
        m_connection.consume(4 + size);
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
        case Kind::RespondAndClose:
            send(outcome.response);
            close(outcome.reason);
            return;
        }
    }
    // like a Kafka broker, stop reading while an answer is pending
    m_connection.setPaused(m_waiting);
    if (!m_waiting && !m_closing && m_connection.inputEnded() &&
        (m_connection.size() < 4 || m_connection.size() < 4 + be::readI32(m_connection.data())))
        m_connection.closeGracefully();
}

void KafkaSession::send(const QByteArray &response)
{
    QByteArray framed;
    framed.reserve(4 + response.size());
    framed.resize(4);
    be::writeU32(framed.data(), std::uint32_t(response.size()));
    framed.append(response);
    m_stats->addBytesOut(framed.size());
    m_connection.write(framed);
}

void KafkaSession::deliver(const QByteArray &response)
{
    if (m_closing)
        return;
    // null: a request with no answer (Produce with acks=0, checked off the worker) is done
    if (!response.isNull())
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

Connection::Expiry KafkaSession::sweep(qint64 nowMs, int requestTimeoutMs, int idleTimeoutMs)
{
    if (m_closing)
        return Connection::Expiry::None;
    // waiting for a deferred answer or for data: the connection is busy, not idle
    const auto expiry = m_connection.sweep(nowMs, requestTimeoutMs, idleTimeoutMs, m_waiting);
    if (expiry != Connection::Expiry::None) {
        // as a Kafka broker does: closed without a word (the worker logs a count)
        m_closing = true;
        m_fetchTimer.stop();
        m_connection.closeGracefully();
    }
    return expiry;
}

void KafkaSession::close(const QString &why)
{
    qWarning("rivulet: closing Kafka connection from %s: %s", qPrintable(m_stats->address()),
             qPrintable(why));
    m_closing = true;
    m_fetchTimer.stop();
    m_connection.closeGracefully();
}

} // namespace rivulet
