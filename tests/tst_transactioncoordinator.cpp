// TransactionCoordinator on its own, its hooks recorded: epochs and fencing (KIP-360 retries
// included), markers and their epochs, staged offsets, timeouts, markers that cannot be
// written at first, and the state saved and restored.
#include "coordinator/transactioncoordinator.h"
#include "kafka/protocol.h"

#include <QTest>

using namespace rivulet;
namespace error = rivulet::kafka::error;

namespace {

struct Marker
{
    QByteArray topic;
    std::int32_t partition;
    std::int64_t producerId;
    std::int16_t epoch;
    bool commit;
};

// The hooks, recording what the coordinator asks of the broker.
struct Recorder
{
    std::vector<Marker> markers;
    std::vector<std::pair<QByteArray, std::int64_t>> committed; // group, offset
    int failMarkers = 0; // the next this many marker writes fail
    QJsonObject saved;

    TransactionCoordinator::Hooks hooks()
    {
        TransactionCoordinator::Hooks h;
        h.writeMarker = [this](const TransactionCoordinator::TopicPartition &tp, std::int64_t pid,
                               std::int16_t epoch, bool commit) {
            if (failMarkers > 0) {
                --failMarkers;
                return false;
            }
            markers.push_back({tp.first, tp.second, pid, epoch, commit});
            return true;
        };
        h.commitOffsets = [this](const QByteArray &group,
                                 const std::vector<TransactionCoordinator::PendingOffset> &o) {
            for (const auto &p : o)
                committed.emplace_back(group, p.offset);
        };
        h.partitionExists = [](const TransactionCoordinator::TopicPartition &tp) {
            return tp.first != "missing";
        };
        h.save = [this](const QJsonObject &state) { saved = state; };
        return h;
    }
};

} // namespace

