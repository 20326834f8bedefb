#!/usr/bin/env python3
"""The cluster admin APIs on a real Rivulet broker, answered as a one-broker Kafka cluster
without an authorizer or quotas answers them (PROTOCOL.md §15.24-§15.31): DescribeAcls,
CreateAcls and DeleteAcls (54 SECURITY_DISABLED), DescribeClientQuotas (nothing),
ElectLeaders (84 ELECTION_NOT_NEEDED), AlterPartitionReassignments (only [this broker]),
ListPartitionReassignments (nothing) and DescribeLogDirs (the data directory and each
partition's size in bytes).

kafka-python 2.0.2's KafkaAdminClient drives the ACL APIs (v1, the newest it knows).
confluent-kafka 1.7.0's AdminClient has none of these APIs (ACLs came in 1.9), nor has
kafka-python any other, so every version of every API is also sent as raw bytes by the small
encoder of kafka_wire.py, which reads each answer to its last byte.

Usage: test_cluster_admin.py PATH/TO/rivulet [PATH/TO/rivulet-cli]
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Broker, TempDir  # noqa: E402
from kafka_wire import (  # noqa: E402
    ALTER_PARTITION_REASSIGNMENTS, API_VERSIONS, CREATE_ACLS, DELETE_ACLS, DESCRIBE_ACLS,
    DESCRIBE_CLIENT_QUOTAS, DESCRIBE_LOG_DIRS, ELECT_LEADERS, LIST_PARTITION_REASSIGNMENTS, R, W,
    Connection, body, fetch)

from confluent_kafka.admin import AdminClient  # noqa: E402
from kafka import KafkaAdminClient, KafkaProducer  # noqa: E402
from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType,  # noqa: E402
                         ACLResourcePatternType, NewTopic, ResourcePattern,
                         ResourcePatternFilter, ResourceType)
from kafka.errors import SecurityDisabledError  # noqa: E402

TIMEOUT = 10.0
TIMEOUT_MS = int(TIMEOUT * 1000)

# the ranges Rivulet advertises for the APIs (Kafka 3.9's)
RANGES = {DESCRIBE_ACLS: (0, 3), CREATE_ACLS: (0, 3), DELETE_ACLS: (0, 3),
          DESCRIBE_LOG_DIRS: (0, 4), ELECT_LEADERS: (0, 2), ALTER_PARTITION_REASSIGNMENTS: (0, 0),
          LIST_PARTITION_REASSIGNMENTS: (0, 0), DESCRIBE_CLIENT_QUOTAS: (0, 1)}

NO_AUTHORIZER_ON_BROKER = "No Authorizer is configured on the broker"  # DescribeAcls
NO_AUTHORIZER = "No Authorizer is configured."  # CreateAcls, DeleteAcls
NOT_NEEDED = "Leader election not needed for topic partition."
NO_REASSIGNMENT = "No partition reassignment is in progress."


# -- the APIs' layouts ----------------------------------------------------------------------------
def acl_filter(w, version, resource_type=2, name=None, principal=None, host=None,
               operation=1, permission=1):
    """An ACL filter (DescribeAcls' request, DeleteAcls' filters): ANY operation and
    permission by default."""
    w.i8(resource_type).string(name)
    if version >= 1:
        w.i8(3)  # pattern type LITERAL (v0 is always literal)
    w.string(principal).string(host).i8(operation).i8(permission)


def read_acls_description(r):
    return r.fields(R.string, R.string, R.i8, R.i8)  # principal, host, operation, permission


def read_describe_acls(r, version):
    throttle, error, message = r.i32(), r.i16(), r.string()

    def resource(r):
        out = [r.i8(), r.string()]
        if version >= 1:
            out.append(r.i8())
        out.append(r.array(read_acls_description))
        r.tags()
        return out
    resources = r.array(resource)
    r.tags()
    r.end()
    return throttle, error, message, resources


def read_partition_errors(r):
    """[partition, error_code, error_message]: ElectLeaders', AlterPartitionReassignments'."""
    return r.fields(R.i32, R.i16, R.string)


def read_topic_partition_errors(r):
    return r.fields(R.string, lambda r: r.array(read_partition_errors))


class ClusterAdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.memory = Broker().start()
        cls.data = TempDir()
        cls.durable = Broker(data_dir=cls.data.path).start()
        cls.kp_admin = KafkaAdminClient(bootstrap_servers=cls.memory.bootstrap,
                                        request_timeout_ms=TIMEOUT_MS)
        # confluent-kafka reads the ranges (ApiVersions) with the new keys and goes on
        brokers = AdminClient({"bootstrap.servers": cls.memory.bootstrap}).list_topics(
            timeout=TIMEOUT).brokers
        assert len(brokers) == 1, brokers
        cls.node_id = next(iter(brokers))

    @classmethod
    def tearDownClass(cls):
        cls.kp_admin.close()
        problems = []
        for broker in (cls.memory, cls.durable):
            rc = broker.stop()
            if rc != 0:
                problems.append(f"rivulet exited with {rc} on SIGTERM:\n{broker.log_tail()}")
        if problems:
            raise AssertionError("\n".join(problems))

    def connect(self, broker=None):
        broker = broker or self.memory
        c = Connection(broker.kafka_host, broker.kafka_port, "cluster-admin")
        self.addCleanup(c.close)
        return c

    def create_topic(self, broker, name, partitions):
        admin = self.kp_admin if broker is self.memory else KafkaAdminClient(
            bootstrap_servers=broker.bootstrap, request_timeout_ms=TIMEOUT_MS)
        try:
            response = admin.create_topics([NewTopic(name, partitions, 1)], timeout_ms=TIMEOUT_MS)
            self.assertEqual([(t, e) for t, e, *_ in response.topic_errors], [(name, 0)])
        finally:
            if admin is not self.kp_admin:
                admin.close()

    def produce(self, broker, topic, partition, count, size=10):
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap, max_block_ms=TIMEOUT_MS,
                                 linger_ms=0)
        try:
            for i in range(count):
                producer.send(topic, (f"{i}:" + "x" * size).encode(), partition=partition)
                producer.flush(TIMEOUT)  # one batch per record: several batches per partition
        finally:
            producer.close(TIMEOUT)

    # -- ApiVersions ------------------------------------------------------------------------------
    def test_versions_advertised(self):
        r = self.connect().call(API_VERSIONS, 0, W(False))
        error = r.i16()

        def key_range(r):
            return r.i16(), (r.i16(), r.i16())
        ranges = dict(r.array(key_range))
        r.end()
        self.assertEqual(error, 0)
        self.assertEqual({k: ranges.get(k) for k in RANGES}, RANGES)
        # kafka-python 2.0.2 takes DescribeAcls v2 for a sign of Kafka 2.5
        self.assertEqual(self.kp_admin._client.check_version(), (2, 5, 0))

    # -- ACLs -------------------------------------------------------------------------------------
    def test_kafka_python_acls_security_disabled(self):
        topic_filter = ACLFilter(principal=None, host=None, operation=ACLOperation.ANY,
                                 permission_type=ACLPermissionType.ANY,
                                 resource_pattern=ResourcePatternFilter(
                                     ResourceType.TOPIC, None, ACLResourcePatternType.ANY))
        with self.assertRaises(SecurityDisabledError):
            self.kp_admin.describe_acls(topic_filter)

        acls = [ACL(principal="User:alice", host="*", operation=ACLOperation.READ,
                    permission_type=ACLPermissionType.ALLOW,
                    resource_pattern=ResourcePattern(ResourceType.TOPIC, name,
                                                     ACLResourcePatternType.LITERAL))
                for name in ("orders", "payments")]
        created = self.kp_admin.create_acls(acls)
        self.assertEqual(created["succeeded"], [])
        self.assertEqual(created["failed"], [(acl, SecurityDisabledError) for acl in acls])

        deleted = self.kp_admin.delete_acls([topic_filter])
        self.assertEqual(deleted, [(topic_filter, [], SecurityDisabledError)])

    def test_describe_acls_every_version(self):
        c = self.connect()
        for version in range(0, 4):
            with self.subTest(version=version):
                w = body(DESCRIBE_ACLS, version)
                acl_filter(w, version, name="orders", principal="User:alice", host="*")
                w.tags()
                self.assertEqual(read_describe_acls(c.call(DESCRIBE_ACLS, version, w), version),
                                 (0, 54, NO_AUTHORIZER_ON_BROKER, []))

    def test_create_acls_every_version(self):
        c = self.connect()
        for version in range(0, 4):
            with self.subTest(version=version):
                def creation(w, name):
                    w.i8(2).string(name)  # TOPIC
                    if version >= 1:
                        w.i8(3)  # LITERAL
                    w.string("User:alice").string("*").i8(3).i8(3).tags()  # READ, ALLOW
                w = body(CREATE_ACLS, version).array(["a", "b", "c"], creation).tags()
                r = c.call(CREATE_ACLS, version, w)
                throttle = r.i32()

                def result(r):
                    return r.fields(R.i16, R.string)
                results = r.array(result)
                r.tags()
                r.end()
                self.assertEqual(throttle, 0)
                self.assertEqual(results, [(54, NO_AUTHORIZER)] * 3)
                # no creations, no results
                r = c.call(CREATE_ACLS, version, body(CREATE_ACLS, version).array([], None).tags())
                self.assertEqual((r.i32(), r.array(result)), (0, []))

    def test_delete_acls_every_version(self):
        c = self.connect()
        for version in range(0, 4):
            with self.subTest(version=version):
                def each(w, name):
                    acl_filter(w, version, name=name)
                    w.tags()
                w = body(DELETE_ACLS, version).array(["orders", None], each).tags()
                r = c.call(DELETE_ACLS, version, w)
                throttle = r.i32()

                def filter_result(r):
                    return r.fields(R.i16, R.string,
                                    lambda r: r.array(lambda r: self.fail("a matching ACL")))
                results = r.array(filter_result)
                r.tags()
                r.end()
                self.assertEqual(throttle, 0)
                self.assertEqual(results, [(54, NO_AUTHORIZER, [])] * 2)

    # -- DescribeClientQuotas ---------------------------------------------------------------------
    def describe_quotas(self, c, version, components, strict=False):
        def component(w, comp):
            entity_type, match_type, match = comp
            w.string(entity_type).i8(match_type).string(match).tags()
        w = body(DESCRIBE_CLIENT_QUOTAS, version).array(components, component)
        w.i8(1 if strict else 0).tags()
        r = c.call(DESCRIBE_CLIENT_QUOTAS, version, w)
        throttle, error, message = r.i32(), r.i16(), r.string()

        def entry(r):
            return r.fields(lambda r: r.array(lambda r: r.fields(R.string, R.string)),  # entity
                            lambda r: r.array(lambda r: r.fields(R.string, R.f64)))  # values
        entries = r.array(entry)
        r.tags()
        r.end()
        self.assertEqual(throttle, 0)
        return error, message, entries

    def test_describe_client_quotas(self):
        c = self.connect()
        for version in (0, 1):
            with self.subTest(version=version):
                # no quotas: every valid filter matches nothing (an empty list, not null)
                for components, strict in (([], False), ([], True),
                                           ([("user", 0, "alice")], False),
                                           ([("user", 1, None), ("client-id", 2, None)], True),
                                           ([("ip", 2, None)], False)):
                    self.assertEqual(self.describe_quotas(c, version, components, strict),
                                     (0, None, []), components)
                # filters Kafka refuses, with its texts, and entries null
                refused = [
                    ([("user", 0, None)], 42,
                     "Request specified MATCH_TYPE_EXACT, but set match string to null."),
                    ([("user", 1, "alice")], 42,
                     "Request specified MATCH_TYPE_DEFAULT, but also specified a match string."),
                    ([("client-id", 2, "x")], 42,
                     "Request specified MATCH_TYPE_SPECIFIED, but also specified a match "
                     "string."),
                    ([("user", 7, None)], 42, "Unknown match type 7"),
                    ([("user", 2, None), ("user", 0, "bob")], 42,
                     "Entity type user cannot appear more than once in the filter."),
                    ([("", 2, None)], 42, "Invalid empty entity type."),
                    ([("group", 2, None)], 35, "Unsupported entity type group"),
                    ([("ip", 2, None), ("user", 2, None)], 42,
                     "Invalid entity filter component combination. IP filter component should "
                     "not be used with user or clientId filter component."),
                ]
                for components, error, message in refused:
                    self.assertEqual(self.describe_quotas(c, version, components),
                                     (error, message, None), components)

    # -- ElectLeaders -----------------------------------------------------------------------------
    def elect(self, c, version, topic_partitions, election_type=0):
        w = body(ELECT_LEADERS, version)
        if version >= 1:
            w.i8(election_type)

        def topic(w, tp):
            w.string(tp[0]).int32s(tp[1]).tags()
        w.array(topic_partitions, topic).i32(TIMEOUT_MS).tags()
        r = c.call(ELECT_LEADERS, version, w)
        throttle = r.i32()
        error = r.i16() if version >= 1 else 0
        results = r.array(read_topic_partition_errors)
        r.tags()
        r.end()
        self.assertEqual(throttle, 0)
        return error, results

    def test_elect_leaders(self):
        self.create_topic(self.memory, "ca-elect", 3)
        c = self.connect()
        for version in range(0, 3):
            for election_type in ((0, 1) if version >= 1 else (0,)):
                with self.subTest(version=version, election_type=election_type):
                    error, results = self.elect(
                        c, version, [("ca-elect", [0, 2, 1, 7]), ("ca-elect-missing", [0])],
                        election_type)
                    self.assertEqual(error, 0)
                    # the one broker is every partition's leader and preferred replica
                    self.assertEqual(results, [
                        ("ca-elect", [(0, 84, NOT_NEEDED), (2, 84, NOT_NEEDED),
                                      (1, 84, NOT_NEEDED),
                                      (7, 3, "No such partition as ca-elect-7")]),
                        ("ca-elect-missing", [(0, 3, "No such topic as ca-elect-missing")])])

                    # every partition (null): each topic, without the partitions that already
                    # have their leader (all of them), as Kafka's controller answers
                    error, results = self.elect(c, version, None, election_type)
                    self.assertEqual(error, 0)
                    self.assertIn(("ca-elect", []), results)
                    self.assertEqual([p for _, p in results], [[]] * len(results))
                    names = [t for t, _ in results]
                    self.assertEqual(names, sorted(names))

        # an election type that does not exist fails the whole request
        for version in (1, 2):
            with self.subTest(version=version, election_type=5):
                why = "Unknown election type 5"
                self.assertEqual(self.elect(c, version, [("ca-elect", [0, 1])], 5),
                                 (42, [("ca-elect", [(0, 42, why), (1, 42, why)])]))
                self.assertEqual(self.elect(c, version, None, 5), (42, []))

    # -- partition reassignments ------------------------------------------------------------------
    def test_alter_partition_reassignments(self):
        self.create_topic(self.memory, "ca-reassign", 4)
        node = self.node_id
        w = W(True).i32(TIMEOUT_MS)

        def partition(w, p):
            w.i32(p[0])
            w.array(p[1], W.i32).tags()

        def topic(w, t):
            w.string(t[0]).array(t[1], partition).tags()
        w.array([("ca-reassign", [(0, [node]), (1, None), (2, [node, node + 1]), (3, []),
                                  (9, [node])]),
                 ("ca-reassign-missing", [(0, [node]), (1, None)])], topic).tags()
        r = self.connect().call(ALTER_PARTITION_REASSIGNMENTS, 0, w)
        throttle, error, message = r.i32(), r.i16(), r.string()
        results = r.array(read_topic_partition_errors)
        r.tags()
        r.end()
        self.assertEqual((throttle, error, message), (0, 0, None))
        single = (f"Rivulet is a single broker (node {node}): a partition's replicas can only "
                  f"be [{node}]")
        self.assertEqual(results, [
            ("ca-reassign", [
                (0, 0, None),  # where it already is: nothing to move
                (1, 85, NO_REASSIGNMENT),  # a cancel: nothing in progress
                (2, 39, f"{single}, not [{node},{node + 1}]"),
                (3, 39, f"{single}, not []"),
                (9, 3, "Unable to find partition ca-reassign:9.")]),
            ("ca-reassign-missing", [
                (0, 3, "Unable to find a topic named ca-reassign-missing."),
                (1, 3, "Unable to find a topic named ca-reassign-missing.")])])

    def list_reassignments(self, topics):
        w = W(True).i32(TIMEOUT_MS)

        def topic(w, t):
            w.string(t[0]).int32s(t[1]).tags()
        w.array(topics, topic).tags()
        r = self.connect().call(LIST_PARTITION_REASSIGNMENTS, 0, w)
        throttle, error, message = r.i32(), r.i16(), r.string()

        def ongoing(r):
            self.fail("an ongoing reassignment")
        topics = r.array(ongoing)
        r.tags()
        r.end()
        return throttle, error, message, topics

    def test_list_partition_reassignments(self):
        self.create_topic(self.memory, "ca-list", 2)
        self.assertEqual(self.list_reassignments(None), (0, 0, None, []))
        self.assertEqual(self.list_reassignments([("ca-list", [0, 1, 5]), ("ca-list-none", [0])]),
                         (0, 0, None, []))

    # -- DescribeLogDirs --------------------------------------------------------------------------
    def describe_log_dirs(self, c, version, topics):
        w = body(DESCRIBE_LOG_DIRS, version)

        def topic(w, t):
            w.string(t[0]).int32s(t[1]).tags()
        w.array(topics, topic).tags()
        r = c.call(DESCRIBE_LOG_DIRS, version, w)
        throttle = r.i32()
        error = r.i16() if version >= 3 else 0

        def partition(r):
            return r.fields(R.i32, R.i64, R.i64, R.boolean)

        def dir_topic(r):
            return r.fields(R.string, lambda r: r.array(partition))

        def result(r):
            out = {"error": r.i16(), "log_dir": r.string(), "topics": r.array(dir_topic)}
            if version >= 4:
                out["total_bytes"], out["usable_bytes"] = r.i64(), r.i64()
            r.tags()
            return out
        results = r.array(result)
        r.tags()
        r.end()
        self.assertEqual((throttle, error), (0, 0))
        self.assertEqual(len(results), 1, results)
        return results[0]

    def fetched_bytes(self, broker, topic, partition):
        """The bytes of every batch the partition holds, as Fetch v4 hands them out."""
        fetched = fetch(self.connect(broker), topic, partition, min_bytes=0, max_bytes=64 << 20)
        self.assertEqual((fetched["topic"], fetched["partition"], fetched["error"]),
                         (topic, partition, 0))
        return len(fetched["records"])

    def disk_bytes(self, topic, partition):
        path = os.path.join(self.data.path, "topics", topic, str(partition))
        return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)
                   if f.endswith(".log"))

    def check_log_dirs(self, broker, prefix):
        self.create_topic(broker, f"{prefix}-a", 3)
        self.create_topic(broker, f"{prefix}-b", 1)
        self.produce(broker, f"{prefix}-a", 0, 3)
        self.produce(broker, f"{prefix}-a", 2, 5, size=200)
        self.produce(broker, f"{prefix}-b", 0, 1)
        sizes = {(t, p): self.fetched_bytes(broker, t, p)
                 for t, p in ((f"{prefix}-a", 0), (f"{prefix}-a", 1), (f"{prefix}-a", 2),
                              (f"{prefix}-b", 0))}
        self.assertEqual(sizes[(f"{prefix}-a", 1)], 0)
        self.assertGreater(sizes[(f"{prefix}-a", 2)], sizes[(f"{prefix}-a", 0)])
        self.assertGreater(sizes[(f"{prefix}-b", 0)], 0)
        if broker is self.durable:
            self.assertEqual(sizes, {k: self.disk_bytes(*k) for k in sizes})

        c = self.connect(broker)
        results = []
        for version in range(0, 5):
            with self.subTest(broker=prefix, version=version):
                # every topic (null): all partitions, with their sizes in bytes
                everything = self.describe_log_dirs(c, version, None)
                self.assertEqual(everything["error"], 0)
                mine = [t for t in everything["topics"] if t[0].startswith(prefix + "-")]
                self.assertEqual(mine, [
                    (f"{prefix}-a", [(0, sizes[(f"{prefix}-a", 0)], 0, False),
                                     (1, 0, 0, False),
                                     (2, sizes[(f"{prefix}-a", 2)], 0, False)]),
                    (f"{prefix}-b", [(0, sizes[(f"{prefix}-b", 0)], 0, False)])])
                names = [t[0] for t in everything["topics"]]
                self.assertEqual(names, sorted(names))

                # some: those asked for that exist, a topic named twice merged
                some = self.describe_log_dirs(c, version, [
                    (f"{prefix}-a", [2, 9]), (f"{prefix}-missing", [0]), (f"{prefix}-a", [0])])
                self.assertEqual(some["topics"], [
                    (f"{prefix}-a", [(0, sizes[(f"{prefix}-a", 0)], 0, False),
                                     (2, sizes[(f"{prefix}-a", 2)], 0, False)])])
                self.assertEqual(some["log_dir"], everything["log_dir"])
                self.assertEqual(self.describe_log_dirs(c, version, [])["topics"], [])
                results.append(everything)
        return results

    def test_describe_log_dirs_in_memory(self):
        results = self.check_log_dirs(self.memory, "ca-mem")
        for version, result in enumerate(results):
            # no directory: a name that is no path, and no filesystem to measure
            self.assertEqual(result["log_dir"], "(memory)")
            if version >= 4:
                self.assertEqual((result["total_bytes"], result["usable_bytes"]), (-1, -1))

    def test_describe_log_dirs_durable(self):
        results = self.check_log_dirs(self.durable, "ca-disk")
        for version, result in enumerate(results):
            self.assertEqual(result["log_dir"], os.path.abspath(self.data.path))
            if version >= 4:
                fs = os.statvfs(self.data.path)
                self.assertEqual(result["total_bytes"], fs.f_blocks * fs.f_frsize)
                self.assertGreater(result["usable_bytes"], 0)
                self.assertLessEqual(result["usable_bytes"], result["total_bytes"])


if __name__ == "__main__":
    rivulet_broker.main()
