// The broker's Kafka Produce (v0-v3, acks 0, compressed batches, corrupt, control,
// mis-counted and inflating batches, auto-creation), against record batches built by hand
// (support/kafkawire.h, whose own CRC-32C and batch builder are checked first).

#include "support/kafkaclient.h"

#include "log/compression.h"

#include <QTest>

#include <climits>

using namespace rivulet;
using namespace rivulet::testing;

namespace {

// plain (from recordBatch()) with its records compressed by codec, length and CRC set again
QByteArray compressedBatch(int codec, const QByteArray &plain)
{
    QByteArray packed;
    QString error;
    if (!compression::compress(codec, QByteArrayView(plain).sliced(61), packed, error))
        qFatal("%s", qPrintable(error));
    QByteArray batch = plain.left(61) + packed;
    batch.replace(8, 4, Out().i32(std::int32_t(batch.size() - 12)).data());
    batch.replace(21, 2, Out().i16(codec).data());
    batch.replace(17, 4, Out().u32(crc32c(batch.mid(21))).data());
    return batch;
}

} // namespace

class TestKafkaProduce : public QObject, public KafkaServerFixture
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup() { stop(); }

    // The test's own CRC-32C against the standard check value, and a batch it builds.
    void ownCrc32c()
    {
        QCOMPARE(crc32c("123456789"), 0xE3069283u);
        QCOMPARE(crc32c(QByteArray()), 0u);
        const QByteArray batch = recordBatch(sampleRecords(), 1700000000000);
        const auto decoded = decodeBatches(batch);
        QVERIFY(decoded && decoded->size() == 1);
        QCOMPARE(decoded->front().crc, decoded->front().computedCrc);
        QCOMPARE(decoded->front().batchLength, std::int32_t(batch.size() - 12));
    }

    // ---- Produce ----

    void produce()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("prod", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;

        const QByteArray first = recordBatch(sampleRecords(), 1700000000000);
        QByteArray request = produceBody("prod", 0, first);
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        auto r = parseProduce(body, "prod");
        QVERIFY2(r, describe(request, body).constData());
        QCOMPARE(r->partition, 0);
        QCOMPARE(r->error, err::None);
        QCOMPARE(r->baseOffset, std::int64_t(0));
        QCOMPARE(r->logAppendTime, std::int64_t(-1));
        QCOMPARE(r->throttle, 0);

        const QByteArray second = recordBatch({{"a", "1", {}}, {"b", "2", {}}}, 1700000001000);
        request = produceBody("prod", 0, second);
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        r = parseProduce(body, "prod");
        QVERIFY2(r, describe(request, body).constData());
        QCOMPARE(r->error, err::None);
        QCOMPARE(r->baseOffset, std::int64_t(3));
        QCOMPARE(listOffset(c, "prod", 0, -1), std::optional<std::int64_t>(5));

        // two batches in one records field: the base offset of the first
        request = produceBody("prod", 0,
                              recordBatch({{"x", "1", {}}}, 1700000002000) +
                                  recordBatch({{"y", "2", {}}}, 1700000002001));
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        r = parseProduce(body, "prod");
        QVERIFY2(r, describe(request, body).constData());
        QCOMPARE(r->error, err::None);
        QCOMPARE(r->baseOffset, std::int64_t(5));
        QCOMPARE(listOffset(c, "prod", 0, -1), std::optional<std::int64_t>(7));

        // an invalid topic name is never auto-created: 17
        request = produceBody("bad name!", 0, recordBatch({{"z", "1", {}}}, 1700000003000));
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        r = parseProduce(body, "bad name!");
        QVERIFY2(r, describe(request, body).constData());
        QCOMPARE(r->error, err::InvalidTopic);
        QCOMPARE(r->baseOffset, std::int64_t(-1));

        // an unknown partition of a known topic
        request = produceBody("prod", 5, recordBatch({{"z", "1", {}}}, 1700000003000));
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        r = parseProduce(body, "prod");
        QVERIFY2(r, describe(request, body).constData());
        QCOMPARE(r->partition, 5);
        QCOMPARE(r->error, err::UnknownTopicOrPartition);
        QCOMPARE(r->baseOffset, std::int64_t(-1));
    }

    // Produce v0-v2 (advertised so librdkafka compresses): no transactional_id; v0 answers
    // [topic [partition error base_offset]], v1 adds throttle_time_ms at the end, v2 adds
    // log_append_time per partition.
    void produceOldVersions()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("old", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        for (std::int16_t version = 0; version <= 2; ++version) {
            const QByteArray batch = recordBatch({{"k", "v", {}}}, 1700000000000);
            Out o;
            o.i16(-1).i32(5000).i32(1).str("old").i32(1).i32(0).bytes(batch);
            QByteArray body;
            QVERIFY2(c.call(api::Produce, version, o.data(), body), qPrintable(c.error()));
            In in(body);
            QCOMPARE(in.i32(), 1);
            QCOMPARE(in.str(), QByteArray("old"));
            QCOMPARE(in.i32(), 1);
            QCOMPARE(in.i32(), 0);                     // partition
            QCOMPARE(in.i16(), err::None);             // error
            QCOMPARE(in.i64(), std::int64_t(version)); // base offset: one record per version
            if (version >= 2)
                QCOMPARE(in.i64(), std::int64_t(-1)); // log_append_time
            if (version >= 1)
                QCOMPARE(in.i32(), 0); // throttle_time_ms
            QVERIFY(in.atEnd());
        }
    }

    // A compressed batch (here zstd, which librdkafka will not send us) is stored as it came,
    // fetched back byte for byte, and its records decode for native readers.
    void compressedBatchIsKeptAndDecodes()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("zs", 1).topic);
        const QByteArray plain =
            recordBatch({{"k1", "first", {}}, {"k2", "second", {}}}, 1700000000000);
        QByteArray packed;
        QString error;
        QVERIFY(compression::compress(4, QByteArrayView(plain).sliced(61), packed, error));
        QByteArray batch = plain.left(61) + packed;
        Out length;
        length.i32(std::int32_t(batch.size() - 12));
        batch.replace(8, 4, length.data());
        batch[22] = char(4); // attributes: zstd
        Out crc;
        crc.u32(crc32c(batch.mid(21)));
        batch.replace(17, 4, crc.data());

        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        QVERIFY2(c.call(api::Produce, 3, produceBody("zs", 0, batch), body), qPrintable(c.error()));
        const auto r = parseProduce(body, "zs");
        QVERIFY(r);
        QCOMPARE(r->error, err::None);
        QVERIFY2(c.call(api::Fetch, 4, fetchBody("zs", 0, 0, 0), body), qPrintable(c.error()));
        const auto f = parseFetch(body, "zs");
        QVERIFY(f && f->records);
        QCOMPARE(*f->records, batch); // baseOffset 0 either way

        QStringList values;
        const auto read = m_broker->topics().find("zs")->partition(0)->readRecords(
            0, 10, [&](const rivulet::RecordView &rec) {
                values << QString::fromUtf8(rec.key.toByteArray() + '=' + rec.value.toByteArray());
                return true;
            });
        QVERIFY2(read.error.isEmpty(), qPrintable(read.error));
        QCOMPARE(values, QStringList({"k1=first", "k2=second"}));
    }

    // Produce with acks=0 gets no answer at all: the next thing on the wire answers the
    // request after it.
    void produceAcksZero()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("quiet", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const QByteArray good = recordBatch({{"k", "v", {}}}, 1700000000000);
        QByteArray bad = recordBatch({{"k", "w", {}}}, 1700000000000);
        bad[bad.size() - 2] = char(bad[bad.size() - 2] ^ 0x01); // damages the CRC check

        // stored, unanswered; then a bad batch, also unanswered; then ApiVersions
        c.sendRequest(api::Produce, 3, produceBody("quiet", 0, good, 0));
        c.sendRequest(api::Produce, 3, produceBody("quiet", 0, bad, 0));
        const std::int32_t versionsId = c.sendRequest(api::ApiVersions, 0, {});
        QByteArray body;
        QVERIFY2(c.readResponse(versionsId, body), qPrintable(c.error()));
        QVERIFY2(parseApiVersions(body, false), qPrintable(hex(body)));
        QVERIFY2(c.staysQuiet(200), qPrintable(c.error()));
        QCOMPARE(listOffset(c, "quiet", 0, -1), std::optional<std::int64_t>(1));
    }

    // A batch whose CRC does not match: CORRUPT_MESSAGE and nothing stored.
    void produceCorruptBatch_data()
    {
        QTest::addColumn<int>("where"); // which byte to flip; negative counts from the end
        QTest::newRow("crc field") << 17;
        QTest::newRow("attributes") << 22;
        QTest::newRow("max timestamp") << 40;
        QTest::newRow("last value byte") << -1;
    }
    void produceCorruptBatch()
    {
        QFETCH(int, where);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("crc", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        const QByteArray good = recordBatch({{"k0", "v0", {}}}, 1700000000000);
        QVERIFY2(c.call(api::Produce, 3, produceBody("crc", 0, good), body), qPrintable(c.error()));
        QCOMPARE(parseProduce(body, "crc")->error, err::None);

        QByteArray bad = recordBatch(sampleRecords(), 1700000000001);
        const qsizetype at = where < 0 ? bad.size() + where : where;
        bad[at] = char(bad[at] ^ 0x10);
        const QByteArray request = produceBody("crc", 0, bad);
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        const auto r = parseProduce(body, "crc");
        QVERIFY2(r, describe(request, body).constData());
        QVERIFY2(r->error == err::CorruptMessage, describe(request, body).constData());
        QCOMPARE(r->baseOffset, std::int64_t(-1));

        // nothing stored: the end is unchanged and a fetch from it finds no records
        QCOMPARE(listOffset(c, "crc", 0, -1), std::optional<std::int64_t>(1));
        QVERIFY2(c.call(api::Fetch, 4, fetchBody("crc", 0, 1, 0), body), qPrintable(c.error()));
        const auto f = parseFetch(body, "crc");
        QVERIFY2(f, qPrintable(hex(body)));
        QCOMPARE(f->error, err::None);
        QCOMPARE(f->highWatermark, std::int64_t(1));
        QCOMPARE(f->records, std::optional<QByteArray>(QByteArray()));
        // and the first batch comes back unharmed
        QVERIFY2(c.call(api::Fetch, 4, fetchBody("crc", 0, 0, 0), body), qPrintable(c.error()));
        QCOMPARE(parseFetch(body, "crc")->records, std::optional<QByteArray>(good));
    }

    // Kafka's rule: clients do not write transaction markers (control batches), and a batch
    // with a producer id carries sequence numbers. Both answer 87 and store nothing.
    void produceControlOrSequencelessBatchRefused_data()
    {
        QTest::addColumn<bool>("control");
        QTest::newRow("control batch") << true;
        QTest::newRow("producer id without sequence") << false;
    }
    void produceControlOrSequencelessBatchRefused()
    {
        QFETCH(bool, control);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("ctl", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray batch = recordBatch({{"k0", "v0", {}}}, 1700000000000);
        auto put = [&](int at, std::uint64_t v, int n) {
            for (int i = 0; i < n; ++i)
                batch[at + i] = char((v >> (8 * (n - 1 - i))) & 0xFF);
        };
        if (control)
            put(21, 0x30, 2); // attributes: transactional, control
        else
            put(43, 7, 8); // producer id 7, base sequence still -1
        put(17, crc32c(batch.mid(21)), 4);
        QByteArray body;
        const QByteArray request = produceBody("ctl", 0, batch);
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        const auto r = parseProduce(body, "ctl");
        QVERIFY2(r && r->error == err::InvalidRecord, describe(request, body).constData());
        QCOMPARE(listOffset(c, "ctl", 0, -1), std::optional<std::int64_t>(0));
    }

    // Kafka's LogValidator: a batch's offset range is its record count. Today's refusal
    // keeps two 80-byte batches from moving a partition's end to 2^32 (where native Produce
    // fails for good). INVALID_RECORD, nothing stored.
    void produceOffsetDeltaMismatchRefused_data()
    {
        QTest::addColumn<int>("records");
        QTest::addColumn<qint32>("lastOffsetDelta");
        QTest::newRow("one record, delta 2^31-1") << 1 << qint32(INT_MAX);
        QTest::newRow("one record, delta 1") << 1 << qint32(1);
        QTest::newRow("two records, delta 0") << 2 << qint32(0);
    }
    void produceOffsetDeltaMismatchRefused()
    {
        QFETCH(int, records);
        QFETCH(qint32, lastOffsetDelta);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("delta", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        std::vector<Rec> sent;
        for (int i = 0; i < records; ++i)
            sent.push_back({"k", "v" + QByteArray::number(i), {}});
        QByteArray batch = recordBatch(sent, 1700000000000);
        batch.replace(23, 4, Out().i32(lastOffsetDelta).data());
        batch.replace(17, 4, Out().u32(crc32c(batch.mid(21))).data());
        QByteArray body;
        for (int attempt = 0; attempt < 2; ++attempt) {
            const QByteArray request = produceBody("delta", 0, batch);
            QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
            const auto r = parseProduce(body, "delta");
            QVERIFY2(r && r->error == err::InvalidRecord, describe(request, body).constData());
        }
        QCOMPARE(listOffset(c, "delta", 0, -1), std::optional<std::int64_t>(0));
        // the native side says why, and a right batch still goes to offset 0
        const ProduceResult refused = m_broker->produce("delta", 0, batch);
        QCOMPARE(int(refused.error), int(ProduceError::InvalidRecords));
        QVERIFY2(refused.message.contains(u"lastOffsetDelta"), qPrintable(refused.message));
        QVERIFY2(c.call(api::Produce, 3,
                        produceBody("delta", 0, recordBatch({{"k", "ok", {}}}, 1700000000000)),
                        body),
                 qPrintable(c.error()));
        QCOMPARE(parseProduce(body, "delta")->error, err::None);
        QCOMPARE(listOffset(c, "delta", 0, -1), std::optional<std::int64_t>(1));
    }

    // A compressed batch whose records inflate past the maximum message size is refused with
    // MESSAGE_TOO_LARGE, for every codec, and nothing is stored; one just under it is kept.
    // Records that cannot be decompressed are CORRUPT_MESSAGE.
    void produceInflatingBatchRefused_data()
    {
        QTest::addColumn<int>("codec");
        for (int codec = 1; codec <= 4; ++codec)
            QTest::newRow(compression::codecName(codec)) << codec;
    }
    void produceInflatingBatchRefused()
    {
        QFETCH(int, codec);
        constexpr qsizetype kMax = 1 << 20;
        QVERIFY(start(true, kMax));
        QVERIFY(m_broker->createTopic("bomb", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        auto send = [&](const QByteArray &batch) {
            const QByteArray request = produceBody("bomb", 0, batch);
            if (!c.call(api::Produce, 3, request, body))
                return std::optional<ProducePartition>();
            return parseProduce(body, "bomb");
        };
        // 16 MiB of zeros in one record packs into a few KiB (gzip: 16 KiB)
        const QByteArray bomb =
            compressedBatch(codec, recordBatch({{"k", QByteArray(16 << 20, '\0'), {}}}, 1));
        QVERIFY2(bomb.size() < 1 << 20, qPrintable(QString::number(bomb.size())));
        auto r = send(bomb);
        QVERIFY2(r && r->error == err::MessageTooLarge, qPrintable(hex(body.left(64))));
        const ProduceResult refused = m_broker->produce("bomb", 0, bomb);
        QVERIFY2(refused.message.contains(u"more than 1048576 bytes"), qPrintable(refused.message));

        // just under the bound: kept, and readable
        const QByteArray fits = compressedBatch(
            codec, recordBatch({{"k", QByteArray(kMax - 100, 'x'), {}}}, 1700000000000));
        r = send(fits);
        QVERIFY2(r && r->error == err::None, qPrintable(hex(body.left(64))));
        QCOMPARE(r->baseOffset, std::int64_t(0));

        // not data of the codec at all
        QByteArray garbage = recordBatch({{"k", "v", {}}}, 1);
        garbage.append("not compressed at all");
        garbage.replace(8, 4, Out().i32(std::int32_t(garbage.size() - 12)).data());
        garbage.replace(21, 2, Out().i16(codec).data());
        garbage.replace(17, 4, Out().u32(crc32c(garbage.mid(21))).data());
        r = send(garbage);
        QVERIFY2(r && r->error == err::CorruptMessage, qPrintable(hex(body.left(64))));
        QCOMPARE(listOffset(c, "bomb", 0, -1), std::optional<std::int64_t>(1));

        // an uncompressed batch is held to the same bound
        r = send(recordBatch({{"k", QByteArray(kMax + 1, 'y'), {}}}, 1));
        QVERIFY2(r && r->error == err::MessageTooLarge, qPrintable(hex(body.left(64))));
        QCOMPARE(listOffset(c, "bomb", 0, -1), std::optional<std::int64_t>(1));
    }

    // A batch stored before produce checked sizes (here: under a larger bound) that inflates
    // past today's bound is not decompressed past it when read: the reader gets an error
    // saying why, and Kafka Fetch, which hands batches out as stored, still serves it.
    void storedInflatingBatchIsBoundedWhenRead()
    {
        QVERIFY(start(true, 8 << 20));
        QVERIFY(m_broker->createTopic("old", 1).topic);
        const QByteArray big =
            compressedBatch(1, recordBatch({{"k", QByteArray(4 << 20, 'z'), {}}}, 1));
        QCOMPARE(int(m_broker->produce("old", 0, big).error), int(ProduceError::None));
        compression::setMaxInflatedBytes(1 << 20);
        const auto read = m_broker->topics().find("old")->partition(0)->readRecords(
            0, 10, [](const rivulet::RecordView &) { return true; });
        compression::setMaxInflatedBytes(compression::kDefaultMaxInflatedBytes);
        QCOMPARE(read.records, 0);
        QVERIFY2(read.error.contains(u"offsets 0-0") && read.error.contains(u"more than 1048576"),
                 qPrintable(read.error));
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        QVERIFY2(c.call(api::Fetch, 4, fetchBody("old", 0, 0, 0), body), qPrintable(c.error()));
        const auto f = parseFetch(body, "old");
        QVERIFY(f && f->records);
        QCOMPARE(*f->records, big);
    }

    void produceUnknownTopicWithoutAutoCreate()
    {
        QVERIFY(start(false));
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        const QByteArray request =
            produceBody("nosuch", 0, recordBatch({{"k", "v", {}}}, 1700000000000));
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        const auto r = parseProduce(body, "nosuch");
        QVERIFY2(r, describe(request, body).constData());
        QCOMPARE(r->error, err::UnknownTopicOrPartition);
        QCOMPARE(r->baseOffset, std::int64_t(-1));
        QVERIFY(!m_broker->topics().find("nosuch"));
    }

    void produceAutoCreatesTopic()
    {
        QVERIFY(start(true));
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        const QByteArray request =
            produceBody("fresh", 0, recordBatch({{"k", "v", {}}}, 1700000000000));
        QVERIFY2(c.call(api::Produce, 3, request, body), qPrintable(c.error()));
        const auto r = parseProduce(body, "fresh");
        QVERIFY2(r, describe(request, body).constData());
        QCOMPARE(r->error, err::None);
        QCOMPARE(r->baseOffset, std::int64_t(0));
        QVERIFY(m_broker->topics().find("fresh"));
    }
};

QTEST_GUILESS_MAIN(TestKafkaProduce)
#include "tst_kafkaproduce.moc"
