// GroupCoordinator on its own: when a group was last heard from, which the window shows
// as a Kafka group's "last seen", and deleting groups; the member id round trip (KIP-394),
// static members (KIP-345), batch LeaveGroup and Kafka's answers to members that join again;
// and the broker's group offset reset and consumer forgetting that the window offers.
// (Rebalances and commits are also driven by real Kafka clients in tests/kafka.)

#include "broker.h"
#include "brokersource.h"
#include "kafka/groupcoordinator.h"
#include "kafka/protocol.h"
#include "kafka/wire.h"
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

using Protocols = std::vector<GroupCoordinator::Protocol>;
using Assignments = std::vector<std::pair<QByteArray, QByteArray>>;
// An answer, once it has come (a held JoinGroup or SyncGroup is answered later).
using JoinAnswer = std::shared_ptr<std::optional<GroupCoordinator::JoinResult>>;
using SyncAnswer = std::shared_ptr<std::optional<GroupCoordinator::SyncResult>>;

// A JoinGroup v5+ to group "svc" (v4+: requireKnownMemberId), from member memberId or a new
// one, static with an instance id.
GroupCoordinator::JoinRequest joinRequest(const QByteArray &memberId,
                                          std::optional<QByteArray> instanceId = std::nullopt,
                                          Protocols protocols = {{"range", "meta"}})
{
    GroupCoordinator::JoinRequest request;
    request.groupId = "svc";
    request.memberId = memberId;
    request.clientId = "test";
    request.clientHost = QStringLiteral("/127.0.0.1");
    request.protocolType = "consumer";
    request.protocols = std::move(protocols);
    request.groupInstanceId = std::move(instanceId);
    request.requireKnownMemberId = true;
    return request;
}

JoinAnswer join(GroupCoordinator &c, GroupCoordinator::JoinRequest request, std::int64_t nowMs)
{
    auto answer = std::make_shared<std::optional<GroupCoordinator::JoinResult>>();
    c.join(std::move(request), nowMs,
           [answer](const GroupCoordinator::JoinResult &r) { *answer = r; });
    return answer;
}

SyncAnswer sync(GroupCoordinator &c, std::int32_t generation, const QByteArray &memberId,
                Assignments assignments, std::int64_t nowMs,
                std::optional<QByteArray> instanceId = std::nullopt)
{
    auto answer = std::make_shared<std::optional<GroupCoordinator::SyncResult>>();
    c.sync(
        "svc", generation, memberId, std::move(assignments), nowMs,
        [answer](const GroupCoordinator::SyncResult &r) { *answer = r; }, instanceId);
    return answer;
}

QString state(const GroupCoordinator &c)
{
    const auto view = c.group("svc");
    return view ? view->state : QStringLiteral("(none)");
}

// Static members "a" (the leader: it joins first) and "b" of a stable group in generation 1
// (c waits 1 s for a new group's members), assigned "for-a" and "for-b". Returns their ids.
std::pair<QByteArray, QByteArray> stableStaticPair(GroupCoordinator &c, std::int64_t nowMs,
                                                   Protocols protocols = {{"range", "meta"}})
{
    const JoinAnswer a = join(c, joinRequest({}, "a", protocols), nowMs);
    const JoinAnswer b = join(c, joinRequest({}, "b", protocols), nowMs);
    c.tick(nowMs + 1000);
    if (!*a || !*b || (*a)->error || (*b)->error || (*a)->leader != (*a)->memberId ||
        (*a)->generation != 1 || (*a)->members.size() != 2)
        qFatal("the static pair did not join together");
    const SyncAnswer syncB = sync(c, 1, (*b)->memberId, {}, nowMs + 1000, "b");
    const SyncAnswer syncA =
        sync(c, 1, (*a)->memberId, {{(*a)->memberId, "for-a"}, {(*b)->memberId, "for-b"}},
             nowMs + 1000, "a");
    if (!*syncA || !*syncB || (*syncB)->assignment != "for-b")
        qFatal("the static pair did not sync");
    return {(*a)->memberId, (*b)->memberId};
}

