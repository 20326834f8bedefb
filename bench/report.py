#!/usr/bin/env python3
"""Tables for docs/PERFORMANCE.md from the JSON files `rivulet-cli bench --json` wrote.

    report.py DIR          medians per workload and peer, the ratios to Redis, the targets
    report.py --one FILE   one line about one run (bench/run.sh prints it as it goes)

DIR holds WORKLOAD-PEER-RUN.json (bench/run.sh), and optionally seed-full.json and
recovery.json.
"""
import json
import statistics
import sys
from pathlib import Path

PEERS = ["rivulet-durable", "rivulet-memory", "redis", "redis-aof"]
PEER_NAMES = {
    "rivulet-durable": "Rivulet, durable log (fsync interval)",
    "rivulet-memory": "Rivulet, in memory",
    "redis": "Redis Streams, no persistence",
    "redis-aof": "Redis Streams, AOF fsync everysec",
}
WORKLOADS = {
    "seed": "seed-shaped: 10 producers, 10 partitions, 10 consumers, batch 30, limit 30, 1 in flight",
    "throughput": "throughput: 1 producer, 1 consumer, 100-byte values, batch 1000, 4 in flight, "
    "consumer after the producer",
    "latency": "latency: 1 producer paced at 10,000 msgs/s in batches of 1, 1 consumer tailing",
}


def load(path):
    with open(path) as f:
        return json.load(f)


def cpu_per_msg(r):
    return r.get("broker_cpu_us_per_msg", float("nan"))


def other_share(r):
    wall = r.get("wall_s", 0)
    return 100 * r.get("other_cpu_s", 0) / (2 * wall) if wall else 0


def one_line(r):
    p, c = r["produce"], r["consume"]
    text = (f"produce {p['msgs_per_s']:,.0f}/s, consume {c['msgs_per_s']:,.0f}/s, "
            f"broker {cpu_per_msg(r):.3f} us/msg, wall {r['wall_s']:.2f} s, "
            f"p50 {r['latency_us']['p50']:.1f} us, p99 {r['latency_us']['p99']:.1f} us, "
            f"RSS {r.get('broker_peak_rss_mib', 0):.0f} MiB")
    if other_share(r) > 10:
        text += f", other processes {other_share(r):.0f}% of the machine"
    if not r["verified"]:
        text += ", VERIFICATION FAILED"
    return text


def med(values):
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else float("nan")


def fmt(v, digits=0):
    if v != v:
        return "-"
    return f"{v:,.{digits}f}"


def summarize(runs):
    pick = {
        "produce": lambda r: r["produce"]["msgs_per_s"],
        "consume": lambda r: r["consume"]["msgs_per_s"],
        "cpu": cpu_per_msg,
        "wall": lambda r: r["wall_s"],
        "p50": lambda r: r["latency_us"]["p50"],
        "p99": lambda r: r["latency_us"]["p99"],
        "p999": lambda r: r["latency_us"]["p999"],
        "rss": lambda r: r.get("broker_peak_rss_mib", float("nan")),
        "sched_p50": lambda r: r.get("latency_from_schedule_us", {}).get("p50", float("nan")),
        "sched_p99": lambda r: r.get("latency_from_schedule_us", {}).get("p99", float("nan")),
        "late": lambda r: r.get("late_sends", 0),
        "other": other_share,
    }
    return {k: med([f(r) for r in runs]) for k, f in pick.items()} | {"n": len(runs)}


def ratio(a, b):
    return a / b if b and a == a and b == b else float("nan")


def verdict(value, target, at_most):
    ok = value <= target if at_most else value >= target
    if at_most:
        margin = (target - value) / target * 100
    else:
        margin = (value - target) / target * 100
    return ("met" if ok else "NOT met") + f" ({margin:+.0f}% vs target)"


