// Fetch (PROTOCOL.md §15.4): whole stored batches from the one holding fetch_offset, held
// until there is data or max_wait_ms is over. The answer's records stay within max_bytes,
// each partition's within partition_max_bytes, and both within the broker's fetchMaxBytes
// and the connection's room for replies; as in Kafka, the first batch of the first partition
// with data is given even when it is larger, so that a consumer always makes progress. A
// partition named more than once is answered once. Sessionless: a client asking for a fetch
// session is answered with session id 0 ("no session"), as a Kafka broker whose session cache
// is full answers, and goes on sending full fetches.
#include "kafkahandler.h"

#include <algorithm>

#include "broker.h"
#include "log/recordbatch.h"
#include "monitor/clientregistry.h"

namespace rivulet::kafka {

std::shared_ptr<rivulet::Topic> KafkaHandler::current(const PendingFetch::Topic &t) const
{
    return t.id.isNull() ? m_broker.topics().find(t.name) : m_broker.topics().find(t.id);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, FetchRequest &request)
{
    auto f = std::make_unique<PendingFetch>();
    f->header = call.header;
    f->minBytes = request.minBytes;
    f->maxBytes = std::int32_t(
        std::clamp<qint64>(std::min<qint64>({qint64(request.maxBytes),
                                             qint64(m_broker.config().fetchMaxBytes), m_replyRoom}),
                           0, std::numeric_limits<std::int32_t>::max()));
    f->readCommitted = request.isolationLevel == 1;
    // session id 0 with epoch 0 (new session) or -1 (none): a full fetch; any other id names
    // a session this broker never created
    if (call.version() >= 7 && request.sessionId != 0)
        f->sessionError = error::FetchSessionIdNotFound;
    for (auto &wanted : request.topics) {
        // a topic named twice is one topic, and a partition named twice is answered once
        // (the first time it is named): a small request cannot ask for a huge answer
        const bool byId = call.version() >= 13;
        auto same = std::find_if(f->topics.begin(), f->topics.end(), [&](const auto &t) {
            return byId ? t.id == wanted.topicId : t.name == wanted.topic;
        });
        if (same == f->topics.end()) {
            PendingFetch::Topic t;
            if (byId)
                t.id = wanted.topicId;
            else
                t.name = wanted.topic;
            f->topics.push_back(std::move(t));
            same = f->topics.end() - 1;
        }
        for (auto &fp : wanted.partitions) {
            const bool named =
                std::any_of(same->partitions.begin(), same->partitions.end(),
                            [&](const auto &known) { return known.partition == fp.partition; });
            if (!named)
                same->partitions.push_back(std::move(fp));
        }
    }
    if (auto answer = answerFetch(*f, Broker::nowMs(), request.maxWaitMs <= 0))
        return {Outcome::Kind::Respond, *answer, {}};
    f->deadlineMs = Broker::nowMs() + request.maxWaitMs;
    m_pendingFetch = std::move(f);
    return {Outcome::Kind::WaitForData, {}, {}};
}

std::optional<QByteArray> KafkaHandler::retryFetch(std::int64_t nowMs)
{
    if (!m_pendingFetch)
        return std::nullopt;
    // cheap check first: has any requested partition grown past its fetch offset?
    bool grown = false;
    for (const PendingFetch::Topic &t : m_pendingFetch->topics) {
        for (const auto &fp : t.partitions) {
            const auto topic = current(t);
            const Partition *p = topic ? topic->partition(fp.partition) : nullptr;
            grown = grown || !p || p->endOffset() > fp.fetchOffset;
        }
    }
    const bool final = nowMs >= m_pendingFetch->deadlineMs;
    if (!grown && !final)
        return std::nullopt;
    auto answer = answerFetch(*m_pendingFetch, nowMs, final);
    if (answer)
        m_pendingFetch.reset();
    return answer;
}

std::optional<QByteArray> KafkaHandler::answerFetch(PendingFetch &f, std::int64_t, bool final)
{
    FetchResponse response;
    response.errorCode = f.sessionError;
    std::int64_t recordBytes = 0;
    // Kafka's rule: the first batch of the first partition with data may pass the limits
    bool minOneBatch = true;
    bool anyError = f.sessionError != error::None;
    struct Delivered
    {
        Partition *partition;
        std::shared_ptr<rivulet::Topic> topic;
        std::int32_t index;
        std::int64_t records;
        std::int64_t bytes;
    };
    std::vector<Delivered> delivered; // counted only once the answer goes
    for (const PendingFetch::Topic &t : f.topics) {
        if (anyError && f.sessionError != error::None)
            break;
        FetchResponse::FetchableTopicResponse out;
        out.topic = t.name;
        out.topicId = t.id;
        // looked up on every try: a topic deleted (or grown) while the Fetch waits is seen
        const std::shared_ptr<rivulet::Topic> topic = current(t);
        for (const auto &fp : t.partitions) {
            FetchResponse::FetchableTopicResponse::PartitionData pd;
            pd.partitionIndex = fp.partition;
            pd.abortedTransactions.emplace(); // never null: some clients trip over it
            Partition *p = topic ? topic->partition(fp.partition) : nullptr;
            if (!p) {
                anyError = true;
                pd.errorCode = !topic && f.header.apiVersion >= 13 ? error::UnknownTopicId
                                                                   : error::UnknownTopicOrPartition;
                pd.highWatermark = -1;
                pd.lastStableOffset = -1;
                out.partitions.push_back(std::move(pd));
                continue;
            }
            const std::int64_t end = p->endOffset();
            const std::int64_t start = p->startOffset();
            const std::int64_t stable = m_broker.lastStableOffset(*topic, *p);
            pd.highWatermark = end;
            pd.lastStableOffset = stable;
            pd.logStartOffset = start;
            // read_committed reads up to the last stable offset, read_uncommitted to the end
            const std::int64_t limit = f.readCommitted ? stable : end;
            if (fp.fetchOffset < start || fp.fetchOffset > end) {
                anyError = true;
                pd.errorCode = error::OffsetOutOfRange;
                out.partitions.push_back(std::move(pd));
                continue;
            }
            // what this partition may carry: its own maximum, within what is left overall
            const std::int64_t partitionLimit =
                std::min<std::int64_t>(fp.partitionMaxBytes, f.maxBytes - recordBytes);
            if (fp.fetchOffset < limit && (partitionLimit > 0 || minOneBatch)) {
                // whole batches from the one holding fetch_offset; at least one batch even
                // when it is larger than the limits, or the consumer would be stuck
                QString readError;
                std::int64_t records = 0;
                std::int64_t lastTaken = -1;
                const bool ok = p->readBatches(
                    fp.fetchOffset,
                    [&](QByteArrayView batch) {
                        const RecordBatchView view(batch);
                        if (view.baseOffset() >= limit)
                            return false; // an open transaction's records wait for its end
                        const std::int64_t taken = pd.records.size();
                        if (taken + batch.size() > partitionLimit && !(taken == 0 && minOneBatch))
                            return false;
                        pd.records.append(batch.data(), batch.size());
                        recordBytes += batch.size();
                        lastTaken = view.lastOffset();
                        if (!view.isControl()) // markers are not records anyone produced
                            records +=
                                view.lastOffset() - std::max(view.baseOffset(), fp.fetchOffset) + 1;
                        return true;
                    },
                    readError);
                if (!ok) {
                    qWarning("rivulet: kafka fetch %s[%d]: %s", topic->name().toUtf8().constData(),
                             fp.partition, qPrintable(readError));
                    pd.records.clear();
                    anyError = true;
                    // the stored data is damaged: a storage error, like Kafka's
                    pd.errorCode = error::KafkaStorageError;
                } else {
                    if (f.readCommitted && lastTaken >= 0) {
                        // the consumer drops these producers' records up to their abort markers
                        for (const auto &[producerId, first] :
                             m_broker.abortedTransactions(*topic, *p, fp.fetchOffset, lastTaken))
                            pd.abortedTransactions->push_back({producerId, first});
                    }
                    if (!pd.records.isEmpty())
                        minOneBatch = false;
                    if (records > 0)
                        delivered.push_back({p, topic, fp.partition, records, pd.records.size()});
                }
            }
            out.partitions.push_back(std::move(pd));
        }
        response.responses.push_back(std::move(out));
    }
    if (!final && !anyError && recordBytes < std::max(1, f.minBytes))
        return std::nullopt; // not enough yet: wait for more or for max_wait_ms
    for (const Delivered &d : delivered) {
        d.partition->noteDelivered(d.records, d.bytes);
        m_stats->noteConsumed(d.topic->name(), d.index, d.records);
    }
    return encodeResponse(f.header, response);
}

} // namespace rivulet::kafka
