#include "connection.h"

#include <QHostAddress>
#include <QSocketNotifier>
#include <QTimer>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace rivulet {

Connection::Connection(qintptr descriptor, qint64 maxQueuedReplyBytes, BufferBudget *budget,
                       QObject *parent)
    : QObject(parent), m_fd(int(descriptor)),
      m_readNotifier(new QSocketNotifier(descriptor, QSocketNotifier::Read, this)),
      m_writeNotifier(new QSocketNotifier(descriptor, QSocketNotifier::Write, this)),
      m_maxQueuedReplyBytes(std::max<qint64>(maxQueuedReplyBytes, 1)), m_budget(budget)
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
    if (m_budget)
        m_budget->add(-m_accounted);
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
    m_consumed += quint64(n);
    if (m_inStart == m_in.size()) {
        // nothing kept between requests: an idle connection holds no input buffer, and a
        // big request's goes back at once
        m_in = QByteArray();
        m_inStart = 0;
    }
    account();
}

void Connection::account()
{
    if (!m_budget)
        return;
    const qint64 held = m_finished ? 0 : qint64(m_in.size()) + qint64(m_out.size());
    if (held != m_accounted) {
        m_budget->add(held - m_accounted);
        m_accounted = held;
    }
}

qint64 Connection::replyLimit() const
{
    // over the broker's maximum, only the floor every connection keeps
    if (m_budget && m_budget->exhausted())
        return std::min(m_maxQueuedReplyBytes, BufferBudget::kFloorBytes);
    return m_maxQueuedReplyBytes;
}

qint64 Connection::replyRoom() const
{
    return m_blocked ? 0 : std::max<qint64>(0, replyLimit() - pendingWrite());
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
        const qsizetype room = kReadStep;
        ssize_t n = 0;
        if (old == 0) {
            // An empty buffer reads into the thread's scratch space and keeps only what came:
            // most requests are small, and 64 KiB reserved per connection, touched at a
            // different page each time, left the allocator's heap ever more resident as
            // connections came and went (+9 KiB of RSS per connection per round, measured).
            thread_local char scratch[kReadStep];
            n = ::recv(m_fd, scratch, std::size_t(room), 0);
            if (n > 0)
                m_in = QByteArray(scratch, n);
        } else {
            m_in.resize(old + room);
            n = ::recv(m_fd, m_in.data() + old, std::size_t(room), 0);
            m_in.resize(old + std::max<qsizetype>(n, 0));
        }
        if (n > 0) {
            total += n;
            m_received += quint64(n);
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
        m_in = QByteArray();
        m_inStart = 0;
        if (m_inputEnded)
            finish();
        else
            updateNotifiers();
        account();
        return;
    }
    updateNotifiers();
    account();
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
                m_sent += quint64(n);
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
        m_out = bytes; // shared, not copied: the rest goes from m_outStart
        m_outStart = sent;
    } else {
        // drop what was sent before appending: the buffer holds only what waits
        if (m_outStart > 0) {
            m_out.remove(0, m_outStart);
            m_outStart = 0;
        }
        m_out.append(bytes);
    }
    updateNotifiers();
    account();
}

void Connection::flush()
{
    while (pendingWrite() > 0) {
        const ssize_t n =
            ::send(m_fd, m_out.constData() + m_outStart, std::size_t(pendingWrite()), MSG_NOSIGNAL);
        if (n > 0) {
            m_outStart += n;
            m_sent += quint64(n);
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
        m_out = QByteArray(); // a big reply's buffer goes back at once
        m_outStart = 0;
    } else if (m_outStart > (1 << 20) && m_outStart >= m_out.size() / 2) {
        // Only once the sent part is at least half the buffer: compacting after every MiB
        // moved the rest of a big reply again and again (a 30 MiB one: ~450 MB of memmove on
        // the worker thread, while its other connections waited).
        m_out.remove(0, m_outStart);
        m_outStart = 0;
    }
    account();
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
    const qint64 limit = replyLimit();
    if (pendingWrite() >= limit)
        m_blocked = true;
    else if (pendingWrite() < limit / 2)
        m_blocked = false;
    // a connection holding more than the floor of unfinished input waits while the broker's
    // buffers are over their maximum; sweep() looks again
    m_budgetPaused = m_budget && size() >= BufferBudget::kFloorBytes && m_budget->exhausted();
    m_readNotifier->setEnabled(!m_inputEnded &&
                               (m_closing || (!m_paused && !m_blocked && !m_budgetPaused)));
    m_writeNotifier->setEnabled(pendingWrite() > 0);
}

void Connection::closeGracefully()
{
    if (m_closing || m_finished)
        return;
    m_closing = true;
    m_in = QByteArray();
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
    // nothing is read or sent any more: the buffers go back now, not when the session is
    // deleted (a queued call may still look at size(), which is then 0)
    m_in = QByteArray();
    m_inStart = 0;
    m_out = QByteArray();
    m_outStart = 0;
    account();
    Q_EMIT closed();
}

Connection::Expiry Connection::sweep(qint64 nowMs, int requestTimeoutMs, int idleTimeoutMs,
                                     bool busy)
{
    if (m_finished || m_closing)
        return Expiry::None;
    const bool finishedRequest = m_consumed != m_sweepConsumed;
    const bool traffic = finishedRequest || m_received != m_sweepReceived || m_sent != m_sweepSent;
    m_sweepReceived = m_received;
    m_sweepConsumed = m_consumed;
    m_sweepSent = m_sent;

    // held back by the broker's budget or by back-pressure: look again
    if (m_blocked || m_budgetPaused) {
        updateNotifiers();
        if (!m_blocked && !m_budgetPaused && !m_paused && size() > 0)
            Q_EMIT readyRead();
        if (m_finished || m_closing)
            return Expiry::None;
    }

    if (m_lastActiveMs < 0 || traffic || busy || pendingWrite() > 0)
        m_lastActiveMs = nowMs;
    // A request is timed from the sweep that first saw part of it: a peer sending one byte
    // a second never finishes in time. The clock stops while the session works on a request
    // or the peer is slow to read replies; it runs while the broker's budget holds reading
    // back, so that big unfinished requests cannot keep the budget for ever.
    if (size() > 0 && !busy && !m_paused && !m_blocked) {
        if (m_requestSinceMs < 0 || finishedRequest)
            m_requestSinceMs = nowMs;
        else if (requestTimeoutMs > 0 && nowMs - m_requestSinceMs >= requestTimeoutMs)
            return Expiry::RequestTimedOut;
    } else {
        m_requestSinceMs = -1;
    }
    if (idleTimeoutMs > 0 && size() == 0 && nowMs - m_lastActiveMs >= idleTimeoutMs)
        return Expiry::Idle;
    return Expiry::None;
}

} // namespace rivulet
