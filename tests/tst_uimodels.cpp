#include "broker.h"
#include "clientsmodel.h"
#include "consumersmodel.h"
#include "displayformat.h"
#include "log/memorylog.h"
#include "modelroles.h"
#include "topicsmodel.h"
#include "valueformat.h"

#include <QAbstractItemModelTester>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace rivulet;

namespace {

PartitionSnapshot partition(int index, std::int64_t end, std::int64_t recordsIn = 0,
                            std::vector<ConsumerPosition> consumers = {})
{
    PartitionSnapshot p;
    p.partition = index;
    p.stats.endOffset = end;
    p.stats.sizeBytes = end * 100;
    p.stats.recordsIn = recordsIn;
    p.stats.lastAppendMs = end > 0 ? 1'700'000'000'000 : 0;
    p.consumers = std::move(consumers);
    return p;
}

TopicSnapshot topic(const QString &name, std::vector<PartitionSnapshot> partitions)
{
    return {name, std::move(partitions)};
}

BrokerSnapshot snapshotAt(std::int64_t ms, std::vector<TopicSnapshot> topics,
                          std::vector<ClientStats::Snapshot> clients = {})
{
    BrokerSnapshot s;
    s.takenMs = ms;
    s.topics = std::move(topics);
    s.clients = std::move(clients);
    return s;
}

BrokerSnapshot withGroups(BrokerSnapshot s, std::vector<GroupSnapshot> groups)
{
    s.groups = std::move(groups);
    return s;
}

GroupOffsetSnapshot committedAt(const QString &topic, int partition, std::int64_t offset)
{
    GroupOffsetSnapshot o;
    o.topic = topic;
    o.partition = partition;
    o.offset = offset;
    return o;
}

ClientStats::Snapshot client(std::uint64_t id, const QString &address, const QString &name = {})
{
    ClientStats::Snapshot c;
    c.id = id;
    c.address = address;
    c.protocol = QStringLiteral("native");
    c.name = name;
    c.connectedMs = 1'700'000'000'000;
    return c;
}

QString text(const QAbstractItemModel &m, int row, int column, const QModelIndex &parent = {})
{
    return m.data(m.index(row, column, parent)).toString();
}

// Counts structural and reset signals so tests can say what a merge did.
struct ModelSignals
{
    explicit ModelSignals(QAbstractItemModel *m)
        : reset(m, &QAbstractItemModel::modelReset), inserted(m, &QAbstractItemModel::rowsInserted),
          removed(m, &QAbstractItemModel::rowsRemoved),
          changed(m, &QAbstractItemModel::dataChanged),
          layout(m, &QAbstractItemModel::layoutChanged)
    {
    }
    void clear()
    {
        reset.clear();
        inserted.clear();
        removed.clear();
        changed.clear();
        layout.clear();
    }
    QSignalSpy reset, inserted, removed, changed, layout;
};

} // namespace

