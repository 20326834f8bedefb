#pragma once

#include "requestparser.h"

#include "monitor/clientregistry.h"

#include <limits>

namespace rivulet {
class Broker;
class Partition;
class Topic;
} // namespace rivulet

namespace rivulet::native {

// Carries out native requests for one connection against the broker and encodes the
// replies. Pure over bytes and broker state: the session owns the socket.
class NativeHandler
{
public:
    enum class Outcome
    {
        Continue,
        Close,
        // A Consume that must decompress stored batches to answer, asked with mayDecompress
        // false: nothing was added to out; call handle() again off the worker thread
        // (Broker::runOffWorker) with mayDecompress true.
        OffWorker
    };

    // peer names the connection ("127.0.0.1:50123") where a request's consumer_id is empty.
    NativeHandler(Broker &broker, QByteArray peer, std::shared_ptr<ClientStats> stats = {});

    // replyRoom: how many bytes the reply may take (the connection's room for queued
    // replies); a Consume stops there, after at least one record. mayDecompress false (on a
    // worker thread): a Consume stops before a compressed batch, or answers OffWorker when
    // that batch holds its first record.
    Outcome handle(const Request &request, QByteArray &out,
                   qint64 replyRoom = std::numeric_limits<qint64>::max(),
                   bool mayDecompress = true);
    // A request the parser refused: Error (with its text, if asked for), then close.
    void refuse(const QString &why, QByteArray &out);

    // Totals for this connection, read by the session's monitor counters.
    std::int64_t recordsIn() const { return m_recordsIn; }
    std::int64_t recordsOut() const { return m_recordsOut; }

private:
    // The request's topic and partition; on failure nullptr, with the Error already in out.
    Partition *find(const Request &r, std::shared_ptr<Topic> &topic, QByteArray &out);
    void produce(const Request &r, QByteArray &out);
    // false: nothing answered, the records to give need decompressing and mayDecompress is off
    bool consume(const Request &r, QByteArray &out, qint64 replyRoom, bool mayDecompress);
    // --seed-compat: the answer to a Consume at or past the end (PROTOCOL.md §5.2.1)
    bool seedCompatEnd(const Topic &topic, Partition &partition, const Request &r, QByteArray &out,
                       bool mayDecompress);
    struct Delivered
    {
        std::int64_t next = 0; // the consumer's position after this reply
        std::int64_t records = 0;
        qsizetype bytes = 0;
    };
    // The Empty that ends a Consume's reply, and what it counts: rates, position.
    void finishConsume(const Topic &topic, Partition &partition, const Request &r,
                       const Delivered &delivered, QByteArray &out);
    void createTopic(const Request &r, QByteArray &out);
    void deleteTopic(const Request &r, QByteArray &out);
    void setRetention(const Request &r, QByteArray &out);
    void listTopics(QByteArray &out);
    void listConsumers(QByteArray &out);
    void error(QByteArray &out, const QString &why);

    Broker &m_broker;
    QByteArray m_peer;
    std::shared_ptr<ClientStats> m_stats;
    QByteArray m_lastConsumerId;
    std::uint32_t m_options = 0;
    std::int64_t m_recordsIn = 0;
    std::int64_t m_recordsOut = 0;
};

} // namespace rivulet::native
