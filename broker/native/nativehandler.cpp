#include "nativehandler.h"

#include "broker.h"
#include "log/recordbatch.h"
#include "monitor/snapshot.h"
#include "replies.h"

#include <limits>
#include <optional>

namespace rivulet::native {
namespace {

constexpr std::int64_t kMaxSeedOffset = std::numeric_limits<std::uint32_t>::max();

QString quoted(QByteArrayView bytes)
{
    return QStringLiteral("\"%1\"").arg(
        QString::fromUtf8(bytes.first(std::min<qsizetype>(bytes.size(), 256))));
}

} // namespace

NativeHandler::NativeHandler(Broker &broker, QByteArray peer, std::shared_ptr<ClientStats> stats)
    : m_broker(broker), m_peer(std::move(peer)),
      m_stats(stats ? std::move(stats) : std::make_shared<ClientStats>(QString(), QString(), 0))
{
}

NativeHandler::Outcome NativeHandler::handle(const Request &r, QByteArray &out, qint64 replyRoom,
                                             bool mayDecompress)
{
    if (std::size_t(r.consumerId.size()) > kMaxConsumerIdBytes && r.action != Action::Quit) {
        error(out, QStringLiteral("consumer_id is longer than %1 bytes").arg(kMaxConsumerIdBytes));
        return Outcome::Continue;
    }
    if (!r.consumerId.isEmpty() && r.consumerId != m_lastConsumerId) {
        m_lastConsumerId = r.consumerId.toByteArray();
        m_stats->noteName(r.consumerId);
    }
    switch (r.action) {
    case Action::Produce:
        produce(r, out);
        break;
    case Action::Consume:
        if (!consume(r, out, replyRoom, mayDecompress))
            return Outcome::OffWorker;
        break;
    case Action::CreateTopic:
        createTopic(r, out);
        break;
    case Action::Quit:
        return Outcome::Close;
    case Action::ListTopics:
        listTopics(out);
        break;
    case Action::ListConsumers:
        listConsumers(out);
        break;
    case Action::DeleteTopic:
        deleteTopic(r, out);
        break;
    case Action::SetRetention:
        setRetention(r, out);
        break;
    case Action::SetOptions:
        m_options = r.options;
        appendEmpty(out);
        break;
    }
    return Outcome::Continue;
}

void NativeHandler::refuse(const QString &why, QByteArray &out)
{
    error(out, why);
}

void NativeHandler::error(QByteArray &out, const QString &why)
{
    appendError(out);
    if (m_options & kOptionErrorText)
        appendErrorText(out, why.toUtf8());
    appendEmpty(out);
}

Partition *NativeHandler::find(const Request &r, std::shared_ptr<Topic> &topic, QByteArray &out)
{
    topic = m_broker.topics().find(r.topic);
    if (!topic) {
        error(out, QStringLiteral("unknown topic %1").arg(quoted(r.topic)));
        return nullptr;
    }
    Partition *partition = topic->partition(r.partition);
    if (!partition)
        error(out, QStringLiteral("topic %1 has no partition %2 (it has %3)")
                       .arg(topic->name())
                       .arg(r.partition)
                       .arg(topic->partitionCount()));
    return partition;
}

void NativeHandler::produce(const Request &r, QByteArray &out)
{
    if (r.count == 0) {
        // the partition is checked first, as before the produce path was shared
        std::shared_ptr<Topic> topic;
        if (find(r, topic, out))
            error(out, QStringLiteral("produce carries no values"));
        return;
    }
    RecordBatchBuilder builder(Broker::nowMs(), int(r.count), std::size_t(r.values.size()));
    ValueIterator values(r.values);
    QByteArrayView value;
    while (values.next(value))
        builder.append(value);
    ProduceOptions options;
    options.trusted = true;
    options.lastOffsetLimit = kMaxSeedOffset;
    options.stats = m_stats.get();
    const ProduceResult result = m_broker.produce(r.topic, r.partition, builder.finish(), options);
    switch (result.error) {
    case ProduceError::None:
        break;
    case ProduceError::UnknownTopic:
        return error(out, QStringLiteral("unknown topic %1").arg(quoted(r.topic)));
    case ProduceError::OffsetLimit:
        return error(out, QStringLiteral("partition is past the native protocol's 32-bit offsets; "
                                         "use the Kafka protocol"));
    default:
        return error(out, result.message);
    }
    m_recordsIn += r.count;
    appendOffset(out, std::uint32_t(result.lastOffset));
    appendEmpty(out);
}

bool NativeHandler::consume(const Request &r, QByteArray &out, qint64 replyRoom, bool mayDecompress)
{
    std::shared_ptr<Topic> topic;
    Partition *partition = find(r, topic, out);
    if (!partition)
        return true;

    auto gone = [&] {
        return partition->startOffset() > std::int64_t(r.offset)
                   ? QStringLiteral("offset %1 of %2[%3] is gone (deleted by retention or "
                                    "DeleteRecords); the partition now starts at offset %4")
                         .arg(r.offset)
                         .arg(topic->name())
                         .arg(r.partition)
                         .arg(partition->startOffset())
                   : QString();
    };
    if (const QString why = gone(); !why.isEmpty()) {
        error(out, why);
        return true;
    }
    if (m_broker.config().seedCompat && std::int64_t(r.offset) >= partition->endOffset())
        return seedCompatEnd(*topic, *partition, r, out, mayDecompress);
    // A reply stops growing at the request bound, or sooner at the room the connection has
    // for queued replies, so neither a huge limit nor many pipelined Consumes can exhaust
    // memory; the client simply asks again from the next offset.
    const qsizetype start = out.size();
    const auto maxReply = qsizetype(std::min<qint64>(qint64(m_broker.config().maxRequestBytes),
                                                     std::max<qint64>(replyRoom, 1)));
    std::int64_t next = r.offset;
    const int limit = int(std::min<std::uint32_t>(r.limit, std::numeric_limits<int>::max()));
    // On a worker the read stops before a compressed batch: what came before it is the
    // answer (the client asks again from there), and a Consume that starts at one is
    // answered off the worker.
    const ReadOutcome read = partition->readRecords(
        r.offset, limit,
        [&](const RecordView &record) {
            appendContent(out, std::uint32_t(record.offset), record.value);
            next = record.offset + 1;
            return out.size() - start < maxReply;
        },
        mayDecompress);
    if (read.compressedAhead && read.records == 0 && read.error.isEmpty()) {
        out.truncate(start);
        return false;
    }
    if (!read.error.isEmpty()) {
        // never a partial answer built on damaged data
        out.truncate(start);
        qWarning("rivulet: %s[%u]: %s", qPrintable(topic->name()), r.partition,
                 qPrintable(read.error));
        error(out, read.error);
        return true;
    }
    // retention may have run between the check above and the read: nothing read and the
    // start now past the offset asked for is the same refusal, not an empty answer
    if (const QString why = read.records == 0 ? gone() : QString(); !why.isEmpty()) {
        out.truncate(start);
        error(out, why);
        return true;
    }
    finishConsume(*topic, *partition, r, {next, read.records, out.size() - start}, out);
    return true;
}

void NativeHandler::finishConsume(const Topic &topic, Partition &partition, const Request &r,
                                  const Delivered &delivered, QByteArray &out)
{
    partition.noteDelivered(delivered.records, delivered.bytes);
    appendEmpty(out);
    m_recordsOut += delivered.records;
    if (delivered.records > 0)
        m_stats->noteConsumed(topic.name(), int(r.partition), delivered.records);
    const bool anonymous = r.consumerId.isEmpty();
    m_broker.notePosition(topic, partition, anonymous ? m_peer : r.consumerId, delivered.next,
                          delivered.records, anonymous);
}

bool NativeHandler::seedCompatEnd(const Topic &topic, Partition &partition, const Request &r,
                                  QByteArray &out, bool mayDecompress)
{
    // The original broker clamped the start of the range it sent to its last stored value and
    // numbered what it sent from the offset asked for. Its last record here is the newest one
    // anybody produced: transaction markers are stepped over, as in every native reply. The
    // walk back is bounded so a partition whose tail is all markers costs little.
    constexpr int kMostMarkersSkipped = 1024;
    const std::int64_t logStart = partition.startOffset();
    const std::int64_t end = partition.endOffset();
    std::optional<QByteArray> last;
    for (std::int64_t at = end - 1; !last && at >= logStart && at >= end - kMostMarkersSkipped;
         --at) {
        const ReadOutcome read = partition.readRecords(
            at, 1,
            [&](const RecordView &record) {
                if (record.offset == at)
                    last = QByteArray(record.value.data(), record.value.size());
                return false;
            },
            mayDecompress);
        if (read.compressedAhead)
            return false; // the last record is in a compressed batch: answered off the worker
        if (!read.error.isEmpty()) {
            error(out, read.error);
            return true;
        }
    }
    if (!last) {
        finishConsume(topic, partition, r, {std::int64_t(r.offset), 0, 0}, out);
        return true;
    }
    const qsizetype start = out.size();
    appendContent(out, r.offset, *last);
    // the position is the end: everything there is has been read
    finishConsume(topic, partition, r, {end, 1, out.size() - start}, out);
    return true;
}

void NativeHandler::createTopic(const Request &r, QByteArray &out)
{
    const auto result = m_broker.createTopic(r.topic, r.count);
    switch (result.outcome) {
    case TopicRegistry::CreateOutcome::Created:
    case TopicRegistry::CreateOutcome::AlreadyExists:
        appendEmpty(out);
        return;
    case TopicRegistry::CreateOutcome::Conflict:
    case TopicRegistry::CreateOutcome::Invalid:
        error(out, result.error);
        return;
    }
}

void NativeHandler::deleteTopic(const Request &r, QByteArray &out)
{
    QString why;
    if (!m_broker.deleteTopic(r.topic, why))
        return error(out, why);
    appendEmpty(out);
}

void NativeHandler::setRetention(const Request &r, QByteArray &out)
{
    if (r.retentionMs < -1 || r.retentionBytes < -1)
        return error(out, QStringLiteral("retention must be -1 (keep everything) or >= 0"));
    QString why;
    if (!m_broker.setRetention(r.topic, {r.retentionMs, r.retentionBytes}, why))
        return error(out, why);
    appendEmpty(out);
}

void NativeHandler::listTopics(QByteArray &out)
{
    const BrokerSnapshot snapshot = takeSnapshot(m_broker.topics(), Broker::nowMs());
    for (const TopicSnapshot &t : snapshot.topics) {
        const QByteArray name = t.name.toLatin1();
        for (const PartitionSnapshot &p : t.partitions)
            appendTopicPartition(
                out, {name, std::uint32_t(p.partition), std::uint64_t(p.stats.startOffset),
                      std::uint64_t(p.stats.endOffset), std::uint64_t(p.stats.sizeBytes),
                      std::uint64_t(p.stats.lastAppendMs)});
    }
    appendEmpty(out);
}

void NativeHandler::listConsumers(QByteArray &out)
{
    const BrokerSnapshot snapshot = takeSnapshot(m_broker.topics(), Broker::nowMs());
    for (const TopicSnapshot &t : snapshot.topics) {
        const QByteArray name = t.name.toLatin1();
        for (const PartitionSnapshot &p : t.partitions)
            for (const ConsumerPosition &c : p.consumers)
                appendConsumerPosition(
                    out, {c.consumer, name, std::uint32_t(p.partition), std::uint64_t(c.nextOffset),
                          std::uint64_t(p.stats.endOffset), std::uint64_t(c.delivered),
                          std::uint64_t(c.lastSeenMs)});
    }
    appendEmpty(out);
}

} // namespace rivulet::native
