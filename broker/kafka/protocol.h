#pragma once

#include "kafkamessages.h"

#include <QByteArray>

#include <cstdint>
#include <optional>

// The Kafka APIs Rivulet answers, their versions and the layout of every request and
// response come from the API table (kafka/schema/*.api, generated into kafkamessages.h);
// see docs/PROTOCOL.md §14 and ../shared/kafka-compat.md.
namespace rivulet::kafka {

// The table's row for an API key; nullptr for an API Rivulet does not answer.
const ApiInfo *apiInfo(std::int16_t apiKey);
const char *apiName(std::int16_t apiKey);

namespace error {
constexpr std::int16_t UnknownServerError = -1;
constexpr std::int16_t None = 0;
constexpr std::int16_t OffsetOutOfRange = 1;
constexpr std::int16_t CorruptMessage = 2;
constexpr std::int16_t UnknownTopicOrPartition = 3;
constexpr std::int16_t CoordinatorNotAvailable = 15;
constexpr std::int16_t NotCoordinator = 16;
constexpr std::int16_t MessageTooLarge = 10;
constexpr std::int16_t InvalidTopic = 17;
constexpr std::int16_t RecordListTooLarge = 18;
constexpr std::int16_t IllegalGeneration = 22;
constexpr std::int16_t InconsistentGroupProtocol = 23;
constexpr std::int16_t InvalidGroupId = 24;
constexpr std::int16_t UnknownMemberId = 25;
constexpr std::int16_t InvalidSessionTimeout = 26;
constexpr std::int16_t RebalanceInProgress = 27;
constexpr std::int16_t UnsupportedSaslMechanism = 33;
constexpr std::int16_t IllegalSaslState = 34;
constexpr std::int16_t UnsupportedVersion = 35;
constexpr std::int16_t TopicAlreadyExists = 36;
constexpr std::int16_t InvalidPartitions = 37;
constexpr std::int16_t InvalidReplicationFactor = 38;
constexpr std::int16_t InvalidReplicaAssignment = 39;
constexpr std::int16_t InvalidConfig = 40;
constexpr std::int16_t InvalidRequest = 42;
constexpr std::int16_t KafkaStorageError = 56;
constexpr std::int16_t NonEmptyGroup = 68;
constexpr std::int16_t GroupIdNotFound = 69;
constexpr std::int16_t GroupSubscribedToTopic = 86;
constexpr std::int16_t UnsupportedForMessageFormat = 43;
constexpr std::int16_t InvalidRecord = 87;
constexpr std::int16_t NotLeaderOrFollower = 6;
constexpr std::int16_t CoordinatorLoadInProgress = 14;
constexpr std::int16_t InvalidTimestamp = 32;
constexpr std::int16_t OutOfOrderSequenceNumber = 45;
constexpr std::int16_t DuplicateSequenceNumber = 46;
constexpr std::int16_t InvalidProducerEpoch = 47;
constexpr std::int16_t InvalidTxnState = 48;
constexpr std::int16_t InvalidProducerIdMapping = 49;
constexpr std::int16_t InvalidTransactionTimeout = 50;
constexpr std::int16_t ConcurrentTransactions = 51;
constexpr std::int16_t SecurityDisabled = 54;
constexpr std::int16_t OperationNotAttempted = 55;
constexpr std::int16_t SaslAuthenticationFailed = 58;
constexpr std::int16_t TransactionalIdNotFound = 105;
constexpr std::int16_t UnknownProducerId = 59;
constexpr std::int16_t FetchSessionIdNotFound = 70;
constexpr std::int16_t InvalidFetchSessionEpoch = 71;
constexpr std::int16_t FencedLeaderEpoch = 74;
constexpr std::int16_t UnknownLeaderEpoch = 75;
constexpr std::int16_t UnsupportedCompressionType = 76;
constexpr std::int16_t MemberIdRequired = 79;
constexpr std::int16_t FencedInstanceId = 82;
constexpr std::int16_t ElectionNotNeeded = 84;
constexpr std::int16_t NoReassignmentInProgress = 85;
constexpr std::int16_t ProducerFenced = 90;
constexpr std::int16_t UnknownTopicId = 100;
constexpr std::int16_t InconsistentTopicId = 103;
constexpr std::int16_t MismatchedEndpointType = 114;
} // namespace error

// Request header v1, or v2 for flexible versions (tagged fields after the client id, which
// are skipped). Responses to flexible versions carry header v1 (tagged fields after the
// correlation id), except ApiVersions' (header v0 always).
struct RequestHeader
{
    std::int16_t apiKey = 0;
    std::int16_t apiVersion = 0;
    std::int32_t correlationId = 0;
    std::optional<QByteArray> clientId;
    bool flexible = false;
};

// A response: its header for the request h, then the body in h's version.
template <class Response> QByteArray encodeResponse(const RequestHeader &h, const Response &body)
{
    QByteArray out;
    out.reserve(64);
    Writer w(out);
    w.i32(h.correlationId);
    if (h.flexible && Response::kApiKey != ApiKey::ApiVersions)
        w.unsignedVarint(0); // no tagged fields in the header
    body.write(w, h.apiVersion);
    return out;
}

constexpr std::int32_t kDefaultMaxFrameBytes = 100 << 20;

} // namespace rivulet::kafka
