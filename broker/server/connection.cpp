#include "connection.h"

#include <QHostAddress>
#include <QSocketNotifier>
#include <QTimer>

#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace rivulet {

Connection::Connection(qintptr descriptor, QObject *parent)
    : QObject(parent), m_fd(int(descriptor)),
      m_readNotifier(new QSocketNotifier(descriptor, QSocketNotifier::Read, this)),
      m_writeNotifier(new QSocketNotifier(descriptor, QSocketNotifier::Write, this))
{
    ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getpeername(m_fd, reinterpret_cast<sockaddr *>(&address), &length) == 0) {
        QHostAddress host(reinterpret_cast<sockaddr *>(&address));
        if (host.protocol() == QAbstractSocket::IPv6Protocol) {
            bool isV4 = false;
            const quint32 v4 = host.toIPv4Address(&isV4);
            if (isV4)
                host = QHostAddress(v4);
        }
        m_peerHost = host.toString();
        m_peerPort = address.ss_family == AF_INET6
                         ? ntohs(reinterpret_cast<sockaddr_in6 *>(&address)->sin6_port)
                         : ntohs(reinterpret_cast<sockaddr_in *>(&address)->sin_port);
    }
    m_writeNotifier->setEnabled(false);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &Connection::onReadable);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &Connection::onWritable);
    // data may have arrived before the notifier existed
    QMetaObject::invokeMethod(this, &Connection::onReadable, Qt::QueuedConnection);
}

Connection::~Connection()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

QString Connection::peerName() const
{
    return (m_peerHost.contains(u':') ? u'[' + m_peerHost + u']' : m_peerHost) + u':' +
           QString::number(m_peerPort);
}

void Connection::consume(qsizetype n)
{
    m_inStart += n;
    if (m_inStart == m_in.size()) {
        m_in.resize(0);
        m_inStart = 0;
    }
}

void Connection::onReadable()
{
    if (m_finished)
        return;
    // move what is left of a consumed buffer to the front before reading more
    if (m_inStart > 0 && m_inStart >= m_in.size() / 2) {
        m_in.remove(0, m_inStart);
        m_inStart = 0;
    }
    qsizetype total = 0;
    while (total < kReadChunk && !m_inputEnded) {
        const qsizetype old = m_in.size();
        // a fixed step: capacity() is no guide, since Qt keeps space freed at the front
        const qsizetype room = 64 << 10;
        m_in.resize(old + room);
        const ssize_t n = ::recv(m_fd, m_in.data() + old, std::size_t(room), 0);
        m_in.resize(old + std::max<qsizetype>(n, 0));
        if (n > 0) {
            total += n;
            if (n < room)
                break;
            continue;
        }
        if (n == 0) {
            m_inputEnded = true;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            finish(); // reset by the peer or another hard error
            return;
        }
        break;
    }
    if (m_closing) {
        // lingering: what the peer still sends is discarded
        m_in.resize(0);
        m_inStart = 0;
        if (m_inputEnded)
            finish();
        else
            updateNotifiers();
        return;
    }
    updateNotifiers();
    if (total > 0 || m_inputEnded)
        Q_EMIT readyRead();
}

void Connection::write(const QByteArray &bytes)
{
    if (m_finished || bytes.isEmpty())
        return;
    if (pendingWrite() == 0) {
        // the common case: the socket takes it all now, no copy
        qsizetype sent = 0;
        while (sent < bytes.size()) {
            const ssize_t n = ::send(m_fd, bytes.constData() + sent,
                                     std::size_t(bytes.size() - sent), MSG_NOSIGNAL);
            if (n > 0) {
                sent += n;
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                finish();
                return;
            }
            break;
        }
        if (sent == bytes.size())
            return;
        m_out = bytes.mid(sent);
        m_outStart = 0;
    } else {
        m_out.append(bytes);
    }
    updateNotifiers();
}

void Connection::flush()
{
    while (pendingWrite() > 0) {
        const ssize_t n =
            ::send(m_fd, m_out.constData() + m_outStart, std::size_t(pendingWrite()), MSG_NOSIGNAL);
        if (n > 0) {
            m_outStart += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            finish();
            return;
        }
        break;
    }
    if (pendingWrite() == 0) {
        m_out.resize(0);
        m_outStart = 0;
    } else if (m_outStart > (1 << 20)) {
        m_out.remove(0, m_outStart);
        m_outStart = 0;
    }
}

void Connection::onWritable()
{
    if (m_finished)
        return;
    const bool wasBlocked = m_blocked;
    flush();
    if (m_finished)
        return;
    if (m_closing && pendingWrite() == 0)
        ::shutdown(m_fd, SHUT_WR);
    updateNotifiers();
    // input held back by back-pressure can be processed again
    if (wasBlocked && !m_blocked && !m_closing && size() > 0)
        Q_EMIT readyRead();
}

void Connection::setPaused(bool paused)
{
    m_paused = paused;
    updateNotifiers();
}

void Connection::updateNotifiers()
{
    if (m_finished)
        return;
    if (pendingWrite() >= kMaxPendingWrite)
        m_blocked = true;
    else if (pendingWrite() < kMaxPendingWrite / 2)
        m_blocked = false;
    m_readNotifier->setEnabled(!m_inputEnded && (m_closing || (!m_paused && !m_blocked)));
    m_writeNotifier->setEnabled(pendingWrite() > 0);
}

void Connection::closeGracefully()
{
    if (m_closing || m_finished)
        return;
    m_closing = true;
    m_in.resize(0);
    m_inStart = 0;
    flush();
    if (m_finished)
        return;
    if (pendingWrite() == 0)
        ::shutdown(m_fd, SHUT_WR);
    if (m_inputEnded && pendingWrite() == 0) {
        finish();
        return;
    }
    m_lingerTimer = new QTimer(this);
    m_lingerTimer->setSingleShot(true);
    connect(m_lingerTimer, &QTimer::timeout, this, &Connection::finish);
    m_lingerTimer->start(kLingerMs);
    updateNotifiers();
}

void Connection::abort()
{
    finish();
}

void Connection::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_readNotifier->setEnabled(false);
    m_writeNotifier->setEnabled(false);
    if (m_lingerTimer)
        m_lingerTimer->stop();
    Q_EMIT closed();
}

} // namespace rivulet
