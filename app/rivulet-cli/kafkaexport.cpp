// rivulet-cli export: a topic's records (keys, headers and timestamps included) to JSON Lines
// or CSV, read over the Kafka protocol by a librdkafka consumer without a group: each
// partition is started at its own offset, nothing is ever committed, and reading stops at
// the end offsets seen when the export started (or after --count records).
#include "args.h"
#include "commands.h"
#include "kafkaclient.h"

#include "monitor/recordfile.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QHash>
#include <QSaveFile>

#include <cstdio>
#include <limits>

namespace cli {
namespace {

using namespace rivulet;

constexpr int kIdleTimeoutMs = 30000; // no record and no end-of-partition for this long: fail

struct PartitionRange
{
    std::int32_t partition = 0;
    std::int64_t from = 0; // the first offset to export
    std::int64_t end = 0;  // the end offset (high watermark) when the export started
    bool done = false;
};

recordfile::Record toRecord(const QString &topic, const rd_kafka_message_t *m)
{
    recordfile::Record r;
    r.topic = topic;
    r.partition = m->partition;
    r.offset = m->offset;
    rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    const std::int64_t ts = rd_kafka_message_timestamp(m, &type);
    r.timestamp = type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts;
    if (m->key)
        r.key = QByteArray(static_cast<const char *>(m->key), qsizetype(m->key_len));
    if (m->payload)
        r.value = QByteArray(static_cast<const char *>(m->payload), qsizetype(m->len));
    for (auto &[name, value] : rdkafka::messageHeaders(m))
        r.headers.append({std::move(name), std::move(value)});
    return r;
}

// Where each partition's export starts and ends. Returns Ok or an exit code (printed).
int planRanges(rd_kafka_t *rk, const QByteArray &topic, QList<PartitionRange> &ranges,
               qint64 fromOffset, qint64 fromTimestamp, const kafka::Events &events)
{
    auto fail = [&](rd_kafka_resp_err_t err, const QString &what) {
        std::fprintf(stderr, "rivulet-cli export: %s\n",
                     qPrintable(kafka::isUnreachable(err)
                                    ? kafka::unreachableHint(events)
                                    : QStringLiteral("%1: %2").arg(
                                          what, QString::fromUtf8(rd_kafka_err2str(err)))));
        return kafka::isUnreachable(err) ? Unreachable : BrokerError;
    };
    for (PartitionRange &range : ranges) {
        int64_t low = 0, high = 0;
        const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
            rk, topic.constData(), range.partition, &low, &high, kafka::kMetadataTimeoutMs);
        if (err)
            return fail(err, QStringLiteral("end offsets of partition %1").arg(range.partition));
        range.end = high;
        range.from = fromOffset >= 0 ? std::clamp<std::int64_t>(fromOffset, low, high) : low;
    }
    if (fromTimestamp < 0)
        return Ok;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(int(ranges.size()));
    for (const PartitionRange &range : ranges)
        rd_kafka_topic_partition_list_add(list, topic.constData(), range.partition)->offset =
            fromTimestamp;
    const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, list, kafka::kMetadataTimeoutMs);
    int rc = Ok;
    if (err) {
        rc = fail(err, QStringLiteral("offsets for timestamp %1").arg(fromTimestamp));
    } else {
        for (PartitionRange &range : ranges) {
            const rd_kafka_topic_partition_t *p =
                rd_kafka_topic_partition_list_find(list, topic.constData(), range.partition);
            if (p && p->err) {
                rc = fail(p->err, QStringLiteral("offset for timestamp %1 in partition %2")
                                      .arg(fromTimestamp)
                                      .arg(range.partition));
                break;
            }
            // -1: no record at or after the timestamp
            range.from = p && p->offset >= 0
                             ? std::clamp<std::int64_t>(p->offset, range.from, range.end)
                             : range.end;
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

} // namespace

int exportTopic(const QStringList &argv)
{
    const QString command = QStringLiteral("export");
    const Args args = parseArgs(argv,
                                {QStringLiteral("partition"), QStringLiteral("from-offset"),
                                 QStringLiteral("from-timestamp"), QStringLiteral("count"),
                                 QStringLiteral("format"), QStringLiteral("output"),
                                 QStringLiteral("bootstrap"), QStringLiteral("kafka-config")},
                                {});
    if (!args.error.isEmpty())
        return usage(command, args.error);
    if (args.positional.size() != 1)
        return usage(command, QStringLiteral("give exactly one TOPIC"));
    qint64 partition = -1, fromOffset = -1, fromTimestamp = -1, count = -1;
    QString error;
    constexpr qint64 kMax = std::numeric_limits<qint64>::max();
    if (!number(args, QStringLiteral("partition"), 0, std::numeric_limits<std::int32_t>::max(),
                partition, error) ||
        !number(args, QStringLiteral("from-offset"), 0, kMax, fromOffset, error) ||
        !number(args, QStringLiteral("from-timestamp"), 0, kMax, fromTimestamp, error) ||
        !number(args, QStringLiteral("count"), 0, kMax, count, error))
        return usage(command, error);
    if (fromOffset >= 0 && fromTimestamp >= 0)
        return usage(command, QStringLiteral("give --from-offset or --from-timestamp, not both"));
    const QString formatName = args.values.value(QStringLiteral("format"), QStringLiteral("jsonl"));
    const std::optional<recordfile::Format> format = recordfile::formatFromName(formatName);
    if (!format)
        return usage(command,
                     QStringLiteral("--format wants jsonl or csv, not '%1'").arg(formatName));

    const QString topicName = args.positional.first();
    const QByteArray topic = topicName.toUtf8();
    const QString outputName = args.values.value(QStringLiteral("output"));
    const bool toStdout = outputName.isEmpty() || outputName == u"-";

    rivulet::KafkaSettings settings;
    if (const int rc = kafka::clientSettings(command, args, settings); rc != Ok)
        return rc;
    kafka::Events events;
    events.bootstrap = settings.bootstrap;
    QList<std::pair<QByteArray, QByteArray>> config = {
        {"client.id", "rivulet-cli-export"},   {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"}, {"enable.partition.eof", "true"},
        {"auto.offset.reset", "earliest"},     {"isolation.level", "read_committed"}};
    config += settings.properties; // security.protocol, sasl.*, ssl.*: the user's file
    kafka::Handle rk = kafka::create(RD_KAFKA_CONSUMER, config, &events, error);
    if (!rk)
        return usage(command, error);
    int rc = Ok;
    const int partitions =
        kafka::checkedPartitionCount(rk.get(), command, topicName, partition, &events, rc);
    if (partitions < 0)
        return rc;
    QList<PartitionRange> ranges;
    for (int p = 0; p < partitions; ++p)
        if (partition < 0 || p == partition)
            ranges.append(PartitionRange{p});
    if (rc = planRanges(rk.get(), topic, ranges, fromOffset, fromTimestamp, events); rc != Ok)
        return rc;

    // a file appears whole when the export succeeds, and not at all when it fails
    QFile standardOutput;
    QSaveFile file(outputName);
    QIODevice &output = toStdout ? static_cast<QIODevice &>(standardOutput) : file;
    if (toStdout ? !standardOutput.open(stdout, QIODevice::WriteOnly)
                 : !file.open(QIODevice::WriteOnly))
        return usage(command, QStringLiteral("cannot write %1: %2")
                                  .arg(toStdout ? QStringLiteral("stdout") : outputName,
                                       output.errorString()));

    // The legacy per-partition consumer: it needs no group.id, so there is no group to join,
    // no coordinator and nothing to commit.
    kafka::TopicHandle rkt(rd_kafka_topic_new(rk.get(), topic.constData(), nullptr));
    rd_kafka_queue_t *queue = rd_kafka_queue_new(rk.get());
    QHash<std::int32_t, PartitionRange *> byPartition;
    QList<std::int32_t> started;
    int open = 0;
    for (PartitionRange &range : ranges) {
        range.done = range.from >= range.end || count == 0;
        if (range.done)
            continue;
        if (rd_kafka_consume_start_queue(rkt.get(), range.partition, range.from, queue) != 0) {
            std::fprintf(stderr, "rivulet-cli export: cannot start reading partition %d: %s\n",
                         range.partition, rd_kafka_err2str(rd_kafka_last_error()));
            rc = BrokerError;
            break;
        }
        started.append(range.partition);
        byPartition.insert(range.partition, &range);
        ++open;
    }

    output.write(recordfile::fileHeader(*format));
    qint64 exported = 0;
    QDeadlineTimer idle(kIdleTimeoutMs);
    while (rc == Ok && open > 0) {
        rd_kafka_message_t *m = rd_kafka_consume_queue(queue, 200);
        if (!m) {
            if (idle.hasExpired()) {
                std::fprintf(stderr,
                             "rivulet-cli export: nothing arrived for %d s with %d partition%s "
                             "still short of its end offset: %s\n",
                             kIdleTimeoutMs / 1000, open, open == 1 ? "" : "s",
                             qPrintable(events.lastError.isEmpty()
                                            ? QStringLiteral("the broker stopped answering")
                                            : events.lastError));
                rc = Unreachable;
            }
            rd_kafka_poll(rk.get(), 0); // serves error events into events.lastError
            continue;
        }
        idle.setRemainingTime(kIdleTimeoutMs);
        PartitionRange *range = byPartition.value(m->partition);
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            // the end as the broker sees it now; read_committed may stop short of the high
            // watermark (an open transaction), and then this is as far as there is to read
            if (range && !range->done) {
                range->done = true;
                --open;
            }
        } else if (m->err) {
            if (!kafka::isUnreachable(m->err)) {
                std::fprintf(stderr, "rivulet-cli export: partition %d: %s\n", m->partition,
                             rd_kafka_message_errstr(m));
                rc = BrokerError;
            }
            // a lost connection is retried by the client until the idle timeout
        } else if (range && !range->done) {
            if (m->offset >= range->end) {
                range->done = true;
                --open;
            } else {
                const QByteArray line = recordfile::encode(*format, toRecord(topicName, m));
                if (output.write(line) != line.size()) {
                    std::fprintf(stderr, "rivulet-cli export: cannot write %s: %s\n",
                                 qPrintable(toStdout ? QStringLiteral("stdout") : outputName),
                                 qPrintable(output.errorString()));
                    rc = Usage;
                }
                ++exported;
                if (m->offset + 1 >= range->end) {
                    range->done = true;
                    --open;
                }
                if (count >= 0 && exported >= count)
                    open = 0;
            }
        }
        rd_kafka_message_destroy(m);
    }
    for (const std::int32_t p : started)
        rd_kafka_consume_stop(rkt.get(), p);
    rd_kafka_queue_destroy(queue);
    const bool written = toStdout ? standardOutput.flush() : (rc == Ok && file.commit());
    if (!written && rc == Ok) {
        std::fprintf(stderr, "rivulet-cli export: cannot write %s: %s\n",
                     qPrintable(toStdout ? QStringLiteral("stdout") : outputName),
                     qPrintable(output.errorString()));
        rc = Usage;
    }
    if (rc == Ok)
        std::fprintf(stderr, "exported %lld record%s of %s%s to %s\n", exported,
                     exported == 1 ? "" : "s", qPrintable(topicName),
                     partition >= 0 ? qPrintable(QStringLiteral("[%1]").arg(partition)) : "",
                     qPrintable(toStdout ? QStringLiteral("stdout") : outputName));
    return rc;
}

} // namespace cli
