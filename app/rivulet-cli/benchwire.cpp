#include "benchwire.h"

#include "native/clientcodec.h"

#include <cerrno>
#include <charconv>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>

namespace cli::bench {
namespace {

constexpr std::size_t kReadChunk = 256u << 10;

// ---- native protocol (docs/PROTOCOL.md) ----

constexpr std::uint8_t kProduce = 1, kConsume = 2;
constexpr std::uint8_t kEmpty = 0, kContent = 1, kOffset = 2, kError = 3, kErrorText = 6;

void putU32(std::string &out, std::uint32_t v)
{
    const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    out.append(b, 4);
}

std::uint32_t getU32(const char *p)
{
    const auto *u = reinterpret_cast<const unsigned char *>(p);
    return std::uint32_t(u[0]) << 24 | std::uint32_t(u[1]) << 16 | std::uint32_t(u[2]) << 8 |
           std::uint32_t(u[3]);
}

void putString(std::string &out, const char *data, std::size_t size)
{
    putU32(out, std::uint32_t(size));
    out.append(data, size);
}

class NativeProtocol final : public Protocol
{
public:
    NativeProtocol(const QByteArray &topic, const ValueSource &values)
        : m_topic(topic), m_values(values)
    {
    }

    void produce(std::string &out, int partition, std::uint32_t producer, std::uint64_t first,
                 int count) override
    {
        out.push_back(char(kProduce));
        putString(out, m_topic.constData(), std::size_t(m_topic.size()));
        putU32(out, std::uint32_t(partition));
        putU32(out, std::uint32_t(count));
        for (int i = 0; i < count; ++i) {
            putU32(out, std::uint32_t(m_values.length(first + std::uint64_t(i))));
            m_values.append(out, producer, first + std::uint64_t(i));
        }
        putU32(out, 0); // no consumer id
    }

    Parse produceReply(Connection &c, int, std::int64_t &lastOffset, QString &error) override
    {
        const char *p = c.data();
        const std::size_t n = c.size();
        std::size_t at = 0;
        bool failed = false;
        lastOffset = -1;
        while (at < n) {
            const auto tag = std::uint8_t(p[at]);
            if (tag == kEmpty) {
                c.consume(at + 1);
                if (failed && error.isEmpty())
                    error = QStringLiteral("the broker answered Error");
                return failed ? Parse::Error : Parse::Done;
            }
            if (tag == kOffset) {
                if (n - at < 5)
                    return Parse::NeedMore;
                lastOffset = getU32(p + at + 1);
                at += 5;
            } else if (tag == kError) {
                failed = true;
                ++at;
            } else if (tag == kErrorText) {
                if (n - at < 5 || n - at - 5 < getU32(p + at + 1))
                    return Parse::NeedMore;
                error = QString::fromUtf8(p + at + 5, qsizetype(getU32(p + at + 1)));
                at += 5 + getU32(p + at + 1);
            } else {
                error = QStringLiteral("unexpected reply tag %1 to a produce").arg(tag);
                return Parse::Error;
            }
        }
        return Parse::NeedMore;
    }

    bool canPipelineConsume() const override { return true; }

    void consume(std::string &out, int partition, std::uint64_t offset, const std::string &,
                 int limit, const QByteArray &consumerId) override
    {
        out.push_back(char(kConsume));
        putString(out, m_topic.constData(), std::size_t(m_topic.size()));
        putU32(out, std::uint32_t(partition));
        putU32(out, std::uint32_t(offset));
        putU32(out, std::uint32_t(limit));
        putString(out, consumerId.constData(), std::size_t(consumerId.size()));
    }

