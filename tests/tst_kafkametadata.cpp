// The broker's Kafka ApiVersions (v0-v4, and a version past ours) and Metadata (v0-v4: all
// topics, a selection, auto-creation on and off), against bytes written out by hand
// (support/kafkawire.h) over real sockets.

#include "support/kafkaclient.h"

#include "monitor/clientregistry.h"

#include <QTest>
#include <QtEndian>

#include <set>

using namespace rivulet;
using namespace rivulet::testing;

class TestKafkaMetadata : public QObject, public KafkaServerFixture
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup() { stop(); }

    // ---- ApiVersions ----

    void apiVersions_data()
    {
        QTest::addColumn<int>("version");
        QTest::addColumn<bool>("nullClientId");
        QTest::newRow("v0") << 0 << false;
        QTest::newRow("v0 null client id") << 0 << true;
        QTest::newRow("v1") << 1 << false;
        QTest::newRow("v2") << 2 << false;
    }
    void apiVersions()
    {
        QFETCH(int, version);
        QFETCH(bool, nullClientId);
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const std::int32_t id =
            c.sendRequest(api::ApiVersions, std::int16_t(version), {},
                          nullClientId ? std::nullopt : std::optional<QByteArray>(kClientId));
        QByteArray body;
        QVERIFY2(c.readResponse(id, body), qPrintable(c.error()));
        const auto v = parseApiVersions(body, version >= 1);
        QVERIFY2(v, qPrintable(hex(body)));
        QCOMPARE(v->error, err::None);
        QCOMPARE(v->ranges.size(), kAdvertised.size());
        const QString problems = rangeProblems(v->ranges);
        QVERIFY2(problems.isEmpty(), qPrintable(problems));
        if (version >= 1)
            QCOMPARE(*v->throttle, 0);
    }

    // ApiVersions v3 is flexible: header v2 (client id, then tagged fields) and a body of
    // compact strings. v3-v4 are answered in their own layout (response header v0 all the
    // same); a version past ours gets error 35 with the v0 body and our ranges (KIP-511).
    void apiVersionsFlexibleRequest_data()
    {
        QTest::addColumn<int>("version");
        QTest::newRow("v3") << 3;
        QTest::newRow("v4") << 4;
        QTest::newRow("v127") << 127;
    }
    void apiVersionsFlexibleRequest()
    {
        QFETCH(int, version);
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const QByteArray software = "tst-kafkacodec";
        const QByteArray softwareVersion = "1.0";
        Out h;
        h.i16(api::ApiVersions).i16(version).i32(77); // api_key, api_version, correlation_id
        h.str(kClientId);                             // client_id: still a classic string
        h.uvarint(0);                                 // header tagged fields: none
        h.uvarint(quint64(software.size()) + 1).raw(software); // compact client_software_name
        h.uvarint(quint64(softwareVersion.size()) + 1).raw(softwareVersion);
        h.uvarint(0); // body tagged fields
        const QByteArray request = Out().i32(std::int32_t(h.size())).raw(h.data()).data();
        c.send(request);
        QByteArray body;
        QVERIFY2(c.readResponse(77, body), qPrintable(c.error()));
        if (version <= 4) {
            // error_code, compact array of (key, min, max, tagged fields), throttle, tags
            QCOMPARE(quint8(body[0]), 0);
            QCOMPARE(quint8(body[1]), 0);
            const int count = quint8(body[2]) - 1;
            QCOMPARE(count, int(kAdvertised.size()));
            std::vector<std::tuple<int, int, int>> ranges;
            for (int i = 0; i < count; ++i) {
                const char *at = body.constData() + 3 + i * 7;
                ranges.emplace_back(qFromBigEndian<qint16>(at), qFromBigEndian<qint16>(at + 2),
                                    qFromBigEndian<qint16>(at + 4));
                QCOMPARE(int(at[6]), 0); // no tagged fields
            }
            const QString problems = rangeProblems(ranges);
            QVERIFY2(problems.isEmpty(), qPrintable(problems));
            QCOMPARE(body.size(), 3 + count * 7 + 4 + 1);
            // the client's software is kept for the window's Clients tab
            QStringList software;
            for (const auto &client : m_broker->clients().snapshot())
                software << client.software;
            QVERIFY2(software.contains(QStringLiteral("tst-kafkacodec 1.0")),
                     qPrintable(software.join(u',')));
            return;
        }
        const auto v = parseApiVersions(body, false);
        QVERIFY2(v, qPrintable("not a v0 ApiVersions body: " + hex(body)));
        QCOMPARE(v->error, err::UnsupportedVersion);
        const QString problems = rangeProblems(v->ranges);
        QVERIFY2(problems.isEmpty(), qPrintable(problems));
        // the client steps down on the same connection
        QVERIFY2(c.call(api::ApiVersions, 2, {}, body), qPrintable(c.error()));
        const auto v2 = parseApiVersions(body, true);
        QVERIFY2(v2 && v2->error == 0, qPrintable(hex(body)));
    }

    // ---- Metadata ----

    void metadataAllTopics_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 4; ++v)
            QTest::addRow("v%d", v) << v;
    }
    void metadataAllTopics()
    {
        QFETCH(int, version);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("alpha", 2).topic);
        QVERIFY(m_broker->createTopic("beta", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        // v0: an empty list means all topics; v1+: null means all
        const QByteArray request = metadataBody(
            version, version == 0
                         ? std::optional<std::vector<QByteArray>>(std::vector<QByteArray>{})
                         : std::nullopt);
        QByteArray body;
        QVERIFY2(c.call(api::Metadata, std::int16_t(version), request, body),
                 qPrintable(c.error()));
        const auto m = parseMetadata(version, body);
        QVERIFY2(m, describe(request, body).constData());
        if (version >= 3)
            QCOMPARE(m->throttle, 0);
        QCOMPARE(int(m->brokers.size()), 1);
        QCOMPARE(m->brokers[0].node, kNodeId);
        QCOMPARE(m->brokers[0].host, QByteArray("127.0.0.1"));
        QCOMPARE(m->brokers[0].port, std::int32_t(m_port));
        if (version >= 1) {
            QVERIFY(!m->brokers[0].rack);
            QCOMPARE(m->controller, kNodeId);
        }
        if (version >= 2) {
            QVERIFY2(m->clusterId, "cluster id is null");
            QCOMPARE(*m->clusterId, kClusterId);
        }
        QCOMPARE(int(m->topics.size()), 2);
        for (const auto &[name, partitions] :
             std::vector<std::pair<QByteArray, int>>{{"alpha", 2}, {"beta", 1}}) {
            const MetaTopic *t = m->topic(name);
            QVERIFY2(t, name.constData());
            QCOMPARE(t->error, err::None);
            QVERIFY(!t->internal);
            QCOMPARE(int(t->partitions.size()), partitions);
            std::set<std::int32_t> ids;
            for (const MetaPartition &p : t->partitions) {
                QCOMPARE(p.error, err::None);
                ids.insert(p.id);
                QCOMPARE(p.leader, kNodeId);
                QCOMPARE(p.replicas, std::vector<std::int32_t>{kNodeId});
                QCOMPARE(p.isr, std::vector<std::int32_t>{kNodeId});
            }
            QCOMPARE(int(ids.size()), partitions);
            QCOMPARE(*ids.begin(), 0);
            QCOMPARE(*ids.rbegin(), partitions - 1);
        }
    }

    void metadataTopicSelection()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("alpha", 2).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;

        // v1 empty list: brokers only
        QVERIFY2(c.call(api::Metadata, 1, metadataBody(1, std::vector<QByteArray>{}), body),
                 qPrintable(c.error()));
        auto m = parseMetadata(1, body);
        QVERIFY2(m, qPrintable(hex(body)));
        QCOMPARE(int(m->brokers.size()), 1);
        QCOMPARE(m->controller, kNodeId);
        QCOMPARE(int(m->topics.size()), 0);

        // v4, one known topic, auto-create off
        QVERIFY2(c.call(api::Metadata, 4, metadataBody(4, std::vector<QByteArray>{"alpha"}, false),
                        body),
                 qPrintable(c.error()));
        m = parseMetadata(4, body);
        QVERIFY2(m && m->topics.size() == 1, qPrintable(hex(body)));
        QCOMPARE(m->topics[0].name, QByteArray("alpha"));
        QCOMPARE(m->topics[0].error, err::None);
        QCOMPARE(int(m->topics[0].partitions.size()), 2);

        // v4, unknown topic with allow_auto_topic_creation false: 3, no partitions, not made
        QVERIFY2(c.call(api::Metadata, 4, metadataBody(4, std::vector<QByteArray>{"nosuch"}, false),
                        body),
                 qPrintable(c.error()));
        m = parseMetadata(4, body);
        QVERIFY2(m && m->topics.size() == 1, qPrintable(hex(body)));
        QCOMPARE(m->topics[0].name, QByteArray("nosuch"));
        QCOMPARE(m->topics[0].error, err::UnknownTopicOrPartition);
        QCOMPARE(int(m->topics[0].partitions.size()), 0);
        QVERIFY(!m_broker->topics().find("nosuch"));

        // the broker auto-creates by default: v1 (no flag) and v4 with the flag set
        for (int version : {1, 4}) {
            const QByteArray name = "auto-made-v" + QByteArray::number(version);
            QVERIFY2(c.call(api::Metadata, std::int16_t(version),
                            metadataBody(version, std::vector<QByteArray>{name}, true), body),
                     qPrintable(c.error()));
            m = parseMetadata(version, body);
            QVERIFY2(m && m->topics.size() == 1, qPrintable(hex(body)));
            QCOMPARE(m->topics[0].name, name);
            QCOMPARE(m->topics[0].error, err::None);
            QCOMPARE(int(m->topics[0].partitions.size()), 1);
            QVERIFY(m_broker->topics().find(name));
        }

        // an invalid name is never created: 17
        QVERIFY2(
            c.call(api::Metadata, 1, metadataBody(1, std::vector<QByteArray>{"bad name!"}), body),
            qPrintable(c.error()));
        m = parseMetadata(1, body);
        QVERIFY2(m && m->topics.size() == 1, qPrintable(hex(body)));
        QCOMPARE(m->topics[0].error, err::InvalidTopic);
        QCOMPARE(int(m->topics[0].partitions.size()), 0);
    }

    void metadataWithoutAutoCreate_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 4; ++v)
            QTest::addRow("v%d", v) << v;
    }
    void metadataWithoutAutoCreate()
    {
        QFETCH(int, version);
        QVERIFY(start(false));
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        const QByteArray request = metadataBody(version, std::vector<QByteArray>{"nosuch"}, true);
        QVERIFY2(c.call(api::Metadata, std::int16_t(version), request, body),
                 qPrintable(c.error()));
        const auto m = parseMetadata(version, body);
        QVERIFY2(m && m->topics.size() == 1, describe(request, body).constData());
        QCOMPARE(m->topics[0].error, err::UnknownTopicOrPartition);
        QCOMPARE(int(m->topics[0].partitions.size()), 0);
        QVERIFY(!m_broker->topics().find("nosuch"));
    }
};

QTEST_GUILESS_MAIN(TestKafkaMetadata)
#include "tst_kafkametadata.moc"
