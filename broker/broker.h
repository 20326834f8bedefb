#pragma once

#include "coordinator/producerstate.h"
#include "coordinator/transactioncoordinator.h"
#include "kafka/groupcoordinator.h"
#include "log/compression.h"
#include "log/datadir.h"
#include "log/topicregistry.h"
#include "monitor/clientregistry.h"
#include "monitor/connectionlimit.h"
#include "monitor/ratehistory.h"
#include "monitor/snapshot.h"
#include "native/protocol.h"
#include "outcomes.h"
#include "produce.h"
#include "read.h"
#include "server/bufferbudget.h"

#include <QHash>
#include <QStringList>
#include <QThreadPool>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace rivulet {

struct BrokerConfig
{
    std::size_t maxRequestBytes = native::kDefaultMaxRequestBytes;
    // The largest record batch a Kafka producer may send, counted uncompressed; also the
    // bound on decompressing a stored batch (compression::setMaxInflatedBytes, process-wide).
    qsizetype maxMessageBytes = compression::kDefaultMaxInflatedBytes;
    LogSettings log;                  // durable storage only
    RetentionPolicy defaultRetention; // for topics created without their own
    int retentionCheckMs = 5000;
    int positionSaveMs = 2000;
    // Positions of consumers that gave no consumer_id (named after their address) are
    // forgotten this long after their last read, and never saved.
    std::int64_t anonymousPositionTtlMs = 10 * 60 * 1000;
    std::int64_t groupInitialRebalanceDelayMs = 3000;
    // Open connections over both protocols; more are closed as soon as they are accepted.
    int maxConnections = ConnectionLimit::kDefaultMax;
    // The original broker's answer to a native Consume at or past the end of a non-empty
    // partition: its last record, labelled with the offset asked for (PROTOCOL.md §5.2.1).
    // Off by default; for clients written against the original that depend on it.
    bool seedCompat = false;
    // Bounded abuse (docs/ARCHITECTURE.md, "Connections and the event loop"). A connection
    // that has begun a request and not finished it within requestTimeoutMs is closed, and so
    // is one idle between requests for idleTimeoutMs (Kafka's connections.max.idle.ms);
    // 0 turns either off.
    int requestTimeoutMs = 30000;
    int idleTimeoutMs = 600000;
    // A connection stops handling requests while this many reply bytes wait for its peer to
    // read them (back-pressure; it goes on once they drain), and no single reply is built
    // bigger than the room left, except to give the first record or batch. 4 MiB: ten
    // clients pipelining Consumes they never read hold +74 MiB (+193 MiB at 16 MiB) and fast
    // consumers ran no slower than with 16 (docs/PERFORMANCE.md, "Queued replies").
    qint64 maxQueuedReplyBytes = qint64(4) << 20;
    // Bytes held for requests and replies by all connections together (BufferBudget).
    qint64 maxBufferedBytes = BufferBudget::kDefaultMax;
    // The most record bytes one Kafka Fetch answer carries, whatever its max_bytes (Kafka's
    // broker setting fetch.max.bytes, same default).
    std::int32_t fetchMaxBytes = 57671680;
    // Threads of the pool that checks compressed produces off the workers (runOffWorker());
    // 0: one per core.
    int offWorkerThreads = 0;
};

// The broker's state shared by every connection and worker thread: topics, their logs
// (in memory, or in a data directory), and the housekeeping that keeps the files in shape.
class Broker
{
public:
    explicit Broker(BrokerConfig config = {});
    ~Broker();

    // Makes the broker durable: locks the directory and opens every topic (recovering logs
    // after a crash). Call once, before serving and before startHousekeeping(). notes receives
    // what recovery did; error why the directory cannot be used.
    bool openDataDir(const QString &path, QStringList &notes, QString &error);
    bool isDurable() const { return m_dataDir != nullptr; }
    QString dataPath() const { return m_dataDir ? m_dataDir->path() : QString(); }

