#pragma once

#include <QByteArray>

#include <cstdint>
#include <optional>

// The Kafka APIs Rivulet answers and the versions it advertises; see docs/PROTOCOL.md and
// ../shared/kafka-compat.md for why these ranges (none needs the flexible encoding).
namespace rivulet::kafka {

enum class ApiKey : std::int16_t
{
    Produce = 0,
    Fetch = 1,
    ListOffsets = 2,
    Metadata = 3,
    OffsetCommit = 8,
    OffsetFetch = 9,
    FindCoordinator = 10,
    JoinGroup = 11,
    Heartbeat = 12,
    LeaveGroup = 13,
    SyncGroup = 14,
    DescribeGroups = 15,
    ListGroups = 16,
    ApiVersions = 18,
    CreateTopics = 19,
    DeleteTopics = 20,
    DescribeConfigs = 32,
    AlterConfigs = 33,
    DeleteGroups = 42,
    IncrementalAlterConfigs = 44,
};

struct ApiRange
{
    ApiKey key;
    std::int16_t min;
    std::int16_t max;
};

inline constexpr ApiRange kSupportedApis[] = {
    // Produce from v0: librdkafka compresses (gzip, snappy, lz4) only for brokers that list
    // v0; clients that speak v3 still use it, and v0-v2 carry the same batches
    {ApiKey::Produce, 0, 3},
    {ApiKey::Fetch, 4, 4},
    {ApiKey::ListOffsets, 0, 2},
    {ApiKey::Metadata, 0, 4},
    {ApiKey::OffsetCommit, 2, 2},
    {ApiKey::OffsetFetch, 1, 1},
    {ApiKey::FindCoordinator, 0, 2},
    {ApiKey::JoinGroup, 0, 2},
    {ApiKey::Heartbeat, 0, 1},
    {ApiKey::LeaveGroup, 0, 1},
    {ApiKey::SyncGroup, 0, 1},
    {ApiKey::ApiVersions, 0, 2},
    {ApiKey::CreateTopics, 0, 4},
    // admin APIs for the tools people point at Kafka, each below its first flexible version
    {ApiKey::DescribeGroups, 0, 4},
    {ApiKey::ListGroups, 0, 2},
    {ApiKey::DeleteTopics, 0, 3},
    {ApiKey::DescribeConfigs, 0, 2},
    {ApiKey::AlterConfigs, 0, 1},
    {ApiKey::DeleteGroups, 0, 1},
    {ApiKey::IncrementalAlterConfigs, 0, 0},
};

std::optional<ApiRange> supportedRange(std::int16_t apiKey);
const char *apiName(std::int16_t apiKey);

// The body (after the correlation id) of an UNSUPPORTED_VERSION answer to apiKey at
// apiVersion, for the APIs whose answer at that version is only an error code and fields
// with fixed values; nullopt where no correct answer can be built (see unsupported.cpp).
std::optional<QByteArray> unsupportedVersionBody(std::int16_t apiKey, std::int16_t apiVersion);

namespace error {
constexpr std::int16_t UnknownServerError = -1;
constexpr std::int16_t None = 0;
constexpr std::int16_t OffsetOutOfRange = 1;
constexpr std::int16_t CorruptMessage = 2;
constexpr std::int16_t UnknownTopicOrPartition = 3;
constexpr std::int16_t CoordinatorNotAvailable = 15;
constexpr std::int16_t NotCoordinator = 16;
constexpr std::int16_t InvalidTopic = 17;
constexpr std::int16_t RecordListTooLarge = 18;
constexpr std::int16_t IllegalGeneration = 22;
constexpr std::int16_t InconsistentGroupProtocol = 23;
constexpr std::int16_t InvalidGroupId = 24;
constexpr std::int16_t UnknownMemberId = 25;
constexpr std::int16_t InvalidSessionTimeout = 26;
constexpr std::int16_t RebalanceInProgress = 27;
constexpr std::int16_t UnsupportedVersion = 35;
constexpr std::int16_t TopicAlreadyExists = 36;
constexpr std::int16_t InvalidPartitions = 37;
constexpr std::int16_t InvalidReplicationFactor = 38;
constexpr std::int16_t InvalidConfig = 40;
constexpr std::int16_t InvalidRequest = 42;
constexpr std::int16_t KafkaStorageError = 56;
constexpr std::int16_t NonEmptyGroup = 68;
constexpr std::int16_t GroupIdNotFound = 69;
constexpr std::int16_t UnsupportedForMessageFormat = 43;
constexpr std::int16_t InvalidRecord = 87;
} // namespace error

// Request header v1 (v2 for flexible versions adds tagged fields, which we skip).
struct RequestHeader
{
    std::int16_t apiKey = 0;
    std::int16_t apiVersion = 0;
    std::int32_t correlationId = 0;
    std::optional<QByteArray> clientId;
};

constexpr std::int32_t kDefaultMaxFrameBytes = 100 << 20;

} // namespace rivulet::kafka
