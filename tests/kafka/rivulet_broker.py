"""Shared helpers for the Kafka client tests: a Rivulet broker on port 0, bounded waits,
bounded client processes, and a watchdog so that no script can hang CTest.

Each test script calls ``rivulet_broker.main()`` instead of ``unittest.main()``. The
binaries come from the command line (``test_x.py RIVULET [RIVULET_CLI] [unittest args]``,
as CTest passes them) or from the environment (RIVULET_BIN, RIVULET_CLI_BIN).
"""

import atexit
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

READY_RE = re.compile(r"ready: native (\S+):(\d+) kafka (\S+):(\d+)")
KAFKA_RE = re.compile(r"kafka (\S+):(\d+)")

READY_TIMEOUT = 20.0  # the broker prints its ready line within this
STOP_TIMEOUT = 15.0  # and exits within this after SIGTERM
SCRIPT_TIMEOUT = float(os.environ.get("RIVULET_KAFKA_TEST_TIMEOUT", "180"))

RIVULET_BIN = os.environ.get("RIVULET_BIN", "")
RIVULET_CLI_BIN = os.environ.get("RIVULET_CLI_BIN", "")

_live = []  # brokers and background processes to kill if the script dies
_live_lock = threading.Lock()


def _take_binaries_from_argv():
    """Consumes leading executable paths from sys.argv (rivulet, then rivulet-cli)."""
    global RIVULET_BIN, RIVULET_CLI_BIN
    found = []
    while len(sys.argv) > 1 and not sys.argv[1].startswith("-") and os.path.isfile(sys.argv[1]):
        found.append(os.path.abspath(sys.argv.pop(1)))
    if found:
        RIVULET_BIN = found[0]
    if len(found) > 1:
        RIVULET_CLI_BIN = found[1]
    if not RIVULET_CLI_BIN and RIVULET_BIN:
        sibling = os.path.join(os.path.dirname(RIVULET_BIN), "rivulet-cli")
        if os.path.isfile(sibling):
            RIVULET_CLI_BIN = sibling


def _register(obj):
    with _live_lock:
        _live.append(obj)


def _unregister(obj):
    with _live_lock:
        if obj in _live:
            _live.remove(obj)


def _kill_everything():
    with _live_lock:
        objs = list(_live)
    for obj in objs:
        try:
            obj.kill()
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass


atexit.register(_kill_everything)


def wait_until(predicate, timeout, what, interval=0.05):
    """Polls predicate until it returns something truthy; fails the test after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class _Pump(threading.Thread):
    """Reads a text stream line by line into a list, so nothing blocks on a full pipe."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.lines = []
        self.lock = threading.Lock()
        self.start()

    def run(self):
        for line in iter(self.stream.readline, ""):
            with self.lock:
                self.lines.append(line.rstrip("\n"))
        self.stream.close()

    def snapshot(self):
        with self.lock:
            return list(self.lines)


class Broker:
    """One rivulet process: ``--headless --port 0`` and in memory unless data_dir is given."""

    def __init__(self, *extra_args, data_dir=None):
        if not RIVULET_BIN:
            raise RuntimeError("no rivulet binary: pass it as the first argument or set "
                               "RIVULET_BIN")
        self.extra_args = list(extra_args)
        self.data_dir = data_dir
        self.proc = None
        self.returncode = None
        self._log = tempfile.NamedTemporaryFile(prefix="rivulet-broker-", suffix=".log",
                                                delete=False)
        atexit.register(self._remove_log)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, ports=None):
        """Starts the broker on free ports, or on ports=(native, kafka) (see restart())."""
        storage = ["--data-dir", self.data_dir] if self.data_dir else ["--in-memory"]
        listen = ["--port", "0"] if ports is None else ["--port", str(ports[0]),
                                                         "--kafka-port", str(ports[1])]
        cmd = [RIVULET_BIN, "--headless", *listen, *storage, *self.extra_args]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=self._log, text=True)
        _register(self)
        self._stdout = _Pump(self.proc.stdout)
        ready = None

        def is_ready():
            nonlocal ready
            for line in self._stdout.snapshot():
                m = READY_RE.search(line)
                if m:
                    ready = m
                    return True
            if self.proc.poll() is not None:
                raise AssertionError(f"rivulet exited with {self.proc.returncode} before it was "
                                     f"ready:\n{self.log_tail()}")
            return False

        wait_until(is_ready, READY_TIMEOUT, "the broker's ready line")
        self.native_host, self.native_port = ready.group(1), int(ready.group(2))
        m = KAFKA_RE.search(ready.group(0))
        self.kafka_host, self.kafka_port = m.group(1), int(m.group(2))
        return self

    def stop(self):
        """SIGTERM and wait; returns the exit code (the caller asserts it is 0)."""
        if self.proc is None or self.returncode is not None:
            return self.returncode
        early = self.proc.poll()
        if early is not None:
            # it died while the tests were running: say so, even if it exited with 0
            self.returncode = f"{early} (it had exited on its own before SIGTERM)"
            self._stdout.join(5)
            _unregister(self)
            return self.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.returncode = self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.returncode = f"nothing (no exit within {STOP_TIMEOUT:.0f} s, killed)"
        self._stdout.join(5)
        _unregister(self)
        return self.returncode

    def stop_checked(self):
        """Stops the broker and fails unless it exited with 0 on SIGTERM."""
        rc = self.stop()
        if rc != 0:
            raise AssertionError(f"rivulet exited with {rc} on SIGTERM; its stderr ends:\n"
                                 f"{self.log_tail()}")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def crash(self):
        """kill -9: a crash, with nothing flushed or saved on the way out. Returns the exit
        status (-9). The broker can then be restart()ed on its data dir."""
        if self.proc is None or self.proc.poll() is not None:
            raise AssertionError(f"rivulet is not running (exit {self.proc and self.proc.poll()})"
                                 f"; its stderr ends:\n{self.log_tail()}")
        self.proc.send_signal(signal.SIGKILL)
        rc = self.proc.wait(STOP_TIMEOUT)
        self._stdout.join(5)
        _unregister(self)
        return rc

    def restart(self, same_ports=True):
        """Starts the broker again after crash() or stop(), on the same data dir and, unless
        same_ports is False, on the same native and Kafka ports, so that clients still
        running reconnect to it."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("restart() of a broker that is still running")
        ports = (self.native_port, self.kafka_port) if same_ports else None
        self.returncode = None
        return self.start(ports=ports)

    def _remove_log(self):
        self._log.close()
        try:
            os.unlink(self._log.name)
        except OSError:
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- addresses ---------------------------------------------------------------------------
    @property
    def bootstrap(self):
        return f"{self.kafka_host}:{self.kafka_port}"

    def log_tail(self, lines=40):
        try:
            with open(self._log.name, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    # -- clients -----------------------------------------------------------------------------
    def kcat(self, *args, input=None, timeout=30):
        """Runs kcat against this broker and returns the CompletedProcess (text)."""
        return run(["kcat", "-b", self.bootstrap, *args], input=input, timeout=timeout)

    def cli(self, *args, input=None, timeout=30):
        """Runs rivulet-cli against this broker's native port."""
        if not RIVULET_CLI_BIN:
            raise RuntimeError("no rivulet-cli binary: pass it as the second argument or set "
                               "RIVULET_CLI_BIN")
        return run([RIVULET_CLI_BIN, "--host", self.native_host, "--port", str(self.native_port),
                    *args], input=input, timeout=timeout)


