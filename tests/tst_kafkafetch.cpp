// The broker's Kafka Fetch (v4: whole batches back byte for byte, long polls, answers in
// request order) and ListOffsets (v0-v2, by timestamp), against bytes written out by hand
// (support/kafkawire.h) over real sockets.

#include "support/kafkaclient.h"

#include <QElapsedTimer>
#include <QTest>

#include <tuple>

using namespace rivulet;
using namespace rivulet::testing;

class TestKafkaFetch : public QObject, public KafkaServerFixture
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup() { stop(); }

    // ---- Fetch ----

    void fetch()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("fe", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        const QByteArray first = recordBatch(sampleRecords(), 1700000000000);
        const QByteArray second = recordBatch({{"a", "1", {}}, {"b", "2", {}}}, 1700000001000);
        QVERIFY2(c.call(api::Produce, 3, produceBody("fe", 0, first), body), qPrintable(c.error()));
        QCOMPARE(parseProduce(body, "fe")->baseOffset, std::int64_t(0));
        QVERIFY2(c.call(api::Produce, 3, produceBody("fe", 0, second), body),
                 qPrintable(c.error()));
        QCOMPARE(parseProduce(body, "fe")->baseOffset, std::int64_t(3));
        // stored as they came; only baseOffset is the broker's
        const QByteArray expectFirst = withBaseOffset(first, 0);
        const QByteArray expectSecond = withBaseOffset(second, 3);

        struct Case
        {
            std::int64_t offset;
            std::int32_t partitionMaxBytes;
            QByteArray expected;
        };
        const std::vector<Case> cases = {
            {0, 1 << 20, expectFirst + expectSecond},
            {1, 1 << 20, expectFirst + expectSecond}, // whole batches from the one holding 1
            {2, 1 << 20, expectFirst + expectSecond},
            {3, 1 << 20, expectSecond},
            {4, 1 << 20, expectSecond},
            {0, 10, expectFirst}, // at least one whole batch even over the limit
        };
        for (const Case &k : cases) {
            const QByteArray request = fetchBody("fe", 0, k.offset, 0, k.partitionMaxBytes);
            QVERIFY2(c.call(api::Fetch, 4, request, body), qPrintable(c.error()));
            const auto f = parseFetch(body, "fe");
            QVERIFY2(f, describe(request, body).constData());
            QCOMPARE(f->throttle, 0);
            QCOMPARE(f->partition, 0);
            QCOMPARE(f->error, err::None);
            QCOMPARE(f->highWatermark, std::int64_t(5));
            QCOMPARE(f->lastStable, std::int64_t(5));
            QCOMPARE(f->aborted, 0);
            QVERIFY2(f->records == k.expected,
                     qPrintable(QStringLiteral("from %1: got %2\n want %3")
                                    .arg(k.offset)
                                    .arg(hex(f->records.value_or("")))
                                    .arg(hex(k.expected))));
        }

        // what came back decodes, with valid CRCs, to what was sent
        QVERIFY2(c.call(api::Fetch, 4, fetchBody("fe", 0, 0, 0), body), qPrintable(c.error()));
        const auto batches = decodeBatches(*parseFetch(body, "fe")->records);
        QVERIFY(batches && batches->size() == 2);
        QCOMPARE((*batches)[0].baseOffset, std::int64_t(0));
        QCOMPARE((*batches)[1].baseOffset, std::int64_t(3));
        for (const Batch &b : *batches) {
            QCOMPARE(b.magic, 2);
            QCOMPARE(b.crc, b.computedCrc);
        }
        const std::vector<Rec> sent = sampleRecords();
        QCOMPARE(int((*batches)[0].records.size()), 3);
        for (std::size_t i = 0; i < sent.size(); ++i) {
            const Rec &got = (*batches)[0].records[i];
            QCOMPARE(got.key, sent[i].key);
            QCOMPARE(got.value, sent[i].value);
            QCOMPARE(got.headers, sent[i].headers);
            QCOMPARE(got.offsetDelta, std::int64_t(i));
        }

        // at the high watermark: no error, empty (not null) records
        QVERIFY2(c.call(api::Fetch, 4, fetchBody("fe", 0, 5, 0), body), qPrintable(c.error()));
        auto f = parseFetch(body, "fe");
        QVERIFY2(f, qPrintable(hex(body)));
        QCOMPARE(f->error, err::None);
        QCOMPARE(f->highWatermark, std::int64_t(5));
        QVERIFY2(f->records && f->records->isEmpty(), qPrintable(hex(body)));
        // its last 4 bytes are the records size, 0 and not -1
        QCOMPARE(body.right(4), QByteArray(4, '\0'));

        // beyond the high watermark, and below the log start: OFFSET_OUT_OF_RANGE
        for (std::int64_t offset : {std::int64_t(6), std::int64_t(1000), std::int64_t(-1)}) {
            const QByteArray request = fetchBody("fe", 0, offset, 0);
            QVERIFY2(c.call(api::Fetch, 4, request, body), qPrintable(c.error()));
            f = parseFetch(body, "fe");
            QVERIFY2(f, describe(request, body).constData());
            QVERIFY2(f->error == err::OffsetOutOfRange, describe(request, body).constData());
            QVERIFY2(f->records && f->records->isEmpty(), describe(request, body).constData());
        }

        // unknown topic and unknown partition: 3
        for (const auto &[topic, partition] :
             std::vector<std::pair<QByteArray, std::int32_t>>{{"nope", 0}, {"fe", 9}}) {
            const QByteArray request = fetchBody(topic, partition, 0, 0);
            QVERIFY2(c.call(api::Fetch, 4, request, body), qPrintable(c.error()));
            f = parseFetch(body, topic);
            QVERIFY2(f, describe(request, body).constData());
            QCOMPARE(f->partition, partition);
            QCOMPARE(f->error, err::UnknownTopicOrPartition);
            QVERIFY2(f->records && f->records->isEmpty(), describe(request, body).constData());
        }
    }

    // A waiting Fetch is answered as soon as another connection produces.
    void fetchLongPollAnsweredEarly()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("lp", 1).topic);
        KafkaClient consumer, producer;
        QVERIFY2(consumer.connectTo(m_port), qPrintable(consumer.error()));
        QVERIFY2(producer.connectTo(m_port), qPrintable(producer.error()));
        QElapsedTimer clock;
        clock.start();
        const std::int32_t id = consumer.sendRequest(api::Fetch, 4, fetchBody("lp", 0, 0, 2000));
        QVERIFY2(consumer.staysQuiet(300), qPrintable(consumer.error()));
        const QByteArray batch = recordBatch({{"k", "late", {}}}, 1700000000000);
        QByteArray body;
        QVERIFY2(producer.call(api::Produce, 3, produceBody("lp", 0, batch), body),
                 qPrintable(producer.error()));
        QCOMPARE(parseProduce(body, "lp")->error, err::None);
        QVERIFY2(consumer.readResponse(id, body), qPrintable(consumer.error()));
        const qint64 elapsed = clock.elapsed();
        QVERIFY2(elapsed < 1500, qPrintable(QStringLiteral("answered after %1 ms").arg(elapsed)));
        const auto f = parseFetch(body, "lp");
        QVERIFY2(f, qPrintable(hex(body)));
        QCOMPARE(f->error, err::None);
        QCOMPARE(f->highWatermark, std::int64_t(1));
        QCOMPARE(f->records, std::optional<QByteArray>(batch));
    }

    // With no data the Fetch waits max_wait_ms, then answers with empty records.
    void fetchLongPollTimesOut()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("idle", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QElapsedTimer clock;
        clock.start();
        const std::int32_t id = c.sendRequest(api::Fetch, 4, fetchBody("idle", 0, 0, 1000));
        QByteArray body;
        QVERIFY2(c.readResponse(id, body), qPrintable(c.error()));
        const qint64 elapsed = clock.elapsed();
        QVERIFY2(elapsed >= 950 && elapsed < 5000,
                 qPrintable(QStringLiteral("answered after %1 ms, max_wait_ms 1000").arg(elapsed)));
        const auto f = parseFetch(body, "idle");
        QVERIFY2(f, qPrintable(hex(body)));
        QCOMPARE(f->error, err::None);
        QCOMPARE(f->highWatermark, std::int64_t(0));
        QCOMPARE(f->records, std::optional<QByteArray>(QByteArray()));
    }

    // Answers go out in request order: a waiting Fetch holds back the Metadata behind it.
    void fetchWaitHoldsBackLaterAnswers()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("order", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const std::int32_t fetchId = 500;
        const std::int32_t metadataId = 501;
        QElapsedTimer clock;
        clock.start();
        c.send(requestFrame(api::Fetch, 4, fetchId, fetchBody("order", 0, 0, 800)) +
               requestFrame(api::Metadata, 1, metadataId, metadataBody(1, std::nullopt)));
        QByteArray body;
        QVERIFY2(c.readResponse(fetchId, body), qPrintable(c.error()));
        const qint64 elapsed = clock.elapsed();
        QVERIFY2(elapsed >= 750, qPrintable(QStringLiteral("after %1 ms").arg(elapsed)));
        QVERIFY2(parseFetch(body, "order"), qPrintable(hex(body)));
        QVERIFY2(c.readResponse(metadataId, body), qPrintable(c.error()));
        QVERIFY2(parseMetadata(1, body), qPrintable(hex(body)));
    }

    // ---- ListOffsets ----

    void listOffsets_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 2; ++v)
            QTest::addRow("v%d", v) << v;
    }
    void listOffsets()
    {
        QFETCH(int, version);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("lo", 2).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        QVERIFY2(c.call(api::Produce, 3,
                        produceBody("lo", 0, recordBatch(sampleRecords(), 1700000000000)), body),
                 qPrintable(c.error()));
        QVERIFY2(c.call(api::Produce, 3,
                        produceBody("lo", 0, recordBatch({{"a", "b", {}}}, 1700000001000)), body),
                 qPrintable(c.error()));

        struct Expect
        {
            std::int32_t partition;
            std::int64_t timestamp;
            int error;
            std::int64_t offset;
        };
        const std::vector<std::vector<Expect>> requests = {
            {{0, -1, err::None, 4}, {1, -1, err::None, 0}},
            {{0, -2, err::None, 0}, {1, -2, err::None, 0}},
            {{7, -1, err::UnknownTopicOrPartition, -1}},
        };
        for (const auto &expects : requests) {
            std::vector<std::pair<std::int32_t, std::int64_t>> asked;
            for (const Expect &e : expects)
                asked.emplace_back(e.partition, e.timestamp);
            const QByteArray request = listOffsetsBody(version, "lo", asked);
            QVERIFY2(c.call(api::ListOffsets, std::int16_t(version), request, body),
                     qPrintable(c.error()));
            const QByteArray why = describe(request, body);
            // v0: [topic [partition error_code [old_style_offsets]]]
            // v1: [topic [partition error_code timestamp offset]]; v2: throttle_time_ms first
            In in(body);
            if (version >= 2)
                QCOMPARE(in.i32(), 0);
            QVERIFY2(in.count() == 1 && in.str() == "lo", why.constData());
            QVERIFY2(in.count() == std::int32_t(expects.size()), why.constData());
            for (const Expect &e : expects) {
                QVERIFY2(in.i32() == e.partition, why.constData());
                QVERIFY2(in.i16() == e.error, why.constData());
                if (version == 0) {
                    const std::int32_t n = in.count(8);
                    if (e.error) {
                        QVERIFY2(n == 0, why.constData());
                    } else {
                        QVERIFY2(n == 1, why.constData());
                        QVERIFY2(in.i64() == e.offset, why.constData());
                    }
                } else {
                    QVERIFY2(in.i64() == -1, why.constData()); // timestamp: -1 for -1/-2
                    QVERIFY2(in.i64() == e.offset, why.constData());
                }
            }
            QVERIFY2(in.atEnd(), why.constData());
        }
    }

    // A timestamp lookup (v1) answers, as Kafka does, the first record whose timestamp is
    // at or after the one asked for, with that record's timestamp; offset and timestamp -1
    // when there is none (KafkaApis.handleListOffsetRequestV1AndAbove).
    void listOffsetsByTimestamp()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("ts", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        // records 0,1,2 at T, T+1, T+2; records 3,4 at U, U+1
        const std::int64_t t = 1700000000000, u = 1700000005000;
        QVERIFY2(
            c.call(api::Produce, 3, produceBody("ts", 0, recordBatch(sampleRecords(), t)), body),
            qPrintable(c.error()));
        QVERIFY2(c.call(api::Produce, 3,
                        produceBody("ts", 0, recordBatch({{"a", "1", {}}, {"b", "2", {}}}, u)),
                        body),
                 qPrintable(c.error()));
        const std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> cases = {
            // asked, offset, timestamp
            {t - 100, 0, t},   {t, 0, t},         {u, 3, u},
            {t + 1, 1, t + 1}, {u + 1, 4, u + 1}, {u + 100, -1, -1},
        };
        QStringList wrong;
        for (const auto &[asked, offset, timestamp] : cases) {
            const QByteArray request = listOffsetsBody(1, "ts", {{0, asked}});
            QVERIFY2(c.call(api::ListOffsets, 1, request, body), qPrintable(c.error()));
            In in(body);
            QVERIFY2(in.count() == 1 && in.str() == "ts" && in.count() == 1 && in.i32() == 0 &&
                         in.i16() == 0,
                     describe(request, body).constData());
            const std::int64_t gotTimestamp = in.i64();
            const std::int64_t gotOffset = in.i64();
            QVERIFY(in.atEnd());
            // timestamps relative to T, the first batch's base timestamp
            auto rel = [t](std::int64_t ts) {
                return ts < 0 ? QString::number(ts)
                              : QStringLiteral("T%1%2").arg(ts >= t ? "+" : "").arg(ts - t);
            };
            if (gotOffset != offset || gotTimestamp != timestamp)
                wrong << QStringLiteral("asked %1: got offset %2 timestamp %3, want offset %4 "
                                        "timestamp %5%6")
                             .arg(rel(asked))
                             .arg(gotOffset)
                             .arg(rel(gotTimestamp))
                             .arg(offset)
                             .arg(rel(timestamp))
                             .arg(wrong.isEmpty() ? QStringLiteral(" (request body %1, response "
                                                                   "body %2)")
                                                        .arg(hex(request), hex(body))
                                                  : QString());
        }
        QVERIFY2(wrong.isEmpty(), qPrintable(wrong.join(QStringLiteral("\n   "))));
    }
};

QTEST_GUILESS_MAIN(TestKafkaFetch)
#include "tst_kafkafetch.moc"
