#pragma once

#include <QStringList>

// `rivulet-cli bench`: drives a broker (its own child, or one at --host/--port) with
// producers and consumers, verifies every message and prints throughput, latency and the
// broker's CPU time and memory. Returns the process exit code.
namespace cli {

int runBench(const QString &host, quint16 port, bool portGiven, const QStringList &args);

} // namespace cli
