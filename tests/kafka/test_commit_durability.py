#!/usr/bin/env python3
"""Acknowledged offset commits survive kill -9 (the commit journal, docs/ARCHITECTURE.md).

groups.json and consumers.json are rewritten every 2 s; before the journal, a crash lost the
commits of the last 2 s. Each test commits, kills the broker with SIGKILL at once (well inside
those 2 s), restarts it on the same data directory and checks that every acknowledged commit
is there:

- Kafka: confluent-kafka (librdkafka) commits explicit offsets synchronously, one after another
  across three partitions and two groups, and kafka-python deletes a third group; under
  --fsync interval and --fsync always.
- Native: rivulet-cli consumes with a consumer id; its position is there after the restart.

Usage: test_commit_durability.py PATH/TO/rivulet [PATH/TO/rivulet-cli]
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Broker, TempDir  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
from kafka.admin import KafkaAdminClient  # noqa: E402
from kafka.errors import NoError  # noqa: E402

TIMEOUT = 15.0
PARTITIONS = 3
COMMITS = 120


class CommitDurability(unittest.TestCase):
    def setUp(self):
        self.data = TempDir()
        self.broker = None

    def tearDown(self):
        if self.broker is not None:
            self.broker.kill()

    def start(self, *args):
        self.broker = Broker(*args, data_dir=self.data.path).start()
        return self.broker

    def consumer(self, group, close_at_end=True):
        c = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": group,
                      "enable.auto.commit": False, "socket.timeout.ms": 10000,
                      "log_level": 2})
        if close_at_end:
            self.addCleanup(c.close)
        return c

    def committed(self, group, topic):
        c = self.consumer(group)
        tps = c.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=TIMEOUT)
        return {tp.partition: tp.offset for tp in tps}

    def fill(self, topic):
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        for future in admin.create_topics([NewTopic(topic, PARTITIONS, 1)]).values():
            future.result(TIMEOUT)
        p = Producer({"bootstrap.servers": self.broker.bootstrap})
        for i in range(PARTITIONS * COMMITS):
            p.produce(topic, value=b"v%d" % i, partition=i % PARTITIONS)
        self.assertEqual(p.flush(TIMEOUT), 0)

    def commit_then_crash(self, *broker_args):
        self.start(*broker_args)
        self.fill("t")
        acknowledged = {"g1": {}, "g2": {}}
        members = {g: self.consumer(g) for g in acknowledged}
        gone = self.consumer("gone", close_at_end=False)
        answer = gone.commit(offsets=[TopicPartition("t", 0, 5)], asynchronous=False)
        self.assertIsNone(answer[0].error)
        for i in range(1, COMMITS + 1):
            group = "g1" if i % 2 else "g2"
            partition = i % PARTITIONS
            answer = members[group].commit(offsets=[TopicPartition("t", partition, i)],
                                           asynchronous=False)
            self.assertIsNone(answer[0].error, answer)
            acknowledged[group][partition] = i
        gone.close()
        # confluent-kafka 1.7 has no DeleteGroups; kafka-python's admin client does
        admin = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap,
                                 request_timeout_ms=int(TIMEOUT * 1000))
        self.addCleanup(admin.close)
        self.assertEqual(admin.delete_consumer_groups(["gone"]), [("gone", NoError)])
        self.assertEqual(self.broker.crash(), -9)
        self.broker.restart()
        for group, offsets in acknowledged.items():
            self.assertEqual(self.committed(group, "t"),
                             {p: offsets.get(p, -1001) for p in range(PARTITIONS)},
                             f"group {group} after kill -9; log:\n{self.broker.log_tail()}")
        self.assertEqual(self.committed("gone", "t")[0], -1001,
                         "a deleted group came back after kill -9")
        self.assertIn("offset changes from the commit journal", self.broker.log_tail(80))
        # and once more: the replayed commits were saved, so a second crash keeps them too
        self.assertEqual(self.broker.crash(), -9)
        self.broker.restart()
        self.assertEqual(self.committed("g1", "t"),
                         {p: acknowledged["g1"].get(p, -1001) for p in range(PARTITIONS)})

    def test_kafka_commits_survive_kill_9_fsync_interval(self):
        self.commit_then_crash()

    def test_kafka_commits_survive_kill_9_fsync_always(self):
        self.commit_then_crash("--fsync", "always")

    def test_native_position_survives_kill_9(self):
        self.start()
        self.assertEqual(self.broker.cli("create", "n", "--partitions", "2").returncode, 0)
        values = "\n".join(f"m{i}" for i in range(50)) + "\n"
        self.assertEqual(self.broker.cli("produce", "n", "--partition", "1",
                                         input=values).returncode, 0)
        read = self.broker.cli("consume", "n", "--partition", "1", "--count", "37",
                               "--consumer", "reader")
        self.assertEqual(read.returncode, 0, read.stderr)
        self.assertEqual(read.stdout.split(), [f"m{i}" for i in range(37)])
        self.assertEqual(self.broker.crash(), -9)
        self.broker.restart()
        listing = self.broker.cli("consumers")
        self.assertEqual(listing.returncode, 0, listing.stderr)
        rows = [line.split() for line in listing.stdout.splitlines() if "reader" in line]
        self.assertEqual(len(rows), 1, listing.stdout)
        self.assertTrue(re.search(r"\b37\b", " ".join(rows[0])),
                        f"position 37 not listed:\n{listing.stdout}")


if __name__ == "__main__":
    rivulet_broker.main()
