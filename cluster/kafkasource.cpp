#include "kafkasource.h"

#include "kafkaadmin.h"
#include "kafkacluster.h"
#include "rdkafkahandle.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QHash>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

namespace rivulet {
namespace {

using rdkafka::Message;
using rdkafka::PartitionList;

// What every client of the source sets before the user's properties (which win): reconnect
// within a second of a cluster coming back instead of librdkafka's ten.
const QList<std::pair<QByteArray, QByteArray>> kCommonConfig = {
    {"reconnect.backoff.max.ms", "1000"},
};

// The browser's consumer. librdkafka's assign() needs a group.id; this one never joins the
// group, never commits and stores no offsets, so the group is never created on the cluster.
const QList<std::pair<QByteArray, QByteArray>> kReaderConfig = {
    {"client.id", "rivulet-browser"},
    {"group.id", "rivulet-browser"},
    {"enable.auto.commit", "false"},
    {"enable.auto.offset.store", "false"},
    {"enable.partition.eof", "true"},        // the end of a partition is an event, not a wait
    {"auto.offset.reset", "earliest"},       // records deleted under the page: carry on after them
    {"isolation.level", "read_uncommitted"}, // every stored record, as the in-process browser
    {"allow.auto.create.topics", "false"},
    // short long-polls: a Fetch still waiting at a partition's end holds up the next page's
    // (librdkafka sends a broker the next Fetch only when the last one returned)
    {"fetch.wait.max.ms", "10"},
    // A page is small: fetch 64 KB at a time (librdkafka grows it for a bigger record), so
    // that the Fetch still out when a page is done is cheap to wait for and to throw away
    {"fetch.message.max.bytes", "65536"},
    // Prefetch is bounded by bytes alone: once over either bound librdkafka 2.0 stops
    // fetching for a whole second, which a filtered scan of small records would wait for
    {"queued.max.messages.kbytes", "16384"},
    {"queued.min.messages", "10000000"},
};

KafkaSettings withConfig(const KafkaSettings &settings,
                         const QList<std::pair<QByteArray, QByteArray>> &config)
{
    KafkaSettings out = settings;
    out.properties = config + settings.properties;
    return out;
}

DecodedRecord decode(const rd_kafka_message_t &m)
{
    DecodedRecord r;
    r.partition = m.partition;
    r.offset = m.offset;
    rd_kafka_timestamp_type_t type;
    r.timestamp = rd_kafka_message_timestamp(&m, &type);
    r.hasKey = m.key != nullptr;
    if (m.key)
        r.key = QByteArray(static_cast<const char *>(m.key), qsizetype(m.key_len));
    r.hasValue = m.payload != nullptr;
    r.valueSize = std::int64_t(m.len);
    // the whole value for the filter; cut to kMaxValueBytes once it has matched
    if (m.payload)
        r.value = QByteArray(static_cast<const char *>(m.payload), qsizetype(m.len));
    r.size = std::int64_t(m.key_len + m.len);
    for (auto &[name, value] : rdkafka::messageHeaders(&m)) {
        DecodedHeader h{std::move(name), value.value_or(QByteArray()), value.has_value()};
        r.size += h.name.size() + h.value.size();
        r.headers.append(std::move(h));
    }
    return r;
}

} // namespace

struct KafkaSource::Private
{
    KafkaSettings settings;
    QString name;
    std::atomic<int> timeoutMs{kDefaultTimeoutMs};

    std::mutex snapshotMutex;
    std::unique_ptr<KafkaCluster> cluster; // with snapshotMutex

    std::mutex lookupMutex;
    std::unique_ptr<KafkaCluster> lookup; // with lookupMutex

    std::mutex readMutex; // the reader and its events
    rdkafka::Events readerEvents;
    rdkafka::Handle reader;

    mutable std::mutex stateMutex;
    // each partition's end offset when the source first saw it, by topic (recordsIn)
    QHash<QString, std::vector<std::int64_t>> baselines;
    QStringList problems;
    // Why the last snapshot found no broker (or authentication failed); empty once one
    // answers. The browser's and dialogs' calls then fail at once with it instead of each
    // waiting out the request timeout against a cluster known to be down.
    QString unreachable;
    RateHistory rates; // its own lock

