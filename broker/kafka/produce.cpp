// Produce (PROTOCOL.md §15.3): each partition's batches go through Broker::produce(), the path
// native Produce and the window's injector take too.
#include "kafkahandler.h"

#include "broker.h"
#include "log/bytes.h"
#include "log/recordbatch.h"

#include <algorithm>

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

// A produce whose check costs more than a worker should spend while the other connections
// on it wait: one carrying a compressed batch (checked by inflating it, up to
// --max-message-bytes: 214 ms for a refused 32 MiB gzip bomb), or at least this many bytes
// of records (CRC and record walk over all of them, and the write).
constexpr qsizetype kOffWorkerRecordBytes = qsizetype(1) << 20;

bool slowToCheck(const ProduceRequest &request)
{
    qsizetype total = 0;
    for (const auto &topicData : request.topicData)
        for (const auto &data : topicData.partitionData) {
            const QByteArrayView records = data.records;
            total += records.size();
            // the batch headers' compression bits; a batch cut short is left to produce()
            for (qsizetype at = 0; records.size() - at >= batch::kHeaderSize;) {
                if (be::readI16(records.data() + at + batch::kAttributes) & batch::kCompressionMask)
                    return true;
                const auto size =
                    RecordBatchView::sizeAt(records.data() + at, std::size_t(records.size() - at));
                if (!size || *size < batch::kHeaderSize)
                    break;
                at += qsizetype(std::min<std::int64_t>(*size, records.size() - at));
            }
        }
    return total >= kOffWorkerRecordBytes;
}

// Stores each partition's batches (records[i] holds the i-th partition's, in request order)
// through Broker::produce() and builds the answer. Runs on the worker or off it.
ProduceResponse produceAll(Broker &broker, const ProduceRequest &request,
                           std::vector<QByteArray> records, const ProduceOptions &options)
{
    ProduceResponse response;
    std::size_t i = 0;
    for (const auto &topicData : request.topicData) {
        ProduceResponse::TopicProduceResponse t;
        t.name = topicData.name;
        for (const auto &data : topicData.partitionData) {
            ProduceResponse::TopicProduceResponse::PartitionProduceResponse r;
            r.index = data.index;
            const ProduceResult result =
                broker.produce(topicData.name, data.index, std::move(records[i++]), options);
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
    return response;
}

} // namespace

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, ProduceRequest &request)
{
    ProduceOptions options;
    options.autoCreate = m_config.autoCreateTopics;
    options.autoCreatePartitions = m_config.defaultPartitions;
    options.stats = m_stats.get();
    // the records leave the connection's buffer, which is reused once handle() returns
    std::vector<QByteArray> records;
    for (const auto &topicData : request.topicData)
        for (const auto &data : topicData.partitionData)
            records.push_back(data.records.toByteArray());
    if (!slowToCheck(request)) {
        const ProduceResponse response = produceAll(m_broker, request, std::move(records), options);
        if (request.acks == 0)
            return {Outcome::Kind::NoResponse, {}, {}};
        return call.respond(response);
    }
    // Checked and stored on the broker's pool: the worker goes on serving its other
    // connections meanwhile, and this one, like every Kafka connection, reads its next
    // request only once this answer is out (a null answer under acks=0 just lets it go on),
    // so its answers keep their order. The task holds what it uses: the session, and this
    // handler, may be gone when it finishes (the sink then drops the answer).
    // The copies count against --max-buffered-bytes until they are stored, as the frame did
    // in the connection's buffer: many connections whose produces wait for the pool cannot
    // hold more between them than connections holding unfinished frames could.
    qint64 held = 0;
    for (auto &topicData : request.topicData)
        for (auto &data : topicData.partitionData) {
            held += data.records.size();
            data.records = {}; // views into the frame: the copies above are what is used
        }
    m_broker.buffers().add(held);
    auto stats = m_stats;
    m_broker.runOffWorker([&broker = m_broker, request = std::move(request),
                           records = std::move(records), options, stats, held, header = call.header,
                           sink = call.sink]() mutable {
        const ProduceResponse response = produceAll(broker, request, std::move(records), options);
        broker.buffers().add(-held);
        sink(request.acks == 0 ? QByteArray() : encodeResponse(header, response));
    });
    return {Outcome::Kind::Deferred, {}, {}};
}

} // namespace rivulet::kafka
