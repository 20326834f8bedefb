// The broker's Kafka topic admin APIs: CreateTopics, DeleteTopics, DescribeConfigs,
// AlterConfigs and IncrementalAlterConfigs, against bytes written out by hand
// (support/kafkawire.h) over real sockets.

#include "support/kafkaclient.h"

#include <QTest>

#include <tuple>

using namespace rivulet;
using namespace rivulet::testing;

namespace {

// DescribeConfigsResponse v0-v2: throttle_time_ms [results: error_code error_message
// resource_type resource_name [configs: name value read_only (v0 is_default | v1+
// config_source) is_sensitive (v1+ [synonyms: name value source])]]
struct ConfigEntry
{
    QByteArray name;
    std::optional<QByteArray> value;
    bool readOnly = false;
    int isDefaultOrSource = -1; // v0: is_default (0/1); v1+: config_source
    bool sensitive = true;
    int synonyms = -1;
};
struct ConfigResult
{
    int error = -1;
    std::optional<QByteArray> message;
    int type = -1;
    QByteArray name;
    std::vector<ConfigEntry> configs;
    const ConfigEntry *find(const QByteArray &key) const
    {
        for (const ConfigEntry &e : configs)
            if (e.name == key)
                return &e;
        return nullptr;
    }
};
std::optional<std::vector<ConfigResult>> parseDescribeConfigs(int version, const QByteArray &body)
{
    In in(body);
    if (in.i32() != 0)
        return std::nullopt;
    std::vector<ConfigResult> results;
    const std::int32_t n = in.count(2 + 2 + 1 + 2 + 4);
    for (std::int32_t i = 0; i < n && in.ok(); ++i) {
        ConfigResult r;
        r.error = in.i16();
        r.message = in.nstr();
        r.type = in.i8();
        r.name = in.str();
        const std::int32_t configs = in.count(2 + 2 + 1 + 1 + 1);
        for (std::int32_t c = 0; c < configs && in.ok(); ++c) {
            ConfigEntry e;
            e.name = in.str();
            e.value = in.nstr();
            e.readOnly = in.boolean();
            e.isDefaultOrSource = in.i8();
            e.sensitive = in.boolean();
            if (version >= 1) {
                e.synonyms = in.count(2 + 2 + 1);
                for (int k = 0; k < e.synonyms && in.ok(); ++k) {
                    in.str();
                    in.nstr();
                    in.i8();
                }
            }
            r.configs.push_back(e);
        }
        results.push_back(r);
    }
    if (!in.atEnd())
        return std::nullopt;
    return results;
}

// AlterConfigsResponse v0-v1 and IncrementalAlterConfigsResponse v0: throttle_time_ms
// [responses: error_code error_message resource_type resource_name]
struct AlterResult
{
    int error = -1;
    std::optional<QByteArray> message;
    int type = -1;
    QByteArray name;
};
std::optional<std::vector<AlterResult>> parseAlterConfigs(const QByteArray &body)
{
    In in(body);
    if (in.i32() != 0)
        return std::nullopt;
    std::vector<AlterResult> results;
    const std::int32_t n = in.count(2 + 2 + 1 + 2);
    for (std::int32_t i = 0; i < n && in.ok(); ++i) {
        AlterResult r;
        r.error = in.i16();
        r.message = in.nstr();
        r.type = in.i8();
        r.name = in.str();
        results.push_back(r);
    }
    if (!in.atEnd())
        return std::nullopt;
    return results;
}

} // namespace

class TestKafkaTopicAdmin : public QObject, public KafkaServerFixture
{
    Q_OBJECT

private Q_SLOTS:
    void cleanup() { stop(); }

    // ---- CreateTopics ----