    std::unique_ptr<KafkaAdmin> admin; // the write side

    ~Private()
    {
        // The reader never joined its group: nothing to leave, nothing to commit, so no
        // consumer close (which would wait for a coordinator that may be unreachable).
        if (!reader)
            return;
        rd_kafka_t *rk = reader.release();
        rd_kafka_assign(rk, nullptr);
        while (const Message m{rd_kafka_consumer_poll(rk, 0)})
            ; // what is queued holds references the destroy would wait for
        // librdkafka 2.0 may never finish destroying a consumer that asked for the offsets
        // of a topic deleted meanwhile (confluentinc/librdkafka#3007; here: the window
        // browsed a topic that was then deleted), which hung closing the window. Destroy on
        // a thread of its own and leave it behind if it has not finished in a few seconds.
        std::packaged_task<void()> destroy(
            [rk] { rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE); });
        std::future<void> destroyed = destroy.get_future();
        std::thread destroyer(std::move(destroy));
        if (destroyed.wait_for(std::chrono::seconds(5)) == std::future_status::ready) {
            destroyer.join();
        } else {
            qWarning("rivulet: the cluster's reader did not close within 5 s; left behind");
            destroyer.detach();
        }
    }

    // Both with readMutex held.
    RecordPage read(const QByteArray &topic, int partition, const ReadRequest &request,
                    const RecordMatcher &matcher);
    QString readerFailure(rd_kafka_resp_err_t err, const QByteArray &topic, int partition) const;
    QString knownUnreachable() const
    {
        std::lock_guard lock(stateMutex);
        return unreachable;
    }
};

KafkaSource::KafkaSource(std::unique_ptr<Private> d) : d(std::move(d)) {}

KafkaSource::~KafkaSource() = default;

std::unique_ptr<KafkaSource> KafkaSource::open(const KafkaSettings &settings, QString name,
                                               QString &error)
{
    auto d = std::make_unique<Private>();
    d->settings = settings;
    d->name = std::move(name);
    const KafkaSettings common = withConfig(settings, kCommonConfig);
    d->cluster = std::make_unique<KafkaCluster>(common);
    d->lookup = std::make_unique<KafkaCluster>(common);
    if (!d->cluster->open(error) || !d->lookup->open(error))
        return nullptr;
    d->readerEvents.bootstrap = settings.bootstrap;
    d->reader =
        rdkafka::create(RD_KAFKA_CONSUMER, kCommonConfig + kReaderConfig + settings.properties,
                        &d->readerEvents, error);
    if (!d->reader)
        return nullptr;
    d->admin = KafkaAdmin::open(withConfig(settings, kCommonConfig), error);
    if (!d->admin)
        return nullptr;
    return std::unique_ptr<KafkaSource>(new KafkaSource(std::move(d)));
}

void KafkaSource::setTimeoutMs(int timeoutMs)
{
    d->timeoutMs = std::max(1, timeoutMs);
}

int KafkaSource::timeoutMs() const
{
    return d->timeoutMs;
}

SourceInfo KafkaSource::info() const
{
    SourceInfo info;
    info.kind = SourceInfo::Kind::Kafka;
    info.name = d->name;
    info.bootstrap = d->settings.bootstrap;
    return info;
}

