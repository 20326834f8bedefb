#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <string>
#include <vector>

// What `rivulet-cli bench` runs: the options, the values producers send (deterministic from
// (producer, index), so consumers check bytes without storing them), the check of what a
// consumer reads back, and latency percentiles.
namespace cli::bench {

enum class Peer
{
    Rivulet,
    Redis
};

struct Options
{
    // where: an external broker (port given) or a child broker started by the bench
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 0;
    bool external = false;
    qint64 externalPid = 0; // --broker-pid: whose /proc CPU and memory to report
    Peer peer = Peer::Rivulet;
    QString brokerPath; // default: rivulet next to rivulet-cli
    bool inMemory = false;
    QString fsync;   // empty: the broker's default (interval)
    QString dataDir; // empty: a temporary directory, removed at the end
    bool keepData = false;

    // the load
    int producers = 1;
    int consumers = 1;
    int partitions = 1;
    qint64 messages = 100000; // per producer
    int size = 100;           // value bytes; ignored with seedValues
    bool seedValues = false;  // "nice message {i}"
    int batch = 100;          // values per produce request
    int inflight = 1;         // requests in flight per connection
    int limit = 0;            // records per consume request; 0: the batch size
    double rate = 0;          // total produce rate in messages/s; 0: as fast as possible
    bool sequential = false;  // consumers start when every producer is done
    int idleConnections = 0;  // held open, silent, while the load runs
    QString topic;            // default: a fresh name per run

    QString jsonPath; // write the results as JSON here too
    bool verifySelftest = false;
    bool quiet = false;
};

// The values of one producer. Sized values are a 12-byte header (producer, index) followed by
// bytes from a fixed random pool at a position derived from both, so any shift, swap or
// damaged byte shows.
class ValueSource
{
public:
    ValueSource(int size, bool seedValues);
    // Appends the value for (producer, index) to out; returns its length.
    std::size_t append(std::string &out, std::uint32_t producer, std::uint64_t index) const;
    // The length of that value without building it.
    std::size_t length(std::uint64_t index) const;
    // The bytes of the values with index 0 to count - 1.
    std::uint64_t totalBytes(std::uint64_t count) const;
    bool matches(std::uint32_t producer, std::uint64_t index, const char *data,
                 std::size_t size) const;
    bool seedValues() const { return m_seed; }
    // Spoils the expected value of one message, for --verify-selftest.
    void corruptExpectation(std::uint32_t producer, std::uint64_t index)
    {
        m_corruptProducer = producer;
        m_corruptIndex = index;
    }

private:
    std::size_t poolOffset(std::uint32_t producer, std::uint64_t index) const;
    int m_size;
    bool m_seed;
    std::string m_pool;
    std::int64_t m_corruptProducer = -1;
    std::uint64_t m_corruptIndex = 0;
};

// Checks one partition as a consumer reads it from offset 0: each record must be the next
// unseen message of one of the producers that write to the partition, so every message is
// seen once, in its producer's order, with the right bytes.
class PartitionCheck
{
public:
    PartitionCheck(const ValueSource &values, std::vector<std::uint32_t> producers,
                   std::uint64_t perProducer);
    // Offsets must follow on from 0 too; pass -1 when the peer has no offsets (Redis).
    bool accept(std::int64_t offset, const char *data, std::size_t size);
    std::uint64_t seen() const { return m_seen; }
    std::uint64_t bytes() const { return m_bytes; }
    std::uint64_t expected() const { return m_perProducer * m_producers.size(); }
    bool complete() const { return m_seen == expected(); }
    const QString &error() const { return m_error; }

private:
    const ValueSource &m_values;
    std::vector<std::uint32_t> m_producers;
    std::vector<std::uint64_t> m_next; // per producer of this partition
    std::uint64_t m_perProducer;
    std::uint64_t m_seen = 0;
    std::uint64_t m_bytes = 0;
    std::size_t m_last = 0; // the producer matched last, tried first
    QString m_error;
};

// Round-trip times in nanoseconds.
struct Percentiles
{
    double p50 = 0, p99 = 0, p999 = 0, max = 0;
    std::size_t count = 0;
};
Percentiles percentiles(std::vector<std::uint32_t> samples);

// Which partitions consumer c of n reads: with at least as many consumers as partitions,
// consumer c reads partition c % partitions; otherwise the partitions are dealt round robin.
std::vector<int> partitionsOf(int consumer, int consumers, int partitions);
// Which producers write to partition p (producer i writes to partition i % partitions).
std::vector<std::uint32_t> producersOf(int partition, int producers, int partitions);

// --json FILE: writes json there when the options name a file; says on stderr if it cannot.
void writeJsonReport(const Options &options, const QJsonObject &json);

} // namespace cli::bench
