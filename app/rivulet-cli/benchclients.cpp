#include "benchclients.h"

#include "benchwire.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <thread>

#include <sys/prctl.h>

namespace cli::bench {
namespace {

constexpr int kReplyTimeoutMs = 60000;

} // namespace

std::int64_t nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void StartGate::arrive()
{
    std::lock_guard lock(m_mutex);
    ++m_arrived;
    m_changed.notify_all();
}

void StartGate::waitForArrivals(int count)
{
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_arrived >= count; });
}

void StartGate::open()
{
    std::lock_guard lock(m_mutex);
    m_open = true;
    m_changed.notify_all();
}

void StartGate::wait()
{
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_open; });
}

void runProducer(const Load &load, int index, StartGate &gate, ProducerStats &out)
{
    const Options &o = load.options;
    Connection connection;
    QString error;
    const bool connected = connection.open(o.host, load.port, error);
    gate.arrive();
    gate.wait();
    if (!connected) {
        out.error = error;
        return;
    }
    auto protocol = Protocol::make(o.peer, load.topic, load.values);
    const int partition = index % o.partitions;
    // with one producer per partition the broker's offsets are known in advance
    const bool checkOffsets = o.producers <= o.partitions && o.peer == Peer::Rivulet;
    const auto producer = std::uint32_t(index);
    const std::uint64_t total = std::uint64_t(o.messages);
    const std::uint64_t requests = (total + std::uint64_t(o.batch) - 1) / std::uint64_t(o.batch);
    const auto depth = std::size_t(std::max(o.inflight, 1));
    std::vector<std::int64_t> sentAt(depth), dueAt(depth);
    std::vector<int> counts(depth);
    std::vector<std::uint64_t> firsts(depth);
    out.latencyNs.reserve(std::size_t(requests));
    if (o.rate > 0)
        out.fromScheduleNs.reserve(std::size_t(requests));

    // --rate: request k is due at start + k * interval
    const double perProducerRate = o.rate > 0 ? o.rate / o.producers : 0;
    const double intervalNs = perProducerRate > 0 ? 1e9 * o.batch / perProducerRate : 0;
    if (intervalNs > 0)
        prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); // wake on time, not up to 50 µs late
    const std::int64_t start = nowNs();

    std::string bytes;
    std::uint64_t issued = 0, acked = 0, nextIndex = 0;
    while (acked < requests) {
        bytes.clear();
        const std::uint64_t issuedBefore = issued;
        std::int64_t now = nowNs();
        while (issued - acked < depth && issued < requests) {
            if (intervalNs > 0) {
                const auto due = start + std::int64_t(double(issued) * intervalNs);
                if (due > now) {
                    if (issued != acked || issued != issuedBefore)
                        break; // read replies meanwhile; send when due
                    std::this_thread::sleep_for(std::chrono::nanoseconds(due - now));
                    now = nowNs();
                } else if (now - due > 1000000) {
                    ++out.lateSends;
                }
                dueAt[issued % depth] = due;
            }
            const int count =
                int(std::min<std::uint64_t>(std::uint64_t(o.batch), total - nextIndex));
            protocol->produce(bytes, partition, producer, nextIndex, count);
            counts[issued % depth] = count;
            firsts[issued % depth] = nextIndex;
            nextIndex += std::uint64_t(count);
            ++issued;
        }
        if (!bytes.empty()) {
            const std::int64_t sendTime = nowNs();
            for (std::uint64_t k = issuedBefore; k < issued; ++k)
                sentAt[k % depth] = sendTime;
            if (!connection.sendAll(bytes, error)) {
                out.error = error;
                return;
            }
        }
        // at least one reply, then whatever else is already here
        bool gotOne = false;
        while (acked < issued) {
            const std::size_t slot = acked % depth;
            std::int64_t lastOffset = -1;
            const Parse status =
                protocol->produceReply(connection, counts[slot], lastOffset, error);
            if (status == Parse::NeedMore) {
                if (gotOne)
                    break;
                if (!connection.receive(kReplyTimeoutMs, error)) {
                    out.error = QStringLiteral("waiting for a produce reply: %1").arg(error);
                    return;
                }
                continue;
            }
            if (status == Parse::Error) {
                out.error = QStringLiteral("produce refused: %1").arg(error);
                return;
            }
            const std::int64_t replyAt = nowNs();
            out.latencyNs.push_back(
                std::uint32_t(std::min<std::int64_t>(replyAt - sentAt[slot], UINT32_MAX)));
            if (intervalNs > 0)
                out.fromScheduleNs.push_back(
                    std::uint32_t(std::min<std::int64_t>(replyAt - dueAt[slot], UINT32_MAX)));
            const std::uint64_t expectedLast = firsts[slot] + std::uint64_t(counts[slot]) - 1;
            if (checkOffsets && lastOffset >= 0 && std::uint64_t(lastOffset) != expectedLast) {
                out.error = QStringLiteral("produce acknowledged offset %1 where %2 was due")
                                .arg(lastOffset)
                                .arg(expectedLast);
                out.mismatch = true;
                return;
            }
            out.messages += std::uint64_t(counts[slot]);
            ++acked;
            gotOne = true;
        }
    }
    out.requests = acked;
    out.valueBytes = load.values.totalBytes(total);
    out.endNs = nowNs();
}

