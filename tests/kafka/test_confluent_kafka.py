#!/usr/bin/env python3
"""confluent-kafka 1.7.0 (librdkafka 2.0.2) against a real Rivulet broker: AdminClient
create_topics, a Producer with keys and headers whose delivery callbacks report offsets, a
group Consumer committing synchronously, committed offsets equal to the high watermarks, a
restarted consumer getting nothing new, and the committed offsets surviving a restart of
the broker on the same --data-dir.

Usage: test_confluent_kafka.py PATH/TO/rivulet [PATH/TO/rivulet-cli]
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Broker, TempDir  # noqa: E402

from confluent_kafka import (  # noqa: E402
    Consumer, KafkaError, KafkaException, Producer, TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

TIMEOUT = 10.0
GROUP_TIMEOUT = 30.0  # a group's first round waits 3 s


class Clients:
    """Client factories and checks shared by the test classes (needs self.broker)."""

    def setUp(self):
        self.closers = []

    def tearDown(self):
        self.close_clients()

    def close_clients(self):
        for close in reversed(self.closers):
            try:
                close()
            except Exception:  # noqa: BLE001 - the test already has its verdict
                pass
        self.closers = []

    def admin(self):
        # kept while its futures are pending: a destroyed handle fails them with _DESTROY
        self._admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        return self._admin

    def create_topic(self, name, partitions):
        futures = self.admin().create_topics([NewTopic(name, partitions, 1)],
                                             request_timeout=TIMEOUT)
        self.assertIsNone(futures[name].result(timeout=TIMEOUT))

    def produce(self, topic, count, partitions, prefix="v"):
        """Produces count records round-robin over the partitions; returns the delivery reports
        as {(partition, offset): (key, value, headers)}."""
        producer = Producer({"bootstrap.servers": self.broker.bootstrap,
                             "message.timeout.ms": int(TIMEOUT * 1000)})
        reports, errors = {}, []

        def delivered(headers, err, msg):
            # a delivery report carries key and value but not the headers (librdkafka)
            if err is not None:
                errors.append(err)
            else:
                reports[(msg.partition(), msg.offset())] = (msg.key(), msg.value(), headers)

        for i in range(count):
            headers = [("seq", str(i).encode()), ("src", b"confluent")]
            producer.produce(topic, key=f"{prefix}-key-{i}".encode(),
                             value=f"{prefix}-value-{i}".encode(), partition=i % partitions,
                             headers=headers,
                             on_delivery=lambda err, msg, h=headers: delivered(h, err, msg))
        self.assertEqual(producer.flush(TIMEOUT), 0, "records still undelivered")
        self.assertEqual(errors, [])
        self.assertEqual(len(reports), count)
        return reports

    def consumer(self, group, **extra):
        config = {"bootstrap.servers": self.broker.bootstrap, "group.id": group,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                  "heartbeat.interval.ms": 500, "session.timeout.ms": 10000}
        config.update(extra)
        c = Consumer(config)
        self.closers.append(c.close)
        return c

    def subscribe_and_wait(self, consumer, topic, partitions):
        """Subscribes and polls until the assignment holds all partitions; returns the records
        polled meanwhile."""
        assigned = []
        consumer.subscribe([topic], on_assign=lambda c, tps: assigned.extend(tps))
        records = []
        deadline = time.monotonic() + GROUP_TIMEOUT
        while len(assigned) < partitions:
            self.assertLess(time.monotonic(), deadline, "no assignment for the consumer")
            records += self.poll(consumer, 0.2)
        return records

    def poll(self, consumer, seconds):
        """All records polled for about `seconds`."""
        records = []
        deadline = time.monotonic() + seconds
        while True:
            msg = consumer.poll(max(0.0, min(0.2, deadline - time.monotonic())))
            if msg is not None:
                if msg.error() and msg.error().code() != KafkaError._PARTITION_EOF:
                    self.fail(f"consumer error: {msg.error()}")
                if not msg.error():
                    records.append(msg)
            if time.monotonic() >= deadline:
                return records

    def poll_count(self, consumer, count, timeout=GROUP_TIMEOUT):
        records = []
        deadline = time.monotonic() + timeout
        while len(records) < count:
            self.assertLess(time.monotonic(), deadline,
                            f"got {len(records)} of {count} records")
            records += self.poll(consumer, 0.2)
        return records

    def high_watermarks(self, consumer, topic, partitions):
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=TIMEOUT)[1]
                for p in range(partitions)}

    def committed(self, consumer, topic, partitions):
        tps = consumer.committed([TopicPartition(topic, p) for p in range(partitions)],
                                 timeout=TIMEOUT)
        for tp in tps:
            self.assertIsNone(tp.error)
        return {tp.partition: tp.offset for tp in tps}

    def consume_all_and_commit(self, topic, group, partitions, reports):
        c = self.consumer(group)
        records = self.subscribe_and_wait(c, topic, partitions)
        records += self.poll_count(c, len(reports) - len(records))
        got = {(m.partition(), m.offset()): (m.key(), m.value(), m.headers()) for m in records}
        self.assertEqual(got, reports)
        self.assertEqual(len(records), len(reports), "records delivered twice")
        committed = c.commit(asynchronous=False)
        self.assertTrue(all(tp.error is None for tp in committed), committed)
        high = self.high_watermarks(c, topic, partitions)
        self.assertEqual(self.committed(c, topic, partitions), high)
        c.close()
        return high

    def assert_group_resumes_with_nothing_new(self, topic, group, partitions, high):
        c = self.consumer(group)
        records = self.subscribe_and_wait(c, topic, partitions)
        records += self.poll(c, 3.0)
        self.assertEqual([(m.partition(), m.offset()) for m in records], [],
                         "the group's restarted consumer re-read committed records")
        self.assertEqual(self.committed(c, topic, partitions), high)
        return c


class ConfluentKafkaTest(Clients, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop_checked()

    def test_admin_create_topics(self):
        self.create_topic("ck-admin", 3)
        md = self.admin().list_topics(topic="ck-admin", timeout=TIMEOUT)
        self.assertIsNone(md.topics["ck-admin"].error)
        self.assertEqual(sorted(md.topics["ck-admin"].partitions), [0, 1, 2])
        self.assertEqual(len(md.brokers), 1)
        self.assertIn(md.controller_id, md.brokers)
        futures = self.admin().create_topics([NewTopic("ck-admin", 3, 1)],
                                             request_timeout=TIMEOUT)
        with self.assertRaises(KafkaException) as raised:
            futures["ck-admin"].result(timeout=TIMEOUT)
        self.assertEqual(raised.exception.args[0].code(), KafkaError.TOPIC_ALREADY_EXISTS)

    def test_producer_delivery_reports_carry_offsets(self):
        self.create_topic("ck-produce", 2)
        reports = self.produce("ck-produce", 7, 2)
        self.assertEqual(sorted(reports), [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1),
                                           (1, 2)])
        self.assertEqual(reports[(1, 2)], (b"v-key-5", b"v-value-5",
                                           [("seq", b"5"), ("src", b"confluent")]))

    def test_group_commits_and_a_restarted_consumer_gets_nothing_new(self):
        topic, group = "ck-group", "ck-group-1"
        self.create_topic(topic, 3)
        reports = self.produce(topic, 9, 3)
        high = self.consume_all_and_commit(topic, group, 3, reports)
        self.assertEqual(high, {0: 3, 1: 3, 2: 3})
        c = self.assert_group_resumes_with_nothing_new(topic, group, 3, high)
        # it is live: it gets the next record, and only that one
        more = self.produce(topic, 1, 1, prefix="more")
        self.assertEqual(list(more), [(0, 3)])
        records = self.poll_count(c, 1, timeout=15)
        self.assertEqual([(m.partition(), m.offset(), m.value()) for m in records],
                         [(0, 3, b"more-value-0")])


class BrokerRestartTest(Clients, unittest.TestCase):
    """Committed offsets live in the broker's data dir: they survive a SIGTERM and start."""

    def test_committed_offsets_survive_a_broker_restart(self):
        data = TempDir()
        topic, group = "ck-durable", "ck-durable-1"
        self.broker = Broker(data_dir=data.path).start()
        try:
            self.create_topic(topic, 2)
            reports = self.produce(topic, 6, 2)
            high = self.consume_all_and_commit(topic, group, 2, reports)
            self.assertEqual(high, {0: 3, 1: 3})
        finally:
            self.close_clients()
            self.broker.stop_checked()

        self.broker = Broker(data_dir=data.path).start()
        try:
            c = self.assert_group_resumes_with_nothing_new(topic, group, 2, high)
            c.close()
            # the records are there too, for a group that has committed nothing
            fresh = self.consumer(group + "-fresh")
            records = self.subscribe_and_wait(fresh, topic, 2)
            records += self.poll_count(fresh, len(reports) - len(records))
            self.assertEqual({(m.partition(), m.offset()): (m.key(), m.value(), m.headers())
                              for m in records}, reports)
        finally:
            self.close_clients()
            self.broker.stop_checked()

if __name__ == "__main__":
    rivulet_broker.main()