def run(cmd, input=None, timeout=30):
    """subprocess.run with text I/O, a timeout that fails the test, and both streams kept."""
    try:
        return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{' '.join(cmd)} did not finish within {timeout} s\n"
                             f"stdout: {e.stdout!r}\nstderr: {e.stderr!r}") from None


KAFKAJS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafkajs")


def run_kafkajs(test, broker, script, *args, timeout=150):
    """Runs tests/kafka/kafkajs/SCRIPT with node (arguments, then the broker's bootstrap) and
    fails the test, with both outputs and the broker's log, unless it exits 0."""
    node = shutil.which("node")
    test.assertIsNotNone(node, "node is missing: run scripts/setup.sh")
    test.assertTrue(os.path.isdir(os.path.join(KAFKAJS_DIR, "node_modules", "kafkajs")),
                    "kafkajs is missing: run scripts/setup.sh (npm ci in tests/kafka/kafkajs)")
    result = run([node, os.path.join(KAFKAJS_DIR, script), *args, broker.bootstrap],
                 timeout=timeout)
    print(result.stdout, end="")
    test.assertEqual(result.returncode, 0,
                     f"{script} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}\n"
                     f"broker log:\n{broker.log_tail()}")
    return result.stdout


class Background:
    """A long-running client process whose stdout and stderr lines are collected live."""

    def __init__(self, cmd):
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        _register(self)
        self._out = _Pump(self.proc.stdout)
        self._err = _Pump(self.proc.stderr)

    def stdout(self):
        return self._out.snapshot()

    def stderr(self):
        return self._err.snapshot()

    def terminate(self, timeout=20):
        """SIGTERM, wait for a clean exit; returns the exit code (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self._out.join(5)
        self._err.join(5)
        _unregister(self)
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def describe(self):
        return (f"$ {shlex.join(self.cmd)}\n--- stdout\n" + "\n".join(self.stdout()) +
                "\n--- stderr\n" + "\n".join(self.stderr()))


class TempDir:
    """A temporary directory removed at exit (used as a broker data dir)."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="rivulet-kafka-test-")
        atexit.register(shutil.rmtree, self.path, True)


def _watchdog():
    sys.stdout.flush()
    print(f"\nFATAL: test script exceeded {SCRIPT_TIMEOUT:.0f} s; killing brokers and clients",
          file=sys.stderr, flush=True)
    _kill_everything()
    print("FAILED (watchdog timeout)", file=sys.stderr, flush=True)
    os._exit(1)


def main():
    """Runs the calling script's unittest cases with a hard time limit."""
    _take_binaries_from_argv()
    if not RIVULET_BIN or not os.access(RIVULET_BIN, os.X_OK):
        print(f"usage: {sys.argv[0]} PATH/TO/rivulet [PATH/TO/rivulet-cli] (or set RIVULET_BIN)",
              file=sys.stderr)
        sys.exit(2)
    timer = threading.Timer(SCRIPT_TIMEOUT, _watchdog)
    timer.daemon = True
    timer.start()
    try:
        # "ignore": the client libraries warn about their own imports (six, asyncore)
        unittest.main(module="__main__", verbosity=2, warnings="ignore")
    finally:
        timer.cancel()
        _kill_everything()
