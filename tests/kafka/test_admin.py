#!/usr/bin/env python3
"""The admin APIs through the admin clients people use against Kafka, on a real Rivulet
broker: kafka-python 2.0.2's KafkaAdminClient (which guesses the broker's version from
ApiVersions and then uses ListGroups v2, DescribeGroups v3, DescribeConfigs v2, AlterConfigs
v1, DeleteTopics v3) and confluent-kafka 1.7.0's AdminClient (librdkafka 2.0.2: ListGroups and
DescribeGroups, DescribeConfigs v1, AlterConfigs, DeleteTopics). Groups are listed and
described while a consumer of each client is a member; topic and broker configs are
described; retention is altered; topics are deleted; kcat -L still reads the metadata.

Usage: test_admin.py PATH/TO/rivulet [PATH/TO/rivulet-cli]
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Broker, wait_until  # noqa: E402

from confluent_kafka import Consumer, KafkaError, KafkaException  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402
from confluent_kafka.admin import ConfigResource as CkConfigResource  # noqa: E402
from confluent_kafka.admin import NewTopic as CkNewTopic  # noqa: E402
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic  # noqa: E402
from kafka.errors import UnknownTopicOrPartitionError  # noqa: E402

TIMEOUT = 10.0
TIMEOUT_MS = int(TIMEOUT * 1000)
GROUP_TIMEOUT = 30.0  # a group's first round waits 3 s


class AdminTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()
        cls.bootstrap = cls.broker.bootstrap
        cls.kp_admin = KafkaAdminClient(bootstrap_servers=cls.bootstrap,
                                        request_timeout_ms=TIMEOUT_MS)
        cls.ck_admin = AdminClient({"bootstrap.servers": cls.bootstrap})
        brokers = cls.ck_admin.list_topics(timeout=TIMEOUT).brokers
        assert len(brokers) == 1, brokers
        cls.node_id = next(iter(brokers))

    @classmethod
    def tearDownClass(cls):
        cls.kp_admin.close()
        cls.ck_admin = None
        rc = cls.broker.stop()
        if rc != 0:
            raise AssertionError(f"rivulet exited with {rc} on SIGTERM:\n{cls.broker.log_tail()}")

    def setUp(self):
        self.closers = []

    def tearDown(self):
        for close in reversed(self.closers):
            try:
                close()
            except Exception:  # noqa: BLE001 - the test already has its verdict
                pass

    # -- helpers -----------------------------------------------------------------------------
    def create_topic(self, name, partitions=1):
        response = self.kp_admin.create_topics([NewTopic(name, partitions, 1)],
                                               timeout_ms=TIMEOUT_MS)
        self.assertEqual([(t, e) for t, e, *_ in response.topic_errors], [(name, 0)])

    def produce(self, topic, count):
        producer = KafkaProducer(bootstrap_servers=self.bootstrap, max_block_ms=TIMEOUT_MS)
        for i in range(count):
            producer.send(topic, f"v{i}".encode())
        producer.flush(TIMEOUT)
        producer.close(TIMEOUT)

    def kafka_python_member(self, topic, group):
        """A kafka-python consumer that stays in the group until the test ends."""
        consumer = KafkaConsumer(topic, bootstrap_servers=self.bootstrap, group_id=group,
                                 auto_offset_reset="earliest", enable_auto_commit=False,
                                 heartbeat_interval_ms=500, session_timeout_ms=10000,
                                 request_timeout_ms=TIMEOUT_MS + 5000)
        self.closers.append(lambda: consumer.close(autocommit=False))

        def assigned():
            consumer.poll(200)
            return consumer.assignment()
        wait_until(assigned, GROUP_TIMEOUT, f"kafka-python's assignment in {group}")
        return consumer

    def confluent_member(self, topic, group):
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                             "auto.offset.reset": "earliest", "enable.auto.commit": False,
                             "client.id": "admin-test-confluent"})
        self.closers.append(consumer.close)
        consumer.subscribe([topic])

        def assigned():
            consumer.poll(0.2)
            return consumer.assignment()
        wait_until(assigned, GROUP_TIMEOUT, f"confluent-kafka's assignment in {group}")
        return consumer

    def kp_topic_configs(self, topic, keys=None):
        """{name: (value, read_only, config_source)} from DescribeConfigs v2."""
        responses = self.kp_admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic,
                            configs=dict.fromkeys(keys) if keys else None)])
        self.assertEqual(len(responses), 1)
        self.assertEqual(responses[0].API_VERSION, 2)
        (error, message, rtype, name, entries), = responses[0].resources
        self.assertEqual((error, message, rtype, name), (0, None, 2, topic))
        return {e[0]: (e[1], e[2], e[3]) for e in entries}

    def ck_topic_configs(self, topic):
        futures = self.ck_admin.describe_configs([CkConfigResource("topic", topic)],
                                                 request_timeout=TIMEOUT)
        (future,) = futures.values()
        return {k: (v.value, v.source, v.is_read_only)
                for k, v in future.result(timeout=TIMEOUT).items()}

    # -- kafka-python --------------------------------------------------------------------------
    def test_kafka_python_guesses_2_5_and_matches_versions(self):
        # kafka-python 2.0.2 guesses a release from the ranges; 2.5 is the newest it knows
        self.assertEqual(self.kp_admin._client.check_version(), (2, 5, 0))
        from kafka.protocol.admin import (DeleteGroupsRequest, DeleteTopicsRequest,
                                          DescribeConfigsRequest, DescribeGroupsRequest,
                                          ListGroupsRequest)
        versions = {op[0].__name__: self.kp_admin._matching_api_version(op)
                    for op in (ListGroupsRequest, DescribeGroupsRequest,
                               DescribeConfigsRequest, DeleteTopicsRequest, DeleteGroupsRequest)}
        self.assertEqual(versions, {"ListGroupsRequest_v0": 2, "DescribeGroupsRequest_v0": 3,
                                    "DescribeConfigsRequest_v0": 2,
                                    "DeleteTopicsRequest_v0": 3, "DeleteGroupsRequest_v0": 1})

    def test_kafka_python_groups(self):
        self.create_topic("adm-kp-groups", 2)
        self.produce("adm-kp-groups", 4)
        self.kafka_python_member("adm-kp-groups", "adm-kp-group")

        groups = self.kp_admin.list_consumer_groups()
        self.assertIn(("adm-kp-group", "consumer"), groups)

        described = self.kp_admin.describe_consumer_groups(["adm-kp-group", "adm-kp-nobody"])
        self.assertEqual(len(described), 2)
        group, nobody = described
        self.assertEqual((group.error_code, group.group, group.state, group.protocol_type,
                          group.protocol), (0, "adm-kp-group", "Stable", "consumer", "range"))
        self.assertEqual(len(group.members), 1)
        member = group.members[0]
        self.assertTrue(member.member_id)
        self.assertTrue(member.client_id.startswith("kafka-python"), member.client_id)
        self.assertEqual(member.client_host, "127.0.0.1")
        self.assertEqual(member.member_metadata.subscription, ["adm-kp-groups"])
        self.assertEqual([(t, sorted(p)) for t, p in member.member_assignment.assignment],
                         [("adm-kp-groups", [0, 1])])
        self.assertEqual((nobody.error_code, nobody.group, nobody.state, nobody.members),
                         (0, "adm-kp-nobody", "Dead", []))

    def test_kafka_python_delete_groups(self):
        self.create_topic("adm-kp-delete-groups", 1)
        self.produce("adm-kp-delete-groups", 2)
        member = self.kafka_python_member("adm-kp-delete-groups", "adm-kp-doomed")
        member.commit()
        # not while it has a member; an unknown group is not found
        result = dict(self.kp_admin.delete_consumer_groups(["adm-kp-doomed", "adm-kp-nobody"]))
        self.assertEqual(result["adm-kp-doomed"].errno, 68)  # NON_EMPTY_GROUP
        self.assertEqual(result["adm-kp-nobody"].errno, 69)  # GROUP_ID_NOT_FOUND
        member.close(autocommit=False)
        wait_until(lambda: ("adm-kp-doomed", "consumer") in self.kp_admin.list_consumer_groups()
                   and not self.kp_admin.describe_consumer_groups(["adm-kp-doomed"])[0].members,
                   TIMEOUT, "the member to leave")
        ((group, error),) = self.kp_admin.delete_consumer_groups(["adm-kp-doomed"])
        self.assertEqual((group, error.errno), ("adm-kp-doomed", 0))
        self.assertNotIn(("adm-kp-doomed", "consumer"), self.kp_admin.list_consumer_groups())
        # its commit went with it (OffsetFetch v1 needs the partitions named)
        tp = TopicPartition("adm-kp-delete-groups", 0)
        offsets = self.kp_admin.list_consumer_group_offsets("adm-kp-doomed", partitions=[tp])
        self.assertEqual(offsets[tp].offset, -1)

    def test_kafka_python_configs(self):
        self.create_topic("adm-kp-configs")
        configs = self.kp_topic_configs("adm-kp-configs")
        self.assertEqual(configs["retention.ms"], ("-1", False, 5))
        self.assertEqual(configs["retention.bytes"], ("-1", False, 5))
        self.assertEqual(configs["cleanup.policy"], ("delete", True, 5))
        self.assertIn("segment.bytes", configs)

        response = self.kp_admin.alter_configs([ConfigResource(
            ConfigResourceType.TOPIC, "adm-kp-configs",
            configs={"retention.ms": "3600000", "retention.bytes": "1048576"})])
        self.assertEqual(response.resources, [(0, None, 2, "adm-kp-configs")])
        configs = self.kp_topic_configs("adm-kp-configs", ["retention.ms", "retention.bytes"])
        self.assertEqual(configs, {"retention.ms": ("3600000", False, 1),
                                   "retention.bytes": ("1048576", False, 1)})

        # something Rivulet cannot do is refused with INVALID_CONFIG, and changes nothing
        response = self.kp_admin.alter_configs([ConfigResource(
            ConfigResourceType.TOPIC, "adm-kp-configs", configs={"cleanup.policy": "compact"})])
        self.assertEqual(response.resources[0][0], 40)
        self.assertEqual(self.kp_topic_configs("adm-kp-configs", ["retention.ms"]),
                         {"retention.ms": ("3600000", False, 1)})

        # the broker's own settings, by node id
        (response,) = self.kp_admin.describe_configs(
            [ConfigResource(ConfigResourceType.BROKER, str(self.node_id))])
        (error, _, rtype, name, entries), = response.resources
        self.assertEqual((error, rtype, name), (0, 4, str(self.node_id)))
        broker = {e[0]: e[1] for e in entries}
        self.assertEqual(broker["num.partitions"], "1")
        self.assertEqual(broker["auto.create.topics.enable"], "true")

        # an unknown topic: error 3 for that resource
        (response,) = self.kp_admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, "adm-kp-missing")])
        self.assertEqual(response.resources[0][0], 3)

    def test_kafka_python_delete_topics(self):
        self.create_topic("adm-kp-delete", 2)
        self.produce("adm-kp-delete", 2)
        response = self.kp_admin.delete_topics(["adm-kp-delete"], timeout_ms=TIMEOUT_MS)
        self.assertEqual(response.topic_error_codes, [("adm-kp-delete", 0)])
        self.assertNotIn("adm-kp-delete", self.kp_admin.list_topics())
        # kafka-python raises on any per-topic error; the response says which one
        self.create_topic("adm-kp-delete-2")
        with self.assertRaises(UnknownTopicOrPartitionError) as caught:
            self.kp_admin.delete_topics(["adm-kp-delete-2", "adm-kp-never"],
                                        timeout_ms=TIMEOUT_MS)
        self.assertIn("(topic='adm-kp-delete-2', error_code=0), "
                      "(topic='adm-kp-never', error_code=3)", str(caught.exception))
        self.assertNotIn("adm-kp-delete-2", self.kp_admin.list_topics())

    # -- confluent-kafka -----------------------------------------------------------------------
    def test_confluent_groups(self):
        futures = self.ck_admin.create_topics([CkNewTopic("adm-ck-groups", 1, 1)],
                                              request_timeout=TIMEOUT)
        self.assertIsNone(futures["adm-ck-groups"].result(timeout=TIMEOUT))
        self.confluent_member("adm-ck-groups", "adm-ck-group")

        groups = {g.id: g for g in self.ck_admin.list_groups(timeout=TIMEOUT)}
        self.assertIn("adm-ck-group", groups)
        group = groups["adm-ck-group"]
        self.assertEqual((group.error, group.state, group.protocol_type, group.protocol),
                         (None, "Stable", "consumer", "range"))
        self.assertEqual(len(group.members), 1)
        member = group.members[0]
        self.assertEqual((member.client_id, member.client_host),
                         ("admin-test-confluent", "127.0.0.1"))
        self.assertIn(b"adm-ck-groups", member.metadata)     # the subscription
        self.assertIn(b"adm-ck-groups", member.assignment)   # the assignment

        # one group by name
        (only,) = self.ck_admin.list_groups("adm-ck-group", timeout=TIMEOUT)
        self.assertEqual(only.id, "adm-ck-group")

    def test_confluent_configs(self):
        futures = self.ck_admin.create_topics([CkNewTopic("adm-ck-configs", 1, 1)],
                                              request_timeout=TIMEOUT)
        self.assertIsNone(futures["adm-ck-configs"].result(timeout=TIMEOUT))
        configs = self.ck_topic_configs("adm-ck-configs")
        # source 5 = DEFAULT_CONFIG, 1 = TOPIC_CONFIG (DYNAMIC_TOPIC_CONFIG in librdkafka)
        self.assertEqual(configs["retention.ms"], ("-1", 5, False))
        self.assertEqual(configs["cleanup.policy"], ("delete", 5, True))

        futures = self.ck_admin.alter_configs([CkConfigResource(
            "topic", "adm-ck-configs", set_config={"retention.bytes": "2097152"})],
            request_timeout=TIMEOUT)
        (future,) = futures.values()
        self.assertIsNone(future.result(timeout=TIMEOUT))
        configs = self.ck_topic_configs("adm-ck-configs")
        self.assertEqual(configs["retention.bytes"], ("2097152", 1, False))
        self.assertEqual(configs["retention.ms"], ("-1", 5, False))

        futures = self.ck_admin.describe_configs([CkConfigResource("broker", str(self.node_id))],
                                                 request_timeout=TIMEOUT)
        (future,) = futures.values()
        broker = future.result(timeout=TIMEOUT)
        self.assertEqual(broker["num.partitions"].value, "1")
        self.assertTrue(broker["log.retention.ms"].is_read_only)

        futures = self.ck_admin.describe_configs([CkConfigResource("topic", "adm-ck-missing")],
                                                 request_timeout=TIMEOUT)
        (future,) = futures.values()
        with self.assertRaises(KafkaException) as caught:
            future.result(timeout=TIMEOUT)
        self.assertEqual(caught.exception.args[0].code(), KafkaError.UNKNOWN_TOPIC_OR_PART)

    def test_confluent_delete_topics(self):
        futures = self.ck_admin.create_topics([CkNewTopic("adm-ck-delete", 2, 1)],
                                              request_timeout=TIMEOUT)
        self.assertIsNone(futures["adm-ck-delete"].result(timeout=TIMEOUT))
        futures = self.ck_admin.delete_topics(["adm-ck-delete", "adm-ck-never"],
                                              operation_timeout=TIMEOUT, request_timeout=TIMEOUT)
        self.assertIsNone(futures["adm-ck-delete"].result(timeout=TIMEOUT))
        with self.assertRaises(KafkaException) as caught:
            futures["adm-ck-never"].result(timeout=TIMEOUT)
        self.assertEqual(caught.exception.args[0].code(), KafkaError.UNKNOWN_TOPIC_OR_PART)
        wait_until(lambda: "adm-ck-delete" not in
                   self.ck_admin.list_topics(timeout=TIMEOUT).topics,
                   TIMEOUT, "the deleted topic to leave the metadata")

    # -- kcat ----------------------------------------------------------------------------------
    def test_kcat_metadata(self):
        self.create_topic("adm-kcat", 1)
        result = self.broker.kcat("-L", "-t", "adm-kcat")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("1 brokers:", result.stdout)
        self.assertIn("(controller)", result.stdout)
        self.assertIn('topic "adm-kcat" with 1 partitions', result.stdout)


if __name__ == "__main__":
    rivulet_broker.main()