    Parse consumeReply(Connection &c, PartitionCheck *check, ConsumeProgress &progress,
                       QString &error) override
    {
        const char *p = c.data();
        const std::size_t n = c.size();
        std::size_t at = 0;
        Parse result = Parse::NeedMore;
        while (at < n) {
            const auto tag = std::uint8_t(p[at]);
            if (tag == kContent) {
                if (n - at < 9 || n - at - 9 < getU32(p + at + 5))
                    break;
                const std::uint32_t offset = getU32(p + at + 1);
                const std::uint32_t size = getU32(p + at + 5);
                if (check && !m_failed && !check->accept(offset, p + at + 9, size)) {
                    error = check->error();
                    c.consume(at);
                    return Parse::Error;
                }
                ++progress.records;
                at += 9 + size;
            } else if (tag == kEmpty) {
                ++at;
                result = m_failed ? Parse::Error : Parse::Done;
                if (m_failed)
                    error = m_errorText.isEmpty() ? QStringLiteral("the broker answered Error")
                                                  : m_errorText;
                break;
            } else if (tag == kError) {
                m_failed = true;
                ++at;
            } else if (tag == kErrorText) {
                if (n - at < 5 || n - at - 5 < getU32(p + at + 1))
                    break;
                m_errorText = QString::fromUtf8(p + at + 5, qsizetype(getU32(p + at + 1)));
                at += 5 + getU32(p + at + 1);
            } else {
                error = QStringLiteral("unexpected reply tag %1 to a consume").arg(tag);
                return Parse::Error;
            }
        }
        c.consume(at);
        return result;
    }

    void resetConsume() override
    {
        m_failed = false;
        m_errorText.clear();
    }

private:
    QByteArray m_topic;
    const ValueSource &m_values;
    bool m_failed = false;
    QString m_errorText;
};

// ---- Redis RESP: XADD key * v VALUE, XRANGE key (lastId + COUNT n ----

void putBulk(std::string &out, const char *data, std::size_t size)
{
    char head[24];
    head[0] = '$';
    char *end = std::to_chars(head + 1, head + sizeof head, size).ptr;
    out.append(head, std::size_t(end - head));
    out.append("\r\n", 2);
    out.append(data, size);
    out.append("\r\n", 2);
}

// A RESP line ("+OK", "$5", "*2", "-ERR ..."): where it ends, or null if not all here.
const char *lineEnd(const char *p, const char *end)
{
    const void *cr = std::memchr(p, '\r', std::size_t(end - p));
    if (!cr || static_cast<const char *>(cr) + 1 >= end)
        return nullptr;
    return static_cast<const char *>(cr) + 2;
}

bool lineNumber(const char *p, const char *lineStop, std::int64_t &value)
{
    const auto r = std::from_chars(p + 1, lineStop - 2, value);
    return r.ec == std::errc() && r.ptr == lineStop - 2;
}

// A bulk string "$n\r\n<n bytes>\r\n" at p: 1 done (data/size set, p moved), 0 need more,
// -1 malformed.
int bulk(const char *&p, const char *end, const char *&data, std::size_t &size)
{
    if (p >= end)
        return 0;
    const char *stop = lineEnd(p, end);
    if (!stop)
        return 0;
    std::int64_t n = 0;
    if (*p != '$' || !lineNumber(p, stop, n) || n < 0)
        return -1;
    if (end - stop < n + 2)
        return 0;
    data = stop;
    size = std::size_t(n);
    p = stop + n + 2;
    return 1;
}

// An array header "*n\r\n": 1 done, 0 need more, -1 malformed.
int arrayHeader(const char *&p, const char *end, std::int64_t &n)
{
    if (p >= end)
        return 0;
    const char *stop = lineEnd(p, end);
    if (!stop)
        return 0;
    if (*p != '*' || !lineNumber(p, stop, n))
        return -1;
    p = stop;
    return 1;
}

class RedisProtocol final : public Protocol
{
public:
    RedisProtocol(const QByteArray &topic, const ValueSource &values)
        : m_topic(topic.toStdString()), m_values(values)
    {
    }

    std::string key(int partition) const { return m_topic + ':' + std::to_string(partition); }