bool KafkaSource::snapshot(BrokerSnapshot &snapshot, QString &error)
{
    ClusterDescription description;
    std::vector<GroupSnapshot> groups;
    QStringList problems;
    {
        std::lock_guard lock(d->snapshotMutex);
        bool described = d->cluster->describe(description, d->timeoutMs, error);
        if (described && !d->cluster->describeGroups(groups, problems, d->timeoutMs, error)) {
            error = QStringLiteral("consumer groups: %1").arg(error);
            described = false;
        }
        std::lock_guard state(d->stateMutex);
        d->unreachable = !described && rdkafka::saysUnreachable(error) ? error : QString();
        if (!described)
            return false;
    }
    BrokerSnapshot fresh;
    fresh.takenMs = description.takenMs;
    fresh.topics = std::move(description.topics);
    fresh.brokers = std::move(description.brokers);
    fresh.groups = std::move(groups);
    problems = description.problems + problems;

    std::lock_guard lock(d->stateMutex);
    // recordsIn: end-offset growth since the partition was first seen. A partition whose end
    // went back (its topic deleted and made again) starts counting again from there.
    QHash<QString, std::vector<std::int64_t>> baselines;
    baselines.reserve(qsizetype(fresh.topics.size()));
    for (TopicSnapshot &topic : fresh.topics) {
        std::vector<std::int64_t> base = d->baselines.value(topic.name);
        for (PartitionSnapshot &p : topic.partitions) {
            if (p.partition < 0)
                continue;
            if (std::size_t(p.partition) >= base.size())
                base.resize(std::size_t(p.partition) + 1, -1);
            std::int64_t &first = base[std::size_t(p.partition)];
            if (!p.unavailable.isEmpty()) // offsets unknown this time: no growth to count
                continue;
            if (first < 0 || p.stats.endOffset < first)
                first = p.stats.endOffset;
            p.stats.recordsIn = p.stats.endOffset - first;
        }
        baselines.insert(topic.name, std::move(base));
    }
    d->baselines = std::move(baselines); // topics gone are forgotten
    d->problems = problems;
    if (fresh.takenMs - d->rates.lastSampleMs() >= 1000)
        d->rates.sample(fresh, fresh.takenMs);
    snapshot = std::move(fresh);
    return true;
}

QStringList KafkaSource::lastProblems() const
{
    std::lock_guard lock(d->stateMutex);
    return d->problems;
}

std::vector<RateSample> KafkaSource::totalRates() const
{
    return d->rates.total();
}

std::vector<RateSample> KafkaSource::topicRates(const QString &topic) const
{
    return d->rates.topic(topic);
}

QString KafkaSource::Private::readerFailure(rd_kafka_resp_err_t err, const QByteArray &topic,
                                            int partition) const
{
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
        return QStringLiteral("topic %1 does not exist").arg(QString::fromUtf8(topic));
    if (err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
        return QStringLiteral("topic %1 has no partition %2")
            .arg(QString::fromUtf8(topic))
            .arg(partition);
    return rdkafka::failure(readerEvents, err);
}

RecordPage KafkaSource::Private::read(const QByteArray &topic, int partition,
                                      const ReadRequest &request, const RecordMatcher &matcher)
{
    RecordPage page;
    page.partition = partition;
    page.fromOffset = page.nextOffset = request.fromOffset;
    rd_kafka_t *rk = reader.get();
    const int timeout = timeoutMs;
    const QDeadlineTimer deadline(timeout);
    std::int64_t low = 0, high = 0;
    rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(rk, topic.constData(), partition, &low, &high, timeout);
    rd_kafka_poll(rk, 0); // the error events that say why
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        page.error = readerFailure(err, topic, partition);
        return page;
    }
    page.startOffset = low;
    page.endOffset = high;
    page.fromOffset = page.nextOffset = std::max(request.fromOffset, low);
    if (request.maxRecords <= 0 || page.fromOffset >= high)
        return page;

    PartitionList assignment(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(assignment.get(), topic.constData(), partition)->offset =
        page.fromOffset;
    err = rd_kafka_assign(rk, assignment.get());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        page.error = readerFailure(err, topic, partition);
        return page;
    }
    const bool everything = matcher.matchesEverything();
    QElapsedTimer sinceFirst; // a filtered read's budget starts with its first record
    while (page.records.size() < request.maxRecords && page.nextOffset < page.endOffset) {
        qint64 wait = deadline.remainingTime();
        if (!everything && sinceFirst.isValid())
            wait = std::min<qint64>(wait, request.timeBudgetMs - sinceFirst.elapsed());
        if (wait <= 0)
            break;
        const Message m(rd_kafka_consumer_poll(rk, int(wait)));
        if (!m)
            continue; // the loop's condition checks the time
        if (m->rkt && (QByteArrayView(rd_kafka_topic_name(m->rkt)) != QByteArrayView(topic) ||
                       m->partition != partition))
            continue; // not this assignment's (none should come)
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            // the end, past any transaction markers that gave no record
            if (m->offset >= page.nextOffset) {
                page.nextOffset = m->offset;
                page.endOffset = std::max(page.endOffset, m->offset);
                break;
            }
            continue;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            const QString why = QString::fromUtf8(rd_kafka_message_errstr(m.get()));
            page.error =
                rdkafka::isUnreachable(m->err) ? readerFailure(m->err, topic, partition) : why;
            break;
        }
        if (m->offset < page.nextOffset)
            continue; // an earlier page's, fetched before this assignment
        if (!sinceFirst.isValid())
            sinceFirst.start();
        ++page.scanned;
        page.nextOffset = m->offset + 1;
        page.endOffset = std::max(page.endOffset, page.nextOffset);
        DecodedRecord record = decode(*m);
        if (!matcher.matches(record))
            continue;
        if (record.value.size() > DecodedRecord::kMaxValueBytes)
            record.value = record.value.left(DecodedRecord::kMaxValueBytes);
        page.records.append(std::move(record));
    }
    rd_kafka_poll(rk, 0);
    if (page.error.isEmpty() && page.scanned == 0 && page.nextOffset < page.endOffset &&
        deadline.hasExpired())
        page.error = QStringLiteral("no records from %1 partition %2 within %3 s: %4")
                         .arg(QString::fromUtf8(topic))
                         .arg(partition)
                         .arg(double(timeout) / 1000.0)
                         .arg(rdkafka::failure(readerEvents, RD_KAFKA_RESP_ERR__TIMED_OUT));
    // stop fetching until the next page: the consumer would otherwise prefetch on its own
    rd_kafka_assign(rk, nullptr);
    return page;
}

