// The native protocol's RequestParser (server side): every action from hand-built bytes,
// requests split over many reads or many in one read, and malformed or oversized input.
#include "native/requestparser.h"
#include "support/nativebytes.h"
#include "support/nativeparsing.h"

#include <QTest>

using namespace rivulet::native;
using namespace rivulet::testsupport;

class TestNativeRequestParser : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // ---- RequestParser: every action from hand-built bytes ----

    void parsesProduce()
    {
        const QByteArray req =
            Bytes().u8(1).str("orders").u32(3).u32(2).str("a").str("hello").str("c1");
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        const Request &r = result.request;
        QCOMPARE(r.action, Action::Produce);
        QCOMPARE(r.topic, QByteArrayView("orders"));
        QCOMPARE(r.partition, 3u);
        QCOMPARE(r.count, 2u);
        // values: exactly the length-prefixed strings, as views into the given buffer
        // (pointers compared with QVERIFY: QCOMPARE would compare them as C strings)
        QVERIFY(r.values.data() == req.constData() + 1 + 4 + 6 + 4 + 4);
        QCOMPARE(hex(r.values.toByteArray()), hex(Bytes().str("a").str("hello")));
        QCOMPARE(valuesOf(r), (QList<QByteArray>{"a", "hello"}));
        QCOMPARE(r.consumerId, QByteArrayView("c1"));
        QVERIFY(r.consumerId.data() == req.constData() + req.size() - 2);
    }

    void parsesProduceWithBinaryValues()
    {
        const QByteArray v0("\0\xff\x01", 3);
        const QByteArray v2(70000, '\x80');
        const QByteArray req = Bytes()
                                   .u8(1)
                                   .str(QByteArray("t\0p", 3))
                                   .u32(0xFFFFFFFF)
                                   .u32(3)
                                   .str(v0)
                                   .str("")
                                   .str(v2)
                                   .str("");
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        QCOMPARE(result.request.topic, QByteArrayView(QByteArray("t\0p", 3)));
        QCOMPARE(result.request.partition, 0xFFFFFFFFu);
        QCOMPARE(result.request.count, 3u);
        QCOMPARE(valuesOf(result.request), (QList<QByteArray>{v0, QByteArray(), v2}));
        QVERIFY(result.request.consumerId.isEmpty());
    }

    void parsesProduceWithCountZero()
    {
        const QByteArray req = Bytes().u8(1).str("t").u32(0).u32(0).str("c");
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        QCOMPARE(result.request.action, Action::Produce);
        QCOMPARE(result.request.count, 0u);
        QCOMPARE(result.request.values.size(), 0);
        QVERIFY(valuesOf(result.request).isEmpty());
        QCOMPARE(result.request.consumerId, QByteArrayView("c"));
    }

    void parsesConsume()
    {
        const QByteArray req =
            Bytes().u8(2).str("orders").u32(1).u32(0x01020304).u32(0xFFFFFFFF).str("me");
        QCOMPARE(hex(req), QByteArray("02 00 00 00 06 6f 72 64 65 72 73 00 00 00 01 01 02 03 04 "
                                      "ff ff ff ff 00 00 00 02 6d 65"));
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        const Request &r = result.request;
        QCOMPARE(r.action, Action::Consume);
        QCOMPARE(r.topic, QByteArrayView("orders"));
        QVERIFY(r.topic.data() == req.constData() + 5);
        QCOMPARE(r.partition, 1u);
        QCOMPARE(r.offset, 0x01020304u);
        QCOMPARE(r.limit, 0xFFFFFFFFu);
        QCOMPARE(r.consumerId, QByteArrayView("me"));
    }

    void parsesCreateTopic()
    {
        const QByteArray req = Bytes().u8(3).str("events").u32(8).str("admin");
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        QCOMPARE(result.request.action, Action::CreateTopic);
        QCOMPARE(result.request.topic, QByteArrayView("events"));
        QCOMPARE(result.request.count, 8u);
        QCOMPARE(result.request.consumerId, QByteArrayView("admin"));
    }

    void parsesActionsWithOnlyAConsumerId_data()
    {
        QTest::addColumn<int>("tag");
        QTest::addColumn<int>("action");
        QTest::newRow("quit") << 4 << int(Action::Quit);
        QTest::newRow("list-topics") << 5 << int(Action::ListTopics);
        QTest::newRow("list-consumers") << 6 << int(Action::ListConsumers);
    }
    void parsesActionsWithOnlyAConsumerId()
    {
        QFETCH(int, tag);
        QFETCH(int, action);
        for (const QByteArray &id : {QByteArray(), QByteArray("someone"), QByteArray(5000, 'i')}) {
            const QByteArray req = Bytes().u8(unsigned(tag)).str(id);
            RequestParser parser;
            const auto result = parser.parse(req.constData(), usize(req.size()));
            QCOMPARE(result.status, Status::Complete);
            QCOMPARE(result.consumed, usize(req.size()));
            QCOMPARE(int(result.request.action), action);
            QCOMPARE(result.request.consumerId.toByteArray(), id);
            QVERIFY(result.request.topic.isEmpty());
        }
    }

    void parsesSetOptions()
    {
        const QByteArray req = Bytes().u8(8).u32(kOptionErrorText | 0x80000000u).str("cli");
        QCOMPARE(hex(req), QByteArray("08 80 00 00 01 00 00 00 03 63 6c 69"));
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        QCOMPARE(result.request.action, Action::SetOptions);
        QCOMPARE(result.request.options, 0x80000001u);
        QCOMPARE(result.request.consumerId, QByteArrayView("cli"));
    }

    void parsesDeleteTopic()
    {
        const QByteArray req = Bytes().u8(7).str("old").str("admin");
        QCOMPARE(hex(req), QByteArray("07 00 00 00 03 6f 6c 64 00 00 00 05 61 64 6d 69 6e"));
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        QCOMPARE(result.request.action, Action::DeleteTopic);
        QCOMPARE(result.request.topic, QByteArrayView("old"));
        QCOMPARE(result.request.consumerId, QByteArrayView("admin"));
    }

    void parsesSetRetention()
    {
        // retention fields are signed 64-bit big-endian; -1 keeps everything
        const QByteArray req = Bytes().u8(9).str("t").u64(0x0102030405060708).u64(~0ull).str("c");
        QCOMPARE(hex(req), QByteArray("09 00 00 00 01 74 01 02 03 04 05 06 07 08 "
                                      "ff ff ff ff ff ff ff ff 00 00 00 01 63"));
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        QCOMPARE(result.request.action, Action::SetRetention);
        QCOMPARE(result.request.topic, QByteArrayView("t"));
        QCOMPARE(result.request.retentionMs, qint64(0x0102030405060708));
        QCOMPARE(result.request.retentionBytes, qint64(-1));
        QCOMPARE(result.request.consumerId, QByteArrayView("c"));
    }

    void consumedExcludesFollowingBytes()
    {
        for (const auto &[name, req] : validRequests()) {
            const QByteArray more = req + QByteArray("\x04\x00\x00", 3);
            RequestParser parser;
            const auto result = parser.parse(more.constData(), usize(more.size()));
            QVERIFY2(result.status == Status::Complete, name.constData());
            QCOMPARE(result.consumed, usize(req.size()));
        }
    }

    void emptyInputIsIncomplete()
    {
        RequestParser parser;
        const auto result = parser.parse(nullptr, 0);
        QCOMPARE(result.status, Status::Incomplete);
        QCOMPARE(result.consumed, std::size_t(0));
        QCOMPARE(parser.maxRequestBytes(), kDefaultMaxRequestBytes);
    }

    // ---- RequestParser: requests split over many reads ----

    void splitAtEveryByte_data()
    {
        QTest::addColumn<QByteArray>("request");
        for (const auto &[name, req] : validRequests())
            QTest::newRow(name.constData()) << req;
    }
    void splitAtEveryByte()
    {
        QFETCH(QByteArray, request);
        const std::size_t size = usize(request.size());
        const Parsed whole = parseFresh(request, size);
        QCOMPARE(whole.status, Status::Complete);
        QCOMPARE(whole.consumed, size);

        // one read of a prefix, then everything
        for (std::size_t k = 0; k < size; ++k) {
            RequestParser parser;
            const auto prefix = exact(request, k);
            const auto first = parser.parse(prefix.data(), prefix.size());
            QVERIFY2(first.status == Status::Incomplete, qPrintable(QString::number(k)));
            QCOMPARE(first.consumed, std::size_t(0));
            const auto all = exact(request, size);
            QCOMPARE(summarize(parser.parse(all.data(), all.size())), whole);
        }

        // one byte per read into the same parser, as a slow session sees it
        RequestParser parser;
        for (std::size_t k = 0; k < size; ++k) {
            const auto prefix = exact(request, k);
            QVERIFY2(parser.parse(prefix.data(), prefix.size()).status == Status::Incomplete,
                     qPrintable(QString::number(k)));
        }
        const auto all = exact(request, size);
        QCOMPARE(summarize(parser.parse(all.data(), all.size())), whole);

        // and the parser is ready for the next request afterwards
        const QByteArray quit = Bytes().u8(4).str("next");
        const auto next = parser.parse(quit.constData(), usize(quit.size()));
        QCOMPARE(next.status, Status::Complete);
        QCOMPARE(next.request.action, Action::Quit);
        QCOMPARE(next.request.consumerId, QByteArrayView("next"));
    }

    void concatenatedRequests()
    {
        QByteArray stream;
        QList<Parsed> expected;
        for (const auto &[name, req] : validRequests()) {
            stream += req;
            expected << parseFresh(req, usize(req.size()));
            QCOMPARE(expected.last().status, Status::Complete);
        }

        // all in one buffer, parsed one after another by one parser
        RequestParser parser;
        std::size_t pos = 0;
        for (const Parsed &want : expected) {
            const auto result = parser.parse(stream.constData() + pos, usize(stream.size()) - pos);
            QCOMPARE(summarize(result), want);
            pos += result.consumed;
        }
        QCOMPARE(pos, usize(stream.size()));
        QCOMPARE(parser.parse(stream.constData() + pos, 0).status, Status::Incomplete);

        // a trailing partial request stays Incomplete
        const QByteArray partial = stream + QByteArray("\x01\x00\x00\x00", 4);
        pos = 0;
        for (int i = 0; i < expected.size(); ++i)
            pos += parser.parse(partial.constData() + pos, usize(partial.size()) - pos).consumed;
        QCOMPARE(parser.parse(partial.constData() + pos, 4).status, Status::Incomplete);

        // the same stream arriving in reads of every size from 1 to 40 bytes
        const QList<Parsed> reference = runReference(stream, kDefaultMaxRequestBytes);
        for (std::size_t step = 1; step <= 40; ++step) {
            const QList<Parsed> got =
                runSession(stream, QList<std::size_t>(1000, step), kDefaultMaxRequestBytes);
            QVERIFY2(got == reference, qPrintable(QString::number(step)));
        }
    }

    void largeProduceInChunks()
    {
        constexpr int kValues = 100000;
        const auto value = [](int i) {
            return QByteArray::number(i) + QByteArray(i % 23, char('a' + i % 26));
        };
        Bytes b;
        b.u8(1).str("big").u32(7).u32(kValues);
        for (int i = 0; i < kValues; ++i)
            b.str(value(i));
        b.str("bulk");
        const QByteArray req = b;
        const std::size_t size = usize(req.size());
        constexpr std::size_t kChunk = 64 * 1024;
        QVERIFY(size > 20 * kChunk);

        RequestParser parser;
        RequestParser::Result result;
        int reads = 0;
        for (std::size_t arrived = kChunk;; arrived += kChunk) {
            const std::size_t n = std::min(arrived, size);
            result = parser.parse(req.constData(), n);
            ++reads;
            if (n == size)
                break;
            QVERIFY2(result.status == Status::Incomplete, qPrintable(QString::number(n)));
        }
        QCOMPARE(reads, int((size + kChunk - 1) / kChunk));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, size);
        QCOMPARE(result.request.count, quint32(kValues));
        QCOMPARE(result.request.topic, QByteArrayView("big"));
        QCOMPARE(result.request.partition, 7u);
        QCOMPARE(result.request.consumerId, QByteArrayView("bulk"));

        ValueIterator it(result.request.values);
        QByteArrayView v;
        int i = 0;
        while (it.next(v)) {
            if (v != QByteArrayView(value(i)))
                QFAIL(qPrintable(QStringLiteral("value %1 differs").arg(i)));
            ++i;
        }
        QCOMPARE(i, kValues);
    }

    void valueIterator()
    {
        const QByteArray values = Bytes().str("").str("x").str(QByteArray(1000, 'y'));
        ValueIterator it(values);
        QByteArrayView v;
        QVERIFY(it.next(v));
        QCOMPARE(v.size(), 0);
        QVERIFY(it.next(v));
        QCOMPARE(v, QByteArrayView("x"));
        QVERIFY(v.data() == values.constData() + 8);
        QVERIFY(it.next(v));
        QCOMPARE(v.toByteArray(), QByteArray(1000, 'y'));
        QVERIFY(!it.next(v));
        QVERIFY(!it.next(v));

        ValueIterator none{QByteArrayView()};
        QVERIFY(!none.next(v));
    }

    // ---- RequestParser: malformed input ----

    // (7 and 9 were unknown until DeleteTopic and SetRetention took them.)
    void unknownTagIsFatal_data()
    {
        QTest::addColumn<int>("tag");
        for (int tag : {0, 10, 0x63, 0xFF})
            QTest::newRow(qPrintable(QString::number(tag))) << tag;
    }
    void unknownTagIsFatal()
    {
        QFETCH(int, tag);
        const QByteArray alone = Bytes().u8(unsigned(tag));
        const QByteArray withId = Bytes().u8(unsigned(tag)).str("c");
        for (const QByteArray &req : {alone, withId}) {
            RequestParser parser;
            const auto copy = exact(req, usize(req.size()));
            const auto result = parser.parse(copy.data(), copy.size());
            QCOMPARE(result.status, Status::Fatal);
            QVERIFY(!result.error.isEmpty());
            QVERIFY2(result.error.contains(QString::number(tag)), qPrintable(result.error));
        }
    }

    // Each row stops right after a length or count that cannot fit the maximum: the parser
    // must say Fatal from these bytes alone, before the bytes it announces have arrived.
    void oversizedFromHeaderAlone_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<qulonglong>("max");
        const qulonglong def = kDefaultMaxRequestBytes;
        QTest::newRow("produce count ffffffff")
            << QByteArray(Bytes().u8(1).str("t").u32(0).u32(0xFFFFFFFF)) << def;
        QTest::newRow("produce count over max/4")
            << QByteArray(Bytes().u8(1).str("t").u32(0).u32(quint32(def / 4))) << def;
        QTest::newRow("produce topic ffffffff") << QByteArray(Bytes().u8(1).u32(0xFFFFFFFF)) << def;
        QTest::newRow("produce topic = max") << QByteArray(Bytes().u8(1).u32(quint32(def))) << def;
        QTest::newRow("produce value ffffffff")
            << QByteArray(Bytes().u8(1).str("t").u32(0).u32(2).str("a").u32(0xFFFFFFFF)) << def;
        QTest::newRow("produce consumer id ffffffff")
            << QByteArray(Bytes().u8(1).str("t").u32(0).u32(1).str("a").u32(0xFFFFFFFF)) << def;
        QTest::newRow("consume topic ffffffff") << QByteArray(Bytes().u8(2).u32(0xFFFFFFFF)) << def;
        QTest::newRow("consume consumer id ffffffff")
            << QByteArray(Bytes().u8(2).str("t").u32(0).u32(0).u32(1).u32(0xFFFFFFFF)) << def;
        QTest::newRow("create topic ffffffff") << QByteArray(Bytes().u8(3).u32(0xFFFFFFFF)) << def;
        QTest::newRow("create consumer id ffffffff")
            << QByteArray(Bytes().u8(3).str("t").u32(1).u32(0xFFFFFFFF)) << def;
        QTest::newRow("quit consumer id ffffffff")
            << QByteArray(Bytes().u8(4).u32(0xFFFFFFFF)) << def;
        QTest::newRow("list topics consumer id ffffffff")
            << QByteArray(Bytes().u8(5).u32(0xFFFFFFFF)) << def;
        QTest::newRow("list consumers consumer id ffffffff")
            << QByteArray(Bytes().u8(6).u32(0xFFFFFFFF)) << def;
        QTest::newRow("set options consumer id ffffffff")
            << QByteArray(Bytes().u8(8).u32(1).u32(0xFFFFFFFF)) << def;
        QTest::newRow("delete topic ffffffff") << QByteArray(Bytes().u8(7).u32(0xFFFFFFFF)) << def;
        QTest::newRow("delete consumer id ffffffff")
            << QByteArray(Bytes().u8(7).str("t").u32(0xFFFFFFFF)) << def;
        QTest::newRow("set retention topic ffffffff")
            << QByteArray(Bytes().u8(9).u32(0xFFFFFFFF)) << def;
        QTest::newRow("set retention consumer id ffffffff")
            << QByteArray(Bytes().u8(9).str("t").u64(1).u64(2).u32(0xFFFFFFFF)) << def;

        // maximum 1024
        QTest::newRow("1024: quit of 1025") << QByteArray(Bytes().u8(4).u32(1020)) << 1024ull;
        QTest::newRow("1024: produce count 256")
            << QByteArray(Bytes().u8(1).str("t").u32(0).u32(256)) << 1024ull;
        QTest::newRow("1024: produce value too long")
            << QByteArray(Bytes().u8(1).str("t").u32(0).u32(2).str("a").u32(1002)) << 1024ull;
        QTest::newRow("1024: topic too long") << QByteArray(Bytes().u8(2).u32(1020)) << 1024ull;
        QTest::newRow("1024: consume of 1025")
            << QByteArray(Bytes().u8(2).str("t").u32(0).u32(0).u32(0).u32(1003)) << 1024ull;
    }
    void oversizedFromHeaderAlone()
    {
        QFETCH(QByteArray, header);
        QFETCH(qulonglong, max);
        RequestParser parser(max);
        QCOMPARE(parser.maxRequestBytes(), std::size_t(max));
        const auto copy = exact(header, usize(header.size()));
        const auto result = parser.parse(copy.data(), copy.size());
        QCOMPARE(result.status, Status::Fatal);
        QVERIFY(!result.error.isEmpty());
        QCOMPARE(result.consumed, std::size_t(0));
        // and every shorter prefix is only Incomplete
        for (qsizetype n = 0; n < header.size(); ++n)
            QCOMPARE(parseFresh(header, usize(n), max).status, Status::Incomplete);
    }

    void requestsAroundASmallMaximum()
    {
        constexpr std::size_t kMax = 1024;
        // Quit: 1 tag + 4 length + id
        for (std::size_t total : {kMax - 1, kMax}) {
            const QByteArray req = Bytes().u8(4).str(QByteArray(qsizetype(total - 5), 'q'));
            QCOMPARE(usize(req.size()), total);
            QCOMPARE(parseFresh(req, 5, kMax).status, Status::Incomplete);
            const Parsed p = parseFresh(req, total, kMax);
            QCOMPARE(p.status, Status::Complete);
            QCOMPARE(p.consumed, total);
        }
        const QByteArray quitOver = Bytes().u8(4).str(QByteArray(1020, 'q'));
        QCOMPARE(quitOver.size(), 1025);
        QCOMPARE(parseFresh(quitOver, 5, kMax).status, Status::Fatal);
        QCOMPARE(parseFresh(quitOver, 1025, kMax).status, Status::Fatal);

        // Produce of two values: 14 header + 2*4 + l1 + l2 + 4 + id
        const auto produce = [](int l1, int l2, int id) {
            return QByteArray(Bytes()
                                  .u8(1)
                                  .str("t")
                                  .u32(0)
                                  .u32(2)
                                  .str(QByteArray(l1, 'a'))
                                  .str(QByteArray(l2, 'b'))
                                  .str(QByteArray(id, 'c')));
        };
        for (const QByteArray &req : {produce(500, 498, 0), produce(500, 497, 0),
                                      produce(500, 497, 1), produce(0, 0, 998)}) {
            QVERIFY(usize(req.size()) <= kMax);
            const Parsed p = parseFresh(req, usize(req.size()), kMax);
            QCOMPARE(p.status, Status::Complete);
            QCOMPARE(p.consumed, usize(req.size()));
            for (std::size_t n = 0; n < usize(req.size()); ++n)
                QCOMPARE(parseFresh(req, n, kMax).status, Status::Incomplete);
        }
        // one byte over, whichever field carries it: refused by the time the maximum's worth
        // of bytes is buffered, never waited for
        for (const QByteArray &req : {produce(500, 499, 0), produce(501, 498, 0),
                                      produce(500, 498, 1), produce(0, 0, 999)}) {
            QCOMPARE(req.size(), qsizetype(kMax + 1));
            QCOMPARE(parseFresh(req, kMax, kMax).status, Status::Fatal);
            QCOMPARE(parseFresh(req, kMax + 1, kMax).status, Status::Fatal);
            RequestParser parser(kMax);
            bool fatal = false;
            for (std::size_t n = 0; n <= kMax + 1 && !fatal; ++n) {
                const auto prefix = exact(req, n);
                const auto result = parser.parse(prefix.data(), prefix.size());
                QVERIFY(result.status != Status::Complete);
                fatal = result.status == Status::Fatal;
                QVERIFY(fatal || n < kMax);
            }
            QVERIFY(fatal);
        }
    }
};

QTEST_GUILESS_MAIN(TestNativeRequestParser)
#include "tst_nativerequestparser.moc"