    TopicRegistry::CreateResult createTopic(QByteArrayView name, std::int64_t partitions,
                                            std::optional<RetentionPolicy> retention = {});
    // The one produce path, for native Produce, Kafka Produce and the window's injector: finds
    // the partition (creating the topic if asked), checks every batch before storing any,
    // stores them (under the fsync policy) and counts them. records holds one or more
    // magic-2 batches back to back; their base offsets are overwritten.
    ProduceResult produce(QByteArrayView topic, std::int64_t partition, QByteArray records,
                          const ProduceOptions &options = {});
    // read.cpp: records decoded for the window's message browser (Fetch sends stored
    // batches instead). A page of up to request.maxRecords records matching request.filter
    // from request.fromOffset on; an unknown topic or partition, a bad filter or damaged data
    // is page.error. Takes the partition's lock a run of batches at a time and may read
    // files: call it off the GUI thread.
    RecordPage readRecords(QByteArrayView topic, int partition, const ReadRequest &request) const;
    // Kafka's ListOffsets search (the handler shares it): the first record with a timestamp
    // at or after timestamp (TimestampLookup::kNewestTimestamp: the newest one). Reads files.
    TimestampLookup offsetForTimestamp(QByteArrayView topic, int partition,
                                       std::int64_t timestamp) const;
    // Each partition's start and end offset; empty when the topic does not exist. May load
    // a partition's log that was not opened yet: not on the GUI thread.
    QList<PartitionRange> partitionRanges(QByteArrayView topic) const;
    // The topic's partition count (registry metadata, no file read); -1: no such topic.
    int partitionCount(QByteArrayView topic) const;
    // Removes the topic and, when durable, its files. False (and why) if it does not exist.
    bool deleteTopic(QByteArrayView name, QString &error);
    bool setRetention(QByteArrayView name, const RetentionPolicy &retention, QString &error);

    using ChangeOutcome = rivulet::ChangeOutcome; // outcomes.h
    // Kafka's CreatePartitions: raises the topic's partition count to newTotal (at most
    // kMaxPartitions); with validateOnly only checks. The registry gets a new
    // Topic sharing the existing partitions; holders of the old one keep its view. When
    // durable, topics.json has the new count before anyone sees the new partitions.
    ChangeOutcome addPartitions(QByteArrayView name, std::int64_t newTotal, QString &error,
                                bool validateOnly = false);
    // Kafka's DeleteRecords: moves the partition's start offset up to offset (-1: its end, the
    // high watermark); one below the start changes nothing. startOffset receives the start
    // offset after the change. Records before it are gone as after retention, for good.
    ChangeOutcome deleteRecordsBefore(QByteArrayView topic, std::int64_t partition,
                                      std::int64_t offset, std::int64_t &startOffset,
                                      QString &error);

    using GroupOutcome = rivulet::GroupOutcome; // outcomes.h
    using ResetTo = rivulet::ResetTo;
    // Commits new offsets on behalf of a Kafka consumer group, as Kafka's tools do (only while
    // the group has no members): an offset of its own for each partition listed (clamped to
    // what the partition holds); the partitions not listed keep their committed offsets.
    // Every partition to its start, end or one offset: ClusterSource::resetGroupOffsets.
    GroupOutcome resetGroupOffsets(const QByteArray &groupId, QByteArrayView topic,
                                   const std::map<int, std::int64_t> &offsets, QString &error);
    // Forgets a group and its committed offsets, as Kafka's DeleteGroups: only while it has
    // no members.
    GroupOutcome deleteGroup(const QByteArray &groupId, QString &error);

    // Forgets a native consumer's position in one partition; false when there was none.
    bool forgetConsumer(QByteArrayView topic, int partition, QByteArrayView consumer);
    // A native consumer's position after a Consume: kept in the partition and, when it moved
    // and the consumer is named, journaled before the reply goes out (commits.cpp).
    void notePosition(const Topic &topic, Partition &partition, QByteArrayView consumer,
                      std::int64_t nextOffset, std::int64_t delivered, bool anonymous);

    ClientRegistry &clients() { return m_clients; }
    ConnectionLimit &connections() { return m_connections; }
    // Bytes held by the connections for requests and replies, against maxBufferedBytes.
    BufferBudget &buffers() { return m_buffers; }
    kafka::GroupCoordinator &groups() { return m_groups; }
    TransactionCoordinator &transactions() { return m_transactions; }
    // Runs work too slow for a connection's worker thread, where it would hold up every other
    // connection sharing that worker (decompressing a Kafka producer's compressed batches to
    // check them, a native Consume that decompresses stored ones), on the broker's own pool of
    // as many threads as cores: not the global pool, whose threads the window's refreshes
    // use. The caller parks its connection and posts the answer back itself. shutdown() waits
    // for the tasks; a task must not touch a session, which may be gone when it runs.
    void runOffWorker(std::function<void()> task);
    // Transactions as Fetch sees them: the last stable offset (the first offset of the oldest
    // open transaction, or the end), and the aborted transactions (producer id, first offset)
    // that overlap [from, to], for read_committed consumers.
    std::int64_t lastStableOffset(const Topic &topic, const Partition &partition);
    std::vector<std::pair<std::int64_t, std::int64_t>>
    abortedTransactions(const Topic &topic, const Partition &partition, std::int64_t from,
                        std::int64_t to);
    // The idempotent and transactional producers of a partition, for DescribeProducers.
    std::unordered_map<std::int64_t, PartitionProducers::State> producers(const Topic &topic,
                                                                          int partition);
    const kafka::GroupCoordinator &groups() const { return m_groups; }
    const RateHistory &rates() const { return m_rates; }
    // Topics, partitions, consumer positions, clients and Kafka groups, copied out for the CLI
    // and the window.
    BrokerSnapshot snapshot() const;

