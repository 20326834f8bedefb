#!/usr/bin/env python3
"""Topic auto-creation as Kafka clients see it: producing to an unknown topic creates it
(with --default-partitions partitions); with --no-auto-create, metadata reports the topic
unknown and producers get UNKNOWN_TOPIC_OR_PART, while CreateTopics still works.

Usage: test_auto_create.py PATH/TO/rivulet [PATH/TO/rivulet-cli]
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Broker  # noqa: E402

from confluent_kafka import KafkaError, Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

TIMEOUT = 10.0


def confluent_produce(bootstrap, topic, values):
    """Produces values with confluent-kafka; returns (delivery errors, delivered offsets)."""
    producer = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 8000,
                         # how long librdkafka waits for an unknown topic to appear
                         "topic.metadata.propagation.max.ms": 1000})
    errors, offsets = [], []

    def delivered(err, msg):
        if err is not None:
            errors.append(err)
        else:
            offsets.append((msg.partition(), msg.offset()))

    for v in values:
        producer.produce(topic, value=v, on_delivery=delivered)
    remaining = producer.flush(TIMEOUT + 5)
    return errors, offsets, remaining


class AutoCreateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker("--default-partitions", "3").start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop_checked()

    def test_kcat_produce_creates_the_topic(self):
        r = self.broker.kcat("-P", "-t", "ac-kcat", "-p", "2", input="one\ntwo\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.broker.kcat("-L", "-t", "ac-kcat")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('topic "ac-kcat" with 3 partitions:', r.stdout)
        self.assertNotIn("Broker:", r.stdout)  # no error on the topic
        r = self.broker.kcat("-C", "-t", "ac-kcat", "-p", "2", "-o", "beginning", "-e",
                             "-f", "%p %o %s\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ["2 0 one", "2 1 two"])

    def test_confluent_producer_creates_the_topic(self):
        errors, offsets, remaining = confluent_produce(self.broker.bootstrap, "ac-confluent",
                                                       [b"a", b"b", b"c"])
        self.assertEqual((errors, remaining), ([], 0))
        self.assertEqual(len(offsets), 3)
        md = AdminClient({"bootstrap.servers": self.broker.bootstrap}).list_topics(
            topic="ac-confluent", timeout=TIMEOUT)
        self.assertIsNone(md.topics["ac-confluent"].error)
        self.assertEqual(sorted(md.topics["ac-confluent"].partitions), [0, 1, 2])

    def test_kafka_python_producer_creates_the_topic(self):
        from kafka import KafkaProducer

        producer = KafkaProducer(bootstrap_servers=self.broker.bootstrap,
                                 max_block_ms=int(TIMEOUT * 1000),
                                 request_timeout_ms=int(TIMEOUT * 1000))
        try:
            md = producer.send("ac-kafka-python", value=b"x").get(timeout=TIMEOUT)
            self.assertEqual(producer.partitions_for("ac-kafka-python"), {0, 1, 2})
        finally:
            producer.close(5)
        self.assertEqual(md.offset, 0)


class NoAutoCreateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker("--no-auto-create").start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop_checked()

    def test_kcat_metadata_reports_an_unknown_topic(self):
        r = self.broker.kcat("-L", "-t", "nope")
        self.assertIn('topic "nope" with 0 partitions: Broker: Unknown topic or partition',
                      r.stdout, r.stdout + r.stderr)
        r = self.broker.kcat("-L")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn('"nope"', r.stdout, "the metadata request created the topic")

    def test_confluent_metadata_and_producer_report_unknown_topic(self):
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        md = admin.list_topics(topic="nope-confluent", timeout=TIMEOUT)
        err = md.topics["nope-confluent"].error
        self.assertIsNotNone(err)
        self.assertEqual(err.code(), KafkaError.UNKNOWN_TOPIC_OR_PART)
        errors, offsets, remaining = confluent_produce(self.broker.bootstrap, "nope-confluent",
                                                       [b"lost"])
        self.assertEqual((offsets, remaining), ([], 0))
        self.assertEqual([e.code() for e in errors], [KafkaError.UNKNOWN_TOPIC_OR_PART])
        md = admin.list_topics(timeout=TIMEOUT)
        self.assertNotIn("nope-confluent", md.topics)

    def test_kafka_python_producer_cannot_send_to_an_unknown_topic(self):
        from kafka import KafkaProducer
        from kafka.errors import KafkaTimeoutError

        producer = KafkaProducer(bootstrap_servers=self.broker.bootstrap, max_block_ms=3000,
                                 request_timeout_ms=int(TIMEOUT * 1000))
        try:
            with self.assertRaises(KafkaTimeoutError):  # metadata never lists the topic
                producer.send("nope-kafka-python", value=b"x")
        finally:
            producer.close(5)

    def test_created_topics_still_work(self):
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        futures = admin.create_topics([NewTopic("made-by-admin", 2, 1)], request_timeout=TIMEOUT)
        self.assertIsNone(futures["made-by-admin"].result(timeout=TIMEOUT))
        errors, offsets, remaining = confluent_produce(self.broker.bootstrap, "made-by-admin",
                                                       [b"ok"])
        self.assertEqual((errors, remaining), ([], 0))
        self.assertEqual(len(offsets), 1)


if __name__ == "__main__":
    rivulet_broker.main()
