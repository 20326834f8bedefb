#include "transactioncoordinator.h"

#include "kafka/protocol.h"

#include <QJsonArray>

#include <algorithm>
#include <limits>

namespace rivulet {

using namespace kafka;

const char *TransactionCoordinator::stateName(State s)
{
    switch (s) {
    case State::Empty:
        return "Empty";
    case State::Ongoing:
        return "Ongoing";
    case State::PrepareCommit:
        return "PrepareCommit";
    case State::PrepareAbort:
        return "PrepareAbort";
    case State::CompleteCommit:
        return "CompleteCommit";
    case State::CompleteAbort:
        return "CompleteAbort";
    }
    return "Empty";
}

TransactionCoordinator::TransactionCoordinator(Hooks hooks) : m_hooks(std::move(hooks)) {}

std::int64_t TransactionCoordinator::newProducerId(std::int64_t nowMs)
{
    // Unique across restarts without a file of its own: ids grow with the clock (a thousand a
    // millisecond), and never repeat within a run.
    m_lastProducerId = std::max(m_lastProducerId + 1, nowMs * 1000);
    return m_lastProducerId;
}

TransactionCoordinator::InitResult
TransactionCoordinator::initProducer(const std::optional<QByteArray> &transactionalId,
                                     std::int32_t timeoutMs, std::int64_t producerId,
                                     std::int16_t epoch, std::int64_t nowMs)
{
    std::lock_guard lock(m_mutex);
    constexpr std::int16_t kLastEpoch = std::numeric_limits<std::int16_t>::max() - 1;
    if (!transactionalId || transactionalId->isEmpty()) {
        // an idempotent producer: nothing to remember but that its id is taken
        if (producerId >= 0 && epoch >= 0 && epoch < kLastEpoch)
            return {error::None, producerId, std::int16_t(epoch + 1)};
        return {error::None, newProducerId(nowMs), 0};
    }
    if (timeoutMs <= 0 || timeoutMs > kMaxTimeoutMs)
        return {error::InvalidTransactionTimeout, -1, -1};
    auto found = m_transactions.find(*transactionalId);
    if (found == m_transactions.end()) {
        Transaction t;
        t.transactionalId = *transactionalId;
        t.producerId = newProducerId(nowMs);
        t.epoch = 0;
        t.timeoutMs = timeoutMs;
        t.updatedMs = nowMs;
        const InitResult r{error::None, t.producerId, t.epoch};
        m_transactions.emplace(*transactionalId, std::move(t));
        saveLocked();
        return r;
    }
    Transaction &t = found->second;
    // KIP-360: a producer that names its id and epoch must be the current one, or be retrying
    // the bump it asked for (its answer was lost)
    if (producerId >= 0 && producerId == t.producerId && epoch >= 0 && epoch == t.lastEpoch &&
        t.state != State::Ongoing)
        return {error::None, t.producerId, t.epoch};
    if (producerId >= 0 && (producerId != t.producerId || epoch != t.epoch))
        return {error::ProducerFenced, -1, -1};
    auto prepared = [&] {
        return t.state == State::PrepareCommit || t.state == State::PrepareAbort;
    };
    if (prepared())
        complete(t, t.state == State::PrepareCommit, nowMs); // decided before: finish it
    if (prepared()) // its markers still cannot be written: the producer retries
        return {error::ConcurrentTransactions, -1, -1};
    t.lastEpoch = producerId >= 0 ? t.epoch : -1;
    if (t.epoch >= kLastEpoch) {
        if (t.state == State::Ongoing)
            complete(t, false, nowMs);
        if (prepared()) {
            saveLocked();
            return {error::ConcurrentTransactions, -1, -1};
        }
        t.producerId = newProducerId(nowMs);
        t.epoch = 0;
    } else {
        // The new epoch fences every older instance. The previous instance's open
        // transaction is aborted with it, as Kafka does: its markers carry the new epoch, so
        // its partitions refuse the old one from then on.
        ++t.epoch;
        if (t.state == State::Ongoing)
            complete(t, false, nowMs);
    }
    if (prepared()) {
        saveLocked();
        return {error::ConcurrentTransactions, -1, -1};
    }
    t.timeoutMs = timeoutMs;
    t.state = State::Empty;
    t.updatedMs = nowMs;
    saveLocked();
    return {error::None, t.producerId, t.epoch};
}

std::int16_t TransactionCoordinator::check(const Transaction *t, std::int64_t producerId,
                                           std::int16_t epoch) const
{
    if (!t || t->producerId != producerId)
        return error::InvalidProducerIdMapping;
    if (epoch != t->epoch)
        return error::ProducerFenced;
    if (t->state == State::PrepareCommit || t->state == State::PrepareAbort)
        return error::ConcurrentTransactions;
    return error::None;
}

std::map<TransactionCoordinator::TopicPartition, std::int16_t>
TransactionCoordinator::addPartitions(const QByteArray &transactionalId, std::int64_t producerId,
                                      std::int16_t epoch, const std::vector<TopicPartition> &parts,
                                      std::int64_t nowMs)
{
    std::lock_guard lock(m_mutex);
    std::map<TopicPartition, std::int16_t> result;
    auto found = m_transactions.find(transactionalId);
    Transaction *t = found == m_transactions.end() ? nullptr : &found->second;
    std::int16_t code = check(t, producerId, epoch);
    if (code == error::None) {
        for (const TopicPartition &tp : parts)
            if (!m_hooks.partitionExists(tp))
                result[tp] = error::UnknownTopicOrPartition;
        // like Kafka: one bad partition fails them all (the rest answer 'operation not
        // attempted')
        if (!result.empty())
            code = error::OperationNotAttempted;
    }
    if (code != error::None) {
        for (const TopicPartition &tp : parts)
            result.emplace(tp, code);
        return result;
    }
    if (t->state != State::Ongoing) {
        t->state = State::Ongoing;
        t->startMs = nowMs;
        t->partitions.clear();
        t->offsets.clear();
    }
    for (const TopicPartition &tp : parts) {
        t->partitions.insert(tp);
        result[tp] = error::None;
    }
    t->updatedMs = nowMs;
    saveLocked();
    return result;
}

std::int16_t TransactionCoordinator::addGroup(const QByteArray &transactionalId,
                                              std::int64_t producerId, std::int16_t epoch,
                                              const QByteArray &group, std::int64_t nowMs)
{
    std::lock_guard lock(m_mutex);
    auto found = m_transactions.find(transactionalId);
    Transaction *t = found == m_transactions.end() ? nullptr : &found->second;
    if (const std::int16_t code = check(t, producerId, epoch))
        return code;
    if (group.isEmpty())
        return error::InvalidGroupId;
    if (t->state != State::Ongoing) {
        t->state = State::Ongoing;
        t->startMs = nowMs;
        t->partitions.clear();
        t->offsets.clear();
    }
    t->offsets[group]; // committed (possibly nothing) when the transaction commits
    t->updatedMs = nowMs;
    saveLocked();
    return error::None;
}

std::int16_t TransactionCoordinator::stageOffsets(const QByteArray &transactionalId,
                                                  std::int64_t producerId, std::int16_t epoch,
                                                  const QByteArray &group,
                                                  const std::vector<PendingOffset> &offsets,
                                                  std::int64_t nowMs)
{
    std::lock_guard lock(m_mutex);
    auto found = m_transactions.find(transactionalId);
    Transaction *t = found == m_transactions.end() ? nullptr : &found->second;
    if (const std::int16_t code = check(t, producerId, epoch))
        return code;
    if (t->state != State::Ongoing || !t->offsets.count(group))
        return error::InvalidTxnState; // AddOffsetsToTxn comes first
    std::vector<PendingOffset> &pending = t->offsets[group];
    for (const PendingOffset &o : offsets) {
        auto same = std::find_if(pending.begin(), pending.end(), [&](const PendingOffset &p) {
            return p.topic == o.topic && p.partition == o.partition;
        });
        if (same != pending.end())
            *same = o;
        else
            pending.push_back(o);
    }
    t->updatedMs = nowMs;
    saveLocked();
    return error::None;
}

std::int16_t TransactionCoordinator::endTransaction(const QByteArray &transactionalId,
                                                    std::int64_t producerId, std::int16_t epoch,
                                                    bool commit, std::int64_t nowMs)
{
    std::lock_guard lock(m_mutex);
    auto found = m_transactions.find(transactionalId);
    Transaction *t = found == m_transactions.end() ? nullptr : &found->second;
    if (const std::int16_t code = check(t, producerId, epoch))
        return code;
    if (t->state == State::Ongoing) {
        complete(*t, commit, nowMs);
        return error::None;
    }
    // a retried EndTxn whose first try completed is answered the same way
    if ((t->state == State::CompleteCommit && commit) ||
        (t->state == State::CompleteAbort && !commit))
        return error::None;
    // EndTxn with nothing added: Kafka accepts an abort of an empty transaction
    if (t->state == State::Empty && !commit)
        return error::None;
    return error::InvalidTxnState;
}

void TransactionCoordinator::complete(Transaction &t, bool commit, std::int64_t nowMs)
{
    // Prepare first and save, so a crash between markers finishes the same way on restart.
    t.state = commit ? State::PrepareCommit : State::PrepareAbort;
    saveLocked();
    for (auto it = t.partitions.begin(); it != t.partitions.end();) {
        // a partition that is gone takes its share of the transaction with it
        if (m_hooks.writeMarker(*it, t.producerId, t.epoch, commit) ||
            !m_hooks.partitionExists(*it))
            it = t.partitions.erase(it);
        else
            ++it;
    }
    if (!t.partitions.empty()) {
        // A marker could not be written (a full disk, say): the decision stands, the
        // transaction stays prepared (its producer gets CONCURRENT_TRANSACTIONS) and
        // housekeeping writes the missing markers, as Kafka retries them.
        t.updatedMs = nowMs;
        saveLocked();
        return;
    }
    if (commit)
        for (const auto &[group, offsets] : t.offsets)
            if (!offsets.empty())
                m_hooks.commitOffsets(group, offsets);
    t.state = commit ? State::CompleteCommit : State::CompleteAbort;
    t.partitions.clear();
    t.offsets.clear();
    t.startMs = -1;
    t.updatedMs = nowMs;
    saveLocked();
}

int TransactionCoordinator::abortExpired(std::int64_t nowMs)
{
    std::lock_guard lock(m_mutex);
    int aborted = 0;
    constexpr std::int16_t kLastEpoch = std::numeric_limits<std::int16_t>::max() - 1;
    for (auto &[id, t] : m_transactions) {
        if (t.state == State::PrepareCommit || t.state == State::PrepareAbort) {
            complete(t, t.state == State::PrepareCommit, nowMs); // markers still to write
            continue;
        }
        if (t.state != State::Ongoing || t.startMs < 0 || nowMs - t.startMs <= t.timeoutMs)
            continue;
        // Kafka bumps the epoch as it aborts: the abandoned producer is fenced
        if (t.epoch < kLastEpoch)
            ++t.epoch;
        t.lastEpoch = -1;
        complete(t, false, nowMs);
        ++aborted;
    }
    return aborted;
}

std::vector<TransactionCoordinator::Transaction> TransactionCoordinator::transactions() const
{
    std::lock_guard lock(m_mutex);
    std::vector<Transaction> all;
    for (const auto &[id, t] : m_transactions)
        all.push_back(t);
    return all;
}

std::optional<TransactionCoordinator::Transaction>
TransactionCoordinator::transaction(const QByteArray &transactionalId) const
{
    std::lock_guard lock(m_mutex);
    const auto found = m_transactions.find(transactionalId);
    if (found == m_transactions.end())
        return std::nullopt;
    return found->second;
}

void TransactionCoordinator::save() const
{
    std::lock_guard lock(m_mutex);
    saveLocked();
}

void TransactionCoordinator::saveLocked() const
{
    if (m_hooks.save)
        m_hooks.save(toJson());
}

QJsonObject TransactionCoordinator::toJson() const
{
    // called with m_mutex held (saveLocked) or from outside with nothing else running
    QJsonArray list;
    for (const auto &[id, t] : m_transactions) {
        QJsonArray partitions;
        for (const auto &[topic, partition] : t.partitions)
            partitions.append(QJsonObject{{QStringLiteral("topic"), QString::fromUtf8(topic)},
                                          {QStringLiteral("partition"), partition}});
        QJsonArray offsets;
        for (const auto &[group, pending] : t.offsets) {
            QJsonArray entries;
            for (const PendingOffset &o : pending)
                entries.append(
                    QJsonObject{{QStringLiteral("topic"), QString::fromUtf8(o.topic)},
                                {QStringLiteral("partition"), o.partition},
                                {QStringLiteral("offset"), qint64(o.offset)},
                                {QStringLiteral("metadata"), QString::fromUtf8(o.metadata)}});
            offsets.append(QJsonObject{{QStringLiteral("group"), QString::fromUtf8(group)},
                                       {QStringLiteral("offsets"), entries}});
        }
        list.append(QJsonObject{{QStringLiteral("id"), QString::fromUtf8(id)},
                                {QStringLiteral("producerId"), qint64(t.producerId)},
                                {QStringLiteral("epoch"), t.epoch},
                                {QStringLiteral("lastEpoch"), t.lastEpoch},
                                {QStringLiteral("timeoutMs"), t.timeoutMs},
                                {QStringLiteral("state"), QLatin1String(stateName(t.state))},
                                {QStringLiteral("startMs"), qint64(t.startMs)},
                                {QStringLiteral("updatedMs"), qint64(t.updatedMs)},
                                {QStringLiteral("partitions"), partitions},
                                {QStringLiteral("offsets"), offsets}});
    }
    return {{QStringLiteral("transactions"), list},
            {QStringLiteral("lastProducerId"), qint64(m_lastProducerId)}};
}

void TransactionCoordinator::restore(const QJsonObject &saved, std::int64_t nowMs)
{
    std::lock_guard lock(m_mutex);
    m_transactions.clear();
    m_lastProducerId = saved.value(QStringLiteral("lastProducerId")).toInteger(0);
    for (const QJsonValue &v : saved.value(QStringLiteral("transactions")).toArray()) {
        const QJsonObject o = v.toObject();
        Transaction t;
        t.transactionalId = o.value(QStringLiteral("id")).toString().toUtf8();
        t.producerId = o.value(QStringLiteral("producerId")).toInteger(-1);
        t.epoch = std::int16_t(o.value(QStringLiteral("epoch")).toInt());
        t.lastEpoch = std::int16_t(o.value(QStringLiteral("lastEpoch")).toInt(-1));
        t.timeoutMs = o.value(QStringLiteral("timeoutMs")).toInt(60000);
        t.startMs = o.value(QStringLiteral("startMs")).toInteger(-1);
        t.updatedMs = o.value(QStringLiteral("updatedMs")).toInteger(nowMs);
        const QString state = o.value(QStringLiteral("state")).toString();
        for (State s : {State::Empty, State::Ongoing, State::PrepareCommit, State::PrepareAbort,
                        State::CompleteCommit, State::CompleteAbort})
            if (state == QLatin1String(stateName(s)))
                t.state = s;
        for (const QJsonValue &p : o.value(QStringLiteral("partitions")).toArray())
            t.partitions.insert({p[QStringLiteral("topic")].toString().toUtf8(),
                                 p[QStringLiteral("partition")].toInt()});
        for (const QJsonValue &g : o.value(QStringLiteral("offsets")).toArray()) {
            std::vector<PendingOffset> &pending =
                t.offsets[g[QStringLiteral("group")].toString().toUtf8()];
            for (const QJsonValue &e : g[QStringLiteral("offsets")].toArray())
                pending.push_back({e[QStringLiteral("topic")].toString().toUtf8(),
                                   e[QStringLiteral("partition")].toInt(),
                                   e[QStringLiteral("offset")].toInteger(),
                                   e[QStringLiteral("metadata")].toString().toUtf8()});
        }
        m_lastProducerId = std::max(m_lastProducerId, t.producerId);
        m_transactions.emplace(t.transactionalId, std::move(t));
    }
    // a transaction caught between prepare and complete finishes as it was decided
    for (auto &[id, t] : m_transactions)
        if (t.state == State::PrepareCommit || t.state == State::PrepareAbort)
            complete(t, t.state == State::PrepareCommit, nowMs);
}

} // namespace rivulet