    // Starts the housekeeping thread: rates every second, retention every 5 s and, when
    // durable, sealing, fsync and saved positions. Without it nothing is sampled (tests may call
    // housekeep() themselves).
    void startHousekeeping();

    TopicRegistry &topics() { return m_topics; }
    const TopicRegistry &topics() const { return m_topics; }
    const BrokerConfig &config() const { return m_config; }

    // Runs one round of housekeeping now (fsync, retention, positions); the housekeeping
    // thread calls it on its schedule, tests call it directly.
    void housekeep(bool force);
    // Clean shutdown: stops housekeeping, saves positions, closes every log and marks the
    // directory clean. Call after the servers have stopped.
    void shutdown();

    static std::int64_t nowMs();

private:
    // New partitions get their directories now; those found at start-up open lazily.
    enum class LogOrigin
    {
        New,
        Existing
    };
    LogFactory logFactory(LogOrigin origin) const;
    // fsyncs every partition with data not yet on disk (one syncfs(2) for many)
    void syncPartitions(const std::vector<std::shared_ptr<Topic>> &topics);
    // transactions.cpp
    TransactionCoordinator::Hooks transactionHooks();
    bool writeTxnMarker(QByteArrayView topic, std::int32_t partition, std::int64_t producerId,
                        std::int16_t epoch, bool commit);
    void saveTransactions(const QJsonObject &coordinatorState);
    void restoreTransactions(const QJsonObject &saved);
    // Stores one checked batch, with the sequence checks of an idempotent producer.
    void appendBatch(const Topic &topic, Partition &partition, QByteArray batch, std::int64_t nowMs,
                     ProduceResult &result);
    // Writes topics.json from the registry; with replacing, as if that topic had taken the
    // place of the registered one of its name.
    bool saveTopicsLocked(QString &error, const Topic *replacing = nullptr);
    // commits.cpp: the snapshot files of consumer positions and group offsets, and the
    // journal of the changes since them (true when saved or unchanged)
    bool savePositions(bool force);
    bool saveGroupOffsets(bool force);
    void compactOffsets(bool force);
    static bool replayJournal(const CommitJournal &journal,
                              std::vector<kafka::GroupCoordinator::SavedOffset> &offsets,
                              QList<SavedPosition> &positions, QStringList &notes, QString &error);
    void housekeepingLoop();

    BrokerConfig m_config;
    TopicRegistry m_topics;
    ClientRegistry m_clients;
    ConnectionLimit m_connections;
    kafka::GroupCoordinator m_groups;
    ProducerStates m_producers;
    TransactionCoordinator m_transactions;
    RateHistory m_rates;
    std::unique_ptr<DataDir> m_dataDir;
    std::unique_ptr<CommitJournal> m_journal; // with m_dataDir
    std::mutex m_metaMutex; // serialises topic metadata changes and their file writes
    // topics.json is behind memory (a topic deleted on a full disk): housekeeping retries
    bool m_topicsUnsaved = false; // under m_metaMutex
    QHash<QString, std::int64_t> m_createdMs;

    std::mutex m_housekeepingMutex;
    std::condition_variable m_housekeepingWake;
    bool m_stopping = false;
    std::thread m_housekeeping;
    std::int64_t m_lastRetentionMs = 0;
    std::int64_t m_lastRateMs = 0;
    std::int64_t m_lastPositionSaveMs = 0;
    std::uint64_t m_savedPositionVersion = 0;
    std::uint64_t m_savedGroupVersion = 0; // under m_groupSaveMutex
    std::mutex m_groupSaveMutex;
    bool m_shutDown = false;
    BufferBudget m_buffers;
    QThreadPool m_offWorker; // runOffWorker()
};

} // namespace rivulet
