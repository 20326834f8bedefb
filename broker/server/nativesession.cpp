#include "nativesession.h"

#include "broker.h"

#include <algorithm>

namespace rivulet {

NativeSession::NativeSession(Broker &broker, qintptr descriptor, QObject *parent)
    : Session(parent), m_broker(broker),
      m_connection(descriptor, broker.config().maxQueuedReplyBytes, &broker.buffers(), this),
      m_parser(broker.config().maxRequestBytes)
{
    const QByteArray peer = m_connection.peerName().toLatin1();
    m_stats =
        broker.clients().add(QString::fromLatin1(peer), QStringLiteral("native"), Broker::nowMs());
    m_handler = std::make_unique<native::NativeHandler>(broker, peer, m_stats);
    connect(&m_connection, &Connection::readyRead, this, &NativeSession::processInput);
    connect(&m_connection, &Connection::closed, this, &Session::finished);
}

NativeSession::~NativeSession()
{
    m_broker.clients().remove(m_stats);
}

void NativeSession::processInput()
{
    if (m_closing)
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
        const auto outcome =
            m_handler->handle(result.request, out, std::max(room, BufferBudget::kFloorBytes));
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

Connection::Expiry NativeSession::sweep(qint64 nowMs, int requestTimeoutMs, int idleTimeoutMs)
{
    if (m_closing)
        return Connection::Expiry::None;
    const auto expiry = m_connection.sweep(nowMs, requestTimeoutMs, idleTimeoutMs, false);
    if (expiry != Connection::Expiry::None) {
        m_closing = true;
        m_connection.closeGracefully();
    }
    return expiry;
}

} // namespace rivulet
