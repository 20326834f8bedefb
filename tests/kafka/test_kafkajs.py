#!/usr/bin/env python3
"""kafkajs 2.2.4 (Node.js, from npm) against a real Rivulet broker: admin create, describe
and delete; a producer with keys, headers, an explicit partition and a gzip batch; a
consumer group reading everything and committing; a rejoining member reading nothing new;
two members splitting the partitions; and, after the broker restarts on the same
--data-dir, the log and the group's commits intact. The checks themselves are assertions
in kafkajs/scenario.js; this script runs the broker around it.

kafkajs is installed by scripts/setup.sh (npm ci in tests/kafka/kafkajs).

Usage: test_kafkajs.py PATH/TO/rivulet [PATH/TO/rivulet-cli]
"""

import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Broker, TempDir, run  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafkajs")
SCENARIO_TIMEOUT = 150  # each step in the scenario has its own 30 s deadline
# kafkajs 2 warns at every producer that its default partitioner changed in 2.0
os.environ["KAFKAJS_NO_PARTITIONER_WARNING"] = "1"


class KafkaJs(unittest.TestCase):
    def setUp(self):
        self.node = shutil.which("node")
        self.assertIsNotNone(self.node, "node is missing: run scripts/setup.sh")
        self.assertTrue(os.path.isdir(os.path.join(HERE, "node_modules", "kafkajs")),
                        "kafkajs is missing: run scripts/setup.sh (npm ci in tests/kafka/kafkajs)")

    def scenario(self, mode, broker):
        result = run([self.node, os.path.join(HERE, "scenario.js"), mode, broker.bootstrap],
                     timeout=SCENARIO_TIMEOUT)
        print(result.stdout, end="")
        self.assertEqual(result.returncode, 0,
                         f"scenario {mode} failed:\n{result.stdout}\n{result.stderr}\n"
                         f"broker log:\n{broker.log_tail()}")
        return result.stdout

    def test_kafkajs_end_to_end_and_after_a_restart(self):
        data = TempDir()
        broker = Broker(data_dir=data.path).start()
        try:
            out = self.scenario("main", broker)
            self.assertIn("consumed: 60 messages", out)
            self.assertIn("rejoining reads nothing new", out)
        finally:
            broker.stop_checked()
        broker = Broker(data_dir=data.path).start()
        try:
            out = self.scenario("after-restart", broker)
            self.assertIn("log and commits intact", out)
        finally:
            broker.stop_checked()


if __name__ == "__main__":
    rivulet_broker.main()
