// Kafka wire bytes written and read BY HAND for the Kafka tests: API keys and error
// codes, a tiny big-endian writer (Out) and a bounds-checked reader (In), record batches
// (magic 2) with their own CRC-32C, and the request frame. Nothing here uses
// broker/kafka/wire.h or log/crc32c.h: requests are built field by field from the Kafka
// message schemas (clients/src/main/resources/common/message/*.json in the Kafka source) and
// ../shared/kafka-compat.md, so a mistake shared by the broker's encoder and decoder cannot
// hide.
#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace rivulet::testing {

// The client id requestFrame() sends unless told otherwise.
inline const QByteArray kClientId = "tst_kafka";

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

inline QString hex(const QByteArray &bytes)
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
    // COMPACT_STRING and COMPACT_BYTES of the flexible versions: unsigned varint length + 1,
    // then the bytes
    Out &compact(const QByteArray &s) { return uvarint(std::uint64_t(s.size()) + 1).raw(s); }
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
inline std::uint32_t crc32c(const QByteArray &data)
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
inline QByteArray recordBatch(const std::vector<Rec> &records, std::int64_t baseTimestamp)
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

inline QByteArray withBaseOffset(QByteArray batch, std::int64_t baseOffset)
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
inline std::optional<std::vector<Batch>> decodeBatches(const QByteArray &blob)
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
inline QByteArray requestFrame(std::int16_t key, std::int16_t version, std::int32_t correlationId,
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

} // namespace rivulet::testing
