// Bad input on the broker's Kafka listener: frame sizes out of bounds, unsupported keys and
// versions, requests cut short and a few hundred connections of random bytes. The broker
// closes what it cannot parse, stores and creates nothing from it, and keeps answering.

#include "support/kafkaclient.h"

#include <QTest>

#include <algorithm>
#include <climits>
#include <memory>
#include <random>

using namespace rivulet;
using namespace rivulet::testing;

class TestKafkaBadInput : public QObject, public KafkaServerFixture
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup() { stop(); }

    // A size that is negative or over 100 MiB closes the connection at once: the broker
    // does not wait for (or read) a body. A valid request right behind it gets no answer.
    void badFrameSize_data()
    {
        QTest::addColumn<std::int32_t>("size");
        QTest::newRow("-1") << std::int32_t(-1);
        QTest::newRow("INT_MIN") << std::int32_t(INT_MIN);
        QTest::newRow("100 MiB + 1") << std::int32_t((100 << 20) + 1);
        QTest::newRow("INT_MAX") << std::int32_t(INT_MAX);
        QTest::newRow("0") << std::int32_t(0);
        QTest::newRow("7 (shorter than a header)") << std::int32_t(7);
    }
    void badFrameSize()
    {
        QFETCH(std::int32_t, size);
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray bytes = Out().i32(size).data();
        if (size >= 0 && size < 8)
            bytes += QByteArray(size, '\0');
        c.send(bytes);
        QVERIFY2(c.waitClosed(5000), qPrintable(c.error()));
        QVERIFY2(c.buffer().isEmpty(), qPrintable(hex(c.buffer())));
        QString why;
        QVERIFY2(brokerStillAnswers(why), qPrintable(why));

        // with a valid ApiVersions right behind the bad size, still no answer
        KafkaClient d;
        QVERIFY2(d.connectTo(m_port), qPrintable(d.error()));
        d.send(bytes + requestFrame(api::ApiVersions, 0, 1, {}));
        QVERIFY2(d.waitClosed(5000), qPrintable(d.error()));
        QVERIFY2(d.buffer().isEmpty(), qPrintable(hex(d.buffer())));
        QVERIFY2(brokerStillAnswers(why), qPrintable(why));
    }

    // Exactly 100 MiB is allowed: the broker waits for the body instead of closing.
    void maximumFrameSizeIsAccepted()
    {
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        c.send(Out().i32(100 << 20).i16(api::ApiVersions).i16(0).i32(1).data());
        QVERIFY2(c.staysQuiet(300), qPrintable(c.error()));
    }

    // An API key Rivulet does not answer, or a version outside the advertised range, closes
    // the connection without an answer. Kafka does the same with a request it cannot parse
    // (InvalidRequestException / UnsupportedVersionException: the SocketServer closes the
    // connection). Only ApiVersions is answered (error 35), so that clients can discover the
    // versions.
    void unsupportedRequestCloses_data()
    {
        QTest::addColumn<int>("key");
        QTest::addColumn<int>("version");
        QTest::newRow("key 99") << 99 << 0;
        QTest::newRow("key -1") << -1 << 0;
        QTest::newRow("SaslAuthenticate v3") << 36 << 3;
        QTest::newRow("SaslHandshake v2") << 17 << 2;
        QTest::newRow("DeleteGroups v3") << 42 << 3;
        QTest::newRow("OffsetFetch v10") << 9 << 10;
        QTest::newRow("Heartbeat v5") << 12 << 5;
        QTest::newRow("ListGroups v6") << 16 << 6;
        QTest::newRow("DescribeGroups v6") << 15 << 6;
        QTest::newRow("DeleteTopics v7") << 20 << 7;
        QTest::newRow("DescribeConfigs v5") << 32 << 5;
        QTest::newRow("AlterConfigs v3") << 33 << 3;
        QTest::newRow("IncrementalAlterConfigs v2") << 44 << 2;
        QTest::newRow("Produce v12") << 0 << 12;
        QTest::newRow("Fetch v3") << 1 << 3;
        QTest::newRow("Fetch v18") << 1 << 18;
        QTest::newRow("Metadata v13") << 3 << 13;
        QTest::newRow("Metadata v-1") << 3 << -1;
        QTest::newRow("OffsetCommit v10") << 8 << 10;
        QTest::newRow("CreateTopics v8") << 19 << 8;
    }
    void unsupportedRequestCloses()
    {
        QFETCH(int, key);
        QFETCH(int, version);
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        // a body that would be a fine Metadata v0 (all topics); irrelevant to the others
        c.send(requestFrame(std::int16_t(key), std::int16_t(version), 5, Out().i32(0).data()));
        QVERIFY2(c.waitClosed(5000), qPrintable(c.error()));
        QVERIFY2(c.buffer().isEmpty(), qPrintable(hex(c.buffer())));
        QString why;
        QVERIFY2(brokerStillAnswers(why), qPrintable(why));
    }

    // A body shorter than its fields say closes the connection.
    void truncatedRequestCloses_data()
    {
        QTest::addColumn<QByteArray>("frame");
        auto frame = [](const QByteArray &inner) {
            return Out().i32(std::int32_t(inner.size())).raw(inner).data();
        };
        const QByteArray header = Out().i16(api::ListOffsets).i16(1).i32(3).data();
        QTest::newRow("client id longer than the frame")
            << frame(Out().raw(header).i16(50).raw("abc").data());
        QTest::newRow("client id length cut") << frame(Out().raw(header).i8(0).data());
        QTest::newRow("ListOffsets without topics")
            << requestFrame(api::ListOffsets, 1, 3, Out().i32(-1).data());
        QTest::newRow("ListOffsets topic name cut")
            << requestFrame(api::ListOffsets, 1, 3, Out().i32(-1).i32(1).i16(10).raw("lo").data());
        QTest::newRow("ListOffsets partition cut") << requestFrame(
            api::ListOffsets, 1, 3, Out().i32(-1).i32(1).str("lo").i32(1).i32(0).i32(0).data());
        QTest::newRow("FindCoordinator key cut")
            << requestFrame(api::FindCoordinator, 0, 3, Out().i16(20).raw("grp").data());
        QTest::newRow("Heartbeat without member")
            << requestFrame(api::Heartbeat, 0, 3, Out().str("grp").i32(1).data());
        QTest::newRow("Fetch partition cut") << requestFrame(
            api::Fetch, 4, 3,
            Out().i32(-1).i32(0).i32(1).i32(1000).i8(0).i32(1).str("lo").i32(1).i32(0).data());
        QTest::newRow("CreateTopics without timeout") << requestFrame(
            api::CreateTopics, 0, 3, Out().i32(1).str("ct").i32(1).i16(1).i32(0).i32(0).data());
        QTest::newRow("OffsetFetch array count too large")
            << requestFrame(api::OffsetFetch, 1, 3, Out().str("grp").i32(1000000).data());
        QTest::newRow("DeleteTopics without timeout")
            << requestFrame(api::DeleteTopics, 1, 3, Out().i32(1).str("lo").data());
        QTest::newRow("DescribeGroups name cut")
            << requestFrame(api::DescribeGroups, 0, 3, Out().i32(1).i16(9).raw("grp").data());
        QTest::newRow("DescribeGroups v3 without include_authorized_operations")
            << requestFrame(api::DescribeGroups, 3, 3, Out().i32(1).str("grp").data());
        QTest::newRow("DescribeConfigs keys cut") << requestFrame(
            api::DescribeConfigs, 0, 3, Out().i32(1).i8(2).str("lo").i32(2).str("a").data());
        QTest::newRow("DescribeConfigs v1 without include_synonyms") << requestFrame(
            api::DescribeConfigs, 1, 3, Out().i32(1).i8(2).str("lo").i32(-1).data());
        QTest::newRow("AlterConfigs without validate_only") << requestFrame(
            api::AlterConfigs, 0, 3,
            Out().i32(1).i8(2).str("lo").i32(1).str("retention.ms").str("1").data());
        QTest::newRow("IncrementalAlterConfigs operation cut")
            << requestFrame(api::IncrementalAlterConfigs, 0, 3,
                            Out().i32(1).i8(2).str("lo").i32(1).str("retention.ms").data());
    }
    void truncatedRequestCloses()
    {
        QFETCH(QByteArray, frame);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("lo", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        c.send(frame);
        QVERIFY2(c.waitClosed(5000), qPrintable(c.error()));
        QVERIFY2(c.buffer().isEmpty(), qPrintable(hex(c.buffer())));
        QVERIFY(!m_broker->topics().find("ct"));
        // nothing deleted or altered by a request that was cut short
        QVERIFY(m_broker->topics().find("lo"));
        QCOMPARE(m_broker->topics().find("lo")->retention().retentionMs, std::int64_t(-1));
        QString why;
        QVERIFY2(brokerStillAnswers(why), qPrintable(why));
    }

    // Kafka parses a whole request before acting on it, so a malformed one changes nothing.
    // A Produce whose second partition is cut short must not store the first partition's
    // batch.
    void truncatedProduceStoresNothing()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("tp", 2).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const QByteArray batch = recordBatch({{"k", "v", {}}}, 1700000000000);
        const QByteArray body = Out()
                                    .nullStr()
                                    .i16(-1)
                                    .i32(5000)
                                    .i32(1)
                                    .str("tp")
                                    .i32(2)
                                    .i32(0)
                                    .bytes(batch) // partition 0: a whole, valid batch
                                    .i32(1)
                                    .i32(1000)    // partition 1: 1000 bytes announced...
                                    .raw("short") // ...5 there
                                    .data();
        const QByteArray frame = requestFrame(api::Produce, 3, 8, body);
        c.send(frame);
        QVERIFY2(c.waitClosed(5000), qPrintable(c.error()));
        QVERIFY2(c.buffer().isEmpty(), qPrintable(hex(c.buffer())));
        KafkaClient d;
        QVERIFY2(d.connectTo(m_port), qPrintable(d.error()));
        const auto end = listOffset(d, "tp", 0, -1);
        QVERIFY2(end, qPrintable(d.error()));
        QVERIFY2(*end == 0,
                 qPrintable(QStringLiteral("a malformed Produce stored records: tp[0] ends at "
                                           "%1, request frame %2")
                                .arg(*end)
                                .arg(hex(frame))));
    }

    // Likewise a Metadata request cut short must not auto-create the topics it names.
    void truncatedMetadataCreatesNothing()
    {
        QVERIFY(start(true));
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        // v1: two names announced, the second cut short
        const QByteArray frame = requestFrame(
            api::Metadata, 1, 9, Out().i32(2).str("trunc-a").i16(20).raw("tru").data());
        c.send(frame);
        QVERIFY2(c.waitClosed(5000), qPrintable(c.error()));
        QVERIFY2(c.buffer().isEmpty(), qPrintable(hex(c.buffer())));
        QVERIFY2(!m_broker->topics().find("trunc-a"),
                 qPrintable("a malformed Metadata request created topic trunc-a; request frame " +
                            hex(frame)));
    }

    // A few hundred connections of random bytes (fixed seed): some pure noise, some with a
    // valid size and header in front of random bodies. The broker keeps answering.
    void randomBytes()
    {
        QVERIFY(start());
        KafkaClient early;
        QVERIFY2(early.connectTo(m_port), qPrintable(early.error()));
        QByteArray body;
        QVERIFY2(early.call(api::Produce, 3,
                            produceBody("sturdy", 0, recordBatch({{"k", "before", {}}}, 1)), body),
                 qPrintable(early.error()));
        QCOMPARE(parseProduce(body, "sturdy")->error, err::None);

        std::mt19937 random(20240607);
        auto bounded = [&](int n) { return int(random() % std::uint32_t(n)); };
        auto noise = [&](int n) {
            QByteArray b(n, '\0');
            for (char &c : b)
                c = char(bounded(256));
            return b;
        };
        const std::vector<int> keys = {0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 18, 19};
        constexpr int kWaves = 12, kPerWave = 25;
        for (int wave = 0; wave < kWaves; ++wave) {
            std::vector<std::unique_ptr<QTcpSocket>> sockets;
            for (int i = 0; i < kPerWave; ++i) {
                sockets.push_back(std::make_unique<QTcpSocket>());
                sockets.back()->connectToHost(QHostAddress::LocalHost, m_port);
            }
            QVERIFY(waitUntil(
                [&] {
                    return std::all_of(sockets.begin(), sockets.end(), [](const auto &s) {
                        return s->state() == QAbstractSocket::ConnectedState;
                    });
                },
                kTimeoutMs));
            for (int i = 0; i < kPerWave; ++i) {
                QByteArray junk;
                switch (bounded(3)) {
                case 0: // pure noise
                    junk = noise(1 + bounded(300));
                    break;
                case 1: { // a supported key and version, random body
                    const int key = keys[std::size_t(bounded(int(keys.size())))];
                    const auto &range = kAdvertised.at(key);
                    const int version = range.first + bounded(range.second - range.first + 1);
                    junk = requestFrame(std::int16_t(key), std::int16_t(version), i,
                                        noise(bounded(120)));
                    break;
                }
                default: { // a right size in front of random bytes
                    const QByteArray inner = noise(8 + bounded(200));
                    junk = Out().i32(std::int32_t(inner.size())).raw(inner).data();
                    break;
                }
                }
                sockets[std::size_t(i)]->write(junk);
            }
            QVERIFY(waitUntil(
                [&] {
                    return std::all_of(sockets.begin(), sockets.end(),
                                       [](const auto &s) { return s->bytesToWrite() == 0; });
                },
                kTimeoutMs));
            QTest::qWait(30);
            for (int i = 0; i < kPerWave; ++i) {
                if (i % 2)
                    sockets[std::size_t(i)]->abort();
                else
                    sockets[std::size_t(i)]->disconnectFromHost();
            }
        }
        QTRY_COMPARE_WITH_TIMEOUT(m_server->connectionCount(), 1, kTimeoutMs);

        QString why;
        QVERIFY2(brokerStillAnswers(why), qPrintable(why));
        // the connection opened before the storm still works, and the data is intact
        QVERIFY2(early.call(api::Fetch, 4, fetchBody("sturdy", 0, 0, 0), body),
                 qPrintable(early.error()));
        const auto f = parseFetch(body, "sturdy");
        QVERIFY2(f && f->error == 0, qPrintable(hex(body)));
        QCOMPARE(f->records, std::optional<QByteArray>(recordBatch({{"k", "before", {}}}, 1)));
        QVERIFY2(early.call(api::Metadata, 1, metadataBody(1, std::nullopt), body),
                 qPrintable(early.error()));
        QVERIFY2(parseMetadata(1, body), qPrintable(hex(body)));
    }
};

QTEST_GUILESS_MAIN(TestKafkaBadInput)
#include "tst_kafkabadinput.moc"
