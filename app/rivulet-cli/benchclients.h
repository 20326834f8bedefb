#pragma once

#include "benchworkload.h"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

// The bench's client threads: each producer and each consumer is a std::thread with its own
// connection, started together once all of them are connected.
namespace cli::bench {

std::int64_t nowNs(); // steady clock

// Lets every client connect first, then releases them at once.
class StartGate
{
public:
    void arrive(); // a client is connected (or gave up)
    void waitForArrivals(int count);
    void open();
    void wait(); // a client waits to be released

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    int m_arrived = 0;
    bool m_open = false;
};

struct ProducerStats
{
    std::uint64_t messages = 0;
    std::uint64_t valueBytes = 0;
    std::uint64_t requests = 0;
    std::uint64_t lateSends = 0;          // --rate: sent over 1 ms after their time
    std::vector<std::uint32_t> latencyNs; // from the send
    // --rate: from the time the request was due, so that delays of the client itself (not
    // scheduled, behind after a slow reply) count too
    std::vector<std::uint32_t> fromScheduleNs;
    std::int64_t endNs = 0;
    QString error;
    bool mismatch = false; // the error is a wrong acknowledged offset
};

struct ConsumerStats
{
    std::uint64_t messages = 0;
    std::uint64_t valueBytes = 0;
    std::uint64_t requests = 0;
    std::uint64_t emptyReplies = 0;
    std::uint64_t staleRecords = 0; // read by a pipelined request that overshot the end
    std::int64_t endNs = 0;
    QString error;
    bool mismatch = false; // the error is a message that failed the check
};

struct Load
{
    const Options &options;
    QByteArray topic;
    const ValueSource &values;
    quint16 port;
    // consumers only: expect what was produced before (a recovery read) instead of the
    // messages of this run
    std::uint64_t perProducer;
};

void runProducer(const Load &load, int index, StartGate &gate, ProducerStats &out);
void runConsumer(const Load &load, int index, StartGate &gate, ConsumerStats &out);

} // namespace cli::bench
