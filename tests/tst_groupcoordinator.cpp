// GroupCoordinator on its own: when a group was last heard from, which the window shows
// as a Kafka group's "last seen", and deleting groups; and the broker's group offset reset
// and consumer forgetting that the window offers. (Rebalances and commits are driven by
// real Kafka clients in tests/kafka.)

#include "broker.h"
#include "kafka/groupcoordinator.h"
#include "kafka/protocol.h"
#include "log/recordbatch.h"

#include <QTest>

using namespace rivulet::kafka;

namespace {

constexpr std::int64_t kStart = 1'700'000'000'000;

// Joins one member and completes its round; returns its member id and generation.
std::pair<QByteArray, std::int32_t> joinAlone(GroupCoordinator &c, std::int64_t nowMs)
{
    GroupCoordinator::JoinRequest request;
    request.groupId = "svc";
    request.clientId = "test";
    request.clientHost = QStringLiteral("/127.0.0.1");
    request.protocolType = "consumer";
    request.protocols = {{"range", "meta"}};
    GroupCoordinator::JoinResult joined;
    bool answered = false;
    c.join(request, nowMs, [&](const GroupCoordinator::JoinResult &r) {
        joined = r;
        answered = true;
    });
    c.tick(nowMs);
    if (!answered || joined.error != 0)
        qFatal("join was not answered (error %d)", joined.error);
    bool synced = false;
    c.sync("svc", joined.generation, joined.memberId, {{joined.memberId, "assignment"}}, nowMs,
           [&](const GroupCoordinator::SyncResult &r) { synced = r.error == 0; });
    if (!synced)
        qFatal("sync failed");
    return {joined.memberId, joined.generation};
}

} // namespace

