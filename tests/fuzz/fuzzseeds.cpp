// Writes the seed corpora of the fuzz harnesses: fuzz_seeds DIR (tests/fuzz/corpus, see
// docs/FUZZING.md). Every seed is built with the broker's own encoders, the API table's
// samples (every field of every request version set) and batches the log really stores, in
// the input layout each harness documents at its top.
#include "broker.h"
#include "kafka/protocol.h"
#include "kafkasamples.h"
#include "log/bytes.h"
#include "log/compression.h"
#include "log/crc32c.h"
#include "log/filelog.h"
#include "log/recordbatch.h"
#include "metadataseeds.h"
#include "native/clientcodec.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <cstdio>
#include <iterator>

using namespace rivulet;

namespace {

QString g_root;
int g_written = 0;

void seed(const char *harness, const QString &name, const QByteArray &bytes)
{
    const QString dir = g_root + QLatin1Char('/') + QLatin1String(harness);
    QDir().mkpath(dir);
    QFile f(dir + QLatin1Char('/') + name);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(bytes) != bytes.size()) {
        std::fprintf(stderr, "fuzz_seeds: cannot write %s\n", qPrintable(f.fileName()));
        std::exit(1);
    }
    ++g_written;
}

QByteArray u16(std::uint16_t v)
{
    return QByteArray{} + char(v >> 8) + char(v & 0xFF);
}

void nativeSeeds()
{
    using namespace rivulet::native;
    const QList<QByteArray> values{"first", "", QByteArray(300, 'x')};
    const std::pair<const char *, QByteArray> requests[] = {
        {"produce", encodeProduce("t", 0, values, "alice")},
        {"consume", encodeConsume("t", 0, 0, 10, "alice")},
        {"create", encodeCreateTopic("t", 3)},
        {"quit", encodeQuit()},
        {"list_topics", encodeListTopics()},
        {"list_consumers", encodeListConsumers("bob")},
        {"delete", encodeDeleteTopic("t")},
        {"retention", encodeSetRetention("t", 60000, 1 << 20)},
        {"options", encodeSetOptions(kOptionErrorText)},
    };
    QByteArray session;
    for (const auto &[name, bytes] : requests) {
        seed("native_request", QLatin1String(name), char(63) + bytes); // all at once
        if (QByteArrayView(name) != "quit" && QByteArrayView(name) != "delete")
            session += bytes;
    }
    // a whole conversation: create, produce, read back, list, retention, options
    session = encodeSetOptions(kOptionErrorText) + encodeCreateTopic("t", 2) + session +
              encodeConsume("t", 1, 0, 5) + encodeDeleteTopic("t") + encodeQuit();
    seed("native_request", QStringLiteral("session_bytewise"), char(0) + session);
    seed("native_request", QStringLiteral("session_chunks"), char(6) + session);
}

QByteArray sampleBatch(int records)
{
    RecordBatchBuilder builder(1700000000000, records);
    const HeaderView headers[] = {{"h1", "a"}, {"trace", QByteArrayView()}};
    for (int i = 0; i < records; ++i) {
        const QByteArray value = "value " + QByteArray::number(i);
        if (i % 2)
            builder.append(QByteArray("key ") + QByteArray::number(i), value, headers);
        else
            builder.append(value);
    }
    return builder.finish();
}

// The batch with its records section compressed by codec (header, length and CRC fixed up).
QByteArray compressedBatch(const QByteArray &plain, int codec)
{
    QByteArray packed;
    QString error;
    if (!compression::compress(codec, QByteArrayView(plain).sliced(batch::kHeaderSize), packed,
                               error)) {
        std::fprintf(stderr, "fuzz_seeds: %s\n", qPrintable(error));
        std::exit(1);
    }
    QByteArray b = plain.left(batch::kHeaderSize) + packed;
    char *h = b.data();
    be::writeU32(h + batch::kBatchLength, std::uint32_t(b.size() - batch::kLogOverhead));
    be::writeU16(h + batch::kAttributes, std::uint16_t(codec));
    be::writeU32(h + batch::kCrc, crc32c(h + batch::kAttributes, b.size() - batch::kAttributes));
    return b;
}

