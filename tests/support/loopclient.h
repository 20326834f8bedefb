#pragma once

// A native-protocol client on the test's own thread, for tests of an in-process broker (see
// inprocessbroker.h): its waits run this thread's event loop, which the broker's server needs
// to accept connections. Header-only; include it from tests/tst_*.cpp.

#include "eventloop.h"
#include "native/clientcodec.h"
#include "timeouts.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QHostAddress>
#include <QTcpSocket>

#include <algorithm>
#include <cstddef>

namespace rivulet::testsupport {

// A client on the test's own thread. Its waits run this thread's event loop, which the
// in-process server needs to accept connections; the broker's workers run on their own
// threads. Nothing is read from the socket unless a read is asked for, so a client that
// never reads (with a small read buffer) applies TCP back-pressure on the broker.
class LoopClient
{
public:
    explicit LoopClient(qint64 readBufferSize = 0) { m_socket.setReadBufferSize(readBufferSize); }

    bool connectTo(quint16 port)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        const bool settled = waitUntil(
            [this] {
                return m_socket.state() == QAbstractSocket::ConnectedState ||
                       m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            kTimeoutMs);
        if (!settled || m_socket.state() != QAbstractSocket::ConnectedState)
            return fail(QStringLiteral("cannot connect: %1").arg(m_socket.errorString()));
        m_localPort = m_socket.localPort();
        return true;
    }

    void send(const QByteArray &bytes) { m_socket.write(bytes); }

    // Waits for one whole reply; raw receives its exact bytes.
    bool readReply(native::Reply &reply, QByteArray *raw = nullptr, int timeoutMs = kTimeoutMs)
    {
        QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            pull();
            std::size_t consumed = 0;
            const auto status =
                m_parser.parse(m_buffer.constData(), std::size_t(m_buffer.size()), reply, consumed);
            if (status == native::ReplyParser::Status::Complete) {
                if (raw)
                    *raw = m_buffer.left(qsizetype(consumed));
                m_buffer.remove(0, qsizetype(consumed));
                return true;
            }
            if (status == native::ReplyParser::Status::Malformed)
                return fail(QStringLiteral("malformed reply: %1").arg(m_parser.error()));
            if (m_socket.state() != QAbstractSocket::ConnectedState)
                return fail(QStringLiteral("the broker closed the connection before a whole "
                                           "reply (%1 bytes buffered)")
                                .arg(m_buffer.size()));
            if (!waitUntil(
                    [this] {
                        return m_socket.bytesAvailable() > 0 ||
                               m_socket.state() != QAbstractSocket::ConnectedState;
                    },
                    int(deadline.remainingTime())))
                return fail(QStringLiteral("no whole reply within %1 ms").arg(timeoutMs));
        }
    }

    bool call(const QByteArray &request, native::Reply &reply, QByteArray *raw = nullptr)
    {
        send(request);
        return readReply(reply, raw);
    }

    // True once the broker has closed the connection; what it sent before stays in buffer().
    bool waitClosed(int timeoutMs = kTimeoutMs)
    {
        const bool closed = waitUntil(
            [this] {
                pull();
                return m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs);
        pull();
        return closed || fail(QStringLiteral("the broker kept the connection open"));
    }

    // Runs the event loop until pred() holds, waking early on this socket's signals.
    template <typename Pred> bool waitUntil(Pred pred, int timeoutMs)
    {
        return testsupport::waitUntil(pred, timeoutMs, &m_socket);
    }

    QTcpSocket &socket() { return m_socket; }
    QByteArray &buffer() { return m_buffer; }
    quint16 localPort() const { return m_localPort; }
    const QString &error() const { return m_error; }

private:
    void pull() { m_buffer += m_socket.readAll(); }
    bool fail(const QString &why)
    {
        m_error = why;
        return false;
    }

    QTcpSocket m_socket;
    QByteArray m_buffer;
    native::ReplyParser m_parser;
    QString m_error;
    quint16 m_localPort = 0;
};

} // namespace rivulet::testsupport
