#include "benchidle.h"

#include "native/clientcodec.h"

#include <QHostAddress>
#include <QHostInfo>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cli::bench {
namespace {

// Connections opened at once: below a listen backlog of 50 (QTcpServer's default, which
// brokers before issue 14 used; Rivulet now takes somaxconn), so that no SYN is dropped and
// retried a second later.
constexpr int kWave = 40;
constexpr int kWaveTimeoutMs = 30000;

QString systemError(const char *what)
{
    return QStringLiteral("%1: %2").arg(QLatin1String(what),
                                        QString::fromLocal8Bit(strerror(errno)));
}

bool resolve(const QString &host, quint16 port, sockaddr_storage &address, socklen_t &length,
             QString &error)
{
    QHostAddress ip(host);
    if (ip.isNull()) {
        const QHostInfo info = QHostInfo::fromName(host);
        if (info.addresses().isEmpty()) {
            error = QStringLiteral("cannot resolve %1: %2").arg(host, info.errorString());
            return false;
        }
        ip = info.addresses().first();
    }
    std::memset(&address, 0, sizeof address);
    if (ip.protocol() == QAbstractSocket::IPv6Protocol) {
        auto *a = reinterpret_cast<sockaddr_in6 *>(&address);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        const Q_IPV6ADDR bytes = ip.toIPv6Address();
        std::memcpy(&a->sin6_addr, bytes.c, 16);
        length = sizeof(sockaddr_in6);
    } else {
        auto *a = reinterpret_cast<sockaddr_in *>(&address);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(ip.toIPv4Address());
        length = sizeof(sockaddr_in);
    }
    return true;
}

// Waits until every descriptor of fds shows events (each is removed from the set once it
// did, after check accepted it); false with error set otherwise.
template <typename Check>
bool waitAll(const std::vector<int> &fds, short events, Check check, QString &error)
{
    std::vector<pollfd> waiting;
    for (const int fd : fds)
        waiting.push_back({fd, events, 0});
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaveTimeoutMs);
    while (!waiting.empty()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            error = QStringLiteral("%1 connections got no answer for %2 s")
                        .arg(waiting.size())
                        .arg(kWaveTimeoutMs / 1000);
            return false;
        }
        const int n = ::poll(waiting.data(), nfds_t(waiting.size()), int(left.count()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            error = systemError("poll");
            return false;
        }
        for (std::size_t i = 0; i < waiting.size();) {
            if (waiting[i].revents == 0) {
                ++i;
                continue;
            }
            if (!check(waiting[i].fd, error))
                return false;
            waiting[i] = waiting.back();
            waiting.pop_back();
        }
    }
    return true;
}

} // namespace

IdleConnections::~IdleConnections()
{
    close();
}

QString IdleConnections::open(const QString &host, quint16 port, const QByteArray &topic, int count)
{
    sockaddr_storage address;
    socklen_t length = 0;
    QString error;
    if (!resolve(host, port, address, length, error))
        return error;
    const QByteArray probe = rivulet::native::encodeConsume(topic, 0, 0, 0, "bench-idle");
    m_fds.reserve(m_fds.size() + std::size_t(count));
    while (int(m_fds.size()) < count) {
        std::vector<int> wave;
        for (int i = 0; i < kWave && int(m_fds.size()) < count; ++i) {
            const int fd =
                ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0)
                return QStringLiteral("idle connection %1 of %2: %3 (the bench's descriptor limit "
                                      "is `ulimit -n`)")
                    .arg(m_fds.size() + 1)
                    .arg(count)
                    .arg(QString::fromLocal8Bit(strerror(errno)));
            m_fds.push_back(fd);
            wave.push_back(fd);
            if (::connect(fd, reinterpret_cast<const sockaddr *>(&address), length) < 0 &&
                errno != EINPROGRESS)
                return QStringLiteral("idle connection %1 of %2: %3")
                    .arg(m_fds.size())
                    .arg(count)
                    .arg(systemError("connect"));
        }
        const auto connected = [&probe](int fd, QString &why) {
            int soError = 0;
            socklen_t size = sizeof soError;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &size);
            if (soError != 0) {
                why = QStringLiteral("an idle connection failed: %1")
                          .arg(QString::fromLocal8Bit(strerror(soError)));
                return false;
            }
            // a few bytes always fit in a fresh socket's buffer
            if (::send(fd, probe.constData(), std::size_t(probe.size()), MSG_NOSIGNAL) !=
                probe.size()) {
                why = systemError("sending on an idle connection");
                return false;
            }
            return true;
        };
        const auto answered = [](int fd, QString &why) {
            char reply[256];
            const ssize_t n = ::recv(fd, reply, sizeof reply, 0);
            if (n > 0)
                return true;
            why = n == 0 ? QStringLiteral("the broker closed an idle connection (is it at its "
                                          "connection or descriptor limit?)")
                         : systemError("reading on an idle connection");
            return false;
        };
        if (!waitAll(wave, POLLOUT, connected, error) || !waitAll(wave, POLLIN, answered, error))
            return QStringLiteral("after %1 of %2 idle connections: %3")
                .arg(m_fds.size() - wave.size())
                .arg(count)
                .arg(error);
    }
    return {};
}

void IdleConnections::close()
{
    for (const int fd : m_fds)
        ::close(fd);
    m_fds.clear();
}

} // namespace cli::bench