// Dynamic members "a" (the leader: it joins first) and "b" of a new group, joined together
// in generation 1 (c waits 1 s for a new group's members) and not synced yet. Returns their
// ids.
std::pair<QByteArray, QByteArray> dynamicPairInGenerationOne(GroupCoordinator &c,
                                                             std::int64_t nowMs)
{
    auto request = joinRequest({});
    request.requireKnownMemberId = false;
    const JoinAnswer a = join(c, request, nowMs);
    const JoinAnswer b = join(c, request, nowMs);
    c.tick(nowMs + 1000);
    if (!*a || !*b || (*a)->error || (*b)->error || (*a)->leader != (*a)->memberId ||
        (*a)->generation != 1 || (*b)->generation != 1)
        qFatal("the dynamic pair did not join together");
    return {(*a)->memberId, (*b)->memberId};
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

    // A dynamic member that heartbeats but does not join a round in time is dropped when the
    // round completes; when that leaves the group empty, its last heartbeat is still when
    // the group was last heard from (it was lost before: the window showed an older time).
    void aMemberDroppedByARoundKeepsTheGroupsLastSign()
    {
        GroupCoordinator c(1000);
        const auto [leader, other] = dynamicPairInGenerationOne(c, kStart);
        const SyncAnswer held = sync(c, 1, other, {}, kStart + 1000);
        QVERIFY(*sync(c, 1, leader, {{leader, "l"}, {other, "o"}}, kStart + 1000));
        QVERIFY(*held);
        QCOMPARE(state(c), QStringLiteral("Stable"));

        // the leader goes silent: out after its 10 s session, and a round starts
        QCOMPARE(c.heartbeat("svc", 1, other, kStart + 9000), error::None);
        c.tick(kStart + 1000 + 10001);
        QCOMPARE(state(c), QStringLiteral("PreparingRebalance"));
        QCOMPARE(c.group("svc")->lastSeenMs, kStart + 9000);
        // the other member keeps heartbeating (told of the round) but never joins it
        QCOMPARE(c.heartbeat("svc", 1, other, kStart + 16000), error::RebalanceInProgress);
        QCOMPARE(c.group("svc")->lastSeenMs, kStart + 16000);
        c.tick(kStart + 1000 + 10001 + 10000); // the round's deadline: it is dropped
        const auto view = c.group("svc");
        QCOMPARE(view->state, QStringLiteral("Empty"));
        QVERIFY(view->members.empty());
        QCOMPARE(view->lastSeenMs, kStart + 16000);
    }

    // KIP-394: JoinGroup v4+ without a member id (and without an instance id) is answered
    // 79 with an id, remembered as pending; the member then joins with it.
    void aNewMemberJoinsAgainWithTheIdItIsGiven()
    {
        GroupCoordinator c(0);
        const JoinAnswer first = join(c, joinRequest({}), kStart);
        QVERIFY(*first);
        QCOMPARE((*first)->error, error::MemberIdRequired);
        QCOMPARE((*first)->generation, -1);
        const QByteArray id = (*first)->memberId;
        QVERIFY2(id.startsWith("test-"), id.constData()); // client id, then a UUID
        // the group exists, without members, and no round has started
        QCOMPARE(state(c), QStringLiteral("Empty"));
        QVERIFY(c.group("svc")->members.empty());

        const JoinAnswer second = join(c, joinRequest(id), kStart + 100);
        QVERIFY(*second);
        QCOMPARE((*second)->error, error::None);
        QCOMPARE((*second)->memberId, id);
        QCOMPARE((*second)->leader, id);
        QCOMPARE((*second)->generation, 1);
        // the id is a member's now, no longer pending: a third join is an ordinary rejoin
        QVERIFY(*sync(c, 1, id, {{id, "x"}}, kStart + 100));
        QCOMPARE(c.heartbeat("svc", 1, id, kStart + 200), error::None);

        // an id the broker never gave gets 25; a join to an unknown group with an id does
        // not make the group
        QCOMPARE((*join(c, joinRequest("made-up"), kStart + 300))->error, error::UnknownMemberId);
        auto elsewhere = joinRequest("made-up");
        elsewhere.groupId = "other";
        QCOMPARE((*join(c, elsewhere, kStart + 300))->error, error::UnknownMemberId);
        QVERIFY(!c.group("other"));

        // v0-v3: the member id comes with the first answer
        GroupCoordinator old(0);
        auto v3 = joinRequest({});
        v3.requireKnownMemberId = false;
        const JoinAnswer joined = join(old, v3, kStart);
        QVERIFY(*joined);
        QCOMPARE((*joined)->error, error::None);
        QVERIFY(!(*joined)->memberId.isEmpty());
    }

    // A pending id is dropped after its session timeout; meanwhile a round waits for it.
    void pendingMemberIdsExpire()
    {
        GroupCoordinator c(0);
        const auto [leader, generation] = joinAlone(c, kStart);
        auto late = joinRequest({});
        late.sessionTimeoutMs = 5000;
        const QByteArray pending = (*join(c, late, kStart + 1000))->memberId;
        QCOMPARE(state(c), QStringLiteral("Stable")); // being given an id starts no round
        QCOMPARE(c.heartbeat("svc", generation, leader, kStart + 1000), error::None);

        // the leader starts a round: it waits for the pending member too
        auto again = joinRequest(leader);
        again.rebalanceTimeoutMs = 60000;
        const JoinAnswer rejoined = join(c, again, kStart + 2000);
        c.tick(kStart + 6000);
        QVERIFY(!*rejoined);
        c.tick(kStart + 6001); // 5 s after it was given: forgotten, and the round completes
        QVERIFY(*rejoined);
        QCOMPARE((*rejoined)->generation, generation + 1);
        QCOMPARE((*rejoined)->members.size(), std::size_t(1));
        QCOMPARE((*join(c, joinRequest(pending), kStart + 6002))->error, error::UnknownMemberId);

        // LeaveGroup by a pending id forgets it
        const QByteArray another = (*join(c, joinRequest({}), kStart + 7000))->memberId;
        QCOMPARE(c.leave("svc", {{another, std::nullopt}}, kStart + 7001),
                 std::vector<std::int16_t>{error::None});
        QCOMPARE((*join(c, joinRequest(another), kStart + 7002))->error, error::UnknownMemberId);
    }

    // KIP-345: a static member back with an empty member id takes a new id in place of its
    // old one; in a stable group with unchanged protocols, nothing rebalances.
    void aStaticMemberComesBackWithoutARebalance()
    {
        GroupCoordinator c(1000);
        const auto [a, b] = stableStaticPair(c, kStart);
        QVERIFY2(a.startsWith("a-") && b.startsWith("b-"), a + " " + b); // instance id, UUID
        // no round trip for a static member: it joined at once (above)

        // b restarts (a follower): the current generation at once, no members listed
        const JoinAnswer back = join(c, joinRequest({}, "b"), kStart + 2000);
        QVERIFY(*back);
        QCOMPARE((*back)->error, error::None);
        const QByteArray b2 = (*back)->memberId;
        QVERIFY(b2.startsWith("b-") && b2 != b);
        QCOMPARE((*back)->generation, 1);
        QCOMPARE((*back)->leader, a);
        QCOMPARE((*back)->protocol, QByteArray("range"));
        QVERIFY((*back)->members.empty());
        QCOMPARE(state(c), QStringLiteral("Stable"));
        QCOMPARE(c.heartbeat("svc", 1, a, kStart + 2000, "a"), error::None);
        // its assignment is the one the leader gave b
        const SyncAnswer synced = sync(c, 1, b2, {}, kStart + 2001, "b");
        QVERIFY(*synced);
        QCOMPARE((*synced)->error, error::None);
        QCOMPARE((*synced)->assignment, QByteArray("for-b"));

        // the old id is fenced when named with the instance id, unknown without it
        QCOMPARE(c.heartbeat("svc", 1, b, kStart + 2002, "b"), error::FencedInstanceId);
        QCOMPARE(c.heartbeat("svc", 1, b, kStart + 2002), error::UnknownMemberId);
        QCOMPARE((*sync(c, 1, b, {}, kStart + 2002, "b"))->error, error::FencedInstanceId);
        QCOMPARE(c.commit("svc", 1, b, {{"orders", 0, 1, {}}}, kStart + 2002, "b"),
                 error::FencedInstanceId);
        QCOMPARE(c.checkCommit("svc", 1, b, "b"), error::FencedInstanceId);
        QCOMPARE((*join(c, joinRequest(b, "b"), kStart + 2002))->error, error::FencedInstanceId);
        // an instance id nobody has is unknown
        QCOMPARE(c.heartbeat("svc", 1, b2, kStart + 2002, "c"), error::UnknownMemberId);
        QCOMPARE(c.commit("svc", 1, b2, {{"orders", 0, 5, {}}}, kStart + 2003, "b"), error::None);
        QCOMPARE(c.checkCommit("svc", 1, b2, "b"), error::None);

        // the leader restarts: before JoinGroup v9 the answer names its old id as leader,
        // so that it does not assign again
        const JoinAnswer leaderBack = join(c, joinRequest({}, "a"), kStart + 3000);
        QVERIFY(*leaderBack);
        const QByteArray a2 = (*leaderBack)->memberId;
        QCOMPARE((*leaderBack)->error, error::None);
        QCOMPARE((*leaderBack)->leader, a);
        QVERIFY((*leaderBack)->members.empty());
        QVERIFY(!(*leaderBack)->skipAssignment);
        QCOMPARE((*sync(c, 1, a2, {}, kStart + 3001, "a"))->assignment, QByteArray("for-a"));
        auto view = c.group("svc");
        QCOMPARE(view->leader, a2); // it leads under its new id
        QCOMPARE(view->generation, 1);
        QCOMPARE(view->members.size(), std::size_t(2));
        for (const auto &m : view->members)
            QCOMPARE(m.groupInstanceId, std::optional<QByteArray>(m.memberId.left(1)));

        // v9: the leader is told it leads, with the members, and to skip the assignment
        auto v9 = joinRequest({}, "a");
        v9.supportsSkipAssignment = true;
        const JoinAnswer leaderV9 = join(c, v9, kStart + 4000);
        QVERIFY(*leaderV9);
        QCOMPARE((*leaderV9)->leader, (*leaderV9)->memberId);
        QVERIFY((*leaderV9)->skipAssignment);
        QCOMPARE((*leaderV9)->members.size(), std::size_t(2));
        for (const auto &m : (*leaderV9)->members)
            QCOMPARE(m.groupInstanceId, std::optional<QByteArray>(m.memberId.left(1)));
        v9.groupInstanceId = "b";
        const JoinAnswer followerV9 = join(c, v9, kStart + 4000);
        QCOMPARE((*followerV9)->leader, (*leaderV9)->memberId);
        QVERIFY(!(*followerV9)->skipAssignment);
        QVERIFY((*followerV9)->members.empty());
        QCOMPARE(state(c), QStringLiteral("Stable"));
        QCOMPARE(c.group("svc")->generation, 1);
    }

    // A static member back with protocols that change the group's choice rebalances, and so
    // does one back while the group waits for the leader's SyncGroup; whoever waits under
    // its old id is fenced.
    void aStaticMemberComesBackIntoARebalance()
    {
        GroupCoordinator c(1000);
        const auto [a, b] =
            stableStaticPair(c, kStart, {{"range", "meta"}, {"roundrobin", "meta"}});
        const JoinAnswer changed =
            join(c, joinRequest({}, "b", {{"roundrobin", "m2"}}), kStart + 2000);
        QVERIFY(!*changed); // held for the round
        QCOMPARE(state(c), QStringLiteral("PreparingRebalance"));
        const QByteArray b2 = c.group("svc")->members.back().memberId;
        QVERIFY(b2 != b);
        QCOMPARE(c.heartbeat("svc", 1, a, kStart + 2001, "a"), error::RebalanceInProgress);
        // b restarts again while its join is held: the held one is fenced
        const JoinAnswer again =
            join(c, joinRequest({}, "b", {{"roundrobin", "m3"}}), kStart + 2002);
        QVERIFY(*changed);
        QCOMPARE((*changed)->error, error::FencedInstanceId);
        QCOMPARE((*changed)->memberId, b2);
        const JoinAnswer leader = join(
            c, joinRequest(a, "a", {{"range", "meta"}, {"roundrobin", "meta"}}), kStart + 2003);
        QVERIFY(*leader && *again);
        QCOMPARE((*leader)->generation, 2);
        QCOMPARE((*leader)->protocol, QByteArray("roundrobin"));
        QCOMPARE((*again)->generation, 2);
        const QByteArray b3 = (*again)->memberId;

        // CompletingRebalance: b's SyncGroup waits; b restarts; its sync is fenced and a
        // new round starts (the leader may have assigned to the old id)
        const SyncAnswer waiting = sync(c, 2, b3, {}, kStart + 3000, "b");
        QVERIFY(!*waiting);
        const JoinAnswer fourth =
            join(c, joinRequest({}, "b", {{"roundrobin", "m3"}}), kStart + 3001);
        QVERIFY(*waiting);
        QCOMPARE((*waiting)->error, error::FencedInstanceId);
        QVERIFY(!*fourth);
        QCOMPARE(state(c), QStringLiteral("PreparingRebalance"));
    }

    // A static member that misses a round stays a member (the leader assigns to it) until
    // its session times out; a dynamic one is out.
    void staticMembersOutlastARoundTheyMiss()
    {
        GroupCoordinator c(0);
        const auto [leader, generation] = joinAlone(c, kStart);
        auto s = joinRequest({}, "s");
        s.sessionTimeoutMs = 30000;
        const JoinAnswer joinedS = join(c, s, kStart + 1000);
        QVERIFY(!*joinedS);
        QVERIFY(*join(c, joinRequest(leader, std::nullopt, {{"range", "meta"}}), kStart + 1000));
        QVERIFY(*joinedS);
        const QByteArray member = (*joinedS)->memberId;
        QCOMPARE((*joinedS)->generation, generation + 1);
        const SyncAnswer held = sync(c, generation + 1, member, {}, kStart + 1000, "s");
        QVERIFY(*sync(c, generation + 1, leader, {{leader, "l"}, {member, "s"}}, kStart + 1000));
        QCOMPARE((*held)->assignment, QByteArray("s"));

        // s goes quiet; the leader starts a round that completes without s at its deadline
        const JoinAnswer round = join(c, joinRequest(leader), kStart + 2000);
        c.tick(kStart + 2000 + 10000);
        QVERIFY(*round);
        QCOMPARE((*round)->generation, generation + 2);
        QCOMPARE((*round)->members.size(), std::size_t(2)); // s too, with its instance id
        for (const auto &m : (*round)->members)
            QCOMPARE(m.groupInstanceId,
                     m.memberId == member ? std::optional<QByteArray>("s") : std::nullopt);
        QVERIFY(*sync(c, generation + 2, leader, {{leader, "l2"}, {member, "s2"}}, kStart + 12000));
        // s comes back: the new generation and the assignment made for it
        const JoinAnswer back = join(c, s, kStart + 20000);
        QCOMPARE((*back)->generation, generation + 2);
        QCOMPARE((*sync(c, generation + 2, (*back)->memberId, {}, kStart + 20000, "s"))->assignment,
                 QByteArray("s2"));
        // then goes quiet for good: out after its session timeout
        c.heartbeat("svc", generation + 2, leader, kStart + 45000);
        c.tick(kStart + 50000);
        QCOMPARE(state(c), QStringLiteral("Stable"));
        c.tick(kStart + 50001);
        QCOMPARE(c.group("svc")->members.size(), std::size_t(1));
        QCOMPARE(state(c), QStringLiteral("PreparingRebalance"));

        // a round in which only an absent static member is left waits for it (there is no
        // leader to answer) until its session runs out
        GroupCoordinator lone(0);
        auto only = joinRequest({}, "only");
        only.sessionTimeoutMs = 20000;
        const QByteArray id = (*join(lone, only, kStart))->memberId;
        QVERIFY(*sync(lone, 1, id, {{id, "x"}}, kStart, "only"));
        auto dynamic = joinRequest({});
        dynamic.requireKnownMemberId = false;
        const JoinAnswer heldJoin = join(lone, dynamic, kStart + 1000);
        const auto both = lone.group("svc");
        QCOMPARE(both->members.size(), std::size_t(2));
        for (const auto &m : both->members)
            if (m.memberId != id)
                QCOMPARE(lone.leave("svc", m.memberId, kStart + 1001), error::None);
        QCOMPARE((*heldJoin)->error, error::UnknownMemberId);
        lone.tick(kStart + 15000); // past the round's deadline
        QCOMPARE(lone.group("svc")->state, QStringLiteral("PreparingRebalance"));
        QCOMPARE(lone.group("svc")->generation, 1);
        lone.tick(kStart + 20001);
        QCOMPARE(lone.group("svc")->state, QStringLiteral("Empty"));
        QVERIFY(lone.group("svc")->members.empty());
    }

    // LeaveGroup v3+: members by id, by instance id, or both, each with its own answer.
    void membersLeaveInABatch()
    {
        GroupCoordinator c(1000);
        const auto [a, b] = stableStaticPair(c, kStart);
        QCOMPARE(c.leave("nobody-here", {{a, "a"}}, kStart),
                 std::vector<std::int16_t>{error::UnknownMemberId});
        const std::vector<std::int16_t> codes =
            c.leave("svc",
                    {{a, "b"},           // b belongs to another member id: 82
                     {"", "a"},          // by instance id alone
                     {"", "nobody"},     // no such instance
                     {"", std::nullopt}, // nobody named
                     {"stranger", std::nullopt},
                     {a, "a"}}, // gone already
                    kStart + 2000);
        QCOMPARE(codes,
                 (std::vector<std::int16_t>{error::FencedInstanceId, error::None,
                                            error::UnknownMemberId, error::UnknownMemberId,
                                            error::UnknownMemberId, error::UnknownMemberId}));
        auto view = c.group("svc");
        QCOMPARE(view->members.size(), std::size_t(1));
        QCOMPARE(view->members[0].memberId, b);
        QCOMPARE(view->state, QStringLiteral("PreparingRebalance"));
        QCOMPARE(view->lastSeenMs, kStart + 2000);
        // "a" is free again: it joins as a new member
        const JoinAnswer aAgain = join(c, joinRequest({}, "a"), kStart + 2001);
        QVERIFY(!*aAgain);
        // v0-v2: a static member leaves by its member id alone
        QCOMPARE(c.leave("svc", b, kStart + 2002), error::None);
        QVERIFY(*aAgain);
        QCOMPARE((*aAgain)->error, error::None);
        QCOMPARE(c.group("svc")->members.size(), std::size_t(1));
    }

    // As Kafka: a member joining again with the same protocols is told the current generation
    // (no rebalance) while the group is stable or waits for the leader's SyncGroup; a changed
    // subscription, or the leader's join, starts a round.
    void membersJoiningAgainAreToldTheCurrentGeneration()
    {
        GroupCoordinator c(1000);
        const auto [leader, follower] = dynamicPairInGenerationOne(c, kStart);
        // CompletingRebalance: both get generation 1 again, the leader with the members
        const JoinAnswer l2 = join(c, joinRequest(leader), kStart + 1001);
        const JoinAnswer f2 = join(c, joinRequest(follower), kStart + 1001);
        QVERIFY(*l2 && *f2);
        QCOMPARE((*l2)->generation, 1);
        QCOMPARE((*l2)->members.size(), std::size_t(2));
        QCOMPARE((*f2)->generation, 1);
        QVERIFY((*f2)->members.empty());
        QCOMPARE(state(c), QStringLiteral("CompletingRebalance"));
        QVERIFY(*sync(c, 1, leader, {{leader, "l"}, {follower, "f"}}, kStart + 1002));
        // Stable: the follower again: no round; with new metadata: a round
        const JoinAnswer f3 = join(c, joinRequest(follower), kStart + 1003);
        QVERIFY(*f3);
        QCOMPARE((*f3)->generation, 1);
        QCOMPARE(state(c), QStringLiteral("Stable"));
        const JoinAnswer f4 =
            join(c, joinRequest(follower, std::nullopt, {{"range", "new"}}), kStart + 1004);
        QVERIFY(!*f4);
        QCOMPARE(state(c), QStringLiteral("PreparingRebalance"));
        QVERIFY(*join(c, joinRequest(leader), kStart + 1005));
        QCOMPARE((*f4)->generation, 2);
        QVERIFY(*sync(c, 2, leader, {}, kStart + 1006));
        // the leader's join with the same protocols starts a round
        QVERIFY(!*join(c, joinRequest(leader), kStart + 1007));
        QCOMPARE(state(c), QStringLiteral("PreparingRebalance"));
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
        using Outcome = rivulet::Broker::GroupOutcome;
        // every partition at once goes through the source the window and CLI use
        rivulet::BrokerSource source(broker);

        QVERIFY2(source.resetGroupOffsets("svc", "orders", To::Latest, 0, error) == Outcome::Done,
                 qPrintable(error));
        QCOMPARE(c.committed("svc", "orders", 0)->offset, 3);
        QCOMPARE(c.committed("svc", "orders", 1)->offset, 1);
        QCOMPARE(source.resetGroupOffsets("svc", "orders", To::Earliest, 0, error), Outcome::Done);
        QCOMPARE(c.committed("svc", "orders", 0)->offset, 0);
        QCOMPARE(c.committed("svc", "orders", 1)->offset, 0);
        // an offset is clamped to what each partition holds
        QCOMPARE(source.resetGroupOffsets("svc", "orders", To::Offset, 2, error), Outcome::Done);
        QCOMPARE(c.committed("svc", "orders", 0)->offset, 2);
        QCOMPARE(c.committed("svc", "orders", 1)->offset, 1);

        QCOMPARE(source.resetGroupOffsets("svc", "missing", To::Latest, 0, error),
                 Outcome::UnknownTopic);
        QVERIFY2(error.contains(QLatin1String("missing")), qPrintable(error));
        // not while the group has members
        GroupCoordinator::JoinRequest request;
        request.groupId = "svc";
        request.protocolType = "consumer";
        request.protocols = {{"range", {}}};
        c.join(request, rivulet::Broker::nowMs(), [](const GroupCoordinator::JoinResult &) {});
        QCOMPARE(source.resetGroupOffsets("svc", "orders", To::Latest, 0, error),
                 Outcome::HasMembers);
        QVERIFY2(error.contains(QLatin1String("has members")), qPrintable(error));
        QCOMPARE(c.committed("svc", "orders", 0)->offset, 2);
        // nor can it be deleted; once it has left it can, and then it is gone
        QCOMPARE(broker.deleteGroup("svc", error), Outcome::HasMembers);
        QCOMPARE(c.leave("svc", c.group("svc")->members.at(0).memberId, rivulet::Broker::nowMs()),
                 0);
        QCOMPARE(broker.deleteGroup("svc", error), Outcome::Done);
        QCOMPARE(broker.deleteGroup("svc", error), Outcome::UnknownGroup);
        QVERIFY2(error.contains(QLatin1String("no group svc")), qPrintable(error));
    }

    // The window's group snapshot decodes a consumer's assignment (Kafka's
    // ConsumerProtocolAssignment) into topics and partitions; other bytes are not read as one.
    void groupSnapshotsDecodeConsumerAssignments()
    {
        QByteArray bytes;
        rivulet::kafka::Writer out(bytes);
        out.i16(1).array(2);
        out.string("orders").array(3).i32(2).i32(0).i32(1);
        out.string("audit").array(1).i32(4);
        out.bytes(QByteArrayView("user data"));
        const auto decoded = GroupCoordinator::consumerAssignment(bytes);
        QVERIFY(decoded);
        QCOMPARE(decoded->size(), std::size_t(2));
        QCOMPARE(decoded->at(0).first, QByteArray("orders"));
        QCOMPARE(decoded->at(0).second, (std::vector<std::int32_t>{2, 0, 1}));
        QVERIFY(GroupCoordinator::consumerAssignment({})->empty()); // not assigned yet
        QVERIFY(!GroupCoordinator::consumerAssignment(bytes.left(9)));
        QVERIFY(!GroupCoordinator::consumerAssignment(QByteArray("\x00\x00\x7f\xff\xff\xff", 6)));

        // through the broker's snapshot: sorted by topic, partitions in order
        rivulet::Broker broker;
        GroupCoordinator &c = broker.groups();
        GroupCoordinator::JoinRequest request;
        request.groupId = "svc";
        request.clientId = "app-1";
        request.clientHost = QStringLiteral("10.1.2.3");
        request.protocolType = "consumer";
        request.protocols = {{"range", {}}};
        QByteArray memberId;
        std::int32_t generation = -1;
        c.join(request, rivulet::Broker::nowMs(), [&](const GroupCoordinator::JoinResult &r) {
            memberId = r.memberId;
            generation = r.generation;
        });
        c.tick(rivulet::Broker::nowMs() + 5000); // the first round's wait is over
        QVERIFY(!memberId.isEmpty());
        c.sync("svc", generation, memberId, {{memberId, bytes}}, rivulet::Broker::nowMs(),
               [](const GroupCoordinator::SyncResult &) {});
        QCOMPARE(c.commit("svc", generation, memberId, {{"orders", 1, 7, "meta"}},
                          rivulet::Broker::nowMs()),
                 0);
        const rivulet::BrokerSnapshot s = broker.snapshot();
        QCOMPARE(s.groups.size(), std::size_t(1));
        const rivulet::GroupSnapshot &g = s.groups[0];
        QCOMPARE(g.groupId, QByteArray("svc"));
        QCOMPARE(g.state, rivulet::GroupState::Stable);
        QCOMPARE(rivulet::groupStateName(g.state), QStringLiteral("Stable"));
        QCOMPARE(g.protocol, QStringLiteral("range"));
        QCOMPARE(g.leaderId, QString::fromUtf8(memberId));
        QCOMPARE(g.members.size(), std::size_t(1));
        const rivulet::GroupMemberSnapshot &m = g.members[0];
        QCOMPARE(m.clientId, QStringLiteral("app-1"));
        QCOMPARE(m.host, QStringLiteral("10.1.2.3"));
        QCOMPARE(m.label(), QStringLiteral("app-1 (10.1.2.3)"));
        QCOMPARE(m.assignment.size(), std::size_t(2));
        QCOMPARE(m.assignment[0].topic, QStringLiteral("audit"));
        QCOMPARE(m.assignment[1].partitions, (std::vector<int>{0, 1, 2}));
        QCOMPARE(g.owner(QStringLiteral("orders"), 1), &m);
        QVERIFY(!g.owner(QStringLiteral("orders"), 3));
        QCOMPARE(g.offsets.size(), std::size_t(1));
        QCOMPARE(g.offset(QStringLiteral("orders"), 1)->metadata, QStringLiteral("meta"));
        QVERIFY(!g.offset(QStringLiteral("orders"), 0));
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
