// The native protocol's encoders: the broker's replies (server side) and the client's
// requests, compared with bytes written by hand, and the encoded requests parsed back.
#include "native/clientcodec.h"
#include "native/replies.h"
#include "native/requestparser.h"
#include "support/nativebytes.h"
#include "support/nativeparsing.h"

#include <QTest>

using namespace rivulet::native;
using namespace rivulet::testsupport;

class TestNativeEncoders : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // ---- reply encoders (server side) ----

    void encodesEmpty()
    {
        QByteArray out;
        appendEmpty(out);
        QCOMPARE(hex(out), QByteArray("00"));
    }

    void encodesOffset()
    {
        QByteArray out;
        appendOffset(out, 4);
        appendEmpty(out);
        QCOMPARE(hex(out), QByteArray("02 00 00 00 04 00"));
        out.clear();
        appendOffset(out, 0xA1B2C3D4);
        QCOMPARE(hex(out), QByteArray("02 a1 b2 c3 d4"));
    }

    void encodesContent()
    {
        QByteArray out("\x09", 1); // appends after what is already there
        appendContent(out, 7, "hi");
        appendContent(out, 0xFFFFFFFF, {});
        appendContent(out, 0x00010203, QByteArray("\0\xff", 2));
        appendEmpty(out);
        QCOMPARE(hex(out), QByteArray("09 "
                                      "01 00 00 00 07 00 00 00 02 68 69 "
                                      "01 ff ff ff ff 00 00 00 00 "
                                      "01 00 01 02 03 00 00 00 02 00 ff "
                                      "00"));
        QByteArray big;
        appendContent(big, 1, QByteArray(70000, 'z'));
        QCOMPARE(big.size(), 9 + 70000);
        QCOMPARE(hex(big.first(9)), QByteArray("01 00 00 00 01 00 01 11 70"));
        QCOMPARE(big.sliced(9), QByteArray(70000, 'z'));
    }

    void encodesError()
    {
        QByteArray out;
        appendError(out);
        appendEmpty(out);
        QCOMPARE(hex(out), QByteArray("03 00"));
    }

    void encodesErrorText()
    {
        QByteArray out;
        appendError(out);
        appendErrorText(out, "no");
        appendErrorText(out, {});
        appendEmpty(out);
        QCOMPARE(hex(out), QByteArray("03 06 00 00 00 02 6e 6f 06 00 00 00 00 00"));
    }

    void encodesTopicPartition()
    {
        QByteArray out;
        appendTopicPartition(out, {"ab", 0x01020304, 0x1112131415161718, 0x2122232425262728,
                                   0x3132333435363738, 0x4142434445464748});
        appendTopicPartition(out, {{}, 0, 0, 0, 0, 0xFFFFFFFFFFFFFFFF});
        appendEmpty(out);
        QCOMPARE(hex(out), QByteArray("04 00 00 00 02 61 62 01 02 03 04 "
                                      "11 12 13 14 15 16 17 18 "
                                      "21 22 23 24 25 26 27 28 "
                                      "31 32 33 34 35 36 37 38 "
                                      "41 42 43 44 45 46 47 48 "
                                      "04 00 00 00 00 00 00 00 00 "
                                      "00 00 00 00 00 00 00 00 "
                                      "00 00 00 00 00 00 00 00 "
                                      "00 00 00 00 00 00 00 00 "
                                      "ff ff ff ff ff ff ff ff "
                                      "00"));
    }

    void encodesConsumerPosition()
    {
        QByteArray out;
        appendConsumerPosition(out, {"c", "tp", 0x0A0B0C0D, 0x1112131415161718, 0x2122232425262728,
                                     0x3132333435363738, 0x4142434445464748});
        appendEmpty(out);
        QCOMPARE(hex(out), QByteArray("05 00 00 00 01 63 00 00 00 02 74 70 0a 0b 0c 0d "
                                      "11 12 13 14 15 16 17 18 "
                                      "21 22 23 24 25 26 27 28 "
                                      "31 32 33 34 35 36 37 38 "
                                      "41 42 43 44 45 46 47 48 "
                                      "00"));
    }

    // ---- request encoders (client side) ----

    void encodesRequests()
    {
        QCOMPARE(hex(encodeProduce("t", 5, {"a", "bc"}, "me")),
                 QByteArray("01 00 00 00 01 74 00 00 00 05 00 00 00 02 "
                            "00 00 00 01 61 00 00 00 02 62 63 00 00 00 02 6d 65"));
        QCOMPARE(hex(encodeProduce("t", 0x01020304, {QByteArray()})),
                 QByteArray("01 00 00 00 01 74 01 02 03 04 00 00 00 01 00 00 00 00 00 00 00 00"));
        QCOMPARE(hex(encodeProduce("", 0, {})),
                 QByteArray("01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"));
        QCOMPARE(hex(encodeConsume("ab", 1, 0x0A0B0C0D, 0xFFFFFFFF, "c")),
                 QByteArray("02 00 00 00 02 61 62 00 00 00 01 0a 0b 0c 0d ff ff ff ff "
                            "00 00 00 01 63"));
        QCOMPARE(hex(encodeConsume("ab", 1, 2, 3)),
                 QByteArray("02 00 00 00 02 61 62 00 00 00 01 00 00 00 02 00 00 00 03 "
                            "00 00 00 00"));
        QCOMPARE(hex(encodeCreateTopic("xyz", 16, "adm")),
                 QByteArray("03 00 00 00 03 78 79 7a 00 00 00 10 00 00 00 03 61 64 6d"));
        QCOMPARE(hex(encodeCreateTopic("x", 1)), QByteArray("03 00 00 00 01 78 00 00 00 01 "
                                                            "00 00 00 00"));
        QCOMPARE(hex(encodeQuit("me")), QByteArray("04 00 00 00 02 6d 65"));
        QCOMPARE(hex(encodeQuit()), QByteArray("04 00 00 00 00"));
        QCOMPARE(hex(encodeListTopics("u")), QByteArray("05 00 00 00 01 75"));
        QCOMPARE(hex(encodeListTopics()), QByteArray("05 00 00 00 00"));
        QCOMPARE(hex(encodeListConsumers("u")), QByteArray("06 00 00 00 01 75"));
        QCOMPARE(hex(encodeListConsumers()), QByteArray("06 00 00 00 00"));
        QCOMPARE(hex(encodeSetOptions(kOptionErrorText, "me")),
                 QByteArray("08 00 00 00 01 00 00 00 02 6d 65"));
        QCOMPARE(hex(encodeSetOptions(0xDEADBEEF)), QByteArray("08 de ad be ef 00 00 00 00"));
        QCOMPARE(hex(encodeDeleteTopic("xy", "me")),
                 QByteArray("07 00 00 00 02 78 79 00 00 00 02 6d 65"));
        QCOMPARE(hex(encodeDeleteTopic("xy")), QByteArray("07 00 00 00 02 78 79 00 00 00 00"));
        QCOMPARE(hex(encodeSetRetention("t", -1, 0x0102030405060708, "me")),
                 QByteArray("09 00 00 00 01 74 ff ff ff ff ff ff ff ff "
                            "01 02 03 04 05 06 07 08 00 00 00 02 6d 65"));
        QCOMPARE(hex(encodeSetRetention("t", 1000, -1)),
                 QByteArray("09 00 00 00 01 74 00 00 00 00 00 00 03 e8 "
                            "ff ff ff ff ff ff ff ff 00 00 00 00"));
    }

    void encodedRequestsParse()
    {
        const QList<QByteArray> values{"one", QByteArray(), QByteArray(1000, '\0')};
        const QByteArray produce = encodeProduce("topic", 2, values, "id");
        const Parsed p = parseFresh(produce, usize(produce.size()));
        QCOMPARE(p.status, Status::Complete);
        QCOMPARE(p.action, int(Action::Produce));
        QCOMPARE(p.topic, QByteArray("topic"));
        QCOMPARE(p.partition, 2u);
        QCOMPARE(p.count, 3u);
        QCOMPARE(p.values, values);
        QCOMPARE(p.consumerId, QByteArray("id"));

        const QByteArray consume = encodeConsume("topic", 1, 2, 3, "id");
        const Parsed c = parseFresh(consume, usize(consume.size()));
        QCOMPARE(c.action, int(Action::Consume));
        QCOMPARE(c.offset, 2u);
        QCOMPARE(c.limit, 3u);
        QCOMPARE(c.consumed, usize(consume.size()));

        const QByteArray options = encodeSetOptions(kOptionErrorText);
        const Parsed o = parseFresh(options, usize(options.size()));
        QCOMPARE(o.action, int(Action::SetOptions));
        QCOMPARE(o.options, kOptionErrorText);

        const QByteArray retention = encodeSetRetention("topic", 86400000, -1, "id");
        const Parsed t = parseFresh(retention, usize(retention.size()));
        QCOMPARE(t.action, int(Action::SetRetention));
        QCOMPARE(t.topic, QByteArray("topic"));
        QCOMPARE(t.retentionMs, qint64(86400000));
        QCOMPARE(t.retentionBytes, qint64(-1));
        QCOMPARE(t.consumed, usize(retention.size()));
    }
};

QTEST_GUILESS_MAIN(TestNativeEncoders)
#include "tst_nativeencoders.moc"
