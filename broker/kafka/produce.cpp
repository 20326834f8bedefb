// Produce (PROTOCOL.md §15.3): each partition's batches go through Broker::produce(), the path
// native Produce and the window's injector take too.
#include "kafkahandler.h"

#include "broker.h"

namespace rivulet::kafka {
namespace {

std::int16_t errorCode(ProduceError e)
{
    switch (e) {
    case ProduceError::None:
        return error::None;
    case ProduceError::UnknownTopic:
    case ProduceError::UnknownPartition:
        return error::UnknownTopicOrPartition;
    case ProduceError::InvalidTopic:
        return error::InvalidTopic;
    case ProduceError::CorruptBatch:
        return error::CorruptMessage;
    case ProduceError::UnsupportedFormat:
        return error::UnsupportedForMessageFormat; // magic 0/1 message sets
    case ProduceError::InvalidRecords:
        return error::InvalidRecord;
    case ProduceError::MessageTooLarge:
        return error::MessageTooLarge;
    case ProduceError::OffsetLimit:
    case ProduceError::Storage:
        return error::KafkaStorageError;
    case ProduceError::OutOfOrderSequence:
        return error::OutOfOrderSequenceNumber;
    case ProduceError::StaleProducerEpoch:
        return error::InvalidProducerEpoch;
    }
    return error::UnknownServerError;
}

} // namespace

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, ProduceRequest &request)
{
    ProduceOptions options;
    options.autoCreate = m_config.autoCreateTopics;
    options.autoCreatePartitions = m_config.defaultPartitions;
    options.stats = m_stats.get();
    ProduceResponse response;
    for (const auto &topicData : request.topicData) {
        ProduceResponse::TopicProduceResponse t;
        t.name = topicData.name;
        for (const auto &data : topicData.partitionData) {
            ProduceResponse::TopicProduceResponse::PartitionProduceResponse r;
            r.index = data.index;
            const ProduceResult result =
                m_broker.produce(topicData.name, data.index, data.records.toByteArray(), options);
            r.errorCode = errorCode(result.error);
            r.baseOffset = result.baseOffset;
            if (result.error == ProduceError::Storage)
                qWarning("rivulet: kafka produce to %s[%d]: %s", topicData.name.constData(),
                         data.index, qPrintable(result.message));
            if (result.error != ProduceError::None && result.error != ProduceError::UnknownTopic)
                r.errorMessage = result.message.toUtf8();
            r.logStartOffset = result.logStartOffset;
            t.partitionResponses.push_back(std::move(r));
        }
        response.responses.push_back(std::move(t));
    }
    if (request.acks == 0)
        return {Outcome::Kind::NoResponse, {}, {}};
    return call.respond(response);
}

} // namespace rivulet::kafka
