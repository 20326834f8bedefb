// The broker's Kafka wire protocol, checked against bytes written out here BY HAND, field by
// field, from the Kafka message schemas (clients/src/main/resources/common/message/*.json in
// the Kafka source) and ../shared/kafka-compat.md. Nothing here uses broker/kafka/wire.h: the
// requests are built with a tiny local big-endian writer and the responses are taken apart
// with a tiny local reader, so a mistake shared by the broker's encoder and decoder cannot
// hide. The CRC-32C of record batches is computed here too.
//
// A real in-memory Broker with a Kafka Server on 127.0.0.1 (port 0) is talked to with real
// QTcpSocket clients on the test's thread; every wait runs this thread's event loop, which
// the server needs to accept connections and to tick the group coordinator, while the
// server's workers run in their own threads. A few checks call KafkaHandler::handle()
// directly.

#include "broker.h"
#include "kafka/kafkahandler.h"
#include "log/compression.h"
#include "monitor/clientregistry.h"
#include "server/server.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <QtEndian>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

using namespace rivulet;

namespace {

// Bounds every wait in this file; generous because the machines running it are shared.
constexpr int kTimeoutMs = 30000;
constexpr std::int32_t kNodeId = 3;
const QByteArray kClusterId = "tst-kafkacodec-cluster";
const QByteArray kClientId = "tst_kafkacodec";

// API keys, from the schemas' "apiKey".
namespace api {
constexpr std::int16_t Produce = 0;
constexpr std::int16_t Fetch = 1;
constexpr std::int16_t ListOffsets = 2;
constexpr std::int16_t Metadata = 3;
constexpr std::int16_t OffsetCommit = 8;
constexpr std::int16_t OffsetFetch = 9;
constexpr std::int16_t FindCoordinator = 10;
constexpr std::int16_t JoinGroup = 11;
constexpr std::int16_t Heartbeat = 12;
constexpr std::int16_t LeaveGroup = 13;
constexpr std::int16_t SyncGroup = 14;
constexpr std::int16_t DescribeGroups = 15;
constexpr std::int16_t ListGroups = 16;
constexpr std::int16_t ApiVersions = 18;
constexpr std::int16_t CreateTopics = 19;
constexpr std::int16_t DeleteTopics = 20;
constexpr std::int16_t DescribeConfigs = 32;
constexpr std::int16_t AlterConfigs = 33;
constexpr std::int16_t DeleteGroups = 42;
constexpr std::int16_t IncrementalAlterConfigs = 44;
} // namespace api

// Error codes, from Kafka's Errors.java.
namespace err {
constexpr int None = 0;
constexpr int OffsetOutOfRange = 1;
constexpr int CorruptMessage = 2;
constexpr int UnknownTopicOrPartition = 3;
constexpr int MessageTooLarge = 10;
constexpr int InvalidTopic = 17;
constexpr int IllegalGeneration = 22;
constexpr int InvalidGroupId = 24;
constexpr int UnknownMemberId = 25;
constexpr int RebalanceInProgress = 27;
constexpr int UnsupportedVersion = 35;
constexpr int TopicAlreadyExists = 36;
constexpr int InvalidPartitions = 37;
constexpr int InvalidReplicationFactor = 38;
constexpr int InvalidConfig = 40;
constexpr int InvalidRequest = 42;
constexpr int InvalidRecord = 87;
} // namespace err

// What a Kafka 3.9 broker advertises to clients, key -> (min, max), written here from Kafka's
// own ranges rather than read from Rivulet's API table; Fetch from v4 (no down-conversion to
// message formats 0 and 1).
const std::map<int, std::pair<int, int>> kAdvertised = {
    {0, {0, 11}}, {1, {4, 17}}, {2, {0, 9}},  {3, {0, 12}}, {8, {0, 9}},  {9, {0, 9}},
    {10, {0, 6}}, {11, {0, 9}}, {12, {0, 4}}, {13, {0, 5}}, {14, {0, 5}}, {15, {0, 5}},
    {16, {0, 5}}, {17, {0, 1}}, {18, {0, 4}}, {19, {0, 7}}, {20, {0, 6}}, {21, {0, 2}},
    {22, {0, 5}}, {23, {0, 4}}, {24, {0, 5}}, {25, {0, 4}}, {26, {0, 4}}, {28, {0, 4}},
    {29, {0, 3}}, {30, {0, 3}}, {31, {0, 3}}, {32, {0, 4}}, {33, {0, 2}}, {35, {0, 4}},
    {36, {0, 2}}, {37, {0, 3}}, {42, {0, 2}}, {43, {0, 2}}, {44, {0, 1}}, {45, {0, 0}},
    {46, {0, 0}}, {47, {0, 0}}, {48, {0, 1}}, {60, {0, 1}}, {61, {0, 0}}, {65, {0, 0}},
    {66, {0, 1}},
};

QString hex(const QByteArray &bytes)
{
    constexpr qsizetype kShown = 400;
    QString s = QString::fromLatin1(bytes.left(kShown).toHex(' '));
    if (bytes.size() > kShown)
        s += QStringLiteral(" ... (%1 bytes)").arg(bytes.size());
    return s.isEmpty() ? QStringLiteral("(nothing)") : s;
}

// ---- a tiny big-endian writer (Kafka's classic encoding, and record varints) ----

class Out
{
public:
    Out &i8(int v)
    {
        m_bytes.append(char(std::uint8_t(v)));
        return *this;
    }
    Out &i16(int v) { return be(std::uint16_t(v), 2); }
    Out &i32(std::int32_t v) { return be(std::uint32_t(v), 4); }
    Out &u32(std::uint32_t v) { return be(v, 4); }
    Out &i64(std::int64_t v) { return be(std::uint64_t(v), 8); }
    Out &boolean(bool v) { return i8(v ? 1 : 0); }
    // STRING: int16 length then the bytes; NULLABLE_STRING null is length -1
    Out &str(const QByteArray &s)
    {
        i16(int(s.size()));
        m_bytes += s;
        return *this;
    }
    Out &nullStr() { return i16(-1); }
    // BYTES: int32 length then the bytes
    Out &bytes(const QByteArray &b)
    {
        i32(std::int32_t(b.size()));
        m_bytes += b;
        return *this;
    }
    Out &raw(const QByteArray &b)
    {
        m_bytes += b;
        return *this;
    }
    // unsigned LEB128, as in the flexible versions' lengths and tagged fields
    Out &uvarint(std::uint64_t v)
    {
        while (v >= 0x80) {
            m_bytes.append(char((v & 0x7f) | 0x80));
            v >>= 7;
        }
        m_bytes.append(char(v));
        return *this;
    }
    // zig-zag signed varint, as in records
    Out &varint(std::int64_t v)
    {
        return uvarint((std::uint64_t(v) << 1) ^ std::uint64_t(v >> 63));
    }
    Out &varBytes(const std::optional<QByteArray> &b)
    {
        if (!b)
            return varint(-1);
        varint(b->size());
        m_bytes += *b;
        return *this;
    }

    const QByteArray &data() const { return m_bytes; }
    qsizetype size() const { return m_bytes.size(); }

private:
    Out &be(std::uint64_t v, int n)
    {
        for (int i = n - 1; i >= 0; --i)
            m_bytes.append(char((v >> (8 * i)) & 0xff));
        return *this;
    }
    QByteArray m_bytes;
};

// ---- a tiny bounds-checked big-endian reader; the first overrun sticks ----

class In
{
public:
    explicit In(QByteArray bytes) : m_bytes(std::move(bytes)) {}
    std::int8_t i8() { return std::int8_t(be(1)); }
    std::int16_t i16() { return std::int16_t(be(2)); }
    std::int32_t i32() { return std::int32_t(be(4)); }
    std::uint32_t u32() { return std::uint32_t(be(4)); }
    std::int64_t i64() { return std::int64_t(be(8)); }
    bool boolean() { return i8() != 0; }
    std::optional<QByteArray> nstr()
    {
        const int n = i16();
        if (!m_ok || n == -1)
            return std::nullopt;
        return raw(n);
    }
    // a non-nullable STRING: null is a protocol error here
    QByteArray str()
    {
        auto s = nstr();
        if (!s)
            m_ok = false;
        return s.value_or(QByteArray());
    }
    std::optional<QByteArray> nbytes()
    {
        const std::int32_t n = i32();
        if (!m_ok || n == -1)
            return std::nullopt;
        return raw(n);
    }
    // an array count, refused when negative or larger than what is left could hold
    std::int32_t count(int minElementBytes = 1)
    {
        const std::int32_t n = i32();
        if (n < 0 || std::int64_t(n) * minElementBytes > remaining())
            m_ok = false;
        return m_ok ? n : 0;
    }
    std::int64_t varint()
    {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            const auto b = std::uint8_t(be(1));
            if (!m_ok)
                return 0;
            v |= std::uint64_t(b & 0x7f) << shift;
            if (!(b & 0x80))
                return std::int64_t(v >> 1) ^ -std::int64_t(v & 1);
        }
        m_ok = false;
        return 0;
    }
    std::optional<QByteArray> varBytes()
    {
        const std::int64_t n = varint();
        if (!m_ok || n == -1)
            return std::nullopt;
        return raw(n);
    }
    QByteArray raw(std::int64_t n)
    {
        if (!m_ok || n < 0 || n > remaining()) {
            m_ok = false;
            return {};
        }
        QByteArray r = m_bytes.mid(m_pos, qsizetype(n));
        m_pos += qsizetype(n);
        return r;
    }
    bool ok() const { return m_ok; }
    bool atEnd() const { return m_ok && m_pos == m_bytes.size(); }
    qsizetype remaining() const { return m_bytes.size() - m_pos; }

private:
    std::uint64_t be(int n)
    {
        if (!m_ok || remaining() < n) {
            m_ok = false;
            return 0;
        }
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i)
            v = (v << 8) | std::uint8_t(m_bytes[m_pos + i]);
        m_pos += n;
        return v;
    }
    QByteArray m_bytes;
    qsizetype m_pos = 0;
    bool m_ok = true;
};

