#include "nativeclient.h"

#include <QDeadlineTimer>

namespace rivulet::native {

bool NativeClient::connectTo(const QString &host, quint16 port, int timeoutMs)
{
    m_socket.connectToHost(host, port);
    if (!m_socket.waitForConnected(timeoutMs)) {
        m_error = QStringLiteral("cannot connect to %1:%2: %3")
                      .arg(host)
                      .arg(port)
                      .arg(m_socket.errorString());
        return false;
    }
    m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    return true;
}

bool NativeClient::enableErrorText(int timeoutMs)
{
    Reply reply;
    return call(encodeSetOptions(kOptionErrorText), reply, timeoutMs) && !reply.error;
}

bool NativeClient::send(const QByteArray &request, int timeoutMs)
{
    m_socket.write(request);
    QDeadlineTimer deadline(timeoutMs);
    while (m_socket.bytesToWrite() > 0) {
        if (!m_socket.waitForBytesWritten(int(deadline.remainingTime()))) {
            m_error =
                QStringLiteral("sending to the broker failed: %1").arg(m_socket.errorString());
            return false;
        }
    }
    return true;
}

bool NativeClient::readReply(Reply &reply, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        std::size_t consumed = 0;
        const auto status =
            m_parser.parse(m_buffer.constData(), std::size_t(m_buffer.size()), reply, consumed);
        if (status == ReplyParser::Status::Complete) {
            m_buffer.remove(0, qsizetype(consumed));
            return true;
        }
        if (status == ReplyParser::Status::Malformed) {
            m_error = QStringLiteral("the broker sent a malformed reply: %1").arg(m_parser.error());
            return false;
        }
        if (m_socket.bytesAvailable() == 0 &&
            !m_socket.waitForReadyRead(int(deadline.remainingTime()))) {
            m_error = m_socket.state() == QAbstractSocket::ConnectedState
                          ? QStringLiteral("the broker did not answer within %1 ms").arg(timeoutMs)
                          : QStringLiteral("the broker closed the connection");
            return false;
        }
        m_buffer.append(m_socket.readAll());
    }
}

bool NativeClient::call(const QByteArray &request, Reply &reply, int timeoutMs)
{
    return send(request, timeoutMs) && readReply(reply, timeoutMs);
}

bool NativeClient::waitForClose(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (m_socket.state() == QAbstractSocket::ConnectedState) {
        if (!m_socket.waitForReadyRead(int(deadline.remainingTime()))) {
            if (m_socket.state() != QAbstractSocket::ConnectedState)
                break;
            if (deadline.hasExpired())
                return false;
        }
        m_buffer.append(m_socket.readAll());
    }
    return true;
}

void NativeClient::close()
{
    m_socket.abort();
}

} // namespace rivulet::native