void recordBatchSeeds()
{
    const QByteArray plain = sampleBatch(4);
    seed("record_batch", QStringLiteral("plain"), char(0) + plain);
    seed("record_batch", QStringLiteral("plain_fixcrc"), char(1) + plain);
    seed("record_batch", QStringLiteral("one_record"), char(0) + sampleBatch(1));
    seed("record_batch", QStringLiteral("empty_batch"), char(0) + sampleBatch(0));
    seed("record_batch", QStringLiteral("control"),
         char(0) + RecordBatchBuilder::controlBatch(7, 1, true, 1700000000000));
    for (int codec = 1; codec <= 4; ++codec) {
        const QString name = QLatin1String(compression::codecName(codec));
        // the high bits pick the same codec for the payload on its own
        const char mode = char((codec - 1) << 4);
        seed("record_batch", name, mode + compressedBatch(plain, codec));
        seed("record_batch", name + QStringLiteral("_fixcrc"),
             char(mode | 1 | codec << 1) + compressedBatch(sampleBatch(12), codec));
    }
}

// A partition written by FileLog itself: its segment files and index, read back.
void segmentSeeds()
{
    QTemporaryDir tmp;
    LogSettings settings;
    settings.segmentBytes = 600;
    settings.fsync = FsyncPolicy::Never;
    QStringList notes;
    auto log = FileLog::open(tmp.path(), settings, false, notes);
    for (int i = 0; i < 6; ++i) {
        QByteArray b = sampleBatch(1 + i % 3);
        log->append(b);
    }
    QString error;
    log->seal(error);
    log->close(error);
    QDir dir(tmp.path());
    const QStringList logs = dir.entryList({QStringLiteral("*.log")}, QDir::Files, QDir::Name);
    auto read = [&](const QString &name) {
        QFile f(dir.filePath(name));
        f.open(QIODevice::ReadOnly);
        return f.readAll();
    };
    const QByteArray first = read(logs.value(0));
    const QString firstIndex =
        QString(logs.value(0)).replace(QStringLiteral(".log"), QStringLiteral(".index"));
    seed("segment_recovery", QStringLiteral("crash"), char(0) + first);
    seed("segment_recovery", QStringLiteral("torn_tail"), char(0) + first.chopped(7));
    QByteArray damaged = first;
    damaged[damaged.size() / 3] = char(damaged[damaged.size() / 3] ^ 0x20);
    seed("segment_recovery", QStringLiteral("damaged_middle"), char(0) + damaged);
    const QByteArray index = read(firstIndex);
    seed("segment_recovery", QStringLiteral("clean_with_index"),
         char(1 | 2) + u16(std::uint16_t(index.size())) + index + first);
    seed("segment_recovery", QStringLiteral("crash_start_offset"), char(8) + char(1) + first);
    if (logs.size() > 1) {
        const std::int64_t secondBase = logs[1].chopped(4).toLongLong();
        const QByteArray second = read(logs[1]);
        seed("segment_recovery", QStringLiteral("two_segments"),
             char(4) + u16(std::uint16_t(first.size())) + char(secondBase) + first + second);
    }
}

void metadataSeeds()
{
    for (int i = 0; i < 4; ++i)
        seed("metadata", QString::fromLatin1(fuzz::kMetadataFiles[i]),
             char(i) + QByteArray(fuzz::kValidMetadata[i]));
    // files the broker itself wrote: a topic with group offsets
    QTemporaryDir tmp;
    {
        BrokerConfig config;
        config.log.fsync = FsyncPolicy::Never;
        Broker broker(config);
        QStringList notes;
        QString error;
        broker.openDataDir(tmp.path(), notes, error);
        broker.createTopic("orders", 3, RetentionPolicy{3600000, -1});
        // the new topic is empty: each partition's earliest offset is 0
        broker.resetGroupOffsets("billing", "orders", {{0, 0}, {1, 0}, {2, 0}}, error);
        broker.shutdown();
    }
    for (int i : {0, 2}) {
        QFile f(tmp.path() + QLatin1Char('/') + QLatin1String(fuzz::kMetadataFiles[i]));
        if (f.open(QIODevice::ReadOnly))
            seed("metadata", QStringLiteral("saved_") + QLatin1String(fuzz::kMetadataFiles[i]),
                 char(i) + f.readAll());
    }
}

// Request header v1/v2 and the body, as a client frames it (without the int32 size).
QByteArray frame(kafka::ApiKey key, std::int16_t version, std::int32_t correlationId,
                 const QByteArray &body)
{
    QByteArray out;
    kafka::Writer w(out);
    w.i16(std::int16_t(key)).i16(version).i32(correlationId).nullableString(QByteArray("seeds"));
    const kafka::ApiInfo *api = kafka::apiInfo(std::int16_t(key));
    if (api && api->isFlexible(version))
        w.unsignedVarint(0);
    return out + body;
}