    void produce(std::string &out, int partition, std::uint32_t producer, std::uint64_t first,
                 int count) override
    {
        const std::string k = key(partition);
        for (int i = 0; i < count; ++i) {
            const std::uint64_t index = first + std::uint64_t(i);
            out.append("*5\r\n$4\r\nXADD\r\n");
            putBulk(out, k.data(), k.size());
            out.append("$1\r\n*\r\n$1\r\nv\r\n$");
            char len[24];
            out.append(len,
                       std::size_t(
                           std::to_chars(len, len + sizeof len, m_values.length(index)).ptr - len));
            out.append("\r\n");
            m_values.append(out, producer, index);
            out.append("\r\n");
        }
    }

    Parse produceReply(Connection &c, int count, std::int64_t &lastOffset, QString &error) override
    {
        lastOffset = -1;
        if (m_produceLeft == 0)
            m_produceLeft = count;
        const char *p = c.data();
        const char *end = p + c.size();
        while (m_produceLeft > 0 && p < end) {
            if (*p == '-' || *p == '+') {
                const char *stop = lineEnd(p, end);
                if (!stop)
                    break;
                if (*p == '-')
                    m_error = QString::fromUtf8(p + 1, stop - p - 3);
                p = stop;
            } else {
                const char *data = nullptr;
                std::size_t size = 0;
                const int r = bulk(p, end, data, size);
                if (r == 0)
                    break;
                if (r < 0) {
                    error = QStringLiteral("malformed XADD reply");
                    return Parse::Error;
                }
            }
            --m_produceLeft;
        }
        c.consume(std::size_t(p - c.data()));
        if (m_produceLeft > 0)
            return Parse::NeedMore;
        if (!m_error.isEmpty()) {
            error = m_error;
            m_error.clear();
            return Parse::Error;
        }
        return Parse::Done;
    }

    bool canPipelineConsume() const override { return false; }

    void consume(std::string &out, int partition, std::uint64_t, const std::string &lastId,
                 int limit, const QByteArray &) override
    {
        const std::string k = key(partition);
        const std::string from = lastId.empty() ? std::string("-") : '(' + lastId;
        const std::string count = std::to_string(limit);
        out.append("*6\r\n$6\r\nXRANGE\r\n");
        putBulk(out, k.data(), k.size());
        putBulk(out, from.data(), from.size());
        out.append("$1\r\n+\r\n$5\r\nCOUNT\r\n");
        putBulk(out, count.data(), count.size());
    }

    Parse consumeReply(Connection &c, PartitionCheck *check, ConsumeProgress &progress,
                       QString &error) override
    {
        const char *p = c.data();
        const char *end = p + c.size();
        if (m_entriesLeft < 0) {
            if (p < end && *p == '-') {
                const char *stop = lineEnd(p, end);
                if (!stop)
                    return Parse::NeedMore;
                error = QString::fromUtf8(p + 1, stop - p - 3);
                c.consume(std::size_t(stop - p));
                return Parse::Error;
            }
            const int r = arrayHeader(p, end, m_entriesLeft);
            if (r == 0)
                return Parse::NeedMore;
            if (r < 0 || m_entriesLeft < 0) {
                error = QStringLiteral("malformed XRANGE reply");
                return Parse::Error;
            }
            c.consume(std::size_t(p - c.data()));
        }
        while (m_entriesLeft > 0) {
            // one entry: *2 id *2 "v" value, taken whole or not at all
            std::int64_t n = 0;
            const char *id = nullptr, *field = nullptr, *value = nullptr;
            std::size_t idSize = 0, fieldSize = 0, valueSize = 0;
            int r = arrayHeader(p, end, n);
            if (r > 0)
                r = bulk(p, end, id, idSize);
            if (r > 0)
                r = arrayHeader(p, end, n);
            if (r > 0 && n != 2)
                r = -1;
            if (r > 0)
                r = bulk(p, end, field, fieldSize);
            if (r > 0)
                r = bulk(p, end, value, valueSize);
            if (r == 0)
                return Parse::NeedMore;
            if (r < 0) {
                error = QStringLiteral("malformed XRANGE entry");
                return Parse::Error;
            }
            if (check && !check->accept(-1, value, valueSize)) {
                error = check->error();
                return Parse::Error;
            }
            progress.lastId.assign(id, idSize);
            ++progress.records;
            --m_entriesLeft;
            c.consume(std::size_t(p - c.data()));
        }
        return Parse::Done;
    }

