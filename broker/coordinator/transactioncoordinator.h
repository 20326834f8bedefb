#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

namespace rivulet {

// Kafka's transaction coordinator for one broker (KIP-98): transactional ids and their
// producer id and epoch, the partitions and groups each open transaction touches, the offsets
// it will commit, and its timeout. Ending a transaction writes a commit or abort marker to
// each of its partitions (through the markers callback) and, on commit, stores its offsets.
// Answers carry Kafka error codes. Thread-safe: one lock, held for each operation (markers
// are written under it, so two ends of one transaction cannot interleave).
class TransactionCoordinator
{
public:
    using TopicPartition = std::pair<QByteArray, std::int32_t>;
    struct PendingOffset
    {
        QByteArray topic;
        std::int32_t partition = 0;
        std::int64_t offset = 0;
        QByteArray metadata;
    };
    struct Hooks
    {
        // Writes a commit/abort marker of producerId/epoch to one partition; false when the
        // partition is gone (its share of the transaction goes with it).
        std::function<bool(const TopicPartition &, std::int64_t producerId, std::int16_t epoch,
                           bool commit)>
            writeMarker;
        std::function<void(const QByteArray &group, const std::vector<PendingOffset> &)>
            commitOffsets;
        std::function<bool(const TopicPartition &)> partitionExists;
        // Called with the whole state after each change that must survive a crash.
        std::function<void(const QJsonObject &)> save;
    };

    enum class State
    {
        Empty,
        Ongoing,
        PrepareCommit,
        PrepareAbort,
        CompleteCommit,
        CompleteAbort,
    };
    static const char *stateName(State s);

    struct Transaction
    {
        QByteArray transactionalId;
        std::int64_t producerId = -1;
        std::int16_t epoch = 0;
        // the epoch before the last bump asked for by the producer itself (KIP-360), so that
        // a retry of that InitProducerId gets the same answer; -1 after a new instance
        std::int16_t lastEpoch = -1;
        std::int32_t timeoutMs = 60000;
        State state = State::Empty;
        std::set<TopicPartition> partitions;
        std::map<QByteArray, std::vector<PendingOffset>> offsets; // by group
        std::int64_t startMs = -1;
        std::int64_t updatedMs = 0;
    };

    static constexpr std::int32_t kMaxTimeoutMs = 15 * 60 * 1000; // transaction.max.timeout.ms

    explicit TransactionCoordinator(Hooks hooks);

    struct InitResult
    {
        std::int16_t error = 0;
        std::int64_t producerId = -1;
        std::int16_t epoch = -1;
    };
    // InitProducerId. Without a transactional id: a new idempotent producer, or (KIP-360) the
    // same one with its epoch bumped when it names itself. With one: its producer id, epoch
    // bumped (fencing an older instance), its open transaction aborted first.
    InitResult initProducer(const std::optional<QByteArray> &transactionalId,
                            std::int32_t timeoutMs, std::int64_t producerId, std::int16_t epoch,
                            std::int64_t nowMs);
    // AddPartitionsToTxn: one error for all (the answer repeats it per partition) or a
    // per-partition one when a partition does not exist.
    std::map<TopicPartition, std::int16_t>
    addPartitions(const QByteArray &transactionalId, std::int64_t producerId, std::int16_t epoch,
                  const std::vector<TopicPartition> &parts, std::int64_t nowMs);
    std::int16_t addGroup(const QByteArray &transactionalId, std::int64_t producerId,
                          std::int16_t epoch, const QByteArray &group, std::int64_t nowMs);
    std::int16_t stageOffsets(const QByteArray &transactionalId, std::int64_t producerId,
                              std::int16_t epoch, const QByteArray &group,
                              const std::vector<PendingOffset> &offsets, std::int64_t nowMs);
    std::int16_t endTransaction(const QByteArray &transactionalId, std::int64_t producerId,
                                std::int16_t epoch, bool commit, std::int64_t nowMs);
    // Aborts the transactions open longer than their timeout (their producers are fenced, as
    // Kafka fences them), and writes the markers a prepared transaction could not write
    // before. Returns how many it aborted.
    int abortExpired(std::int64_t nowMs);

    std::vector<Transaction> transactions() const;
    std::optional<Transaction> transaction(const QByteArray &transactionalId) const;

    // Persistence: the state as JSON, and back (after a restart: transactions caught between
    // prepare and complete are completed, open ones time out as usual).
    QJsonObject toJson() const;
    // Saves the state now (through the save hook), e.g. after a topic went away.
    void save() const;
    void restore(const QJsonObject &saved, std::int64_t nowMs);

private:
    std::int16_t check(const Transaction *t, std::int64_t producerId, std::int16_t epoch) const;
    void complete(Transaction &t, bool commit, std::int64_t nowMs);
    std::int64_t newProducerId(std::int64_t nowMs);
    void saveLocked() const;

    Hooks m_hooks;
    mutable std::mutex m_mutex;
    std::map<QByteArray, Transaction> m_transactions;
    std::int64_t m_lastProducerId = 0;
};

} // namespace rivulet
