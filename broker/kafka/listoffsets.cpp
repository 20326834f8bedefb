// ListOffsets (PROTOCOL.md §15.5): -1 the end (for read_committed, the last stable offset), -2 the
// start, -3 the record with the newest timestamp, or the first record at or after a timestamp.
#include "kafkahandler.h"

#include "broker.h"

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
Found lookUp(Partition &p, std::int64_t timestamp, std::int64_t latest)
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
    // the search the message browser's seek by time uses too (broker/read.cpp)
    static_assert(kMaxTimestamp == TimestampLookup::kNewestTimestamp);
    const TimestampLookup lookup = lookUpTimestamp(p, timestamp);
    found.offset = lookup.offset;
    found.timestamp = lookup.timestamp;
    if (!lookup.error.isEmpty())
        found.error = error::KafkaStorageError;
    return found;
}

// Whether the request searches by timestamp: that reads the records of the batches it looks
// at, decompressing compressed ones, which is not done on a connection's worker thread.
bool searchesRecords(const ListOffsetsRequest &request)
{
    for (const auto &wanted : request.topics)
        for (const auto &wp : wanted.partitions)
            if (wp.timestamp >= 0 || wp.timestamp == kMaxTimestamp)
                return true;
    return false;
}

ListOffsetsResponse listOffsets(Broker &broker, const ListOffsetsRequest &request)
{
    ListOffsetsResponse response;
    for (const auto &wanted : request.topics) {
        ListOffsetsResponse::ListOffsetsTopicResponse t;
        t.name = wanted.name;
        const auto topic = broker.topics().find(wanted.name);
        for (const auto &wp : wanted.partitions) {
            ListOffsetsResponse::ListOffsetsTopicResponse::ListOffsetsPartitionResponse r;
            r.partitionIndex = wp.partitionIndex;
            Partition *p = topic ? topic->partition(wp.partitionIndex) : nullptr;
            if (!p) {
                r.errorCode = error::UnknownTopicOrPartition;
            } else {
                const std::int64_t latest = request.isolationLevel == 1
                                                ? broker.lastStableOffset(*topic, *p)
                                                : p->endOffset();
                const Found found = lookUp(*p, wp.timestamp, latest);
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
    return response;
}

} // namespace

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, ListOffsetsRequest &request)
{
    if (!searchesRecords(request))
        return call.respond(listOffsets(m_broker, request));
    // answered from the broker's pool, as a compressed Produce is (produce.cpp); the
    // connection reads its next request once this answer is out
    m_broker.runOffWorker(
        [&broker = m_broker, request = std::move(request), header = call.header, sink = call.sink] {
            sink(encodeResponse(header, listOffsets(broker, request)));
        });
    return {Outcome::Kind::Deferred, {}, {}};
}

} // namespace rivulet::kafka
