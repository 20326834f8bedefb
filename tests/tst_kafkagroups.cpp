// The broker's Kafka consumer groups: FindCoordinator, JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup, OffsetCommit and OffsetFetch (one member, a rebalance of two), and the group
// admin APIs ListGroups, DeleteGroups and DescribeGroups, against bytes written out by hand
// (support/kafkawire.h) over real sockets.

#include "support/kafkaclient.h"

#include <QElapsedTimer>
#include <QTest>

#include <climits>
#include <map>

using namespace rivulet;
using namespace rivulet::testing;

namespace {

// Heartbeat: group_id generation_id member_id -> (v1+ throttle_time_ms) error_code
std::optional<int> heartbeat(KafkaClient &c, int version, const QByteArray &group,
                             std::int32_t generation, const QByteArray &member)
{
    QByteArray body;
    if (!c.call(api::Heartbeat, std::int16_t(version),
                Out().str(group).i32(generation).str(member).data(), body))
        return std::nullopt;
    In in(body);
    if (version >= 1 && in.i32() != 0)
        return std::nullopt;
    const int error = in.i16();
    return in.atEnd() ? std::optional<int>(error) : std::nullopt;
}
// LeaveGroup: group_id member_id -> (v1+ throttle_time_ms) error_code
std::optional<int> leave(KafkaClient &c, int version, const QByteArray &group,
                         const QByteArray &member)
{
    QByteArray body;
    if (!c.call(api::LeaveGroup, std::int16_t(version), Out().str(group).str(member).data(), body))
        return std::nullopt;
    In in(body);
    if (version >= 1 && in.i32() != 0)
        return std::nullopt;
    const int error = in.i16();
    return in.atEnd() ? std::optional<int>(error) : std::nullopt;
}

// DescribeGroupsResponse v0-v4: (v1+ throttle_time_ms) [groups: error_code group_id
// group_state protocol_type protocol_data [members: member_id (v4+ group_instance_id)
// client_id client_host member_metadata member_assignment] (v3+ authorized_operations)]
struct DescribedMember
{
    QByteArray memberId;
    std::optional<QByteArray> instanceId;
    QByteArray clientId;
    QByteArray clientHost;
    QByteArray metadata;
    QByteArray assignment;
};
struct DescribedGroup
{
    int error = -1;
    QByteArray groupId;
    QByteArray state;
    QByteArray protocolType;
    QByteArray protocol;
    std::vector<DescribedMember> members;
    std::optional<std::int32_t> operations;
};
std::optional<std::vector<DescribedGroup>> parseDescribeGroups(int version, const QByteArray &body)
{
    In in(body);
    if (version >= 1 && in.i32() != 0)
        return std::nullopt;
    std::vector<DescribedGroup> groups;
    const std::int32_t n = in.count(2 + 2 + 2 + 2 + 2 + 4);
    for (std::int32_t i = 0; i < n && in.ok(); ++i) {
        DescribedGroup g;
        g.error = in.i16();
        g.groupId = in.str();
        g.state = in.str();
        g.protocolType = in.str();
        g.protocol = in.str();
        const std::int32_t members = in.count(2 + 2 + 2 + 4 + 4);
        for (std::int32_t m = 0; m < members && in.ok(); ++m) {
            DescribedMember dm;
            dm.memberId = in.str();
            if (version >= 4)
                dm.instanceId = in.nstr();
            dm.clientId = in.str();
            dm.clientHost = in.str();
            dm.metadata = in.nbytes().value_or("(null)");
            dm.assignment = in.nbytes().value_or("(null)");
            g.members.push_back(dm);
        }
        if (version >= 3)
            g.operations = in.i32();
        groups.push_back(g);
    }
    if (!in.atEnd())
        return std::nullopt;
    return groups;
}

} // namespace

class TestKafkaGroups : public QObject, public KafkaServerFixture
{
    Q_OBJECT