    void resetConsume() override { m_entriesLeft = -1; }

private:
    std::string m_topic;
    const ValueSource &m_values;
    int m_produceLeft = 0;
    QString m_error;
    std::int64_t m_entriesLeft = -1;
};

} // namespace

std::unique_ptr<Protocol> Protocol::make(Peer peer, const QByteArray &topic,
                                         const ValueSource &values)
{
    if (peer == Peer::Redis)
        return std::make_unique<RedisProtocol>(topic, values);
    return std::make_unique<NativeProtocol>(topic, values);
}

QString checkNativeEncoding(const ValueSource &values)
{
    const QByteArray topic = QByteArrayLiteral("check");
    NativeProtocol protocol(topic, values);
    std::string mine;
    protocol.produce(mine, 3, 7, 41, 3);
    QList<QByteArray> list;
    for (std::uint64_t i = 41; i < 44; ++i) {
        std::string v;
        values.append(v, 7, i);
        list << QByteArray(v.data(), qsizetype(v.size()));
    }
    if (QByteArray::fromStdString(mine) != rivulet::native::encodeProduce(topic, 3, list))
        return QStringLiteral("the bench's Produce encoding differs from encodeProduce()");
    mine.clear();
    protocol.consume(mine, 3, 99, {}, 30, QByteArrayLiteral("c1"));
    if (QByteArray::fromStdString(mine) !=
        rivulet::native::encodeConsume(topic, 3, 99, 30, QByteArrayLiteral("c1")))
        return QStringLiteral("the bench's Consume encoding differs from encodeConsume()");
    return {};
}

bool Connection::open(const QString &host, quint16 port, QString &error)
{
    m_socket.connectToHost(host, port);
    if (!m_socket.waitForConnected(10000)) {
        error = QStringLiteral("cannot connect to %1:%2: %3")
                    .arg(host)
                    .arg(port)
                    .arg(m_socket.errorString());
        return false;
    }
    m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_fd = int(m_socket.socketDescriptor());
    m_in.resize(4 * kReadChunk);
    return true;
}

bool Connection::sendAll(const std::string &bytes, QString &error)
{
    const char *p = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::send(m_fd, p, left, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            left -= std::size_t(n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd pfd{m_fd, POLLOUT, 0};
            if (::poll(&pfd, 1, 30000) > 0)
                continue;
            error = QStringLiteral("the peer took nothing for 30 s");
            return false;
        }
        error = QStringLiteral("sending failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    return true;
}

bool Connection::receive(int timeoutMs, QString &error)
{
    if (m_begin == m_end) {
        m_begin = m_end = 0;
    } else if (m_in.size() - m_end < kReadChunk) {
        // keep the unread bytes and make room after them
        const std::size_t pending = m_end - m_begin;
        if (pending + kReadChunk > m_in.size())
            m_in.resize(2 * (pending + kReadChunk));
        std::memmove(m_in.data(), m_in.data() + m_begin, pending);
        m_begin = 0;
        m_end = pending;
    }
    for (;;) {
        const ssize_t n = ::recv(m_fd, m_in.data() + m_end, m_in.size() - m_end, 0);
        if (n > 0) {
            m_end += std::size_t(n);
            return true;
        }
        if (n == 0) {
            error = QStringLiteral("the peer closed the connection");
            return false;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            error =
                QStringLiteral("receiving failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
            return false;
        }
        pollfd pfd{m_fd, POLLIN, 0};
        const int ready = ::poll(&pfd, 1, timeoutMs);
        if (ready == 0) {
            error = QStringLiteral("no answer within %1 ms").arg(timeoutMs);
            return false;
        }
        if (ready < 0 && errno != EINTR) {
            error = QStringLiteral("poll failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
            return false;
        }
    }
}

} // namespace cli::bench
