// Request byte sequences written here by hand, field by field, from Kafka's own message
// definitions (clients/src/main/resources/common/message/<Name>Request.json), never from our
// .api table, decode to the values they hold. Each is decoded twice: with an empty top-level
// tagged-field section, and with one unknown tagged field (tag 50) that must be skipped.
#include "kafka/wire.h"
#include "kafkabytes.h"
#include "kafkamessages.h"

#include <QTest>
#include <QUuid>

using namespace rivulet::kafka;

namespace {

// The top-level tagged-field section: none, or one unknown field (tag 50, two bytes).
void endTags(Out &b, bool tagged)
{
    if (tagged)
        b.uvarint(1).uvarint(50).uvarint(2).raw("xy");
    else
        b.uvarint(0);
}

const QByteArray kUuidBytes("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);

} // namespace

class TestKafkaHandBytes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void findCoordinatorV4()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.i8(1)         // key_type: transaction
                .uvarint(3) // coordinator_keys: two compact strings
                .compact("tx-a")
                .compact("tx-b");
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<FindCoordinatorRequest>(b.data(), 4, ok);
            QVERIFY(ok);
            QCOMPARE(int(r.keyType), 1);
            QCOMPARE(r.coordinatorKeys.size(), std::size_t(2));
            QCOMPARE(r.coordinatorKeys[0], QByteArray("tx-a"));
            QCOMPARE(r.coordinatorKeys[1], QByteArray("tx-b"));
        }
    }

    void syncGroupV5()
    {
        const QByteArray assignment("\x00\x01\x02", 3);
        for (bool tagged : {false, true}) {
            Out b;
            b.compact("g1")          // group_id
                .i32(7)              // generation_id
                .compact("m-1")      // member_id
                .compact("inst-1")   // group_instance_id (nullable)
                .compact("consumer") // protocol_type (nullable, v5+)
                .uvarint(0)          // protocol_name: null
                .uvarint(2)          // assignments: one
                .compact("m-1")
                .compact(assignment) // compact bytes
                .uvarint(0);         // assignment's tagged fields
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<SyncGroupRequest>(b.data(), 5, ok);
            QVERIFY(ok);
            QCOMPARE(r.groupId, QByteArray("g1"));
            QCOMPARE(r.generationId, 7);
            QCOMPARE(r.memberId, QByteArray("m-1"));
            QCOMPARE(r.groupInstanceId, std::optional<QByteArray>("inst-1"));
            QCOMPARE(r.protocolType, std::optional<QByteArray>("consumer"));
            QVERIFY(!r.protocolName);
            QCOMPARE(r.assignments.size(), std::size_t(1));
            QCOMPARE(r.assignments[0].memberId, QByteArray("m-1"));
            QCOMPARE(r.assignments[0].assignment, assignment);
        }
    }

    void leaveGroupV5()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.compact("g1")          // group_id
                .uvarint(3)          // members: two
                .compact("m-1")      // member_id
                .uvarint(0)          // group_instance_id: null
                .compact("shutdown") // reason (v5+)
                .uvarint(0)
                .compact("m-2")
                .compact("inst-2")
                .uvarint(0) // reason: null
                .uvarint(0);
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<LeaveGroupRequest>(b.data(), 5, ok);
            QVERIFY(ok);
            QCOMPARE(r.groupId, QByteArray("g1"));
            QCOMPARE(r.members.size(), std::size_t(2));
            QCOMPARE(r.members[0].memberId, QByteArray("m-1"));
            QVERIFY(!r.members[0].groupInstanceId);
            QCOMPARE(r.members[0].reason, std::optional<QByteArray>("shutdown"));
            QCOMPARE(r.members[1].memberId, QByteArray("m-2"));
            QCOMPARE(r.members[1].groupInstanceId, std::optional<QByteArray>("inst-2"));
            QVERIFY(!r.members[1].reason);
        }
    }

    void offsetCommitV9()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.compact("g1")     // group_id
                .i32(4)         // generation_id_or_member_epoch
                .compact("m-1") // member_id
                .uvarint(0)     // group_instance_id: null
                .uvarint(2)     // topics: one
                .compact("orders")
                .uvarint(3) // partitions: two
                .i32(0)
                .i64(100)      // committed_offset
                .i32(5)        // committed_leader_epoch
                .compact("md") // committed_metadata
                .uvarint(0)
                .i32(1)
                .i64(200)
                .i32(-1)
                .uvarint(0) // committed_metadata: null
                .uvarint(0)
                .uvarint(0); // topic's tagged fields
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<OffsetCommitRequest>(b.data(), 9, ok);
            QVERIFY(ok);
            QCOMPARE(r.groupId, QByteArray("g1"));
            QCOMPARE(r.generationIdOrMemberEpoch, 4);
            QCOMPARE(r.memberId, QByteArray("m-1"));
            QVERIFY(!r.groupInstanceId);
            QCOMPARE(r.topics.size(), std::size_t(1));
            QCOMPARE(r.topics[0].name, QByteArray("orders"));
            const auto &p = r.topics[0].partitions;
            QCOMPARE(p.size(), std::size_t(2));
            QCOMPARE(p[0].partitionIndex, 0);
            QCOMPARE(p[0].committedOffset, std::int64_t(100));
            QCOMPARE(p[0].committedLeaderEpoch, 5);
            QCOMPARE(p[0].committedMetadata, std::optional<QByteArray>("md"));
            QCOMPARE(p[1].partitionIndex, 1);
            QCOMPARE(p[1].committedOffset, std::int64_t(200));
            QCOMPARE(p[1].committedLeaderEpoch, -1);
            QVERIFY(!p[1].committedMetadata);
        }
    }

    void offsetFetchV8()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.uvarint(3)       // groups: two
                .compact("g1") // group_id
                .uvarint(2)    // topics: one
                .compact("orders")
                .uvarint(3) // partition_indexes: two int32
                .i32(0)
                .i32(3)
                .uvarint(0) // topic's tagged fields
                .uvarint(0) // group's tagged fields
                .compact("g2")
                .uvarint(0) // topics: null (all)
                .uvarint(0)
                .i8(1); // require_stable
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<OffsetFetchRequest>(b.data(), 8, ok);
            QVERIFY(ok);
            QCOMPARE(r.groups.size(), std::size_t(2));
            QCOMPARE(r.groups[0].groupId, QByteArray("g1"));
            QVERIFY(r.groups[0].topics);
            QCOMPARE(r.groups[0].topics->size(), std::size_t(1));
            QCOMPARE(r.groups[0].topics->front().name, QByteArray("orders"));
            QCOMPARE(r.groups[0].topics->front().partitionIndexes,
                     (std::vector<std::int32_t>{0, 3}));
            QCOMPARE(r.groups[1].groupId, QByteArray("g2"));
            QVERIFY(!r.groups[1].topics);
            QCOMPARE(r.requireStable, true);
        }
    }

    void listOffsetsV7()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.i32(-1)       // replica_id
                .i8(1)      // isolation_level
                .uvarint(2) // topics: one
                .compact("orders")
                .uvarint(2) // partitions: one
                .i32(2)     // partition_index
                .i32(9)     // current_leader_epoch
                .i64(-3)    // timestamp: max timestamp (KIP-734)
                .uvarint(0)
                .uvarint(0);
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<ListOffsetsRequest>(b.data(), 7, ok);
            QVERIFY(ok);
            QCOMPARE(r.replicaId, -1);
            QCOMPARE(int(r.isolationLevel), 1);
            QCOMPARE(r.topics.size(), std::size_t(1));
            QCOMPARE(r.topics[0].name, QByteArray("orders"));
            QCOMPARE(r.topics[0].partitions.size(), std::size_t(1));
            QCOMPARE(r.topics[0].partitions[0].partitionIndex, 2);
            QCOMPARE(r.topics[0].partitions[0].currentLeaderEpoch, 9);
            QCOMPARE(r.topics[0].partitions[0].timestamp, std::int64_t(-3));
        }
    }

    void createTopicsV7()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.uvarint(2) // topics: one
                .compact("orders")
                .i32(-1)    // num_partitions
                .i16(-1)    // replication_factor
                .uvarint(2) // assignments: one
                .i32(0)     // partition_index
                .uvarint(3) // broker_ids: two
                .i32(1)
                .i32(2)
                .uvarint(0)
                .uvarint(3) // configs: two
                .compact("cleanup.policy")
                .compact("compact")
                .uvarint(0)
                .compact("retention.ms")
                .uvarint(0) // value: null
                .uvarint(0)
                .uvarint(0) // topic's tagged fields
                .i32(30000) // timeout_ms
                .i8(1);     // validate_only
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<CreateTopicsRequest>(b.data(), 7, ok);
            QVERIFY(ok);
            QCOMPARE(r.topics.size(), std::size_t(1));
            const auto &t = r.topics[0];
            QCOMPARE(t.name, QByteArray("orders"));
            QCOMPARE(t.numPartitions, -1);
            QCOMPARE(int(t.replicationFactor), -1);
            QCOMPARE(t.assignments.size(), std::size_t(1));
            QCOMPARE(t.assignments[0].partitionIndex, 0);
            QCOMPARE(t.assignments[0].brokerIds, (std::vector<std::int32_t>{1, 2}));
            QCOMPARE(t.configs.size(), std::size_t(2));
            QCOMPARE(t.configs[0].name, QByteArray("cleanup.policy"));
            QCOMPARE(t.configs[0].value, std::optional<QByteArray>("compact"));
            QCOMPARE(t.configs[1].name, QByteArray("retention.ms"));
            QVERIFY(!t.configs[1].value);
            QCOMPARE(r.timeoutMs, 30000);
            QCOMPARE(r.validateOnly, true);
        }
    }

    void deleteTopicsV6()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.uvarint(3) // topics: two
                .compact("orders")
                .raw(QByteArray(16, '\0')) // topic_id: zero
                .uvarint(0)
                .uvarint(0) // name: null
                .raw(kUuidBytes)
                .uvarint(0)
                .i32(15000); // timeout_ms
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<DeleteTopicsRequest>(b.data(), 6, ok);
            QVERIFY(ok);
            QCOMPARE(r.topics.size(), std::size_t(2));
            QCOMPARE(r.topics[0].name, std::optional<QByteArray>("orders"));
            QVERIFY(r.topics[0].topicId.isNull());
            QVERIFY(!r.topics[1].name);
            QCOMPARE(r.topics[1].topicId, QUuid::fromRfc4122(kUuidBytes));
            QVERIFY(r.topicNames.empty());
            QCOMPARE(r.timeoutMs, 15000);
        }
    }

    void initProducerIdV4()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.compact("tx-1") // transactional_id (nullable)
                .i32(60000)   // transaction_timeout_ms
                .i64(1234)    // producer_id
                .i16(3);      // producer_epoch
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<InitProducerIdRequest>(b.data(), 4, ok);
            QVERIFY(ok);
            QCOMPARE(r.transactionalId, std::optional<QByteArray>("tx-1"));
            QCOMPARE(r.transactionTimeoutMs, 60000);
            QCOMPARE(r.producerId, std::int64_t(1234));
            QCOMPARE(int(r.producerEpoch), 3);
        }
        // idempotent producer: null transactional id
        bool ok = false;
        const auto r = decoded<InitProducerIdRequest>(
            Out().uvarint(0).i32(-1).i64(-1).i16(-1).uvarint(0).data(), 4, ok);
        QVERIFY(ok);
        QVERIFY(!r.transactionalId);
        QCOMPARE(r.producerId, std::int64_t(-1));
    }

    void addPartitionsToTxnV3()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.compact("tx-1") // v3_and_below_transactional_id
                .i64(77)      // v3_and_below_producer_id
                .i16(2)       // v3_and_below_producer_epoch
                .uvarint(2)   // v3_and_below_topics: one
                .compact("orders")
                .uvarint(3) // partitions: two int32
                .i32(0)
                .i32(4)
                .uvarint(0);
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<AddPartitionsToTxnRequest>(b.data(), 3, ok);
            QVERIFY(ok);
            QCOMPARE(r.v3AndBelowTransactionalId, QByteArray("tx-1"));
            QCOMPARE(r.v3AndBelowProducerId, std::int64_t(77));
            QCOMPARE(int(r.v3AndBelowProducerEpoch), 2);
            QCOMPARE(r.v3AndBelowTopics.size(), std::size_t(1));
            QCOMPARE(r.v3AndBelowTopics[0].name, QByteArray("orders"));
            QCOMPARE(r.v3AndBelowTopics[0].partitions, (std::vector<std::int32_t>{0, 4}));
            QVERIFY(r.transactions.empty());
        }
    }

    void endTxnV3()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.compact("tx-1").i64(77).i16(2).i8(1); // id, producer id, epoch, committed
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<EndTxnRequest>(b.data(), 3, ok);
            QVERIFY(ok);
            QCOMPARE(r.transactionalId, QByteArray("tx-1"));
            QCOMPARE(r.producerId, std::int64_t(77));
            QCOMPARE(int(r.producerEpoch), 2);
            QCOMPARE(r.committed, true);
        }
    }

    void txnOffsetCommitV3()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.compact("tx-1")   // transactional_id
                .compact("g1")  // group_id
                .i64(77)        // producer_id
                .i16(2)         // producer_epoch
                .i32(6)         // generation_id
                .compact("m-1") // member_id
                .uvarint(0)     // group_instance_id: null
                .uvarint(2)     // topics: one
                .compact("orders")
                .uvarint(2) // partitions: one
                .i32(1)
                .i64(500)        // committed_offset
                .i32(8)          // committed_leader_epoch
                .compact("meta") // committed_metadata
                .uvarint(0)
                .uvarint(0);
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<TxnOffsetCommitRequest>(b.data(), 3, ok);
            QVERIFY(ok);
            QCOMPARE(r.transactionalId, QByteArray("tx-1"));
            QCOMPARE(r.groupId, QByteArray("g1"));
            QCOMPARE(r.producerId, std::int64_t(77));
            QCOMPARE(int(r.producerEpoch), 2);
            QCOMPARE(r.generationId, 6);
            QCOMPARE(r.memberId, QByteArray("m-1"));
            QVERIFY(!r.groupInstanceId);
            QCOMPARE(r.topics.size(), std::size_t(1));
            QCOMPARE(r.topics[0].name, QByteArray("orders"));
            QCOMPARE(r.topics[0].partitions.size(), std::size_t(1));
            const auto &p = r.topics[0].partitions[0];
            QCOMPARE(p.partitionIndex, 1);
            QCOMPARE(p.committedOffset, std::int64_t(500));
            QCOMPARE(p.committedLeaderEpoch, 8);
            QCOMPARE(p.committedMetadata, std::optional<QByteArray>("meta"));
        }
    }

    void describeGroupsV5()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.uvarint(3).compact("g1").compact("g2").i8(1); // groups, include_authorized_operations
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<DescribeGroupsRequest>(b.data(), 5, ok);
            QVERIFY(ok);
            QCOMPARE(r.groups, (std::vector<QByteArray>{"g1", "g2"}));
            QCOMPARE(r.includeAuthorizedOperations, true);
        }
    }

    void listGroupsV5()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.uvarint(3) // states_filter: two
                .compact("Stable")
                .compact("Empty")
                .uvarint(2) // types_filter (v5+): one
                .compact("consumer");
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<ListGroupsRequest>(b.data(), 5, ok);
            QVERIFY(ok);
            QCOMPARE(r.statesFilter, (std::vector<QByteArray>{"Stable", "Empty"}));
            QCOMPARE(r.typesFilter, (std::vector<QByteArray>{"consumer"}));
        }
    }

    void describeConfigsV4()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.uvarint(3) // resources: two
                .i8(2)   // resource_type: topic
                .compact("orders")
                .uvarint(2) // configuration_keys: one
                .compact("retention.ms")
                .uvarint(0)
                .i8(4) // resource_type: broker
                .compact("1")
                .uvarint(0) // configuration_keys: null (all)
                .uvarint(0)
                .i8(1)  // include_synonyms
                .i8(0); // include_documentation
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<DescribeConfigsRequest>(b.data(), 4, ok);
            QVERIFY(ok);
            QCOMPARE(r.resources.size(), std::size_t(2));
            QCOMPARE(int(r.resources[0].resourceType), 2);
            QCOMPARE(r.resources[0].resourceName, QByteArray("orders"));
            QVERIFY(r.resources[0].configurationKeys);
            QCOMPARE(*r.resources[0].configurationKeys, (std::vector<QByteArray>{"retention.ms"}));
            QCOMPARE(int(r.resources[1].resourceType), 4);
            QCOMPARE(r.resources[1].resourceName, QByteArray("1"));
            QVERIFY(!r.resources[1].configurationKeys);
            QCOMPARE(r.includeSynonyms, true);
            QCOMPARE(r.includeDocumentation, false);
        }
    }

    void createPartitionsV3()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.uvarint(3) // topics: two
                .compact("orders")
                .i32(4)     // count
                .uvarint(2) // assignments: one
                .uvarint(3) // broker_ids: two
                .i32(1)
                .i32(2)
                .uvarint(0)
                .uvarint(0)
                .compact("events")
                .i32(8)
                .uvarint(0) // assignments: null
                .uvarint(0)
                .i32(5000) // timeout_ms
                .i8(1);    // validate_only
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<CreatePartitionsRequest>(b.data(), 3, ok);
            QVERIFY(ok);
            QCOMPARE(r.topics.size(), std::size_t(2));
            QCOMPARE(r.topics[0].name, QByteArray("orders"));
            QCOMPARE(r.topics[0].count, 4);
            QVERIFY(r.topics[0].assignments);
            QCOMPARE(r.topics[0].assignments->size(), std::size_t(1));
            QCOMPARE(r.topics[0].assignments->front().brokerIds, (std::vector<std::int32_t>{1, 2}));
            QCOMPARE(r.topics[1].name, QByteArray("events"));
            QCOMPARE(r.topics[1].count, 8);
            QVERIFY(!r.topics[1].assignments);
            QCOMPARE(r.timeoutMs, 5000);
            QCOMPARE(r.validateOnly, true);
        }
    }

    void deleteRecordsV2()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.uvarint(2) // topics: one
                .compact("orders")
                .uvarint(3) // partitions: two
                .i32(0)
                .i64(10) // offset
                .uvarint(0)
                .i32(1)
                .i64(-1) // offset: high watermark
                .uvarint(0)
                .uvarint(0)
                .i32(2000); // timeout_ms
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<DeleteRecordsRequest>(b.data(), 2, ok);
            QVERIFY(ok);
            QCOMPARE(r.topics.size(), std::size_t(1));
            QCOMPARE(r.topics[0].name, QByteArray("orders"));
            QCOMPARE(r.topics[0].partitions.size(), std::size_t(2));
            QCOMPARE(r.topics[0].partitions[0].partitionIndex, 0);
            QCOMPARE(r.topics[0].partitions[0].offset, std::int64_t(10));
            QCOMPARE(r.topics[0].partitions[1].partitionIndex, 1);
            QCOMPARE(r.topics[0].partitions[1].offset, std::int64_t(-1));
            QCOMPARE(r.timeoutMs, 2000);
        }
    }

    void describeClusterV1()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.i8(1)     // include_cluster_authorized_operations
                .i8(2); // endpoint_type (v1+): controllers
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<DescribeClusterRequest>(b.data(), 1, ok);
            QVERIFY(ok);
            QCOMPARE(r.includeClusterAuthorizedOperations, true);
            QCOMPARE(int(r.endpointType), 2);
        }
    }

    void offsetForLeaderEpochV4()
    {
        for (bool tagged : {false, true}) {
            Out b;
            b.i32(-1)       // replica_id (v3+)
                .uvarint(2) // topics: one
                .compact("orders")
                .uvarint(2) // partitions: one
                .i32(3)     // partition
                .i32(12)    // current_leader_epoch
                .i32(11)    // leader_epoch
                .uvarint(0)
                .uvarint(0);
            endTags(b, tagged);
            bool ok = false;
            const auto r = decoded<OffsetForLeaderEpochRequest>(b.data(), 4, ok);
            QVERIFY(ok);
            QCOMPARE(r.replicaId, -1);
            QCOMPARE(r.topics.size(), std::size_t(1));
            QCOMPARE(r.topics[0].topic, QByteArray("orders"));
            QCOMPARE(r.topics[0].partitions.size(), std::size_t(1));
            QCOMPARE(r.topics[0].partitions[0].partition, 3);
            QCOMPARE(r.topics[0].partitions[0].currentLeaderEpoch, 12);
            QCOMPARE(r.topics[0].partitions[0].leaderEpoch, 11);
        }
    }
};

QTEST_GUILESS_MAIN(TestKafkaHandBytes)
#include "tst_kafkahandbytes.moc"
