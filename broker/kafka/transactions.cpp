// Idempotent and transactional producers (PROTOCOL.md §15.32): InitProducerId,
// AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn, and for tools
// DescribeTransactions, ListTransactions and DescribeProducers. The state is the broker's
// TransactionCoordinator (broker/coordinator/).
#include "kafkahandler.h"

#include "broker.h"

#include <algorithm>

namespace rivulet::kafka {
namespace {

using TopicPartition = TransactionCoordinator::TopicPartition;

// AddPartitionsToTxn answers per topic and partition, in the order asked.
template <class TopicResult>
std::vector<TopicResult> byTopic(const std::map<TopicPartition, std::int16_t> &codes)
{
    std::vector<TopicResult> topics;
    for (const auto &[tp, code] : codes) {
        if (topics.empty() || topics.back().name != tp.first) {
            topics.emplace_back();
            topics.back().name = tp.first;
        }
        topics.back().resultsByPartition.push_back({tp.second, code});
    }
    return topics;
}

template <class Topics> std::vector<TopicPartition> partitionsOf(const Topics &topics)
{
    std::vector<TopicPartition> parts;
    for (const auto &t : topics)
        for (std::int32_t p : t.partitions)
            parts.emplace_back(t.name, p);
    return parts;
}

// PRODUCER_FENCED came with KIP-588 (InitProducerId v4, the other transaction APIs v2);
// clients of older versions know the same answer as INVALID_PRODUCER_EPOCH.
std::int16_t forVersion(std::int16_t code, std::int16_t version, std::int16_t fencedSince)
{
    return code == error::ProducerFenced && version < fencedSince ? error::InvalidProducerEpoch
                                                                  : code;
}

} // namespace

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, InitProducerIdRequest &request)
{
    const auto r = m_broker.transactions().initProducer(
        request.transactionalId, request.transactionTimeoutMs, request.producerId,
        request.producerEpoch, Broker::nowMs());
    InitProducerIdResponse response;
    response.errorCode = forVersion(r.error, call.version(), 4);
    response.producerId = r.producerId;
    response.producerEpoch = r.epoch;
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, AddPartitionsToTxnRequest &request)
{
    const std::int64_t now = Broker::nowMs();
    AddPartitionsToTxnResponse response;
    if (call.version() <= 3) {
        auto codes = m_broker.transactions().addPartitions(
            request.v3AndBelowTransactionalId, request.v3AndBelowProducerId,
            request.v3AndBelowProducerEpoch, partitionsOf(request.v3AndBelowTopics), now);
        for (auto &[tp, code] : codes)
            code = forVersion(code, call.version(), 2);
        response.resultsByTopicV3AndBelow =
            byTopic<AddPartitionsToTxnResponse::AddPartitionsToTxnTopicResult2>(codes);
        return call.respond(response);
    }
    // v4+: several transactions at once (Kafka's brokers verifying for each other)
    for (const auto &t : request.transactions) {
        const auto parts = partitionsOf(t.topics);
        std::map<TopicPartition, std::int16_t> codes;
        if (t.verifyOnly) {
            const auto txn = m_broker.transactions().transaction(t.transactionalId);
            for (const TopicPartition &tp : parts)
                codes[tp] = txn && txn->producerId == t.producerId &&
                                    txn->epoch == t.producerEpoch && txn->partitions.count(tp)
                                ? error::None
                                : error::InvalidTxnState;
        } else {
            codes = m_broker.transactions().addPartitions(t.transactionalId, t.producerId,
                                                          t.producerEpoch, parts, now);
        }
        AddPartitionsToTxnResponse::AddPartitionsToTxnResult result;
        result.transactionalId = t.transactionalId;
        result.topicResults = byTopic<
            AddPartitionsToTxnResponse::AddPartitionsToTxnResult::AddPartitionsToTxnTopicResult>(
            codes);
        response.resultsByTransaction.push_back(std::move(result));
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, AddOffsetsToTxnRequest &request)
{
    AddOffsetsToTxnResponse response;
    response.errorCode = forVersion(
        m_broker.transactions().addGroup(request.transactionalId, request.producerId,
                                         request.producerEpoch, request.groupId, Broker::nowMs()),
        call.version(), 2);
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, TxnOffsetCommitRequest &request)
{
    std::int16_t code = m_broker.groups().checkCommit(request.groupId, request.generationId,
                                                      request.memberId, request.groupInstanceId);
    if (code == error::None) {
        std::vector<TransactionCoordinator::PendingOffset> offsets;
        for (const auto &t : request.topics)
            for (const auto &p : t.partitions)
                offsets.push_back({t.name, p.partitionIndex, p.committedOffset,
                                   p.committedMetadata.value_or(QByteArray())});
        code = forVersion(m_broker.transactions().stageOffsets(
                              request.transactionalId, request.producerId, request.producerEpoch,
                              request.groupId, offsets, Broker::nowMs()),
                          call.version(), 2);
    }
    TxnOffsetCommitResponse response;
    for (const auto &t : request.topics) {
        TxnOffsetCommitResponse::TxnOffsetCommitResponseTopic topic;
        topic.name = t.name;
        for (const auto &p : t.partitions)
            topic.partitions.push_back({p.partitionIndex, code});
        response.topics.push_back(std::move(topic));
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, EndTxnRequest &request)
{
    EndTxnResponse response;
    response.errorCode = forVersion(m_broker.transactions().endTransaction(
                                        request.transactionalId, request.producerId,
                                        request.producerEpoch, request.committed, Broker::nowMs()),
                                    call.version(), 2);
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, DescribeTransactionsRequest &request)
{
    DescribeTransactionsResponse response;
    for (const QByteArray &id : request.transactionalIds) {
        DescribeTransactionsResponse::TransactionState s;
        s.transactionalId = id;
        const auto t = m_broker.transactions().transaction(id);
        if (!t) {
            s.errorCode = error::TransactionalIdNotFound;
            s.transactionState = "Dead";
        } else {
            s.transactionState = TransactionCoordinator::stateName(t->state);
            s.transactionTimeoutMs = t->timeoutMs;
            s.transactionStartTimeMs = t->startMs;
            s.producerId = t->producerId;
            s.producerEpoch = t->epoch;
            for (const auto &[topic, partition] : t->partitions) {
                if (s.topics.empty() || s.topics.back().topic != topic)
                    s.topics.push_back({topic, {}});
                s.topics.back().partitions.push_back(partition);
            }
        }
        response.transactionStates.push_back(std::move(s));
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, ListTransactionsRequest &request)
{
    ListTransactionsResponse response;
    const std::int64_t now = Broker::nowMs();
    for (const QByteArray &state : request.stateFilters) {
        bool known = false;
        for (auto s : {TransactionCoordinator::State::Empty, TransactionCoordinator::State::Ongoing,
                       TransactionCoordinator::State::PrepareCommit,
                       TransactionCoordinator::State::PrepareAbort,
                       TransactionCoordinator::State::CompleteCommit,
                       TransactionCoordinator::State::CompleteAbort})
            known = known || state == TransactionCoordinator::stateName(s);
        if (!known)
            response.unknownStateFilters.push_back(state);
    }
    for (const auto &t : m_broker.transactions().transactions()) {
        const QByteArray state = TransactionCoordinator::stateName(t.state);
        const auto &states = request.stateFilters;
        const auto &ids = request.producerIdFilters;
        if (!states.empty() && std::find(states.begin(), states.end(), state) == states.end())
            continue;
        if (!ids.empty() && std::find(ids.begin(), ids.end(), t.producerId) == ids.end())
            continue;
        // v1: only transactions open for longer than the duration
        if (request.durationFilter >= 0 &&
            (t.startMs < 0 || now - t.startMs < request.durationFilter))
            continue;
        response.transactionStates.push_back({t.transactionalId, t.producerId, state});
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, DescribeProducersRequest &request)
{
    DescribeProducersResponse response;
    for (const auto &wanted : request.topics) {
        DescribeProducersResponse::TopicResponse t;
        t.name = wanted.name;
        const auto topic = m_broker.topics().find(wanted.name);
        for (std::int32_t index : wanted.partitionIndexes) {
            DescribeProducersResponse::TopicResponse::PartitionResponse p;
            p.partitionIndex = index;
            if (!topic || !topic->partition(index)) {
                p.errorCode = error::UnknownTopicOrPartition;
            } else {
                for (const auto &[id, state] : m_broker.producers(*topic, index)) {
                    DescribeProducersResponse::TopicResponse::PartitionResponse::ProducerState s;
                    s.producerId = id;
                    s.producerEpoch = state.epoch;
                    if (!state.batches.empty())
                        s.lastSequence = state.batches.back().lastSequence;
                    s.currentTxnStartOffset = state.txnFirstOffset.value_or(-1);
                    p.activeProducers.push_back(s);
                }
            }
            t.partitions.push_back(std::move(p));
        }
        response.topics.push_back(std::move(t));
    }
    return call.respond(response);
}

} // namespace rivulet::kafka