RecordPage KafkaSource::readRecords(QByteArrayView topic, int partition, const ReadRequest &request)
{
    const RecordMatcher matcher(request.filter);
    // a filter that cannot match, or a cluster known to be down: an empty page saying why
    QString refused = matcher.problem();
    if (refused.isEmpty())
        refused = d->knownUnreachable();
    if (!refused.isEmpty()) {
        RecordPage page;
        page.partition = partition;
        page.fromOffset = page.nextOffset = request.fromOffset;
        page.error = std::move(refused);
        return page;
    }
    std::lock_guard lock(d->readMutex);
    return d->read(topic.toByteArray(), partition, request, matcher);
}

TimestampLookup KafkaSource::offsetForTimestamp(QByteArrayView topicName, int partition,
                                                std::int64_t timestamp)
{
    const QByteArray topic = topicName.toByteArray();
    const RecordMatcher everything{RecordFilter{}};
    TimestampLookup found;
    if (found.error = d->knownUnreachable(); !found.error.isEmpty())
        return found;
    std::lock_guard lock(d->readMutex);
    rd_kafka_t *rk = d->reader.get();
    if (timestamp == TimestampLookup::kNewestTimestamp) {
        // The last record: read the end of the partition, further back when the last
        // offsets are transaction markers (which give no records).
        for (const int span : {16, 1024, 65536}) {
            ReadRequest request;
            request.maxRecords = 0; // only the partition's start and end
            RecordPage page = d->read(topic, partition, request, everything);
            if (!page.error.isEmpty()) {
                found.error = page.error;
                return found;
            }
            if (page.endOffset <= page.startOffset)
                return found; // empty
            request.fromOffset = std::max(page.startOffset, page.endOffset - span);
            request.maxRecords = span;
            page = d->read(topic, partition, request, everything);
            if (!page.error.isEmpty()) {
                found.error = page.error;
                return found;
            }
            if (!page.records.isEmpty()) {
                found.offset = page.records.back().offset;
                found.timestamp = page.records.back().timestamp;
                return found;
            }
            if (request.fromOffset == page.startOffset)
                return found; // nothing but markers
        }
        return found;
    }
    // Kafka's -1/-2 mean "latest"/"earliest" to ListOffsets; as timestamps here, every record
    // is at or after them, as in the in-process broker
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic.constData(), partition)->offset =
        std::max<std::int64_t>(0, timestamp);
    const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, list.get(), d->timeoutMs);
    rd_kafka_poll(rk, 0);
    const rd_kafka_resp_err_t partitionErr = err ? err : list->elems[0].err;
    if (partitionErr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        found.error = d->readerFailure(partitionErr, topic, partition);
        return found;
    }
    if (list->elems[0].offset < 0)
        return found; // no record at or after the timestamp
    // ListOffsets answers the record's timestamp, but librdkafka does not pass it on
    ReadRequest request;
    request.fromOffset = list->elems[0].offset;
    request.maxRecords = 1;
    const RecordPage page = d->read(topic, partition, request, everything);
    if (!page.error.isEmpty())
        found.error = page.error;
    else if (!page.records.isEmpty())
        found = {page.records.front().offset, page.records.front().timestamp, {}};
    return found;
}

