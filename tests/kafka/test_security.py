#!/usr/bin/env python3
"""SASL and TLS on the Kafka listeners, with real clients: kcat (librdkafka 2.0.2),
confluent-kafka and kafkajs log in with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 over
SASL_PLAINTEXT and SASL_SSL, produce and consume; a wrong password is refused with Kafka's
SASL_AUTHENTICATION_FAILED; TLS with and without client certificates (requested, required);
plaintext bytes on a TLS port close that connection and nothing else; raw bytes show the
gate (nothing but ApiVersions/SaslHandshake before authentication), the v0 handshake with
bare tokens, and an unsupported mechanism. Users and certificates come from rivulet-cli
(users add, tls init); users.json holds no password.

Usage: test_security.py PATH/TO/rivulet PATH/TO/rivulet-cli
"""

import os
import re
import socket
import struct
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Broker, TempDir, run, wait_until  # noqa: E402

USER, PASSWORD = "alice", "alice-Secret-1"
LISTENER_RE = re.compile(r"(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL)://(\S+):(\d+)")
KAFKAJS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafkajs")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


def cli(*args, input=None):
    r = run([rivulet_broker.RIVULET_CLI_BIN, *args], input=input)
    if r.returncode != 0:
        raise AssertionError(f"rivulet-cli {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def listeners(broker):
    """{security: 'host:port'} from the ready line's 'listeners' part."""
    for line in broker._stdout.snapshot():
        if "ready:" in line:
            return {m.group(1): f"{m.group(2)}:{m.group(3)}"
                    for m in LISTENER_RE.finditer(line.split(" listeners ", 1)[1])}
    raise AssertionError("no ready line")


def frame(api_key, version, correlation, body, client_id=b"raw-test"):
    header = struct.pack(">hhih", api_key, version, correlation, len(client_id)) + client_id
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def kstring(s):
    return struct.pack(">h", len(s)) + s


def read_frame(sock):
    """One size-delimited frame, or None when the broker closed the connection."""
    head = b""
    while len(head) < 4:
        chunk = sock.recv(4 - len(head))
        if not chunk:
            return None
        head += chunk
    (size,) = struct.unpack(">i", head)
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def connect(address):
    host, port = address.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def closed_by_broker(sock):
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


class SecurityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = TempDir()
        cls.certs = TempDir().path
        cls.tls_init_output = cli("tls", "init", cls.certs)
        cli("users", "add", USER, "--data-dir", cls.data.path, input=PASSWORD + "\n")
        cli("users", "add", "bob", "--password", "bob-pw", "--mechanism", "SCRAM-SHA-512",
            "--data-dir", cls.data.path)
        cls.broker = Broker(
            "--kafka-port", "0",
            "--kafka-listener", "SASL_PLAINTEXT://127.0.0.1:0",
            "--kafka-listener", "SSL://127.0.0.1:0",
            "--kafka-listener", "SASL_SSL://127.0.0.1:0",
            "--kafka-tls-cert", os.path.join(cls.certs, "server.pem"),
            "--kafka-tls-key", os.path.join(cls.certs, "server.key"),
            "--kafka-tls-ca", os.path.join(cls.certs, "ca.pem"),
            "--kafka-tls-client-auth", "requested",
            data_dir=cls.data.path).start()
        cls.listeners = listeners(cls.broker)

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop_checked()

    # -- helpers ----------------------------------------------------------------------------
    def ca(self):
        return os.path.join(self.certs, "ca.pem")

    def kcat_security(self, security, mechanism=None, password=PASSWORD, user=USER,
                      client_cert=False):
        args = ["-X", f"security.protocol={security.lower()}"]
        if mechanism:
            args += ["-X", f"sasl.mechanisms={mechanism}", "-X", f"sasl.username={user}",
                     "-X", f"sasl.password={password}"]
        if "SSL" in security:
            args += ["-X", f"ssl.ca.location={self.ca()}"]
        if client_cert:
            args += ["-X", f"ssl.certificate.location={os.path.join(self.certs, 'client.pem')}",
                     "-X", f"ssl.key.location={os.path.join(self.certs, 'client.key')}"]
        return args

    def kcat(self, address, args, *more, input=None, timeout=30):
        return run(["kcat", "-b", address, *args, *more], input=input, timeout=timeout)

    def produce_consume_kcat(self, security, mechanism=None, client_cert=False):
        topic = f"sec-{uuid.uuid4().hex[:8]}"
        args = self.kcat_security(security, mechanism, client_cert=client_cert)
        address = self.listeners[security]
        values = [f"{security}-{mechanism}-{i}" for i in range(3)]
        r = self.kcat(address, args, "-P", "-t", topic, input="".join(v + "\n" for v in values))
        self.assertEqual(r.returncode, 0, f"kcat -P failed:\n{r.stderr}\n{self.broker.log_tail()}")
        r = self.kcat(address, args, "-C", "-t", topic, "-e", "-o", "beginning")
        self.assertEqual(r.returncode, 0, f"kcat -C failed:\n{r.stderr}")
        self.assertEqual(r.stdout.splitlines(), values)

    # -- users and certificates -------------------------------------------------------------
    def test_users_file_holds_no_password(self):
        with open(os.path.join(self.data.path, "users.json"), encoding="utf-8") as f:
            content = f.read()
        self.assertNotIn(PASSWORD, content)
        self.assertNotIn("bob-pw", content)
        self.assertIn("stored_key", content)
        self.assertEqual(os.stat(os.path.join(self.data.path, "users.json")).st_mode & 0o077, 0)
        listed = cli("users", "list", "--data-dir", self.data.path)
        self.assertIn("alice\tSCRAM-SHA-256 (4096 iterations), SCRAM-SHA-512", listed)
        self.assertIn("bob\tSCRAM-SHA-512", listed)

    def test_tls_init_prints_client_settings(self):
        self.assertIn("ssl.ca.location=", self.tls_init_output)
        self.assertIn("kafkajs", self.tls_init_output)
        self.assertEqual(os.stat(os.path.join(self.certs, "server.key")).st_mode & 0o077, 0)
        r = run(["openssl", "verify", "-CAfile", self.ca(), os.path.join(self.certs, "server.pem")])
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_ready_line_lists_each_listener(self):
        self.assertEqual(set(self.listeners), {"PLAINTEXT", "SASL_PLAINTEXT", "SSL", "SASL_SSL"})
        self.assertEqual(len(set(self.listeners.values())), 4)

    # -- kcat -------------------------------------------------------------------------------
    def test_kcat_sasl_plaintext_each_mechanism(self):
        for mechanism in MECHANISMS:
            with self.subTest(mechanism=mechanism):
                self.produce_consume_kcat("SASL_PLAINTEXT", mechanism)
        wait_until(lambda: "authenticated as User:alice" in self.broker.log_tail(200), 10,
                   "the broker's log of the login")

    def test_kcat_sasl_ssl_each_mechanism(self):
        for mechanism in MECHANISMS:
            with self.subTest(mechanism=mechanism):
                self.produce_consume_kcat("SASL_SSL", mechanism)

    def test_kcat_ssl_without_and_with_client_certificate(self):
        self.produce_consume_kcat("SSL")
        self.produce_consume_kcat("SSL", client_cert=True)

    def test_requested_client_certificate_must_verify(self):
        # a certificate from another authority is refused even though none is required
        other = TempDir().path
        cli("tls", "init", other)
        r = self.kcat(self.listeners["SSL"],
                      ["-X", "security.protocol=ssl", "-X", f"ssl.ca.location={self.ca()}",
                       "-X", f"ssl.certificate.location={os.path.join(other, 'client.pem')}",
                       "-X", f"ssl.key.location={os.path.join(other, 'client.key')}"],
                      "-L", "-m", "5", timeout=40)
        self.assertNotEqual(r.returncode, 0)
        wait_until(lambda: "closing TLS connection" in self.broker.log_tail(200), 10,
                   "the log line of the refused certificate")

    def test_metadata_advertises_the_listener_asked(self):
        for security in ("SASL_PLAINTEXT", "SASL_SSL", "SSL"):
            mechanism = "PLAIN" if "SASL" in security else None
            r = self.kcat(self.listeners[security], self.kcat_security(security, mechanism), "-L")
            self.assertEqual(r.returncode, 0, r.stderr)
            port = self.listeners[security].rsplit(":", 1)[1]
            self.assertRegex(r.stdout, rf"broker 0 at \S+:{port}")

    def test_kcat_wrong_password_is_refused(self):
        for mechanism in MECHANISMS:
            with self.subTest(mechanism=mechanism):
                r = self.kcat(self.listeners["SASL_PLAINTEXT"],
                              self.kcat_security("SASL_PLAINTEXT", mechanism, password="wrong"),
                              "-L", "-m", "5", timeout=40)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("Authentication failed", r.stderr)

    def test_unknown_user_and_mechanism_without_credentials(self):
        r = self.kcat(self.listeners["SASL_PLAINTEXT"],
                      self.kcat_security("SASL_PLAINTEXT", "SCRAM-SHA-256", user="nobody"),
                      "-L", "-m", "5", timeout=40)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Authentication failed", r.stderr)
        # bob has SCRAM-SHA-512 only; PLAIN checks against it
        self.assertEqual(self.kcat(self.listeners["SASL_PLAINTEXT"],
                                   self.kcat_security("SASL_PLAINTEXT", "SCRAM-SHA-256", user="bob",
                                                      password="bob-pw"),
                                   "-L", "-m", "5", timeout=40).returncode == 0, False)
        r = self.kcat(self.listeners["SASL_PLAINTEXT"],
                      self.kcat_security("SASL_PLAINTEXT", "PLAIN", user="bob", password="bob-pw"),
                      "-L")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_user_added_while_running_can_log_in(self):
        cli("users", "add", "carol", "--password", "carol-pw", "--data-dir", self.data.path)
        r = self.kcat(self.listeners["SASL_PLAINTEXT"],
                      self.kcat_security("SASL_PLAINTEXT", "SCRAM-SHA-256", user="carol",
                                         password="carol-pw"), "-L")
        self.assertEqual(r.returncode, 0, r.stderr)
        cli("users", "remove", "carol", "--data-dir", self.data.path)
        r = self.kcat(self.listeners["SASL_PLAINTEXT"],
                      self.kcat_security("SASL_PLAINTEXT", "SCRAM-SHA-256", user="carol",
                                         password="carol-pw"), "-L", "-m", "5", timeout=40)
        self.assertNotEqual(r.returncode, 0)

    # -- confluent-kafka --------------------------------------------------------------------
    def confluent_config(self, security, mechanism, password=PASSWORD):
        config = {"bootstrap.servers": self.listeners[security],
                  "security.protocol": security,
                  "sasl.mechanism": mechanism,
                  "sasl.username": USER,
                  "sasl.password": password}
        if "SSL" in security:
            config["ssl.ca.location"] = self.ca()
        return config

    def test_confluent_kafka_each_mechanism(self):
        from confluent_kafka import Consumer, Producer
        for security in ("SASL_PLAINTEXT", "SASL_SSL"):
            for mechanism in MECHANISMS:
                with self.subTest(security=security, mechanism=mechanism):
                    topic = f"ck-{uuid.uuid4().hex[:8]}"
                    producer = Producer(self.confluent_config(security, mechanism))
                    for i in range(3):
                        producer.produce(topic, value=f"v{i}".encode())
                    self.assertEqual(producer.flush(30), 0)
                    consumer = Consumer({**self.confluent_config(security, mechanism),
                                         "group.id": f"{topic}-g",
                                         "auto.offset.reset": "earliest"})
                    consumer.subscribe([topic])
                    got = []

                    def poll():
                        msg = consumer.poll(0.5)
                        if msg is not None and not msg.error():
                            got.append(msg.value())
                        return len(got) == 3

                    wait_until(poll, 40, f"3 messages with {mechanism}")
                    consumer.close()
                    self.assertEqual(got, [b"v0", b"v1", b"v2"])

    def test_confluent_kafka_wrong_password(self):
        from confluent_kafka import KafkaError
        from confluent_kafka.admin import AdminClient
        errors = []
        config = {**self.confluent_config("SASL_SSL", "SCRAM-SHA-512", password="nope"),
                  "error_cb": errors.append}
        admin = AdminClient(config)

        def refused():
            admin.poll(0.2)
            return [e for e in errors if e.code() == KafkaError._AUTHENTICATION]

        found = wait_until(refused, 30, "an authentication error")
        self.assertIn("Authentication failed", found[0].str())

    # -- kafkajs ----------------------------------------------------------------------------
    def kafkajs(self, mechanism, password, security):
        ca = self.ca() if security == "SASL_SSL" else "-"
        topic = f"kjs-{uuid.uuid4().hex[:8]}"
        return run(["node", os.path.join(KAFKAJS, "sasl.js"), mechanism.lower(), USER, password,
                    ca, topic, self.listeners[security]], timeout=150)

    def test_kafkajs_each_mechanism(self):
        for security in ("SASL_PLAINTEXT", "SASL_SSL"):
            for mechanism in MECHANISMS:
                with self.subTest(security=security, mechanism=mechanism):
                    r = self.kafkajs(mechanism, PASSWORD, security)
                    self.assertEqual(r.returncode, 0, f"{r.stdout}\n{r.stderr}\n"
                                                      f"{self.broker.log_tail()}")

    def test_kafkajs_wrong_password(self):
        r = self.kafkajs("SCRAM-SHA-256", "wrong", "SASL_PLAINTEXT")
        self.assertEqual(r.returncode, 3, f"{r.stdout}\n{r.stderr}")
        self.assertIn("KafkaJSSASLAuthenticationError", r.stdout)

    # -- raw bytes --------------------------------------------------------------------------
    def test_nothing_but_sasl_before_authentication(self):
        sock = connect(self.listeners["SASL_PLAINTEXT"])
        # ApiVersions v0 is answered
        sock.sendall(frame(18, 0, 1, b""))
        answer = read_frame(sock)
        self.assertIsNotNone(answer)
        self.assertEqual(struct.unpack(">ih", answer[:6]), (1, 0))
        # Metadata v1 (all topics) is not: the connection is closed, as Kafka does
        sock.sendall(frame(3, 1, 2, struct.pack(">i", -1)))
        self.assertIsNone(read_frame(sock))
        sock.close()
        wait_until(lambda: "during SASL authentication" in self.broker.log_tail(200), 10,
                   "the log line of the refused request")

    def test_handshake_v0_then_bare_plain_token(self):
        sock = connect(self.listeners["SASL_PLAINTEXT"])
        sock.sendall(frame(17, 0, 1, kstring(b"PLAIN")))
        answer = read_frame(sock)
        correlation, error, count = struct.unpack(">ihi", answer[:10])
        self.assertEqual((correlation, error, count), (1, 0, 3))
        self.assertIn(b"SCRAM-SHA-512", answer)
        token = b"\0" + USER.encode() + b"\0" + PASSWORD.encode()
        sock.sendall(struct.pack(">i", len(token)) + token)
        self.assertEqual(read_frame(sock), b"")  # an empty token: authenticated
        sock.sendall(frame(3, 1, 2, struct.pack(">i", -1)))
        answer = read_frame(sock)
        self.assertIsNotNone(answer)
        self.assertEqual(struct.unpack(">i", answer[:4])[0], 2)
        sock.close()

    def test_handshake_v1_wrong_password_and_unsupported_mechanism(self):
        sock = connect(self.listeners["SASL_PLAINTEXT"])
        sock.sendall(frame(17, 1, 1, kstring(b"PLAIN")))
        self.assertEqual(struct.unpack(">ih", read_frame(sock)[:6]), (1, 0))
        token = b"\0" + USER.encode() + b"\0wrong"
        sock.sendall(frame(36, 1, 2, struct.pack(">i", len(token)) + token))
        answer = read_frame(sock)
        correlation, error, length = struct.unpack(">ihh", answer[:8])
        self.assertEqual((correlation, error), (2, 58))  # SASL_AUTHENTICATION_FAILED
        self.assertIn(b"Invalid username or password", answer[8:8 + length])
        self.assertTrue(closed_by_broker(sock))
        sock.close()

        sock = connect(self.listeners["SASL_PLAINTEXT"])
        sock.sendall(frame(17, 1, 1, kstring(b"GSSAPI")))
        correlation, error = struct.unpack(">ih", read_frame(sock)[:6])
        self.assertEqual(error, 33)  # UNSUPPORTED_SASL_MECHANISM
        self.assertTrue(closed_by_broker(sock))
        sock.close()

    def test_handshake_on_a_plaintext_listener_is_illegal(self):
        sock = connect(self.listeners["PLAINTEXT"])
        sock.sendall(frame(17, 1, 1, kstring(b"PLAIN")))
        self.assertEqual(struct.unpack(">ih", read_frame(sock)[:6]), (1, 34))  # ILLEGAL_SASL_STATE
        sock.close()

    def test_plaintext_on_tls_ports_is_refused(self):
        for security in ("SSL", "SASL_SSL"):
            with self.subTest(security=security):
                sock = connect(self.listeners[security])
                sock.sendall(frame(18, 0, 1, b""))
                self.assertIsNone(read_frame(sock))
                sock.close()
        wait_until(lambda: "closing TLS connection" in self.broker.log_tail(200), 10,
                   "the log line of the refused connection")
        # the broker goes on serving
        self.produce_consume_kcat("SSL")


class StartUpTest(unittest.TestCase):
    """A damaged users file stops the start with a message naming it."""

    def test_damaged_users_file(self):
        data = TempDir().path
        with open(os.path.join(data, "users.json"), "w", encoding="utf-8") as f:
            f.write('{"version": 1, "users": {"alice": {"SCRAM-SHA-256": {"salt": ')
        broker = Broker("--kafka-listener", "SASL_PLAINTEXT://127.0.0.1:0", data_dir=data)
        with self.assertRaises(AssertionError) as refused:
            broker.start()
        self.assertIn("users.json is damaged", str(refused.exception))
        broker.stop()


class ClientCertificateRequiredTest(unittest.TestCase):
    """--kafka-tls-client-auth required: no certificate, no connection."""

    @classmethod
    def setUpClass(cls):
        cls.certs = TempDir().path
        cli("tls", "init", cls.certs)
        cls.broker = Broker(
            "--kafka-listener", "SSL://127.0.0.1:0",
            "--kafka-tls-cert", os.path.join(cls.certs, "server.pem"),
            "--kafka-tls-key", os.path.join(cls.certs, "server.key"),
            "--kafka-tls-ca", os.path.join(cls.certs, "ca.pem"),
            "--kafka-tls-client-auth", "required").start()
        cls.address = listeners(cls.broker)["SSL"]

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop_checked()

    def kcat(self, *more, input=None, timeout=40):
        return run(["kcat", "-b", self.address, "-X", "security.protocol=ssl",
                    "-X", f"ssl.ca.location={os.path.join(self.certs, 'ca.pem')}", *more],
                   input=input, timeout=timeout)

    def test_without_certificate_refused(self):
        r = self.kcat("-L", "-m", "5")
        self.assertNotEqual(r.returncode, 0)
        wait_until(lambda: "closing TLS connection" in self.broker.log_tail(200), 10,
                   "the log line of the refused handshake")

    def test_with_certificate(self):
        cert = ["-X", f"ssl.certificate.location={os.path.join(self.certs, 'client.pem')}",
                "-X", f"ssl.key.location={os.path.join(self.certs, 'client.key')}"]
        r = self.kcat(*cert, "-P", "-t", "mtls", input="a\nb\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.kcat(*cert, "-C", "-t", "mtls", "-e")
        self.assertEqual(r.stdout.splitlines(), ["a", "b"])


if __name__ == "__main__":
    rivulet_broker.main()
