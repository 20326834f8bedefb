// Cluster administration APIs that admin tools (kafka-acls, kafka-leader-election,
// kafka-reassign-partitions, kafka-log-dirs, Kafka UI, AKHQ, Redpanda Console) call on a
// broker, answered as a one-broker Kafka cluster without an authorizer or quotas answers them:
// DescribeAcls (PROTOCOL.md §15.24), CreateAcls (§15.25), DeleteAcls (§15.26),
// DescribeClientQuotas (§15.27), ElectLeaders (§15.28), AlterPartitionReassignments (§15.29),
// ListPartitionReassignments (§15.30) and DescribeLogDirs (§15.31).
#include "kafkahandler.h"

#include "broker.h"

#include <QStorageInfo>

#include <algorithm>
#include <map>
#include <set>

namespace rivulet::kafka {
namespace {

// Kafka's texts for the answers below (AclApis, Errors, ReplicationControlManager), so that
// tools print what they print against Kafka.
const QByteArray kNoAuthorizerOnBroker = "No Authorizer is configured on the broker";
const QByteArray kNoAuthorizer = "No Authorizer is configured.";
const QByteArray kElectionNotNeeded = "Leader election not needed for topic partition.";
const QByteArray kNoReassignment = "No partition reassignment is in progress.";

// ElectLeaders' election_type (v1+; v0 is always preferred)
constexpr std::int8_t kPreferredElection = 0;
constexpr std::int8_t kUncleanElection = 1;

// DescribeClientQuotas' match_type
constexpr std::int8_t kMatchExact = 0;
constexpr std::int8_t kMatchDefault = 1;
constexpr std::int8_t kMatchSpecified = 2;

// DescribeLogDirs' log_dir for a broker without a data directory
const QByteArray kMemoryLogDir = "(memory)";

// Why a DescribeClientQuotas filter is refused (Kafka's ClientQuotasImage.describe checks),
// or nullopt when it is a valid filter; error is then the code to answer with.
std::optional<QByteArray>
quotaFilterProblem(const std::vector<DescribeClientQuotasRequest::ComponentData> &components,
                   std::int16_t &error)
{
    error = error::InvalidRequest;
    std::set<QByteArray> seen;
    for (const auto &c : components) {
        if (c.entityType.isEmpty())
            return QByteArray("Invalid empty entity type.");
        if (!seen.insert(c.entityType).second)
            return "Entity type " + c.entityType + " cannot appear more than once in the filter.";
        if (c.entityType != "user" && c.entityType != "client-id" && c.entityType != "ip") {
            error = error::UnsupportedVersion;
            return "Unsupported entity type " + c.entityType;
        }
        switch (c.matchType) {
        case kMatchExact:
            if (!c.match)
                return QByteArray(
                    "Request specified MATCH_TYPE_EXACT, but set match string to null.");
            break;
        case kMatchDefault:
            if (c.match)
                return QByteArray(
                    "Request specified MATCH_TYPE_DEFAULT, but also specified a match string.");
            break;
        case kMatchSpecified:
            if (c.match)
                return QByteArray(
                    "Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.");
            break;
        default:
            return "Unknown match type " + QByteArray::number(c.matchType);
        }
    }
    if (seen.count("ip") && (seen.count("user") || seen.count("client-id")))
        return QByteArray("Invalid entity filter component combination. IP filter component "
                          "should not be used with user or clientId filter component.");
    return std::nullopt;
}

} // namespace

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, DescribeAclsRequest &)
{
    // Kafka without an authorizer (AclApis.handleDescribeAcls): the whole request fails
    DescribeAclsResponse response;
    response.errorCode = error::SecurityDisabled;
    response.errorMessage = kNoAuthorizerOnBroker;
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, CreateAclsRequest &request)
{
    // one failed result per creation, in request order (CreateAclsRequest.getErrorResponse)
    CreateAclsResponse response;
    response.results.assign(request.creations.size(), {error::SecurityDisabled, kNoAuthorizer});
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, DeleteAclsRequest &request)
{
    // one failed result per filter, matching nothing (DeleteAclsRequest.getErrorResponse)
    DeleteAclsResponse response;
    response.filterResults.assign(request.filters.size(),
                                  {error::SecurityDisabled, kNoAuthorizer, {}});
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, DescribeClientQuotasRequest &request)
{
    // No quotas are ever set (AlterClientQuotas is not answered): a valid filter matches
    // nothing; an invalid one is refused as Kafka refuses it, with entries null.
    DescribeClientQuotasResponse response;
    std::int16_t error = error::None;
    if (auto problem = quotaFilterProblem(request.components, error)) {
        response.errorCode = error;
        response.errorMessage = std::move(problem);
        response.entries = std::nullopt;
    } else {
        response.entries.emplace();
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, ElectLeadersRequest &request)
{
    ElectLeadersResponse response;
    using Result = ElectLeadersResponse::ReplicaElectionResult;
    if (request.electionType != kPreferredElection && request.electionType != kUncleanElection) {
        // Kafka fails the whole request: every partition asked for gets the same error
        const QByteArray why = "Unknown election type " + QByteArray::number(request.electionType);
        response.errorCode = error::InvalidRequest;
        for (const auto &t : request.topicPartitions.value_or(
                 std::vector<ElectLeadersRequest::TopicPartitions>{})) {
            Result &out = response.replicaElectionResults.emplace_back();
            out.topic = t.topic;
            for (std::int32_t p : t.partitions)
                out.partitionResult.push_back({p, error::InvalidRequest, why});
        }
        return call.respond(response);
    }
    // The one broker leads every partition and is its only, hence preferred, replica: neither
    // a preferred nor an unclean election is ever needed. As in Kafka's controller, an
    // election of every partition (topic_partitions null) lists each topic without the
    // partitions that already have the leader they should have, i.e. without any.
    if (!request.topicPartitions) {
        for (const auto &topic : m_broker.topics().topics())
            response.replicaElectionResults.emplace_back().topic = topic->name().toUtf8();
        return call.respond(response);
    }
    for (auto &t : *request.topicPartitions) {
        const auto topic = m_broker.topics().find(t.topic);
        Result &out = response.replicaElectionResults.emplace_back();
        for (std::int32_t p : t.partitions) {
            if (!topic)
                out.partitionResult.push_back(
                    {p, error::UnknownTopicOrPartition, "No such topic as " + t.topic});
            else if (!topic->partition(p))
                out.partitionResult.push_back(
                    {p, error::UnknownTopicOrPartition,
                     "No such partition as " + t.topic + '-' + QByteArray::number(p)});
            else
                out.partitionResult.push_back({p, error::ElectionNotNeeded, kElectionNotNeeded});
        }
        out.topic = std::move(t.topic);
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call,
                                           AlterPartitionReassignmentsRequest &request)
{
    // Every partition has one replica, this broker: the only assignment there can be is the
    // one it has (nothing to move), and no reassignment is ever in progress to cancel.
    AlterPartitionReassignmentsResponse response;
    const std::vector<std::int32_t> only{m_config.nodeId};
    for (auto &t : request.topics) {
        const auto topic = m_broker.topics().find(t.name);
        auto &out = response.responses.emplace_back();
        for (const auto &p : t.partitions) {
            auto &r = out.partitions.emplace_back();
            r.partitionIndex = p.partitionIndex;
            if (!topic) {
                r.errorCode = error::UnknownTopicOrPartition;
                r.errorMessage = "Unable to find a topic named " + t.name + '.';
            } else if (!topic->partition(p.partitionIndex)) {
                r.errorCode = error::UnknownTopicOrPartition;
                r.errorMessage = "Unable to find partition " + t.name + ':' +
                                 QByteArray::number(p.partitionIndex) + '.';
            } else if (!p.replicas) {
                r.errorCode = error::NoReassignmentInProgress;
                r.errorMessage = kNoReassignment;
            } else if (*p.replicas != only) {
                QByteArray asked;
                for (std::int32_t id : *p.replicas)
                    asked += (asked.isEmpty() ? "" : ",") + QByteArray::number(id);
                const QByteArray node = QByteArray::number(m_config.nodeId);
                r.errorCode = error::InvalidReplicaAssignment;
                r.errorMessage = "Rivulet is a single broker (node " + node +
                                 "): a partition's replicas can only be [" + node + "], not [" +
                                 asked + "]";
            } else {
                r.errorCode = error::None; // already so
            }
        }
        out.name = std::move(t.name);
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, ListPartitionReassignmentsRequest &)
{
    // nothing is ever being reassigned; Kafka lists only partitions that are, and skips
    // unknown topics, so whatever was asked the list is empty
    ListPartitionReassignmentsResponse response;
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, DescribeLogDirsRequest &request)
{
    // One log directory: the data directory, or for an --in-memory broker a name that is no
    // path, "(memory)", without filesystem sizes (-1). Kafka lists every partition in it when
    // topics is null, otherwise those asked for that exist (in partition order; unknown ones
    // are left out). Kafka also lists the directory's other topics, with no partitions;
    // Rivulet lists only topics with a partition to show.
    DescribeLogDirsResponse response;
    auto &dir = response.results.emplace_back();
    dir.errorCode = error::None;
    if (m_broker.isDurable()) {
        const QString path = m_broker.dataPath();
        dir.logDir = path.toUtf8();
        const QStorageInfo storage(path);
        if (storage.isValid() && storage.isReady()) {
            dir.totalBytes = storage.bytesTotal();
            dir.usableBytes = storage.bytesAvailable();
        }
    } else {
        dir.logDir = kMemoryLogDir;
    }

    using LogDirTopic = DescribeLogDirsResponse::DescribeLogDirsResult::DescribeLogDirsTopic;
    auto describe = [&](const Topic &topic, const std::set<std::int32_t> *wanted) {
        LogDirTopic out;
        out.name = topic.name().toUtf8();
        for (int i = 0; i < topic.partitionCount(); ++i) {
            if (wanted && !wanted->count(i))
                continue;
            // the bytes its log holds on disk (or in memory), as the window shows them
            out.partitions.push_back({i, topic.partition(i)->stats().sizeBytes, 0, false});
        }
        if (!out.partitions.empty())
            dir.topics.push_back(std::move(out));
    };
    if (!request.topics) {
        for (const auto &topic : m_broker.topics().topics())
            describe(*topic, nullptr);
    } else {
        // a topic named twice is one topic, its partitions merged, as in Kafka's set
        std::map<QByteArray, std::set<std::int32_t>> wanted;
        for (const auto &t : *request.topics)
            wanted[t.topic].insert(t.partitions.begin(), t.partitions.end());
        for (const auto &[name, partitions] : wanted)
            if (const auto topic = m_broker.topics().find(name))
                describe(*topic, &partitions);
    }
    return call.respond(response);
}

} // namespace rivulet::kafka