def report(directory):
    d = Path(directory)
    results = {}
    for path in sorted(d.glob("*-*-*.json")):
        parts = path.stem.split("-")
        workload, peer = parts[0], "-".join(parts[1:-1])
        results.setdefault((workload, peer), []).append(load(path))
    out = []
    failed = [str(p) for runs in results.values() for p in runs if not p["verified"]]
    out.append("## Rivulet and Redis Streams, same machine, same run\n")
    out.append("Medians of the runs. Broker CPU is the server process's user + system time "
               "(/proc/PID/stat) per message moved (produced + consumed); MB/s counts value "
               "bytes.\n")
    summaries = {}
    for workload, title in WORKLOADS.items():
        rows = [(peer, results[(workload, peer)]) for peer in PEERS if (workload, peer) in results]
        if not rows:
            continue
        paced = workload == "latency"
        out.append(f"### {title}\n")
        out.append("| server | runs | produce msgs/s | consume msgs/s | broker CPU us/msg | wall s "
                   "| produce p50 us | p99 us | p99.9 us |"
                   + (" from schedule p50 us | p99 us | sends > 1 ms late |" if paced else "")
                   + " peak RSS MiB | others' CPU |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|" + ("---|---|---|" if paced else ""))
        for peer, runs in rows:
            s = summarize(runs)
            summaries[(workload, peer)] = s
            extra = (f" {fmt(s['sched_p50'], 1)} | {fmt(s['sched_p99'], 1)} | {fmt(s['late'])} |"
                     if paced else "")
            out.append(f"| {PEER_NAMES[peer]} | {s['n']} | {fmt(s['produce'])} | {fmt(s['consume'])} "
                       f"| {fmt(s['cpu'], 3)} | {fmt(s['wall'], 2)} | {fmt(s['p50'], 1)} "
                       f"| {fmt(s['p99'], 1)} | {fmt(s['p999'], 1)} |{extra} {fmt(s['rss'], 1)} "
                       f"| {fmt(s['other'])}% |")
        out.append("")

    out.append("### Ratios to the peer\n")
    out.append("Redis / Rivulet for costs (CPU per message, wall time, p99), Rivulet / Redis for "
               "rates: above 1 means Rivulet does better.\n")
    out.append("| workload | Rivulet vs Redis | CPU per message | wall time | produce rate "
               "| consume rate | produce p99 |")
    out.append("|---|---|---|---|---|---|---|")
    for workload in WORKLOADS:
        for mine, theirs in (("rivulet-durable", "redis-aof"), ("rivulet-memory", "redis")):
            a, b = summaries.get((workload, mine)), summaries.get((workload, theirs))
            if not a or not b:
                continue
            out.append(f"| {workload} | {mine.split('-')[1]} vs {theirs} "
                       f"| {fmt(ratio(b['cpu'], a['cpu']), 2)} | {fmt(ratio(b['wall'], a['wall']), 2)} "
                       f"| {fmt(ratio(a['produce'], b['produce']), 2)} "
                       f"| {fmt(ratio(a['consume'], b['consume']), 2)} "
                       f"| {fmt(ratio(b['p99'], a['p99']), 2)} |")
    out.append("")

    out.append("### Targets\n")
    out.append("| target | measured | verdict |")
    out.append("|---|---|---|")
    full = d / "seed-full.json"
    if full.exists():
        r = load(full)
        out.append(f"| seed workload, durable log: <= 0.8 us broker CPU per message moved "
                   f"| {cpu_per_msg(r):.3f} us ({r['produce']['messages'] + r['consume']['messages']:,.0f} moved) "
                   f"| {verdict(cpu_per_msg(r), 0.8, True)} |")
        out.append(f"| seed workload: broker RSS <= 256 MiB throughout "
                   f"| peak {r['broker_peak_rss_mib']:.1f} MiB "
                   f"| {verdict(r['broker_peak_rss_mib'], 256, True)} |")
        if not r["verified"]:
            failed.append(str(full))
    t = summaries.get(("throughput", "rivulet-durable"))
    if t:
        out.append(f"| 1 producer, 100-byte values, batch 1000, pipelined: produce >= 2.5M msgs/s "
                   f"| {t['produce']:,.0f} msgs/s | {verdict(t['produce'], 2.5e6, False)} |")
        out.append(f"| ... and 1 consumer: consume >= 5M msgs/s | {t['consume']:,.0f} msgs/s "
                   f"| {verdict(t['consume'], 5e6, False)} |")
    lat = summaries.get(("latency", "rivulet-durable"))
    if lat:
        out.append(f"| 10,000 msgs/s in batches of 1: produce round trip p50 <= 100 us "
                   f"| {lat['p50']:.1f} us | {verdict(lat['p50'], 100, True)} |")
        out.append(f"| ... p99 <= 1 ms | {lat['p99']:.1f} us | {verdict(lat['p99'], 1000, True)} |")
        if lat["sched_p99"] == lat["sched_p99"]:
            out.append(f"| (the same, from when each request was due, client delays included) "
                       f"| p50 {lat['sched_p50']:.1f} us, p99 {lat['sched_p99']:.1f} us | - |")
    out.append("")

    rec = d / "recovery.json"
    if rec.exists():
        r = load(rec)
        out.append("### Recovery: a broker holding the seed workload's log\n")
        out.append(f"Log: {r['messages']:,.0f} messages, {r['disk_mib']:.0f} MiB on disk. Warm: the "
                   "files are in the page cache (a restart); cold: the page cache was dropped "
                   "before the start (as after a reboot).\n")
        out.append("| measure | median | runs |")
        out.append("|---|---|---|")
        for key, label, unit in (
            ("startup_empty_ms", "start-up to ready, empty data dir", "ms"),
            ("startup_clean_ms", "start-up to ready after a clean stop, warm", "ms"),
            ("startup_kill9_ms", "start-up to ready after kill -9, warm", "ms"),
            ("startup_clean_cold_ms", "start-up to ready after a clean stop, cold", "ms"),
            ("startup_kill9_cold_ms", "start-up to ready after kill -9, cold", "ms"),
            ("stop_ms", "clean stop (SIGTERM to exit)", "ms"),
            ("idle_rss_mib", "RSS holding the log, idle", "MiB"),
            ("kill9_rss_mib", "RSS right after recovering from kill -9", "MiB"),
        ):
            values = r.get(key, [])
            if not values:
                continue
            out.append(f"| {label} | {med(values):.1f} {unit} | "
                       f"{', '.join(f'{v:.1f}' for v in values)} |")
        out.append(f"| RSS after one consumer read all messages | {r['rss_after_read_mib']:.1f} MiB "
                   f"(peak {r['peak_rss_after_read_mib']:.1f}) | read at {r['read_msgs_per_s']:,.0f} msgs/s |")
        out.append("")
    if failed:
        out.append("**Verification failed in:** " + ", ".join(failed))
    return "\n".join(out), not failed


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(one_line(load(sys.argv[2])))
        return 0
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    text, ok = report(sys.argv[1])
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
