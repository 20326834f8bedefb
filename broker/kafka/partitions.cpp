// Changing a topic's partitions from Kafka clients and admin tools: CreatePartitions
// (PROTOCOL.md §15.33) adds partitions, DeleteRecords (§15.34) moves start offsets up.
#include "kafkahandler.h"

#include "broker.h"

#include <algorithm>

namespace rivulet::kafka {

namespace {

std::int16_t kafkaError(Broker::ChangeOutcome outcome)
{
    switch (outcome) {
    case Broker::ChangeOutcome::Done:
        return error::None;
    case Broker::ChangeOutcome::UnknownTopic:
    case Broker::ChangeOutcome::UnknownPartition:
        return error::UnknownTopicOrPartition;
    case Broker::ChangeOutcome::Invalid:
        return error::InvalidPartitions;
    case Broker::ChangeOutcome::OutOfRange:
        return error::OffsetOutOfRange;
    case Broker::ChangeOutcome::StorageError:
        return error::KafkaStorageError;
    case Broker::ChangeOutcome::Unavailable: // a cluster source's, never the broker's
        break;
    }
    return error::UnknownServerError;
}

// Why a CreatePartitions request's manual assignments cannot be followed, or empty: on one
// broker the only assignment there is puts each new partition on this node alone, and Kafka
// wants one per new partition.
QByteArray assignmentProblem(
    const std::vector<CreatePartitionsRequest::CreatePartitionsTopic::CreatePartitionsAssignment>
        &assignments,
    std::int64_t added, std::int32_t nodeId)
{
    if (std::int64_t(assignments.size()) != added)
        return "Attempted to add " + QByteArray::number(added) +
               " additional partition(s), but only " + QByteArray::number(assignments.size()) +
               " assignment(s) were specified.";
    for (const auto &a : assignments) {
        if (a.brokerIds.empty())
            return "The manual partition assignment includes an empty replica list.";
        for (const std::int32_t id : a.brokerIds)
            if (id != nodeId)
                return "The manual partition assignment includes broker " + QByteArray::number(id) +
                       ", but no such broker is registered.";
        if (a.brokerIds.size() != 1)
            return "The manual partition assignment includes a partition with " +
                   QByteArray::number(a.brokerIds.size()) +
                   " replica(s), but this is not consistent with previous partitions, which have "
                   "1 replica(s).";
    }
    return {};
}

} // namespace

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, CreatePartitionsRequest &request)
{
    // timeout_ms is not looked at: the partitions exist when the answer goes out
    CreatePartitionsResponse response;
    std::vector<QByteArray> answered;
    for (const auto &t : request.topics) {
        if (std::find(answered.begin(), answered.end(), t.name) != answered.end())
            continue;
        answered.push_back(t.name);
        auto &r = response.results.emplace_back();
        r.name = t.name;
        const auto named = std::count_if(request.topics.begin(), request.topics.end(),
                                         [&](const auto &o) { return o.name == t.name; });
        if (named > 1) { // as Kafka: which of them would count?
            r.errorCode = error::InvalidRequest;
            r.errorMessage = "Duplicate topic name.";
            continue;
        }
        QString why;
        Broker::ChangeOutcome outcome = m_broker.addPartitions(t.name, t.count, why, true);
        QByteArray problem;
        if (outcome == Broker::ChangeOutcome::Done && t.assignments) {
            const auto topic = m_broker.topics().find(t.name);
            const std::int64_t added = topic ? t.count - topic->partitionCount() : t.count;
            problem = assignmentProblem(*t.assignments, added, m_config.nodeId);
        }
        if (!problem.isEmpty()) {
            r.errorCode = error::InvalidReplicaAssignment;
            r.errorMessage = problem;
            continue;
        }
        if (outcome == Broker::ChangeOutcome::Done && !request.validateOnly)
            outcome = m_broker.addPartitions(t.name, t.count, why);
        r.errorCode = kafkaError(outcome);
        if (r.errorCode != error::None)
            r.errorMessage = why.toUtf8();
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, DeleteRecordsRequest &request)
{
    // timeout_ms is not looked at: with no replicas to wait for, the new start offsets hold
    // when the answer goes out
    DeleteRecordsResponse response;
    for (const auto &t : request.topics) {
        auto &out = response.topics.emplace_back();
        out.name = t.name;
        for (const auto &p : t.partitions) {
            auto &r = out.partitions.emplace_back();
            r.partitionIndex = p.partitionIndex;
            std::int64_t start = -1;
            QString why;
            r.errorCode = kafkaError(
                m_broker.deleteRecordsBefore(t.name, p.partitionIndex, p.offset, start, why));
            r.lowWatermark = r.errorCode == error::None ? start : -1;
        }
    }
    return call.respond(response);
}

} // namespace rivulet::kafka