QList<PartitionRange> KafkaSource::partitionRanges(QByteArrayView topic)
{
    TopicSnapshot described;
    bool exists = false;
    QString error;
    if (!d->knownUnreachable().isEmpty())
        return {};
    {
        std::lock_guard lock(d->lookupMutex);
        if (!d->lookup->describeTopic(topic, described, exists, d->timeoutMs, error) || !exists)
            return {};
    }
    QList<PartitionRange> ranges;
    ranges.reserve(qsizetype(described.partitions.size()));
    for (const PartitionSnapshot &p : described.partitions)
        ranges.append({p.stats.startOffset, p.stats.endOffset});
    return ranges;
}

int KafkaSource::partitionCount(QByteArrayView topic)
{
    TopicSnapshot described;
    bool exists = false;
    QString error;
    if (!d->knownUnreachable().isEmpty())
        return -1;
    std::lock_guard lock(d->lookupMutex);
    if (!d->lookup->describeTopic(topic, described, exists, d->timeoutMs, error) || !exists)
        return -1;
    return int(described.partitions.size());
}

std::optional<RetentionPolicy> KafkaSource::retention(QByteArrayView topic)
{
    RetentionPolicy policy;
    bool exists = false;
    QString error;
    if (!d->knownUnreachable().isEmpty())
        return std::nullopt;
    std::lock_guard lock(d->lookupMutex);
    if (!d->lookup->describeRetention(topic, policy, exists, d->timeoutMs, error) || !exists)
        return std::nullopt;
    return policy;
}

// The write side: KafkaAdmin's own producer and admin queue, safe from several threads.

WriteResult KafkaSource::produce(QByteArrayView topic, int partition,
                                 const QList<OutgoingRecord> &records)
{
    return d->admin->produce(topic, partition, records);
}

bool KafkaSource::createTopic(QByteArrayView name, int partitions,
                              std::optional<RetentionPolicy> retention, QString &error)
{
    return d->admin->createTopic(name, partitions, retention, error);
}

bool KafkaSource::deleteTopic(QByteArrayView name, QString &error)
{
    return d->admin->deleteTopic(name, error);
}

bool KafkaSource::setRetention(QByteArrayView name, const RetentionPolicy &retention,
                               QString &error)
{
    return d->admin->setRetention(name, retention, error);
}

ChangeOutcome KafkaSource::addPartitions(QByteArrayView name, std::int64_t newTotal, QString &error,
                                         bool validateOnly)
{
    return d->admin->addPartitions(name, newTotal, error, validateOnly);
}

ChangeOutcome KafkaSource::deleteRecordsBefore(QByteArrayView topic, std::int64_t partition,
                                               std::int64_t offset, std::int64_t &startOffset,
                                               QString &error)
{
    return d->admin->deleteRecordsBefore(topic, partition, offset, startOffset, error);
}

GroupOutcome KafkaSource::resetGroupOffsets(const QByteArray &groupId, QByteArrayView topic,
                                            const std::map<int, std::int64_t> &offsets,
                                            QString &error)
{
    return d->admin->resetGroupOffsets(groupId, topic, offsets, error);
}

GroupOutcome KafkaSource::deleteGroup(const QByteArray &groupId, QString &error)
{
    return d->admin->deleteGroup(groupId, error);
}

} // namespace rivulet
