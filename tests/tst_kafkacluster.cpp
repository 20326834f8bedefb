// The cluster source's Kafka side (issue 13) against Rivulet's own Kafka listener, started
// here: librdkafka is the real client; the assertions are on the snapshot it fills.
#include "broker.h"
#include "kafka/kafkahandler.h"
#include "kafkacluster.h"
#include "kafkasettings.h"
#include "log/recordbatch.h"
#include "server/server.h"
#include "support/kafkacluster.h"

#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <future>

using namespace rivulet;
using rivulet::testing::deadPort;
using rivulet::testing::fill;

namespace {

struct Described
{
    bool ok = false;
    ClusterDescription description;
    QString error;
};

Described describeOffThread(const KafkaSettings &settings, int timeoutMs = 10000)
{
    return testing::offThread([settings, timeoutMs] {
        Described d;
        KafkaCluster cluster(settings);
        d.ok = cluster.open(d.error) && cluster.describe(d.description, timeoutMs, d.error);
        return d;
    });
}

} // namespace

class TestKafkaCluster : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void describesTopicsPartitionsAndOffsets()
    {
        Broker broker;
        QVERIFY(broker.createTopic("orders", 3).topic);
        QVERIFY(broker.createTopic("audit", 1).topic);
        QVERIFY(fill(broker, "orders", 0, 5));
        QVERIFY(fill(broker, "orders", 2, 7));
        QVERIFY(fill(broker, "audit", 0, 4));
        std::int64_t start = 0;
        QString error;
        QCOMPARE(broker.deleteRecordsBefore("audit", 0, 3, start, error),
                 Broker::ChangeOutcome::Done);
        kafka::KafkaConfig config;
        config.port = 0; // Metadata advertises the port start() picks
        Server server(broker, 1, config);
        QVERIFY(server.start(QHostAddress::LocalHost, 0));

        KafkaSettings settings;
        settings.bootstrap = QStringLiteral("127.0.0.1:%1").arg(server.serverPort());
        const Described d = describeOffThread(settings);
        QVERIFY2(d.ok, qPrintable(d.error));
        QCOMPARE(d.description.brokers.size(), std::size_t(1));
        QCOMPARE(d.description.brokers[0].port, int(server.serverPort()));
        QCOMPARE(d.description.answeredBy, d.description.brokers[0].id);
        QVERIFY(d.description.problems.isEmpty());

        QStringList names;
        for (const TopicSnapshot &t : d.description.topics)
            names << t.name;
        QCOMPARE(names, QStringList({QStringLiteral("audit"), QStringLiteral("orders")}));
        const TopicSnapshot &audit = d.description.topics[0];
        QCOMPARE(audit.partitions.size(), std::size_t(1));
        QCOMPARE(audit.partitions[0].stats.startOffset, 3);
        QCOMPARE(audit.partitions[0].stats.endOffset, 4);
        const TopicSnapshot &orders = d.description.topics[1];
        QCOMPARE(orders.partitions.size(), std::size_t(3));
        const std::int64_t ends[] = {5, 0, 7};
        for (int p = 0; p < 3; ++p) {
            const PartitionSnapshot &partition = orders.partitions[std::size_t(p)];
            QCOMPARE(partition.partition, p);
            QCOMPARE(partition.stats.startOffset, 0);
            QCOMPARE(partition.stats.endOffset, ends[p]);
            QCOMPARE(partition.stats.sizeBytes, -1); // not known to a Kafka client
            QCOMPARE(partition.leader, d.description.brokers[0].id);
            QCOMPARE(partition.replicas, std::vector<int>{partition.leader});
            QCOMPARE(partition.isr, std::vector<int>{partition.leader});
            QVERIFY(partition.unavailable.isEmpty());
        }
        server.stop();
    }

    // Two kcat members of one group: state, members with client id, host and assignment,
    // and the offsets they committed, as the cluster source's admin calls see them.
    void describesGroupsWithMembersAndOffsets()
    {
        BrokerConfig brokerConfig;
        brokerConfig.groupInitialRebalanceDelayMs = 0;
        Broker broker(brokerConfig);
        QVERIFY(broker.createTopic("orders", 2).topic);
        QVERIFY(fill(broker, "orders", 0, 3));
        QVERIFY(fill(broker, "orders", 1, 4));
        kafka::KafkaConfig config;
        config.port = 0;
        Server server(broker, 1, config);
        QVERIFY(server.start(QHostAddress::LocalHost, 0));
        const auto stop = qScopeGuard([&] { server.stop(); });
        KafkaSettings settings;
        settings.bootstrap = QStringLiteral("127.0.0.1:%1").arg(server.serverPort());
        const testing::KcatGroup members(settings.bootstrap, QStringLiteral("g1"),
                                         QStringLiteral("orders"),
                                         {QStringLiteral("kcat-a"), QStringLiteral("kcat-b")});
        if (!members.installed)
            QSKIP(testing::KcatGroup::kNotInstalled);
        QVERIFY2(members.problem.isEmpty(), qPrintable(members.problem));

        std::vector<GroupSnapshot> groups;
        QStringList problems;
        QString error;
        const auto settled = [&] {
            const bool described = testing::offThread([&] {
                KafkaCluster cluster(settings);
                return cluster.open(error) && cluster.describeGroups(groups, problems, 5000, error);
            });
            if (!described)
                return false;
            return groups.size() == 1 && groups[0].state == GroupState::Stable &&
                   groups[0].members.size() == 2 && groups[0].offsets.size() == 2 &&
                   groups[0].members[0].assignment.size() == 1 &&
                   groups[0].members[1].assignment.size() == 1;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(settled(), qPrintable(error), 30000);
        const GroupSnapshot &g = groups[0];
        QCOMPARE(g.groupId, QByteArray("g1"));
        QCOMPARE(g.protocolType, QStringLiteral("consumer"));
        QVERIFY(!g.protocol.isEmpty());
        QStringList clients;
        std::vector<int> assigned;
        for (const GroupMemberSnapshot &m : g.members) {
            clients << m.clientId;
            QVERIFY(!m.memberId.isEmpty());
            QVERIFY2(m.host.contains(QLatin1String("127.0.0.1")), qPrintable(m.host));
            QCOMPARE(m.assignment[0].topic, QStringLiteral("orders"));
            assigned.insert(assigned.end(), m.assignment[0].partitions.begin(),
                            m.assignment[0].partitions.end());
        }
        clients.sort();
        QCOMPARE(clients, QStringList({QStringLiteral("kcat-a"), QStringLiteral("kcat-b")}));
        std::sort(assigned.begin(), assigned.end());
        QCOMPARE(assigned, std::vector<int>({0, 1}));
        QCOMPARE(g.offsets[0].topic, QStringLiteral("orders"));
        QCOMPARE(g.offsets[0].partition, 0);
        QCOMPARE(g.offsets[0].offset, 3);
        QCOMPARE(g.offsets[1].partition, 1);
        QCOMPARE(g.offsets[1].offset, 4);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    }

    void unreachableBootstrapSaysSo()
    {
        const quint16 port = deadPort();
        QVERIFY(port != 0);
        KafkaSettings settings;
        settings.bootstrap = QStringLiteral("127.0.0.1:%1").arg(port);
        const Described d = describeOffThread(settings, 2000);
        QVERIFY(!d.ok);
        QVERIFY2(d.error.startsWith(
                     QStringLiteral("no Kafka broker answered at 127.0.0.1:%1").arg(port)),
                 qPrintable(d.error));
    }

    void badPropertyIsRefusedWithoutItsValue()
    {
        KafkaSettings settings;
        settings.bootstrap = QStringLiteral("127.0.0.1:1");
        settings.properties = {{"sasl.password", "hunter2"}, {"no.such.property", "s3cret"}};
        KafkaCluster cluster(settings);
        QString error;
        QVERIFY(!cluster.open(error));
        QVERIFY2(error.contains(QLatin1String("no.such.property")), qPrintable(error));
        QVERIFY(!error.contains(QLatin1String("s3cret")));
        QVERIFY(!error.contains(QLatin1String("hunter2")));
    }

    void readsAPropertiesFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("client.properties"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("# a comment\n\n! another\nbootstrap.servers = broker1:9093\n"
                   "security.protocol=SASL_SSL\nsasl.mechanism: SCRAM-SHA-512\n"
                   "sasl.username=alice\nsasl.password=p=ss:word\n");
        file.close();
        KafkaSettings settings;
        QString error;
        QVERIFY2(loadKafkaConfig(path, settings, error), qPrintable(error));
        QCOMPARE(settings.bootstrap, QStringLiteral("broker1:9093"));
        QCOMPARE(settings.properties.size(), 4);
        QCOMPARE(settings.properties[1].first, QByteArray("sasl.mechanism"));
        QCOMPARE(settings.properties[1].second, QByteArray("SCRAM-SHA-512"));
        QCOMPARE(settings.properties[3].second, QByteArray("p=ss:word"));
        QCOMPARE(settings.describe(), QStringLiteral("broker1:9093 (SASL_SSL, user alice)"));
        QVERIFY(isSecretProperty("sasl.password"));
        QVERIFY(!isSecretProperty("sasl.username"));

        // the command line's bootstrap wins over the file's
        KafkaSettings given;
        given.bootstrap = QStringLiteral("other:9092");
        QVERIFY(loadKafkaConfig(path, given, error));
        QCOMPARE(given.bootstrap, QStringLiteral("other:9092"));

        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write("security.protocol=SSL\njust-a-word-secret\n");
        file.close();
        QVERIFY(!loadKafkaConfig(path, settings, error));
        QVERIFY2(error.contains(QLatin1String("line 2")), qPrintable(error));
        QVERIFY(!error.contains(QLatin1String("secret")));
    }
};

QTEST_MAIN(TestKafkaCluster)
#include "tst_kafkacluster.moc"