// CRC-32C (Castagnoli), reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF.
std::uint32_t crc32c(const QByteArray &data)
{
    std::uint32_t crc = 0xFFFFFFFFu;
    for (char c : data) {
        crc ^= std::uint8_t(c);
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

// ---- record batches (magic 2) ----

struct Rec
{
    std::optional<QByteArray> key;
    std::optional<QByteArray> value;
    std::vector<std::pair<QByteArray, QByteArray>> headers;
    std::int64_t timestampDelta = 0;
    std::int64_t offsetDelta = 0;
};

// baseOffset 0, partitionLeaderEpoch -1, no producer id, as a non-transactional producer
// sends it. Record i has timestampDelta i and offsetDelta i.
QByteArray recordBatch(const std::vector<Rec> &records, std::int64_t baseTimestamp)
{
    Out recs;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const Rec &r = records[i];
        Out one;
        one.i8(0);                   // attributes
        one.varint(std::int64_t(i)); // timestampDelta
        one.varint(std::int64_t(i)); // offsetDelta
        one.varBytes(r.key);         // keyLength, key
        one.varBytes(r.value);       // valueLength, value
        one.varint(qint64(r.headers.size()));
        for (const auto &[k, v] : r.headers)
            one.varBytes(k).varBytes(v); // headerKeyLength, key, headerValueLength, value
        recs.varint(one.size()).raw(one.data());
    }
    const auto n = std::int32_t(records.size());
    Out covered; // what the CRC covers: attributes to the end
    covered
        .i16(0)                     // attributes: no compression, CreateTime
        .i32(n - 1)                 // lastOffsetDelta
        .i64(baseTimestamp)         // baseTimestamp
        .i64(baseTimestamp + n - 1) // maxTimestamp
        .i64(-1)                    // producerId
        .i16(-1)                    // producerEpoch
        .i32(-1)                    // baseSequence
        .i32(n)                     // records count
        .raw(recs.data());
    Out batch;
    batch
        .i64(0)                                        // baseOffset
        .i32(std::int32_t(4 + 1 + 4 + covered.size())) // batchLength: from leader epoch on
        .i32(-1)                                       // partitionLeaderEpoch
        .i8(2)                                         // magic
        .u32(crc32c(covered.data()))                   // crc
        .raw(covered.data());
    return batch.data();
}

QByteArray withBaseOffset(QByteArray batch, std::int64_t baseOffset)
{
    const QByteArray be = Out().i64(baseOffset).data();
    batch.replace(0, 8, be);
    return batch;
}

struct Batch
{
    std::int64_t baseOffset = 0;
    std::int32_t batchLength = 0;
    std::int32_t leaderEpoch = 0;
    int magic = 0;
    std::uint32_t crc = 0;
    std::uint32_t computedCrc = 0;
    int attributes = 0;
    std::int32_t lastOffsetDelta = 0;
    std::int64_t baseTimestamp = 0;
    std::int64_t maxTimestamp = 0;
    std::int32_t count = 0;
    std::vector<Rec> records;
};

// Splits a records blob into batches and decodes them; nullopt if anything is off.
std::optional<std::vector<Batch>> decodeBatches(const QByteArray &blob)
{
    std::vector<Batch> out;
    In in(blob);
    while (in.remaining() > 0) {
        Batch b;
        b.baseOffset = in.i64();
        b.batchLength = in.i32();
        const QByteArray rest = in.raw(b.batchLength);
        if (!in.ok())
            return std::nullopt;
        In body(rest);
        b.leaderEpoch = body.i32();
        b.magic = body.i8();
        b.crc = body.u32();
        const QByteArray covered = rest.mid(9);
        b.computedCrc = crc32c(covered);
        b.attributes = body.i16();
        b.lastOffsetDelta = body.i32();
        b.baseTimestamp = body.i64();
        b.maxTimestamp = body.i64();
        body.i64();
        body.i16();
        body.i32();
        b.count = body.i32();
        for (std::int32_t i = 0; i < b.count && body.ok(); ++i) {
            const std::int64_t length = body.varint();
            In r(body.raw(length));
            Rec rec;
            r.i8();
            rec.timestampDelta = r.varint();
            rec.offsetDelta = r.varint();
            rec.key = r.varBytes();
            rec.value = r.varBytes();
            const std::int64_t headers = r.varint();
            for (std::int64_t h = 0; h < headers && r.ok(); ++h) {
                const QByteArray k = r.varBytes().value_or(QByteArray());
                rec.headers.emplace_back(k, r.varBytes().value_or(QByteArray()));
            }
            if (!r.atEnd())
                return std::nullopt;
            b.records.push_back(rec);
        }
        if (!body.atEnd())
            return std::nullopt;
        out.push_back(std::move(b));
    }
    return out;
}

// ---- requests ----

// size, then request header v1: api_key, api_version, correlation_id, client_id
QByteArray requestFrame(std::int16_t key, std::int16_t version, std::int32_t correlationId,
                        const QByteArray &body,
                        const std::optional<QByteArray> &clientId = kClientId)
{
    Out o;
    o.i16(key).i16(version).i32(correlationId);
    if (clientId)
        o.str(*clientId);
    else
        o.nullStr();
    o.raw(body);
    return Out().i32(std::int32_t(o.size())).raw(o.data()).data();
}

// ProduceRequest v3: transactional_id, acks, timeout_ms, [topic [partition records]]
QByteArray produceBody(const QByteArray &topic, std::int32_t partition,
                       const std::optional<QByteArray> &records, int acks = -1)
{
    Out o;
    o.nullStr().i16(acks).i32(5000).i32(1).str(topic).i32(1).i32(partition);
    if (records)
        o.bytes(*records);
    else
        o.i32(-1);
    return o.data();
}

// plain (from recordBatch()) with its records compressed by codec, length and CRC set again
QByteArray compressedBatch(int codec, const QByteArray &plain)
{
    QByteArray packed;
    QString error;
    if (!compression::compress(codec, QByteArrayView(plain).sliced(61), packed, error))
        qFatal("%s", qPrintable(error));
    QByteArray batch = plain.left(61) + packed;
    batch.replace(8, 4, Out().i32(std::int32_t(batch.size() - 12)).data());
    batch.replace(21, 2, Out().i16(codec).data());
    batch.replace(17, 4, Out().u32(crc32c(batch.mid(21))).data());
    return batch;
}

// FetchRequest v4: replica_id, max_wait_ms, min_bytes, max_bytes, isolation_level,
// [topic [partition fetch_offset partition_max_bytes]]
QByteArray fetchBody(const QByteArray &topic, std::int32_t partition, std::int64_t offset,
                     std::int32_t maxWaitMs, std::int32_t partitionMaxBytes = 1 << 20,
                     std::int32_t maxBytes = 50 << 20)
{
    return Out()
        .i32(-1)
        .i32(maxWaitMs)
        .i32(1)
        .i32(maxBytes)
        .i8(0)
        .i32(1)
        .str(topic)
        .i32(1)
        .i32(partition)
        .i64(offset)
        .i32(partitionMaxBytes)
        .data();
}

// ListOffsetsRequest v0: replica_id, [topic [partition timestamp max_num_offsets]];
// v1: no max_num_offsets; v2: isolation_level after replica_id
QByteArray listOffsetsBody(int version, const QByteArray &topic,
                           const std::vector<std::pair<std::int32_t, std::int64_t>> &partitions)
{
    Out o;
    o.i32(-1);
    if (version >= 2)
        o.i8(0);
    o.i32(1).str(topic).i32(std::int32_t(partitions.size()));
    for (const auto &[p, timestamp] : partitions) {
        o.i32(p).i64(timestamp);
        if (version == 0)
            o.i32(1);
    }
    return o.data();
}

// MetadataRequest: [topics] (v1+: null = all), v4: allow_auto_topic_creation
QByteArray metadataBody(int version, const std::optional<std::vector<QByteArray>> &topics,
                        bool allowAutoCreate = true)
{
    Out o;
    if (!topics) {
        o.i32(-1);
    } else {
        o.i32(std::int32_t(topics->size()));
        for (const QByteArray &t : *topics)
            o.str(t);
    }
    if (version >= 4)
        o.boolean(allowAutoCreate);
    return o.data();
}

// ---- responses ----

struct ProducePartition
{
    std::int32_t partition = -1;
    int error = -1;
    std::int64_t baseOffset = -2;
    std::int64_t logAppendTime = -2;
    std::int32_t throttle = -1;
};

// ProduceResponse v3: [topic [partition error_code base_offset log_append_time_ms]],
// throttle_time_ms
std::optional<ProducePartition> parseProduce(const QByteArray &body, const QByteArray &topic)
{
    In in(body);
    ProducePartition r;
    if (in.count() != 1 || in.str() != topic || in.count() != 1)
        return std::nullopt;
    r.partition = in.i32();
    r.error = in.i16();
    r.baseOffset = in.i64();
    r.logAppendTime = in.i64();
    r.throttle = in.i32();
    if (!in.atEnd())
        return std::nullopt;
    return r;
}

struct FetchPartition
{
    std::int32_t throttle = -1;
    std::int32_t partition = -1;
    int error = -1;
    std::int64_t highWatermark = -2;
    std::int64_t lastStable = -2;
    std::int32_t aborted = -2;
    std::optional<QByteArray> records;
};

// FetchResponse v4: throttle_time_ms, [topic [partition error_code high_watermark
// last_stable_offset [aborted_transactions] records]]
std::optional<FetchPartition> parseFetch(const QByteArray &body, const QByteArray &topic)
{
    In in(body);
    FetchPartition r;
    r.throttle = in.i32();
    if (in.count() != 1 || in.str() != topic || in.count() != 1)
        return std::nullopt;
    r.partition = in.i32();
    r.error = in.i16();
    r.highWatermark = in.i64();
    r.lastStable = in.i64();
    r.aborted = in.i32(); // -1 would be null
    for (std::int32_t i = 0; i < r.aborted && in.ok(); ++i) {
        in.i64(); // producer_id
        in.i64(); // first_offset
    }
    r.records = in.nbytes();
    if (!in.atEnd())
        return std::nullopt;
    return r;
}

struct MetaPartition
{
    int error = -1;
    std::int32_t id = -1;
    std::int32_t leader = -2;
    std::vector<std::int32_t> replicas;
    std::vector<std::int32_t> isr;
};
struct MetaTopic
{
    int error = -1;
    QByteArray name;
    bool internal = false;
    std::vector<MetaPartition> partitions;
};
struct MetaBroker
{
    std::int32_t node = -1;
    QByteArray host;
    std::int32_t port = -1;
    std::optional<QByteArray> rack;
};
struct Meta
{
    std::int32_t throttle = -1;
    std::vector<MetaBroker> brokers;
    std::optional<QByteArray> clusterId;
    std::int32_t controller = -2;
    std::vector<MetaTopic> topics;

    const MetaTopic *topic(const QByteArray &name) const
    {
        for (const MetaTopic &t : topics)
            if (t.name == name)
                return &t;
        return nullptr;
    }
};

// MetadataResponse v0-v4: [v3+ throttle_time_ms] [brokers: node_id host port (v1+ rack)]
// (v2+ cluster_id) (v1+ controller_id) [topics: error_code name (v1+ is_internal)
// [partitions: error_code partition_index leader_id [replica_nodes] [isr_nodes]]]
std::optional<Meta> parseMetadata(int version, const QByteArray &body)
{
    In in(body);
    Meta m;
    if (version >= 3)
        m.throttle = in.i32();
    const std::int32_t brokers = in.count(10);
    for (std::int32_t i = 0; i < brokers && in.ok(); ++i) {
        MetaBroker b;
        b.node = in.i32();
        b.host = in.str();
        b.port = in.i32();
        if (version >= 1)
            b.rack = in.nstr();
        m.brokers.push_back(b);
    }
    if (version >= 2)
        m.clusterId = in.nstr();
    if (version >= 1)
        m.controller = in.i32();
    const std::int32_t topics = in.count(8);
    for (std::int32_t i = 0; i < topics && in.ok(); ++i) {
        MetaTopic t;
        t.error = in.i16();
        t.name = in.str();
        if (version >= 1)
            t.internal = in.boolean();
        const std::int32_t partitions = in.count(18);
        for (std::int32_t p = 0; p < partitions && in.ok(); ++p) {
            MetaPartition mp;
            mp.error = in.i16();
            mp.id = in.i32();
            mp.leader = in.i32();
            const std::int32_t replicas = in.count(4);
            for (std::int32_t r = 0; r < replicas && in.ok(); ++r)
                mp.replicas.push_back(in.i32());
            const std::int32_t isr = in.count(4);
            for (std::int32_t r = 0; r < isr && in.ok(); ++r)
                mp.isr.push_back(in.i32());
            t.partitions.push_back(mp);
        }
        m.topics.push_back(std::move(t));
    }
    if (!in.atEnd())
        return std::nullopt;
    return m;
}

// ApiVersionsResponse v0: error_code [api_key min_version max_version]; v1+ throttle at the end
struct Versions
{
    int error = -1;
    std::vector<std::tuple<int, int, int>> ranges;
    std::optional<std::int32_t> throttle;
};
std::optional<Versions> parseApiVersions(const QByteArray &body, bool withThrottle)
{
    In in(body);
    Versions v;
    v.error = in.i16();
    const std::int32_t n = in.count(6);
    for (std::int32_t i = 0; i < n && in.ok(); ++i) {
        const int key = in.i16();
        const int min = in.i16();
        const int max = in.i16();
        v.ranges.emplace_back(key, min, max);
    }
    if (withThrottle)
        v.throttle = in.i32();
    if (!in.atEnd())
        return std::nullopt;
    return v;
}

// Empty when the ranges are exactly kAdvertised, otherwise what differs.
QString rangeProblems(const std::vector<std::tuple<int, int, int>> &ranges)
{
    QStringList problems;
    std::map<int, std::pair<int, int>> seen;
    for (const auto &[key, min, max] : ranges) {
        if (seen.count(key))
            problems << QStringLiteral("key %1 listed twice").arg(key);
        seen[key] = {min, max};
    }
    for (const auto &[key, range] : kAdvertised) {
        auto it = seen.find(key);
        if (it == seen.end())
            problems << QStringLiteral("key %1 missing").arg(key);
        else if (it->second != range)
            problems << QStringLiteral("key %1 is %2-%3, expected %4-%5")
                            .arg(key)
                            .arg(it->second.first)
                            .arg(it->second.second)
                            .arg(range.first)
                            .arg(range.second);
    }
    for (const auto &[key, range] : seen)
        if (!kAdvertised.count(key))
            problems << QStringLiteral("unexpected key %1 (%2-%3)")
                            .arg(key)
                            .arg(range.first)
                            .arg(range.second);
    return problems.join(QStringLiteral("; "));
}

// Runs the event loop until pred() holds, waking early on the socket's signals.
template <typename Pred> bool spinUntil(Pred pred, int timeoutMs, QTcpSocket *socket = nullptr)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!pred()) {
        if (deadline.hasExpired())
            return false;
        QEventLoop loop;
        if (socket) {
            QObject::connect(socket, &QIODevice::readyRead, &loop, &QEventLoop::quit);
            QObject::connect(socket, &QAbstractSocket::stateChanged, &loop, &QEventLoop::quit);
        }
        QTimer::singleShot(std::clamp<qint64>(deadline.remainingTime(), 1, 20), &loop,
                           &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

// A Kafka client on the test's thread. Nothing is parsed for it: it only frames.
class KafkaClient
{
public:
    bool connectTo(quint16 port)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        spinUntil(
            [this] {
                return m_socket.state() == QAbstractSocket::ConnectedState ||
                       m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            kTimeoutMs, &m_socket);
        if (m_socket.state() != QAbstractSocket::ConnectedState)
            return fail(QStringLiteral("cannot connect: %1").arg(m_socket.errorString()));
        return true;
    }

    void send(const QByteArray &bytes)
    {
        m_sent += bytes;
        m_socket.write(bytes);
    }

    // Sends a request with header v1; returns its correlation id.
    std::int32_t sendRequest(std::int16_t key, std::int16_t version, const QByteArray &body,
                             const std::optional<QByteArray> &clientId = kClientId)
    {
        const std::int32_t id = m_nextCorrelation++;
        send(requestFrame(key, version, id, body, clientId));
        return id;
    }

    // One whole response frame, without its size: correlation id + body.
    bool readFrame(QByteArray &frame, int timeoutMs = kTimeoutMs)
    {
        QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            pull();
            if (m_buffer.size() >= 4) {
                const std::int32_t size = In(m_buffer.left(4)).i32();
                if (size < 4)
                    return fail(QStringLiteral("response size %1").arg(size));
                if (m_buffer.size() >= 4 + size) {
                    frame = m_buffer.mid(4, size);
                    m_buffer.remove(0, 4 + size);
                    return true;
                }
            }
            if (m_socket.state() != QAbstractSocket::ConnectedState)
                return fail(QStringLiteral("the broker closed the connection before a whole "
                                           "response"));
            if (!spinUntil(
                    [this] {
                        return m_socket.bytesAvailable() > 0 ||
                               m_socket.state() != QAbstractSocket::ConnectedState;
                    },
                    int(deadline.remainingTime()), &m_socket))
                return fail(QStringLiteral("no whole response within %1 ms").arg(timeoutMs));
        }
    }

    // The next response, which must answer correlationId; body is what follows the id.
    bool readResponse(std::int32_t correlationId, QByteArray &body, int timeoutMs = kTimeoutMs)
    {
        QByteArray frame;
        if (!readFrame(frame, timeoutMs))
            return false;
        const std::int32_t got = In(frame.left(4)).i32();
        if (frame.size() < 4 || got != correlationId)
            return fail(QStringLiteral("expected the answer to correlation id %1, got frame %2")
                            .arg(correlationId)
                            .arg(hex(frame)));
        body = frame.mid(4);
        m_lastResponse = body;
        return true;
    }

    bool call(std::int16_t key, std::int16_t version, const QByteArray &request, QByteArray &body)
    {
        m_sent.clear();
        const std::int32_t id = sendRequest(key, version, request);
        return readResponse(id, body);
    }

    // True once the broker has closed the connection; what it sent stays in buffer().
    bool waitClosed(int timeoutMs = kTimeoutMs)
    {
        const bool closed = spinUntil(
            [this] {
                pull();
                return m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs, &m_socket);
        pull();
        return closed || fail(QStringLiteral("the broker kept the connection open"));
    }

    // True if the connection stays open and silent for ms.
    bool staysQuiet(int ms)
    {
        spinUntil(
            [this] {
                pull();
                return !m_buffer.isEmpty() || m_socket.state() != QAbstractSocket::ConnectedState;
            },
            ms, &m_socket);
        if (!m_buffer.isEmpty())
            return fail(QStringLiteral("unexpected bytes: %1").arg(hex(m_buffer)));
        if (m_socket.state() != QAbstractSocket::ConnectedState)
            return fail(QStringLiteral("the broker closed the connection"));
        return true;
    }

    QTcpSocket &socket() { return m_socket; }
    QByteArray &buffer() { return m_buffer; }
    // What went wrong, with the bytes of the last exchange.
    QString error() const
    {
        return QStringLiteral("%1\n   sent: %2\n   unread: %3")
            .arg(m_error, hex(m_sent), hex(m_buffer));
    }

private:
    void pull() { m_buffer += m_socket.readAll(); }
    bool fail(const QString &why)
    {
        m_error = why;
        return false;
    }

    QTcpSocket m_socket;
    QByteArray m_buffer;
    QByteArray m_sent;
    QByteArray m_lastResponse;
    QString m_error;
    std::int32_t m_nextCorrelation = 1000;
};

// For failure messages: what was sent and what came back.
QByteArray describe(const QByteArray &request, const QByteArray &response)
{
    return ("\n   request body: " + hex(request) + "\n   response body: " + hex(response))
        .toLatin1();
}

// JoinGroup v0/v1/v2 request and response, field by field.
QByteArray joinBody(int version, const QByteArray &group, const QByteArray &member,
                    const std::vector<std::pair<QByteArray, QByteArray>> &protocols,
                    std::int32_t sessionTimeoutMs = 10000)
{
    // group_id session_timeout_ms (v1+ rebalance_timeout_ms) member_id protocol_type
    // [protocols: name metadata]
    Out o;
    o.str(group).i32(sessionTimeoutMs);
    if (version >= 1)
        o.i32(5000);
    o.str(member).str("consumer").i32(std::int32_t(protocols.size()));
    for (const auto &[name, metadata] : protocols)
        o.str(name).bytes(metadata);
    return o.data();
}
struct Joined
{
    int error = -1;
    std::int32_t generation = -2;
    QByteArray protocol;
    QByteArray leader;
    QByteArray memberId;
    std::vector<std::pair<QByteArray, QByteArray>> members;
};
// (v2+ throttle_time_ms) error_code generation_id protocol_name leader member_id
// [members: member_id metadata]
std::optional<Joined> parseJoin(int version, const QByteArray &body)
{
    In in(body);
    if (version >= 2 && in.i32() != 0)
        return std::nullopt;
    Joined j;
    j.error = in.i16();
    j.generation = in.i32();
    j.protocol = in.str();
    j.leader = in.str();
    j.memberId = in.str();
    const std::int32_t n = in.count(6);
    for (std::int32_t i = 0; i < n && in.ok(); ++i) {
        const QByteArray id = in.str();
        j.members.emplace_back(id, in.nbytes().value_or(QByteArray()));
    }
    if (!in.atEnd())
        return std::nullopt;
    return j;
}
// group_id generation_id member_id [assignments: member_id assignment]
QByteArray syncBody(const QByteArray &group, std::int32_t generation, const QByteArray &member,
                    const std::vector<std::pair<QByteArray, QByteArray>> &assignments)
{
    Out o;
    o.str(group).i32(generation).str(member).i32(std::int32_t(assignments.size()));
    for (const auto &[id, assignment] : assignments)
        o.str(id).bytes(assignment);
    return o.data();
}
// (v1+ throttle_time_ms) error_code assignment
std::optional<std::pair<int, QByteArray>> parseSync(int version, const QByteArray &body)
{
    In in(body);
    if (version >= 1 && in.i32() != 0)
        return std::nullopt;
    const int error = in.i16();
    const QByteArray assignment = in.nbytes().value_or(QByteArray());
    if (!in.atEnd())
        return std::nullopt;
    return std::make_pair(error, assignment);
}
// Heartbeat: group_id generation_id member_id -> (v1+ throttle_time_ms) error_code
std::optional<int> heartbeat(KafkaClient &c, int version, const QByteArray &group,
                             std::int32_t generation, const QByteArray &member)
{
    QByteArray body;
    if (!c.call(api::Heartbeat, std::int16_t(version),
                Out().str(group).i32(generation).str(member).data(), body))
        return std::nullopt;
    In in(body);
    if (version >= 1 && in.i32() != 0)
        return std::nullopt;
    const int error = in.i16();
    return in.atEnd() ? std::optional<int>(error) : std::nullopt;
}
// LeaveGroup: group_id member_id -> (v1+ throttle_time_ms) error_code
std::optional<int> leave(KafkaClient &c, int version, const QByteArray &group,
                         const QByteArray &member)
{
    QByteArray body;
    if (!c.call(api::LeaveGroup, std::int16_t(version), Out().str(group).str(member).data(), body))
        return std::nullopt;
    In in(body);
    if (version >= 1 && in.i32() != 0)
        return std::nullopt;
    const int error = in.i16();
    return in.atEnd() ? std::optional<int>(error) : std::nullopt;
}

// ---- admin APIs ----

// DescribeGroupsResponse v0-v4: (v1+ throttle_time_ms) [groups: error_code group_id
// group_state protocol_type protocol_data [members: member_id (v4+ group_instance_id)
// client_id client_host member_metadata member_assignment] (v3+ authorized_operations)]
struct DescribedMember
{
    QByteArray memberId;
    std::optional<QByteArray> instanceId;
    QByteArray clientId;
    QByteArray clientHost;
    QByteArray metadata;
    QByteArray assignment;
};
struct DescribedGroup
{
    int error = -1;
    QByteArray groupId;
    QByteArray state;
    QByteArray protocolType;
    QByteArray protocol;
    std::vector<DescribedMember> members;
    std::optional<std::int32_t> operations;
};
std::optional<std::vector<DescribedGroup>> parseDescribeGroups(int version, const QByteArray &body)
{
    In in(body);
    if (version >= 1 && in.i32() != 0)
        return std::nullopt;
    std::vector<DescribedGroup> groups;
    const std::int32_t n = in.count(2 + 2 + 2 + 2 + 2 + 4);
    for (std::int32_t i = 0; i < n && in.ok(); ++i) {
        DescribedGroup g;
        g.error = in.i16();
        g.groupId = in.str();
        g.state = in.str();
        g.protocolType = in.str();
        g.protocol = in.str();
        const std::int32_t members = in.count(2 + 2 + 2 + 4 + 4);
        for (std::int32_t m = 0; m < members && in.ok(); ++m) {
            DescribedMember dm;
            dm.memberId = in.str();
            if (version >= 4)
                dm.instanceId = in.nstr();
            dm.clientId = in.str();
            dm.clientHost = in.str();
            dm.metadata = in.nbytes().value_or("(null)");
            dm.assignment = in.nbytes().value_or("(null)");
            g.members.push_back(dm);
        }
        if (version >= 3)
            g.operations = in.i32();
        groups.push_back(g);
    }
    if (!in.atEnd())
        return std::nullopt;
    return groups;
}

// DescribeConfigsResponse v0-v2: throttle_time_ms [results: error_code error_message
// resource_type resource_name [configs: name value read_only (v0 is_default | v1+
// config_source) is_sensitive (v1+ [synonyms: name value source])]]
struct ConfigEntry
{
    QByteArray name;
    std::optional<QByteArray> value;
    bool readOnly = false;
    int isDefaultOrSource = -1; // v0: is_default (0/1); v1+: config_source
    bool sensitive = true;
    int synonyms = -1;
};
struct ConfigResult
{
    int error = -1;
    std::optional<QByteArray> message;
    int type = -1;
    QByteArray name;
    std::vector<ConfigEntry> configs;
    const ConfigEntry *find(const QByteArray &key) const
    {
        for (const ConfigEntry &e : configs)
            if (e.name == key)
                return &e;
        return nullptr;
    }
};
std::optional<std::vector<ConfigResult>> parseDescribeConfigs(int version, const QByteArray &body)
{
    In in(body);
    if (in.i32() != 0)
        return std::nullopt;
    std::vector<ConfigResult> results;
    const std::int32_t n = in.count(2 + 2 + 1 + 2 + 4);
    for (std::int32_t i = 0; i < n && in.ok(); ++i) {
        ConfigResult r;
        r.error = in.i16();
        r.message = in.nstr();
        r.type = in.i8();
        r.name = in.str();
        const std::int32_t configs = in.count(2 + 2 + 1 + 1 + 1);
        for (std::int32_t c = 0; c < configs && in.ok(); ++c) {
            ConfigEntry e;
            e.name = in.str();
            e.value = in.nstr();
            e.readOnly = in.boolean();
            e.isDefaultOrSource = in.i8();
            e.sensitive = in.boolean();
            if (version >= 1) {
                e.synonyms = in.count(2 + 2 + 1);
                for (int k = 0; k < e.synonyms && in.ok(); ++k) {
                    in.str();
                    in.nstr();
                    in.i8();
                }
            }
            r.configs.push_back(e);
        }
        results.push_back(r);
    }
    if (!in.atEnd())
        return std::nullopt;
    return results;
}

// AlterConfigsResponse v0-v1 and IncrementalAlterConfigsResponse v0: throttle_time_ms
// [responses: error_code error_message resource_type resource_name]
struct AlterResult
{
    int error = -1;
    std::optional<QByteArray> message;
    int type = -1;
    QByteArray name;
};
std::optional<std::vector<AlterResult>> parseAlterConfigs(const QByteArray &body)
{
    In in(body);
    if (in.i32() != 0)
        return std::nullopt;
    std::vector<AlterResult> results;
    const std::int32_t n = in.count(2 + 2 + 1 + 2);
    for (std::int32_t i = 0; i < n && in.ok(); ++i) {
        AlterResult r;
        r.error = in.i16();
        r.message = in.nstr();
        r.type = in.i8();
        r.name = in.str();
        results.push_back(r);
    }
    if (!in.atEnd())
        return std::nullopt;
    return results;
}

} // namespace

class TestKafkaCodec : public QObject
{
    Q_OBJECT

    std::unique_ptr<Broker> m_broker;
    std::unique_ptr<Server> m_server;
    quint16 m_port = 0;

    bool start(bool autoCreate = true,
               qsizetype maxMessageBytes = compression::kDefaultMaxInflatedBytes)
    {
        BrokerConfig config;
        config.groupInitialRebalanceDelayMs = 100;
        config.maxMessageBytes = maxMessageBytes;
        m_broker = std::make_unique<Broker>(config);
        kafka::KafkaConfig kafka;
        kafka.nodeId = kNodeId;
        kafka.port = 0;
        kafka.clusterId = kClusterId;
        kafka.autoCreateTopics = autoCreate;
        kafka.defaultPartitions = 1;
        m_server = std::make_unique<Server>(*m_broker, 2, kafka);
        if (!m_server->start(QHostAddress::LocalHost, 0)) {
            qWarning("cannot start the server: %s", qPrintable(m_server->errorString()));
            return false;
        }
        m_port = m_server->serverPort();
        return true;
    }

    // A fresh connection answers ApiVersions v0 correctly (after bad input elsewhere).
    bool brokerStillAnswers(QString &why)
    {
        KafkaClient c;
        QByteArray body;
        if (!c.connectTo(m_port) || !c.call(api::ApiVersions, 0, {}, body)) {
            why = c.error();
            return false;
        }
        const auto v = parseApiVersions(body, false);
        if (!v || v->error != 0 || !rangeProblems(v->ranges).isEmpty()) {
            why = QStringLiteral("bad ApiVersions answer: %1").arg(hex(body));
            return false;
        }
        return true;
    }

    // ListOffsets v1 for -1 (high watermark) or -2 (log start); nullopt on any error.
    std::optional<std::int64_t> listOffset(KafkaClient &c, const QByteArray &topic,
                                           std::int32_t partition, std::int64_t which)
    {
        QByteArray body;
        if (!c.call(api::ListOffsets, 1, listOffsetsBody(1, topic, {{partition, which}}), body))
            return std::nullopt;
        In in(body);
        if (in.count() != 1 || in.str() != topic || in.count() != 1 || in.i32() != partition ||
            in.i16() != 0)
            return std::nullopt;
        in.i64(); // timestamp
        const std::int64_t offset = in.i64();
        if (!in.atEnd())
            return std::nullopt;
        return offset;
    }

    std::vector<Rec> sampleRecords() const
    {
        return {
            {"k1", "v1", {{"h1", "a"}, {"h2", "b"}}},
            {std::nullopt, "value two", {}},
            {"k3", std::nullopt, {{"empty", ""}}},
        };
    }

private Q_SLOTS:
    void cleanup()
    {
        if (m_server)
            m_server->stop();
        m_server.reset();
        m_broker.reset();
    }

    // The test's own CRC-32C against the standard check value, and a batch it builds.
    void ownCrc32c()
    {
        QCOMPARE(crc32c("123456789"), 0xE3069283u);
        QCOMPARE(crc32c(QByteArray()), 0u);
        const QByteArray batch = recordBatch(sampleRecords(), 1700000000000);
        const auto decoded = decodeBatches(batch);
        QVERIFY(decoded && decoded->size() == 1);
        QCOMPARE(decoded->front().crc, decoded->front().computedCrc);
        QCOMPARE(decoded->front().batchLength, std::int32_t(batch.size() - 12));
    }

    // ---- ApiVersions ----

    void apiVersions_data()
    {
        QTest::addColumn<int>("version");
        QTest::addColumn<bool>("nullClientId");
        QTest::newRow("v0") << 0 << false;
        QTest::newRow("v0 null client id") << 0 << true;
        QTest::newRow("v1") << 1 << false;
        QTest::newRow("v2") << 2 << false;
    }
    void apiVersions()
    {
        QFETCH(int, version);
        QFETCH(bool, nullClientId);
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const std::int32_t id =
            c.sendRequest(api::ApiVersions, std::int16_t(version), {},
                          nullClientId ? std::nullopt : std::optional<QByteArray>(kClientId));
        QByteArray body;
        QVERIFY2(c.readResponse(id, body), qPrintable(c.error()));
        const auto v = parseApiVersions(body, version >= 1);
        QVERIFY2(v, qPrintable(hex(body)));
        QCOMPARE(v->error, err::None);
        QCOMPARE(v->ranges.size(), kAdvertised.size());
        const QString problems = rangeProblems(v->ranges);
        QVERIFY2(problems.isEmpty(), qPrintable(problems));
        if (version >= 1)
            QCOMPARE(*v->throttle, 0);
    }

    // ApiVersions v3 is flexible: header v2 (client id, then tagged fields) and a body of
    // compact strings. v3-v4 are answered in their own layout (response header v0 all the
    // same); a version past ours gets error 35 with the v0 body and our ranges (KIP-511).
    void apiVersionsFlexibleRequest_data()
    {
        QTest::addColumn<int>("version");
        QTest::newRow("v3") << 3;
        QTest::newRow("v4") << 4;
        QTest::newRow("v127") << 127;
    }
    void apiVersionsFlexibleRequest()
    {
        QFETCH(int, version);
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const QByteArray software = "tst-kafkacodec";
        const QByteArray softwareVersion = "1.0";
        Out h;
        h.i16(api::ApiVersions).i16(version).i32(77); // api_key, api_version, correlation_id
        h.str(kClientId);                             // client_id: still a classic string
        h.uvarint(0);                                 // header tagged fields: none
        h.uvarint(quint64(software.size()) + 1).raw(software); // compact client_software_name
        h.uvarint(quint64(softwareVersion.size()) + 1).raw(softwareVersion);
        h.uvarint(0); // body tagged fields
        const QByteArray request = Out().i32(std::int32_t(h.size())).raw(h.data()).data();
        c.send(request);
        QByteArray body;
        QVERIFY2(c.readResponse(77, body), qPrintable(c.error()));
        if (version <= 4) {
            // error_code, compact array of (key, min, max, tagged fields), throttle, tags
            QCOMPARE(quint8(body[0]), 0);
            QCOMPARE(quint8(body[1]), 0);
            const int count = quint8(body[2]) - 1;
            QCOMPARE(count, int(kAdvertised.size()));
            std::vector<std::tuple<int, int, int>> ranges;
            for (int i = 0; i < count; ++i) {
                const char *at = body.constData() + 3 + i * 7;
                ranges.emplace_back(qFromBigEndian<qint16>(at), qFromBigEndian<qint16>(at + 2),
                                    qFromBigEndian<qint16>(at + 4));
                QCOMPARE(int(at[6]), 0); // no tagged fields
            }
            const QString problems = rangeProblems(ranges);
            QVERIFY2(problems.isEmpty(), qPrintable(problems));
            QCOMPARE(body.size(), 3 + count * 7 + 4 + 1);
            // the client's software is kept for the window's Clients tab
            QStringList software;
            for (const auto &client : m_broker->clients().snapshot())
                software << client.software;
            QVERIFY2(software.contains(QStringLiteral("tst-kafkacodec 1.0")),
                     qPrintable(software.join(u',')));
            return;
        }
        const auto v = parseApiVersions(body, false);
        QVERIFY2(v, qPrintable("not a v0 ApiVersions body: " + hex(body)));
        QCOMPARE(v->error, err::UnsupportedVersion);
        const QString problems = rangeProblems(v->ranges);
        QVERIFY2(problems.isEmpty(), qPrintable(problems));
        // the client steps down on the same connection
        QVERIFY2(c.call(api::ApiVersions, 2, {}, body), qPrintable(c.error()));
        const auto v2 = parseApiVersions(body, true);
        QVERIFY2(v2 && v2->error == 0, qPrintable(hex(body)));
    }

    // ---- Metadata ----

    void metadataAllTopics_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 4; ++v)
            QTest::addRow("v%d", v) << v;
    }
    void metadataAllTopics()
    {
        QFETCH(int, version);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("alpha", 2).topic);
        QVERIFY(m_broker->createTopic("beta", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        // v0: an empty list means all topics; v1+: null means all
        const QByteArray request = metadataBody(
            version, version == 0
                         ? std::optional<std::vector<QByteArray>>(std::vector<QByteArray>{})
                         : std::nullopt);
        QByteArray body;
        QVERIFY2(c.call(api::Metadata, std::int16_t(version), request, body),
                 qPrintable(c.error()));
        const auto m = parseMetadata(version, body);
        QVERIFY2(m, describe(request, body).constData());
        if (version >= 3)
            QCOMPARE(m->throttle, 0);
        QCOMPARE(int(m->brokers.size()), 1);
        QCOMPARE(m->brokers[0].node, kNodeId);
        QCOMPARE(m->brokers[0].host, QByteArray("127.0.0.1"));
        QCOMPARE(m->brokers[0].port, std::int32_t(m_port));
        if (version >= 1) {
            QVERIFY(!m->brokers[0].rack);
            QCOMPARE(m->controller, kNodeId);
        }
        if (version >= 2) {
            QVERIFY2(m->clusterId, "cluster id is null");
            QCOMPARE(*m->clusterId, kClusterId);
        }
        QCOMPARE(int(m->topics.size()), 2);
        for (const auto &[name, partitions] :
             std::vector<std::pair<QByteArray, int>>{{"alpha", 2}, {"beta", 1}}) {
            const MetaTopic *t = m->topic(name);
            QVERIFY2(t, name.constData());
            QCOMPARE(t->error, err::None);
            QVERIFY(!t->internal);
            QCOMPARE(int(t->partitions.size()), partitions);
            std::set<std::int32_t> ids;
            for (const MetaPartition &p : t->partitions) {
                QCOMPARE(p.error, err::None);
                ids.insert(p.id);
                QCOMPARE(p.leader, kNodeId);
                QCOMPARE(p.replicas, std::vector<std::int32_t>{kNodeId});
                QCOMPARE(p.isr, std::vector<std::int32_t>{kNodeId});
            }
            QCOMPARE(int(ids.size()), partitions);
            QCOMPARE(*ids.begin(), 0);
            QCOMPARE(*ids.rbegin(), partitions - 1);
        }
    }

    void metadataTopicSelection()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("alpha", 2).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;

        // v1 empty list: brokers only
        QVERIFY2(c.call(api::Metadata, 1, metadataBody(1, std::vector<QByteArray>{}), body),
                 qPrintable(c.error()));
        auto m = parseMetadata(1, body);
        QVERIFY2(m, qPrintable(hex(body)));
        QCOMPARE(int(m->brokers.size()), 1);
        QCOMPARE(m->controller, kNodeId);
        QCOMPARE(int(m->topics.size()), 0);

        // v4, one known topic, auto-create off
        QVERIFY2(c.call(api::Metadata, 4, metadataBody(4, std::vector<QByteArray>{"alpha"}, false),
                        body),
                 qPrintable(c.error()));
        m = parseMetadata(4, body);
        QVERIFY2(m && m->topics.size() == 1, qPrintable(hex(body)));
        QCOMPARE(m->topics[0].name, QByteArray("alpha"));
        QCOMPARE(m->topics[0].error, err::None);
        QCOMPARE(int(m->topics[0].partitions.size()), 2);

        // v4, unknown topic with allow_auto_topic_creation false: 3, no partitions, not made
        QVERIFY2(c.call(api::Metadata, 4, metadataBody(4, std::vector<QByteArray>{"nosuch"}, false),
                        body),
                 qPrintable(c.error()));
        m = parseMetadata(4, body);
        QVERIFY2(m && m->topics.size() == 1, qPrintable(hex(body)));
        QCOMPARE(m->topics[0].name, QByteArray("nosuch"));
        QCOMPARE(m->topics[0].error, err::UnknownTopicOrPartition);
        QCOMPARE(int(m->topics[0].partitions.size()), 0);
        QVERIFY(!m_broker->topics().find("nosuch"));

        // the broker auto-creates by default: v1 (no flag) and v4 with the flag set
        for (int version : {1, 4}) {
            const QByteArray name = "auto-made-v" + QByteArray::number(version);
            QVERIFY2(c.call(api::Metadata, std::int16_t(version),
                            metadataBody(version, std::vector<QByteArray>{name}, true), body),
                     qPrintable(c.error()));
            m = parseMetadata(version, body);
            QVERIFY2(m && m->topics.size() == 1, qPrintable(hex(body)));
            QCOMPARE(m->topics[0].name, name);
            QCOMPARE(m->topics[0].error, err::None);
            QCOMPARE(int(m->topics[0].partitions.size()), 1);
            QVERIFY(m_broker->topics().find(name));
        }

        // an invalid name is never created: 17
        QVERIFY2(
            c.call(api::Metadata, 1, metadataBody(1, std::vector<QByteArray>{"bad name!"}), body),
            qPrintable(c.error()));
        m = parseMetadata(1, body);
        QVERIFY2(m && m->topics.size() == 1, qPrintable(hex(body)));
        QCOMPARE(m->topics[0].error, err::InvalidTopic);
        QCOMPARE(int(m->topics[0].partitions.size()), 0);
    }

    void metadataWithoutAutoCreate_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 4; ++v)
            QTest::addRow("v%d", v) << v;
    }
    void metadataWithoutAutoCreate()
    {
        QFETCH(int, version);
        QVERIFY(start(false));
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        const QByteArray request = metadataBody(version, std::vector<QByteArray>{"nosuch"}, true);
        QVERIFY2(c.call(api::Metadata, std::int16_t(version), request, body),
                 qPrintable(c.error()));
        const auto m = parseMetadata(version, body);
        QVERIFY2(m && m->topics.size() == 1, describe(request, body).constData());
        QCOMPARE(m->topics[0].error, err::UnknownTopicOrPartition);
        QCOMPARE(int(m->topics[0].partitions.size()), 0);
        QVERIFY(!m_broker->topics().find("nosuch"));
    }

    // ---- Produce ----

    void produce()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("prod", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;

        const QByteArray first = recordBatch(sampleRecords(), 1700000000000);
        QByteArray request = produceBody("prod", 0, first);
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        auto r = parseProduce(body, "prod");
        QVERIFY2(r, describe(request, body).constData());
        QCOMPARE(r->partition, 0);
        QCOMPARE(r->error, err::None);
        QCOMPARE(r->baseOffset, std::int64_t(0));
        QCOMPARE(r->logAppendTime, std::int64_t(-1));
        QCOMPARE(r->throttle, 0);

        const QByteArray second = recordBatch({{"a", "1", {}}, {"b", "2", {}}}, 1700000001000);
        request = produceBody("prod", 0, second);
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        r = parseProduce(body, "prod");
        QVERIFY2(r, describe(request, body).constData());
        QCOMPARE(r->error, err::None);
        QCOMPARE(r->baseOffset, std::int64_t(3));
        QCOMPARE(listOffset(c, "prod", 0, -1), std::optional<std::int64_t>(5));

        // two batches in one records field: the base offset of the first
        request = produceBody("prod", 0,
                              recordBatch({{"x", "1", {}}}, 1700000002000) +
                                  recordBatch({{"y", "2", {}}}, 1700000002001));
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        r = parseProduce(body, "prod");
        QVERIFY2(r, describe(request, body).constData());
        QCOMPARE(r->error, err::None);
        QCOMPARE(r->baseOffset, std::int64_t(5));
        QCOMPARE(listOffset(c, "prod", 0, -1), std::optional<std::int64_t>(7));

        // an invalid topic name is never auto-created: 17
        request = produceBody("bad name!", 0, recordBatch({{"z", "1", {}}}, 1700000003000));
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        r = parseProduce(body, "bad name!");
        QVERIFY2(r, describe(request, body).constData());
        QCOMPARE(r->error, err::InvalidTopic);
        QCOMPARE(r->baseOffset, std::int64_t(-1));

        // an unknown partition of a known topic
        request = produceBody("prod", 5, recordBatch({{"z", "1", {}}}, 1700000003000));
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        r = parseProduce(body, "prod");
        QVERIFY2(r, describe(request, body).constData());
        QCOMPARE(r->partition, 5);
        QCOMPARE(r->error, err::UnknownTopicOrPartition);
        QCOMPARE(r->baseOffset, std::int64_t(-1));
    }

    // Produce with acks=0 gets no answer at all: the next thing on the wire answers the
    // request after it.
    // Produce v0-v2 (advertised so librdkafka compresses): no transactional_id; v0 answers
    // [topic [partition error base_offset]], v1 adds throttle_time_ms at the end, v2 adds
    // log_append_time per partition.
    void produceOldVersions()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("old", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        for (std::int16_t version = 0; version <= 2; ++version) {
            const QByteArray batch = recordBatch({{"k", "v", {}}}, 1700000000000);
            Out o;
            o.i16(-1).i32(5000).i32(1).str("old").i32(1).i32(0).bytes(batch);
            QByteArray body;
            QVERIFY2(c.call(api::Produce, version, o.data(), body), qPrintable(c.error()));
            In in(body);
            QCOMPARE(in.i32(), 1);
            QCOMPARE(in.str(), QByteArray("old"));
            QCOMPARE(in.i32(), 1);
            QCOMPARE(in.i32(), 0);                     // partition
            QCOMPARE(in.i16(), err::None);             // error
            QCOMPARE(in.i64(), std::int64_t(version)); // base offset: one record per version
            if (version >= 2)
                QCOMPARE(in.i64(), std::int64_t(-1)); // log_append_time
            if (version >= 1)
                QCOMPARE(in.i32(), 0); // throttle_time_ms
            QVERIFY(in.atEnd());
        }
    }

    // A compressed batch (here zstd, which librdkafka will not send us) is stored as it came,
    // fetched back byte for byte, and its records decode for native readers.
    void compressedBatchIsKeptAndDecodes()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("zs", 1).topic);
        const QByteArray plain =
            recordBatch({{"k1", "first", {}}, {"k2", "second", {}}}, 1700000000000);
        QByteArray packed;
        QString error;
        QVERIFY(compression::compress(4, QByteArrayView(plain).sliced(61), packed, error));
        QByteArray batch = plain.left(61) + packed;
        Out length;
        length.i32(std::int32_t(batch.size() - 12));
        batch.replace(8, 4, length.data());
        batch[22] = char(4); // attributes: zstd
        Out crc;
        crc.u32(crc32c(batch.mid(21)));
        batch.replace(17, 4, crc.data());

        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        QVERIFY2(c.call(api::Produce, 3, produceBody("zs", 0, batch), body), qPrintable(c.error()));
        const auto r = parseProduce(body, "zs");
        QVERIFY(r);
        QCOMPARE(r->error, err::None);
        QVERIFY2(c.call(api::Fetch, 4, fetchBody("zs", 0, 0, 0), body), qPrintable(c.error()));
        const auto f = parseFetch(body, "zs");
        QVERIFY(f && f->records);
        QCOMPARE(*f->records, batch); // baseOffset 0 either way

        QStringList values;
        const auto read = m_broker->topics().find("zs")->partition(0)->readRecords(
            0, 10, [&](const rivulet::RecordView &rec) {
                values << QString::fromUtf8(rec.key.toByteArray() + '=' + rec.value.toByteArray());
                return true;
            });
        QVERIFY2(read.error.isEmpty(), qPrintable(read.error));
        QCOMPARE(values, QStringList({"k1=first", "k2=second"}));
    }

    void produceAcksZero()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("quiet", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const QByteArray good = recordBatch({{"k", "v", {}}}, 1700000000000);
        QByteArray bad = recordBatch({{"k", "w", {}}}, 1700000000000);
        bad[bad.size() - 2] = char(bad[bad.size() - 2] ^ 0x01); // damages the CRC check

        // stored, unanswered; then a bad batch, also unanswered; then ApiVersions
        c.sendRequest(api::Produce, 3, produceBody("quiet", 0, good, 0));
        c.sendRequest(api::Produce, 3, produceBody("quiet", 0, bad, 0));
        const std::int32_t versionsId = c.sendRequest(api::ApiVersions, 0, {});
        QByteArray body;
        QVERIFY2(c.readResponse(versionsId, body), qPrintable(c.error()));
        QVERIFY2(parseApiVersions(body, false), qPrintable(hex(body)));
        QVERIFY2(c.staysQuiet(200), qPrintable(c.error()));
        QCOMPARE(listOffset(c, "quiet", 0, -1), std::optional<std::int64_t>(1));
    }

    // A batch whose CRC does not match: CORRUPT_MESSAGE and nothing stored.
    void produceCorruptBatch_data()
    {
        QTest::addColumn<int>("where"); // which byte to flip; negative counts from the end
        QTest::newRow("crc field") << 17;
        QTest::newRow("attributes") << 22;
        QTest::newRow("max timestamp") << 40;
        QTest::newRow("last value byte") << -1;
    }
    void produceCorruptBatch()
    {
        QFETCH(int, where);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("crc", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        const QByteArray good = recordBatch({{"k0", "v0", {}}}, 1700000000000);
        QVERIFY2(c.call(api::Produce, 3, produceBody("crc", 0, good), body), qPrintable(c.error()));
        QCOMPARE(parseProduce(body, "crc")->error, err::None);

        QByteArray bad = recordBatch(sampleRecords(), 1700000000001);
        const qsizetype at = where < 0 ? bad.size() + where : where;
        bad[at] = char(bad[at] ^ 0x10);
        const QByteArray request = produceBody("crc", 0, bad);
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        const auto r = parseProduce(body, "crc");
        QVERIFY2(r, describe(request, body).constData());
        QVERIFY2(r->error == err::CorruptMessage, describe(request, body).constData());
        QCOMPARE(r->baseOffset, std::int64_t(-1));

        // nothing stored: the end is unchanged and a fetch from it finds no records
        QCOMPARE(listOffset(c, "crc", 0, -1), std::optional<std::int64_t>(1));
        QVERIFY2(c.call(api::Fetch, 4, fetchBody("crc", 0, 1, 0), body), qPrintable(c.error()));
        const auto f = parseFetch(body, "crc");
        QVERIFY2(f, qPrintable(hex(body)));
        QCOMPARE(f->error, err::None);
        QCOMPARE(f->highWatermark, std::int64_t(1));
        QCOMPARE(f->records, std::optional<QByteArray>(QByteArray()));
        // and the first batch comes back unharmed
        QVERIFY2(c.call(api::Fetch, 4, fetchBody("crc", 0, 0, 0), body), qPrintable(c.error()));
        QCOMPARE(parseFetch(body, "crc")->records, std::optional<QByteArray>(good));
    }

    // Kafka's rule: clients do not write transaction markers (control batches), and a batch
    // with a producer id carries sequence numbers. Both answer 87 and store nothing.
    void produceControlOrSequencelessBatchRefused_data()
    {
        QTest::addColumn<bool>("control");
        QTest::newRow("control batch") << true;
        QTest::newRow("producer id without sequence") << false;
    }
    void produceControlOrSequencelessBatchRefused()
    {
        QFETCH(bool, control);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("ctl", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray batch = recordBatch({{"k0", "v0", {}}}, 1700000000000);
        auto put = [&](int at, std::uint64_t v, int n) {
            for (int i = 0; i < n; ++i)
                batch[at + i] = char((v >> (8 * (n - 1 - i))) & 0xFF);
        };
        if (control)
            put(21, 0x30, 2); // attributes: transactional, control
        else
            put(43, 7, 8); // producer id 7, base sequence still -1
        put(17, crc32c(batch.mid(21)), 4);
        QByteArray body;
        const QByteArray request = produceBody("ctl", 0, batch);
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        const auto r = parseProduce(body, "ctl");
        QVERIFY2(r && r->error == err::InvalidRecord, describe(request, body).constData());
        QCOMPARE(listOffset(c, "ctl", 0, -1), std::optional<std::int64_t>(0));
    }

    // Kafka's LogValidator: a batch's offset range is its record count. Today's refusal
    // keeps two 80-byte batches from moving a partition's end to 2^32 (where native Produce
    // fails for good). INVALID_RECORD, nothing stored.
    void produceOffsetDeltaMismatchRefused_data()
    {
        QTest::addColumn<int>("records");
        QTest::addColumn<qint32>("lastOffsetDelta");
        QTest::newRow("one record, delta 2^31-1") << 1 << qint32(INT_MAX);
        QTest::newRow("one record, delta 1") << 1 << qint32(1);
        QTest::newRow("two records, delta 0") << 2 << qint32(0);
    }
    void produceOffsetDeltaMismatchRefused()
    {
        QFETCH(int, records);
        QFETCH(qint32, lastOffsetDelta);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("delta", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        std::vector<Rec> sent;
        for (int i = 0; i < records; ++i)
            sent.push_back({"k", "v" + QByteArray::number(i), {}});
        QByteArray batch = recordBatch(sent, 1700000000000);
        batch.replace(23, 4, Out().i32(lastOffsetDelta).data());
        batch.replace(17, 4, Out().u32(crc32c(batch.mid(21))).data());
        QByteArray body;
        for (int attempt = 0; attempt < 2; ++attempt) {
            const QByteArray request = produceBody("delta", 0, batch);
            QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
            const auto r = parseProduce(body, "delta");
            QVERIFY2(r && r->error == err::InvalidRecord, describe(request, body).constData());
        }
        QCOMPARE(listOffset(c, "delta", 0, -1), std::optional<std::int64_t>(0));
        // the native side says why, and a right batch still goes to offset 0
        const ProduceResult refused = m_broker->produce("delta", 0, batch);
        QCOMPARE(int(refused.error), int(ProduceError::InvalidRecords));
        QVERIFY2(refused.message.contains(u"lastOffsetDelta"), qPrintable(refused.message));
        QVERIFY2(c.call(api::Produce, 3,
                        produceBody("delta", 0, recordBatch({{"k", "ok", {}}}, 1700000000000)),
                        body),
                 qPrintable(c.error()));
        QCOMPARE(parseProduce(body, "delta")->error, err::None);
        QCOMPARE(listOffset(c, "delta", 0, -1), std::optional<std::int64_t>(1));
    }

    // A compressed batch whose records inflate past the maximum message size is refused with
    // MESSAGE_TOO_LARGE, for every codec, and nothing is stored; one just under it is kept.
    // Records that cannot be decompressed are CORRUPT_MESSAGE.
    void produceInflatingBatchRefused_data()
    {
        QTest::addColumn<int>("codec");
        for (int codec = 1; codec <= 4; ++codec)
            QTest::newRow(compression::codecName(codec)) << codec;
    }
    void produceInflatingBatchRefused()
    {
        QFETCH(int, codec);
        constexpr qsizetype kMax = 1 << 20;
        QVERIFY(start(true, kMax));
        QVERIFY(m_broker->createTopic("bomb", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        auto send = [&](const QByteArray &batch) {
            const QByteArray request = produceBody("bomb", 0, batch);
            if (!c.call(api::Produce, 3, request, body))
                return std::optional<ProducePartition>();
            return parseProduce(body, "bomb");
        };
        // 16 MiB of zeros in one record packs into a few KiB (gzip: 16 KiB)
        const QByteArray bomb =
            compressedBatch(codec, recordBatch({{"k", QByteArray(16 << 20, '\0'), {}}}, 1));
        QVERIFY2(bomb.size() < 1 << 20, qPrintable(QString::number(bomb.size())));
        auto r = send(bomb);
        QVERIFY2(r && r->error == err::MessageTooLarge, qPrintable(hex(body.left(64))));
        const ProduceResult refused = m_broker->produce("bomb", 0, bomb);
        QVERIFY2(refused.message.contains(u"more than 1048576 bytes"), qPrintable(refused.message));

        // just under the bound: kept, and readable
        const QByteArray fits = compressedBatch(
            codec, recordBatch({{"k", QByteArray(kMax - 100, 'x'), {}}}, 1700000000000));
        r = send(fits);
        QVERIFY2(r && r->error == err::None, qPrintable(hex(body.left(64))));
        QCOMPARE(r->baseOffset, std::int64_t(0));

        // not data of the codec at all
        QByteArray garbage = recordBatch({{"k", "v", {}}}, 1);
        garbage.append("not compressed at all");
        garbage.replace(8, 4, Out().i32(std::int32_t(garbage.size() - 12)).data());
        garbage.replace(21, 2, Out().i16(codec).data());
        garbage.replace(17, 4, Out().u32(crc32c(garbage.mid(21))).data());
        r = send(garbage);
        QVERIFY2(r && r->error == err::CorruptMessage, qPrintable(hex(body.left(64))));
        QCOMPARE(listOffset(c, "bomb", 0, -1), std::optional<std::int64_t>(1));

        // an uncompressed batch is held to the same bound
        r = send(recordBatch({{"k", QByteArray(kMax + 1, 'y'), {}}}, 1));
        QVERIFY2(r && r->error == err::MessageTooLarge, qPrintable(hex(body.left(64))));
        QCOMPARE(listOffset(c, "bomb", 0, -1), std::optional<std::int64_t>(1));
    }

    // A batch stored before produce checked sizes (here: under a larger bound) that inflates
    // past today's bound is not decompressed past it when read: the reader gets an error
    // saying why, and Kafka Fetch, which hands batches out as stored, still serves it.
    void storedInflatingBatchIsBoundedWhenRead()
    {
        QVERIFY(start(true, 8 << 20));
        QVERIFY(m_broker->createTopic("old", 1).topic);
        const QByteArray big =
            compressedBatch(1, recordBatch({{"k", QByteArray(4 << 20, 'z'), {}}}, 1));
        QCOMPARE(int(m_broker->produce("old", 0, big).error), int(ProduceError::None));
        compression::setMaxInflatedBytes(1 << 20);
        const auto read = m_broker->topics().find("old")->partition(0)->readRecords(
            0, 10, [](const rivulet::RecordView &) { return true; });
        compression::setMaxInflatedBytes(compression::kDefaultMaxInflatedBytes);
        QCOMPARE(read.records, 0);
        QVERIFY2(read.error.contains(u"offsets 0-0") && read.error.contains(u"more than 1048576"),
                 qPrintable(read.error));
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        QVERIFY2(c.call(api::Fetch, 4, fetchBody("old", 0, 0, 0), body), qPrintable(c.error()));
        const auto f = parseFetch(body, "old");
        QVERIFY(f && f->records);
        QCOMPARE(*f->records, big);
    }

    void produceUnknownTopicWithoutAutoCreate()
    {
        QVERIFY(start(false));
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        const QByteArray request =
            produceBody("nosuch", 0, recordBatch({{"k", "v", {}}}, 1700000000000));
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        const auto r = parseProduce(body, "nosuch");
        QVERIFY2(r, describe(request, body).constData());
        QCOMPARE(r->error, err::UnknownTopicOrPartition);
        QCOMPARE(r->baseOffset, std::int64_t(-1));
        QVERIFY(!m_broker->topics().find("nosuch"));
    }

    void produceAutoCreatesTopic()
    {
        QVERIFY(start(true));
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        const QByteArray request =
            produceBody("fresh", 0, recordBatch({{"k", "v", {}}}, 1700000000000));
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        const auto r = parseProduce(body, "fresh");
        QVERIFY2(r, describe(request, body).constData());
        QCOMPARE(r->error, err::None);
        QCOMPARE(r->baseOffset, std::int64_t(0));
        QVERIFY(m_broker->topics().find("fresh"));
    }

    // ---- Fetch ----

    void fetch()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("fe", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        const QByteArray first = recordBatch(sampleRecords(), 1700000000000);
        const QByteArray second = recordBatch({{"a", "1", {}}, {"b", "2", {}}}, 1700000001000);
        QVERIFY2(c.call(api::Produce, 3, produceBody("fe", 0, first), body), qPrintable(c.error()));
        QCOMPARE(parseProduce(body, "fe")->baseOffset, std::int64_t(0));
        QVERIFY2(c.call(api::Produce, 3, produceBody("fe", 0, second), body),
                 qPrintable(c.error()));
        QCOMPARE(parseProduce(body, "fe")->baseOffset, std::int64_t(3));
        // stored as they came; only baseOffset is the broker's
        const QByteArray expectFirst = withBaseOffset(first, 0);
        const QByteArray expectSecond = withBaseOffset(second, 3);

        struct Case
        {
            std::int64_t offset;
            std::int32_t partitionMaxBytes;
            QByteArray expected;
        };
        const std::vector<Case> cases = {
            {0, 1 << 20, expectFirst + expectSecond},
            {1, 1 << 20, expectFirst + expectSecond}, // whole batches from the one holding 1
            {2, 1 << 20, expectFirst + expectSecond},
            {3, 1 << 20, expectSecond},
            {4, 1 << 20, expectSecond},
            {0, 10, expectFirst}, // at least one whole batch even over the limit
        };
        for (const Case &k : cases) {
            const QByteArray request = fetchBody("fe", 0, k.offset, 0, k.partitionMaxBytes);
            QVERIFY2(c.call(api::Fetch, 4, request, body), qPrintable(c.error()));
            const auto f = parseFetch(body, "fe");
            QVERIFY2(f, describe(request, body).constData());
            QCOMPARE(f->throttle, 0);
            QCOMPARE(f->partition, 0);
            QCOMPARE(f->error, err::None);
            QCOMPARE(f->highWatermark, std::int64_t(5));
            QCOMPARE(f->lastStable, std::int64_t(5));
            QCOMPARE(f->aborted, 0);
            QVERIFY2(f->records == k.expected,
                     qPrintable(QStringLiteral("from %1: got %2\n want %3")
                                    .arg(k.offset)
                                    .arg(hex(f->records.value_or("")))
                                    .arg(hex(k.expected))));
        }

        // what came back decodes, with valid CRCs, to what was sent
        QVERIFY2(c.call(api::Fetch, 4, fetchBody("fe", 0, 0, 0), body), qPrintable(c.error()));
        const auto batches = decodeBatches(*parseFetch(body, "fe")->records);
        QVERIFY(batches && batches->size() == 2);
        QCOMPARE((*batches)[0].baseOffset, std::int64_t(0));
        QCOMPARE((*batches)[1].baseOffset, std::int64_t(3));
        for (const Batch &b : *batches) {
            QCOMPARE(b.magic, 2);
            QCOMPARE(b.crc, b.computedCrc);
        }
        const std::vector<Rec> sent = sampleRecords();
        QCOMPARE(int((*batches)[0].records.size()), 3);
        for (std::size_t i = 0; i < sent.size(); ++i) {
            const Rec &got = (*batches)[0].records[i];
            QCOMPARE(got.key, sent[i].key);
            QCOMPARE(got.value, sent[i].value);
            QCOMPARE(got.headers, sent[i].headers);
            QCOMPARE(got.offsetDelta, std::int64_t(i));
        }

        // at the high watermark: no error, empty (not null) records
        QVERIFY2(c.call(api::Fetch, 4, fetchBody("fe", 0, 5, 0), body), qPrintable(c.error()));
        auto f = parseFetch(body, "fe");
        QVERIFY2(f, qPrintable(hex(body)));
        QCOMPARE(f->error, err::None);
        QCOMPARE(f->highWatermark, std::int64_t(5));
        QVERIFY2(f->records && f->records->isEmpty(), qPrintable(hex(body)));
        // its last 4 bytes are the records size, 0 and not -1
        QCOMPARE(body.right(4), QByteArray(4, '\0'));

        // beyond the high watermark, and below the log start: OFFSET_OUT_OF_RANGE
        for (std::int64_t offset : {std::int64_t(6), std::int64_t(1000), std::int64_t(-1)}) {
            const QByteArray request = fetchBody("fe", 0, offset, 0);
            QVERIFY2(c.call(api::Fetch, 4, request, body), qPrintable(c.error()));
            f = parseFetch(body, "fe");
            QVERIFY2(f, describe(request, body).constData());
            QVERIFY2(f->error == err::OffsetOutOfRange, describe(request, body).constData());
            QVERIFY2(f->records && f->records->isEmpty(), describe(request, body).constData());
        }

        // unknown topic and unknown partition: 3
        for (const auto &[topic, partition] :
             std::vector<std::pair<QByteArray, std::int32_t>>{{"nope", 0}, {"fe", 9}}) {
            const QByteArray request = fetchBody(topic, partition, 0, 0);
            QVERIFY2(c.call(api::Fetch, 4, request, body), qPrintable(c.error()));
            f = parseFetch(body, topic);
            QVERIFY2(f, describe(request, body).constData());
            QCOMPARE(f->partition, partition);
            QCOMPARE(f->error, err::UnknownTopicOrPartition);
            QVERIFY2(f->records && f->records->isEmpty(), describe(request, body).constData());
        }
    }

    // A waiting Fetch is answered as soon as another connection produces.
    void fetchLongPollAnsweredEarly()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("lp", 1).topic);
        KafkaClient consumer, producer;
        QVERIFY2(consumer.connectTo(m_port), qPrintable(consumer.error()));
        QVERIFY2(producer.connectTo(m_port), qPrintable(producer.error()));
        QElapsedTimer clock;
        clock.start();
        const std::int32_t id = consumer.sendRequest(api::Fetch, 4, fetchBody("lp", 0, 0, 2000));
        QVERIFY2(consumer.staysQuiet(300), qPrintable(consumer.error()));
        const QByteArray batch = recordBatch({{"k", "late", {}}}, 1700000000000);
        QByteArray body;
        QVERIFY2(producer.call(api::Produce, 3, produceBody("lp", 0, batch), body),
                 qPrintable(producer.error()));
        QCOMPARE(parseProduce(body, "lp")->error, err::None);
        QVERIFY2(consumer.readResponse(id, body), qPrintable(consumer.error()));
        const qint64 elapsed = clock.elapsed();
        QVERIFY2(elapsed < 1500, qPrintable(QStringLiteral("answered after %1 ms").arg(elapsed)));
        const auto f = parseFetch(body, "lp");
        QVERIFY2(f, qPrintable(hex(body)));
        QCOMPARE(f->error, err::None);
        QCOMPARE(f->highWatermark, std::int64_t(1));
        QCOMPARE(f->records, std::optional<QByteArray>(batch));
    }

    // With no data the Fetch waits max_wait_ms, then answers with empty records.
    void fetchLongPollTimesOut()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("idle", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QElapsedTimer clock;
        clock.start();
        const std::int32_t id = c.sendRequest(api::Fetch, 4, fetchBody("idle", 0, 0, 1000));
        QByteArray body;
        QVERIFY2(c.readResponse(id, body), qPrintable(c.error()));
        const qint64 elapsed = clock.elapsed();
        QVERIFY2(elapsed >= 950 && elapsed < 5000,
                 qPrintable(QStringLiteral("answered after %1 ms, max_wait_ms 1000").arg(elapsed)));
        const auto f = parseFetch(body, "idle");
        QVERIFY2(f, qPrintable(hex(body)));
        QCOMPARE(f->error, err::None);
        QCOMPARE(f->highWatermark, std::int64_t(0));
        QCOMPARE(f->records, std::optional<QByteArray>(QByteArray()));
    }

    // Answers go out in request order: a waiting Fetch holds back the Metadata behind it.
    void fetchWaitHoldsBackLaterAnswers()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("order", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const std::int32_t fetchId = 500;
        const std::int32_t metadataId = 501;
        QElapsedTimer clock;
        clock.start();
        c.send(requestFrame(api::Fetch, 4, fetchId, fetchBody("order", 0, 0, 800)) +
               requestFrame(api::Metadata, 1, metadataId, metadataBody(1, std::nullopt)));
        QByteArray body;
        QVERIFY2(c.readResponse(fetchId, body), qPrintable(c.error()));
        const qint64 elapsed = clock.elapsed();
        QVERIFY2(elapsed >= 750, qPrintable(QStringLiteral("after %1 ms").arg(elapsed)));
        QVERIFY2(parseFetch(body, "order"), qPrintable(hex(body)));
        QVERIFY2(c.readResponse(metadataId, body), qPrintable(c.error()));
        QVERIFY2(parseMetadata(1, body), qPrintable(hex(body)));
    }

    // ---- ListOffsets ----

    void listOffsets_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 2; ++v)
            QTest::addRow("v%d", v) << v;
    }
    void listOffsets()
    {
        QFETCH(int, version);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("lo", 2).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        QVERIFY2(c.call(api::Produce, 3,
                        produceBody("lo", 0, recordBatch(sampleRecords(), 1700000000000)), body),
                 qPrintable(c.error()));
        QVERIFY2(c.call(api::Produce, 3,
                        produceBody("lo", 0, recordBatch({{"a", "b", {}}}, 1700000001000)), body),
                 qPrintable(c.error()));

        struct Expect
        {
            std::int32_t partition;
            std::int64_t timestamp;
            int error;
            std::int64_t offset;
        };
        const std::vector<std::vector<Expect>> requests = {
            {{0, -1, err::None, 4}, {1, -1, err::None, 0}},
            {{0, -2, err::None, 0}, {1, -2, err::None, 0}},
            {{7, -1, err::UnknownTopicOrPartition, -1}},
        };
        for (const auto &expects : requests) {
            std::vector<std::pair<std::int32_t, std::int64_t>> asked;
            for (const Expect &e : expects)
                asked.emplace_back(e.partition, e.timestamp);
            const QByteArray request = listOffsetsBody(version, "lo", asked);
            QVERIFY2(c.call(api::ListOffsets, std::int16_t(version), request, body),
                     qPrintable(c.error()));
            const QByteArray why = describe(request, body);
            // v0: [topic [partition error_code [old_style_offsets]]]
            // v1: [topic [partition error_code timestamp offset]]; v2: throttle_time_ms first
            In in(body);
            if (version >= 2)
                QCOMPARE(in.i32(), 0);
            QVERIFY2(in.count() == 1 && in.str() == "lo", why.constData());
            QVERIFY2(in.count() == std::int32_t(expects.size()), why.constData());
            for (const Expect &e : expects) {
                QVERIFY2(in.i32() == e.partition, why.constData());
                QVERIFY2(in.i16() == e.error, why.constData());
                if (version == 0) {
                    const std::int32_t n = in.count(8);
                    if (e.error) {
                        QVERIFY2(n == 0, why.constData());
                    } else {
                        QVERIFY2(n == 1, why.constData());
                        QVERIFY2(in.i64() == e.offset, why.constData());
                    }
                } else {
                    QVERIFY2(in.i64() == -1, why.constData()); // timestamp: -1 for -1/-2
                    QVERIFY2(in.i64() == e.offset, why.constData());
                }
            }
            QVERIFY2(in.atEnd(), why.constData());
        }
    }

    // A timestamp lookup (v1) answers, as Kafka does, the first record whose timestamp is
    // at or after the one asked for, with that record's timestamp; offset and timestamp -1
    // when there is none (KafkaApis.handleListOffsetRequestV1AndAbove).
    void listOffsetsByTimestamp()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("ts", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        // records 0,1,2 at T, T+1, T+2; records 3,4 at U, U+1
        const std::int64_t t = 1700000000000, u = 1700000005000;
        QVERIFY2(
            c.call(api::Produce, 3, produceBody("ts", 0, recordBatch(sampleRecords(), t)), body),
            qPrintable(c.error()));
        QVERIFY2(c.call(api::Produce, 3,
                        produceBody("ts", 0, recordBatch({{"a", "1", {}}, {"b", "2", {}}}, u)),
                        body),
                 qPrintable(c.error()));
        const std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> cases = {
            // asked, offset, timestamp
            {t - 100, 0, t},   {t, 0, t},         {u, 3, u},
            {t + 1, 1, t + 1}, {u + 1, 4, u + 1}, {u + 100, -1, -1},
        };
        QStringList wrong;
        for (const auto &[asked, offset, timestamp] : cases) {
            const QByteArray request = listOffsetsBody(1, "ts", {{0, asked}});
            QVERIFY2(c.call(api::ListOffsets, 1, request, body), qPrintable(c.error()));
            In in(body);
            QVERIFY2(in.count() == 1 && in.str() == "ts" && in.count() == 1 && in.i32() == 0 &&
                         in.i16() == 0,
                     describe(request, body).constData());
            const std::int64_t gotTimestamp = in.i64();
            const std::int64_t gotOffset = in.i64();
            QVERIFY(in.atEnd());
            // timestamps relative to T, the first batch's base timestamp
            auto rel = [t](std::int64_t ts) {
                return ts < 0 ? QString::number(ts)
                              : QStringLiteral("T%1%2").arg(ts >= t ? "+" : "").arg(ts - t);
            };
            if (gotOffset != offset || gotTimestamp != timestamp)
                wrong << QStringLiteral("asked %1: got offset %2 timestamp %3, want offset %4 "
                                        "timestamp %5%6")
                             .arg(rel(asked))
                             .arg(gotOffset)
                             .arg(rel(gotTimestamp))
                             .arg(offset)
                             .arg(rel(timestamp))
                             .arg(wrong.isEmpty() ? QStringLiteral(" (request body %1, response "
                                                                   "body %2)")
                                                        .arg(hex(request), hex(body))
                                                  : QString());
        }
        QVERIFY2(wrong.isEmpty(), qPrintable(wrong.join(QStringLiteral("\n   "))));
    }

    // ---- CreateTopics ----

    void createTopics_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 4; ++v)
            QTest::addRow("v%d", v) << v;
    }
    void createTopics()
    {
        QFETCH(int, version);
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));

        struct Want
        {
            QByteArray name;
            std::int32_t partitions;
            int replication;
            int error;
        };
        // CreateTopicsRequest: [name num_partitions replication_factor [assignments]
        // [configs: name value]] timeout_ms (v1+ validate_only)
        auto request = [&](const std::vector<Want> &topics, bool validateOnly) {
            Out o;
            o.i32(std::int32_t(topics.size()));
            for (const Want &t : topics)
                o.str(t.name).i32(t.partitions).i16(t.replication).i32(0).i32(0);
            o.i32(5000);
            if (version >= 1)
                o.boolean(validateOnly);
            return o.data();
        };
        // CreateTopicsResponse: (v2+ throttle_time_ms) [name error_code (v1+ error_message)]
        auto check = [&](const std::vector<Want> &topics, const QByteArray &req,
                         const QByteArray &body) -> QString {
            In in(body);
            if (version >= 2 && in.i32() != 0)
                return QStringLiteral("throttle");
            if (in.count() != std::int32_t(topics.size()))
                return QStringLiteral("count");
            for (const Want &t : topics) {
                const QByteArray name = in.str();
                const int error = in.i16();
                std::optional<QByteArray> message;
                if (version >= 1)
                    message = in.nstr();
                if (!in.ok() || name != t.name || error != t.error)
                    return QStringLiteral("topic %1: got %2 error %3, want error %4 (%5)")
                        .arg(QString::fromLatin1(t.name), QString::fromLatin1(name))
                        .arg(error)
                        .arg(t.error)
                        .arg(QString::fromLatin1(describe(req, body)));
                if (version >= 1 && (error == 0) != !message)
                    return QStringLiteral("topic %1: error message %2 with error %3")
                        .arg(QString::fromLatin1(t.name),
                             QString::fromLatin1(message.value_or("(null)")))
                        .arg(error);
            }
            return in.atEnd() ? QString() : QStringLiteral("trailing bytes");
        };
        const QByteArray suffix = "-v" + QByteArray::number(version);
        QByteArray body;

        const std::vector<Want> first = {
            {"made" + suffix, 3, 1, err::None},
            {"defaults" + suffix, -1, -1, err::None},
            {"bad name!" + suffix, 1, 1, err::InvalidTopic},
            {"replicated" + suffix, 1, 3, err::InvalidReplicationFactor},
            {"zero" + suffix, 0, 1, err::InvalidPartitions},
        };
        QByteArray req = request(first, false);
        QVERIFY2(c.call(api::CreateTopics, std::int16_t(version), req, body),
                 qPrintable(c.error()));
        QString problem = check(first, req, body);
        QVERIFY2(problem.isEmpty(), qPrintable(problem + QString::fromLatin1(describe(req, body))));
        QCOMPARE(m_broker->topics().find("made" + suffix)->partitionCount(), 3);
        QCOMPARE(m_broker->topics().find("defaults" + suffix)->partitionCount(), 1);
        QVERIFY(!m_broker->topics().find("replicated" + suffix));
        QVERIFY(!m_broker->topics().find("zero" + suffix));

        const std::vector<Want> again = {{"made" + suffix, 3, 1, err::TopicAlreadyExists}};
        req = request(again, false);
        QVERIFY2(c.call(api::CreateTopics, std::int16_t(version), req, body),
                 qPrintable(c.error()));
        problem = check(again, req, body);
        QVERIFY2(problem.isEmpty(), qPrintable(problem + QString::fromLatin1(describe(req, body))));

        if (version >= 1) {
            const std::vector<Want> validate = {{"checked" + suffix, 2, 1, err::None},
                                                {"made" + suffix, 2, 1, err::TopicAlreadyExists},
                                                {"zero2" + suffix, 0, 1, err::InvalidPartitions}};
            req = request(validate, true);
            QVERIFY2(c.call(api::CreateTopics, std::int16_t(version), req, body),
                     qPrintable(c.error()));
            problem = check(validate, req, body);
            QVERIFY2(problem.isEmpty(),
                     qPrintable(problem + QString::fromLatin1(describe(req, body))));
            QVERIFY2(!m_broker->topics().find("checked" + suffix), "validate_only created it");
        }

        // the new topics are in Metadata
        QVERIFY2(c.call(api::Metadata, 1, metadataBody(1, std::nullopt), body),
                 qPrintable(c.error()));
        const auto m = parseMetadata(1, body);
        QVERIFY(m);
        QVERIFY(m->topic("made" + suffix) && m->topic("made" + suffix)->partitions.size() == 3);
        QVERIFY(m->topic("defaults" + suffix));
        QCOMPARE(int(m->topics.size()), 2);
    }

    // ---- FindCoordinator ----

    void findCoordinator_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 2; ++v)
            QTest::addRow("v%d", v) << v;
    }
    void findCoordinator()
    {
        QFETCH(int, version);
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        // v0: key (group id); v1+: key, key_type
        Out o;
        o.str("some-group");
        if (version >= 1)
            o.i8(0);
        QByteArray body;
        QVERIFY2(c.call(api::FindCoordinator, std::int16_t(version), o.data(), body),
                 qPrintable(c.error()));
        // v0: error_code node_id host port; v1+: throttle_time_ms error_code error_message
        // node_id host port
        In in(body);
        if (version >= 1)
            QCOMPARE(in.i32(), 0);
        QCOMPARE(int(in.i16()), err::None);
        if (version >= 1)
            QVERIFY(!in.nstr()); // null message: fine for no error
        QCOMPARE(in.i32(), kNodeId);
        QCOMPARE(in.str(), QByteArray("127.0.0.1"));
        QCOMPARE(in.i32(), std::int32_t(m_port));
        QVERIFY2(in.atEnd(), qPrintable(hex(body)));
    }

    // ---- consumer groups ----

    void consumerGroup_data()
    {
        QTest::addColumn<int>("joinVersion");
        QTest::addColumn<int>("otherVersion"); // SyncGroup, Heartbeat, LeaveGroup
        QTest::newRow("v0") << 0 << 0;
        QTest::newRow("join v1, others v1") << 1 << 1;
        QTest::newRow("join v2, others v1") << 2 << 1;
    }
    void consumerGroup()
    {
        QFETCH(int, joinVersion);
        QFETCH(int, otherVersion);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("gt", 2).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const QByteArray group = "group-" + QByteArray::number(joinVersion);
        // ConsumerProtocolSubscription v0: version [topics] user_data
        const QByteArray metadata = Out().i16(0).i32(1).str("gt").i32(-1).data();

        // a new group answers after the initial delay (100 ms here), generation 1, leader us
        QElapsedTimer clock;
        clock.start();
        QByteArray request = joinBody(joinVersion, group, "", {{"range", metadata}});
        QByteArray body;
        QVERIFY2(c.call(api::JoinGroup, std::int16_t(joinVersion), request, body),
                 qPrintable(c.error()));
        const qint64 elapsed = clock.elapsed();
        const auto j = parseJoin(joinVersion, body);
        QVERIFY2(j, describe(request, body).constData());
        QVERIFY2(elapsed >= 90 && elapsed < 2500,
                 qPrintable(QStringLiteral("JoinGroup answered after %1 ms").arg(elapsed)));
        QCOMPARE(j->error, err::None);
        QCOMPARE(j->generation, 1);
        QCOMPARE(j->protocol, QByteArray("range"));
        QVERIFY(!j->memberId.isEmpty());
        QCOMPARE(j->leader, j->memberId);
        QCOMPARE(int(j->members.size()), 1);
        QCOMPARE(j->members[0].first, j->memberId);
        QCOMPARE(j->members[0].second, metadata);
        const QByteArray member = j->memberId;

        // the leader's assignment comes back to it
        // ConsumerProtocolAssignment v0: version [topic [partitions]] user_data
        const QByteArray assignment =
            Out().i16(0).i32(1).str("gt").i32(2).i32(0).i32(1).i32(-1).data();
        request = syncBody(group, 1, member, {{member, assignment}});
        QVERIFY2(c.call(api::SyncGroup, std::int16_t(otherVersion), request, body),
                 qPrintable(c.error()));
        const auto s = parseSync(otherVersion, body);
        QVERIFY2(s, describe(request, body).constData());
        QCOMPARE(s->first, err::None);
        QCOMPARE(s->second, assignment);

        // heartbeats in both versions
        QCOMPARE(heartbeat(c, 0, group, 1, member), std::optional<int>(err::None));
        QCOMPARE(heartbeat(c, 1, group, 1, member), std::optional<int>(err::None));
        QCOMPARE(heartbeat(c, otherVersion, group, 2, member),
                 std::optional<int>(err::IllegalGeneration));
        QCOMPARE(heartbeat(c, otherVersion, group, 1, "somebody-else"),
                 std::optional<int>(err::UnknownMemberId));
        QCOMPARE(heartbeat(c, otherVersion, "no-such-group", 1, member),
                 std::optional<int>(err::UnknownMemberId));

        // OffsetCommit v2: group_id generation_id member_id retention_time_ms
        // [topics: name [partitions: partition_index committed_offset committed_metadata]]
        request = Out()
                      .str(group)
                      .i32(1)
                      .str(member)
                      .i64(-1)
                      .i32(1)
                      .str("gt")
                      .i32(2)
                      .i32(0)
                      .i64(42)
                      .str("meta-0")
                      .i32(1)
                      .i64(7)
                      .nullStr()
                      .data();
        QVERIFY2(c.call(api::OffsetCommit, 2, request, body), qPrintable(c.error()));
        // OffsetCommit v2 response (no throttle): [topics: name [partition_index error_code]]
        QCOMPARE(body, Out().i32(1).str("gt").i32(2).i32(0).i16(0).i32(1).i16(0).data());

        // OffsetFetch v1: group_id [topics: name [partition_index]]
        request = Out().str(group).i32(1).str("gt").i32(3).i32(0).i32(1).i32(5).data();
        QVERIFY2(c.call(api::OffsetFetch, 1, request, body), qPrintable(c.error()));
        // response: [topics: name [partition_index committed_offset metadata error_code]]
        {
            In in(body);
            const QByteArray why = describe(request, body);
            QVERIFY2(in.count() == 1 && in.str() == "gt" && in.count() == 3, why.constData());
            QVERIFY2(in.i32() == 0 && in.i64() == 42 && in.nstr() == QByteArray("meta-0") &&
                         in.i16() == 0,
                     why.constData());
            QVERIFY2(in.i32() == 1 && in.i64() == 7, why.constData());
            const auto nullMeta = in.nstr(); // committed with null metadata: null or ""
            QVERIFY2(!nullMeta || nullMeta->isEmpty(), why.constData());
            QVERIFY2(in.i16() == 0, why.constData());
            // never committed: offset -1, no metadata, no error
            QVERIFY2(in.i32() == 5 && in.i64() == -1, why.constData());
            const auto noMeta = in.nstr();
            QVERIFY2(!noMeta || noMeta->isEmpty(), why.constData());
            QVERIFY2(in.i16() == 0, why.constData());
            QVERIFY2(in.atEnd(), why.constData());
        }

        // a commit with the wrong generation is refused, and changes nothing
        request = Out()
                      .str(group)
                      .i32(5)
                      .str(member)
                      .i64(-1)
                      .i32(1)
                      .str("gt")
                      .i32(1)
                      .i32(0)
                      .i64(99)
                      .str("x")
                      .data();
        QVERIFY2(c.call(api::OffsetCommit, 2, request, body), qPrintable(c.error()));
        QCOMPARE(body, Out().i32(1).str("gt").i32(1).i32(0).i16(err::IllegalGeneration).data());

        // LeaveGroup, after which the member is unknown
        QCOMPARE(leave(c, otherVersion, group, member), std::optional<int>(err::None));
        QCOMPARE(heartbeat(c, otherVersion, group, 1, member),
                 std::optional<int>(err::UnknownMemberId));
        QCOMPARE(leave(c, otherVersion, group, member), std::optional<int>(err::UnknownMemberId));

        // the group is empty now: a manual-assign commit (generation -1, member "") works
        request = Out()
                      .str(group)
                      .i32(-1)
                      .str("")
                      .i64(-1)
                      .i32(1)
                      .str("gt")
                      .i32(1)
                      .i32(1)
                      .i64(11)
                      .str("manual")
                      .data();
        QVERIFY2(c.call(api::OffsetCommit, 2, request, body), qPrintable(c.error()));
        QCOMPARE(body, Out().i32(1).str("gt").i32(1).i32(1).i16(0).data());
        request = Out().str(group).i32(1).str("gt").i32(1).i32(1).data();
        QVERIFY2(c.call(api::OffsetFetch, 1, request, body), qPrintable(c.error()));
        QCOMPARE(body, Out().i32(1).str("gt").i32(1).i32(1).i64(11).str("manual").i16(0).data());
    }

    void joinGroupErrors()
    {
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        // empty group id: 24
        QByteArray request = joinBody(0, "", "", {{"range", "m"}});
        QVERIFY2(c.call(api::JoinGroup, 0, request, body), qPrintable(c.error()));
        auto j = parseJoin(0, body);
        QVERIFY2(j, describe(request, body).constData());
        QCOMPARE(j->error, err::InvalidGroupId);
        QCOMPARE(int(j->members.size()), 0);
        // an unknown, non-empty member id: 25
        request = joinBody(0, "g-unknown", "made-up-member", {{"range", "m"}});
        QVERIFY2(c.call(api::JoinGroup, 0, request, body), qPrintable(c.error()));
        j = parseJoin(0, body);
        QVERIFY2(j, describe(request, body).constData());
        QCOMPARE(j->error, err::UnknownMemberId);
        // SyncGroup for an unknown member: 25
        request = syncBody("g-unknown", 1, "made-up-member", {});
        QVERIFY2(c.call(api::SyncGroup, 0, request, body), qPrintable(c.error()));
        const auto s = parseSync(0, body);
        QVERIFY2(s, describe(request, body).constData());
        QCOMPARE(s->first, err::UnknownMemberId);
        QCOMPARE(s->second, QByteArray());
    }

    // A pending JoinGroup holds back the answers to the requests behind it.
    void joinGroupHoldsBackLaterAnswers()
    {
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const std::int32_t joinId = 900, versionsId = 901;
        c.send(requestFrame(api::JoinGroup, 0, joinId, joinBody(0, "held", "", {{"range", "m"}})) +
               requestFrame(api::ApiVersions, 0, versionsId, {}));
        QByteArray body;
        QVERIFY2(c.readResponse(joinId, body), qPrintable(c.error()));
        const auto j = parseJoin(0, body);
        QVERIFY2(j && j->error == 0 && j->generation == 1, qPrintable(hex(body)));
        QVERIFY2(c.readResponse(versionsId, body), qPrintable(c.error()));
        QVERIFY2(parseApiVersions(body, false), qPrintable(hex(body)));
    }

    // Two members: the second join starts a rebalance (the first learns of it from a
    // heartbeat: 27), the protocol is the one both support, the follower's SyncGroup waits
    // for the leader's assignments.
    void consumerGroupRebalance()
    {
        QVERIFY(start());
        KafkaClient a, b;
        QVERIFY2(a.connectTo(m_port), qPrintable(a.error()));
        QVERIFY2(b.connectTo(m_port), qPrintable(b.error()));
        QByteArray body;
        const QByteArray group = "pair";
        QVERIFY2(a.call(api::JoinGroup, 0,
                        joinBody(0, group, "", {{"range", "ra"}, {"RoundRobinAssigner", "rr-a"}}),
                        body),
                 qPrintable(a.error()));
        auto ja = parseJoin(0, body);
        QVERIFY2(ja && ja->error == 0 && ja->generation == 1, qPrintable(hex(body)));
        QCOMPARE(ja->protocol, QByteArray("range"));
        const QByteArray memberA = ja->memberId;
        QVERIFY2(a.call(api::SyncGroup, 0, syncBody(group, 1, memberA, {{memberA, "all"}}), body),
                 qPrintable(a.error()));
        QCOMPARE(parseSync(0, body), std::optional(std::make_pair(0, QByteArray("all"))));

        // b joins, offering only RoundRobinAssigner: held until a rejoins
        const std::int32_t joinB = b.sendRequest(
            api::JoinGroup, 0, joinBody(0, group, "", {{"RoundRobinAssigner", "rr-b"}}));
        QVERIFY2(b.staysQuiet(150), qPrintable(b.error()));
        QCOMPARE(heartbeat(a, 0, group, 1, memberA), std::optional<int>(err::RebalanceInProgress));
        QVERIFY2(
            a.call(api::JoinGroup, 0,
                   joinBody(0, group, memberA, {{"range", "ra"}, {"RoundRobinAssigner", "rr-a"}}),
                   body),
            qPrintable(a.error()));
        ja = parseJoin(0, body);
        QVERIFY2(ja, qPrintable(hex(body)));
        QCOMPARE(ja->error, err::None);
        QCOMPARE(ja->generation, 2);
        QCOMPARE(ja->protocol, QByteArray("RoundRobinAssigner"));
        QCOMPARE(ja->leader, memberA);
        QCOMPARE(int(ja->members.size()), 2);
        QVERIFY2(b.readResponse(joinB, body), qPrintable(b.error()));
        const auto jb = parseJoin(0, body);
        QVERIFY2(jb, qPrintable(hex(body)));
        QCOMPARE(jb->error, err::None);
        QCOMPARE(jb->generation, 2);
        QCOMPARE(jb->protocol, QByteArray("RoundRobinAssigner"));
        QCOMPARE(jb->leader, memberA);
        QVERIFY(jb->members.empty()); // only the leader gets the member list
        const QByteArray memberB = jb->memberId;
        std::map<QByteArray, QByteArray> seen(ja->members.begin(), ja->members.end());
        QCOMPARE(seen[memberA], QByteArray("rr-a"));
        QCOMPARE(seen[memberB], QByteArray("rr-b"));

        // the follower's SyncGroup waits for the leader's
        const std::int32_t syncB =
            b.sendRequest(api::SyncGroup, 0, syncBody(group, 2, memberB, {}));
        QVERIFY2(b.staysQuiet(150), qPrintable(b.error()));
        QVERIFY2(a.call(api::SyncGroup, 0,
                        syncBody(group, 2, memberA, {{memberA, "for-a"}, {memberB, "for-b"}}),
                        body),
                 qPrintable(a.error()));
        QCOMPARE(parseSync(0, body), std::optional(std::make_pair(0, QByteArray("for-a"))));
        QVERIFY2(b.readResponse(syncB, body), qPrintable(b.error()));
        QCOMPARE(parseSync(0, body), std::optional(std::make_pair(0, QByteArray("for-b"))));
        QCOMPARE(heartbeat(a, 0, group, 2, memberA), std::optional<int>(err::None));
        QCOMPARE(heartbeat(b, 0, group, 2, memberB), std::optional<int>(err::None));
    }

    // ---- admin APIs ----

    // JoinGroup v0 + SyncGroup v0 for a one-member group: returns the member id once the
    // group is Stable (or, with sync false, while it is CompletingRebalance).
    QByteArray joinedMember(KafkaClient &c, const QByteArray &group, const QByteArray &metadata,
                            const QByteArray &assignment, bool sync = true)
    {
        QByteArray body;
        if (!c.call(api::JoinGroup, 0, joinBody(0, group, "", {{"range", metadata}}), body))
            return {};
        const auto j = parseJoin(0, body);
        if (!j || j->error != 0)
            return {};
        if (sync &&
            (!c.call(api::SyncGroup, 0,
                     syncBody(group, j->generation, j->memberId, {{j->memberId, assignment}}),
                     body) ||
             parseSync(0, body) != std::optional(std::make_pair(0, assignment))))
            return {};
        return j->memberId;
    }

    // ListGroups v0-v2: (v1+ throttle_time_ms) error_code [groups: group_id protocol_type].
    // A consumer group and a group that only has committed offsets (protocol type "").
    void listGroups_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 2; ++v)
            QTest::newRow(qPrintable(QStringLiteral("v%1").arg(v))) << v;
    }
    void listGroups()
    {
        QFETCH(int, version);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("lg", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        QVERIFY2(c.call(api::ListGroups, std::int16_t(version), {}, body), qPrintable(c.error()));
        QCOMPARE(body,
                 version >= 1 ? Out().i32(0).i16(0).i32(0).data() : Out().i16(0).i32(0).data());

        QVERIFY2(!joinedMember(c, "lg-consumers", "meta", "assignment").isEmpty(),
                 qPrintable(c.error()));
        // OffsetCommit v2 with generation -1: a group without members
        const QByteArray commit = Out()
                                      .str("lg-manual")
                                      .i32(-1)
                                      .str("")
                                      .i64(-1)
                                      .i32(1)
                                      .str("lg")
                                      .i32(1)
                                      .i32(0)
                                      .i64(5)
                                      .nullStr()
                                      .data();
        QVERIFY2(c.call(api::OffsetCommit, 2, commit, body), qPrintable(c.error()));

        QVERIFY2(c.call(api::ListGroups, std::int16_t(version), {}, body), qPrintable(c.error()));
        In in(body);
        if (version >= 1)
            QCOMPARE(in.i32(), 0);
        QCOMPARE(in.i16(), std::int16_t(0));
        std::map<QByteArray, QByteArray> groups;
        const std::int32_t n = in.count(4);
        for (std::int32_t i = 0; i < n && in.ok(); ++i) {
            const QByteArray id = in.str();
            groups[id] = in.str();
        }
        QVERIFY2(in.atEnd(), qPrintable(hex(body)));
        const std::map<QByteArray, QByteArray> expected = {{"lg-consumers", "consumer"},
                                                           {"lg-manual", ""}};
        QVERIFY2(groups == expected, qPrintable(hex(body)));
    }

    void deleteGroups_data()
    {
        QTest::addColumn<int>("version");
        QTest::newRow("v0") << 0;
        QTest::newRow("v1") << 1;
    }
    void deleteGroups()
    {
        // DeleteGroups v0-v1: [groups_names] -> throttle_time_ms [group_id error_code]
        QFETCH(int, version);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("dg", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        // a group with a member, and one with only a commit (no members)
        QVERIFY2(!joinedMember(c, "dg-busy", "meta", "assignment").isEmpty(),
                 qPrintable(c.error()));
        const QByteArray commit = Out()
                                      .str("dg-idle")
                                      .i32(-1)
                                      .str("")
                                      .i64(-1)
                                      .i32(1)
                                      .str("dg")
                                      .i32(1)
                                      .i32(0)
                                      .i64(3)
                                      .nullStr()
                                      .data();
        QVERIFY2(c.call(api::OffsetCommit, 2, commit, body), qPrintable(c.error()));
        QCOMPARE(m_broker->groups().committed("dg-idle", "dg", 0)->offset, 3);

        // a name given twice is answered once
        const QByteArray request = Out()
                                       .i32(5)
                                       .str("dg-idle")
                                       .str("dg-busy")
                                       .str("dg-idle")
                                       .str("dg-nobody")
                                       .str("")
                                       .data();
        QVERIFY2(c.call(api::DeleteGroups, std::int16_t(version), request, body),
                 qPrintable(c.error()));
        QCOMPARE(hex(body), hex(Out()
                                    .i32(0) // throttle_time_ms
                                    .i32(4)
                                    .str("dg-idle")
                                    .i16(0)
                                    .str("dg-busy")
                                    .i16(68) // NON_EMPTY_GROUP
                                    .str("dg-nobody")
                                    .i16(69) // GROUP_ID_NOT_FOUND
                                    .str("")
                                    .i16(err::InvalidGroupId)
                                    .data()));
        // the deleted group's commit is gone; the busy one is still listed
        QVERIFY(!m_broker->groups().committed("dg-idle", "dg", 0));
        QVERIFY(m_broker->groups().group("dg-busy"));
        QVERIFY(!m_broker->groups().group("dg-idle"));
    }

    // DescribeGroups v0-v4. A Stable group shows its protocol, each member's metadata for
    // that protocol and its assignment; during a rebalance those are empty (as in Kafka); a
    // group nobody knows is "Dead" with error 0 and no members.
    void describeGroups_data()
    {
        QTest::addColumn<int>("version");
        QTest::addColumn<bool>("askOperations");
        for (int v = 0; v <= 4; ++v)
            QTest::newRow(qPrintable(QStringLiteral("v%1").arg(v))) << v << false;
        QTest::newRow("v3 with operations") << 3 << true;
        QTest::newRow("v4 with operations") << 4 << true;
    }
    void describeGroups()
    {
        QFETCH(int, version);
        QFETCH(bool, askOperations);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("dg", 2).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const QByteArray metadata = Out().i16(0).i32(1).str("dg").i32(-1).data();
        const QByteArray assignment =
            Out().i16(0).i32(1).str("dg").i32(2).i32(0).i32(1).i32(-1).data();
        auto request = [&](const std::vector<QByteArray> &groups) {
            Out o;
            o.i32(std::int32_t(groups.size()));
            for (const QByteArray &g : groups)
                o.str(g);
            if (version >= 3)
                o.boolean(askOperations); // include_authorized_operations
            return o.data();
        };
        const std::int32_t operations = !askOperations ? INT_MIN : (1 << 3) | (1 << 6) | (1 << 8);
        auto checkMember = [&](const DescribedMember &m, const QByteArray &id, bool stable) {
            QCOMPARE(m.memberId, id);
            QCOMPARE(m.instanceId, std::optional<QByteArray>()); // v4: null; before: absent
            QCOMPARE(m.clientId, kClientId);
            QCOMPARE(m.clientHost, QByteArray("127.0.0.1"));
            QCOMPARE(m.metadata, stable ? metadata : QByteArray());
            QCOMPARE(m.assignment, stable ? assignment : QByteArray());
        };

        // joined, not yet synced
        const QByteArray member = joinedMember(c, "dg-group", metadata, assignment, false);
        QVERIFY2(!member.isEmpty(), qPrintable(c.error()));
        QByteArray body;
        QByteArray req = request({"dg-group"});
        QVERIFY2(c.call(api::DescribeGroups, std::int16_t(version), req, body),
                 qPrintable(c.error()));
        auto groups = parseDescribeGroups(version, body);
        QVERIFY2(groups && groups->size() == 1, describe(req, body).constData());
        QCOMPARE(groups->at(0).error, 0);
        QCOMPARE(groups->at(0).groupId, QByteArray("dg-group"));
        QCOMPARE(groups->at(0).state, QByteArray("CompletingRebalance"));
        QCOMPARE(groups->at(0).protocolType, QByteArray("consumer"));
        QCOMPARE(groups->at(0).protocol, QByteArray());
        QCOMPARE(int(groups->at(0).members.size()), 1);
        checkMember(groups->at(0).members[0], member, false);

        // synced: Stable
        QVERIFY2(c.call(api::SyncGroup, 0, syncBody("dg-group", 1, member, {{member, assignment}}),
                        body),
                 qPrintable(c.error()));
        req = request({"dg-group", "dg-unknown"});
        QVERIFY2(c.call(api::DescribeGroups, std::int16_t(version), req, body),
                 qPrintable(c.error()));
        groups = parseDescribeGroups(version, body);
        QVERIFY2(groups && groups->size() == 2, describe(req, body).constData());
        const DescribedGroup &g = groups->at(0);
        QCOMPARE(g.error, 0);
        QCOMPARE(g.groupId, QByteArray("dg-group"));
        QCOMPARE(g.state, QByteArray("Stable"));
        QCOMPARE(g.protocolType, QByteArray("consumer"));
        QCOMPARE(g.protocol, QByteArray("range"));
        QCOMPARE(int(g.members.size()), 1);
        checkMember(g.members[0], member, true);
        QCOMPARE(g.operations, version >= 3 ? std::optional(operations) : std::nullopt);
        const DescribedGroup &dead = groups->at(1);
        QCOMPARE(dead.error, 0);
        QCOMPARE(dead.groupId, QByteArray("dg-unknown"));
        QCOMPARE(dead.state, QByteArray("Dead"));
        QCOMPARE(dead.protocolType, QByteArray());
        QCOMPARE(dead.protocol, QByteArray());
        QCOMPARE(int(dead.members.size()), 0);
        QCOMPARE(dead.operations, version >= 3 ? std::optional(operations) : std::nullopt);

        // after LeaveGroup: Empty, no members
        QCOMPARE(leave(c, 0, "dg-group", member), std::optional<int>(err::None));
        req = request({"dg-group"});
        QVERIFY2(c.call(api::DescribeGroups, std::int16_t(version), req, body),
                 qPrintable(c.error()));
        groups = parseDescribeGroups(version, body);
        QVERIFY2(groups && groups->size() == 1, describe(req, body).constData());
        QCOMPARE(groups->at(0).state, QByteArray("Empty"));
        QCOMPARE(int(groups->at(0).members.size()), 0);
    }

    // DeleteTopics v0-v3: [topic_names] timeout_ms -> (v1+ throttle_time_ms) [responses:
    // name error_code]; one answer per name, 3 for a topic that does not exist.
    void deleteTopics_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 3; ++v)
            QTest::newRow(qPrintable(QStringLiteral("v%1").arg(v))) << v;
    }
    void deleteTopics()
    {
        QFETCH(int, version);
        QVERIFY(start(false));
        QVERIFY(m_broker->createTopic("dt-1", 2).topic);
        QVERIFY(m_broker->createTopic("dt-2", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const QByteArray request =
            Out().i32(3).str("dt-1").str("dt-missing").str("dt-1").i32(5000).data();
        QByteArray body;
        QVERIFY2(c.call(api::DeleteTopics, std::int16_t(version), request, body),
                 qPrintable(c.error()));
        Out expected;
        if (version >= 1)
            expected.i32(0);
        expected.i32(2).str("dt-1").i16(0).str("dt-missing").i16(err::UnknownTopicOrPartition);
        QVERIFY2(body == expected.data(), describe(request, body).constData());
        QVERIFY(!m_broker->topics().find("dt-1"));
        QVERIFY(m_broker->topics().find("dt-2"));

        // Metadata no longer lists it; deleting it again says 3
        QVERIFY2(c.call(api::Metadata, 1, metadataBody(1, std::vector<QByteArray>{"dt-1"}), body),
                 qPrintable(c.error()));
        const auto m = parseMetadata(1, body);
        QVERIFY2(m && m->topics.size() == 1, qPrintable(hex(body)));
        QCOMPARE(m->topics[0].error, err::UnknownTopicOrPartition);
        QVERIFY2(c.call(api::DeleteTopics, std::int16_t(version),
                        Out().i32(1).str("dt-1").i32(0).data(), body),
                 qPrintable(c.error()));
        Out again;
        if (version >= 1)
            again.i32(0);
        again.i32(1).str("dt-1").i16(err::UnknownTopicOrPartition);
        QCOMPARE(body, again.data());
    }

    // DescribeConfigs v0-v2 for topics (retention from the topic, the rest broker-wide),
    // the broker (by node id), and resources it cannot describe.
    void describeConfigs_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 2; ++v)
            QTest::newRow(qPrintable(QStringLiteral("v%1").arg(v))) << v;
    }
    void describeConfigs()
    {
        QFETCH(int, version);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("cfg-set", 1, RetentionPolicy{3600000, -1}).topic);
        QVERIFY(m_broker->createTopic("cfg-default", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        // [resources: resource_type resource_name [configuration_keys] (null = all)]
        // (v1+ include_synonyms)
        Out request;
        request.i32(7);
        request.i8(2).str("cfg-set").i32(-1);
        request.i8(2).str("cfg-default").i32(2).str("retention.bytes").str("no.such.key");
        request.i8(2).str("cfg-missing").i32(-1);
        request.i8(4)
            .str(QByteArray::number(kNodeId))
            .i32(2)
            .str("num.partitions")
            .str("auto.create.topics.enable");
        request.i8(4).str("99").i32(-1);
        request.i8(7).str("x").i32(-1);
        request.i8(4).str("").i32(-1);
        if (version >= 1)
            request.boolean(true);
        QByteArray body;
        QVERIFY2(c.call(api::DescribeConfigs, std::int16_t(version), request.data(), body),
                 qPrintable(c.error()));
        const QByteArray why = describe(request.data(), body);
        const auto results = parseDescribeConfigs(version, body);
        QVERIFY2(results && results->size() == 7, why.constData());
        // v0 says is_default (1 = not set on the topic); v1+ the source: 1 TOPIC_CONFIG,
        // 5 DEFAULT_CONFIG
        const int topicSet = version == 0 ? 0 : 1;
        const int builtIn = version == 0 ? 1 : 5;
        auto check = [&](const ConfigResult &r, const QByteArray &key, const QByteArray &value,
                         bool readOnly, int sourceOrDefault) {
            const ConfigEntry *e = r.find(key);
            QVERIFY2(e, qPrintable(key + " missing: " + why));
            QCOMPARE(e->value, std::optional<QByteArray>(value));
            QCOMPARE(e->readOnly, readOnly);
            QCOMPARE(e->isDefaultOrSource, sourceOrDefault);
            QCOMPARE(e->sensitive, false);
            QCOMPARE(e->synonyms, version >= 1 ? 0 : -1);
        };

        const ConfigResult &set = results->at(0);
        QCOMPARE(set.error, 0);
        QCOMPARE(set.message, std::optional<QByteArray>());
        QCOMPARE(set.type, 2);
        QCOMPARE(set.name, QByteArray("cfg-set"));
        QCOMPARE(int(set.configs.size()), 4);
        check(set, "retention.ms", "3600000", false, topicSet);
        check(set, "retention.bytes", "-1", false, builtIn);
        check(set, "cleanup.policy", "delete", true, builtIn);
        check(set, "segment.bytes", QByteArray::number(LogSettings().segmentBytes), true, builtIn);

        const ConfigResult &filtered = results->at(1);
        QCOMPARE(filtered.error, 0);
        QCOMPARE(filtered.name, QByteArray("cfg-default"));
        QCOMPARE(int(filtered.configs.size()), 1);
        check(filtered, "retention.bytes", "-1", false, builtIn);

        const ConfigResult &missing = results->at(2);
        QCOMPARE(missing.error, err::UnknownTopicOrPartition);
        QVERIFY(missing.message);
        QCOMPARE(missing.name, QByteArray("cfg-missing"));
        QCOMPARE(int(missing.configs.size()), 0);

        const ConfigResult &broker = results->at(3);
        QCOMPARE(broker.error, 0);
        QCOMPARE(broker.type, 4);
        QCOMPARE(broker.name, QByteArray::number(kNodeId));
        QCOMPARE(int(broker.configs.size()), 2);
        QCOMPARE(broker.configs[0].name, QByteArray("num.partitions"));
        check(broker, "num.partitions", "1", true, builtIn);
        check(broker, "auto.create.topics.enable", "true", true, builtIn);

        QCOMPARE(results->at(4).error, err::InvalidRequest); // another broker's id
        QCOMPARE(int(results->at(4).configs.size()), 0);
        QCOMPARE(results->at(5).error, err::InvalidRequest); // resource type 7
        QCOMPARE(results->at(5).type, 7);
        QCOMPARE(results->at(6).error, 0); // "": cluster-wide dynamic defaults, none here
        QCOMPARE(int(results->at(6).configs.size()), 0);

        // all of the broker's configs: a few basics, all read-only
        QVERIFY2(c.call(api::DescribeConfigs, std::int16_t(version),
                        Out()
                            .i32(1)
                            .i8(4)
                            .str(QByteArray::number(kNodeId))
                            .i32(-1)
                            .raw(version >= 1 ? Out().boolean(false).data() : QByteArray())
                            .data(),
                        body),
                 qPrintable(c.error()));
        const auto all = parseDescribeConfigs(version, body);
        QVERIFY2(all && all->size() == 1, qPrintable(hex(body)));
        check(all->at(0), "broker.id", QByteArray::number(kNodeId), true, version == 0 ? 0 : 4);
        check(all->at(0), "log.retention.ms", "-1", true, builtIn);
        check(all->at(0), "num.partitions", "1", true, builtIn);
    }

    // AlterConfigs v0-v1 sets a topic's whole config (what is not named goes back to the
    // default); only retention.ms and retention.bytes can change.
    void alterConfigs_data()
    {
        QTest::addColumn<int>("version");
        QTest::newRow("v0") << 0;
        QTest::newRow("v1") << 1;
    }
    void alterConfigs()
    {
        QFETCH(int, version);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("alt", 1, RetentionPolicy{1000, 2048}).topic);
        QVERIFY(m_broker->createTopic("alt-other", 1, RetentionPolicy{1000, 2048}).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        // [resources: resource_type resource_name [configs: name value]] validate_only
        auto alter = [&](const Out &resources, int count, bool validateOnly) {
            QByteArray body;
            const QByteArray request =
                Out().i32(count).raw(resources.data()).boolean(validateOnly).data();
            if (!c.call(api::AlterConfigs, std::int16_t(version), request, body))
                return std::optional<std::vector<AlterResult>>();
            return parseAlterConfigs(body);
        };
        Out resources;
        resources.i8(2)
            .str("alt")
            .i32(2)
            .str("retention.ms")
            .str("60000")
            .str("cleanup.policy")
            .str("delete");
        resources.i8(2).str("alt-missing").i32(1).str("retention.ms").str("1");
        resources.i8(2).str("alt-other").i32(1).str("retention.ms").str("soon");
        resources.i8(2).str("alt-other").i32(1).str("segment.bytes").str("4096");
        resources.i8(2).str("alt-other").i32(1).str("cleanup.policy").str("compact");
        resources.i8(4).str(QByteArray::number(kNodeId)).i32(1).str("log.retention.ms").str("1");
        auto results = alter(resources, 6, false);
        QVERIFY2(results && results->size() == 6, qPrintable(c.error()));
        const std::vector<std::tuple<int, int, QByteArray>> expected = {
            {0, 2, "alt"},
            {err::UnknownTopicOrPartition, 2, "alt-missing"},
            {err::InvalidConfig, 2, "alt-other"},
            {err::InvalidConfig, 2, "alt-other"},
            {err::InvalidConfig, 2, "alt-other"},
            {err::InvalidRequest, 4, QByteArray::number(kNodeId)},
        };
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const auto &[error, type, name] = expected[i];
            const AlterResult &r = results->at(i);
            QCOMPARE(r.error, error);
            QCOMPARE(r.type, type);
            QCOMPARE(r.name, name);
            QCOMPARE(bool(r.message), error != 0); // null when it worked
        }
        // retention.bytes was not named: back to the default (-1)
        QCOMPARE(m_broker->topics().find("alt")->retention().retentionMs, std::int64_t(60000));
        QCOMPARE(m_broker->topics().find("alt")->retention().retentionBytes, std::int64_t(-1));
        QCOMPARE(m_broker->topics().find("alt-other")->retention().retentionMs, std::int64_t(1000));

        // validate_only changes nothing
        Out validate;
        validate.i8(2).str("alt").i32(1).str("retention.bytes").str("4096");
        results = alter(validate, 1, true);
        QVERIFY2(results && results->size() == 1 && results->at(0).error == 0,
                 qPrintable(c.error()));
        QCOMPARE(m_broker->topics().find("alt")->retention().retentionBytes, std::int64_t(-1));
        QCOMPARE(m_broker->topics().find("alt")->retention().retentionMs, std::int64_t(60000));
    }

    // IncrementalAlterConfigs v0 changes only what it names: SET (0) and DELETE (1, back to
    // the default); APPEND/SUBTRACT make no sense for a number.
    void incrementalAlterConfigs()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("inc", 1, RetentionPolicy{1000, 2048}).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        // [resources: resource_type resource_name [configs: name config_operation value]]
        // validate_only
        auto alter = [&](const QByteArray &configs, int count) {
            QByteArray body;
            const QByteArray request =
                Out().i32(1).i8(2).str("inc").i32(count).raw(configs).boolean(false).data();
            if (!c.call(api::IncrementalAlterConfigs, 0, request, body))
                return -1;
            const auto r = parseAlterConfigs(body);
            return r && r->size() == 1 && r->at(0).name == "inc" && r->at(0).type == 2 &&
                           bool(r->at(0).message) == (r->at(0).error != 0)
                       ? r->at(0).error
                       : -2;
        };
        QCOMPARE(alter(Out().str("retention.ms").i8(0).str("5000").data(), 1), 0);
        QCOMPARE(m_broker->topics().find("inc")->retention().retentionMs, std::int64_t(5000));
        QCOMPARE(m_broker->topics().find("inc")->retention().retentionBytes, std::int64_t(2048));
        QCOMPARE(alter(Out().str("retention.bytes").i8(1).nullStr().data(), 1), 0);
        QCOMPARE(m_broker->topics().find("inc")->retention().retentionMs, std::int64_t(5000));
        QCOMPARE(m_broker->topics().find("inc")->retention().retentionBytes, std::int64_t(-1));
        QCOMPARE(alter(Out().str("retention.ms").i8(2).str("1").data(), 1), err::InvalidConfig);
        QCOMPARE(alter(Out().str("retention.ms").i8(0).str("-2").data(), 1), err::InvalidConfig);
        QCOMPARE(alter(Out().str("retention.ms").i8(0).nullStr().data(), 1), err::InvalidConfig);
        QCOMPARE(alter(Out().str("retention.ms").i8(9).str("1").data(), 1), err::InvalidRequest);
        // all or nothing per resource
        QCOMPARE(
            alter(Out().str("retention.ms").i8(0).str("7").str("bogus").i8(0).str("1").data(), 2),
            err::InvalidConfig);
        QCOMPARE(m_broker->topics().find("inc")->retention().retentionMs, std::int64_t(5000));
    }

    // Requests Rivulet does not serve whose answer is an error code and fixed fields: error
    // 35 in the layout of the version asked for, and the connection stays usable.
    // ---- bad input ----

    // A size that is negative or over 100 MiB closes the connection at once: the broker
    // does not wait for (or read) a body. A valid request right behind it gets no answer.
    void badFrameSize_data()
    {
        QTest::addColumn<std::int32_t>("size");
        QTest::newRow("-1") << std::int32_t(-1);
        QTest::newRow("INT_MIN") << std::int32_t(INT_MIN);
        QTest::newRow("100 MiB + 1") << std::int32_t((100 << 20) + 1);
        QTest::newRow("INT_MAX") << std::int32_t(INT_MAX);
        QTest::newRow("0") << std::int32_t(0);
        QTest::newRow("7 (shorter than a header)") << std::int32_t(7);
    }
    void badFrameSize()
    {
        QFETCH(std::int32_t, size);
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray bytes = Out().i32(size).data();
        if (size >= 0 && size < 8)
            bytes += QByteArray(size, '\0');
        c.send(bytes);
        QVERIFY2(c.waitClosed(5000), qPrintable(c.error()));
        QVERIFY2(c.buffer().isEmpty(), qPrintable(hex(c.buffer())));
        QString why;
        QVERIFY2(brokerStillAnswers(why), qPrintable(why));

        // with a valid ApiVersions right behind the bad size, still no answer
        KafkaClient d;
        QVERIFY2(d.connectTo(m_port), qPrintable(d.error()));
        d.send(bytes + requestFrame(api::ApiVersions, 0, 1, {}));
        QVERIFY2(d.waitClosed(5000), qPrintable(d.error()));
        QVERIFY2(d.buffer().isEmpty(), qPrintable(hex(d.buffer())));
        QVERIFY2(brokerStillAnswers(why), qPrintable(why));
    }

    // Exactly 100 MiB is allowed: the broker waits for the body instead of closing.
    void maximumFrameSizeIsAccepted()
    {
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        c.send(Out().i32(100 << 20).i16(api::ApiVersions).i16(0).i32(1).data());
        QVERIFY2(c.staysQuiet(300), qPrintable(c.error()));
    }

    // An API key Rivulet does not answer, or a version outside the advertised range, closes
    // the connection without an answer. Kafka does the same with a request it cannot parse
    // (InvalidRequestException / UnsupportedVersionException: the SocketServer closes the
    // connection). Only ApiVersions is answered (error 35), so that clients can discover the
    // versions.
    void unsupportedRequestCloses_data()
    {
        QTest::addColumn<int>("key");
        QTest::addColumn<int>("version");
        QTest::newRow("key 99") << 99 << 0;
        QTest::newRow("key -1") << -1 << 0;
        QTest::newRow("SaslAuthenticate v3") << 36 << 3;
        QTest::newRow("SaslHandshake v2") << 17 << 2;
        QTest::newRow("DeleteGroups v3") << 42 << 3;
        QTest::newRow("OffsetFetch v10") << 9 << 10;
        QTest::newRow("Heartbeat v5") << 12 << 5;
        QTest::newRow("ListGroups v6") << 16 << 6;
        QTest::newRow("DescribeGroups v6") << 15 << 6;
        QTest::newRow("DeleteTopics v7") << 20 << 7;
        QTest::newRow("DescribeConfigs v5") << 32 << 5;
        QTest::newRow("AlterConfigs v3") << 33 << 3;
        QTest::newRow("IncrementalAlterConfigs v2") << 44 << 2;
        QTest::newRow("Produce v12") << 0 << 12;
        QTest::newRow("Fetch v3") << 1 << 3;
        QTest::newRow("Fetch v18") << 1 << 18;
        QTest::newRow("Metadata v13") << 3 << 13;
        QTest::newRow("Metadata v-1") << 3 << -1;
        QTest::newRow("OffsetCommit v10") << 8 << 10;
        QTest::newRow("CreateTopics v8") << 19 << 8;
    }
    void unsupportedRequestCloses()
    {
        QFETCH(int, key);
        QFETCH(int, version);
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        // a body that would be a fine Metadata v0 (all topics); irrelevant to the others
        c.send(requestFrame(std::int16_t(key), std::int16_t(version), 5, Out().i32(0).data()));
        QVERIFY2(c.waitClosed(5000), qPrintable(c.error()));
        QVERIFY2(c.buffer().isEmpty(), qPrintable(hex(c.buffer())));
        QString why;
        QVERIFY2(brokerStillAnswers(why), qPrintable(why));
    }

    // A body shorter than its fields say closes the connection.
    void truncatedRequestCloses_data()
    {
        QTest::addColumn<QByteArray>("frame");
        auto frame = [](const QByteArray &inner) {
            return Out().i32(std::int32_t(inner.size())).raw(inner).data();
        };
        const QByteArray header = Out().i16(api::ListOffsets).i16(1).i32(3).data();
        QTest::newRow("client id longer than the frame")
            << frame(Out().raw(header).i16(50).raw("abc").data());
        QTest::newRow("client id length cut") << frame(Out().raw(header).i8(0).data());
        QTest::newRow("ListOffsets without topics")
            << requestFrame(api::ListOffsets, 1, 3, Out().i32(-1).data());
        QTest::newRow("ListOffsets topic name cut")
            << requestFrame(api::ListOffsets, 1, 3, Out().i32(-1).i32(1).i16(10).raw("lo").data());
        QTest::newRow("ListOffsets partition cut") << requestFrame(
            api::ListOffsets, 1, 3, Out().i32(-1).i32(1).str("lo").i32(1).i32(0).i32(0).data());
        QTest::newRow("FindCoordinator key cut")
            << requestFrame(api::FindCoordinator, 0, 3, Out().i16(20).raw("grp").data());
        QTest::newRow("Heartbeat without member")
            << requestFrame(api::Heartbeat, 0, 3, Out().str("grp").i32(1).data());
        QTest::newRow("Fetch partition cut") << requestFrame(
            api::Fetch, 4, 3,
            Out().i32(-1).i32(0).i32(1).i32(1000).i8(0).i32(1).str("lo").i32(1).i32(0).data());
        QTest::newRow("CreateTopics without timeout") << requestFrame(
            api::CreateTopics, 0, 3, Out().i32(1).str("ct").i32(1).i16(1).i32(0).i32(0).data());
        QTest::newRow("OffsetFetch array count too large")
            << requestFrame(api::OffsetFetch, 1, 3, Out().str("grp").i32(1000000).data());
        QTest::newRow("DeleteTopics without timeout")
            << requestFrame(api::DeleteTopics, 1, 3, Out().i32(1).str("lo").data());
        QTest::newRow("DescribeGroups name cut")
            << requestFrame(api::DescribeGroups, 0, 3, Out().i32(1).i16(9).raw("grp").data());
        QTest::newRow("DescribeGroups v3 without include_authorized_operations")
            << requestFrame(api::DescribeGroups, 3, 3, Out().i32(1).str("grp").data());
        QTest::newRow("DescribeConfigs keys cut") << requestFrame(
            api::DescribeConfigs, 0, 3, Out().i32(1).i8(2).str("lo").i32(2).str("a").data());
        QTest::newRow("DescribeConfigs v1 without include_synonyms") << requestFrame(
            api::DescribeConfigs, 1, 3, Out().i32(1).i8(2).str("lo").i32(-1).data());
        QTest::newRow("AlterConfigs without validate_only") << requestFrame(
            api::AlterConfigs, 0, 3,
            Out().i32(1).i8(2).str("lo").i32(1).str("retention.ms").str("1").data());
        QTest::newRow("IncrementalAlterConfigs operation cut")
            << requestFrame(api::IncrementalAlterConfigs, 0, 3,
                            Out().i32(1).i8(2).str("lo").i32(1).str("retention.ms").data());
    }
    void truncatedRequestCloses()
    {
        QFETCH(QByteArray, frame);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("lo", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        c.send(frame);
        QVERIFY2(c.waitClosed(5000), qPrintable(c.error()));
        QVERIFY2(c.buffer().isEmpty(), qPrintable(hex(c.buffer())));
        QVERIFY(!m_broker->topics().find("ct"));
        // nothing deleted or altered by a request that was cut short
        QVERIFY(m_broker->topics().find("lo"));
        QCOMPARE(m_broker->topics().find("lo")->retention().retentionMs, std::int64_t(-1));
        QString why;
        QVERIFY2(brokerStillAnswers(why), qPrintable(why));
    }

    // Kafka parses a whole request before acting on it, so a malformed one changes nothing.
    // A Produce whose second partition is cut short must not store the first partition's
    // batch.
    void truncatedProduceStoresNothing()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("tp", 2).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const QByteArray batch = recordBatch({{"k", "v", {}}}, 1700000000000);
        const QByteArray body = Out()
                                    .nullStr()
                                    .i16(-1)
                                    .i32(5000)
                                    .i32(1)
                                    .str("tp")
                                    .i32(2)
                                    .i32(0)
                                    .bytes(batch) // partition 0: a whole, valid batch
                                    .i32(1)
                                    .i32(1000)    // partition 1: 1000 bytes announced...
                                    .raw("short") // ...5 there
                                    .data();
        const QByteArray frame = requestFrame(api::Produce, 3, 8, body);
        c.send(frame);
        QVERIFY2(c.waitClosed(5000), qPrintable(c.error()));
        QVERIFY2(c.buffer().isEmpty(), qPrintable(hex(c.buffer())));
        KafkaClient d;
        QVERIFY2(d.connectTo(m_port), qPrintable(d.error()));
        const auto end = listOffset(d, "tp", 0, -1);
        QVERIFY2(end, qPrintable(d.error()));
        QVERIFY2(*end == 0,
                 qPrintable(QStringLiteral("a malformed Produce stored records: tp[0] ends at "
                                           "%1, request frame %2")
                                .arg(*end)
                                .arg(hex(frame))));
    }

    // Likewise a Metadata request cut short must not auto-create the topics it names.
    void truncatedMetadataCreatesNothing()
    {
        QVERIFY(start(true));
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        // v1: two names announced, the second cut short
        const QByteArray frame = requestFrame(
            api::Metadata, 1, 9, Out().i32(2).str("trunc-a").i16(20).raw("tru").data());
        c.send(frame);
        QVERIFY2(c.waitClosed(5000), qPrintable(c.error()));
        QVERIFY2(c.buffer().isEmpty(), qPrintable(hex(c.buffer())));
        QVERIFY2(!m_broker->topics().find("trunc-a"),
                 qPrintable("a malformed Metadata request created topic trunc-a; request frame " +
                            hex(frame)));
    }

    // A few hundred connections of random bytes (fixed seed): some pure noise, some with a
    // valid size and header in front of random bodies. The broker keeps answering.
    void randomBytes()
    {
        QVERIFY(start());
        KafkaClient early;
        QVERIFY2(early.connectTo(m_port), qPrintable(early.error()));
        QByteArray body;
        QVERIFY2(early.call(api::Produce, 3,
                            produceBody("sturdy", 0, recordBatch({{"k", "before", {}}}, 1)), body),
                 qPrintable(early.error()));
        QCOMPARE(parseProduce(body, "sturdy")->error, err::None);

        std::mt19937 random(20240607);
        auto bounded = [&](int n) { return int(random() % std::uint32_t(n)); };
        auto noise = [&](int n) {
            QByteArray b(n, '\0');
            for (char &c : b)
                c = char(bounded(256));
            return b;
        };
        const std::vector<int> keys = {0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 18, 19};
        constexpr int kWaves = 12, kPerWave = 25;
        for (int wave = 0; wave < kWaves; ++wave) {
            std::vector<std::unique_ptr<QTcpSocket>> sockets;
            for (int i = 0; i < kPerWave; ++i) {
                sockets.push_back(std::make_unique<QTcpSocket>());
                sockets.back()->connectToHost(QHostAddress::LocalHost, m_port);
            }
            QVERIFY(spinUntil(
                [&] {
                    return std::all_of(sockets.begin(), sockets.end(), [](const auto &s) {
                        return s->state() == QAbstractSocket::ConnectedState;
                    });
                },
                kTimeoutMs));
            for (int i = 0; i < kPerWave; ++i) {
                QByteArray junk;
                switch (bounded(3)) {
                case 0: // pure noise
                    junk = noise(1 + bounded(300));
                    break;
                case 1: { // a supported key and version, random body
                    const int key = keys[std::size_t(bounded(int(keys.size())))];
                    const auto &range = kAdvertised.at(key);
                    const int version = range.first + bounded(range.second - range.first + 1);
                    junk = requestFrame(std::int16_t(key), std::int16_t(version), i,
                                        noise(bounded(120)));
                    break;
                }
                default: { // a right size in front of random bytes
                    const QByteArray inner = noise(8 + bounded(200));
                    junk = Out().i32(std::int32_t(inner.size())).raw(inner).data();
                    break;
                }
                }
                sockets[std::size_t(i)]->write(junk);
            }
            QVERIFY(spinUntil(
                [&] {
                    return std::all_of(sockets.begin(), sockets.end(),
                                       [](const auto &s) { return s->bytesToWrite() == 0; });
                },
                kTimeoutMs));
            QTest::qWait(30);
            for (int i = 0; i < kPerWave; ++i) {
                if (i % 2)
                    sockets[std::size_t(i)]->abort();
                else
                    sockets[std::size_t(i)]->disconnectFromHost();
            }
        }
        QTRY_COMPARE_WITH_TIMEOUT(m_server->connectionCount(), 1, kTimeoutMs);

        QString why;
        QVERIFY2(brokerStillAnswers(why), qPrintable(why));
        // the connection opened before the storm still works, and the data is intact
        QVERIFY2(early.call(api::Fetch, 4, fetchBody("sturdy", 0, 0, 0), body),
                 qPrintable(early.error()));
        const auto f = parseFetch(body, "sturdy");
        QVERIFY2(f && f->error == 0, qPrintable(hex(body)));
        QCOMPARE(f->records, std::optional<QByteArray>(recordBatch({{"k", "before", {}}}, 1)));
        QVERIFY2(early.call(api::Metadata, 1, metadataBody(1, std::nullopt), body),
                 qPrintable(early.error()));
        QVERIFY2(parseMetadata(1, body), qPrintable(hex(body)));
    }

    // ---- the handler on its own, without sockets ----

    void handlerDirect()
    {
        BrokerConfig config;
        config.groupInitialRebalanceDelayMs = 100;
        Broker broker(config);
        QVERIFY(broker.createTopic("direct", 1).topic);
        kafka::KafkaConfig kc;
        kc.nodeId = kNodeId;
        kc.port = 19092;
        kc.clusterId = kClusterId;
        auto stats = broker.clients().add(QStringLiteral("127.0.0.1:1"), QStringLiteral("kafka"),
                                          Broker::nowMs());
        kafka::KafkaHandler handler(broker, kc, stats, QStringLiteral("127.0.0.1"));
        std::vector<QByteArray> sunk;
        const kafka::KafkaHandler::Sink sink = [&](QByteArray r) { sunk.push_back(r); };
        // a frame without its size prefix
        auto frame = [](std::int16_t key, std::int16_t version, std::int32_t id,
                        const QByteArray &body) {
            return requestFrame(key, version, id, body).mid(4);
        };
        using Kind = kafka::KafkaHandler::Outcome::Kind;

        auto o = handler.handle(frame(api::ApiVersions, 1, 11, {}), sink);
        QCOMPARE(int(o.kind), int(Kind::Respond));
        QCOMPARE(o.response.left(4), Out().i32(11).data());
        auto v = parseApiVersions(o.response.mid(4), true);
        QVERIFY2(v && v->error == 0 && rangeProblems(v->ranges).isEmpty(),
                 qPrintable(hex(o.response)));

        // Metadata advertises the configured port
        o = handler.handle(frame(api::Metadata, 2, 12, metadataBody(2, std::nullopt)), sink);
        QCOMPARE(int(o.kind), int(Kind::Respond));
        const auto m = parseMetadata(2, o.response.mid(4));
        QVERIFY2(m && m->brokers.size() == 1, qPrintable(hex(o.response)));
        QCOMPARE(m->brokers[0].port, 19092);
        QCOMPARE(m->clusterId, std::optional<QByteArray>(kClusterId));

        // acks=0: no response, but stored
        o = handler.handle(
            frame(api::Produce, 3, 13,
                  produceBody("direct", 0, recordBatch({{"k", "v", {}}}, 1700000000000), 0)),
            sink);
        QCOMPARE(int(o.kind), int(Kind::NoResponse));
        QCOMPARE(broker.topics().find("direct")->partition(0)->endOffset(), std::int64_t(1));

        // unknown key, unsupported version, truncated body: close
        for (const QByteArray &bad :
             {frame(99, 0, 14, {}), frame(api::Produce, 9, 15, {}),
              frame(api::Heartbeat, 0, 16, Out().str("g").data()), QByteArray("\x00\x12", 2)}) {
            o = handler.handle(bad, sink);
            QVERIFY2(o.kind == Kind::Close, qPrintable(hex(bad)));
            QVERIFY(!o.reason.isEmpty());
        }

        // ApiVersions v5 (flexible header, newer than ours): error 35, v0 body
        Out flexible;
        flexible.i16(api::ApiVersions).i16(5).i32(17).str("c").uvarint(0);
        flexible.uvarint(2).raw("x").uvarint(2).raw("1").uvarint(0);
        o = handler.handle(flexible.data(), sink);
        QCOMPARE(int(o.kind), int(Kind::Respond));
        v = parseApiVersions(o.response.mid(4), false);
        QVERIFY2(v && v->error == err::UnsupportedVersion, qPrintable(hex(o.response)));

        // a Fetch with no data waits; retried after its deadline it answers, empty
        o = handler.handle(frame(api::Fetch, 4, 18, fetchBody("direct", 0, 1, 1000)), sink);
        QCOMPARE(int(o.kind), int(Kind::WaitForData));
        QVERIFY(!handler.retryFetch(Broker::nowMs()));
        const auto late = handler.retryFetch(Broker::nowMs() + 5000);
        QVERIFY(late);
        QCOMPARE(late->left(4), Out().i32(18).data());
        const auto f = parseFetch(late->mid(4), "direct");
        QVERIFY2(f && f->error == 0 && f->records == QByteArray(), qPrintable(hex(*late)));

        // JoinGroup with an empty group id: deferred, answered through the sink with 24
        o = handler.handle(frame(api::JoinGroup, 0, 19, joinBody(0, "", "", {{"range", "m"}})),
                           sink);
        QCOMPARE(int(o.kind), int(Kind::Deferred));
        QCOMPARE(int(sunk.size()), 1);
        QCOMPARE(sunk[0].left(4), Out().i32(19).data());
        const auto j = parseJoin(0, sunk[0].mid(4));
        QVERIFY2(j && j->error == err::InvalidGroupId, qPrintable(hex(sunk[0])));

        broker.clients().remove(stats);
    }
};

QTEST_GUILESS_MAIN(TestKafkaCodec)
#include "tst_kafkacodec.moc"