class TestTransactionCoordinator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void idempotentProducersGetNewIdsAndBumps()
    {
        Recorder r;
        TransactionCoordinator c(r.hooks());
        const auto a = c.initProducer(std::nullopt, 60000, -1, -1, 1000);
        const auto b = c.initProducer(std::nullopt, 60000, -1, -1, 1000);
        QCOMPARE(a.error, error::None);
        QVERIFY(b.producerId > a.producerId);
        QCOMPARE(a.epoch, std::int16_t(0));
        // KIP-360: the producer names itself and gets its epoch bumped
        const auto bumped = c.initProducer(std::nullopt, 60000, a.producerId, 0, 1000);
        QCOMPARE(bumped.producerId, a.producerId);
        QCOMPARE(bumped.epoch, std::int16_t(1));
    }

    void epochsFenceAndRetriesGetTheSameAnswer()
    {
        Recorder r;
        TransactionCoordinator c(r.hooks());
        const auto first = c.initProducer(QByteArray("tx"), 60000, -1, -1, 1000);
        QCOMPARE(first.epoch, std::int16_t(0));
        // the producer asks for a bump (KIP-360); its answer is lost and it asks again
        const auto bump = c.initProducer(QByteArray("tx"), 60000, first.producerId, 0, 1000);
        QCOMPARE(bump.error, error::None);
        QCOMPARE(bump.epoch, std::int16_t(1));
        const auto retry = c.initProducer(QByteArray("tx"), 60000, first.producerId, 0, 1000);
        QCOMPARE(retry.error, error::None);
        QCOMPARE(retry.epoch, std::int16_t(1));
        // a new instance (no id named) fences; the retry rule no longer applies after it
        const auto second = c.initProducer(QByteArray("tx"), 60000, -1, -1, 1000);
        QCOMPARE(second.epoch, std::int16_t(2));
        QCOMPARE(c.initProducer(QByteArray("tx"), 60000, first.producerId, 1, 1000).error,
                 error::ProducerFenced);
        QCOMPARE(c.addPartitions("tx", first.producerId, 1, {{"t", 0}}, 1000).at({"t", 0}),
                 error::ProducerFenced);
        QCOMPARE(c.initProducer(QByteArray("tx"), 0, -1, -1, 1000).error,
                 error::InvalidTransactionTimeout);
    }

    void aNewInstanceAbortsTheOpenTransactionWithItsEpoch()
    {
        Recorder r;
        TransactionCoordinator c(r.hooks());
        const auto p = c.initProducer(QByteArray("tx"), 60000, -1, -1, 1000);
        QCOMPARE(c.addPartitions("tx", p.producerId, 0, {{"t", 0}, {"t", 1}}, 1000).at({"t", 1}),
                 error::None);
        const auto next = c.initProducer(QByteArray("tx"), 60000, -1, -1, 2000);
        QCOMPARE(next.epoch, std::int16_t(1));
        QCOMPARE(r.markers.size(), std::size_t(2));
        for (const Marker &m : r.markers) {
            QVERIFY(!m.commit);
            QCOMPARE(m.epoch, std::int16_t(1)); // the old epoch is fenced at the partitions
        }
    }

    void commitWritesMarkersAndStoresStagedOffsets()
    {
        Recorder r;
        TransactionCoordinator c(r.hooks());
        const auto p = c.initProducer(QByteArray("tx"), 60000, -1, -1, 1000);
        c.addPartitions("tx", p.producerId, 0, {{"out", 0}}, 1000);
        QCOMPARE(c.stageOffsets("tx", p.producerId, 0, "g", {{"in", 0, 7, {}}}, 1000),
                 error::InvalidTxnState); // AddOffsetsToTxn first
        QCOMPARE(c.addGroup("tx", p.producerId, 0, "g", 1000), error::None);
        QCOMPARE(c.stageOffsets("tx", p.producerId, 0, "g", {{"in", 0, 7, {}}}, 1000), error::None);
        QCOMPARE(c.stageOffsets("tx", p.producerId, 0, "g", {{"in", 0, 9, {}}}, 1000),
                 error::None); // the same partition again: the newer offset wins
        QVERIFY(r.committed.empty());
        QCOMPARE(c.endTransaction("tx", p.producerId, 0, true, 1500), error::None);
        QCOMPARE(r.markers.size(), std::size_t(1));
        QVERIFY(r.markers[0].commit);
        QCOMPARE(r.committed.size(), std::size_t(1));
        QCOMPARE(r.committed[0].second, std::int64_t(9));
        // a retry of the same EndTxn is answered the same; the opposite is not
        QCOMPARE(c.endTransaction("tx", p.producerId, 0, true, 1600), error::None);
        QCOMPARE(c.endTransaction("tx", p.producerId, 0, false, 1600), error::InvalidTxnState);
        QCOMPARE(r.markers.size(), std::size_t(1));
    }

    void abortDropsStagedOffsetsAndAnUnknownPartitionFailsTheAdd()
    {
        Recorder r;
        TransactionCoordinator c(r.hooks());
        const auto p = c.initProducer(QByteArray("tx"), 60000, -1, -1, 1000);
        const auto codes = c.addPartitions("tx", p.producerId, 0, {{"t", 0}, {"missing", 0}}, 1000);
        QCOMPARE(codes.at({"missing", 0}), error::UnknownTopicOrPartition);
        QCOMPARE(codes.at({"t", 0}), error::OperationNotAttempted);
        c.addPartitions("tx", p.producerId, 0, {{"t", 0}}, 1000);
        c.addGroup("tx", p.producerId, 0, "g", 1000);
        c.stageOffsets("tx", p.producerId, 0, "g", {{"in", 0, 3, {}}}, 1000);
        QCOMPARE(c.endTransaction("tx", p.producerId, 0, false, 1500), error::None);
        QVERIFY(r.committed.empty());
        QCOMPARE(r.markers.size(), std::size_t(1));
        QVERIFY(!r.markers[0].commit);
    }

    void timedOutTransactionsAreAbortedAndFenced()
    {
        Recorder r;
        TransactionCoordinator c(r.hooks());
        const auto p = c.initProducer(QByteArray("tx"), 5000, -1, -1, 1000);
        c.addPartitions("tx", p.producerId, 0, {{"t", 0}}, 2000);
        QCOMPARE(c.abortExpired(7000), 0); // exactly the timeout: not yet
        QCOMPARE(c.abortExpired(7001), 1);
        QCOMPARE(r.markers.size(), std::size_t(1));
        QCOMPARE(r.markers[0].epoch, std::int16_t(1));
        QCOMPARE(c.endTransaction("tx", p.producerId, 0, true, 7002), error::ProducerFenced);
    }

    // A marker that cannot be written (a full disk, say) leaves the transaction prepared; the
    // producer is told to retry, and housekeeping writes the rest without writing any twice.
    void markersThatFailAreWrittenLater()
    {
        Recorder r;
        TransactionCoordinator c(r.hooks());
        const auto p = c.initProducer(QByteArray("tx"), 60000, -1, -1, 1000);
        c.addPartitions("tx", p.producerId, 0, {{"t", 0}, {"t", 1}}, 1000);
        c.addGroup("tx", p.producerId, 0, "g", 1000);
        c.stageOffsets("tx", p.producerId, 0, "g", {{"in", 0, 5, {}}}, 1000);
        r.failMarkers = 1; // t[0] fails, t[1] is written
        QCOMPARE(c.endTransaction("tx", p.producerId, 0, true, 1500), error::None);
        QCOMPARE(c.transaction("tx")->state, TransactionCoordinator::State::PrepareCommit);
        QCOMPARE(r.markers.size(), std::size_t(1));
        QVERIFY(r.committed.empty()); // offsets only once every marker is there
        QCOMPARE(c.addPartitions("tx", p.producerId, 0, {{"t", 0}}, 1600).at({"t", 0}),
                 error::ConcurrentTransactions);
        QCOMPARE(c.initProducer(QByteArray("tx"), 60000, -1, -1, 1600).error, error::None);
        QCOMPARE(r.markers.size(), std::size_t(2)); // InitProducerId finished it first
        QCOMPARE(r.markers[1].partition, 0);
        QCOMPARE(r.committed.size(), std::size_t(1));
        c.abortExpired(999999);
        QCOMPARE(r.markers.size(), std::size_t(2));
    }

    void stateSurvivesARestartAndPreparedOnesFinish()
    {
        Recorder r;
        TransactionCoordinator c(r.hooks());
        const auto p = c.initProducer(QByteArray("tx"), 60000, -1, -1, 1000);
        c.addPartitions("tx", p.producerId, 0, {{"t", 0}}, 1000);
        r.failMarkers = 1;
        c.endTransaction("tx", p.producerId, 0, false, 1500); // prepared, marker missing
        const QJsonObject saved = r.saved;

        Recorder after;
        TransactionCoordinator restarted(after.hooks());
        restarted.restore(saved, 2000);
        QCOMPARE(after.markers.size(), std::size_t(1)); // the abort finishes on restore
        QVERIFY(!after.markers[0].commit);
        const auto t = restarted.transaction("tx");
        QVERIFY(t);
        QCOMPARE(t->state, TransactionCoordinator::State::CompleteAbort);
        QCOMPARE(t->producerId, p.producerId);
        // ids handed out after the restart never repeat those before it
        QVERIFY(restarted.initProducer(std::nullopt, 60000, -1, -1, 0).producerId > p.producerId);
    }
};

QTEST_GUILESS_MAIN(TestTransactionCoordinator)
#include "tst_transactioncoordinator.moc"
