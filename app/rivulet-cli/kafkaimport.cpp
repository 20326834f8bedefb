// rivulet-cli import: a JSON Lines record file (as `export` writes it) into a topic over the
// Kafka protocol, keeping each record's key, headers and timestamp. The whole file is checked
// first (every line, and every partition against the topic), so a bad line imports nothing;
// then an idempotent librdkafka producer sends the records and the command reports how many
// the broker acknowledged, failing loudly on any delivery error.
#include "args.h"
#include "commands.h"
#include "kafkaclient.h"

#include "monitor/recordfile.h"

#include <QFile>
#include <QTemporaryFile>

#include <cstdint>
#include <cstdio>
#include <limits>

namespace cli {
namespace {

using namespace rivulet;

constexpr int kMessageTimeoutMs = 30000; // a record not acknowledged by then is an error
// What one record may weigh (librdkafka refuses bigger ones at once, with a clear error);
// the broker takes requests up to 64 MiB.
constexpr int kMaxMessageBytes = 32 << 20;

struct Delivery
{
    qint64 acknowledged = 0;
    qint64 failed = 0;
    rd_kafka_resp_err_t firstError = RD_KAFKA_RESP_ERR_NO_ERROR;
    QString firstErrorText;
    qint64 firstErrorLine = 0;
};

void delivered(rd_kafka_t *, const rd_kafka_message_t *m, void *opaque)
{
    auto *d = static_cast<Delivery *>(static_cast<kafka::Events *>(opaque)->user);
    if (!m->err) {
        ++d->acknowledged;
        return;
    }
    if (d->failed++ == 0) {
        d->firstError = m->err;
        d->firstErrorText = QString::fromUtf8(rd_kafka_err2str(m->err));
        d->firstErrorLine = qint64(reinterpret_cast<std::intptr_t>(m->_private));
    }
}

// What the checking pass learns about the file.
struct FileSummary
{
    qint64 records = 0;
    std::int32_t maxPartition = -1;
    qint64 maxPartitionLine = 0;
};

bool checkFile(QIODevice *input, FileSummary &summary, QString &error)
{
    recordfile::JsonLinesReader reader(input);
    recordfile::Record record;
    for (;;) {
        switch (reader.next(record)) {
        case recordfile::JsonLinesReader::Status::Record:
            ++summary.records;
            if (record.partition > summary.maxPartition) {
                summary.maxPartition = record.partition;
                summary.maxPartitionLine = reader.lineNumber();
            }
            break;
        case recordfile::JsonLinesReader::Status::End:
            return true;
        case recordfile::JsonLinesReader::Status::Error:
            error = reader.errorString();
            return false;
        }
    }
}

// Sends one record; false with error when librdkafka refuses it outright.
bool produceOne(rd_kafka_t *rk, const QByteArray &topic, std::int32_t partition,
                const recordfile::Record &r, qint64 line, QString &error)
{
    rd_kafka_headers_t *headers = rd_kafka_headers_new(size_t(r.headers.size()));
    for (const recordfile::Header &h : r.headers)
        rd_kafka_header_add(headers, h.key.constData(), h.key.size(),
                            h.value ? h.value->constData() : nullptr,
                            h.value ? h.value->size() : 0);
    // a key or value of zero bytes must stay one, not become null: point at a real byte
    static const char empty = 0;
    const void *key = r.key ? (r.key->isEmpty() ? &empty : r.key->constData()) : nullptr;
    const void *value = r.value ? (r.value->isEmpty() ? &empty : r.value->constData()) : nullptr;
    for (;;) {
        const rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic.constData()), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(const_cast<void *>(key), (r.key ? size_t(r.key->size()) : 0)),
            RD_KAFKA_V_VALUE(const_cast<void *>(value), (r.value ? size_t(r.value->size()) : 0)),
            RD_KAFKA_V_TIMESTAMP((r.timestamp >= 0 ? r.timestamp : 0)), RD_KAFKA_V_HEADERS(headers),
            RD_KAFKA_V_OPAQUE(reinterpret_cast<void *>(std::intptr_t(line))), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
            return true; // the message owns the headers now
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk, 100); // delivery reports make room
            continue;
        }
        rd_kafka_headers_destroy(headers);
        error = QStringLiteral("line %1: the client refused the record: %2")
                    .arg(line)
                    .arg(QString::fromUtf8(rd_kafka_err2str(err)));
        return false;
    }
}

} // namespace

