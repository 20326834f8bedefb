// Produce, Fetch and ListOffsets: the KafkaHandler functions that touch the log.
#include "kafkahandler.h"

#include "broker.h"
#include "log/recordbatch.h"
#include "monitor/clientregistry.h"

namespace rivulet::kafka {

KafkaHandler::Outcome KafkaHandler::produce(const RequestHeader &h, Reader &in)
{
    if (h.apiVersion >= 3)
        in.nullableString(); // transactional_id
    const std::int16_t acks = in.i16();
    in.i32(); // timeout_ms: appends finish before we answer anyway
    // The whole request is read before anything is stored: a malformed one changes nothing.
    struct PartitionData
    {
        std::int32_t partition;
        QByteArrayView records;
    };
    std::vector<std::pair<QByteArray, std::vector<PartitionData>>> request;
    const std::int32_t topics = in.arrayCount(2 + 4);
    for (std::int32_t t = 0; t < topics && in.ok(); ++t) {
        QByteArray name = in.string();
        std::vector<PartitionData> partitions;
        const std::int32_t count = in.arrayCount(4 + 4);
        for (std::int32_t p = 0; p < count && in.ok(); ++p) {
            const std::int32_t index = in.i32();
            partitions.push_back({index, in.bytes()});
        }
        request.emplace_back(std::move(name), std::move(partitions));
    }
    if (!in.ok())
        return {};

    struct PartitionResult
    {
        std::int32_t partition;
        std::int16_t error;
        std::int64_t baseOffset;
    };
    const std::int64_t now = Broker::nowMs();
    QByteArray out = begin(h);
    Writer w(out);
    w.array(std::int32_t(request.size()));
    for (const auto &[name, partitions] : request) {
        std::int16_t topicError = 0;
        const auto topic = topicFor(name, true, topicError);
        w.string(name).array(std::int32_t(partitions.size()));
        for (const PartitionData &data : partitions) {
            PartitionResult r{data.partition, topicError, -1};
            Partition *partition = topic ? topic->partition(data.partition) : nullptr;
            if (topic && !partition)
                r.error = error::UnknownTopicOrPartition;
            // check every batch before storing any, so a bad one stores nothing
            std::vector<QByteArrayView> batches;
            const QByteArrayView records = data.records;
            for (qsizetype at = 0; partition && r.error == 0 && at < records.size();) {
                const auto size =
                    RecordBatchView::sizeAt(records.data() + at, std::size_t(records.size() - at));
                if (!size || *size > records.size() - at || *size < batch::kHeaderSize) {
                    r.error = error::CorruptMessage;
                    break;
                }
                const QByteArrayView bytes = records.sliced(at, qsizetype(*size));
                const auto check = RecordBatchView(bytes).validate(true);
                if (check == RecordBatchView::Check::BadMagic)
                    r.error = error::UnsupportedForMessageFormat; // magic 0/1 message sets
                else if (check == RecordBatchView::Check::BadRecords)
                    r.error = error::InvalidRecord;
                else if (check != RecordBatchView::Check::Ok)
                    r.error = error::CorruptMessage;
                batches.push_back(bytes);
                at += qsizetype(*size);
            }
            if (partition && r.error == 0 && batches.empty())
                r.error = error::InvalidRecord;
            std::int64_t stored = 0;
            for (std::size_t b = 0; partition && r.error == 0 && b < batches.size(); ++b) {
                QByteArray copy = batches[b].toByteArray();
                const AppendResult appended = partition->append(copy, now);
                if (!appended.ok) {
                    r.error = error::KafkaStorageError;
                    qWarning("rivulet: kafka produce to %s[%d]: %s", name.constData(),
                             data.partition, qPrintable(appended.error));
                    break;
                }
                if (r.baseOffset < 0)
                    r.baseOffset = appended.baseOffset;
                stored += appended.lastOffset - appended.baseOffset + 1;
            }
            if (stored > 0)
                m_stats->noteProduced(topic->name(), data.partition, stored);
            w.i32(r.partition).i16(r.error).i64(r.baseOffset);
            if (h.apiVersion >= 2)
                w.i64(-1); // log_append_time: records keep their CreateTime
        }
    }
    if (h.apiVersion >= 1)
        w.i32(0); // throttle_time_ms
    if (acks == 0)
        return {Outcome::Kind::NoResponse, {}, {}};
    return {Outcome::Kind::Respond, out, {}};
}

KafkaHandler::Outcome KafkaHandler::fetch(const RequestHeader &h, Reader &in)
{
    auto f = std::make_unique<PendingFetch>();
    f->header = h;
    in.i32(); // replica_id
    const std::int32_t maxWait = in.i32();
    f->minBytes = in.i32();
    f->maxBytes = in.i32();
    in.i8(); // isolation_level: there are no transactions, so both levels read the same
    const std::int32_t topics = in.arrayCount(2 + 4);
    for (std::int32_t t = 0; t < topics && in.ok(); ++t) {
        FetchTopic topic;
        topic.name = in.string();
        const std::int32_t count = in.arrayCount(4 + 8 + 4);
        for (std::int32_t p = 0; p < count && in.ok(); ++p) {
            FetchPartition fp;
            fp.partition = in.i32();
            fp.offset = in.i64();
            fp.maxBytes = in.i32();
            topic.partitions.push_back(fp);
        }
        f->topics.push_back(std::move(topic));
    }
    if (!in.ok())
        return {};
    std::int64_t bytes = 0;
    bool anyError = false;
    QByteArray out = buildFetch(*f, bytes, anyError);
    if (anyError || bytes >= std::max(1, f->minBytes) || maxWait <= 0)
        return {Outcome::Kind::Respond, out, {}};
    f->deadlineMs = Broker::nowMs() + maxWait;
    m_pendingFetch = std::move(f);
    return {Outcome::Kind::WaitForData, {}, {}};
}

std::optional<QByteArray> KafkaHandler::retryFetch(std::int64_t nowMs)
{
    if (!m_pendingFetch)
        return std::nullopt;
    // cheap check first: has any requested partition grown past its fetch offset?
    bool grown = false;
    for (const FetchTopic &t : m_pendingFetch->topics) {
        const auto topic = m_broker.topics().find(t.name);
        for (const FetchPartition &fp : t.partitions) {
            const Partition *p = topic ? topic->partition(fp.partition) : nullptr;
            grown = grown || !p || p->endOffset() > fp.offset;
        }
    }
    if (!grown && nowMs < m_pendingFetch->deadlineMs)
        return std::nullopt;
    std::int64_t bytes = 0;
    bool anyError = false;
    QByteArray out = buildFetch(*m_pendingFetch, bytes, anyError);
    if (!anyError && bytes < std::max(1, m_pendingFetch->minBytes) &&
        nowMs < m_pendingFetch->deadlineMs)
        return std::nullopt;
    m_pendingFetch.reset();
    return out;
}

QByteArray KafkaHandler::buildFetch(const PendingFetch &f, std::int64_t &recordBytes,
                                    bool &anyError)
{
    QByteArray out = begin(f.header);
    Writer w(out);
    w.i32(0); // throttle_time_ms
    w.array(std::int32_t(f.topics.size()));
    recordBytes = 0;
    anyError = false;
    for (const FetchTopic &t : f.topics) {
        w.string(t.name).array(std::int32_t(t.partitions.size()));
        const auto topic = m_broker.topics().find(t.name);
        for (const FetchPartition &fp : t.partitions) {
            Partition *p = topic ? topic->partition(fp.partition) : nullptr;
            if (!p) {
                anyError = true;
                w.i32(fp.partition).i16(error::UnknownTopicOrPartition).i64(-1).i64(-1);
                w.array(0).i32(0);
                continue;
            }
            const std::int64_t end = p->endOffset();
            const std::int64_t start = p->startOffset();
            if (fp.offset < start || fp.offset > end) {
                anyError = true;
                w.i32(fp.partition).i16(error::OffsetOutOfRange).i64(end).i64(end);
                w.array(0).i32(0);
                continue;
            }
            w.i32(fp.partition);
            const qsizetype errorAt = out.size();
            w.i16(error::None).i64(end).i64(end); // last stable offset = high watermark
            w.array(0);                           // aborted transactions
            const qsizetype sizeAt = w.reserveI32();
            const qsizetype dataStart = out.size();
            if (fp.offset < end) {
                // whole batches from the one holding fetch_offset; at least one batch
                // even when it is larger than the limits, or the consumer would be stuck
                const std::int64_t partitionLimit = fp.maxBytes;
                QString readError;
                const bool ok = p->readBatches(
                    fp.offset,
                    [&](QByteArrayView batch) {
                        const std::int64_t taken = out.size() - dataStart;
                        if (taken > 0 && (taken + batch.size() > partitionLimit ||
                                          recordBytes + batch.size() > f.maxBytes))
                            return false;
                        out.append(batch.data(), batch.size());
                        recordBytes += batch.size();
                        return true;
                    },
                    readError);
                if (!ok) {
                    qWarning("rivulet: kafka fetch %s[%d]: %s", t.name.constData(), fp.partition,
                             qPrintable(readError));
                    out.truncate(dataStart);
                    anyError = true;
                    // the stored data is damaged: a storage error, like Kafka's
                    out[errorAt] = 0;
                    out[errorAt + 1] = char(error::KafkaStorageError);
                }
            }
            w.patchI32(sizeAt, std::int32_t(out.size() - dataStart));
            if (out.size() > dataStart && topic) {
                std::int64_t records = 0;
                for (qsizetype at = dataStart; at < out.size();) {
                    const RecordBatchView view(
                        QByteArrayView(out.constData() + at, out.size() - at));
                    const auto size = *RecordBatchView::sizeAt(out.constData() + at,
                                                               std::size_t(out.size() - at));
                    records += view.lastOffset() - std::max(view.baseOffset(), fp.offset) + 1;
                    at += qsizetype(size);
                }
                p->noteDelivered(records, out.size() - dataStart);
                m_stats->noteConsumed(topic->name(), fp.partition, records);
            }
        }
    }
    return out;
}

QByteArray KafkaHandler::listOffsets(const RequestHeader &h, Reader &in)
{
    in.i32(); // replica_id
    if (h.apiVersion >= 2)
        in.i8(); // isolation_level
    QByteArray out = begin(h);
    Writer w(out);
    if (h.apiVersion >= 2)
        w.i32(0);
    const std::int32_t topics = in.arrayCount(2 + 4);
    w.array(topics);
    for (std::int32_t t = 0; t < topics && in.ok(); ++t) {
        const QByteArray name = in.string();
        const auto topic = m_broker.topics().find(name);
        const std::int32_t count = in.arrayCount(h.apiVersion == 0 ? 16 : 12);
        w.string(name).array(count);
        for (std::int32_t i = 0; i < count && in.ok(); ++i) {
            const std::int32_t index = in.i32();
            const std::int64_t timestamp = in.i64();
            if (h.apiVersion == 0)
                in.i32(); // max_num_offsets
            Partition *p = topic ? topic->partition(index) : nullptr;
            std::int16_t code = p ? error::None : error::UnknownTopicOrPartition;
            std::int64_t offset = -1;
            std::int64_t foundTimestamp = -1;
            if (p && timestamp == -1) {
                offset = p->endOffset();
            } else if (p && timestamp == -2) {
                offset = p->startOffset();
            } else if (p) {
                // Kafka's search: the first record whose timestamp is at or after the one
                // asked for; batches whose newest record is older are skipped unopened
                QString readError;
                p->readBatches(
                    p->startOffset(),
                    [&](QByteArrayView bytes) {
                        const RecordBatchView view(bytes);
                        if (view.maxTimestamp() < timestamp)
                            return true;
                        view.forEachRecord(p->startOffset(), [&](const RecordView &r) {
                            if (r.timestamp < timestamp)
                                return true;
                            offset = r.offset;
                            foundTimestamp = r.timestamp;
                            return false;
                        });
                        return offset < 0;
                    },
                    readError);
                if (!readError.isEmpty())
                    code = error::KafkaStorageError;
            }
            w.i32(index).i16(code);
            if (h.apiVersion == 0) {
                if (offset >= 0)
                    w.array(1).i64(offset);
                else
                    w.array(0);
            } else {
                w.i64(foundTimestamp).i64(offset);
            }
        }
    }
    return out;
}

} // namespace rivulet::kafka
