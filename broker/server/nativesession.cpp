#include "nativesession.h"

#include "broker.h"

#include <algorithm>

namespace rivulet {

NativeSession::NativeSession(Broker &broker, qintptr descriptor, QObject *parent)
    : Session(parent), m_broker(broker), m_handle(std::make_shared<Handle>()),
      m_connection(descriptor, broker.config().maxQueuedReplyBytes, &broker.buffers(), this),
      m_parser(broker.config().maxRequestBytes)
{
    const QByteArray peer = m_connection.peerName().toLatin1();
    m_stats =
        broker.clients().add(QString::fromLatin1(peer), QStringLiteral("native"), Broker::nowMs());
    m_handle->session = this;
    m_handler = std::make_shared<native::NativeHandler>(broker, peer, m_stats);
    connect(&m_connection, &Connection::readyRead, this, &NativeSession::processInput);
    connect(&m_connection, &Connection::closed, this, &Session::finished);
}

NativeSession::~NativeSession()
{
    {
        std::lock_guard lock(m_handle->mutex);
        m_handle->session = nullptr;
    }
    m_broker.clients().remove(m_stats);
}

void NativeSession::processInput()
{
    if (m_closing || m_parked)
        return;
    if (m_connection.size() > m_counted) {
        m_stats->addBytesIn(m_connection.size() - m_counted);
        m_counted = m_connection.size();
    }
    QByteArray out;
    bool full = false;
    while (!m_closing && m_connection.size() > 0) {
        // a client that sends requests and does not read the answers gets no more answers
        // than the connection may queue (back-pressure), however many requests it sent
        const qint64 room = m_connection.replyRoom() - out.size();
        if (room <= 0) {
            full = true; // answer the rest once the client has read some of this
            break;
        }
        const auto result = m_parser.parse(m_connection.data(), std::size_t(m_connection.size()));
        if (result.status == native::RequestParser::Status::Incomplete)
            break;
        if (result.status == native::RequestParser::Status::Fatal) {
            m_handler->refuse(result.error, out);
            m_closing = true;
            break;
        }
        // a reply up to the floor is never cut short, a bigger one stops at the room left
        const qint64 replyRoom = std::max(room, BufferBudget::kFloorBytes);
        const auto outcome = m_handler->handle(result.request, out, replyRoom, false);
        if (outcome == native::NativeHandler::Outcome::OffWorker) {
            // the answers so far go first; the request's views die with consume() below
            if (!out.isEmpty()) {
                m_stats->addBytesOut(out.size());
                m_connection.write(out);
            }
            park(result.request, m_connection.replyRoom());
            m_connection.consume(qsizetype(result.consumed));
            m_counted -= qsizetype(result.consumed);
            return;
        }
        m_connection.consume(qsizetype(result.consumed));
        m_counted -= qsizetype(result.consumed);
        if (outcome == native::NativeHandler::Outcome::Close)
            m_closing = true;
    }
    if (!out.isEmpty()) {
        m_stats->addBytesOut(out.size());
        m_connection.write(out);
    }
    // the peer sent its last request (or went away half-way through one): answer, then close
    if (m_connection.inputEnded() && !m_closing)
        m_closing = m_connection.size() == 0 ||
                    m_parser.parse(m_connection.data(), std::size_t(m_connection.size())).status ==
                        native::RequestParser::Status::Incomplete;
    if (m_closing)
        m_connection.closeGracefully();
    else if (full && !m_connection.isBlocked())
        // the socket took everything at once: carry on after other connections had a turn
        QMetaObject::invokeMethod(this, &NativeSession::processInput, Qt::QueuedConnection);
}

void NativeSession::park(const native::Request &request, qint64 replyRoom)
{
    m_parked = true;
    m_connection.setPaused(true);
    // the request points into the connection's buffer: the task gets its own copies
    struct Owned
    {
        native::Request request;
        QByteArray topic;
        QByteArray consumerId;
    };
    auto owned = std::make_shared<Owned>(
        Owned{request, request.topic.toByteArray(), request.consumerId.toByteArray()});
    owned->request.topic = owned->topic;
    owned->request.consumerId = owned->consumerId;
    owned->request.values = {};
    const qint64 room = std::max(replyRoom, BufferBudget::kFloorBytes);
    m_broker.runOffWorker([handler = m_handler, handle = m_handle, owned, room] {
        QByteArray reply;
        const bool close = handler->handle(owned->request, reply, room, true) ==
                           native::NativeHandler::Outcome::Close;
        std::lock_guard lock(handle->mutex);
        if (NativeSession *s = handle->session)
            QMetaObject::invokeMethod(
                s, [s, reply, close] { s->unpark(reply, close); }, Qt::QueuedConnection);
    });
}

void NativeSession::unpark(const QByteArray &reply, bool close)
{
    m_parked = false;
    m_connection.setPaused(false);
    if (m_closing)
        return;
    if (!reply.isEmpty()) {
        m_stats->addBytesOut(reply.size());
        m_connection.write(reply);
    }
    if (close) {
        m_closing = true;
        m_connection.closeGracefully();
        return;
    }
    processInput();
}

Connection::Expiry NativeSession::sweep(qint64 nowMs, int requestTimeoutMs, int idleTimeoutMs)
{
    if (m_closing)
        return Connection::Expiry::None;
    // a parked Consume is being answered: neither idle nor late
    const auto expiry = m_connection.sweep(nowMs, requestTimeoutMs, idleTimeoutMs, m_parked);
    if (expiry != Connection::Expiry::None) {
        m_closing = true;
        m_connection.closeGracefully();
    }
    return expiry;
}

} // namespace rivulet
