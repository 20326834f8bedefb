#include "nativesession.h"

#include "broker.h"

#include <QTimer>

#include <sys/socket.h>

namespace rivulet {

NativeSession::NativeSession(Broker &broker, qintptr descriptor, QObject *parent)
    : Session(parent), m_broker(broker), m_parser(broker.config().maxRequestBytes)
{
    m_socket.setSocketDescriptor(descriptor);
    m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    // Qt buffers at most this much unread input, so a flood is held back by TCP.
    m_socket.setReadBufferSize(1 << 20);
    const QByteArray peer =
        (m_socket.peerAddress().toString() + u':' + QString::number(m_socket.peerPort()))
            .toLatin1();
    m_stats = broker.clients().add(QString::fromLatin1(peer), QStringLiteral("native"),
                                   Broker::nowMs());
    m_handler = std::make_unique<native::NativeHandler>(broker, peer, m_stats);
    connect(&m_socket, &QTcpSocket::readyRead, this, &NativeSession::onReadyRead);
    connect(&m_socket, &QTcpSocket::bytesWritten, this, [this] {
        if (!m_closing && m_socket.bytesToWrite() < kMaxPendingWrite / 2)
            processInput();
    });
    connect(&m_socket, &QTcpSocket::disconnected, this, &NativeSession::emitFinished);
    if (m_socket.state() != QAbstractSocket::ConnectedState)
        QMetaObject::invokeMethod(this, &NativeSession::emitFinished, Qt::QueuedConnection);
    else if (m_socket.bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &NativeSession::onReadyRead, Qt::QueuedConnection);
}

NativeSession::~NativeSession()
{
    m_broker.clients().remove(m_stats);
}

void NativeSession::onReadyRead()
{
    if (m_closing)
        return;
    processInput();
}

void NativeSession::processInput()
{
    QByteArray out;
    while (!m_closing && m_socket.bytesToWrite() + out.size() < kMaxPendingWrite) {
        // Parse everything buffered; only read more from the socket when it is all used up
        // or holds just the start of a request.
        const auto *data = m_in.constData() + m_inStart;
        const auto size = std::size_t(m_in.size() - m_inStart);
        const auto result = m_parser.parse(data, size);
        if (result.status == native::RequestParser::Status::Complete) {
            m_inStart += qsizetype(result.consumed);
            if (m_handler->handle(result.request, out) == native::NativeHandler::Outcome::Close)
                m_closing = true;
            continue;
        }
        if (result.status == native::RequestParser::Status::Fatal) {
            m_handler->refuse(result.error, out);
            m_closing = true;
            break;
        }
        // Incomplete: drop what has been consumed, then read more
        if (m_inStart > 0) {
            m_in.remove(0, m_inStart);
            m_inStart = 0;
        }
        const qint64 available = m_socket.bytesAvailable();
        if (available <= 0)
            break;
        const qsizetype old = m_in.size();
        m_in.resize(old + qsizetype(available));
        const qint64 got = m_socket.read(m_in.data() + old, available);
        if (got > 0)
            m_stats->addBytesIn(got);
        m_in.resize(old + qsizetype(std::max<qint64>(got, 0)));
        if (got <= 0)
            break;
    }
    if (!out.isEmpty()) {
        m_stats->addBytesOut(out.size());
        m_socket.write(out);
    }
    if (m_closing)
        closeAfterWrite();
}

void NativeSession::closeAfterWrite()
{
    // A lingering close: send the last reply, shut our side, and discard whatever the client
    // still sends until it closes. Closing at once with unread input would make the kernel
    // reset the connection and could destroy the reply before the client reads it.
    disconnect(&m_socket, &QTcpSocket::readyRead, this, nullptr);
    connect(&m_socket, &QTcpSocket::readyRead, this, [this] { m_socket.skip(m_socket.bytesAvailable()); });
    m_in.clear();
    m_inStart = 0;
    auto shutWhenFlushed = [this] {
        if (m_socket.bytesToWrite() == 0 && m_socket.socketDescriptor() != -1)
            ::shutdown(int(m_socket.socketDescriptor()), SHUT_WR);
    };
    connect(&m_socket, &QTcpSocket::bytesWritten, this, shutWhenFlushed);
    shutWhenFlushed();
    m_socket.skip(m_socket.bytesAvailable());
    QTimer::singleShot(kLingerMs, this, [this] {
        m_socket.abort();
        emitFinished();
    });
}

void NativeSession::emitFinished()
{
    if (!m_finished) {
        m_finished = true;
        Q_EMIT finished();
    }
}

} // namespace rivulet