class TestGroupCoordinator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void groupsTellWhenTheyWereLastHeardFrom()
    {
        GroupCoordinator c(0);
        const auto [member, generation] = joinAlone(c, kStart);
        auto view = c.group("svc");
        QVERIFY(view);
        QCOMPARE(view->lastSeenMs, kStart);
        QCOMPARE(view->members.size(), std::size_t(1));
        QCOMPARE(view->members[0].lastSeenMs, kStart);

        QCOMPARE(c.heartbeat("svc", generation, member, kStart + 3000), error::None);
        QCOMPARE(c.group("svc")->lastSeenMs, kStart + 3000);

        QCOMPARE(c.commit("svc", generation, member, {{"orders", 0, 42, {}}}, kStart + 5000),
                 error::None);
        view = c.group("svc");
        QCOMPARE(view->lastSeenMs, kStart + 5000);
        QCOMPARE(view->offsets.at({"orders", 0}).commitMs, kStart + 5000);
        QCOMPARE(c.committed("svc", "orders", 0)->offset, 42);

        // a failed heartbeat from a stranger is no sign of the group's life
        QCOMPARE(c.heartbeat("svc", generation, "stranger", kStart + 6000), error::UnknownMemberId);
        QCOMPARE(c.group("svc")->lastSeenMs, kStart + 5000);

        QCOMPARE(c.heartbeat("svc", generation, member, kStart + 8000), error::None);
        QCOMPARE(c.group("svc")->lastSeenMs, kStart + 8000);

        // leaving is the group's last sign of life
        QCOMPARE(c.leave("svc", member, kStart + 9000), error::None);
        view = c.group("svc");
        QVERIFY(view->members.empty());
        QCOMPARE(view->lastSeenMs, kStart + 9000);

        // a member that goes silent: the group was last seen at its last heartbeat
        const auto [second, secondGeneration] = joinAlone(c, kStart + 20000);
        QCOMPARE(c.heartbeat("svc", secondGeneration, second, kStart + 21000), error::None);
        c.tick(kStart + 21000 + 10001); // its 10 s session is over
        view = c.group("svc");
        QVERIFY(view->members.empty());
        QCOMPARE(view->lastSeenMs, kStart + 21000);

        // a commit from a consumer outside any group round (it assigns itself) counts too
        QCOMPARE(c.commit("svc", -1, {}, {{"orders", 1, 7, {}}}, kStart + 40000), error::None);
        QCOMPARE(c.group("svc")->lastSeenMs, kStart + 40000);
    }

    void commitTimesSurviveARestore()
    {
        GroupCoordinator c(0);
        c.restore({{"old-svc", "orders", 0, {7, "m", kStart - 60000}},
                   {"old-svc", "orders", 1, {9, {}, kStart - 30000}},
                   {"older-svc", "orders", 0, {3, {}, 0}}}); // saved before times were kept
        QCOMPARE(c.group("old-svc")->lastSeenMs, kStart - 30000);
        QCOMPARE(c.group("older-svc")->lastSeenMs, std::int64_t(0));
        bool found = false;
        for (const auto &saved : c.offsets())
            if (saved.groupId == "old-svc" && saved.partition == 0) {
                QCOMPARE(saved.committed.commitMs, kStart - 60000);
                QCOMPARE(saved.committed.metadata, QByteArray("m"));
                found = true;
            }
        QVERIFY(found);
    }

    void groupsAreDeletedOnlyWhenEmpty()
    {
        GroupCoordinator c(0);
        QCOMPARE(c.deleteGroup("nobody"), error::GroupIdNotFound);
        QCOMPARE(c.deleteGroup({}), error::InvalidGroupId);
        const auto [member, generation] = joinAlone(c, kStart);
        QCOMPARE(c.commit("svc", generation, member, {{"orders", 0, 42, {}}}, kStart + 1),
                 error::None);
        QCOMPARE(c.deleteGroup("svc"), error::NonEmptyGroup);
        QCOMPARE(c.committed("svc", "orders", 0)->offset, 42);
        const auto versionBefore = c.offsetVersion();
        QCOMPARE(c.leave("svc", member, kStart + 2), error::None);
        QCOMPARE(c.deleteGroup("svc"), error::None);
        QVERIFY(!c.group("svc"));
        QVERIFY(!c.committed("svc", "orders", 0));
        QVERIFY(c.offsetVersion() > versionBefore); // so that the deletion is saved
        QCOMPARE(c.deleteGroup("svc"), error::GroupIdNotFound);
        // a late commit from its old member does not bring the group back
        QCOMPARE(c.commit("svc", generation, member, {{"orders", 0, 43, {}}}, kStart + 3),
                 error::UnknownMemberId);
        QVERIFY(!c.group("svc"));
        QVERIFY(c.groups().empty());
    }

    void brokerResetsAnEmptyGroupsOffsets()
    {
        rivulet::Broker broker;
        QVERIFY(broker.createTopic("orders", 2).topic);
        auto *p0 = broker.topics().find("orders")->partition(0);
        auto *p1 = broker.topics().find("orders")->partition(1);
        auto append = [](rivulet::Partition *p, int count) {
            rivulet::RecordBatchBuilder builder(kStart);
            for (int i = 0; i < count; ++i)
                builder.append("v");
            QByteArray batch = builder.finish();
            return p->append(batch, kStart).ok;
        };
        QVERIFY(append(p0, 3));
        QVERIFY(append(p1, 1));
        QString error;
        GroupCoordinator &c = broker.groups();
        using To = rivulet::Broker::ResetTo;

        QVERIFY2(broker.resetGroupOffsets("svc", "orders", To::Latest, 0, error),
                 qPrintable(error));
        QCOMPARE(c.committed("svc", "orders", 0)->offset, 3);
        QCOMPARE(c.committed("svc", "orders", 1)->offset, 1);
        QVERIFY(broker.resetGroupOffsets("svc", "orders", To::Earliest, 0, error));
        QCOMPARE(c.committed("svc", "orders", 0)->offset, 0);
        QCOMPARE(c.committed("svc", "orders", 1)->offset, 0);
        // an offset is clamped to what each partition holds
        QVERIFY(broker.resetGroupOffsets("svc", "orders", To::Offset, 2, error));
        QCOMPARE(c.committed("svc", "orders", 0)->offset, 2);
        QCOMPARE(c.committed("svc", "orders", 1)->offset, 1);

        QVERIFY(!broker.resetGroupOffsets("svc", "missing", To::Latest, 0, error));
        QVERIFY2(error.contains(QLatin1String("missing")), qPrintable(error));
        // not while the group has members
        GroupCoordinator::JoinRequest request;
        request.groupId = "svc";
        request.protocolType = "consumer";
        request.protocols = {{"range", {}}};
        c.join(request, rivulet::Broker::nowMs(), [](const GroupCoordinator::JoinResult &) {});
        QVERIFY(!broker.resetGroupOffsets("svc", "orders", To::Latest, 0, error));
        QVERIFY2(error.contains(QLatin1String("has members")), qPrintable(error));
        QCOMPARE(c.committed("svc", "orders", 0)->offset, 2);
    }

    void brokerForgetsANativeConsumer()
    {
        rivulet::Broker broker;
        QVERIFY(broker.createTopic("orders", 1).topic);
        auto *p = broker.topics().find("orders")->partition(0);
        p->noteConsumer("reader", 5, 5, 1000);
        p->noteConsumer("other", 2, 2, 1000);
        QVERIFY(broker.forgetConsumer("orders", 0, "reader"));
        QVERIFY(!broker.forgetConsumer("orders", 0, "reader"));
        QVERIFY(!broker.forgetConsumer("orders", 7, "other"));
        QVERIFY(!broker.forgetConsumer("missing", 0, "other"));
        const auto left = p->consumers();
        QCOMPARE(left.size(), std::size_t(1));
        QCOMPARE(left[0].consumer, QByteArray("other"));
    }
};

QTEST_GUILESS_MAIN(TestGroupCoordinator)
#include "tst_groupcoordinator.moc"
