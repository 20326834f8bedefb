#!/usr/bin/env python3
"""kcat (librdkafka 2.0.2) against a real Rivulet broker: metadata, produce with keys and
headers, consume from beginning / an offset / the end, the protocol features librdkafka
enables, consumer groups (resume, split, takeover) and the native <-> Kafka cross-check.

Usage: test_kcat.py PATH/TO/rivulet PATH/TO/rivulet-cli
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Background, Broker, wait_until  # noqa: E402

GROUP_TIMEOUT = 30  # a group's first round waits 3 s; a kcat -G run ends well within this


def assigned_partitions(stderr_lines):
    """The partitions a kcat -G member holds now, from its last 'rebalanced' line."""
    current = None
    for line in stderr_lines:
        if "rebalanced" not in line:
            continue
        if "assigned:" in line:
            current = {int(p) for p in re.findall(r"\[(\d+)\]", line.split("assigned:", 1)[1])}
        elif "revoked:" in line:
            current = set()
    return current


class KcatTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop_checked()

    # -- helpers -----------------------------------------------------------------------------
    def kcat(self, *args, input=None, timeout=30, ok=True):
        r = self.broker.kcat(*args, input=input, timeout=timeout)
        if ok:
            self.assertEqual(r.returncode, 0, f"kcat {' '.join(args)} failed:\n{r.stderr}")
        return r

    def create(self, topic, partitions):
        r = self.broker.cli("create", topic, "--partitions", str(partitions))
        self.assertEqual(r.returncode, 0, r.stderr)

    def produce(self, topic, lines, *args):
        self.kcat("-P", "-t", topic, *args, input="".join(f"{line}\n" for line in lines))

    def consume(self, topic, *args):
        return self.kcat("-C", "-t", topic, "-e", *args).stdout.splitlines()

    def group_run(self, group, topic):
        """One `kcat -G GROUP -e` run: reads what the group has not consumed, then exits."""
        r = self.kcat("-G", group, "-X", "auto.offset.reset=earliest", "-e", "-f", "%p %o %s\n",
                      topic, timeout=GROUP_TIMEOUT)
        return r.stdout.splitlines()

    # -- metadata and features ---------------------------------------------------------------
    def test_metadata_lists_one_controller_broker_and_the_topics(self):
        self.create("kc-meta", 3)
        out = self.kcat("-L").stdout
        self.assertIn(" 1 brokers:", out)
        self.assertRegex(out, r"broker \d+ at %s:%d \(controller\)" %
                         (re.escape(self.broker.kafka_host), self.broker.kafka_port))
        self.assertIn('topic "kc-meta" with 3 partitions:', out)
        for p in range(3):
            self.assertRegex(out, rf"partition {p}, leader \d+, replicas: \d+, isrs: \d+")
        # the topic list is not limited to one topic
        self.create("kc-meta-2", 1)
        out = self.kcat("-L").stdout
        self.assertIn('topic "kc-meta" with 3 partitions:', out)
        self.assertIn('topic "kc-meta-2" with 1 partitions:', out)

    def test_librdkafka_enables_the_needed_features(self):
        for debug in ("feature", "feature,protocol"):
            with self.subTest(debug=debug):
                err = self.kcat("-L", "-d", debug).stderr
                for feature in ("MsgVer2", "BrokerGroupCoordinator", "BrokerBalancedConsumer"):
                    self.assertRegex(err, rf"Enabling feature {feature}\b",
                                     f"librdkafka did not enable {feature}:\n" +
                                     "\n".join(line for line in err.splitlines()
                                               if "feature" in line.lower()))
                self.assertNotRegex(err, r"Disabling feature (MsgVer2|BrokerGroupCoordinator|"
                                         r"BrokerBalancedConsumer)\b")

    # -- produce and consume -----------------------------------------------------------------
    def test_produce_keys_and_headers_then_consume_them(self):
        topic = "kc-keys"
        self.kcat("-P", "-t", topic, "-K:", "-H", "h=a", input="k1:v1\nk2:v2\n")
        lines = self.consume(topic, "-o", "beginning", "-f", "%k %s %h\n")
        self.assertEqual(lines, ["k1 v1 h=a", "k2 v2 h=a"])
        # two headers, each on every message of the run
        self.kcat("-P", "-t", topic, "-K:", "-H", "h1=x", "-H", "h2=yz", input="k3:v3\n")
        lines = self.consume(topic, "-o", "2", "-f", "%o %k %s %h\n")
        self.assertEqual(lines, ["2 k3 v3 h1=x,h2=yz"])

    def test_consume_from_beginning_an_offset_and_the_end(self):
        topic = "kc-offsets"
        self.produce(topic, ["m0", "m1", "m2", "m3"])
        self.assertEqual(self.consume(topic, "-o", "beginning", "-f", "%o %s\n"),
                         ["0 m0", "1 m1", "2 m2", "3 m3"])
        self.assertEqual(self.consume(topic, "-o", "1", "-f", "%o %s\n"),
                         ["1 m1", "2 m2", "3 m3"])
        self.assertEqual(self.consume(topic, "-o", "3", "-f", "%o %s\n"), ["3 m3"])
        self.assertEqual(self.consume(topic, "-o", "-2", "-f", "%o %s\n"), ["2 m2", "3 m3"])
        r = self.kcat("-C", "-t", topic, "-o", "end", "-e", "-f", "%o %s\n")
        self.assertEqual(r.stdout, "", "-o end -e printed messages")
        self.assertIn("Reached end of topic kc-offsets [0] at offset 4", r.stderr)

    # -- consumer groups ---------------------------------------------------------------------
    def test_group_reads_to_the_end_and_then_only_what_is_new(self):
        topic = "kc-group1"
        self.produce(topic, ["g0", "g1", "g2"])
        self.assertEqual(self.group_run("g1", topic), ["0 0 g0", "0 1 g1", "0 2 g2"])
        self.assertEqual(self.group_run("g1", topic), [], "the group's second run re-read messages")
        self.produce(topic, ["g3", "g4"])
        self.assertEqual(self.group_run("g1", topic), ["0 3 g3", "0 4 g4"])
        # another group starts from the beginning on its own
        self.assertEqual(len(self.group_run("g1-other", topic)), 5)

    def test_two_group_members_split_partitions_and_one_takes_over(self):
        topic, group = "kc-group2", "g2"
        self.create(topic, 4)
        for p in range(4):
            self.produce(topic, [f"a{p}"], "-p", str(p))
        # Offsets are committed only when partitions are revoked or the member closes (the
        # interval is far longer than the test), so those commits are what is checked below.
        cmd = ["kcat", "-b", self.broker.bootstrap, "-G", group, "-u", "-f", "%p %o %s\n",
               "-X", "auto.offset.reset=earliest", "-X", "heartbeat.interval.ms=500",
               "-X", "auto.commit.interval.ms=60000", topic]
        m1, m2 = Background(cmd), Background(cmd)
        try:
            def split():
                a1, a2 = assigned_partitions(m1.stderr()), assigned_partitions(m2.stderr())
                return (a1 and a2 and not (a1 & a2) and a1 | a2 == {0, 1, 2, 3}) and (a1, a2)

            try:
                first, second = wait_until(split, GROUP_TIMEOUT, "the two members to split 4 "
                                           "partitions")
            except AssertionError as e:
                raise AssertionError(f"{e}\n{m1.describe()}\n{m2.describe()}") from None

            def printed(member):
                return {line for line in member.stdout() if line}

            def expected(parts, prefix, offset):
                return {f"{p} {offset} {prefix}{p}" for p in parts}

            wait_until(lambda: printed(m1) == expected(first, "a", 0) and
                       printed(m2) == expected(second, "a", 0), GROUP_TIMEOUT,
                       "each member to print the messages of its own partitions")

            rc = m1.terminate()
            self.assertEqual(rc, 0, f"kcat member 1 did not exit cleanly on SIGTERM\n"
                                    f"{m1.describe()}")
            self.assertTrue(any("revoked:" in line for line in m1.stderr()), m1.describe())

            try:
                wait_until(lambda: assigned_partitions(m2.stderr()) == {0, 1, 2, 3},
                           GROUP_TIMEOUT, "member 2 to take over all 4 partitions")
            except AssertionError as e:
                raise AssertionError(f"{e}\n{m2.describe()}") from None

            for p in range(4):
                self.produce(topic, [f"b{p}"], "-p", str(p))
            want = expected(second, "a", 0) | expected(range(4), "b", 1)
            try:
                wait_until(lambda: expected(range(4), "b", 1) <= printed(m2), GROUP_TIMEOUT,
                           "member 2 to print the new message of every partition")
            except AssertionError as e:
                raise AssertionError(f"{e}\n{m2.describe()}") from None
            # nothing re-delivered: member 1 committed on close, member 2 on revoke
            lines = [line for line in m2.stdout() if line]
            self.assertEqual(sorted(lines), sorted(want),
                             f"member 2 printed messages twice or extra ones\n{m2.describe()}")
            # librdkafka commits the revoked partitions while the group rebalances; Kafka
            # accepts that commit (it refuses only while awaiting the leader's SyncGroup)
            failed = [line for line in m2.stderr() if "COMMITFAIL" in line]
            self.assertEqual(failed, [], "the broker refused a group member's offset commit "
                                         "during the rebalance")
        finally:
            m1.terminate()
            m2.terminate()

    # -- native <-> Kafka --------------------------------------------------------------------
    def test_native_and_kafka_clients_read_each_others_messages(self):
        topic = "kc-cross"
        self.create(topic, 2)
        r = self.broker.cli("produce", topic, "--partition", "1", "native-1", "native-2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.consume(topic, "-p", "1", "-o", "beginning", "-f", "%o %s\n"),
                         ["0 native-1", "1 native-2"])
        self.produce(topic, ["kafka-1", "kafka-2", "kafka-3"], "-p", "0")
        self.produce(topic, ["kafka-4"], "-p", "1")
        r = self.broker.cli("consume", topic, "--partition", "0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ["kafka-1", "kafka-2", "kafka-3"])
        r = self.broker.cli("consume", topic, "--partition", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ["native-1", "native-2", "kafka-4"])


if __name__ == "__main__":
    rivulet_broker.main()
