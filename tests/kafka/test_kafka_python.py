#!/usr/bin/env python3
"""kafka-python 2.0.2 against a real Rivulet broker: CreateTopics (and an existing topic),
a producer with keys and headers, a group consumer that commits by hand, committed offsets
equal to the end offsets, a new member of the group resuming with nothing new, ListOffsets,
and an offset commit while the group rebalances.

Usage: test_kafka_python.py PATH/TO/rivulet [PATH/TO/rivulet-cli]
"""

import logging
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Broker, wait_until  # noqa: E402

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import NewTopic  # noqa: E402
from kafka.errors import CommitFailedError, TopicAlreadyExistsError  # noqa: E402
from kafka.structs import OffsetAndMetadata  # noqa: E402

TIMEOUT_MS = 10000
GROUP_TIMEOUT = 30  # a group's first round waits 3 s


class KafkaPythonTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()
        cls.bootstrap = cls.broker.bootstrap
        cls.admin = KafkaAdminClient(bootstrap_servers=cls.bootstrap,
                                     request_timeout_ms=TIMEOUT_MS)

    @classmethod
    def tearDownClass(cls):
        cls.admin.close()
        cls.broker.stop_checked()

    def setUp(self):
        self.closers = []

    def tearDown(self):
        for close in reversed(self.closers):
            try:
                close()
            except Exception:  # noqa: BLE001 - the test already has its verdict
                pass

    # -- helpers -----------------------------------------------------------------------------
    def create_topic(self, name, partitions):
        response = self.admin.create_topics([NewTopic(name, partitions, 1)],
                                            timeout_ms=TIMEOUT_MS)
        self.assertEqual([(t, e) for t, e, *_ in response.topic_errors], [(name, 0)])

    def producer(self, **config):
        p = KafkaProducer(bootstrap_servers=self.bootstrap, request_timeout_ms=TIMEOUT_MS,
                          max_block_ms=TIMEOUT_MS, **config)
        self.closers.append(lambda: p.close(5))
        return p

    def consumer(self, *topics, **config):
        c = KafkaConsumer(*topics, bootstrap_servers=self.bootstrap,
                          request_timeout_ms=TIMEOUT_MS + 5000,
                          api_version_auto_timeout_ms=TIMEOUT_MS,
                          **config)
        self.closers.append(lambda: c.close(autocommit=False))
        return c

    def group_consumer(self, topic, group):
        return self.consumer(topic, group_id=group, enable_auto_commit=False,
                             auto_offset_reset="earliest", heartbeat_interval_ms=500,
                             session_timeout_ms=10000)

    @staticmethod
    def poll_until(consumer, done, timeout, what):
        """Polls, collecting records, until done(records) or the timeout."""
        records = []
        deadline = time.monotonic() + timeout
        while not done(records):
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}; got "
                                     f"{len(records)} records, assignment "
                                     f"{sorted(tp.partition for tp in consumer.assignment())}")
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        return records

    # -- admin -------------------------------------------------------------------------------
    def test_create_topics_and_an_existing_topic(self):
        self.create_topic("kp-admin", 3)
        c = self.consumer()
        wait_until(lambda: c.partitions_for_topic("kp-admin"), 10, "the topic in metadata")
        self.assertEqual(c.partitions_for_topic("kp-admin"), {0, 1, 2})
        with self.assertRaises(TopicAlreadyExistsError):
            self.admin.create_topics([NewTopic("kp-admin", 3, 1)], timeout_ms=TIMEOUT_MS)
        self.assertEqual(c.partitions_for_topic("kp-admin"), {0, 1, 2})

    # -- produce, group consume, commit, resume ----------------------------------------------
    def test_group_commits_and_a_new_member_resumes_with_nothing_new(self):
        topic, group = "kp-group", "kp-group-1"
        self.create_topic(topic, 3)
        parts = [TopicPartition(topic, p) for p in range(3)]
        producer = self.producer()
        sent = {}
        for i in range(12):
            key, value = f"key-{i}".encode(), f"value-{i}".encode()
            headers = [("trace", f"t{i}".encode()), ("empty", b"")]
            md = producer.send(topic, key=key, value=value, headers=headers,
                               partition=i % 3).get(timeout=10)
            self.assertEqual(md.topic, topic)
            self.assertEqual(md.partition, i % 3)
            self.assertEqual(md.offset, i // 3)
            sent[(md.partition, md.offset)] = (key, value, headers)

        c1 = self.group_consumer(topic, group)
        records = self.poll_until(c1, lambda r: len(r) >= len(sent), GROUP_TIMEOUT,
                                  "all 12 records")
        got = {(r.partition, r.offset): (r.key, r.value, list(r.headers)) for r in records}
        self.assertEqual(got, sent)
        self.assertEqual(len(records), len(sent), "records delivered twice")

        c1.commit()
        end = c1.end_offsets(parts)
        self.assertEqual(end, {tp: 4 for tp in parts})
        self.assertEqual({tp: c1.committed(tp) for tp in parts}, end)
        c1.close(autocommit=False)

        c2 = self.group_consumer(topic, group)
        early = self.poll_until(c2, lambda r: len(c2.assignment()) == 3, GROUP_TIMEOUT,
                                "the new member to get all 3 partitions")
        self.assertEqual({tp: c2.position(tp) for tp in parts}, end)
        late = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            for batch in c2.poll(timeout_ms=200).values():
                late.extend(batch)
        self.assertEqual(early + late, [], "the group's new member re-read committed records")
        self.assertEqual({tp: c2.committed(tp) for tp in parts}, end)

        # it is live: a new record reaches it, and only that one
        producer.send(topic, key=b"key-new", value=b"value-new", partition=1).get(timeout=10)
        fresh = self.poll_until(c2, lambda r: len(r) >= 1, 15, "the new record")
        self.assertEqual([(r.partition, r.offset, r.value) for r in fresh],
                         [(1, 4, b"value-new")])

    # -- ListOffsets -------------------------------------------------------------------------
    def test_list_offsets_beginning_and_end(self):
        topic = "kp-offsets"
        self.create_topic(topic, 2)
        producer = self.producer()
        for i in range(5):
            producer.send(topic, value=b"x%d" % i, partition=0)
        producer.send(topic, value=b"y", partition=1)
        producer.flush(10)
        c = self.consumer()
        parts = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
        self.assertEqual(c.beginning_offsets(parts), {parts[0]: 0, parts[1]: 0})
        self.assertEqual(c.end_offsets(parts), {parts[0]: 5, parts[1]: 1})
        self.create_topic(topic + "-empty", 1)
        empty = TopicPartition(topic + "-empty", 0)
        self.assertEqual(c.beginning_offsets([empty]), {empty: 0})
        self.assertEqual(c.end_offsets([empty]), {empty: 0})

    def test_offsets_for_times(self):
        """ListOffsets by time answers the first RECORD at or after the time, also inside a
        batch, and offset -1 (None to the client) when there is none."""
        topic = "kp-times"
        producer = self.producer(linger_ms=500)  # the three records go in one batch
        base = int(time.time() * 1000) - 60000
        for i in range(3):
            producer.send(topic, value=b"t%d" % i, partition=0, timestamp_ms=base + i * 1000)
        producer.flush(10)
        c = self.consumer()
        tp = TopicPartition(topic, 0)
        cases = [(base - 1, (0, base)), (base, (0, base)), (base + 500, (1, base + 1000)),
                 (base + 2000, (2, base + 2000)), (base + 10000, None)]
        for when, want in cases:
            with self.subTest(timestamp=f"base{when - base:+d}"):
                found = c.offsets_for_times({tp: when})[tp]
                self.assertEqual(found and (found.offset, found.timestamp), want)

    # -- commit while rebalancing ------------------------------------------------------------
    def test_commit_while_the_group_rebalances(self):
        """A member of the current generation may commit while the group prepares a rebalance
        (Kafka refuses commits only while it awaits the leader's SyncGroup); consumers commit
        what they processed when they learn of the rebalance, before they rejoin."""
        topic, group = "kp-rebalance", "kp-rebalance-1"
        self.create_topic(topic, 2)
        producer = self.producer()
        for i in range(4):
            producer.send(topic, value=b"r%d" % i, partition=i % 2)
        producer.flush(10)

        rebalancing = threading.Event()

        class Watch(logging.Handler):
            def emit(self, record):
                if "because it is rebalancing" in record.getMessage():
                    rebalancing.set()

        log = logging.getLogger("kafka.coordinator")
        handler = Watch()
        log.addHandler(handler)
        self.closers.append(lambda: log.removeHandler(handler))
        if log.getEffectiveLevel() > logging.WARNING:
            log.setLevel(logging.WARNING)

        a = self.group_consumer(topic, group)
        self.poll_until(a, lambda r: len(r) >= 4, GROUP_TIMEOUT, "member A's records")
        self.assertEqual(len(a.assignment()), 2)

        b_assignment = []

        def run_b():
            b = self.group_consumer(topic, group)
            deadline = time.monotonic() + GROUP_TIMEOUT
            while not b.assignment() and time.monotonic() < deadline:
                b.poll(timeout_ms=200)
            b_assignment.extend(tp.partition for tp in b.assignment())

        thread = threading.Thread(target=run_b, daemon=True)
        thread.start()
        self.assertTrue(rebalancing.wait(GROUP_TIMEOUT),
                        "member A never heard that the group is rebalancing")
        offsets = {TopicPartition(topic, p): OffsetAndMetadata(2, "") for p in range(2)}
        try:
            a.commit(offsets)
        except CommitFailedError as e:
            self.fail(f"the broker refused member A's commit during the rebalance: {e!r}")
        finally:
            deadline = time.monotonic() + GROUP_TIMEOUT
            while thread.is_alive() and time.monotonic() < deadline:
                a.poll(timeout_ms=200)
            thread.join(5)
        self.assertEqual(len(b_assignment), 1)
        self.assertEqual({tp: a.committed(tp) for tp in offsets}, {tp: 2 for tp in offsets})


if __name__ == "__main__":
    rivulet_broker.main()
