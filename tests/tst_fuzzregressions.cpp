// Inputs the fuzz harnesses (tests/fuzz, docs/FUZZING.md) found to crash or misbehave, fed
// byte for byte through the same code as in the normal suite, with what must happen instead.
// The sanitizers that first reported some of them are not in this build: these tests pin
// the behaviour, the fuzz build (make test runs it too) keeps the sanitizers' watch.
#include "broker.h"
#include "coordinator/producerstate.h"
#include "kafka/kafkahandler.h"
#include "log/bytes.h"
#include "log/compression.h"
#include "log/crc32c.h"
#include "log/recordbatch.h"
#include "native/clientcodec.h"
#include "native/nativehandler.h"
#include "native/requestparser.h"

#include <QTest>

#include <chrono>
#include <future>
#include <limits>

using namespace rivulet;

namespace {

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(text);
}

// Parses and carries out every request in bytes on one connection; the replies, parsed.
QList<native::Reply> runNative(Broker &broker, const QByteArray &bytes)
{
    native::RequestParser parser;
    native::NativeHandler handler(broker, "127.0.0.1:1");
    QByteArray out;
    qsizetype at = 0;
    while (at < bytes.size()) {
        const auto result = parser.parse(bytes.constData() + at, std::size_t(bytes.size() - at));
        if (result.status != native::RequestParser::Status::Complete)
            break;
        at += qsizetype(result.consumed);
        if (handler.handle(result.request, out) == native::NativeHandler::Outcome::Close)
            break;
    }
    QList<native::Reply> replies;
    native::ReplyParser replyParser;
    qsizetype read = 0;
    while (read < out.size()) {
        native::Reply reply;
        std::size_t consumed = 0;
        if (replyParser.parse(out.constData() + read, std::size_t(out.size() - read), reply,
                              consumed) != native::ReplyParser::Status::Complete)
            break;
        read += qsizetype(consumed);
        replies.append(reply);
    }
    return replies;
}

} // namespace

