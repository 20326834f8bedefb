#!/usr/bin/env python3
"""Static group membership (KIP-345) and the MEMBER_ID_REQUIRED round trip (KIP-394) with
confluent-kafka 1.7.0 (librdkafka 2.0.2, JoinGroup v5, SyncGroup and Heartbeat v3) against a
real Rivulet broker.

- Two consumers with distinct group.instance.id share a topic's partitions. One closes:
  librdkafka sends no LeaveGroup for a static member, and the broker keeps it in the group.
  It restarts with the same group.instance.id within its session timeout: it gets its old
  partitions back under a new member id, and the other member sees no rebalance (its
  assignment callbacks do not fire again).
- A static member that does not come back is removed after its session timeout, and the
  other member then gets every partition.
- A consumer without group.instance.id is first answered MEMBER_ID_REQUIRED (79), joins
  with the id it was given and consumes.

Usage: test_static_membership.py PATH/TO/rivulet [PATH/TO/rivulet-cli]
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

from confluent_kafka import Consumer, Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

TIMEOUT = 10.0
GROUP_TIMEOUT = 30.0  # a group's first round waits 3 s
SESSION_TIMEOUT_MS = 6000
PARTITIONS = 4


class LogLines(logging.Handler):
    """Collects librdkafka's log lines (its `logger` config takes a logging.Logger)."""

    def __init__(self):
        super().__init__()
        self.lines_lock = threading.Lock()  # (self.lock is the Handler's, held around emit)
        self.lines = []

    def emit(self, record):
        with self.lines_lock:
            self.lines.append(record.getMessage())

    def snapshot(self):
        with self.lines_lock:
            return list(self.lines)


