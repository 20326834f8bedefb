// The Kafka requests and responses the tst_kafka* tests exchange, field by field, built and
// taken apart with kafkawire.h's Out and In: the request bodies of Produce, Fetch, ListOffsets,
// Metadata, JoinGroup and SyncGroup, and parsers of their responses and of ApiVersions
// (checked against the ranges a Kafka 3.9 broker advertises).
#pragma once

#include "kafkawire.h"

#include <QStringList>

#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

namespace rivulet::testing {

// What a Kafka 3.9 broker advertises to clients, key -> (min, max), written here from Kafka's
// own ranges rather than read from Rivulet's API table; Fetch from v4 (no down-conversion to
// message formats 0 and 1).
inline const std::map<int, std::pair<int, int>> kAdvertised = {
    {0, {0, 11}}, {1, {4, 17}}, {2, {0, 9}},  {3, {0, 12}}, {8, {0, 9}},  {9, {0, 9}},
    {10, {0, 6}}, {11, {0, 9}}, {12, {0, 4}}, {13, {0, 5}}, {14, {0, 5}}, {15, {0, 5}},
    {16, {0, 5}}, {17, {0, 1}}, {18, {0, 4}}, {19, {0, 7}}, {20, {0, 6}}, {21, {0, 2}},
    {22, {0, 5}}, {23, {0, 4}}, {24, {0, 5}}, {25, {0, 4}}, {26, {0, 4}}, {28, {0, 4}},
    {29, {0, 3}}, {30, {0, 3}}, {31, {0, 3}}, {32, {0, 4}}, {33, {0, 2}}, {35, {0, 4}},
    {36, {0, 2}}, {37, {0, 3}}, {42, {0, 2}}, {43, {0, 2}}, {44, {0, 1}}, {45, {0, 0}},
    {46, {0, 0}}, {47, {0, 0}}, {48, {0, 1}}, {60, {0, 1}}, {61, {0, 0}}, {65, {0, 0}},
    {66, {0, 1}},
};

// ProduceRequest v3: transactional_id, acks, timeout_ms, [topic [partition records]]
inline QByteArray produceBody(const QByteArray &topic, std::int32_t partition,
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

// FetchRequest v4: replica_id, max_wait_ms, min_bytes, max_bytes, isolation_level,
// [topic [partition fetch_offset partition_max_bytes]]
inline QByteArray fetchBody(const QByteArray &topic, std::int32_t partition, std::int64_t offset,
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
inline QByteArray
listOffsetsBody(int version, const QByteArray &topic,
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
inline QByteArray metadataBody(int version, const std::optional<std::vector<QByteArray>> &topics,
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
inline std::optional<ProducePartition> parseProduce(const QByteArray &body, const QByteArray &topic)
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
inline std::optional<FetchPartition> parseFetch(const QByteArray &body, const QByteArray &topic)
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
inline std::optional<Meta> parseMetadata(int version, const QByteArray &body)
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
inline std::optional<Versions> parseApiVersions(const QByteArray &body, bool withThrottle)
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
inline QString rangeProblems(const std::vector<std::tuple<int, int, int>> &ranges)
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

// For failure messages: what was sent and what came back.
inline QByteArray describe(const QByteArray &request, const QByteArray &response)
{
    return ("\n   request body: " + hex(request) + "\n   response body: " + hex(response))
        .toLatin1();
}

// JoinGroup v0/v1/v2 request and response, field by field.
inline QByteArray joinBody(int version, const QByteArray &group, const QByteArray &member,
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
inline std::optional<Joined> parseJoin(int version, const QByteArray &body)
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
inline QByteArray syncBody(const QByteArray &group, std::int32_t generation,
                           const QByteArray &member,
                           const std::vector<std::pair<QByteArray, QByteArray>> &assignments)
{
    Out o;
    o.str(group).i32(generation).str(member).i32(std::int32_t(assignments.size()));
    for (const auto &[id, assignment] : assignments)
        o.str(id).bytes(assignment);
    return o.data();
}
// (v1+ throttle_time_ms) error_code assignment
inline std::optional<std::pair<int, QByteArray>> parseSync(int version, const QByteArray &body)
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

} // namespace rivulet::testing