int importTopic(const QStringList &argv)
{
    const QString command = QStringLiteral("import");
    const Args args = parseArgs(
        argv,
        {QStringLiteral("partition"), QStringLiteral("bootstrap"), QStringLiteral("kafka-config")},
        {});
    if (!args.error.isEmpty())
        return usage(command, args.error);
    if (args.positional.isEmpty() || args.positional.size() > 2)
        return usage(command,
                     QStringLiteral("give a TOPIC and a FILE (JSON Lines; '-' or none: stdin)"));
    qint64 partition = -1;
    QString error;
    if (!number(args, QStringLiteral("partition"), 0, std::numeric_limits<std::int32_t>::max(),
                partition, error))
        return usage(command, error);
    const QString topicName = args.positional.first();
    const QByteArray topic = topicName.toUtf8();
    const QString inputName = args.positional.value(1, QStringLiteral("-"));

    // stdin is read once into a temporary file: the records are checked before any is sent
    // and then read again, without holding the whole input in memory
    QFile file;
    QTemporaryFile spool;
    QIODevice *input = nullptr;
    if (inputName == u"-") {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly) || !spool.open())
            return usage(command, QStringLiteral("cannot read stdin: %1").arg(in.errorString()));
        QByteArray chunk;
        while (!(chunk = in.read(1 << 20)).isEmpty())
            if (spool.write(chunk) != chunk.size())
                return usage(command, QStringLiteral("cannot keep stdin in %1: %2")
                                          .arg(spool.fileName(), spool.errorString()));
        spool.flush();
        input = &spool;
    } else {
        file.setFileName(inputName);
        if (!file.open(QIODevice::ReadOnly))
            return usage(command,
                         QStringLiteral("cannot read %1: %2").arg(inputName, file.errorString()));
        input = &file;
    }
    const QString shownName = inputName == u"-" ? QStringLiteral("stdin") : inputName;

    FileSummary summary;
    input->seek(0);
    if (!checkFile(input, summary, error)) {
        std::fprintf(stderr, "rivulet-cli import: %s: %s; nothing was imported\n",
                     qPrintable(shownName), qPrintable(error));
        return Usage;
    }
    if (summary.records == 0) {
        std::fprintf(stderr, "rivulet-cli import: %s holds no records; nothing to import\n",
                     qPrintable(shownName));
        return Ok;
    }

    rivulet::KafkaSettings settings;
    if (const int rc = kafka::clientSettings(command, args, settings); rc != Ok)
        return rc;
    kafka::Events events;
    events.bootstrap = settings.bootstrap;
    Delivery delivery;
    events.user = &delivery;
    QList<std::pair<QByteArray, QByteArray>> config = {
        {"client.id", "rivulet-cli-import"},
        {"enable.idempotence", "true"},
        {"linger.ms", "5"},
        {"message.max.bytes", QByteArray::number(kMaxMessageBytes)},
        {"message.timeout.ms", QByteArray::number(kMessageTimeoutMs)}};
    config += settings.properties; // security.protocol, sasl.*, ssl.*: the user's file
    kafka::Handle rk = kafka::create(RD_KAFKA_PRODUCER, config, &events, error, delivered);
    if (!rk)
        return usage(command, error);
    int rc = Ok;
    const int partitions = kafka::checkedPartitionCount(rk.get(), command, topicName, partition,
                                                        &events, rc, "; nothing was imported");
    if (partitions < 0)
        return rc;
    if (partition < 0 && summary.maxPartition >= partitions) {
        std::fprintf(stderr,
                     "rivulet-cli import: %s: line %lld: partition %d, but topic '%s' has "
                     "partitions 0 to %d; nothing was imported. Give --partition P to put every "
                     "record in one partition, or add partitions to the topic first.\n",
                     qPrintable(shownName), summary.maxPartitionLine, summary.maxPartition,
                     qPrintable(topicName), partitions - 1);
        return Usage;
    }

    input->seek(0);
    recordfile::JsonLinesReader reader(input);
    recordfile::Record record;
    QString refused;
    for (;;) {
        const auto status = reader.next(record);
        if (status == recordfile::JsonLinesReader::Status::End)
            break;
        if (status == recordfile::JsonLinesReader::Status::Error) {
            refused = QStringLiteral("%1 changed while it was imported: %2")
                          .arg(shownName, reader.errorString());
            break;
        }
        const std::int32_t target =
            partition >= 0 ? std::int32_t(partition)
                           : (record.partition >= 0 ? record.partition : RD_KAFKA_PARTITION_UA);
        if (!produceOne(rk.get(), topic, target, record, reader.lineNumber(), refused))
            break;
        rd_kafka_poll(rk.get(), 0);
    }
    // every queued record gets its delivery report within message.timeout.ms
    while (rd_kafka_outq_len(rk.get()) > 0)
        rd_kafka_flush(rk.get(), kMessageTimeoutMs + 5000);
    rd_kafka_poll(rk.get(), 0);

    char fatal[512];
    if (rd_kafka_fatal_error(rk.get(), fatal, sizeof fatal) && refused.isEmpty())
        refused = QStringLiteral("the producer stopped: %1").arg(QString::fromUtf8(fatal));
    if (delivery.failed > 0 || !refused.isEmpty() || delivery.acknowledged != summary.records) {
        std::fprintf(stderr,
                     "rivulet-cli import: %lld of %lld records from %s were acknowledged "
                     "by the broker and are in '%s'; the rest were not imported.\n",
                     delivery.acknowledged, summary.records, qPrintable(shownName),
                     qPrintable(topicName));
        if (delivery.failed > 0)
            std::fprintf(
                stderr, "  %lld failed; the first, line %lld: %s\n", delivery.failed,
                delivery.firstErrorLine,
                qPrintable(kafka::isUnreachable(delivery.firstError)
                               ? QStringLiteral("%1: %2").arg(delivery.firstErrorText,
                                                              kafka::unreachableHint(events))
                               : delivery.firstErrorText));
        if (!refused.isEmpty())
            std::fprintf(stderr, "  %s\n", qPrintable(refused));
        return delivery.failed > 0 && kafka::isUnreachable(delivery.firstError) ? Unreachable
                                                                                : BrokerError;
    }
    std::fprintf(stderr, "imported %lld record%s from %s into %s (all acknowledged)\n",
                 delivery.acknowledged, delivery.acknowledged == 1 ? "" : "s",
                 qPrintable(shownName), qPrintable(topicName));
    return Ok;
}

} // namespace cli
