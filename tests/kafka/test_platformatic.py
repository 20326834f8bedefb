#!/usr/bin/env python3
"""@platformatic/kafka (Node.js, from npm) against a real Rivulet broker. The client speaks
only flexible versions (KIP-482) for nearly every API, so this is the end-to-end check of
Rivulet's flexible encodings with a client that has no older ones to fall back on: admin
create (with partitions), list and delete; a producer sending keyed messages with headers
to every partition; a consumer group reading them from the beginning and committing; a
second run of the group getting nothing new; every key, value and header byte for byte;
and Produce and Fetch at flexible versions.

kafkajs/scenario.js-style: the steps run in platformatic/scenario.js (node), which prints
one JSON object with each step's result or error, the versions of every API it used and
every request that failed; this script starts the broker, runs it once and asserts on that
JSON, one test per part of the scenario.

@platformatic/kafka is installed by scripts/setup.sh (npm ci in tests/kafka/platformatic).

Usage: test_platformatic.py PATH/TO/rivulet [PATH/TO/rivulet-cli]
"""

import json
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Broker, run  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "platformatic")
PACKAGE = os.path.join(HERE, "node_modules", "@platformatic", "kafka")
SCENARIO_TIMEOUT = 150  # each step in the scenario has its own 30 s deadline
MESSAGES = 60
PARTITIONS = 3


class Platformatic(unittest.TestCase):
    """Runs scenario.js once against one broker; each test checks one part of its report."""

    @classmethod
    def setUpClass(cls):
        node = shutil.which("node")
        if node is None:
            raise AssertionError("node is missing: run scripts/setup.sh")
        if not os.path.isfile(os.path.join(PACKAGE, "package.json")):
            raise AssertionError("@platformatic/kafka is missing: run scripts/setup.sh "
                                 "(npm ci in tests/kafka/platformatic)")
        cls.broker = Broker().start()
        try:
            cls.proc = run([node, os.path.join(HERE, "scenario.js"), cls.broker.bootstrap],
                           timeout=SCENARIO_TIMEOUT)
        finally:
            cls.broker_rc = cls.broker.stop()
        print(cls.proc.stdout, end="")
        lines = cls.proc.stdout.strip().splitlines()
        cls.report = None
        if lines:
            try:
                cls.report = json.loads(lines[-1])
            except ValueError:
                pass

    def context(self):
        return (f"scenario exit {self.proc.returncode}\n--- stdout\n{self.proc.stdout}\n"
                f"--- stderr\n{self.proc.stderr}\n--- broker log\n{self.broker.log_tail()}")

    def reported(self):
        self.assertIsNotNone(self.report, "scenario.js printed no JSON report\n" + self.context())
        return self.report

    def step(self, name):
        """The named step's details; fails with its error, or with the step that stopped the
        scenario before it."""
        report = self.reported()
        for s in report["steps"]:
            if s["name"] == name:
                if not s["ok"]:
                    self.fail(f"step {name!r} failed:\n{json.dumps(s['error'], indent=2)}\n"
                              f"requests that failed:\n"
                              f"{json.dumps(report['requestErrors'], indent=2)}")
                return s["details"]
        failed = [s for s in report["steps"] if not s["ok"]]
        self.fail(f"step {name!r} was not reached" +
                  (f"; {failed[0]['name']!r} failed first:\n"
                   f"{json.dumps(failed[0]['error'], indent=2)}" if failed else "") +
                  "\n" + self.context())

    # -- the scenario as a whole ------------------------------------------------------------
    def test_broker_exited_cleanly(self):
        self.assertEqual(self.broker_rc, 0, f"rivulet exited with {self.broker_rc} on SIGTERM:\n"
                                            f"{self.broker.log_tail()}")

    def test_every_step_passed(self):
        report = self.reported()
        self.assertEqual(report["client"]["name"], "@platformatic/kafka")
        failed = [s["name"] for s in report["steps"] if not s["ok"]]
        self.assertEqual(failed, [], self.context())
        self.assertTrue(report["ok"], self.context())
        self.assertEqual(self.proc.returncode, 0, self.context())
        self.assertEqual(len(report["steps"]), 8, "every step ran")

    # -- admin ------------------------------------------------------------------------------
    def test_admin_creates_lists_and_deletes_topics(self):
        created = self.step("admin: create topics")["created"]
        self.assertEqual([(t["name"], t["partitions"]) for t in created],
                         [("plt-orders", PARTITIONS), ("plt-doomed", 1)])
        self.assertNotEqual(created[0]["id"], "00000000-0000-0000-0000-000000000000")
        self.step("admin: creating an existing topic fails with TOPIC_ALREADY_EXISTS")
        listed = self.step("admin: list topics and their metadata")
        self.assertIn("plt-orders", listed["topics"])
        self.assertIn("plt-doomed", listed["topics"])
        self.assertEqual(listed["partitions"], PARTITIONS)
        self.assertEqual(self.step("admin: delete a topic")["topics"], ["plt-orders"])

    # -- producer ---------------------------------------------------------------------------
    def test_producer_writes_keyed_messages_with_headers_to_every_partition(self):
        produced = self.step("producer: keyed messages with headers to several partitions")
        high = {int(p): n for p, n in produced["high"].items()}
        self.assertEqual(sorted(high), list(range(PARTITIONS)))
        self.assertEqual(sum(high.values()), MESSAGES)
        self.assertTrue(all(n > 0 for n in high.values()), high)

    # -- consumer group ---------------------------------------------------------------------
    def test_group_reads_every_message_exactly_as_sent(self):
        consumed = self.step("consumer: a group reads everything from the beginning, "
                             "exactly as sent")
        self.assertEqual(consumed["consumed"], MESSAGES)
        self.assertEqual(consumed["checked"], MESSAGES)  # key, value, headers, partition each

    def test_group_commits_and_a_second_run_gets_nothing_new(self):
        committed = self.step("consumer: the group committed the high watermarks")["committed"]
        self.assertEqual(sum(committed.values()), MESSAGES)
        again = self.step("consumer: a second run of the group gets nothing new")
        self.assertEqual(again["consumed"], 0)
        self.assertGreaterEqual(again["fetchesAfterJoin"], 2)

    # -- flexible versions ------------------------------------------------------------------
    def test_produce_and_fetch_use_flexible_versions(self):
        report = self.reported()
        if not report.get("versionsExposed"):
            self.skipTest("this client version does not expose the API versions it sends")
        flexible = report["flexible"]
        for api, first in (("Produce", 9), ("Fetch", 12)):
            self.assertIn(api, flexible, f"no {api} request was seen: {report['apiVersions']}")
            used = flexible[api]["used"]
            self.assertTrue(used and all(v >= first for v in used),
                            f"{api} versions {used}: flexible ones start at {first}")
        # and every other API it used, as far as the scenario's table knows them
        older = {api: f for api, f in flexible.items() if not f["allFlexible"]}
        self.assertEqual(older, {}, f"APIs used at non-flexible versions: {older}")


if __name__ == "__main__":
    rivulet_broker.main()
