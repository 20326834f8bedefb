// Broker::produce(): the one path by which records enter the log, whichever protocol or
// window sent them (DESIGN.md: one produce path).
#include "broker.h"

#include "log/recordbatch.h"
#include "monitor/clientregistry.h"

namespace rivulet {
namespace {

// Kafka's answers to the batches its LogValidator refuses
ProduceError produceErrorOf(RecordBatchView::Check check)
{
    switch (check) {
    case RecordBatchView::Check::BadMagic:
        return ProduceError::UnsupportedFormat;
    case RecordBatchView::Check::BadRecords:
    case RecordBatchView::Check::BadOffsetRange:
        return ProduceError::InvalidRecords;
    case RecordBatchView::Check::TooLarge:
        return ProduceError::MessageTooLarge;
    default:
        return ProduceError::CorruptBatch;
    }
}

// Splits records into batches and checks each; an empty list and an error when any is bad.
std::vector<QByteArrayView> checkedBatches(QByteArrayView records, bool trusted,
                                           ProduceResult &result)
{
    std::vector<QByteArrayView> batches;
    for (qsizetype at = 0; at < records.size();) {
        const auto size =
            RecordBatchView::sizeAt(records.data() + at, std::size_t(records.size() - at));
        if (!size || *size > records.size() - at || *size < batch::kHeaderSize) {
            result.error = ProduceError::CorruptBatch;
            result.message = QStringLiteral("record batch %1 is cut short").arg(batches.size());
            return {};
        }
        const QByteArrayView bytes = records.sliced(at, qsizetype(*size));
        if (!trusted) {
            // Kafka's rule: clients do not write transaction markers, and a batch with a
            // producer id carries sequence numbers
            const RecordBatchView view(bytes);
            const ProducerBatch producer = producerOf(bytes);
            if (view.isControl() || (producer.producerId >= 0 && producer.firstSequence < 0)) {
                result.error = ProduceError::InvalidRecords;
                result.message =
                    view.isControl()
                        ? QStringLiteral("clients may not write control batches")
                        : QStringLiteral("a batch with a producer id needs a sequence");
                return {};
            }
            QString detail;
            const auto check = view.validate(true, &detail);
            if (check != RecordBatchView::Check::Ok) {
                result.error = produceErrorOf(check);
                result.message = QStringLiteral("record batch %1: %2")
                                     .arg(batches.size())
                                     .arg(QLatin1String(RecordBatchView::describe(check)));
                if (!detail.isEmpty())
                    result.message += QStringLiteral(" (%1)").arg(detail);
                return {};
            }
        }
        batches.push_back(bytes);
        at += qsizetype(*size);
    }
    if (batches.empty()) {
        result.error = ProduceError::InvalidRecords;
        result.message = QStringLiteral("the produce carries no record batch");
    }
    return batches;
}

} // namespace

void Broker::appendBatch(const Topic &topic, Partition &partition, QByteArray batch,
                         std::int64_t now, ProduceResult &result)
{
    const ProducerBatch producer = producerOf(batch);
    auto store = [&] {
        const AppendResult appended = partition.append(batch, now);
        if (!appended.ok) {
            result.error = ProduceError::Storage;
            result.message = appended.error;
            return appended;
        }
        if (result.baseOffset < 0)
            result.baseOffset = appended.baseOffset;
        result.lastOffset = appended.lastOffset;
        result.records += appended.lastOffset - appended.baseOffset + 1;
        return appended;
    };
    if (producer.producerId < 0) {
        store();
        return;
    }
    const auto state = m_producers.of(topic.id(), partition.index());
    std::lock_guard lock(state->mutex());
    state->load(partition);
    PartitionProducers::Remembered original{};
    switch (state->check(producer, original)) {
    case SequenceCheck::Duplicate:
        // a retry of a batch already stored: acknowledged again with its offsets, not stored
        if (result.baseOffset < 0)
            result.baseOffset = original.baseOffset;
        result.lastOffset = original.lastOffset;
        return;
    case SequenceCheck::OutOfOrder:
        result.error = ProduceError::OutOfOrderSequence;
        result.message = QStringLiteral("producer %1: sequence %2 is out of order")
                             .arg(producer.producerId)
                             .arg(producer.firstSequence);
        return;
    case SequenceCheck::StaleEpoch:
        result.error = ProduceError::StaleProducerEpoch;
        result.message = QStringLiteral("producer %1: epoch %2 is older than the current one")
                             .arg(producer.producerId)
                             .arg(producer.epoch);
        return;
    case SequenceCheck::Append:
        break;
    }
    const AppendResult appended = store();
    // remembered even when the fsync failed: the bytes are in the log, and a retry must not
    // store them twice
    if (appended.baseOffset >= 0)
        state->remember(producer, appended.baseOffset, appended.lastOffset);
}

ProduceResult Broker::produce(QByteArrayView topicName, std::int64_t partitionIndex,
                              QByteArray records, const ProduceOptions &options)
{
    ProduceResult result;
    std::shared_ptr<Topic> topic = m_topics.find(topicName);
    if (!topic && options.autoCreate) {
        if (QString problem = topicNameProblem(topicName); !problem.isEmpty()) {
            result.error = ProduceError::InvalidTopic;
            result.message = problem;
            return result;
        }
        topic = createTopic(topicName, options.autoCreatePartitions).topic;
    }
    if (!topic) {
        result.error = ProduceError::UnknownTopic;
        result.message = QStringLiteral("unknown topic");
        return result;
    }
    result.partitionCount = topic->partitionCount();
    Partition *partition = topic->partition(partitionIndex);
    if (!partition) {
        result.error = ProduceError::UnknownPartition;
        result.message = QStringLiteral("topic %1 has no partition %2 (it has %3)")
                             .arg(topic->name())
                             .arg(partitionIndex)
                             .arg(topic->partitionCount());
        return result;
    }
    result.logStartOffset = partition->startOffset();
    // check every batch before storing any, so a bad one stores nothing
    const std::vector<QByteArrayView> batches = checkedBatches(records, options.trusted, result);
    if (batches.empty())
        return result;
    if (options.lastOffsetLimit != std::numeric_limits<std::int64_t>::max()) {
        std::int64_t count = 0;
        for (const QByteArrayView b : batches)
            count += RecordBatchView(b).lastOffsetDelta() + 1;
        if (partition->endOffset() + count - 1 > options.lastOffsetLimit) {
            result.error = ProduceError::OffsetLimit;
            result.message =
                QStringLiteral("partition is past offset %1").arg(options.lastOffsetLimit);
            return result;
        }
    }

    const std::int64_t now = nowMs();
    for (const QByteArrayView bytes : batches) {
        // the log writes the base offset into the batch: a batch that is the whole buffer is
        // stored without a copy
        appendBatch(*topic, *partition,
                    batches.size() == 1 ? std::move(records) : bytes.toByteArray(), now, result);
        if (result.error != ProduceError::None)
            break;
    }
    if (result.records > 0 && options.stats)
        options.stats->noteProduced(topic->name(), int(partitionIndex), result.records);
    return result;
}

} // namespace rivulet