    // JoinGroup v0 + SyncGroup v0 for a one-member group: returns the member id once the
    // group is Stable (or, with sync false, while it is CompletingRebalance).
    QByteArray joinedMember(KafkaClient &c, const QByteArray &group, const QByteArray &metadata,
                            const QByteArray &assignment, bool sync = true)
    {
        QByteArray body;
        if (!c.call(api::JoinGroup, 0, joinBody(0, group, "", {{"range", metadata}}), body))
            return {};
        const auto j = parseJoin(0, body);
        if (!j || j->error != 0)
            return {};
        if (sync &&
            (!c.call(api::SyncGroup, 0,
                     syncBody(group, j->generation, j->memberId, {{j->memberId, assignment}}),
                     body) ||
             parseSync(0, body) != std::optional(std::make_pair(0, assignment))))
            return {};
        return j->memberId;
    }

private Q_SLOTS:
    void cleanup() { stop(); }

    // ---- FindCoordinator ----

    void findCoordinator_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 2; ++v)
            QTest::addRow("v%d", v) << v;
    }
    void findCoordinator()
    {
        QFETCH(int, version);
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        // v0: key (group id); v1+: key, key_type
        Out o;
        o.str("some-group");
        if (version >= 1)
            o.i8(0);
        QByteArray body;
        QVERIFY2(c.call(api::FindCoordinator, std::int16_t(version), o.data(), body),
                 qPrintable(c.error()));
        // v0: error_code node_id host port; v1+: throttle_time_ms error_code error_message
        // node_id host port
        In in(body);
        if (version >= 1)
            QCOMPARE(in.i32(), 0);
        QCOMPARE(int(in.i16()), err::None);
        if (version >= 1)
            QVERIFY(!in.nstr()); // null message: fine for no error
        QCOMPARE(in.i32(), kNodeId);
        QCOMPARE(in.str(), QByteArray("127.0.0.1"));
        QCOMPARE(in.i32(), std::int32_t(m_port));
        QVERIFY2(in.atEnd(), qPrintable(hex(body)));
    }

    // ---- consumer groups ----

    void consumerGroup_data()
    {
        QTest::addColumn<int>("joinVersion");
        QTest::addColumn<int>("otherVersion"); // SyncGroup, Heartbeat, LeaveGroup
        QTest::newRow("v0") << 0 << 0;
        QTest::newRow("join v1, others v1") << 1 << 1;
        QTest::newRow("join v2, others v1") << 2 << 1;
    }
    void consumerGroup()
    {
        QFETCH(int, joinVersion);
        QFETCH(int, otherVersion);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("gt", 2).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const QByteArray group = "group-" + QByteArray::number(joinVersion);
        // ConsumerProtocolSubscription v0: version [topics] user_data
        const QByteArray metadata = Out().i16(0).i32(1).str("gt").i32(-1).data();

        // a new group answers after the initial delay (100 ms here), generation 1, leader us
        QElapsedTimer clock;
        clock.start();
        QByteArray request = joinBody(joinVersion, group, "", {{"range", metadata}});
        QByteArray body;
        QVERIFY2(c.call(api::JoinGroup, std::int16_t(joinVersion), request, body),
                 qPrintable(c.error()));
        const qint64 elapsed = clock.elapsed();
        const auto j = parseJoin(joinVersion, body);
        QVERIFY2(j, describe(request, body).constData());
        QVERIFY2(elapsed >= 90 && elapsed < 2500,
                 qPrintable(QStringLiteral("JoinGroup answered after %1 ms").arg(elapsed)));
        QCOMPARE(j->error, err::None);
        QCOMPARE(j->generation, 1);
        QCOMPARE(j->protocol, QByteArray("range"));
        QVERIFY(!j->memberId.isEmpty());
        QCOMPARE(j->leader, j->memberId);
        QCOMPARE(int(j->members.size()), 1);
        QCOMPARE(j->members[0].first, j->memberId);
        QCOMPARE(j->members[0].second, metadata);
        const QByteArray member = j->memberId;

        // the leader's assignment comes back to it
        // ConsumerProtocolAssignment v0: version [topic [partitions]] user_data
        const QByteArray assignment =
            Out().i16(0).i32(1).str("gt").i32(2).i32(0).i32(1).i32(-1).data();
        request = syncBody(group, 1, member, {{member, assignment}});
        QVERIFY2(c.call(api::SyncGroup, std::int16_t(otherVersion), request, body),
                 qPrintable(c.error()));
        const auto s = parseSync(otherVersion, body);
        QVERIFY2(s, describe(request, body).constData());
        QCOMPARE(s->first, err::None);
        QCOMPARE(s->second, assignment);

        // heartbeats in both versions
        QCOMPARE(heartbeat(c, 0, group, 1, member), std::optional<int>(err::None));
        QCOMPARE(heartbeat(c, 1, group, 1, member), std::optional<int>(err::None));
        QCOMPARE(heartbeat(c, otherVersion, group, 2, member),
                 std::optional<int>(err::IllegalGeneration));
        QCOMPARE(heartbeat(c, otherVersion, group, 1, "somebody-else"),
                 std::optional<int>(err::UnknownMemberId));
        QCOMPARE(heartbeat(c, otherVersion, "no-such-group", 1, member),
                 std::optional<int>(err::UnknownMemberId));

        // OffsetCommit v2: group_id generation_id member_id retention_time_ms
        // [topics: name [partitions: partition_index committed_offset committed_metadata]]
        request = Out()
                      .str(group)
                      .i32(1)
                      .str(member)
                      .i64(-1)
                      .i32(1)
                      .str("gt")
                      .i32(2)
                      .i32(0)
                      .i64(42)
                      .str("meta-0")
                      .i32(1)
                      .i64(7)
                      .nullStr()
                      .data();
        QVERIFY2(c.call(api::OffsetCommit, 2, request, body), qPrintable(c.error()));
        // OffsetCommit v2 response (no throttle): [topics: name [partition_index error_code]]
        QCOMPARE(body, Out().i32(1).str("gt").i32(2).i32(0).i16(0).i32(1).i16(0).data());

        // OffsetFetch v1: group_id [topics: name [partition_index]]
        request = Out().str(group).i32(1).str("gt").i32(3).i32(0).i32(1).i32(5).data();
        QVERIFY2(c.call(api::OffsetFetch, 1, request, body), qPrintable(c.error()));
        // response: [topics: name [partition_index committed_offset metadata error_code]]
        {
            In in(body);
            const QByteArray why = describe(request, body);
            QVERIFY2(in.count() == 1 && in.str() == "gt" && in.count() == 3, why.constData());
            QVERIFY2(in.i32() == 0 && in.i64() == 42 && in.nstr() == QByteArray("meta-0") &&
                         in.i16() == 0,
                     why.constData());
            QVERIFY2(in.i32() == 1 && in.i64() == 7, why.constData());
            const auto nullMeta = in.nstr(); // committed with null metadata: null or ""
            QVERIFY2(!nullMeta || nullMeta->isEmpty(), why.constData());
            QVERIFY2(in.i16() == 0, why.constData());
            // never committed: offset -1, no metadata, no error
            QVERIFY2(in.i32() == 5 && in.i64() == -1, why.constData());
            const auto noMeta = in.nstr();
            QVERIFY2(!noMeta || noMeta->isEmpty(), why.constData());
            QVERIFY2(in.i16() == 0, why.constData());
            QVERIFY2(in.atEnd(), why.constData());
        }

        // a commit with the wrong generation is refused, and changes nothing
        request = Out()
                      .str(group)
                      .i32(5)
                      .str(member)
                      .i64(-1)
                      .i32(1)
                      .str("gt")
                      .i32(1)
                      .i32(0)
                      .i64(99)
                      .str("x")
                      .data();
        QVERIFY2(c.call(api::OffsetCommit, 2, request, body), qPrintable(c.error()));
        QCOMPARE(body, Out().i32(1).str("gt").i32(1).i32(0).i16(err::IllegalGeneration).data());

        // LeaveGroup, after which the member is unknown
        QCOMPARE(leave(c, otherVersion, group, member), std::optional<int>(err::None));
        QCOMPARE(heartbeat(c, otherVersion, group, 1, member),
                 std::optional<int>(err::UnknownMemberId));
        QCOMPARE(leave(c, otherVersion, group, member), std::optional<int>(err::UnknownMemberId));

        // the group is empty now: a manual-assign commit (generation -1, member "") works
        request = Out()
                      .str(group)
                      .i32(-1)
                      .str("")
                      .i64(-1)
                      .i32(1)
                      .str("gt")
                      .i32(1)
                      .i32(1)
                      .i64(11)
                      .str("manual")
                      .data();
        QVERIFY2(c.call(api::OffsetCommit, 2, request, body), qPrintable(c.error()));
        QCOMPARE(body, Out().i32(1).str("gt").i32(1).i32(1).i16(0).data());
        request = Out().str(group).i32(1).str("gt").i32(1).i32(1).data();
        QVERIFY2(c.call(api::OffsetFetch, 1, request, body), qPrintable(c.error()));
        QCOMPARE(body, Out().i32(1).str("gt").i32(1).i32(1).i64(11).str("manual").i16(0).data());
    }

    void joinGroupErrors()
    {
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        // empty group id: 24
        QByteArray request = joinBody(0, "", "", {{"range", "m"}});
        QVERIFY2(c.call(api::JoinGroup, 0, request, body), qPrintable(c.error()));
        auto j = parseJoin(0, body);
        QVERIFY2(j, describe(request, body).constData());
        QCOMPARE(j->error, err::InvalidGroupId);
        QCOMPARE(int(j->members.size()), 0);
        // an unknown, non-empty member id: 25
        request = joinBody(0, "g-unknown", "made-up-member", {{"range", "m"}});
        QVERIFY2(c.call(api::JoinGroup, 0, request, body), qPrintable(c.error()));
        j = parseJoin(0, body);
        QVERIFY2(j, describe(request, body).constData());
        QCOMPARE(j->error, err::UnknownMemberId);
        // SyncGroup for an unknown member: 25
        request = syncBody("g-unknown", 1, "made-up-member", {});
        QVERIFY2(c.call(api::SyncGroup, 0, request, body), qPrintable(c.error()));
        const auto s = parseSync(0, body);
        QVERIFY2(s, describe(request, body).constData());
        QCOMPARE(s->first, err::UnknownMemberId);
        QCOMPARE(s->second, QByteArray());
    }

    // A pending JoinGroup holds back the answers to the requests behind it.
    void joinGroupHoldsBackLaterAnswers()
    {
        QVERIFY(start());
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const std::int32_t joinId = 900, versionsId = 901;
        c.send(requestFrame(api::JoinGroup, 0, joinId, joinBody(0, "held", "", {{"range", "m"}})) +
               requestFrame(api::ApiVersions, 0, versionsId, {}));
        QByteArray body;
        QVERIFY2(c.readResponse(joinId, body), qPrintable(c.error()));
        const auto j = parseJoin(0, body);
        QVERIFY2(j && j->error == 0 && j->generation == 1, qPrintable(hex(body)));
        QVERIFY2(c.readResponse(versionsId, body), qPrintable(c.error()));
        QVERIFY2(parseApiVersions(body, false), qPrintable(hex(body)));
    }

    // Two members: the second join starts a rebalance (the first learns of it from a
    // heartbeat: 27), the protocol is the one both support, the follower's SyncGroup waits
    // for the leader's assignments.
    void consumerGroupRebalance()
    {
        QVERIFY(start());
        KafkaClient a, b;
        QVERIFY2(a.connectTo(m_port), qPrintable(a.error()));
        QVERIFY2(b.connectTo(m_port), qPrintable(b.error()));
        QByteArray body;
        const QByteArray group = "pair";
        QVERIFY2(a.call(api::JoinGroup, 0,
                        joinBody(0, group, "", {{"range", "ra"}, {"RoundRobinAssigner", "rr-a"}}),
                        body),
                 qPrintable(a.error()));
        auto ja = parseJoin(0, body);
        QVERIFY2(ja && ja->error == 0 && ja->generation == 1, qPrintable(hex(body)));
        QCOMPARE(ja->protocol, QByteArray("range"));
        const QByteArray memberA = ja->memberId;
        QVERIFY2(a.call(api::SyncGroup, 0, syncBody(group, 1, memberA, {{memberA, "all"}}), body),
                 qPrintable(a.error()));
        QCOMPARE(parseSync(0, body), std::optional(std::make_pair(0, QByteArray("all"))));

        // b joins, offering only RoundRobinAssigner: held until a rejoins
        const std::int32_t joinB = b.sendRequest(
            api::JoinGroup, 0, joinBody(0, group, "", {{"RoundRobinAssigner", "rr-b"}}));
        QVERIFY2(b.staysQuiet(150), qPrintable(b.error()));
        QCOMPARE(heartbeat(a, 0, group, 1, memberA), std::optional<int>(err::RebalanceInProgress));
        QVERIFY2(
            a.call(api::JoinGroup, 0,
                   joinBody(0, group, memberA, {{"range", "ra"}, {"RoundRobinAssigner", "rr-a"}}),
                   body),
            qPrintable(a.error()));
        ja = parseJoin(0, body);
        QVERIFY2(ja, qPrintable(hex(body)));
        QCOMPARE(ja->error, err::None);
        QCOMPARE(ja->generation, 2);
        QCOMPARE(ja->protocol, QByteArray("RoundRobinAssigner"));
        QCOMPARE(ja->leader, memberA);
        QCOMPARE(int(ja->members.size()), 2);
        QVERIFY2(b.readResponse(joinB, body), qPrintable(b.error()));
        const auto jb = parseJoin(0, body);
        QVERIFY2(jb, qPrintable(hex(body)));
        QCOMPARE(jb->error, err::None);
        QCOMPARE(jb->generation, 2);
        QCOMPARE(jb->protocol, QByteArray("RoundRobinAssigner"));
        QCOMPARE(jb->leader, memberA);
        QVERIFY(jb->members.empty()); // only the leader gets the member list
        const QByteArray memberB = jb->memberId;
        std::map<QByteArray, QByteArray> seen(ja->members.begin(), ja->members.end());
        QCOMPARE(seen[memberA], QByteArray("rr-a"));
        QCOMPARE(seen[memberB], QByteArray("rr-b"));

        // the follower's SyncGroup waits for the leader's
        const std::int32_t syncB =
            b.sendRequest(api::SyncGroup, 0, syncBody(group, 2, memberB, {}));
        QVERIFY2(b.staysQuiet(150), qPrintable(b.error()));
        QVERIFY2(a.call(api::SyncGroup, 0,
                        syncBody(group, 2, memberA, {{memberA, "for-a"}, {memberB, "for-b"}}),
                        body),
                 qPrintable(a.error()));
        QCOMPARE(parseSync(0, body), std::optional(std::make_pair(0, QByteArray("for-a"))));
        QVERIFY2(b.readResponse(syncB, body), qPrintable(b.error()));
        QCOMPARE(parseSync(0, body), std::optional(std::make_pair(0, QByteArray("for-b"))));
        QCOMPARE(heartbeat(a, 0, group, 2, memberA), std::optional<int>(err::None));
        QCOMPARE(heartbeat(b, 0, group, 2, memberB), std::optional<int>(err::None));
    }

    // ListGroups v0-v2: (v1+ throttle_time_ms) error_code [groups: group_id protocol_type].
    // A consumer group and a group that only has committed offsets (protocol type "").
    void listGroups_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 0; v <= 2; ++v)
            QTest::newRow(qPrintable(QStringLiteral("v%1").arg(v))) << v;
    }
    void listGroups()
    {
        QFETCH(int, version);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("lg", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        QVERIFY2(c.call(api::ListGroups, std::int16_t(version), {}, body), qPrintable(c.error()));
        QCOMPARE(body,
                 version >= 1 ? Out().i32(0).i16(0).i32(0).data() : Out().i16(0).i32(0).data());

        QVERIFY2(!joinedMember(c, "lg-consumers", "meta", "assignment").isEmpty(),
                 qPrintable(c.error()));
        // OffsetCommit v2 with generation -1: a group without members
        const QByteArray commit = Out()
                                      .str("lg-manual")
                                      .i32(-1)
                                      .str("")
                                      .i64(-1)
                                      .i32(1)
                                      .str("lg")
                                      .i32(1)
                                      .i32(0)
                                      .i64(5)
                                      .nullStr()
                                      .data();
        QVERIFY2(c.call(api::OffsetCommit, 2, commit, body), qPrintable(c.error()));

        QVERIFY2(c.call(api::ListGroups, std::int16_t(version), {}, body), qPrintable(c.error()));
        In in(body);
        if (version >= 1)
            QCOMPARE(in.i32(), 0);
        QCOMPARE(in.i16(), std::int16_t(0));
        std::map<QByteArray, QByteArray> groups;
        const std::int32_t n = in.count(4);
        for (std::int32_t i = 0; i < n && in.ok(); ++i) {
            const QByteArray id = in.str();
            groups[id] = in.str();
        }
        QVERIFY2(in.atEnd(), qPrintable(hex(body)));
        const std::map<QByteArray, QByteArray> expected = {{"lg-consumers", "consumer"},
                                                           {"lg-manual", ""}};
        QVERIFY2(groups == expected, qPrintable(hex(body)));
    }

    void deleteGroups_data()
    {
        QTest::addColumn<int>("version");
        QTest::newRow("v0") << 0;
        QTest::newRow("v1") << 1;
    }
    void deleteGroups()
    {
        // DeleteGroups v0-v1: [groups_names] -> throttle_time_ms [group_id error_code]
        QFETCH(int, version);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("dg", 1).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        QByteArray body;
        // a group with a member, and one with only a commit (no members)
        QVERIFY2(!joinedMember(c, "dg-busy", "meta", "assignment").isEmpty(),
                 qPrintable(c.error()));
        const QByteArray commit = Out()
                                      .str("dg-idle")
                                      .i32(-1)
                                      .str("")
                                      .i64(-1)
                                      .i32(1)
                                      .str("dg")
                                      .i32(1)
                                      .i32(0)
                                      .i64(3)
                                      .nullStr()
                                      .data();
        QVERIFY2(c.call(api::OffsetCommit, 2, commit, body), qPrintable(c.error()));
        QCOMPARE(m_broker->groups().committed("dg-idle", "dg", 0)->offset, 3);

        // a name given twice is answered once
        const QByteArray request = Out()
                                       .i32(5)
                                       .str("dg-idle")
                                       .str("dg-busy")
                                       .str("dg-idle")
                                       .str("dg-nobody")
                                       .str("")
                                       .data();
        QVERIFY2(c.call(api::DeleteGroups, std::int16_t(version), request, body),
                 qPrintable(c.error()));
        QCOMPARE(hex(body), hex(Out()
                                    .i32(0) // throttle_time_ms
                                    .i32(4)
                                    .str("dg-idle")
                                    .i16(0)
                                    .str("dg-busy")
                                    .i16(68) // NON_EMPTY_GROUP
                                    .str("dg-nobody")
                                    .i16(69) // GROUP_ID_NOT_FOUND
                                    .str("")
                                    .i16(err::InvalidGroupId)
                                    .data()));
        // the deleted group's commit is gone; the busy one is still listed
        QVERIFY(!m_broker->groups().committed("dg-idle", "dg", 0));
        QVERIFY(m_broker->groups().group("dg-busy"));
        QVERIFY(!m_broker->groups().group("dg-idle"));
    }

    // DescribeGroups v0-v4. A Stable group shows its protocol, each member's metadata for
    // that protocol and its assignment; during a rebalance those are empty (as in Kafka); a
    // group nobody knows is "Dead" with error 0 and no members.
    void describeGroups_data()
    {
        QTest::addColumn<int>("version");
        QTest::addColumn<bool>("askOperations");
        for (int v = 0; v <= 4; ++v)
            QTest::newRow(qPrintable(QStringLiteral("v%1").arg(v))) << v << false;
        QTest::newRow("v3 with operations") << 3 << true;
        QTest::newRow("v4 with operations") << 4 << true;
    }
    void describeGroups()
    {
        QFETCH(int, version);
        QFETCH(bool, askOperations);
        QVERIFY(start());
        QVERIFY(m_broker->createTopic("dg", 2).topic);
        KafkaClient c;
        QVERIFY2(c.connectTo(m_port), qPrintable(c.error()));
        const QByteArray metadata = Out().i16(0).i32(1).str("dg").i32(-1).data();
        const QByteArray assignment =
            Out().i16(0).i32(1).str("dg").i32(2).i32(0).i32(1).i32(-1).data();
        auto request = [&](const std::vector<QByteArray> &groups) {
            Out o;
            o.i32(std::int32_t(groups.size()));
            for (const QByteArray &g : groups)
                o.str(g);
            if (version >= 3)
                o.boolean(askOperations); // include_authorized_operations
            return o.data();
        };
        const std::int32_t operations = !askOperations ? INT_MIN : (1 << 3) | (1 << 6) | (1 << 8);
        auto checkMember = [&](const DescribedMember &m, const QByteArray &id, bool stable) {
            QCOMPARE(m.memberId, id);
            QCOMPARE(m.instanceId, std::optional<QByteArray>()); // v4: null; before: absent
            QCOMPARE(m.clientId, kClientId);
            QCOMPARE(m.clientHost, QByteArray("127.0.0.1"));
            QCOMPARE(m.metadata, stable ? metadata : QByteArray());
            QCOMPARE(m.assignment, stable ? assignment : QByteArray());
        };

        // joined, not yet synced
        const QByteArray member = joinedMember(c, "dg-group", metadata, assignment, false);
        QVERIFY2(!member.isEmpty(), qPrintable(c.error()));
        QByteArray body;
        QByteArray req = request({"dg-group"});
        QVERIFY2(c.call(api::DescribeGroups, std::int16_t(version), req, body),
                 qPrintable(c.error()));
        auto groups = parseDescribeGroups(version, body);
        QVERIFY2(groups && groups->size() == 1, describe(req, body).constData());
        QCOMPARE(groups->at(0).error, 0);
        QCOMPARE(groups->at(0).groupId, QByteArray("dg-group"));
        QCOMPARE(groups->at(0).state, QByteArray("CompletingRebalance"));
        QCOMPARE(groups->at(0).protocolType, QByteArray("consumer"));
        QCOMPARE(groups->at(0).protocol, QByteArray());
        QCOMPARE(int(groups->at(0).members.size()), 1);
        checkMember(groups->at(0).members[0], member, false);

        // synced: Stable
        QVERIFY2(c.call(api::SyncGroup, 0, syncBody("dg-group", 1, member, {{member, assignment}}),
                        body),
                 qPrintable(c.error()));
        req = request({"dg-group", "dg-unknown"});
        QVERIFY2(c.call(api::DescribeGroups, std::int16_t(version), req, body),
                 qPrintable(c.error()));
        groups = parseDescribeGroups(version, body);
        QVERIFY2(groups && groups->size() == 2, describe(req, body).constData());
        const DescribedGroup &g = groups->at(0);
        QCOMPARE(g.error, 0);
        QCOMPARE(g.groupId, QByteArray("dg-group"));
        QCOMPARE(g.state, QByteArray("Stable"));
        QCOMPARE(g.protocolType, QByteArray("consumer"));
        QCOMPARE(g.protocol, QByteArray("range"));
        QCOMPARE(int(g.members.size()), 1);
        checkMember(g.members[0], member, true);
        QCOMPARE(g.operations, version >= 3 ? std::optional(operations) : std::nullopt);
        const DescribedGroup &dead = groups->at(1);
        QCOMPARE(dead.error, 0);
        QCOMPARE(dead.groupId, QByteArray("dg-unknown"));
        QCOMPARE(dead.state, QByteArray("Dead"));
        QCOMPARE(dead.protocolType, QByteArray());
        QCOMPARE(dead.protocol, QByteArray());
        QCOMPARE(int(dead.members.size()), 0);
        QCOMPARE(dead.operations, version >= 3 ? std::optional(operations) : std::nullopt);

        // after LeaveGroup: Empty, no members
        QCOMPARE(leave(c, 0, "dg-group", member), std::optional<int>(err::None));
        req = request({"dg-group"});
        QVERIFY2(c.call(api::DescribeGroups, std::int16_t(version), req, body),
                 qPrintable(c.error()));
        groups = parseDescribeGroups(version, body);
        QVERIFY2(groups && groups->size() == 1, describe(req, body).constData());
        QCOMPARE(groups->at(0).state, QByteArray("Empty"));
        QCOMPARE(int(groups->at(0).members.size()), 0);
    }
};

QTEST_GUILESS_MAIN(TestKafkaGroups)
#include "tst_kafkagroups.moc"
