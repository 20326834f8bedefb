#!/usr/bin/env python3
"""Broker CPU (user+sys from /proc) to take 1,000,000 messages of 100 bytes from kcat -P and
to serve them back to kcat -C, for one or two rivulet binaries, alternating, three rounds
each; prints every round, the medians and (with two binaries) the ratio second/first.

    bench/kafka_cpu.py BUILD/bin/rivulet [OTHER/bin/rivulet] [-- kcat -P options...]

e.g. `-- -X enable.idempotence=true` for an idempotent producer. In-memory brokers on free
loopback ports; kcat from Debian. CPU time, not wall time: these machines are shared."""
import os
import socket
import statistics
import subprocess
import sys
import tempfile

MESSAGES = 1_000_000


def cpu_seconds(pid):
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def one_round(binary, data, producer_options):
    port = free_port()
    broker = subprocess.Popen([binary, '--headless', '--in-memory', '--port', '0',
                               '--kafka-port', str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        broker.stdout.readline()  # the ready line
        bootstrap = f'127.0.0.1:{port}'
        before = cpu_seconds(broker.pid)
        with open(data, 'rb') as f:
            subprocess.run(['kcat', '-b', bootstrap, '-P', '-t', 'bench', '-p', '0',
                            '-X', 'linger.ms=5'] + producer_options,
                           stdin=f, check=True, timeout=300)
        produced = cpu_seconds(broker.pid)
        out = subprocess.run(['kcat', '-b', bootstrap, '-C', '-t', 'bench', '-p', '0',
                              '-o', 'beginning', '-e', '-q'],
                             capture_output=True, check=True, timeout=300).stdout
        fetched = cpu_seconds(broker.pid)
        lines = out.count(b'\n')
        if lines != MESSAGES:
            sys.exit(f'{binary}: read back {lines} messages, not {MESSAGES}')
        return produced - before, fetched - produced
    finally:
        broker.terminate()
        broker.wait(30)


def main(argv):
    options = []
    if '--' in argv:
        options = argv[argv.index('--') + 1:]
        argv = argv[:argv.index('--')]
    binaries = argv[1:]
    if not 1 <= len(binaries) <= 2:
        sys.exit(__doc__)
    with tempfile.NamedTemporaryFile('w', suffix='.txt', delete=False) as f:
        for i in range(MESSAGES):
            f.write(f'm{i:07d}-' + 'x' * 92 + '\n')
        data = f.name
    try:
        results = {b: ([], []) for b in binaries}
        for _ in range(3):
            for b in binaries:
                p, c = one_round(b, data, options)
                results[b][0].append(p)
                results[b][1].append(c)
        medians = {}
        for b in binaries:
            medians[b] = (statistics.median(results[b][0]), statistics.median(results[b][1]))
            print(f'{b}: produce CPU {", ".join(f"{x:.2f}" for x in results[b][0])} s '
                  f'(median {medians[b][0]:.2f}); fetch CPU '
                  f'{", ".join(f"{x:.2f}" for x in results[b][1])} s (median {medians[b][1]:.2f})')
        if len(binaries) == 2:
            first, second = (medians[b] for b in binaries)
            print(f'second/first: produce {second[0] / first[0]:.2f}, '
                  f'fetch {second[1] / max(first[1], 0.01):.2f}')
    finally:
        os.unlink(data)


if __name__ == '__main__':
    main(sys.argv)