template <class Request> QByteArray body(const Request &r, std::int16_t v)
{
    QByteArray out;
    kafka::Writer w(out);
    r.write(w, v);
    return out;
}

QByteArray framed(const QByteArray &f)
{
    return u16(std::uint16_t(f.size())) + f;
}

void kafkaSeeds()
{
    using namespace rivulet::kafka;
    for (const samples::Message &m : samples::all()) {
        const QByteArrayView name(m.name);
        if (!name.endsWith("Request"))
            continue;
        int index = 0;
        while (kApiTable[index].key != m.key)
            ++index;
        for (std::int16_t v = m.minVersion; v <= m.maxVersion; ++v) {
            QByteArray bytes;
            m.codec.encode(v, bytes);
            const QString file =
                QStringLiteral("%1_v%2").arg(QLatin1String(kApiTable[index].name)).arg(v);
            seed("kafka_decode", file, char(index) + char(v - m.minVersion) + bytes);
            // the handler gets the oldest, the first flexible and the newest version
            if (v == m.minVersion || v == m.maxVersion || v == m.firstFlexible)
                seed("kafka_handler", file, framed(frame(m.key, v, 1000 + v, bytes)));
        }
    }

    // a client's conversation: versions, metadata (creates the topic), produce, fetch,
    // offsets, a group's commit and fetch of offsets
    QByteArray conversation;
    ApiVersionsRequest versions;
    versions.clientSoftwareName = "seeds";
    versions.clientSoftwareVersion = "1";
    conversation += framed(frame(ApiKey::ApiVersions, 3, 1, body(versions, 3)));
    MetadataRequest metadata;
    metadata.topics = std::vector<MetadataRequest::MetadataRequestTopic>(1);
    (*metadata.topics)[0].name = QByteArray("t");
    metadata.allowAutoTopicCreation = true;
    conversation += framed(frame(ApiKey::Metadata, 9, 2, body(metadata, 9)));
    ProduceRequest produce;
    produce.acks = -1;
    produce.timeoutMs = 1000;
    const QByteArray records = sampleBatch(3) + compressedBatch(sampleBatch(2), 4);
    produce.topicData = {{QByteArray("t"), {{0, records}}}};
    conversation += framed(frame(ApiKey::Produce, 9, 3, body(produce, 9)));
    FetchRequest fetch;
    fetch.maxWaitMs = 0;
    fetch.minBytes = 1;
    fetch.topics = std::vector<FetchRequest::FetchTopic>(1);
    fetch.topics[0].topic = "t";
    fetch.topics[0].partitions = std::vector<FetchRequest::FetchTopic::FetchPartition>(1);
    fetch.topics[0].partitions[0].partitionMaxBytes = 1 << 20;
    conversation += framed(frame(ApiKey::Fetch, 12, 4, body(fetch, 12)));
    ListOffsetsRequest list;
    list.topics = std::vector<ListOffsetsRequest::ListOffsetsTopic>(1);
    list.topics[0].name = "t";
    list.topics[0].partitions =
        std::vector<ListOffsetsRequest::ListOffsetsTopic::ListOffsetsPartition>(1);
    list.topics[0].partitions[0].timestamp = -1;
    conversation += framed(frame(ApiKey::ListOffsets, 7, 5, body(list, 7)));
    OffsetCommitRequest commit;
    commit.groupId = "g";
    commit.generationIdOrMemberEpoch = -1;
    commit.topics = std::vector<OffsetCommitRequest::OffsetCommitRequestTopic>(1);
    commit.topics[0].name = "t";
    commit.topics[0].partitions =
        std::vector<OffsetCommitRequest::OffsetCommitRequestTopic::OffsetCommitRequestPartition>(1);
    commit.topics[0].partitions[0].committedOffset = 2;
    conversation += framed(frame(ApiKey::OffsetCommit, 8, 6, body(commit, 8)));
    OffsetFetchRequest offsets;
    offsets.groupId = "g";
    conversation += framed(frame(ApiKey::OffsetFetch, 7, 7, body(offsets, 7)));
    seed("kafka_handler", QStringLiteral("conversation"), conversation);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_seeds DIR (tests/fuzz/corpus)\n");
        return 2;
    }
    g_root = QString::fromLocal8Bit(argv[1]);
    nativeSeeds();
    recordBatchSeeds();
    segmentSeeds();
    metadataSeeds();
    kafkaSeeds();
    std::printf("fuzz_seeds: wrote %d files under %s\n", g_written, argv[1]);
    return 0;
}