class TestUiModels : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void topicsAreMergedNotReset()
    {
        TopicsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        ModelSignals spy(&model);

        model.update(snapshotAt(1000, {topic("alpha", {partition(0, 5), partition(1, 7)}),
                                       topic("gamma", {partition(0, 1)})}));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(text(model, 0, TopicsModel::Name), QStringLiteral("alpha"));
        QCOMPARE(text(model, 0, TopicsModel::Messages), QStringLiteral("12"));
        QCOMPARE(text(model, 0, TopicsModel::Partitions), QStringLiteral("2"));
        const QModelIndex alpha = model.index(0, 0);
        QCOMPARE(model.rowCount(alpha), 2);
        QCOMPARE(text(model, 1, TopicsModel::EndOffset, alpha), QStringLiteral("7"));
        QCOMPARE(model.data(model.index(1, 0, alpha), PartitionRole).toInt(), 1);
        QCOMPARE(model.data(model.index(1, 0, alpha), TopicNameRole).toString(),
                 QStringLiteral("alpha"));

        QPersistentModelIndex gamma(model.index(1, 0));
        QPersistentModelIndex alphaP1(model.index(1, TopicsModel::EndOffset, alpha));
        // a view shows alpha's partitions: they are announced afresh, then kept up to date
        spy.clear();
        model.setPartitionsShown(QStringLiteral("alpha"), true);
        QCOMPARE(spy.changed.count(), 1);
        spy.clear();
        // beta arrives between them, alpha[1] grows
        model.update(snapshotAt(1250, {topic("alpha", {partition(0, 5), partition(1, 9)}),
                                       topic("beta", {partition(0, 0)}),
                                       topic("gamma", {partition(0, 1)})}));
        QCOMPARE(spy.reset.count(), 0);
        QCOMPARE(spy.layout.count(), 0);
        QCOMPARE(spy.inserted.count(), 1);
        QCOMPARE(spy.removed.count(), 0);
        QCOMPARE(gamma.row(), 2);
        QCOMPARE(gamma.data().toString(), QStringLiteral("gamma"));
        QCOMPARE(alphaP1.data().toString(), QStringLiteral("9"));
        QCOMPARE(text(model, 0, TopicsModel::Messages), QStringLiteral("14"));
        // the changes are reported: one range for alpha[1], one for the alpha row
        QCOMPARE(spy.changed.count(), 2);

        // partitions nobody shows change quietly; their topic's totals do not
        spy.clear();
        model.setPartitionsShown(QStringLiteral("alpha"), false);
        model.update(snapshotAt(1275, {topic("alpha", {partition(0, 5), partition(1, 9)}),
                                       topic("beta", {partition(0, 0)}),
                                       topic("gamma", {partition(0, 2)})}));
        QCOMPARE(spy.changed.count(), 1);
        QCOMPARE(spy.changed.at(0).at(0).value<QModelIndex>().row(), 2);
        QCOMPARE(text(model, 0, TopicsModel::EndOffset, model.index(2, 0)), QStringLiteral("2"));
        model.update(snapshotAt(1280, {topic("alpha", {partition(0, 5), partition(1, 9)}),
                                       topic("beta", {partition(0, 0)}),
                                       topic("gamma", {partition(0, 1)})}));

        // an unchanged snapshot reports nothing
        spy.clear();
        model.update(snapshotAt(1300, {topic("alpha", {partition(0, 5), partition(1, 9)}),
                                       topic("beta", {partition(0, 0)}),
                                       topic("gamma", {partition(0, 1)})}));
        QCOMPARE(spy.changed.count(), 0);
        QCOMPARE(spy.inserted.count() + spy.removed.count() + spy.reset.count(), 0);

        // alpha deleted and re-created with three partitions, beta gone
        spy.clear();
        model.update(
            snapshotAt(1500, {topic("alpha", {partition(0, 0), partition(1, 0), partition(2, 0)}),
                              topic("gamma", {partition(0, 1)})}));
        QCOMPARE(spy.reset.count(), 0);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.rowCount(model.index(0, 0)), 3);
        QCOMPARE(gamma.row(), 1);
        QCOMPARE(text(model, 0, TopicsModel::Partitions), QStringLiteral("3"));
        QCOMPARE(model.topicNames(), QStringList({"alpha", "gamma"}));
        QCOMPARE(model.partitionIndex("alpha", 2).row(), 2);
        QVERIFY(!model.partitionIndex("alpha", 3).isValid());
        QCOMPARE(model.totals().partitions, 4);
        QCOMPARE(model.totals().messages, 1);
    }

    void kafkaGroupsCountAsConsumersOfTheirPartitions()
    {
        TopicsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        GroupSnapshot g;
        g.groupId = "svc";
        g.offsets = {committedAt("t", 0, -1), // nothing committed there
                     committedAt("t", 1, 4)};
        model.update(withGroups(
            snapshotAt(1000,
                       {topic("t", {partition(0, 5, 0, {{"native", 1, 1, 1}}), partition(1, 5)})}),
            {g}));
        const QModelIndex t = model.index(0, 0);
        QCOMPARE(text(model, 0, TopicsModel::Consumers, t), QStringLiteral("1"));
        QCOMPARE(text(model, 1, TopicsModel::Consumers, t), QStringLiteral("1"));
        QCOMPARE(text(model, 0, TopicsModel::Consumers), QStringLiteral("2"));
    }

    void unavailablePartitionsSayWhy()
    {
        TopicsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        PartitionSnapshot refused = partition(1, 0);
        refused.unavailable = QStringLiteral("damaged data at byte 4096 of 00000000.log");
        model.update(snapshotAt(1000, {topic("t", {partition(0, 5), refused})}));
        const QModelIndex t = model.index(0, 0);
        QCOMPARE(text(model, 0, TopicsModel::Name, t), QStringLiteral("partition 0"));
        QCOMPARE(text(model, 1, TopicsModel::Name, t), QStringLiteral("partition 1 — unavailable"));
        QCOMPARE(text(model, 1, TopicsModel::Messages, t), QStringLiteral("unavailable"));
        QCOMPARE(text(model, 1, TopicsModel::EndOffset, t), QStringLiteral("—"));
        QCOMPARE(text(model, 0, TopicsModel::EndOffset, t), QStringLiteral("5"));
        const QString why =
            model.data(model.index(1, TopicsModel::EndOffset, t), Qt::ToolTipRole).toString();
        QVERIFY2(why.contains(QLatin1String("damaged data at byte 4096")), qPrintable(why));
        QVERIFY(model.data(model.index(0, TopicsModel::Name, t), Qt::ToolTipRole).isNull());
        const QString topicTip =
            model.data(model.index(0, TopicsModel::Name), Qt::ToolTipRole).toString();
        QVERIFY2(topicTip.startsWith(QLatin1String("1 of its 2 partitions")), qPrintable(topicTip));
        QCOMPARE(model.totals().unavailable, 1);
        QCOMPARE(text(model, 0, TopicsModel::Name), QStringLiteral("t")); // the name stays
    }

    void partitionsKnowWhyTheyAreUnavailable()
    {
        // the broker side of it: a log that could not be opened, in the snapshot
        Partition healthy(0, std::make_unique<MemoryLog>());
        Partition refused(1, std::make_unique<BrokenLog>(QStringLiteral("torn segment")));
        QVERIFY(healthy.unavailable().isEmpty());
        QCOMPARE(refused.unavailable(), QStringLiteral("torn segment"));
    }

    void topicRatesComeFromCounterDeltas()
    {
        TopicsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.update(snapshotAt(10'000, {topic("t", {partition(0, 0, 0), partition(1, 0, 0)})}));
        QCOMPARE(text(model, 0, TopicsModel::InRate), QStringLiteral("0"));
        // within a second the rate is not measured yet
        model.update(
            snapshotAt(10'250, {topic("t", {partition(0, 100, 100), partition(1, 0, 0)})}));
        QCOMPARE(text(model, 0, TopicsModel::InRate), QStringLiteral("0"));
        model.update(
            snapshotAt(12'000, {topic("t", {partition(0, 3000, 3000), partition(1, 500, 500)})}));
        const QModelIndex t = model.index(0, 0);
        QCOMPARE(text(model, 0, TopicsModel::InRate, t), QStringLiteral("1,500"));
        QCOMPARE(text(model, 1, TopicsModel::InRate, t), QStringLiteral("250"));
        QCOMPARE(text(model, 0, TopicsModel::InRate), QStringLiteral("1,750"));
        QCOMPARE(model.data(model.index(0, TopicsModel::InRate), SortRole).toDouble(), 1750.0);
        QCOMPARE(model.totals().inRate, 1750.0);
        // a counter that went backwards (topic re-created) restarts instead of going negative
        model.update(snapshotAt(13'000, {topic("t", {partition(0, 10, 10), partition(1, 0, 0)})}));
        QCOMPARE(text(model, 0, TopicsModel::InRate, t), QStringLiteral("0"));
    }

    void topicsSurviveRandomSnapshots()
    {
        TopicsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        ModelSignals spy(&model);
        QRandomGenerator rng(42);
        for (int round = 0; round < 300; ++round) {
            std::vector<TopicSnapshot> topics;
            for (int t = 0; t < 30; ++t) {
                if (rng.bounded(3) == 0)
                    continue;
                std::vector<PartitionSnapshot> parts;
                const int n = 1 + int(rng.bounded(t % 4 + 1));
                for (int p = 0; p < n; ++p)
                    parts.push_back(partition(p, rng.bounded(1000)));
                topics.push_back(
                    topic(QStringLiteral("topic-%1").arg(t, 2, 10, QLatin1Char('0')), parts));
            }
            model.update(snapshotAt(1000 + round * 250, topics));
            QCOMPARE(model.rowCount(), int(topics.size()));
            for (int i = 0; i < int(topics.size()); ++i) {
                const QModelIndex ti = model.index(i, 0);
                QCOMPARE(ti.data().toString(), topics[std::size_t(i)].name);
                QCOMPARE(model.rowCount(ti), int(topics[std::size_t(i)].partitions.size()));
                for (int p = 0; p < model.rowCount(ti); ++p)
                    QCOMPARE(model.data(model.index(p, TopicsModel::EndOffset, ti), SortRole)
                                 .toLongLong(),
                             topics[std::size_t(i)].partitions[std::size_t(p)].stats.endOffset);
            }
        }
        QCOMPARE(spy.reset.count(), 0);
    }

    void consumersShowOffsetsLagAndConnection()
    {
        ConsumersModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        ModelSignals spy(&model);
        const std::int64_t now = 1'700'000'100'000;
        auto orders = [&](std::int64_t aliceNext, std::int64_t aliceDelivered, bool withPeer) {
            std::vector<ConsumerPosition> p0 = {{"alice", aliceNext, aliceDelivered, now - 5000}};
            if (withPeer)
                p0.push_back({"127.0.0.1:5555", 100, 100, now - 1000});
            return topic("orders", {partition(0, 100, 100, p0),
                                    partition(1, 40, 40, {{"alice", 40, 40, now}})});
        };
        model.update(
            snapshotAt(now, {orders(30, 30, true)},
                       {client(1, "127.0.0.1:4444", "alice"), client(2, "127.0.0.1:5555")}));
        QCOMPARE(model.rowCount(), 3);
        // sorted by consumer, topic, partition
        QCOMPARE(text(model, 0, ConsumersModel::Consumer), QStringLiteral("127.0.0.1:5555"));
        QCOMPARE(text(model, 1, ConsumersModel::Consumer), QStringLiteral("alice"));
        QCOMPARE(text(model, 1, ConsumersModel::Partition), QStringLiteral("0"));
        QCOMPARE(text(model, 1, ConsumersModel::NextOffset), QStringLiteral("30"));
        QCOMPARE(text(model, 1, ConsumersModel::EndOffset), QStringLiteral("100"));
        QCOMPARE(text(model, 1, ConsumersModel::Lag), QStringLiteral("70"));
        QCOMPARE(model.data(model.index(1, ConsumersModel::Lag), LagRole).toLongLong(), 70);
        QCOMPARE(model.data(model.index(1, ConsumersModel::Lag), LagFractionRole).toDouble(), 0.7);
        QCOMPARE(text(model, 2, ConsumersModel::Lag), QStringLiteral("0"));
        QCOMPARE(text(model, 1, ConsumersModel::LastSeen), QStringLiteral("5 s ago"));
        // connected by name (alice) and by address (the peer)
        QCOMPARE(text(model, 0, ConsumersModel::State), QStringLiteral("connected"));
        QCOMPARE(text(model, 1, ConsumersModel::State), QStringLiteral("connected"));
        QVERIFY(model.data(model.index(1, 0), ConnectedRole).toBool());
        QCOMPARE(model.laggingCount(), 1);
        QCOMPARE(model.totalLag(), 70);

        QPersistentModelIndex alice1(model.index(2, ConsumersModel::Consumer));
        spy.clear();
        // alice reads on, at 500 messages/s; the peer's connection closes and its row goes
        // "gone" but stays; alice's name stays connected
        model.update(snapshotAt(now + 2000, {orders(80, 1030, true)},
                                {client(1, "127.0.0.1:4444", "alice")}));
        QCOMPARE(spy.reset.count(), 0);
        QCOMPARE(spy.inserted.count() + spy.removed.count(), 0);
        QCOMPARE(text(model, 1, ConsumersModel::Lag), QStringLiteral("20"));
        QCOMPARE(text(model, 1, ConsumersModel::Rate), QStringLiteral("500"));
        QCOMPARE(text(model, 0, ConsumersModel::State), QStringLiteral("gone"));
        QVERIFY(!model.data(model.index(0, 0), ConnectedRole).toBool());
        QCOMPARE(text(model, 1, ConsumersModel::LastSeen), QStringLiteral("7 s ago"));

        // the peer's position disappears (topic re-created): its row is removed
        model.update(snapshotAt(now + 2250, {orders(80, 1030, false)}, {}));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(alice1.row(), 1);
        QCOMPARE(alice1.data().toString(), QStringLiteral("alice"));
        QCOMPARE(text(model, 0, ConsumersModel::State), QStringLiteral("gone"));
        QCOMPARE(spy.reset.count(), 0);
    }

    void kafkaGroupsShowTheirCommittedOffsets()
    {
        ConsumersModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        ModelSignals spy(&model);
        const std::int64_t now = 1'700'000'100'000;
        auto group = [](std::int64_t committed, int members) {
            GroupSnapshot g;
            g.groupId = "payments-svc";
            g.state = members > 0 ? GroupState::Stable : GroupState::Empty;
            for (int i = 0; i < members; ++i) {
                GroupMemberSnapshot m;
                m.memberId = QStringLiteral("member-%1").arg(i);
                m.clientId = QStringLiteral("rdkafka");
                g.members.push_back(m);
            }
            g.offsets = {committedAt("gone", 0, 5), // a topic that was deleted
                         committedAt("orders", 1, committed),
                         committedAt("orders", 7, 5)}; // a partition the topic does not have
            g.lastSeenMs = now - 2000;
            return g;
        };
        // a native consumer with the same name stays a row of its own
        const auto orders = [&] {
            return topic("orders",
                         {partition(0, 10, 10, {{"payments-svc", 4, 4, now}}), partition(1, 3000)});
        };
        model.update(withGroups(snapshotAt(now, {orders()}), {group(120, 2)}));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(text(model, 0, ConsumersModel::Kind), QStringLiteral("native"));
        QCOMPARE(text(model, 1, ConsumersModel::Consumer), QStringLiteral("payments-svc"));
        QCOMPARE(text(model, 1, ConsumersModel::Kind), QStringLiteral("kafka group"));
        QCOMPARE(text(model, 1, ConsumersModel::Partition), QStringLiteral("1"));
        QCOMPARE(text(model, 1, ConsumersModel::NextOffset), QStringLiteral("120"));
        QCOMPARE(text(model, 1, ConsumersModel::Lag), QStringLiteral("2,880"));
        QCOMPARE(text(model, 1, ConsumersModel::State), QStringLiteral("Stable"));
        QCOMPARE(text(model, 1, ConsumersModel::LastSeen), QStringLiteral("2 s ago"));
        QCOMPARE(model.data(model.index(1, ConsumersModel::State), Qt::ToolTipRole).toString(),
                 QStringLiteral("Stable: the group has 2 member(s)"));

        // the group commits every few seconds: its rate is measured over ten
        model.update(withGroups(snapshotAt(now + 5000, {orders()}), {group(620, 2)}));
        QCOMPARE(text(model, 1, ConsumersModel::Rate), QStringLiteral("0"));
        model.update(withGroups(snapshotAt(now + 10000, {orders()}), {group(1120, 2)}));
        QCOMPARE(text(model, 1, ConsumersModel::Rate), QStringLiteral("100"));
        QCOMPARE(text(model, 1, ConsumersModel::Lag), QStringLiteral("1,880"));
        // its members leave, then its offsets go
        model.update(withGroups(snapshotAt(now + 10250, {orders()}), {group(1120, 0)}));
        QCOMPARE(text(model, 1, ConsumersModel::State), QStringLiteral("Empty"));
        model.update(withGroups(snapshotAt(now + 10500, {orders()}), {}));
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(spy.reset.count(), 0);
    }

    // A group's rate is its committed offset's advance while it has members: one that has
    // left reads nothing, and a reset of a gone group is not reading either.
    void goneGroupsAndIdleConsumersShowNoRate()
    {
        ConsumersModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        const std::int64_t now = 1'700'000'100'000;
        auto group = [&](std::int64_t committed, int members) {
            GroupSnapshot g;
            g.groupId = "loader";
            g.state = members > 0 ? GroupState::Stable : GroupState::Empty;
            for (int i = 0; i < members; ++i) {
                GroupMemberSnapshot m;
                m.memberId = QStringLiteral("member-%1").arg(i);
                g.members.push_back(m);
            }
            g.offsets = {committedAt("orders", 0, committed)};
            g.lastSeenMs = now;
            return g;
        };
        auto orders = [&](std::int64_t delivered, std::int64_t lastRead) {
            return snapshotAt(
                0, {topic("orders", {partition(0, 1'000'000, 1'000'000,
                                               {{"reader", delivered, delivered, lastRead}})})});
        };
        auto at = [](BrokerSnapshot s, std::int64_t ms) {
            s.takenMs = ms;
            return s;
        };
        const int groupRow = 0, readerRow = 1; // sorted by name: loader, reader
        model.update(withGroups(at(orders(0, now), now), {group(0, 1)}));
        QCOMPARE(text(model, groupRow, ConsumersModel::Consumer), QStringLiteral("loader"));
        model.update(withGroups(at(orders(1000, now + 1000), now + 1000), {group(25'000, 1)}));
        QCOMPARE(text(model, readerRow, ConsumersModel::Rate), QStringLiteral("1,000"));
        model.update(withGroups(at(orders(1000, now + 1000), now + 10'000), {group(50'000, 1)}));
        QCOMPARE(text(model, groupRow, ConsumersModel::Rate), QStringLiteral("5,000"));
        // the native consumer read nothing in the last second: 0
        QCOMPARE(text(model, readerRow, ConsumersModel::Rate), QStringLiteral("0"));

        // the group leaves after its last commit: no rate from then on
        model.update(withGroups(at(orders(1000, now + 1000), now + 11'000), {group(55'000, 0)}));
        QCOMPARE(text(model, groupRow, ConsumersModel::State), QStringLiteral("Empty"));
        QCOMPARE(text(model, groupRow, ConsumersModel::Rate), QStringLiteral("0"));
        model.update(withGroups(at(orders(1000, now + 1000), now + 22'000), {group(55'000, 0)}));
        QCOMPARE(text(model, groupRow, ConsumersModel::Rate), QStringLiteral("0"));
        // its offsets reset while it is gone: still nobody reads
        model.update(withGroups(at(orders(1000, now + 1000), now + 23'000), {group(1'000'000, 0)}));
        model.update(withGroups(at(orders(1000, now + 1000), now + 34'000), {group(1'000'000, 0)}));
        QCOMPARE(text(model, groupRow, ConsumersModel::Rate), QStringLiteral("0"));
        // a member joins and commits: measured from when it came back, not from the reset
        model.update(withGroups(at(orders(1000, now + 1000), now + 35'000), {group(1'000'000, 1)}));
        model.update(withGroups(at(orders(1000, now + 1000), now + 44'000), {group(1'010'000, 1)}));
        QCOMPARE(text(model, groupRow, ConsumersModel::Rate), QStringLiteral("1,000"));
        // with members but no commit for a whole window: 0
        model.update(withGroups(at(orders(1000, now + 1000), now + 56'000), {group(1'010'000, 1)}));
        QCOMPARE(text(model, groupRow, ConsumersModel::Rate), QStringLiteral("0"));
    }

    // The newest stored batch's time stands for the last write after a restart.
    void lastWriteSurvivesARestart()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::int64_t written = 1'700'000'000'000;
        {
            Broker broker;
            QStringList notes;
            QString error;
            QVERIFY2(broker.openDataDir(dir.path(), notes, error), qPrintable(error));
            QVERIFY(broker.createTopic("kept", 1).topic);
            RecordBatchBuilder builder(written, 1);
            builder.append("v");
            QCOMPARE(broker.produce("kept", 0, builder.finish()).records, 1);
            broker.shutdown();
        }
        Broker broker;
        QStringList notes;
        QString error;
        QVERIFY2(broker.openDataDir(dir.path(), notes, error), qPrintable(error));
        TopicsModel model;
        model.update(takeSnapshot(broker.topics(), written + 60'000));
        QCOMPARE(model.data(model.index(0, TopicsModel::LastWrite), SortRole).toLongLong(),
                 written);
        QVERIFY(!text(model, 0, TopicsModel::LastWrite).isEmpty());
        broker.shutdown();
    }

    void clientsShowTrafficPerConnection()
    {
        ClientsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        ModelSignals spy(&model);
        auto c1 = client(1, "127.0.0.1:4000", "loader");
        c1.produces = {"orders[0]", "orders[1]", "orders[2]", "orders[3]", "audit[0]"};
        auto c2 = client(7, "127.0.0.1:4001");
        c2.consumes = {"orders[0]"};
        c2.software = QStringLiteral("librdkafka 2.0.2");
        model.update(snapshotAt(50'000, {}, {c2, c1}));
        QCOMPARE(text(model, 1, ClientsModel::Software), QStringLiteral("librdkafka 2.0.2"));
        QCOMPARE(text(model, 0, ClientsModel::Software), QString());
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(text(model, 0, ClientsModel::Address), QStringLiteral("127.0.0.1:4000"));
        QCOMPARE(text(model, 0, ClientsModel::Name), QStringLiteral("loader"));
        QCOMPARE(text(model, 0, ClientsModel::Protocol), QStringLiteral("native"));
        QCOMPARE(text(model, 0, ClientsModel::Produces),
                 QStringLiteral("orders[0], orders[1], orders[2] +2 more"));
        QCOMPARE(text(model, 1, ClientsModel::Consumes), QStringLiteral("orders[0]"));

        c1.recordsIn = 4000;
        c1.bytesIn = 400'000;
        c2.recordsOut = 100;
        model.update(snapshotAt(52'000, {}, {c1, c2}));
        QCOMPARE(text(model, 0, ClientsModel::MessagesIn), QStringLiteral("2,000"));
        QCOMPARE(text(model, 0, ClientsModel::BytesIn), QStringLiteral("195.3 KiB/s"));
        QCOMPARE(text(model, 1, ClientsModel::MessagesOut), QStringLiteral("50.0"));

        auto c3 = client(9, "127.0.0.1:4002");
        model.update(snapshotAt(52'250, {}, {c2, c3}));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(text(model, 0, ClientsModel::Address), QStringLiteral("127.0.0.1:4001"));
        QCOMPARE(text(model, 1, ClientsModel::Address), QStringLiteral("127.0.0.1:4002"));
        QCOMPARE(spy.reset.count(), 0);
    }

    void kafkaClientsShowPrincipalAndEncryption()
    {
        ClientsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        ModelSignals spy(&model);
        auto plain = client(1, "127.0.0.1:4000");
        plain.protocol = QStringLiteral("kafka");
        plain.principal = QStringLiteral("ANONYMOUS");
        auto secured = client(2, "127.0.0.1:4001");
        secured.protocol = QStringLiteral("kafka");
        secured.principal = QStringLiteral("ANONYMOUS");
        secured.encrypted = true;
        model.update(snapshotAt(50'000, {}, {plain, secured}));
        QCOMPARE(text(model, 0, ClientsModel::Protocol), QStringLiteral("kafka, ANONYMOUS"));
        QCOMPARE(text(model, 1, ClientsModel::Protocol),
                 QStringLiteral("kafka over TLS, ANONYMOUS"));

        // the client logs in: its row changes in place
        spy.clear();
        secured.principal = QStringLiteral("User:alice");
        model.update(snapshotAt(50'500, {}, {plain, secured}));
        QCOMPARE(text(model, 1, ClientsModel::Protocol),
                 QStringLiteral("kafka over TLS, User:alice"));
        QVERIFY(spy.changed.count() >= 1);
        QCOMPARE(spy.reset.count(), 0);

        // the broker side: what a session records is in the snapshot
        ClientStats stats(QStringLiteral("127.0.0.1:5000"), QStringLiteral("kafka"), 1);
        stats.setPrincipal(QStringLiteral("User:bob"));
        stats.setEncrypted(true);
        const ClientStats::Snapshot s = stats.snapshot(4);
        QCOMPARE(s.principal, QStringLiteral("User:bob"));
        QVERIFY(s.encrypted);
    }

    void clientSnapshotsListAFewPartitionsAndCountTheRest()
    {
        // a producer that touched 200 partitions: the broker lists the first 64 and counts all
        ClientStats stats(QStringLiteral("127.0.0.1:5000"), QStringLiteral("native"), 1);
        for (int p = 0; p < 200; ++p)
            stats.noteProduced(QStringLiteral("wide"), p, 1);
        const ClientStats::Snapshot s = stats.snapshot(3);
        QCOMPARE(s.produces.size(), ClientStats::kListedPartitions);
        QCOMPARE(s.producesTotal, 200);
        QCOMPARE(s.consumesTotal, 0);

        ClientsModel model;
        model.update(snapshotAt(1'000, {}, {s}));
        QCOMPARE(text(model, 0, ClientsModel::Produces),
                 QStringLiteral("wide[0], wide[1], wide[2] +197 more"));
        const QString tip =
            model.data(model.index(0, ClientsModel::Produces), Qt::ToolTipRole).toString();
        QVERIFY(tip.endsWith(QStringLiteral("and 136 more")));
    }

    void formatsNumbersForPeople()
    {
        QCOMPARE(display::count(1234567), QStringLiteral("1,234,567"));
        QCOMPARE(display::count(1, QStringLiteral("topic"), QStringLiteral("topics")),
                 QStringLiteral("1 topic"));
        QCOMPARE(display::count(0, QStringLiteral("topic"), QStringLiteral("topics")),
                 QStringLiteral("0 topics"));
        QCOMPARE(display::count(2000, QStringLiteral("client"), QStringLiteral("clients")),
                 QStringLiteral("2,000 clients"));
        QCOMPARE(display::rate(0), QStringLiteral("0"));
        QCOMPARE(display::rate(2.25), QStringLiteral("2.3"));
        QCOMPARE(display::rate(12345.4), QStringLiteral("12,345"));
        QCOMPARE(display::bytes(512), QStringLiteral("512 B"));
        QCOMPARE(display::bytes(2048), QStringLiteral("2.0 KiB"));
        QCOMPARE(display::age(0, 5000), QString());
        QCOMPARE(display::age(1000, 1500), QStringLiteral("now"));
        QCOMPARE(display::age(1000, 4000), QStringLiteral("3 s ago"));
        QCOMPARE(display::age(0 + 1, 7'200'001), QStringLiteral("2 h ago"));
        QCOMPARE(display::compact(950), QStringLiteral("950"));
        QCOMPARE(display::compact(1500), QStringLiteral("1.5k"));
        QCOMPARE(display::compact(35000), QStringLiteral("35k"));
        QCOMPARE(display::compact(4'500'000), QStringLiteral("4.5M"));
        QCOMPARE(display::compact(0.5), QStringLiteral("0.5"));
    }

    void showsValuesAsTextJsonOrHex()
    {
        using namespace valueformat;
        QVERIFY(isText("hello\tworld\n"));
        QVERIFY(isText("grüße"));
        QVERIFY(!isText(QByteArray("a\0b", 3)));
        QVERIFY(!isText("\xff\xfe"));
        QCOMPARE(preview("line one\nline two"), QStringLiteral("line one ⏎ line two"));
        QCOMPARE(preview(QByteArray("\x00\x01\xff", 3)), QStringLiteral("00 01 ff"));
        QCOMPARE(preview(QByteArray(500, 'x'), 10),
                 QString(10, QLatin1Char('x')) + QStringLiteral("…"));
        // a multi-byte character cut by the preview's byte limit is still text
        QVERIFY(!preview(QByteArray("ü").repeated(300), 10).startsWith(QLatin1String("c3")));

        const Rendered json = render(R"({"id":7,"tags":["a","b"]})", View::Auto);
        QCOMPARE(json.view, View::Json);
        QVERIFY(json.text.contains(QLatin1String("\"id\": 7")));
        QVERIFY(json.text.contains(QLatin1Char('\n')));

        // keys keep their order, numbers their spelling
        const QByteArray ordered = "{\"z\": 1.50, \"a\": {\"s\": \"x,\\\"y\\\": {\"}, \"e\": [], "
                                   "\"n\": 12345678901234567890}";
        const QString expected = QStringLiteral("{\n"
                                                "    \"z\": 1.50,\n"
                                                "    \"a\": {\n"
                                                "        \"s\": \"x,\\\"y\\\": {\"\n"
                                                "    },\n"
                                                "    \"e\": [],\n"
                                                "    \"n\": 12345678901234567890\n"
                                                "}");
        QCOMPARE(render(ordered, View::Auto).text, expected);

        const Rendered plain = render("just words", View::Auto);
        QCOMPARE(plain.view, View::Text);
        QCOMPARE(plain.text, QStringLiteral("just words"));

        const Rendered notJson = render("just words", View::Json);
        QCOMPARE(notJson.view, View::Text);
        QVERIFY(notJson.problem.startsWith(QLatin1String("not JSON")));

        const Rendered binary = render(QByteArray("\x00\x01hello", 7), View::Auto);
        QCOMPARE(binary.view, View::Hex);
        QCOMPARE(binary.text, QStringLiteral("00000000  00 01 68 65 6c 6c 6f") +
                                  QString(30, QLatin1Char(' ')) + QStringLiteral("|..hello|\n"));
        QCOMPARE(render("abc", View::Hex).view, View::Hex);
    }
};

QTEST_GUILESS_MAIN(TestUiModels)
#include "tst_uimodels.moc"
