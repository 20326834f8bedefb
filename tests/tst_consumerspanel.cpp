// The Consumers tab with real Kafka groups: two kcat (librdkafka) members of one group
// through the Kafka listener, their state, members and assignment in the models; the group
// snapshot the broker fills; and the reset dialog driven through its widgets, its preview
// checked before and the committed offsets after.
#include "broker.h"
#include "consumersmodel.h"
#include "consumerspanel.h"
#include "groupmembersmodel.h"
#include "log/recordbatch.h"
#include "mainwindow.h"
#include "modelroles.h"
#include "resetoffsetsdialog.h"
#include "support/windowfixture.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTest>

#include <set>

using namespace rivulet;
using namespace rivulet::testing;

namespace {

BrokerConfig quickGroups()
{
    BrokerConfig config;
    config.groupInitialRebalanceDelayMs = 0; // the first round completes as soon as all joined
    return config;
}

// A kcat member of a balanced consumer group, committing what it reads every 200 ms.
std::unique_ptr<QProcess> startMember(quint16 port, const QString &group, const QString &topic,
                                      const QString &clientId)
{
    auto kcat = std::make_unique<QProcess>();
    kcat->setProgram(QStandardPaths::findExecutable(QStringLiteral("kcat")));
    kcat->setArguments({QStringLiteral("-b"), QStringLiteral("127.0.0.1:%1").arg(port),
                        QStringLiteral("-G"), group, topic, QStringLiteral("-q"),
                        QStringLiteral("-X"), QStringLiteral("client.id=%1").arg(clientId),
                        QStringLiteral("-X"), QStringLiteral("auto.offset.reset=earliest"),
                        QStringLiteral("-X"), QStringLiteral("auto.commit.interval.ms=200"),
                        QStringLiteral("-X"), QStringLiteral("session.timeout.ms=6000"),
                        QStringLiteral("-X"), QStringLiteral("heartbeat.interval.ms=500")});
    kcat->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    kcat->setStandardOutputFile(QProcess::nullDevice());
    kcat->start();
    return kcat;
}

// kcat leaves its group (and commits) on SIGTERM.
bool stopMember(QProcess &kcat)
{
    kcat.terminate();
    if (kcat.waitForFinished(kTimeoutMs))
        return true;
    kcat.kill();
    kcat.waitForFinished(kTimeoutMs);
    return false;
}

// Every partition of topic held by some member of the group, each once.
std::multiset<int> assignedPartitions(const GroupSnapshot &g, const QString &topic)
{
    std::multiset<int> all;
    for (const GroupMemberSnapshot &m : g.members)
        for (const TopicPartitions &t : m.assignment)
            if (t.topic == topic)
                all.insert(t.partitions.begin(), t.partitions.end());
    return all;
}

const GroupSnapshot *groupIn(const BrokerSnapshot &s, const QByteArray &id)
{
    for (const GroupSnapshot &g : s.groups)
        if (g.groupId == id)
            return &g;
    return nullptr;
}

// Writes one record per timestamp to the partition (CreateTime as given).
bool produceAt(Broker &broker, const QByteArray &topic, int partition,
               const QList<std::int64_t> &timestamps)
{
    for (const std::int64_t ms : timestamps) {
        RecordBatchBuilder batch(ms, 1);
        batch.append(QByteArrayView("v"));
        if (broker.produce(topic, partition, batch.finish()).error != ProduceError::None)
            return false;
    }
    return true;
}

} // namespace

