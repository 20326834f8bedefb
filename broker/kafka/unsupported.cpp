// UNSUPPORTED_VERSION answers to requests Rivulet does not serve: an API key it does not
// implement, or a version outside the range it advertises. A Kafka broker closes the
// connection when it cannot parse a request; a client then only sees a dropped connection.
// Where the answer is just an error code plus fields with fixed values, we can do better
// without reading the request body: write that answer in the layout of the version the
// client asked for, which is the layout it will decode (for the lowest version, the lowest
// layout). Everything else still closes the connection:
//  - flexible versions (compact encoding and tagged fields, which Rivulet does not speak), e.g.
//    Heartbeat/LeaveGroup v4+, SyncGroup v4+, JoinGroup v6+, OffsetFetch v6+, ListGroups
//    v3+, DescribeGroups v5+, DeleteTopics v4+, AlterConfigs v2+, CreateTopics v5+,
//    FindCoordinator v3+, Metadata v9+, ApiVersions v3+ (ApiVersions is answered elsewhere);
//  - answers made of per-topic/per-partition/per-resource results, which would have to
//    echo the request (Produce, Fetch, ListOffsets, Metadata, OffsetCommit, CreateTopics,
//    DescribeConfigs v3, DeleteRecords, CreatePartitions, ...);
//  - OffsetFetch v0 (no top-level error code: an empty answer would read as "nothing
//    committed"), negative versions, unknown API keys and versions newer than below.
#include "protocol.h"
#include "wire.h"

namespace rivulet::kafka {

std::optional<QByteArray> unsupportedVersionBody(std::int16_t apiKey, std::int16_t v)
{
    if (v < 0)
        return std::nullopt;
    constexpr std::int16_t e = error::UnsupportedVersion;
    QByteArray body;
    Writer w(body);
    switch (apiKey) {
    case 9: // OffsetFetch v2-v5: (v3+ throttle) [topics] error_code
        if (v < 2 || v > 5)
            return std::nullopt;
        if (v >= 3)
            w.i32(0);
        w.array(0).i16(e);
        return body;
    case 11: // JoinGroup v0-v5: (v2+ throttle) error generation protocol leader member [members]
        if (v > 5)
            return std::nullopt;
        if (v >= 2)
            w.i32(0);
        w.i16(e).i32(-1).string("").string("").string("").array(0);
        return body;
    case 12: // Heartbeat v0-v3: (v1+ throttle) error_code
        if (v > 3)
            return std::nullopt;
        if (v >= 1)
            w.i32(0);
        w.i16(e);
        return body;
    case 13: // LeaveGroup v0-v3: (v1+ throttle) error_code (v3 [members])
        if (v > 3)
            return std::nullopt;
        if (v >= 1)
            w.i32(0);
        w.i16(e);
        if (v == 3)
            w.array(0);
        return body;
    case 14: // SyncGroup v0-v3: (v1+ throttle) error_code assignment
        if (v > 3)
            return std::nullopt;
        if (v >= 1)
            w.i32(0);
        w.i16(e).bytes(QByteArrayView());
        return body;
    case 17: // SaslHandshake v0-v1: error_code [mechanisms]
        if (v > 1)
            return std::nullopt;
        w.i16(e).array(0);
        return body;
    case 22: // InitProducerId v0-v1: throttle error_code producer_id producer_epoch
        if (v > 1)
            return std::nullopt;
        w.i32(0).i16(e).i64(-1).i16(-1);
        return body;
    case 29: // DescribeAcls v0-v1: throttle error_code error_message [resources]
        if (v > 1)
            return std::nullopt;
        w.i32(0).i16(e).nullableString(QByteArray("Rivulet has no ACLs")).array(0);
        return body;
    default:
        return std::nullopt;
    }
}

} // namespace rivulet::kafka
