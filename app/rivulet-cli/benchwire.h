#pragma once

#include "benchworkload.h"

#include <QTcpSocket>

#include <memory>
#include <string>

// The bench's client side of the wire: a connection and the two protocols it speaks, the
// native one and, for the comparison with a peer, Redis's RESP (XADD / XRANGE).
namespace cli::bench {

// One TCP connection, opened by a QTcpSocket and then driven straight on its descriptor.
// On a 2-core machine every cycle the client spends is taken from the broker it measures,
// so the hot path avoids Qt's read buffer (a copy of every byte and an ioctl per read) and
// parses replies in place instead of building a QByteArray per record.
class Connection
{
public:
    bool open(const QString &host, quint16 port, QString &error);
    bool sendAll(const std::string &bytes, QString &error);
    // Waits (up to timeoutMs) until more bytes arrived and appends them to the buffer.
    bool receive(int timeoutMs, QString &error);
    const char *data() const { return m_in.data() + m_begin; }
    std::size_t size() const { return m_end - m_begin; }
    void consume(std::size_t n) { m_begin += n; }

private:
    QTcpSocket m_socket;
    int m_fd = -1;
    std::string m_in;
    std::size_t m_begin = 0, m_end = 0;
};

enum class Parse
{
    NeedMore,
    Done,
    Error
};

// What one consume reply held so far.
struct ConsumeProgress
{
    std::uint64_t records = 0;
    std::string lastId; // Redis: the cursor for the next XRANGE
};

class Protocol
{
public:
    virtual ~Protocol() = default;
    static std::unique_ptr<Protocol> make(Peer peer, const QByteArray &topic,
                                          const ValueSource &values);

    virtual void produce(std::string &out, int partition, std::uint32_t producer,
                         std::uint64_t first, int count) = 0;
    // One produce reply for count values; lastOffset is -1 when the peer does not say.
    virtual Parse produceReply(Connection &c, int count, std::int64_t &lastOffset,
                               QString &error) = 0;
    // Redis has no offsets to ask from, only the last ID seen, so it cannot pipeline reads.
    virtual bool canPipelineConsume() const = 0;
    virtual void consume(std::string &out, int partition, std::uint64_t offset,
                         const std::string &lastId, int limit, const QByteArray &consumerId) = 0;
    // Parses what is buffered of the current consume reply: feeds every whole record to
    // check (none: a stale reply, read and dropped), consumes those bytes and returns
    // NeedMore until the reply ended.
    virtual Parse consumeReply(Connection &c, PartitionCheck *check, ConsumeProgress &progress,
                               QString &error) = 0;
    // Resets the consume reply parser (after Done or Error).
    virtual void resetConsume() = 0;
};

// Checks that the bench's own native encoder writes byte for byte what the client library
// (encodeProduce, encodeConsume) writes; returns what differs, or nothing.
QString checkNativeEncoding(const ValueSource &values);

} // namespace cli::bench