    void createTopics_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 4; ++v)
            QTest::addRow("v%d", v) << v;
    }
    void createTopics()
    {
        QFETCH(int, version);
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));

        struct Want
        {
            QByteArray name;
            std::int32_t partitions;
            int replication;
            int error;
        };
        // CreateTopicsRequest: [name num_partitions replication_factor [assignments]
        // [configs: name value]] timeout_ms (v1+ validate_only)
        auto request = [&](const std::vector<Want> &topics, bool validateOnly) {
            Out o;
            o.i32(std::int32_t(topics.size()));
            for (const Want &t : topics)
                o.str(t.name).i32(t.partitions).i16(t.replication).i32(0).i32(0);
            o.i32(5000);
            if (version >= 1)
                o.boolean(validateOnly);
            return o.data();
        };
        // CreateTopicsResponse: (v2+ throttle_time_ms) [name error_code (v1+ error_message)]
        auto check = [&](const std::vector<Want> &topics, const QByteArray &req,
                         const QByteArray &body) -> QString {
            In in(body);
            if (version >= 2 && in.i32() != 0)
                return QStringLiteral("throttle");
            if (in.count() != std::int32_t(topics.size()))
                return QStringLiteral("count");
            for (const Want &t : topics) {
                const QByteArray name = in.str();
                const int error = in.i16();
                std::optional<QByteArray> message;
                if (version >= 1)
                    message = in.nstr();
                if (!in.ok() || name != t.name || error != t.error)
                    return QStringLiteral("topic %1: got %2 error %3, want error %4 (%5)")
                        .arg(QString::fromLatin1(t.name), QString::fromLatin1(name))
                        .arg(error)
                        .arg(t.error)
                        .arg(QString::fromLatin1(describe(req, body)));
                if (version >= 1 && (error == 0) != !message)
                    return QStringLiteral("topic %1: error message %2 with error %3")
                        .arg(QString::fromLatin1(t.name),
                             QString::fromLatin1(message.value_or("(null)")))
                        .arg(error);
            }
            return in.atEnd() ? QString() : QStringLiteral("trailing bytes");
        };
        const QByteArray suffix = "-v" + QByteArray::number(version);
        QByteArray body;

        const std::vector<Want> first = {
            {"made" + suffix, 3, 1, err::None},
            {"defaults" + suffix, -1, -1, err::None},
            {"bad name!" + suffix, 1, 1, err::InvalidTopic},
            {"replicated" + suffix, 1, 3, err::InvalidReplicationFactor},
            {"zero" + suffix, 0, 1, err::InvalidPartitions},
        };
        QByteArray req = request(first, false);
        QVERIFY2(c.call(api::CreateTopics, std::int16_t(version), req, body),
                 qPrintable(c.error()));
        QString problem = check(first, req, body);
        QVERIFY2(problem.isEmpty(), qPrintable(problem + QString::fromLatin1(describe(req, body))));
        QCOMPARE(m_broker->topics().find("made" + suffix)->partitionCount(), 3);
        QCOMPARE(m_broker->topics().find("defaults" + suffix)->partitionCount(), 1);
        QVERIFY(!m_broker->topics().find("replicated" + suffix));
        QVERIFY(!m_broker->topics().find("zero" + suffix));

        const std::vector<Want> again = {{"made" + suffix, 3, 1, err::TopicAlreadyExists}};
        req = request(again, false);
        QVERIFY2(c.call(api::CreateTopics, std::int16_t(version), req, body),
                 qPrintable(c.error()));
        problem = check(again, req, body);
        QVERIFY2(problem.isEmpty(), qPrintable(problem + QString::fromLatin1(describe(req, body))));

        if (version >= 1) {
            const std::vector<Want> validate = {{"checked" + suffix, 2, 1, err::None},
                                                {"made" + suffix, 2, 1, err::TopicAlreadyExists},
                                                {"zero2" + suffix, 0, 1, err::InvalidPartitions}};
            req = request(validate, true);
            QVERIFY2(c.call(api::CreateTopics, std::int16_t(version), req, body),
                     qPrintable(c.error()));
            problem = check(validate, req, body);
            QVERIFY2(problem.isEmpty(),
                     qPrintable(problem + QString::fromLatin1(describe(req, body))));
            QVERIFY2(!m_broker->topics().find("checked" + suffix), "validate_only created it");
        }

        // the new topics are in Metadata
        QVERIFY2(c.call(api::Metadata, 1, metadataBody(1, std::nullopt), body),
                 qPrintable(c.error()));
        const auto m = parseMetadata(1, body);
        QVERIFY(m);
        QVERIFY(m->topic("made" + suffix) && m->topic("made" + suffix)->partitions.size() == 3);
        QVERIFY(m->topic("defaults" + suffix));
        QCOMPARE(int(m->topics.size()), 2);
    }

    // DeleteTopics v0-v3: [topic_names] timeout_ms -> (v1+ throttle_time_ms) [responses:
    // name error_code]; one answer per name, 3 for a topic that does not exist.
    void deleteTopics_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 3; ++v)
            QTest::newRow(qPrintable(QStringLiteral("v%1").arg(v))) << v;
    }
    void deleteTopics()
    {
        QFETCH(int, version);
        QVERIFY(start(false));
        QVERIFY(m_broker->createTopic("dt-1", 2).topic);
        QVERIFY(m_broker->createTopic("dt-2", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const QByteArray request =
            Out().i32(3).str("dt-1").str("dt-missing").str("dt-1").i32(5000).data();
        QByteArray body;
        QVERIFY2(c.call(api::DeleteTopics, std::int16_t(version), request, body),
                 qPrintable(c.error()));
        Out expected;
        if (version >= 1)
            expected.i32(0);
        expected.i32(2).str("dt-1").i16(0).str("dt-missing").i16(err::UnknownTopicOrPartition);
        QVERIFY2(body == expected.data(), describe(request, body).constData());
        QVERIFY(!m_broker->topics().find("dt-1"));
        QVERIFY(m_broker->topics().find("dt-2"));

        // Metadata no longer lists it; deleting it again says 3
        QVERIFY2(c.call(api::Metadata, 1, metadataBody(1, std::vector<QByteArray>{"dt-1"}), body),
                 qPrintable(c.error()));
        const auto m = parseMetadata(1, body);
        QVERIFY2(m && m->topics.size() == 1, qPrintable(hex(body)));
        QCOMPARE(m->topics[0].error, err::UnknownTopicOrPartition);
        QVERIFY2(c.call(api::DeleteTopics, std::int16_t(version),
                        Out().i32(1).str("dt-1").i32(0).data(), body),
                 qPrintable(c.error()));
        Out again;
        if (version >= 1)
            again.i32(0);
        again.i32(1).str("dt-1").i16(err::UnknownTopicOrPartition);
        QCOMPARE(body, again.data());
    }

    // DescribeConfigs v0-v2 for topics (retention from the topic, the rest broker-wide),
    // the broker (by node id), and resources it cannot describe.
    void describeConfigs_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 2; ++v)
            QTest::newRow(qPrintable(QStringLiteral("v%1").arg(v))) << v;
    }
    void describeConfigs()
    {
        QFETCH(int, version);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("cfg-set", 1, RetentionPolicy{3600000, -1}).topic);
        QVERIFY(m_broker->createTopic("cfg-default", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        // [resources: resource_type resource_name [configuration_keys] (null = all)]
        // (v1+ include_synonyms)
        Out request;
        request.i32(7);
        request.i8(2).str("cfg-set").i32(-1);
        request.i8(2).str("cfg-default").i32(2).str("retention.bytes").str("no.such.key");
        request.i8(2).str("cfg-missing").i32(-1);
        request.i8(4)
            .str(QByteArray::number(kNodeId))
            .i32(2)
            .str("num.partitions")
            .str("auto.create.topics.enable");
        request.i8(4).str("99").i32(-1);
        request.i8(7).str("x").i32(-1);
        request.i8(4).str("").i32(-1);
        if (version >= 1)
            request.boolean(true);
        QByteArray body;
        QVERIFY2(c.call(api::DescribeConfigs, std::int16_t(version), request.data(), body),
                 qPrintable(c.error()));
        const QByteArray why = describe(request.data(), body);
        const auto results = parseDescribeConfigs(version, body);
        QVERIFY2(results && results->size() == 7, why.constData());
        // v0 says is_default (1 = not set on the topic); v1+ the source: 1 TOPIC_CONFIG,
        // 5 DEFAULT_CONFIG
        const int topicSet = version == 0 ? 0 : 1;
        const int builtIn = version == 0 ? 1 : 5;
        auto check = [&](const ConfigResult &r, const QByteArray &key, const QByteArray &value,
                         bool readOnly, int sourceOrDefault) {
            const ConfigEntry *e = r.find(key);
            QVERIFY2(e, qPrintable(key + " missing: " + why));
            QCOMPARE(e->value, std::optional<QByteArray>(value));
            QCOMPARE(e->readOnly, readOnly);
            QCOMPARE(e->isDefaultOrSource, sourceOrDefault);
            QCOMPARE(e->sensitive, false);
            QCOMPARE(e->synonyms, version >= 1 ? 0 : -1);
        };

        const ConfigResult &set = results->at(0);
        QCOMPARE(set.error, 0);
        QCOMPARE(set.message, std::optional<QByteArray>());
        QCOMPARE(set.type, 2);
        QCOMPARE(set.name, QByteArray("cfg-set"));
        QCOMPARE(int(set.configs.size()), 4);
        check(set, "retention.ms", "3600000", false, topicSet);
        check(set, "retention.bytes", "-1", false, builtIn);
        check(set, "cleanup.policy", "delete", true, builtIn);
        check(set, "segment.bytes", QByteArray::number(LogSettings().segmentBytes), true, builtIn);

        const ConfigResult &filtered = results->at(1);
        QCOMPARE(filtered.error, 0);
        QCOMPARE(filtered.name, QByteArray("cfg-default"));
        QCOMPARE(int(filtered.configs.size()), 1);
        check(filtered, "retention.bytes", "-1", false, builtIn);

        const ConfigResult &missing = results->at(2);
        QCOMPARE(missing.error, err::UnknownTopicOrPartition);
        QVERIFY(missing.message);
        QCOMPARE(missing.name, QByteArray("cfg-missing"));
        QCOMPARE(int(missing.configs.size()), 0);

        const ConfigResult &broker = results->at(3);
        QCOMPARE(broker.error, 0);
        QCOMPARE(broker.type, 4);
        QCOMPARE(broker.name, QByteArray::number(kNodeId));
        QCOMPARE(int(broker.configs.size()), 2);
        QCOMPARE(broker.configs[0].name, QByteArray("num.partitions"));
        check(broker, "num.partitions", "1", true, builtIn);
        check(broker, "auto.create.topics.enable", "true", true, builtIn);

        QCOMPARE(results->at(4).error, err::InvalidRequest); // another broker's id
        QCOMPARE(int(results->at(4).configs.size()), 0);
        QCOMPARE(results->at(5).error, err::InvalidRequest); // resource type 7
        QCOMPARE(results->at(5).type, 7);
        QCOMPARE(results->at(6).error, 0); // "": cluster-wide dynamic defaults, none here
        QCOMPARE(int(results->at(6).configs.size()), 0);

        // all of the broker's configs: a few basics, all read-only
        QVERIFY2(c.call(api::DescribeConfigs, std::int16_t(version),
                        Out()
                            .i32(1)
                            .i8(4)
                            .str(QByteArray::number(kNodeId))
                            .i32(-1)
                            .raw(version >= 1 ? Out().boolean(false).data() : QByteArray())
                            .data(),
                        body),
                 qPrintable(c.error()));
        const auto all = parseDescribeConfigs(version, body);
        QVERIFY2(all && all->size() == 1, qPrintable(hex(body)));
        check(all->at(0), "broker.id", QByteArray::number(kNodeId), true, version == 0 ? 0 : 4);
        check(all->at(0), "log.retention.ms", "-1", true, builtIn);
        check(all->at(0), "num.partitions", "1", true, builtIn);
    }

    // AlterConfigs v0-v1 sets a topic's whole config (what is not named goes back to the
    // default); only retention.ms and retention.bytes can change.
    void alterConfigs_data()
    {
        QTest::addColumn<int>("version");
        QTest::newRow("v0") << 0;
        QTest::newRow("v1") << 1;
    }
    void alterConfigs()
    {
        QFETCH(int, version);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("alt", 1, RetentionPolicy{1000, 2048}).topic);
        QVERIFY(m_broker->createTopic("alt-other", 1, RetentionPolicy{1000, 2048}).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        // [resources: resource_type resource_name [configs: name value]] validate_only
        auto alter = [&](const Out &resources, int count, bool validateOnly) {
            QByteArray body;
            const QByteArray request =
                Out().i32(count).raw(resources.data()).boolean(validateOnly).data();
            if (!c.call(api::AlterConfigs, std::int16_t(version), request, body))
                return std::optional<std::vector<AlterResult>>();
            return parseAlterConfigs(body);
        };
        Out resources;
        resources.i8(2)
            .str("alt")
            .i32(2)
            .str("retention.ms")
            .str("60000")
            .str("cleanup.policy")
            .str("delete");
        resources.i8(2).str("alt-missing").i32(1).str("retention.ms").str("1");
        resources.i8(2).str("alt-other").i32(1).str("retention.ms").str("soon");
        resources.i8(2).str("alt-other").i32(1).str("segment.bytes").str("4096");
        resources.i8(2).str("alt-other").i32(1).str("cleanup.policy").str("compact");
        resources.i8(4).str(QByteArray::number(kNodeId)).i32(1).str("log.retention.ms").str("1");
        auto results = alter(resources, 6, false);
        QVERIFY2(results && results->size() == 6, qPrintable(c.error()));
        const std::vector<std::tuple<int, int, QByteArray>> expected = {
            {0, 2, "alt"},
            {err::UnknownTopicOrPartition, 2, "alt-missing"},
            {err::InvalidConfig, 2, "alt-other"},
            {err::InvalidConfig, 2, "alt-other"},
            {err::InvalidConfig, 2, "alt-other"},
            {err::InvalidRequest, 4, QByteArray::number(kNodeId)},
        };
        for (std::size_t i = 0; i < expected.size(); ++i) {
            const auto &[error, type, name] = expected[i];
            const AlterResult &r = results->at(i);
            QCOMPARE(r.error, error);
            QCOMPARE(r.type, type);
            QCOMPARE(r.name, name);
            QCOMPARE(bool(r.message), error != 0); // null when it worked
        }
        // retention.bytes was not named: back to the default (-1)
        QCOMPARE(m_broker->topics().find("alt")->retention().retentionMs, std::int64_t(60000));
        QCOMPARE(m_broker->topics().find("alt")->retention().retentionBytes, std::int64_t(-1));
        QCOMPARE(m_broker->topics().find("alt-other")->retention().retentionMs, std::int64_t(1000));

        // validate_only changes nothing
        Out validate;
        validate.i8(2).str("alt").i32(1).str("retention.bytes").str("4096");
        results = alter(validate, 1, true);
        QVERIFY2(results && results->size() == 1 && results->at(0).error == 0,
                 qPrintable(c.error()));
        QCOMPARE(m_broker->topics().find("alt")->retention().retentionBytes, std::int64_t(-1));
        QCOMPARE(m_broker->topics().find("alt")->retention().retentionMs, std::int64_t(60000));
    }

    // IncrementalAlterConfigs v0 changes only what it names: SET (0) and DELETE (1, back to
    // the default); APPEND/SUBTRACT make no sense for a number.
    void incrementalAlterConfigs()
    {
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("inc", 1, RetentionPolicy{1000, 2048}).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        // [resources: resource_type resource_name [configs: name config_operation value]]
        // validate_only
        auto alter = [&](const QByteArray &configs, int count) {
            QByteArray body;
            const QByteArray request =
                Out().i32(1).i8(2).str("inc").i32(count).raw(configs).boolean(false).data();
            if (!c.call(api::IncrementalAlterConfigs, 0, request, body))
                return -1;
            const auto r = parseAlterConfigs(body);
            return r && r->size() == 1 && r->at(0).name == "inc" && r->at(0).type == 2 &&
                           bool(r->at(0).message) == (r->at(0).error != 0)
                       ? r->at(0).error
                       : -2;
        };
        QCOMPARE(alter(Out().str("retention.ms").i8(0).str("5000").data(), 1), 0);
        QCOMPARE(m_broker->topics().find("inc")->retention().retentionMs, std::int64_t(5000));
        QCOMPARE(m_broker->topics().find("inc")->retention().retentionBytes, std::int64_t(2048));
        QCOMPARE(alter(Out().str("retention.bytes").i8(1).nullStr().data(), 1), 0);
        QCOMPARE(m_broker->topics().find("inc")->retention().retentionMs, std::int64_t(5000));
        QCOMPARE(m_broker->topics().find("inc")->retention().retentionBytes, std::int64_t(-1));
        QCOMPARE(alter(Out().str("retention.ms").i8(2).str("1").data(), 1), err::InvalidConfig);
        QCOMPARE(alter(Out().str("retention.ms").i8(0).str("-2").data(), 1), err::InvalidConfig);
        QCOMPARE(alter(Out().str("retention.ms").i8(0).nullStr().data(), 1), err::InvalidConfig);
        QCOMPARE(alter(Out().str("retention.ms").i8(9).str("1").data(), 1), err::InvalidRequest);
        // all or nothing per resource
        QCOMPARE(
            alter(Out().str("retention.ms").i8(0).str("7").str("bogus").i8(0).str("1").data(), 2),
            err::InvalidConfig);
        QCOMPARE(m_broker->topics().find("inc")->retention().retentionMs, std::int64_t(5000));
    }
};

QTEST_GUILESS_MAIN(TestKafkaTopicAdmin)
#include "tst_kafkatopicadmin.moc"