class Member:
    """A subscribed consumer polled by its own thread, which records its assignment
    callbacks and the records it consumed, and closes it (consumer.close()) on stop()."""

    _count = 0

    def __init__(self, broker, group, topic, instance_id=None, debug=None):
        Member._count += 1
        self.name = instance_id or f"dynamic-{Member._count}"
        config = {"bootstrap.servers": broker.bootstrap, "group.id": group,
                  "client.id": self.name, "session.timeout.ms": SESSION_TIMEOUT_MS,
                  "heartbeat.interval.ms": 300, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False}
        if instance_id:
            config["group.instance.id"] = instance_id
        self.log = LogLines()
        if debug:
            logger = logging.getLogger(f"rdkafka.{self.name}.{Member._count}")
            logger.propagate = False
            logger.setLevel(logging.DEBUG)
            logger.addHandler(self.log)
            config.update({"debug": debug, "logger": logger})
        self.consumer = Consumer(config)
        self.lock = threading.Lock()
        self.events = []  # ("assign" | "revoke", sorted partitions)
        self.assigned = set()
        self.records = []  # (partition, value)
        self.errors = []
        self._stop = threading.Event()
        self.consumer.subscribe([topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _on_assign(self, consumer, partitions):
        with self.lock:
            self.assigned = {p.partition for p in partitions}
            self.events.append(("assign", sorted(self.assigned)))

    def _on_revoke(self, consumer, partitions):
        with self.lock:
            self.assigned = set()
            self.events.append(("revoke", sorted(p.partition for p in partitions)))

    def _run(self):
        try:
            while not self._stop.is_set():
                msg = self.consumer.poll(0.1)
                if msg is None:
                    continue
                if msg.error():
                    with self.lock:
                        self.errors.append(str(msg.error()))
                    continue
                with self.lock:
                    self.records.append((msg.partition(), msg.value()))
        finally:
            self.consumer.close()

    def stop(self):
        """Closes the consumer: a static member's close sends no LeaveGroup."""
        self._stop.set()
        self.thread.join(TIMEOUT)
        if self.thread.is_alive():
            raise AssertionError(f"consumer {self.name} did not close within {TIMEOUT} s")

    def snapshot(self):
        with self.lock:
            return list(self.events), set(self.assigned), list(self.records)


class StaticMembershipTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()
        cls.admin = AdminClient({"bootstrap.servers": cls.broker.bootstrap})

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop_checked()

    def setUp(self):
        self.members = []

    def tearDown(self):
        for m in self.members:
            if m.thread.is_alive():
                try:
                    m.stop()
                except AssertionError:
                    pass

    def member(self, *args, **kwargs):
        m = Member(self.broker, *args, **kwargs)
        self.members.append(m)
        return m

    def create_topic(self, name):
        futures = self.admin.create_topics([NewTopic(name, PARTITIONS, 1)],
                                           request_timeout=TIMEOUT)
        self.assertIsNone(futures[name].result(timeout=TIMEOUT))

    def produce(self, topic, count, prefix):
        producer = Producer({"bootstrap.servers": self.broker.bootstrap,
                             "message.timeout.ms": int(TIMEOUT * 1000)})
        for i in range(count):
            producer.produce(topic, value=f"{prefix}-{i}".encode(), partition=i % PARTITIONS)
        self.assertEqual(producer.flush(TIMEOUT), 0)
        return {f"{prefix}-{i}".encode(): i % PARTITIONS for i in range(count)}

    def group_members(self, group):
        """The group's member ids, as DescribeGroups reports them."""
        groups = self.admin.list_groups(group, timeout=TIMEOUT)
        self.assertEqual(len(groups), 1)
        return {m.id for m in groups[0].members}

    def wait_shared(self, a, b, what):
        """Waits until a and b together hold every partition, each a share of them."""
        def shared():
            sa, sb = a.snapshot()[1], b.snapshot()[1]
            return (sa and sb and not sa & sb and sa | sb == set(range(PARTITIONS))
                    and (sa, sb))
        return wait_until(shared, GROUP_TIMEOUT, what)

    def test_a_static_member_comes_back_without_a_rebalance(self):
        topic, group = "static-back", "static-back-group"
        self.create_topic(topic)
        # a first, so that it is the group's leader (the harder case: back under a new id,
        # it must not take itself for the leader of the generation it rejoins)
        a = self.member(group, topic, instance_id="instance-a", debug="cgrp")
        wait_until(lambda: a.snapshot()[1] == set(range(PARTITIONS)), GROUP_TIMEOUT,
                   "the first member's assignment")
        b = self.member(group, topic, instance_id="instance-b")
        self.wait_shared(a, b, "both static members to get a share of the partitions")
        time.sleep(1.0)
        a_parts = a.snapshot()[1]
        b_events, b_parts, _ = b.snapshot()
        before = self.group_members(group)
        self.assertEqual(len(before), 2, before)
        (old_a,) = [m for m in before if m.startswith("instance-a-")]
        (b_id,) = [m for m in before if m.startswith("instance-b-")]
        self.assertTrue([line for line in a.log.snapshot() if "(me)" in line and old_a in line],
                        "the first member leads the group")

        # a closes: librdkafka sends no LeaveGroup for a static member, and the broker
        # keeps it (until its session times out)
        a.stop()
        self.assertFalse([line for line in a.log.snapshot() if "LeaveGroup" in line],
                         "a static member's close sent LeaveGroup")
        self.assertEqual(self.group_members(group), before)

        # back within its session timeout, with the same group.instance.id
        a2 = self.member(group, topic, instance_id="instance-a")
        wait_until(lambda: a2.snapshot()[1], GROUP_TIMEOUT, "the restarted member's assignment")
        self.assertEqual(a2.snapshot()[1], a_parts, "it gets its old partitions back")
        # the same two members, the restarted one under a new member id
        after = self.group_members(group)
        self.assertEqual(len(after), 2, after)
        self.assertIn(b_id, after)
        (new_a,) = after - {b_id}
        self.assertTrue(new_a.startswith("instance-a-") and new_a != old_a, (before, after))

        # both consume what is produced now, each from its own partitions
        expected = self.produce(topic, 40, "after")

        def consumed():
            got = {}
            for m in (a2, b):
                for partition, value in m.snapshot()[2]:
                    if value in expected:
                        got[value] = (m, partition)
            return len(got) == len(expected) and got
        got = wait_until(consumed, TIMEOUT * 2, "the records produced after the restart")
        for value, (m, partition) in got.items():
            self.assertEqual(partition, expected[value])
            self.assertIn(partition, a_parts if m is a2 else b_parts)

        # no rebalance for the other member: its callbacks did not fire again
        time.sleep(2.0)
        events, parts, _ = b.snapshot()
        self.assertEqual(events, b_events, "the other static member saw a rebalance")
        self.assertEqual(parts, b_parts)
        self.assertEqual(a2.snapshot()[0], [("assign", sorted(a_parts))])
        self.assertEqual(self.group_members(group), after)
        a2.stop()
        b.stop()

    def test_a_static_member_that_stays_away_is_removed_after_its_session(self):
        topic, group = "static-gone", "static-gone-group"
        self.create_topic(topic)
        a = self.member(group, topic, instance_id="gone-a")
        b = self.member(group, topic, instance_id="gone-b")
        self.wait_shared(a, b, "both static members to get a share of the partitions")
        time.sleep(1.0)
        closed_at = time.monotonic()
        a.stop()
        # b keeps its share until a's session is over, then gets every partition
        self.assertEqual(len(self.group_members(group)), 2)
        wait_until(lambda: b.snapshot()[1] == set(range(PARTITIONS)),
                   SESSION_TIMEOUT_MS / 1000 + GROUP_TIMEOUT,
                   "the remaining member to get every partition")
        self.assertGreater(time.monotonic() - closed_at, SESSION_TIMEOUT_MS / 1000 - 1.5)
        self.assertEqual(len(self.group_members(group)), 1)
        b.stop()

    def test_a_dynamic_member_joins_after_member_id_required(self):
        topic, group = "dynamic-join", "dynamic-join-group"
        self.create_topic(topic)
        expected = self.produce(topic, 20, "dyn")
        c = self.member(group, topic, debug="cgrp")
        wait_until(lambda: c.snapshot()[1] == set(range(PARTITIONS)), GROUP_TIMEOUT,
                   "the dynamic member's assignment")
        wait_until(lambda: {v for _, v in c.snapshot()[2]} >= set(expected), TIMEOUT * 2,
                   "the dynamic member to consume every record")
        log = c.log.snapshot()
        # the first JoinGroup (v5, no member id) is answered 79 with an id to join with
        required = [line for line in log if "needs a valid member ID" in line]
        self.assertTrue(required, "\n".join(line for line in log if "JoinGroup" in line))
        members = self.group_members(group)
        self.assertEqual(len(members), 1)
        self.assertTrue(any(f'member id "{m}"' in line for m in members for line in log),
                        "it joined with the id the broker gave it")
        c.stop()


if __name__ == "__main__":
    rivulet_broker.main()
