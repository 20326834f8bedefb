// The codec generated from the Kafka API table (broker/kafka/schema/*.api): every request and
// response of every API, at every version, filled with values (generated from the same
// table), encodes and decodes back to the same bytes; unknown tagged fields are skipped in
// every flexible version; and byte sequences written here by hand from the protocol guide
// (not from the table) decode to the values they hold, with tagged fields present and absent.
#include "kafka/wire.h"
#include "kafkabytes.h"
#include "kafkamessages.h"
#include "kafkasamples.h"

#include <QTest>

using namespace rivulet::kafka;

class TestKafkaSchema : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyMessageRoundTrips()
    {
        const auto messages = samples::all();
        QVERIFY(messages.size() >= 2 * 30);
        int checked = 0;
        for (const auto &m : messages) {
            for (std::int16_t v = m.minVersion; v <= m.maxVersion; ++v) {
                QByteArray bytes;
                m.codec.encode(v, bytes);
                QByteArray again;
                const QString why = m.codec.decode(v, bytes, again);
                QVERIFY2(
                    why.isEmpty(),
                    qPrintable(
                        QStringLiteral("%1 v%2: %3").arg(QLatin1String(m.name)).arg(v).arg(why)));
                QVERIFY2(again == bytes, qPrintable(QStringLiteral("%1 v%2 encodes differently "
                                                                   "after decoding")
                                                        .arg(QLatin1String(m.name))
                                                        .arg(v)));
                // a message cut short never decodes
                QVERIFY2(bytes.isEmpty() || !m.codec.decode(v, bytes.chopped(1), again).isEmpty(),
                         qPrintable(QStringLiteral("%1 v%2 decodes without its last byte")
                                        .arg(QLatin1String(m.name))
                                        .arg(v)));
                ++checked;
            }
        }
        qInfo("%d message versions round-trip", checked);
    }

    // KIP-482: a reader skips tagged fields it does not know. Appended to the message's own
    // (empty) tagged-field section, one with tag 99 must be read past and dropped.
    void unknownTaggedFieldsAreSkipped()
    {
        int checked = 0;
        for (const auto &m : samples::all()) {
            if (m.firstFlexible < 0 || m.topLevelTags)
                continue;
            for (std::int16_t v = std::max(m.minVersion, m.firstFlexible); v <= m.maxVersion; ++v) {
                QByteArray bytes;
                m.codec.encode(v, bytes);
                QCOMPARE(int(bytes.back()), 0); // no tagged fields of its own
                const QByteArray withTag =
                    bytes.chopped(1) + Out().uvarint(1).uvarint(99).uvarint(2).raw("ab").data();
                QByteArray again;
                const QString why = m.codec.decode(v, withTag, again);
                QVERIFY2(
                    why.isEmpty(),
                    qPrintable(
                        QStringLiteral("%1 v%2: %3").arg(QLatin1String(m.name)).arg(v).arg(why)));
                QVERIFY2(again == bytes, qPrintable(QLatin1String(m.name)));
                ++checked;
            }
        }
        QVERIFY(checked > 50);
    }

    // ---- hand-made bytes ----

    void apiVersionsV3Request()
    {
        // compact strings, then the tagged fields: none, then one unknown
        for (bool tagged : {false, true}) {
            Out b;
            b.compact("librdkafka").compact("2.0.2");
            if (tagged)
                b.uvarint(1).uvarint(7).uvarint(2).raw("xy");
            else
                b.uvarint(0);
            bool ok = false;
            const auto r = decoded<ApiVersionsRequest>(b.data(), 3, ok);
            QVERIFY(ok);
            QCOMPARE(r.clientSoftwareName, QByteArray("librdkafka"));
            QCOMPARE(r.clientSoftwareVersion, QByteArray("2.0.2"));
        }
    }

    void apiVersionsV3ResponseTaggedFields()
    {
        ApiVersionsResponse r;
        r.apiKeys.push_back({18, 0, 4});
        // absent: finalized_features_epoch at its default (-1) is not written
        QCOMPARE(encoded(r, 3), Out()
                                    .i16(0)     // error_code
                                    .uvarint(2) // one api key
                                    .i16(18)
                                    .i16(0)
                                    .i16(4)
                                    .uvarint(0) // its tagged fields
                                    .i32(0)     // throttle_time_ms
                                    .uvarint(0) // no tagged fields
                                    .data());
        // present: tag 1 (finalized_features_epoch int64) and tag 3 (zk_migration_ready)
        r.finalizedFeaturesEpoch = 5;
        r.zkMigrationReady = true;
        const QByteArray expected = Out()
                                        .i16(0)
                                        .uvarint(2)
                                        .i16(18)
                                        .i16(0)
                                        .i16(4)
                                        .uvarint(0)
                                        .i32(0)
                                        .uvarint(2) // two tagged fields, by tag
                                        .uvarint(1)
                                        .uvarint(8)
                                        .i64(5)
                                        .uvarint(3)
                                        .uvarint(1)
                                        .i8(1)
                                        .data();
        QCOMPARE(encoded(r, 3), expected);
        bool ok = false;
        const auto back = decoded<ApiVersionsResponse>(expected, 3, ok);
        QVERIFY(ok);
        QCOMPARE(back.finalizedFeaturesEpoch, std::int64_t(5));
        QCOMPARE(back.zkMigrationReady, true);
        // the classic v2 layout has none of it
        QCOMPARE(encoded(r, 2).size(), 2 + 4 + 6 + 4);
    }

    void heartbeatV4Request()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.compact("g1").i32(3).compact("m-1").uvarint(0); // group_instance_id null
            if (tagged)
                b.uvarint(2).uvarint(0).uvarint(1).raw("z").uvarint(12).uvarint(0);
            else
                b.uvarint(0);
            bool ok = false;
            const auto r = decoded<HeartbeatRequest>(b.data(), 4, ok);
            QVERIFY(ok);
            QCOMPARE(r.groupId, QByteArray("g1"));
            QCOMPARE(r.generationId, 3);
            QCOMPARE(r.memberId, QByteArray("m-1"));
            QVERIFY(!r.groupInstanceId);
        }
    }

    void metadataV12Request()
    {
        // topics: one by name (topic id zero), auto-create false, operations false
        Out b;
        b.uvarint(2).raw(QByteArray(16, '\0')).compact("orders").uvarint(0);
        b.i8(0).i8(0).uvarint(0);
        bool ok = false;
        const auto r = decoded<MetadataRequest>(b.data(), 12, ok);
        QVERIFY(ok);
        QVERIFY(r.topics);
        QCOMPARE(r.topics->size(), std::size_t(1));
        QCOMPARE(r.topics->front().name, std::optional<QByteArray>("orders"));
        QVERIFY(r.topics->front().topicId.isNull());
        QCOMPARE(r.allowAutoTopicCreation, false);
        // null topics (all): compact length 0
        bool okAll = false;
        const auto all =
            decoded<MetadataRequest>(Out().uvarint(0).i8(1).i8(0).uvarint(0).data(), 12, okAll);
        QVERIFY(okAll);
        QVERIFY(!all.topics);
    }

    void fetchV12RequestReplicaStateTag()
    {
        // v15+: replica_state is tagged field 1; v12: cluster_id is tagged field 0
        Out b;
        b.i32(-1)         // replica_id (v4-14)
            .i32(500)     // max_wait_ms
            .i32(1)       // min_bytes
            .i32(1 << 20) // max_bytes
            .i8(1)        // isolation_level
            .i32(0)       // session_id
            .i32(-1)      // session_epoch
            .uvarint(2)   // topics
            .compact("t")
            .uvarint(2) // partitions
            .i32(0)
            .i32(-1)    // current_leader_epoch
            .i64(42)    // fetch_offset
            .i32(-1)    // last_fetched_epoch
            .i64(-1)    // log_start_offset
            .i32(65536) // partition_max_bytes
            .uvarint(0)
            .uvarint(0)  // topic tags
            .uvarint(1)  // forgotten_topics_data: none
            .compact("") // rack_id
            .uvarint(1)  // one tagged field: cluster_id
            .uvarint(0)
            .uvarint(8)
            .compact("rivulet");
        bool ok = false;
        const auto r = decoded<FetchRequest>(b.data(), 12, ok);
        QVERIFY(ok);
        QCOMPARE(r.clusterId, std::optional<QByteArray>("rivulet"));
        QCOMPARE(int(r.isolationLevel), 1);
        QCOMPARE(r.topics.size(), std::size_t(1));
        QCOMPARE(r.topics[0].partitions[0].fetchOffset, std::int64_t(42));
        QCOMPARE(r.topics[0].partitions[0].partitionMaxBytes, 65536);
    }

    void produceV9Request()
    {
        const QByteArray records("\x01\x02\x03", 3);
        Out b;
        b.uvarint(0)    // transactional_id null
            .i16(-1)    // acks
            .i32(30000) // timeout_ms
            .uvarint(2)
            .compact("t")
            .uvarint(2)
            .i32(2)           // index
            .compact(records) // compact records
            .uvarint(0)
            .uvarint(0)
            .uvarint(0);
        bool ok = false;
        const QByteArray bytes = b.data();
        const auto r = decoded<ProduceRequest>(bytes, 9, ok);
        QVERIFY(ok);
        QVERIFY(!r.transactionalId);
        QCOMPARE(int(r.acks), -1);
        QCOMPARE(r.topicData[0].partitionData[0].index, 2);
        QCOMPARE(r.topicData[0].partitionData[0].records.toByteArray(), records);
    }

    void classicStringsInOldVersions()
    {
        // JoinGroup v5 (classic) and v6 (flexible) of the same request
        JoinGroupRequest j;
        j.groupId = "g";
        j.sessionTimeoutMs = 10000;
        j.rebalanceTimeoutMs = 30000;
        j.memberId = "";
        j.protocolType = "consumer";
        QCOMPARE(encoded(j, 5).left(3), Out().str("g").data());
        QCOMPARE(encoded(j, 6).left(2), Out().compact("g").data());
        QCOMPARE(encoded(j, 5).right(4), Out().i32(0).data()); // no protocols, classic count
        // ... protocol_type "consumer", protocols: none (compact count 1), no tagged fields
        QCOMPARE(encoded(j, 6).right(3), Out().raw("r").uvarint(1).uvarint(0).data());
    }
};

QTEST_GUILESS_MAIN(TestKafkaSchema)
#include "tst_kafkaschema.moc"
