// KafkaHandler::handle() called directly, without sockets: what it answers, stores, holds
// back (WaitForData, Deferred through the sink) and closes on.

#include "support/kafkaclient.h"

#include "kafka/kafkahandler.h"
#include "monitor/clientregistry.h"

#include <QTest>

using namespace rivulet;
using namespace rivulet::testing;

class TestKafkaHandler : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // ---- the handler on its own, without sockets ----

    void handlerDirect()
    {
        BrokerConfig config;
        config.groupInitialRebalanceDelayMs = 100;
        Broker broker(config);
        QVERIFY(broker.createTopic("direct", 1).topic);
        kafka::KafkaConfig kc;
        kc.nodeId = kNodeId;
        kc.port = 19092;
        kc.clusterId = kClusterId;
        auto stats = broker.clients().add(QStringLiteral("127.0.0.1:1"), QStringLiteral("kafka"),
                                          Broker::nowMs());
        kafka::KafkaHandler handler(broker, kc, stats, QStringLiteral("127.0.0.1"));
        std::vector<QByteArray> sunk;
        const kafka::KafkaHandler::Sink sink = [&](QByteArray r) { sunk.push_back(r); };
        // a frame without its size prefix
        auto frame = [](std::int16_t key, std::int16_t version, std::int32_t id,
                        const QByteArray &body) {
            return requestFrame(key, version, id, body).mid(4);
        };
        using Kind = kafka::KafkaHandler::Outcome::Kind;

        auto o = handler.handle(frame(api::ApiVersions, 1, 11, {}), sink);
        QCOMPARE(int(o.kind), int(Kind::Respond));
        QCOMPARE(o.response.left(4), Out().i32(11).data());
        auto v = parseApiVersions(o.response.mid(4), true);
        QVERIFY2(v && v->error == 0 && rangeProblems(v->ranges).isEmpty(),
                 qPrintable(hex(o.response)));

        // Metadata advertises the configured port
        o = handler.handle(frame(api::Metadata, 2, 12, metadataBody(2, std::nullopt)), sink);
        QCOMPARE(int(o.kind), int(Kind::Respond));
        const auto m = parseMetadata(2, o.response.mid(4));
        QVERIFY2(m && m->brokers.size() == 1, qPrintable(hex(o.response)));
        QCOMPARE(m->brokers[0].port, 19092);
        QCOMPARE(m->clusterId, std::optional<QByteArray>(kClusterId));

        // acks=0: no response, but stored
        o = handler.handle(
            frame(api::Produce, 3, 13,
                  produceBody("direct", 0, recordBatch({{"k", "v", {}}}, 1700000000000), 0)),
            sink);
        QCOMPARE(int(o.kind), int(Kind::NoResponse));
        QCOMPARE(broker.topics().find("direct")->partition(0)->endOffset(), std::int64_t(1));

        // unknown key, unsupported version, truncated body: close
        for (const QByteArray &bad :
             {frame(99, 0, 14, {}), frame(api::Produce, 9, 15, {}),
              frame(api::Heartbeat, 0, 16, Out().str("g").data()), QByteArray("\x00\x12", 2)}) {
            o = handler.handle(bad, sink);
            QVERIFY2(o.kind == Kind::Close, qPrintable(hex(bad)));
            QVERIFY(!o.reason.isEmpty());
        }

        // ApiVersions v5 (flexible header, newer than ours): error 35, v0 body
        Out flexible;
        flexible.i16(api::ApiVersions).i16(5).i32(17).str("c").uvarint(0);
        flexible.uvarint(2).raw("x").uvarint(2).raw("1").uvarint(0);
        o = handler.handle(flexible.data(), sink);
        QCOMPARE(int(o.kind), int(Kind::Respond));
        v = parseApiVersions(o.response.mid(4), false);
        QVERIFY2(v && v->error == err::UnsupportedVersion, qPrintable(hex(o.response)));

        // a Fetch with no data waits; retried after its deadline it answers, empty
        o = handler.handle(frame(api::Fetch, 4, 18, fetchBody("direct", 0, 1, 1000)), sink);
        QCOMPARE(int(o.kind), int(Kind::WaitForData));
        QVERIFY(!handler.retryFetch(Broker::nowMs()));
        const auto late = handler.retryFetch(Broker::nowMs() + 5000);
        QVERIFY(late);
        QCOMPARE(late->left(4), Out().i32(18).data());
        const auto f = parseFetch(late->mid(4), "direct");
        QVERIFY2(f && f->error == 0 && f->records == QByteArray(), qPrintable(hex(*late)));

        // JoinGroup with an empty group id: deferred, answered through the sink with 24
        o = handler.handle(frame(api::JoinGroup, 0, 19, joinBody(0, "", "", {{"range", "m"}})),
                           sink);
        QCOMPARE(int(o.kind), int(Kind::Deferred));
        QCOMPARE(int(sunk.size()), 1);
        QCOMPARE(sunk[0].left(4), Out().i32(19).data());
        const auto j = parseJoin(0, sunk[0].mid(4));
        QVERIFY2(j && j->error == err::InvalidGroupId, qPrintable(hex(sunk[0])));

        broker.clients().remove(stats);
    }
};

QTEST_GUILESS_MAIN(TestKafkaHandler)
#include "tst_kafkahandler.moc"