class TestConsumersPanel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("kcat")).isEmpty(),
                 "kcat is not installed (scripts/setup.sh installs it)");
    }

    // A group's members, state and assignment, from real librdkafka clients, in the broker's
    // snapshot, the consumers table and the members pane.
    void realGroupShowsStateMembersAndAssignment()
    {
        Fixture f(quickGroups());
        MainWindow &w = *f.window;
        Server &kafka = f.addKafkaListener();
        QVERIFY(createFilledTopic(f.broker, QStringLiteral("orders"), {5, 3, 4}));
        ConsumersPanel *panel = w.consumersPanel();
        QAbstractItemModelTester consumersTester(
            panel->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester membersTester(
            panel->membersModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);

        auto a = startMember(kafka.serverPort(), QStringLiteral("audit"), QStringLiteral("orders"),
                             QStringLiteral("kcat-a"));
        auto b = startMember(kafka.serverPort(), QStringLiteral("audit"), QStringLiteral("orders"),
                             QStringLiteral("kcat-b"));
        QVERIFY(a->waitForStarted() && b->waitForStarted());

        // both joined, the round completed, and between them they hold every partition once
        auto settled = [&](std::size_t members) {
            const BrokerSnapshot s = f.broker.snapshot();
            const GroupSnapshot *g = groupIn(s, "audit");
            return g && g->state == GroupState::Stable && g->members.size() == members &&
                   assignedPartitions(*g, QStringLiteral("orders")) == std::multiset<int>{0, 1, 2};
        };
        QTRY_VERIFY_WITH_TIMEOUT(settled(2), kTimeoutMs);
        {
            const BrokerSnapshot s = f.broker.snapshot();
            const GroupSnapshot *g = groupIn(s, "audit");
            QCOMPARE(g->protocolType, QStringLiteral("consumer"));
            QVERIFY(!g->protocol.isEmpty());
            QVERIFY(g->generation >= 1);
            std::set<QString> clients;
            for (const GroupMemberSnapshot &m : g->members) {
                clients.insert(m.clientId);
                QCOMPARE(m.host, QStringLiteral("127.0.0.1"));
                QVERIFY(m.memberId.startsWith(m.clientId));
                QVERIFY(m.assignmentReadable);
                QVERIFY(!m.assignment.empty()); // 3 partitions between 2: each has some
            }
            QCOMPARE(clients,
                     (std::set<QString>{QStringLiteral("kcat-a"), QStringLiteral("kcat-b")}));
            QCOMPARE(std::count_if(
                         g->members.begin(), g->members.end(),
                         [&](const GroupMemberSnapshot &m) { return m.memberId == g->leaderId; }),
                     1);
        }

        // the consumers table: a row per partition, with the member that holds it and the
        // group's state; once the members commit what they read, no lag
        const QAbstractItemModel *m = w.consumersView()->model();
        auto caughtUp = [&] {
            for (int p = 0; p < 3; ++p) {
                const int row =
                    consumerRow(m, QStringLiteral("audit"), QStringLiteral("orders"), p);
                if (row < 0 || cell(m, row, ConsumersModel::Lag) != QLatin1String("0") ||
                    cell(m, row, ConsumersModel::State) != QLatin1String("Stable") ||
                    !cell(m, row, ConsumersModel::Member).startsWith(QLatin1String("kcat-")))
                    return false;
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(caughtUp(), kTimeoutMs);
        const int row0 = consumerRow(m, QStringLiteral("audit"), QStringLiteral("orders"), 0);
        QCOMPARE(cell(m, row0, ConsumersModel::NextOffset), QStringLiteral("5"));
        QVERIFY(cell(m, row0, ConsumersModel::Member).endsWith(QLatin1String("(127.0.0.1)")));
        QCOMPARE(cell(m, row0, ConsumersModel::Kind), QStringLiteral("kafka group"));

        // choosing a group's row shows its members below
        w.consumersView()->setCurrentIndex(m->index(row0, 0));
        GroupMembersModel *members = panel->membersModel();
        QCOMPARE(members->groupId(), QByteArray("audit"));
        QCOMPARE(members->rowCount(), 2);
        QVERIFY2(panel->groupSummary()->text().contains(QStringLiteral("Stable · 2 members")),
                 qPrintable(panel->groupSummary()->text()));
        QStringList assignments;
        int leaders = 0;
        for (int r = 0; r < 2; ++r) {
            QVERIFY(
                cell(members, r, GroupMembersModel::ClientId).startsWith(QLatin1String("kcat-")));
            QCOMPARE(cell(members, r, GroupMembersModel::Host), QStringLiteral("127.0.0.1"));
            assignments << cell(members, r, GroupMembersModel::Assignment);
            leaders +=
                cell(members, r, GroupMembersModel::MemberId).endsWith(QLatin1String(" (leader)"));
        }
        QCOMPARE(leaders, 1);
        // range over 3 partitions and 2 members: "orders 0, 1" and "orders 2"
        assignments.sort();
        QCOMPARE(assignments,
                 QStringList({QStringLiteral("orders 0, 1"), QStringLiteral("orders 2")}));

        // one member leaves: the other takes every partition after the rebalance
        QVERIFY(stopMember(*b));
        QTRY_VERIFY_WITH_TIMEOUT(settled(1), kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(members->rowCount(), 1, kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(cell(members, 0, GroupMembersModel::Assignment),
                                  QStringLiteral("orders 0–2"), kTimeoutMs);
        QCOMPARE(cell(members, 0, GroupMembersModel::ClientId), QStringLiteral("kcat-a"));

        // and when it leaves too, the group is Empty with its offsets kept
        QVERIFY(stopMember(*a));
        QTRY_COMPARE_WITH_TIMEOUT(members->rowCount(), 0, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(panel->groupSummary()->text().contains(QLatin1String("Empty")),
                                 kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(
            cell(m, consumerRow(m, QStringLiteral("audit"), QStringLiteral("orders"), 2),
                 ConsumersModel::State),
            QStringLiteral("Empty"), kTimeoutMs);
        QCOMPARE(cell(m, consumerRow(m, QStringLiteral("audit"), QStringLiteral("orders"), 2),
                      ConsumersModel::Member),
                 QString());
        QCOMPARE(f.broker.groups().committed("audit", "orders", 2)->offset, 4);
    }

    // A member's partitions with nothing committed yet are rows too (no offset, no lag).
    void assignedPartitionsWithoutCommitsAreShown()
    {
        const std::int64_t now = 1'700'000'000'000;
        BrokerSnapshot s;
        s.takenMs = now;
        TopicSnapshot t;
        t.name = QStringLiteral("orders");
        for (int p = 0; p < 2; ++p) {
            PartitionSnapshot ps;
            ps.partition = p;
            ps.stats.endOffset = 10;
            t.partitions.push_back(ps);
        }
        s.topics.push_back(t);
        GroupSnapshot g;
        g.groupId = "fresh";
        g.state = GroupState::Stable;
        GroupMemberSnapshot member;
        member.memberId = QStringLiteral("m-1");
        member.clientId = QStringLiteral("app");
        member.host = QStringLiteral("10.0.0.7");
        member.assignment = {{QStringLiteral("orders"), {0, 1}}};
        g.members.push_back(member);
        GroupOffsetSnapshot committed;
        committed.topic = QStringLiteral("orders");
        committed.partition = 1;
        committed.offset = 4;
        g.offsets.push_back(committed);
        s.groups.push_back(g);

        ConsumersModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.update(s);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(cell(&model, 0, ConsumersModel::Partition), QStringLiteral("0"));
        QCOMPARE(cell(&model, 0, ConsumersModel::NextOffset), QStringLiteral("–"));
        QCOMPARE(cell(&model, 0, ConsumersModel::Lag), QStringLiteral("–"));
        QCOMPARE(cell(&model, 0, ConsumersModel::Member), QStringLiteral("app (10.0.0.7)"));
        QCOMPARE(cell(&model, 1, ConsumersModel::Lag), QStringLiteral("6"));
        QCOMPARE(model.totalLag(), 6);
        QCOMPARE(model.data(model.index(0, ConsumersModel::State), GroupStateRole).toInt(),
                 int(GroupState::Stable));

        // its first commit there is no rate: measured from it on
        s.groups[0].offsets.insert(s.groups[0].offsets.begin(), committed);
        s.groups[0].offsets[0].partition = 0;
        s.groups[0].offsets[0].offset = 9;
        s.takenMs = now + 10'000;
        model.update(s);
        QCOMPARE(cell(&model, 0, ConsumersModel::NextOffset), QStringLiteral("9"));
        QCOMPARE(cell(&model, 0, ConsumersModel::Lag), QStringLiteral("1"));
        QCOMPARE(cell(&model, 0, ConsumersModel::Rate), QStringLiteral("0"));
        QCOMPARE(model.rowCount(), 2);

        QCOMPARE(GroupMembersModel::assignmentText(
                     {{QStringLiteral("a"), {0, 1, 2, 5, 7, 8}}, {QStringLiteral("b"), {3}}}),
                 QStringLiteral("a 0–2, 5, 7, 8 · b 3"));
    }

    // The reset dialog: each way of choosing new offsets previews them (and the lag they
    // leave) before anything changes; Reset waits while the group has members; the offsets
    // typed or computed are the ones committed.
    void resetDialogPreviewsThenApplies()
    {
        Fixture f;
        MainWindow &w = *f.window;
        w.setRefreshIntervalMs(0); // refreshed by hand
        QVERIFY(f.broker.createTopic("cg", 2).topic);
        // partition 0: records at 1000…5000 ms (offsets 0–4); partition 1: 1500, 2500, 3500
        QVERIFY(produceAt(f.broker, "cg", 0, {1000, 2000, 3000, 4000, 5000}));
        QVERIFY(produceAt(f.broker, "cg", 1, {1500, 2500, 3500}));
        QCOMPARE(f.broker.groups().commit("audit", -1, {}, {{"cg", 0, 2, {}}, {"cg", 1, 1, {}}},
                                          Broker::nowMs()),
                 0);
        w.refresh();
        ResetOffsetsDialog *dialog =
            w.consumersPanel()->openResetOffsets("audit", QStringLiteral("cg"));
        QVERIFY(dialog);
        QVERIFY(QTest::qWaitForWindowExposed(dialog));

        // the preview: what each partition holds, its committed offset and lag now
        QTableWidget *preview = dialog->preview();
        QCOMPARE(preview->rowCount(), 2);
        QCOMPARE(preview->item(0, 1)->text(), QStringLiteral("0–4"));
        QCOMPARE(preview->item(0, 2)->text(), QStringLiteral("2"));
        QCOMPARE(preview->item(0, 3)->text(), QStringLiteral("3"));
        QCOMPARE(preview->item(1, 3)->text(), QStringLiteral("2"));
        QCOMPARE(dialog->newLagText(0), QStringLiteral("3 (kept)"));
        QVERIFY(!dialog->resetButton()->isEnabled()); // nothing chosen yet

        QComboBox *mode = dialog->modeBox();
        auto choose = [mode](ResetOffsetsDialog::Mode m) {
            mode->setFocus();
            const int index = mode->findData(int(m));
            while (mode->currentIndex() != index)
                QTest::keyClick(mode, mode->currentIndex() < index ? Qt::Key_Down : Qt::Key_Up);
        };
        QLineEdit *p0 = dialog->offsetEdit(0);
        QLineEdit *p1 = dialog->offsetEdit(1);

        choose(ResetOffsetsDialog::Mode::Earliest);
        QCOMPARE(p0->text(), QStringLiteral("0"));
        QCOMPARE(p1->text(), QStringLiteral("0"));
        QCOMPARE(dialog->newLagText(0), QStringLiteral("5"));
        QCOMPARE(dialog->newLagText(1), QStringLiteral("3"));
        QVERIFY(dialog->resetButton()->isEnabled());

        choose(ResetOffsetsDialog::Mode::Latest);
        QCOMPARE(p0->text(), QStringLiteral("5"));
        QCOMPARE(dialog->newLagText(1), QStringLiteral("0"));

        // a shift from the committed offsets, stopping at each partition's ends
        choose(ResetOffsetsDialog::Mode::Shift);
        QVERIFY(dialog->shiftEdit()->isVisible());
        typeInto(dialog->shiftEdit(), QStringLiteral("-1"));
        QCOMPARE(p0->text(), QStringLiteral("1"));
        QCOMPARE(p1->text(), QStringLiteral("0"));
        QCOMPARE(dialog->newLagText(0), QStringLiteral("4"));
        typeInto(dialog->shiftEdit(), QStringLiteral("+2"));
        QCOMPARE(p0->text(), QStringLiteral("4"));
        QCOMPARE(p1->text(), QStringLiteral("3"));
        typeInto(dialog->shiftEdit(), QStringLiteral("-900"));
        QCOMPARE(p0->text(), QStringLiteral("0"));
        typeInto(dialog->shiftEdit(), QStringLiteral("x"));
        QCOMPARE(dialog->shiftEdit()->text(), QStringLiteral("-900")); // letters never get in

        // the preview follows the partitions as the window refreshes: a new record moves the
        // end, and a shift that reaches it follows
        typeInto(dialog->shiftEdit(), QStringLiteral("+100"));
        QCOMPARE(p0->text(), QStringLiteral("5"));
        QVERIFY(produceAt(f.broker, "cg", 0, {6000}));
        w.refresh();
        QCOMPARE(preview->item(0, 1)->text(), QStringLiteral("0–5"));
        QCOMPARE(preview->item(0, 3)->text(), QStringLiteral("4"));
        QCOMPARE(p0->text(), QStringLiteral("6"));

        // to a time: each partition's first record at or after it, looked up off the GUI
        // thread; after the newest record, the end
        choose(ResetOffsetsDialog::Mode::Timestamp);
        QSignalSpy lookedUp(dialog, &ResetOffsetsDialog::lookedUp);
        dialog->timeEdit()->setDateTime(QDateTime::fromMSecsSinceEpoch(2500));
        QVERIFY(dialog->lookingUp());
        QVERIFY(!dialog->resetButton()->isEnabled());
        QTRY_VERIFY(!dialog->lookingUp());
        QCOMPARE(p0->text(), QStringLiteral("2")); // 3000 ms
        QCOMPARE(p1->text(), QStringLiteral("1")); // 2500 ms
        QCOMPARE(dialog->newLagText(0), QStringLiteral("4"));
        QCOMPARE(dialog->newLagText(1), QStringLiteral("2"));
        dialog->timeEdit()->setDateTime(QDateTime::fromMSecsSinceEpoch(4500));
        QTRY_VERIFY(!dialog->lookingUp());
        QCOMPARE(p0->text(), QStringLiteral("4"));
        QCOMPARE(p1->text(), QStringLiteral("3")); // nothing at or after: the end
        QVERIFY(lookedUp.count() >= 2);

        // one partition typed by hand: the others keep what the time gave them
        typeInto(p1, QStringLiteral("9"));
        QCOMPARE(mode->currentData().toInt(), int(ResetOffsetsDialog::Mode::ByHand));
        QVERIFY(!dialog->resetButton()->isEnabled());
        QVERIFY2(dialog->problemLabel()->text().contains(QLatin1String("past its end, 3")),
                 qPrintable(dialog->problemLabel()->text()));
        typeInto(p1, QStringLiteral("2"));
        QCOMPARE(dialog->newLagText(1), QStringLiteral("1"));
        QVERIFY(dialog->resetButton()->isEnabled());

        // a member joins: Kafka resets only an empty group, and the dialog says why
        kafka::GroupCoordinator::JoinRequest join;
        join.groupId = "audit";
        join.clientId = "late-joiner";
        join.protocolType = "consumer";
        join.protocols = {{"range", {}}};
        f.broker.groups().join(join, Broker::nowMs(),
                               [](const kafka::GroupCoordinator::JoinResult &) {});
        w.refresh();
        QVERIFY(!dialog->resetButton()->isEnabled());
        QVERIFY(dialog->stateLabel()->isVisible());
        QVERIFY2(dialog->stateLabel()->text().contains(QLatin1String("1 member")) &&
                     dialog->stateLabel()->text().contains(QLatin1String("stop its consumers")),
                 qPrintable(dialog->stateLabel()->text()));
        const auto memberId = f.broker.groups().group("audit")->members.at(0).memberId;
        QCOMPARE(f.broker.groups().leave("audit", memberId, Broker::nowMs()), 0);
        w.refresh();
        QVERIFY(!dialog->stateLabel()->isVisible());
        QVERIFY(dialog->resetButton()->isEnabled());
        // nothing has changed yet
        QCOMPARE(f.broker.groups().committed("audit", "cg", 0)->offset, 2);

        QTest::mouseClick(dialog->resetButton(), Qt::LeftButton);
        QTRY_VERIFY(!w.findChild<ResetOffsetsDialog *>());
        // the reset runs on the pool (a cluster source would block): it lands soon after
        QTRY_COMPARE(f.broker.groups().committed("audit", "cg", 0)->offset, 4);
        QCOMPARE(f.broker.groups().committed("audit", "cg", 1)->offset, 2);
        w.refresh();
        const QAbstractItemModel *m = w.consumersView()->model();
        QCOMPARE(cell(m, consumerRow(m, QStringLiteral("audit"), QStringLiteral("cg"), 1),
                      ConsumersModel::Lag),
                 QStringLiteral("1"));
        w.setRefreshIntervalMs(MainWindow::kDefaultRefreshMs); // saved for the next test
    }

    // Broker::offsetForTimestamp, the lookup under the dialog and ListOffsets.
    void offsetForTimestampFindsTheFirstRecordAtOrAfter()
    {
        Broker broker;
        QVERIFY(broker.createTopic("t", 1).topic);
        QVERIFY(produceAt(broker, "t", 0, {100, 300, 200, 400}));
        auto at = [&](std::int64_t ms) { return broker.offsetForTimestamp("t", 0, ms); };
        QCOMPARE(at(0).offset, 0);
        QCOMPARE(at(150).offset, 1); // the first at or after, in offset order
        QCOMPARE(at(150).timestamp, 300);
        QCOMPARE(at(400).offset, 3);
        QCOMPARE(at(401).offset, -1); // every record is older
        QVERIFY(at(401).error.isEmpty());
        QCOMPARE(at(TimestampLookup::kNewestTimestamp).offset, 3);
        QVERIFY(!broker.offsetForTimestamp("t", 1, 0).error.isEmpty());
        QVERIFY(!broker.offsetForTimestamp("nope", 0, 0).error.isEmpty());
    }
};

QTEST_MAIN(TestConsumersPanel)
#include "tst_consumerspanel.moc"
