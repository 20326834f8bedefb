// The native protocol's ReplyParser (client side): every record kind, replies split over
// many reads or back to back, and unknown tags or absurd lengths.
#include "native/clientcodec.h"
#include "native/replies.h"
#include "support/nativebytes.h"
#include "support/nativeparsing.h"

#include <QTest>

using namespace rivulet::native;
using namespace rivulet::testsupport;

class TestNativeReplyParser : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // ---- ReplyParser (client side) ----

    void parsesReplies()
    {
        const auto parse = [](const QByteArray &bytes, Reply &reply) {
            ReplyParser parser;
            std::size_t consumed = 0;
            const auto copy = exact(bytes, usize(bytes.size()));
            const RStatus s = parser.parse(copy.data(), copy.size(), reply, consumed);
            return s == RStatus::Complete && consumed == usize(bytes.size());
        };

        Reply r;
        QVERIFY(parse(Bytes().u8(0), r));
        QVERIFY(r.contents.isEmpty() && r.offsets.isEmpty() && r.topicPartitions.isEmpty() &&
                r.consumerPositions.isEmpty() && !r.error && r.errorText.isEmpty());

        QVERIFY(parse(Bytes()
                          .u8(1)
                          .u32(7)
                          .str("hi")
                          .u8(1)
                          .u32(0xFFFFFFFF)
                          .str(QByteArray("\0", 1))
                          .u8(1)
                          .u32(9)
                          .str("")
                          .u8(0),
                      r));
        QCOMPARE(r.contents.size(), 3);
        QCOMPARE(r.contents[0].offset, 7u);
        QCOMPARE(r.contents[0].value, QByteArray("hi"));
        QCOMPARE(r.contents[1].offset, 0xFFFFFFFFu);
        QCOMPARE(r.contents[1].value, QByteArray("\0", 1));
        QCOMPARE(r.contents[2].offset, 9u);
        QVERIFY(r.contents[2].value.isEmpty());
        QVERIFY(!r.error);

        QVERIFY(parse(QByteArray::fromHex("02 00 00 00 04 00"), r));
        QCOMPARE(r.offsets, QList<std::uint32_t>{4});
        QVERIFY(r.contents.isEmpty()); // a new parse starts a new reply

        QVERIFY(parse(Bytes().u8(3).u8(0), r));
        QVERIFY(r.error);
        QVERIFY(r.errorText.isEmpty());

        QVERIFY(parse(Bytes().u8(3).u8(6).str("unknown topic \xc3\xa9").u8(0), r));
        QVERIFY(r.error);
        QCOMPARE(r.errorText, QStringLiteral("unknown topic \u00e9"));

        QVERIFY(parse(Bytes()
                          .u8(4)
                          .str("orders")
                          .u32(1)
                          .u64(0x0102030405060708)
                          .u64(0xFFFFFFFFFFFFFFFF)
                          .u64(4096)
                          .u64(1700000000000)
                          .u8(4)
                          .str("x")
                          .u32(0)
                          .u64(0)
                          .u64(0)
                          .u64(0)
                          .u64(0)
                          .u8(0),
                      r));
        QCOMPARE(r.topicPartitions.size(), 2);
        const TopicPartitionInfo &tp = r.topicPartitions[0];
        QCOMPARE(tp.topic, QByteArray("orders"));
        QCOMPARE(tp.partition, 1u);
        QCOMPARE(tp.startOffset, quint64(0x0102030405060708));
        QCOMPARE(tp.endOffset, quint64(0xFFFFFFFFFFFFFFFF));
        QCOMPARE(tp.sizeBytes, quint64(4096));
        QCOMPARE(tp.lastAppendMs, quint64(1700000000000));
        QCOMPARE(r.topicPartitions[1].topic, QByteArray("x"));

        QVERIFY(parse(Bytes()
                          .u8(5)
                          .str("c1")
                          .str("orders")
                          .u32(2)
                          .u64(5)
                          .u64(0x0102030405060708)
                          .u64(3)
                          .u64(1700000000001)
                          .u8(0),
                      r));
        QCOMPARE(r.consumerPositions.size(), 1);
        const ConsumerPositionInfo &cp = r.consumerPositions[0];
        QCOMPARE(cp.consumer, QByteArray("c1"));
        QCOMPARE(cp.topic, QByteArray("orders"));
        QCOMPARE(cp.partition, 2u);
        QCOMPARE(cp.nextOffset, quint64(5));
        QCOMPARE(cp.endOffset, quint64(0x0102030405060708));
        QCOMPARE(cp.delivered, quint64(3));
        QCOMPARE(cp.lastSeenMs, quint64(1700000000001));
    }

    void replyEncodersAndParserAgree()
    {
        QByteArray out;
        appendContent(out, 3, "v3");
        appendOffset(out, 11);
        appendTopicPartition(out, {"t", 1, 2, 3, 4, 5});
        appendConsumerPosition(out, {"c", "t", 1, 2, 3, 4, 5});
        appendError(out);
        appendErrorText(out, "why");
        appendEmpty(out);
        ReplyParser parser;
        Reply r;
        std::size_t consumed = 0;
        QCOMPARE(parser.parse(out.constData(), usize(out.size()), r, consumed), RStatus::Complete);
        QCOMPARE(consumed, usize(out.size()));
        QCOMPARE(r.contents.size(), 1);
        QCOMPARE(r.contents[0].value, QByteArray("v3"));
        QCOMPARE(r.offsets, QList<std::uint32_t>{11});
        QCOMPARE(r.topicPartitions.size(), 1);
        QCOMPARE(r.topicPartitions[0].lastAppendMs, quint64(5));
        QCOMPARE(r.consumerPositions.size(), 1);
        QCOMPARE(r.consumerPositions[0].lastSeenMs, quint64(5));
        QVERIFY(r.error);
        QCOMPARE(r.errorText, QStringLiteral("why"));
    }

    void replySplitAtEveryByte_data()
    {
        QTest::addColumn<QByteArray>("reply");
        for (const auto &[name, reply] : validReplies())
            QTest::newRow(name.constData()) << reply;
    }
    void replySplitAtEveryByte()
    {
        QFETCH(QByteArray, reply);
        ReplyParser parser;
        for (qsizetype n = 0; n < reply.size(); ++n) {
            Reply r;
            std::size_t consumed = 12345;
            const auto prefix = exact(reply, usize(n));
            QVERIFY2(parser.parse(prefix.data(), prefix.size(), r, consumed) == RStatus::Incomplete,
                     qPrintable(QString::number(n)));
            QCOMPARE(consumed, std::size_t(12345)); // untouched unless Complete
        }
        Reply r;
        std::size_t consumed = 0;
        const auto all = exact(reply, usize(reply.size()));
        QCOMPARE(parser.parse(all.data(), all.size(), r, consumed), RStatus::Complete);
        QCOMPARE(consumed, usize(reply.size()));
    }

    void repliesBackToBack()
    {
        const QByteArray first = Bytes().u8(2).u32(4).u8(0);
        const QByteArray second = Bytes().u8(1).u32(4).str("four").u8(0);
        const QByteArray third = Bytes().u8(3).u8(0);
        const QByteArray stream = first + second + third;
        ReplyParser parser;
        Reply r;
        std::size_t consumed = 0;
        std::size_t pos = 0;
        QCOMPARE(parser.parse(stream.constData(), usize(stream.size()), r, consumed),
                 RStatus::Complete);
        QCOMPARE(consumed, usize(first.size()));
        QCOMPARE(r.offsets, QList<std::uint32_t>{4});
        QVERIFY(r.contents.isEmpty());
        pos += consumed;
        QCOMPARE(parser.parse(stream.constData() + pos, usize(stream.size()) - pos, r, consumed),
                 RStatus::Complete);
        QCOMPARE(consumed, usize(second.size()));
        QVERIFY(r.offsets.isEmpty());
        QCOMPARE(r.contents.size(), 1);
        QCOMPARE(r.contents[0].value, QByteArray("four"));
        pos += consumed;
        QCOMPARE(parser.parse(stream.constData() + pos, usize(stream.size()) - pos, r, consumed),
                 RStatus::Complete);
        QCOMPARE(consumed, usize(third.size()));
        QVERIFY(r.error);
        pos += consumed;
        QCOMPARE(pos, usize(stream.size()));
        QCOMPARE(parser.parse(stream.constData() + pos, 0, r, consumed), RStatus::Incomplete);
    }

    void unknownReplyTagIsMalformed_data()
    {
        QTest::addColumn<QByteArray>("reply");
        QTest::newRow("7") << QByteArray("\x07", 1);
        QTest::newRow("0x63") << QByteArray("\x63\x00", 2);
        QTest::newRow("0xff") << QByteArray("\xff", 1);
        QTest::newRow("after records")
            << QByteArray(Bytes().u8(2).u32(1).u8(1).u32(1).str("v").u8(9).u8(0));
    }
    void unknownReplyTagIsMalformed()
    {
        QFETCH(QByteArray, reply);
        ReplyParser parser;
        Reply r;
        std::size_t consumed = 0;
        const auto copy = exact(reply, usize(reply.size()));
        QCOMPARE(parser.parse(copy.data(), copy.size(), r, consumed), RStatus::Malformed);
        QVERIFY(!parser.error().isEmpty());
    }

    void absurdReplyLengthIsMalformed_data()
    {
        QTest::addColumn<QByteArray>("reply");
        QTest::addColumn<qulonglong>("maxString");
        const qulonglong def = 256u << 20;
        QTest::newRow("content ffffffff")
            << QByteArray(Bytes().u8(1).u32(0).u32(0xFFFFFFFF)) << def;
        QTest::newRow("content max+1")
            << QByteArray(Bytes().u8(1).u32(0).u32(quint32(def) + 1)) << def;
        QTest::newRow("error text ffffffff")
            << QByteArray(Bytes().u8(3).u8(6).u32(0xFFFFFFFF)) << def;
        QTest::newRow("topic partition ffffffff")
            << QByteArray(Bytes().u8(4).u32(0xFFFFFFFF)) << def;
        QTest::newRow("consumer position consumer ffffffff")
            << QByteArray(Bytes().u8(5).u32(0xFFFFFFFF)) << def;
        QTest::newRow("consumer position topic ffffffff")
            << QByteArray(Bytes().u8(5).str("c").u32(0xFFFFFFFF)) << def;
        QTest::newRow("small max: content 17") << QByteArray(Bytes().u8(1).u32(0).u32(17)) << 16ull;
        QTest::newRow("small max: after a good record")
            << QByteArray(Bytes().u8(1).u32(0).str(QByteArray(16, 'x')).u8(6).u32(17)) << 16ull;
    }
    void absurdReplyLengthIsMalformed()
    {
        QFETCH(QByteArray, reply);
        QFETCH(qulonglong, maxString);
        ReplyParser parser(maxString);
        Reply r;
        std::size_t consumed = 0;
        const auto copy = exact(reply, usize(reply.size()));
        QCOMPARE(parser.parse(copy.data(), copy.size(), r, consumed), RStatus::Malformed);
        QVERIFY(!parser.error().isEmpty());
    }

    void replyStringAtItsMaximum()
    {
        const QByteArray reply = Bytes().u8(1).u32(0).str(QByteArray(16, 'x')).u8(0);
        ReplyParser parser(16);
        Reply r;
        std::size_t consumed = 0;
        QCOMPARE(parser.parse(reply.constData(), 9, r, consumed), RStatus::Incomplete);
        QCOMPARE(parser.parse(reply.constData(), usize(reply.size()), r, consumed),
                 RStatus::Complete);
        QCOMPARE(r.contents[0].value, QByteArray(16, 'x'));
    }
};

QTEST_GUILESS_MAIN(TestNativeReplyParser)
#include "tst_nativereplyparser.moc"
