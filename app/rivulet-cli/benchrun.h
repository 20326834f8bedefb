#pragma once

#include "benchbroker.h"
#include "benchworkload.h"

#include <algorithm>

// One run of the load against a broker that is already up: create the topic, start the
// clients together, time each phase and read the broker's CPU time around them.
namespace cli::bench {

struct Phase
{
    std::uint64_t messages = 0;
    std::uint64_t valueBytes = 0;
    std::uint64_t requests = 0;
    double seconds = 0;
    double brokerCpuSeconds = -1; // -1: not separable (the phases overlapped)
    double rate() const { return seconds > 0 ? double(messages) / seconds : 0; }
    double megabytesPerSecond() const
    {
        return seconds > 0 ? double(valueBytes) / seconds / 1e6 : 0;
    }
};

struct RunResult
{
    bool failed = false;   // a client could not finish (connection, broker error)
    bool mismatch = false; // verification found a wrong, missing or repeated message
    QStringList errors;
    Phase produce, consume;
    Percentiles latency;      // produce round trips
    Percentiles fromSchedule; // --rate: from when each request was due
    std::uint64_t lateSends = 0, emptyReplies = 0, staleRecords = 0;
    double wallSeconds = 0;
    ProcessUsage brokerBefore, brokerAfter; // around the whole load
    ProcessUsage clientBefore, clientAfter;
    double machineBusySeconds = 0; // every process, during the load
    double brokerCpuSeconds() const { return brokerAfter.cpuSeconds() - brokerBefore.cpuSeconds(); }
    double clientCpuSeconds() const { return clientAfter.cpuSeconds() - clientBefore.cpuSeconds(); }
    std::uint64_t moved() const { return produce.messages + consume.messages; }
    // CPU time taken by everything but the broker and the bench during the load
    double otherCpuSeconds() const
    {
        return std::max(0.0, machineBusySeconds - clientCpuSeconds() -
                                 (brokerAfter.ok ? brokerCpuSeconds() : 0.0));
    }
};

struct RunPlan
{
    bool produce = true;
    bool consume = true;
    // messages per producer that consumers expect; normally Options::messages
    std::uint64_t perProducer = 0;
};

// Creates the topic (native: CreateTopic, which must come back empty; Redis: DEL of the
// stream keys). Returns an empty string or what went wrong.
QString prepareTopic(const Options &options, quint16 port, const QByteArray &topic);

RunResult runLoad(const Options &options, quint16 port, qint64 brokerPid, const QByteArray &topic,
                  const ValueSource &values, const RunPlan &plan);

} // namespace cli::bench
