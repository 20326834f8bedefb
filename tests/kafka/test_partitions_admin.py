#!/usr/bin/env python3
"""CreatePartitions (37) and DeleteRecords (21) on a real Rivulet broker (PROTOCOL.md §15.33,
§15.34), through the clients people use:

- kafka-python 2.0.2's KafkaAdminClient.create_partitions (CreatePartitions v1); it has no
  delete_records, so DeleteRecords goes as raw bytes, as does every version of both APIs
  (v0-1 classic, v2+ flexible) through the small encoder of kafka_wire.py;
- confluent-kafka 1.7.0's AdminClient.create_partitions (it has no delete_records either);
- kafkajs 2.2.4's admin.createPartitions and admin.deleteTopicRecords (kafkajs/partitions.js);
- kcat -L showing the new partition count, kcat producing to and consuming from a new
  partition, and consumers (kafka-python, confluent-kafka, kcat, rivulet-cli over the native
  protocol) after DeleteRecords starting at the new low watermark, also after kill -9.

Usage: test_partitions_admin.py PATH/TO/rivulet [PATH/TO/rivulet-cli]
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Broker, TempDir, run, run_kafkajs  # noqa: E402
from kafka_wire import CREATE_PARTITIONS, DELETE_RECORDS, R, Connection, body  # noqa: E402

from confluent_kafka import Consumer as CkConsumer  # noqa: E402
from confluent_kafka import KafkaError as CkKafkaError  # noqa: E402
from confluent_kafka import TopicPartition as CkTopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402
from confluent_kafka.admin import NewPartitions as CkNewPartitions  # noqa: E402
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import NewPartitions, NewTopic  # noqa: E402
from kafka.errors import (InvalidPartitionsError, InvalidReplicationAssignmentError,  # noqa: E402
                          OffsetOutOfRangeError, UnknownTopicOrPartitionError)

TIMEOUT = 10.0
TIMEOUT_MS = int(TIMEOUT * 1000)
os.environ["KAFKAJS_NO_PARTITIONER_WARNING"] = "1"

NONE, OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION = 0, 1, 3
INVALID_PARTITIONS, INVALID_REPLICA_ASSIGNMENT, INVALID_REQUEST = 37, 39, 42


def connect(broker):
    return Connection(broker.kafka_host, broker.kafka_port, "partitions-admin")


def create_partitions(conn, version, topics, validate_only=False):
    """topics: [(name, count, assignments or None)] -> [(name, error_code, error_message)]"""
    w = body(CREATE_PARTITIONS, version)

    def assignment(w, ids):
        w.int32s(ids).tags()

    def topic(w, t):
        name, count, assignments = t
        w.string(name).i32(count).array(assignments, assignment).tags()
    w.array(topics, topic).i32(5000).i8(1 if validate_only else 0).tags()
    r = conn.call(CREATE_PARTITIONS, version, w)
    assert r.i32() == 0  # throttle_time_ms
    results = r.array(lambda r: r.fields(R.string, R.i16, R.string))
    r.tags()
    r.end()
    return results


def delete_records(conn, version, topics):
    """topics: [(name, [(partition, offset)])] -> [(name, [(partition, low_watermark, error)])]"""
    w = body(DELETE_RECORDS, version)

    def partition(w, p):
        w.i32(p[0]).i64(p[1]).tags()

    def topic(w, t):
        w.string(t[0]).array(t[1], partition).tags()
    w.array(topics, topic).i32(5000).tags()
    r = conn.call(DELETE_RECORDS, version, w)
    assert r.i32() == 0

    def partition_result(r):
        return r.fields(R.i32, R.i64, R.i16)
    results = r.array(lambda r: r.fields(R.string, lambda r: r.array(partition_result)))
    r.tags()
    r.end()
    return results


class PartitionsAdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = TempDir()
        cls.broker = Broker(data_dir=cls.data.path).start()
        cls.kp_admin = KafkaAdminClient(bootstrap_servers=cls.broker.bootstrap,
                                        request_timeout_ms=TIMEOUT_MS)
        cls.ck_admin = AdminClient({"bootstrap.servers": cls.broker.bootstrap})
        cls.node_id = next(iter(cls.ck_admin.list_topics(timeout=TIMEOUT).brokers))

    @classmethod
    def tearDownClass(cls):
        cls.kp_admin.close()
        cls.ck_admin = None
        rc = cls.broker.stop()
        if rc != 0:
            raise AssertionError(f"rivulet exited with {rc} on SIGTERM:\n{cls.broker.log_tail()}")

    def setUp(self):
        self.conn = connect(self.broker)

    def tearDown(self):
        self.conn.close()

    # -- helpers -----------------------------------------------------------------------------
    def create_topic(self, name, partitions=1):
        response = self.kp_admin.create_topics([NewTopic(name, partitions, 1)],
                                               timeout_ms=TIMEOUT_MS)
        self.assertEqual([(t, e) for t, e, *_ in response.topic_errors], [(name, 0)])

    def partition_count(self, topic):
        """The partition count kcat -L reports."""
        r = self.broker.kcat("-L", "-t", topic)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(rf'topic "{re.escape(topic)}" with (\d+) partitions', r.stdout)
        self.assertIsNotNone(m, r.stdout)
        return int(m.group(1))

    def produce(self, topic, partition, values):
        producer = KafkaProducer(bootstrap_servers=self.broker.bootstrap, max_block_ms=TIMEOUT_MS)
        try:
            for v in values:
                producer.send(topic, v.encode(), partition=partition).get(TIMEOUT)
        finally:
            producer.close(TIMEOUT)

    def watermarks(self, topic, partition):
        consumer = KafkaConsumer(bootstrap_servers=self.broker.bootstrap,
                                 request_timeout_ms=TIMEOUT_MS + 5000)
        try:
            tp = TopicPartition(topic, partition)
            return (consumer.beginning_offsets([tp])[tp], consumer.end_offsets([tp])[tp])
        finally:
            consumer.close()

    def kcat_consume(self, topic, partition, offset="beginning"):
        """[(offset, value)] kcat reads from the partition until its end."""
        r = self.broker.kcat("-C", "-t", topic, "-p", str(partition), "-o", str(offset), "-e",
                             "-f", "%o %s\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        return [(int(o), v) for o, v in (line.split(" ", 1) for line in r.stdout.splitlines())]

    # -- CreatePartitions ----------------------------------------------------------------------
    def test_kafka_python_create_partitions(self):
        self.create_topic("pa-kp", 1)
        self.produce("pa-kp", 0, ["old-0", "old-1"])
        response = self.kp_admin.create_partitions({"pa-kp": NewPartitions(3)},
                                                   timeout_ms=TIMEOUT_MS)
        self.assertEqual(response.API_VERSION, 1)
        self.assertEqual(response.topic_errors, [("pa-kp", 0, None)])
        self.assertEqual(self.partition_count("pa-kp"), 3)

        # validate only: answered, nothing changes
        response = self.kp_admin.create_partitions({"pa-kp": NewPartitions(5)},
                                                   validate_only=True)
        self.assertEqual(response.topic_errors, [("pa-kp", 0, None)])
        self.assertEqual(self.partition_count("pa-kp"), 3)
        # errors are raised, with Kafka's messages
        with self.assertRaises(InvalidPartitionsError) as raised:
            self.kp_admin.create_partitions({"pa-kp": NewPartitions(2)})
        self.assertIn("Topic currently has 3 partitions, which is higher than the requested 2.",
                      str(raised.exception))
        with self.assertRaises(UnknownTopicOrPartitionError):
            self.kp_admin.create_partitions({"pa-kp-none": NewPartitions(2)})
        with self.assertRaises(InvalidReplicationAssignmentError) as raised:
            self.kp_admin.create_partitions(
                {"pa-kp": NewPartitions(4, new_assignments=[[self.node_id + 1]])})
        self.assertIn(f"includes broker {self.node_id + 1}, but no such broker is registered",
                      str(raised.exception))
        response = self.kp_admin.create_partitions(
            {"pa-kp": NewPartitions(4, new_assignments=[[self.node_id]])})
        self.assertEqual(response.topic_errors, [("pa-kp", 0, None)])
        self.assertEqual(self.partition_count("pa-kp"), 4)

        # the old partition keeps its records; the new ones take and serve records
        self.assertEqual(self.kcat_consume("pa-kp", 0), [(0, "old-0"), (1, "old-1")])
        self.produce("pa-kp", 3, ["new-0", "new-1", "new-2"])
        self.assertEqual(self.kcat_consume("pa-kp", 3), [(0, "new-0"), (1, "new-1"), (2, "new-2")])
        consumer = KafkaConsumer(bootstrap_servers=self.broker.bootstrap,
                                 auto_offset_reset="earliest", consumer_timeout_ms=5000)
        try:
            consumer.assign([TopicPartition("pa-kp", 3)])
            got = [(m.offset, m.value) for m in consumer][:3]
        finally:
            consumer.close()
        self.assertEqual(got, [(0, b"new-0"), (1, b"new-1"), (2, b"new-2")])

    def test_confluent_kafka_create_partitions(self):
        self.create_topic("pa-ck", 2)
        futures = self.ck_admin.create_partitions([CkNewPartitions("pa-ck", 5)],
                                                  request_timeout=TIMEOUT)
        self.assertIsNone(futures["pa-ck"].result(timeout=TIMEOUT))
        self.assertEqual(self.partition_count("pa-ck"), 5)
        self.assertEqual(len(self.ck_admin.list_topics("pa-ck", timeout=TIMEOUT)
                             .topics["pa-ck"].partitions), 5)
        futures = self.ck_admin.create_partitions([CkNewPartitions("pa-ck", 5)],
                                                  request_timeout=TIMEOUT)
        with self.assertRaises(Exception) as raised:
            futures["pa-ck"].result(timeout=TIMEOUT)
        error = raised.exception.args[0]
        self.assertEqual(error.code(), CkKafkaError.INVALID_PARTITIONS)
        self.assertIn("already has 5 partitions", error.str())
        futures = self.ck_admin.create_partitions([CkNewPartitions("pa-ck", 7)],
                                                  validate_only=True, request_timeout=TIMEOUT)
        self.assertIsNone(futures["pa-ck"].result(timeout=TIMEOUT))
        self.assertEqual(self.partition_count("pa-ck"), 5)

        # kcat produces to a new partition and reads it back
        r = self.broker.kcat("-P", "-t", "pa-ck", "-p", "4", input="via-kcat\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.kcat_consume("pa-ck", 4), [(0, "via-kcat")])

    def test_create_partitions_every_version_raw(self):
        self.create_topic("pa-raw", 1)
        count = 1
        for version in range(4):
            count += 1
            self.assertEqual(create_partitions(self.conn, version, [("pa-raw", count, None)]),
                             [("pa-raw", NONE, None)], f"v{version}")
            self.assertEqual(self.partition_count("pa-raw"), count)
            # validate_only, duplicates, an unknown topic, a count not above, a bad assignment
            results = create_partitions(self.conn, version, [
                ("pa-raw", count + 1, [[self.node_id]]),
                ("pa-raw-dup", 3, None), ("pa-raw-dup", 4, None),
                ("pa-raw-nope", 3, None),
            ], validate_only=True)
            self.assertEqual(results, [
                ("pa-raw", NONE, None),
                ("pa-raw-dup", INVALID_REQUEST, "Duplicate topic name."),
                ("pa-raw-nope", UNKNOWN_TOPIC_OR_PARTITION, 'unknown topic "pa-raw-nope"'),
            ])
            results = create_partitions(self.conn, version, [("pa-raw", count, None)])
            self.assertEqual(results, [("pa-raw", INVALID_PARTITIONS,
                                        f"Topic already has {count} partitions.")])
            results = create_partitions(self.conn, version,
                                        [("pa-raw", count + 2, [[self.node_id]])])
            self.assertEqual(results, [("pa-raw", INVALID_REPLICA_ASSIGNMENT,
                                        "Attempted to add 2 additional partition(s), but only 1 "
                                        "assignment(s) were specified.")])
            results = create_partitions(self.conn, version,
                                        [("pa-raw", count + 1, [[self.node_id, 7]])])
            self.assertEqual(results[0][1], INVALID_REPLICA_ASSIGNMENT)
            results = create_partitions(self.conn, version, [("pa-raw", 10001, None)])
            self.assertEqual(results[0][1], INVALID_PARTITIONS)
            self.assertEqual(self.partition_count("pa-raw"), count)

    # -- DeleteRecords -------------------------------------------------------------------------
    def test_delete_records_every_version_raw(self):
        self.create_topic("dr-raw", 2)
        self.produce("dr-raw", 0, [f"v{i}" for i in range(30)])
        low = 0
        for version in range(3):
            low += 5
            self.assertEqual(delete_records(self.conn, version, [("dr-raw", [(0, low)])]),
                             [("dr-raw", [(0, low, NONE)])], f"v{version}")
            self.assertEqual(self.watermarks("dr-raw", 0), (low, 30))
        # below the start: nothing changes; past the end, unknown partitions and topics: errors
        self.assertEqual(delete_records(self.conn, 2, [
            ("dr-raw", [(0, 3), (0, 31), (0, -2), (1, 0), (2, 0)]),
            ("dr-raw-nope", [(0, 0)]),
        ]), [
            ("dr-raw", [(0, low, NONE), (0, -1, OFFSET_OUT_OF_RANGE),
                        (0, -1, OFFSET_OUT_OF_RANGE), (1, 0, NONE),
                        (2, -1, UNKNOWN_TOPIC_OR_PARTITION)]),
            ("dr-raw-nope", [(0, -1, UNKNOWN_TOPIC_OR_PARTITION)]),
        ])

        # consumers start at the new low watermark
        self.assertEqual(self.kcat_consume("dr-raw", 0)[0], (low, f"v{low}"))
        consumer = KafkaConsumer(bootstrap_servers=self.broker.bootstrap,
                                 auto_offset_reset="earliest", consumer_timeout_ms=5000)
        try:
            consumer.assign([TopicPartition("dr-raw", 0)])
            offsets = [m.offset for m in consumer]
        finally:
            consumer.close()
        self.assertEqual(offsets, list(range(low, 30)))
        # a fetch below it is OFFSET_OUT_OF_RANGE, as after retention
        consumer = KafkaConsumer(bootstrap_servers=self.broker.bootstrap,
                                 auto_offset_reset="none", consumer_timeout_ms=5000)
        try:
            tp = TopicPartition("dr-raw", 0)
            consumer.assign([tp])
            consumer.seek(tp, low - 1)
            with self.assertRaises(OffsetOutOfRangeError):
                for _ in range(20):
                    consumer.poll(500)
        finally:
            consumer.close()
        # confluent-kafka asked for offset 0 resets to the earliest there is
        consumer = CkConsumer({"bootstrap.servers": self.broker.bootstrap, "group.id": "dr-ck",
                               "auto.offset.reset": "earliest", "enable.auto.commit": False})
        try:
            consumer.assign([CkTopicPartition("dr-raw", 0, 0)])
            first = None
            for _ in range(50):
                m = consumer.poll(0.2)
                if m is not None and not m.error():
                    first = (m.offset(), m.value())
                    break
        finally:
            consumer.close()
        self.assertEqual(first, (low, f"v{low}".encode()))
        # the native protocol refuses it with the partition's new start
        r = self.broker.cli("consume", "dr-raw", "--partition", "0", "--offset", "0",
                            "--count", "1")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"now starts at offset {low}", r.stderr + r.stdout)
        r = self.broker.cli("consume", "dr-raw", "--partition", "0", "--offset", str(low),
                            "--count", "1", "--format", "%o %v")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, f"{low} v{low}"), r.stderr)

        # -1 is the high watermark: every record goes, and producing goes on from the end
        self.assertEqual(delete_records(self.conn, 1, [("dr-raw", [(0, -1)])]),
                         [("dr-raw", [(0, 30, NONE)])])
        self.assertEqual(self.watermarks("dr-raw", 0), (30, 30))
        self.produce("dr-raw", 0, ["after"])
        self.assertEqual(self.kcat_consume("dr-raw", 0), [(30, "after")])

    def test_delete_records_survives_kill_9(self):
        data = TempDir()
        broker = Broker(data_dir=data.path).start()
        try:
            admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap,
                                     request_timeout_ms=TIMEOUT_MS)
            admin.create_topics([NewTopic("dr-kill", 1, 1)], timeout_ms=TIMEOUT_MS)
            admin.create_partitions({"dr-kill": NewPartitions(2)})
            admin.close()
            producer = KafkaProducer(bootstrap_servers=broker.bootstrap, max_block_ms=TIMEOUT_MS)
            for i in range(20):
                producer.send("dr-kill", f"r{i}".encode(), partition=1).get(TIMEOUT)
            producer.close(TIMEOUT)
            conn = connect(broker)
            self.assertEqual(delete_records(conn, 0, [("dr-kill", [(1, 12)])]),
                             [("dr-kill", [(1, 12, NONE)])])
            conn.close()
        finally:
            broker.kill()  # SIGKILL right after the answer
        broker = Broker(data_dir=data.path).start()
        try:
            r = broker.kcat("-L", "-t", "dr-kill")
            self.assertIn('topic "dr-kill" with 2 partitions', r.stdout)
            r = broker.kcat("-C", "-t", "dr-kill", "-p", "1", "-o", "beginning", "-e",
                            "-f", "%o %s\n")
            self.assertEqual(r.stdout.splitlines(), [f"{i} r{i}" for i in range(12, 20)],
                             r.stderr)
        finally:
            broker.stop_checked()

    # -- kafkajs -------------------------------------------------------------------------------
    def test_kafkajs_create_partitions_and_delete_topic_records(self):
        self.assertIn("partitions scenario ok",
                      run_kafkajs(self, self.broker, "partitions.js"))


if __name__ == "__main__":
    rivulet_broker.main()