class TestFuzzRegressions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // fuzz_native_request: a Produce of one empty value made RecordBatchBuilder memcpy from
    // the empty view's null pointer (UBSan: null passed as a nonnull argument).
    void nativeProduceOfAnEmptyValue()
    {
        Broker broker;
        // CreateTopic "t" (1 partition), Produce to t[0] the values "" and "x", Consume from 0
        const QByteArray bytes = hex("03"
                                     "00000001"
                                     "74"
                                     "00000001"
                                     "00000000"
                                     "01"
                                     "00000001"
                                     "74"
                                     "00000000"
                                     "00000002"
                                     "00000000"
                                     "00000001"
                                     "78"
                                     "00000000"
                                     "02"
                                     "00000001"
                                     "74"
                                     "00000000"
                                     "00000000"
                                     "0000000a"
                                     "00000000");
        const auto replies = runNative(broker, bytes);
        QCOMPARE(replies.size(), 3);
        QVERIFY(!replies[0].error);
        QVERIFY(!replies[1].error);
        QCOMPARE(replies[1].offsets, QList<std::uint32_t>{1}); // the last offset
        QCOMPARE(replies[2].contents.size(), 2);
        QCOMPARE(replies[2].contents[0].value, QByteArray());
        QCOMPARE(replies[2].contents[1].value, QByteArray("x"));
    }

    // fuzz_kafka_handler: a Produce v9 whose batch has lastOffsetDelta -1 (and garbage
    // elsewhere); producerOf() ran before the batch was validated and computed INT32_MAX - -1
    // (UBSan: signed integer overflow). The frame as the harness found it.
    void kafkaProduceWithANegativeLastOffsetDelta()
    {
        const QByteArray frame = hex(
            "0000000900000003000573656564730000ffff000003e80202740200000000ec0100000000000000000000"
            "006c00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff01000c0000"
            "00040005736565640000010f0000000900000003000573656564730000ffff000003e87300ffffffff0000"
            "0000000000017fffffff0000000000ffffffff0202740200000000ffffffff0000000000000000ffffffff"
            "ffffffffffffffff001000000000010100002c0002000700000005000573656564730000000000000202"
            "740200000000ffffffffffffffffffffffff0000000030000800080000000600057365656473000267ff"
            "ffffff010002027402000000000000");
        Broker broker;
        kafka::KafkaHandler handler(broker, {},
                                    std::make_shared<ClientStats>(QString(), QString(), 0),
                                    QStringLiteral("127.0.0.1"));
        // its batch has compression bits set, so the broker's pool checks it (deferred)
        auto answered = std::make_shared<std::promise<QByteArray>>();
        auto outcome =
            handler.handle(frame, [answered](QByteArray r) { answered->set_value(std::move(r)); });
        using Kind = kafka::KafkaHandler::Outcome::Kind;
        if (outcome.kind == Kind::Deferred) {
            auto later = answered->get_future();
            QVERIFY(later.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
            outcome = {Kind::Respond, later.get(), {}};
        }
        QCOMPARE(outcome.kind, Kind::Respond);
        kafka::Reader in(outcome.response);
        QCOMPARE(in.i32(), 3); // correlation id
        in.unsignedVarint();   // header tagged fields (v9 is flexible)
        kafka::ProduceResponse response;
        response.read(in, 9);
        QVERIFY(in.ok());
        QCOMPARE(response.responses.size(), std::size_t(1));
        QCOMPARE(response.responses[0].partitionResponses.size(), std::size_t(1));
        QCOMPARE(response.responses[0].partitionResponses[0].errorCode,
                 std::int16_t(87)); // INVALID_RECORD: clients may not write control batches
        const auto topic = broker.topics().find("t");
        QVERIFY(!topic || topic->partition(0)->endOffset() == 0);

        // the sequence arithmetic itself, on a batch with sequence 5 and lastOffsetDelta -1
        QByteArray batch = RecordBatchBuilder(0).finish();
        be::writeU32(batch.data() + batch::kLastOffsetDelta, std::uint32_t(-1));
        be::writeU64(batch.data() + batch::kProducerId, 7);
        be::writeU32(batch.data() + batch::kBaseSequence, 5);
        QCOMPARE(producerOf(batch).lastSequence, 4);
        be::writeU32(batch.data() + batch::kBaseSequence, 0x7fffffff);
        be::writeU32(batch.data() + batch::kLastOffsetDelta, 2);
        QCOMPARE(producerOf(batch).lastSequence, 1); // wraps to 0, as Kafka's sequences do
    }

    // fuzz_record_batch: a batch with base offset INT64_MAX - its record's offset delta 1
    // overflowed int64 in decodeRecord() (base + delta) and lastOffset(); a Kafka Produce
    // reaches them before validation refuses the batch. The input as the harness takes it:
    // mode byte 1 (CRC fixed up), then the batch.
    void batchWithBaseOffsetAtTheTopOfInt64()
    {
        const QByteArray input = hex("017fffffffffffffff00000039000000000200000000000000000001"
                                     "7ffffffffffffffe0000000000000000ffffffffffffffffffffffff"
                                     "ffff000000010e000a0201027800");
        QByteArray bytes = input.mid(1);
        be::writeU32(bytes.data() + batch::kCrc,
                     crc32c(bytes.constData() + batch::kAttributes,
                            std::size_t(bytes.size() - batch::kAttributes)));
        const RecordBatchView view(bytes);
        // offsets wrap without overflowing; the batch's framing is sound, but its one record
        // claims two offsets (lastOffsetDelta 1), which Kafka's LogValidator refuses
        QCOMPARE(view.validate(false), RecordBatchView::Check::Ok);
        QCOMPARE(view.validate(true), RecordBatchView::Check::BadOffsetRange);
        QCOMPARE(view.lastOffset(), std::numeric_limits<std::int64_t>::min());
        int records = 0;
        QVERIFY(view.forEachRecord(std::numeric_limits<std::int64_t>::min(),
                                   [&](const RecordView &record) {
                                       ++records;
                                       return record.value == "x";
                                   }));
        QCOMPARE(records, 1);

        // so a produce of it stores nothing (before, it took offsets 0 and 1 for one record)
        Broker broker;
        broker.createTopic("t", 1);
        const ProduceResult refused = broker.produce("t", 0, bytes);
        QCOMPARE(refused.error, ProduceError::InvalidRecords);
        QCOMPARE(broker.topics().find("t")->partition(0)->endOffset(), std::int64_t(0));
        // with a lastOffsetDelta that matches, a client's base offset still means nothing:
        // the log gives the batch its own offsets
        be::writeU32(bytes.data() + batch::kLastOffsetDelta, 0);
        bytes[bytes.size() - 5] = 0; // the record's offset delta: 0
        be::writeU32(bytes.data() + batch::kCrc,
                     crc32c(bytes.constData() + batch::kAttributes,
                            std::size_t(bytes.size() - batch::kAttributes)));
        const ProduceResult result = broker.produce("t", 0, bytes);
        QCOMPARE(result.error, ProduceError::None);
        QCOMPARE(result.baseOffset, std::int64_t(0));
        QCOMPARE(result.lastOffset, std::int64_t(0));
    }

    // fuzz_record_batch: decompress() told success by the error string being empty, so an
    // error string left from an earlier failed call made a good gzip stream (here of no
    // bytes at all) fail.
    void decompressionAfterAFailedOne()
    {
        QByteArray out;
        QString error;
        QVERIFY(!compression::decompress(1, hex("00"), out, error));
        QVERIFY(!error.isEmpty());
        QVERIFY2(
            compression::decompress(1, hex("1f8b080000000000000303000000000000000000"), out, error),
            qPrintable(error));
        QVERIFY(error.isEmpty());
        QCOMPARE(out, QByteArray());
    }
};

QTEST_GUILESS_MAIN(TestFuzzRegressions)
#include "tst_fuzzregressions.moc"
