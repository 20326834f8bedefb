// ListOffsets (PROTOCOL.md §15.5): -1 the end (for read_committed, the last stable offset), -2 the
// start, -3 the record with the newest timestamp, or the first record at or after a timestamp.
#include "kafkahandler.h"

#include "broker.h"
#include "log/recordbatch.h"

namespace rivulet::kafka {
namespace {

constexpr std::int64_t kLatest = -1;
constexpr std::int64_t kEarliest = -2;
constexpr std::int64_t kMaxTimestamp = -3;    // v7+
constexpr std::int64_t kEarliestLocal = -4;   // v8+: no tiered storage, so the log start
constexpr std::int64_t kEarliestPending = -5; // v9+: nothing is ever uploaded: none

struct Found
{
    std::int16_t error = error::None;
    std::int64_t timestamp = -1;
    std::int64_t offset = -1;
};

// latest: the end, or for read_committed the last stable offset
Found lookUp(Broker &broker, const Topic &topic, Partition &p, std::int64_t timestamp,
             std::int64_t latest)
{
    Found found;
    if (timestamp == kLatest) {
        found.offset = latest;
        return found;
    }
    if (timestamp == kEarliest || timestamp == kEarliestLocal) {
        found.offset = p.startOffset();
        return found;
    }
    if (timestamp == kEarliestPending)
        return found;
    if (timestamp != kMaxTimestamp) {
        // Kafka's search: the first record whose timestamp is at or after the one asked for
        const Broker::TimestampOffset at =
            broker.offsetForTimestamp(topic.name().toUtf8(), p.index(), timestamp);
        if (at.outcome == Broker::TimestampOffset::Outcome::Found) {
            found.offset = at.offset;
            found.timestamp = at.timestamp;
        } else if (at.outcome == Broker::TimestampOffset::Outcome::StorageError) {
            found.error = error::KafkaStorageError;
        } else if (at.outcome == Broker::TimestampOffset::Outcome::UnknownTopic) {
            found.error = error::UnknownTopicOrPartition; // deleted meanwhile
        }
        return found;
    }
    QString readError;
    {
        // the first record with the largest timestamp; batch headers say where to look
        std::int64_t best = -1;
        p.readBatches(
            p.startOffset(),
            [&](QByteArrayView bytes) {
                const RecordBatchView view(bytes);
                if (view.maxTimestamp() <= best)
                    return true;
                view.forEachRecord(p.startOffset(), [&](const RecordView &r) {
                    if (r.timestamp > best) {
                        best = r.timestamp;
                        found.offset = r.offset;
                        found.timestamp = r.timestamp;
                    }
                    return true;
                });
                return true;
            },
            readError);
    }
    if (!readError.isEmpty())
        found.error = error::KafkaStorageError;
    return found;
}

} // namespace

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, ListOffsetsRequest &request)
{
    ListOffsetsResponse response;
    for (const auto &wanted : request.topics) {
        ListOffsetsResponse::ListOffsetsTopicResponse t;
        t.name = wanted.name;
        const auto topic = m_broker.topics().find(wanted.name);
        for (const auto &wp : wanted.partitions) {
            ListOffsetsResponse::ListOffsetsTopicResponse::ListOffsetsPartitionResponse r;
            r.partitionIndex = wp.partitionIndex;
            Partition *p = topic ? topic->partition(wp.partitionIndex) : nullptr;
            if (!p) {
                r.errorCode = error::UnknownTopicOrPartition;
            } else {
                const std::int64_t latest = request.isolationLevel == 1
                                                ? m_broker.lastStableOffset(*topic, *p)
                                                : p->endOffset();
                const Found found = lookUp(m_broker, *topic, *p, wp.timestamp, latest);
                r.errorCode = found.error;
                r.timestamp = found.timestamp;
                r.offset = found.offset;
                if (found.offset >= 0) {
                    r.leaderEpoch = 0;
                    r.oldStyleOffsets = {found.offset}; // v0
                }
            }
            t.partitions.push_back(std::move(r));
        }
        response.topics.push_back(std::move(t));
    }
    return call.respond(response);
}

} // namespace rivulet::kafka