void runConsumer(const Load &load, int index, StartGate &gate, ConsumerStats &out)
{
    const Options &o = load.options;
    Connection connection;
    QString error;
    const bool connected = connection.open(o.host, load.port, error);
    gate.arrive();
    gate.wait();
    if (!connected) {
        out.error = error;
        return;
    }
    auto protocol = Protocol::make(o.peer, load.topic, load.values);
    const QByteArray consumerId = QByteArrayLiteral("bench-consumer-") + QByteArray::number(index);
    const int limit = o.limit > 0 ? o.limit : o.batch;
    const auto depth = protocol->canPipelineConsume() ? std::size_t(std::max(o.inflight, 1)) : 1;
    std::string bytes;

    for (const int partition : partitionsOf(index, o.consumers, o.partitions)) {
        PartitionCheck check(load.values, producersOf(partition, o.producers, o.partitions),
                             load.perProducer);
        std::deque<std::uint64_t> asked; // offsets of the requests in flight
        std::uint64_t issued = 0;
        std::string lastId;
        auto backoff = std::chrono::microseconds(20);
        std::int64_t lastProgress = nowNs();
        while (!check.complete()) {
            bytes.clear();
            while (asked.size() < depth && issued < check.expected()) {
                protocol->consume(bytes, partition, issued, lastId, limit, consumerId);
                asked.push_back(issued);
                issued += std::uint64_t(limit);
            }
            if (!bytes.empty() && !connection.sendAll(bytes, error)) {
                out.error = error;
                return;
            }
            if (asked.empty()) {
                out.error = QStringLiteral("partition %1: nothing left to ask at %2 of %3")
                                .arg(partition)
                                .arg(check.seen())
                                .arg(check.expected());
                return;
            }
            // a reply is checked only if it starts where the partition was read up to;
            // the others overshot after a short reply and are dropped
            const std::uint64_t from = asked.front();
            asked.pop_front();
            const bool current = from == check.seen();
            ConsumeProgress progress;
            Parse status;
            while ((status = protocol->consumeReply(connection, current ? &check : nullptr,
                                                    progress, error)) == Parse::NeedMore) {
                if (!connection.receive(kReplyTimeoutMs, error)) {
                    out.error = QStringLiteral("waiting for a consume reply: %1").arg(error);
                    return;
                }
            }
            protocol->resetConsume();
            ++out.requests;
            if (status == Parse::Error) {
                out.error = QStringLiteral("partition %1: %2").arg(partition).arg(error);
                out.mismatch = !check.error().isEmpty();
                return;
            }
            if (!current) {
                out.staleRecords += progress.records;
                continue;
            }
            if (!progress.lastId.empty())
                lastId = progress.lastId;
            if (progress.records < std::uint64_t(limit))
                issued = check.seen(); // the end (for now): ask again from there
            if (progress.records > 0) {
                backoff = std::chrono::microseconds(20);
                lastProgress = nowNs();
                continue;
            }
            ++out.emptyReplies;
            if (nowNs() - lastProgress > std::int64_t(kReplyTimeoutMs) * 1000000) {
                out.error = QStringLiteral("partition %1: no new message for %2 s after %3 of %4")
                                .arg(partition)
                                .arg(kReplyTimeoutMs / 1000)
                                .arg(check.seen())
                                .arg(check.expected());
                return;
            }
            // caught up with the producers: ask again a little later
            if (asked.empty()) {
                std::this_thread::sleep_for(backoff);
                backoff = std::min(backoff * 2, std::chrono::microseconds(2000));
            }
        }
        out.messages += check.seen();
        out.valueBytes += check.bytes();
    }
    out.endNs = nowNs();
}

} // namespace cli::bench
