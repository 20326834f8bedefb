#pragma once

#include "clustersource.h"
#include "read.h"

#include <QList>
#include <QObject>
#include <QString>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>

class QThreadPool;
class QTimer;

namespace rivulet {

class ClusterSource;

// What to write: every value (or every line of a file) `repeat` times. "{i}" in the key,
// the values and the header values becomes the message's number, counting from 0.
struct InjectRequest
{
    QString topic;
    int partition = -1;     // -1: round-robin over the topic's partitions
    int firstPartition = 0; // where round-robin starts
    std::optional<QByteArray> key;
    QList<QByteArray> values;
    QString valuesFile;           // when set, its non-empty lines are the values
    QList<DecodedHeader> headers; // hasValue false: a null header value
    std::int64_t repeat = 1;
    // false: key, values and header values are sent as they are, "{i}" included (Re-publish)
    bool placeholders = true;
    // the value is null (a tombstone); values then holds one empty value
    bool nullValue = false;
};

struct InjectResult
{
    struct Range
    {
        int partition = 0;
        std::int64_t first = -1;
        std::int64_t last = -1;
    };
    std::int64_t written = 0;
    QList<Range> ranges;   // by partition
    int nextPartition = 0; // where the next round-robin inject should start
    QString error;
    bool cancelled = false;
    std::int64_t elapsedMs = 0;
};

// Progress a running inject shares with the GUI thread through atomics, not signals.
struct InjectProgress
{
    std::atomic<std::int64_t> written{0};
    std::atomic<std::int64_t> total{0};
    std::atomic<bool> cancel{false};
};

// The partition count of the topic, with partition (when >= 0) among its partitions, for
// writing into; -1 and why in error when it is not there. Shared by the injector and the
// import.
int writeTarget(ClusterSource &source, const QString &topic, int partition, QString &error);
// A partition's records gathered by the injector or the import, and their bytes so far.
struct PendingBatch
{
    QList<OutgoingRecord> records;
    qsizetype bytes = 0;
};
// Writes pending's records (if any) into topic[partition] through ClusterSource::produce()
// and widens ranges[partition] to their offsets; pending is empty after. Returns the records
// written (0 for none pending), or -1 with "topic[partition]: why" in error when the source
// refuses them (ranges and written then count those stored before the refusal).
int flushBatch(ClusterSource &source, const QString &topic, int partition, PendingBatch &pending,
               std::map<int, InjectResult::Range> &ranges, QString &error,
               std::int64_t *written = nullptr);

// Writes the messages (key, headers, value) through ClusterSource::produce(), in batches of
// up to 1000 records or 1 MiB per partition. Runs on a pool thread; blocks while it writes.
InjectResult injectMessages(ClusterSource &source, const InjectRequest &request,
                            InjectProgress &progress);

// Runs injectMessages() on a pool thread for the inject dialog: progress is polled from
// the GUI thread, the result comes back through a queued call. Deleting the injector
// cancels its run.
class MessageInjector : public QObject
{
    Q_OBJECT
public:
    MessageInjector(ClusterSource &source, QThreadPool &pool, QObject *parent = nullptr);
    ~MessageInjector() override;

    bool isRunning() const { return m_progress != nullptr; }
    void start(const InjectRequest &request);
    void cancel();

Q_SIGNALS:
    void progressed(qint64 written, qint64 total);
    void finished(const rivulet::InjectResult &result);

private:
    ClusterSource &m_source;
    QThreadPool &m_pool;
    std::shared_ptr<InjectProgress> m_progress;
    QTimer *m_timer;
};

} // namespace rivulet
