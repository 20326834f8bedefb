// Broker::offsetForTimestamp(): Kafka's search for the first record at or after a time, for
// ListOffsets with a timestamp and for the window's "reset offsets to a time".
#include "broker.h"

#include "log/recordbatch.h"

namespace rivulet {

Broker::TimestampOffset Broker::offsetForTimestamp(QByteArrayView topicName, std::int64_t partition,
                                                   std::int64_t timestampMs)
{
    TimestampOffset found;
    const auto topic = m_topics.find(topicName);
    Partition *p = topic ? topic->partition(partition) : nullptr;
    if (!p) {
        found.error =
            topic ? QStringLiteral("topic %1 has no partition %2").arg(topic->name()).arg(partition)
                  : QStringLiteral("there is no topic %1").arg(QString::fromUtf8(topicName));
        return found;
    }
    // batches whose newest record is older are skipped unopened
    QString readError;
    const std::int64_t start = p->startOffset();
    p->readBatches(
        start,
        [&](QByteArrayView bytes) {
            const RecordBatchView view(bytes);
            if (view.maxTimestamp() < timestampMs)
                return true;
            view.forEachRecord(start, [&](const RecordView &r) {
                if (r.timestamp < timestampMs)
                    return true;
                found.offset = r.offset;
                found.timestamp = r.timestamp;
                return false;
            });
            return found.offset < 0;
        },
        readError);
    if (!readError.isEmpty()) {
        found.outcome = TimestampOffset::Outcome::StorageError;
        found.error = readError;
        found.offset = found.timestamp = -1;
    } else if (found.offset >= 0) {
        found.outcome = TimestampOffset::Outcome::Found;
    } else {
        found.outcome = TimestampOffset::Outcome::AfterNewest;
        found.offset = p->endOffset();
    }
    return found;
}

} // namespace rivulet
