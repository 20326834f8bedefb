// Which bytes were on stable storage when an acknowledgement went out (issue 14 §1): the
// file I/O layer tells a recorder of every write and sync, and each acknowledged produce is
// checked against what had been synced by then, under producers that roll small segments.
#include "broker.h"
#include "log/fileio.h"
#include "log/filelog.h"
#include "log/recordbatch.h"

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <mutex>
#include <thread>
#include <vector>

using namespace rivulet;

namespace {

// What the recorder knows of one file: how far it was written and how far an fsync covers.
struct FileState
{
    std::int64_t written = 0;
    std::int64_t synced = 0;
    std::uint64_t createdAt = 0; // event number of its creating open (0: never seen made)
};

// One write this thread made, to be covered before the thread's acknowledgement.
struct Write
{
    QString path;
    std::int64_t end = 0;
};

thread_local std::vector<Write> t_writes;
// what the sync this thread has started will cover, taken when it started
thread_local std::int64_t t_fileSyncFrom = 0;
thread_local std::uint64_t t_directorySyncAt = 0;
thread_local std::map<QString, std::int64_t> t_fileSystemSyncFrom;

class SyncRecorder final : public fileio::IoObserver
{
public:
    SyncRecorder() { fileio::setObserver(this); }
    ~SyncRecorder() override { fileio::setObserver(nullptr); }

    void opened(const QString &path, bool create) override
    {
        std::lock_guard lock(m_mutex);
        FileState &file = m_files[QDir::cleanPath(path)];
        if (create && file.createdAt == 0)
            file.createdAt = ++m_events;
    }
    void wrote(const QString &path, std::int64_t position, std::int64_t size) override
    {
        const QString clean = QDir::cleanPath(path);
        {
            std::lock_guard lock(m_mutex);
            FileState &file = m_files[clean];
            file.written = std::max(file.written, position + size);
        }
        t_writes.push_back({clean, position + size});
    }
    void syncing(Sync kind, const QString &path) override
    {
        std::lock_guard lock(m_mutex);
        switch (kind) {
        case Sync::File:
            t_fileSyncFrom = m_files[QDir::cleanPath(path)].written;
            break;
        case Sync::Directory:
            t_directorySyncAt = ++m_events;
            break;
        case Sync::FileSystem:
            t_fileSystemSyncFrom.clear();
            for (const auto &[name, file] : m_files)
                t_fileSystemSyncFrom[name] = file.written;
            t_directorySyncAt = ++m_events;
            break;
        }
    }
    void synced(Sync kind, const QString &path) override
    {
        std::lock_guard lock(m_mutex);
        switch (kind) {
        case Sync::File: {
            FileState &file = m_files[QDir::cleanPath(path)];
            file.synced = std::max(file.synced, t_fileSyncFrom);
            break;
        }
        case Sync::Directory: {
            std::uint64_t &at = m_directorySynced[QDir::cleanPath(path)];
            at = std::max(at, t_directorySyncAt);
            break;
        }
        case Sync::FileSystem:
            for (const auto &[name, written] : t_fileSystemSyncFrom) {
                FileState &file = m_files[name];
                file.synced = std::max(file.synced, written);
                std::uint64_t &at = m_directorySynced[QFileInfo(name).path()];
                at = std::max(at, t_directorySyncAt);
            }
            break;
        }
    }

    // The segment bytes this thread wrote since the last call that no fsync covers yet, or
    // whose file's directory entry was not fsynced after the file was made; one line each.
    QStringList uncoveredWrites()
    {
        QStringList problems;
        std::lock_guard lock(m_mutex);
        for (const Write &w : t_writes) {
            if (!w.path.endsWith(QLatin1String(".log")))
                continue; // indexes and metadata files have their own rules
            const FileState &file = m_files[w.path];
            if (file.synced < w.end)
                problems << QStringLiteral("%1: written up to byte %2, synced only to %3")
                                .arg(w.path)
                                .arg(w.end)
                                .arg(file.synced);
            const auto dir = m_directorySynced.find(QFileInfo(w.path).path());
            if (file.createdAt != 0 &&
                (dir == m_directorySynced.end() || dir->second < file.createdAt))
                problems
                    << QStringLiteral("%1: made, but its directory not fsynced since").arg(w.path);
        }
        t_writes.clear();
        return problems;
    }
    void forgetWrites() { t_writes.clear(); }
    int logFiles()
    {
        std::lock_guard lock(m_mutex);
        int n = 0;
        for (const auto &entry : m_files)
            n += entry.first.endsWith(QLatin1String(".log")) ? 1 : 0;
        return n;
    }
    // every .log file synced as far as it was written
    QStringList unsyncedLogs()
    {
        QStringList problems;
        std::lock_guard lock(m_mutex);
        for (const auto &[name, file] : m_files)
            if (name.endsWith(QLatin1String(".log")) && file.synced < file.written)
                problems << QStringLiteral("%1: written up to byte %2, synced only to %3")
                                .arg(name)
                                .arg(file.written)
                                .arg(file.synced);
        return problems;
    }

private:
    std::mutex m_mutex;
    std::map<QString, FileState> m_files;
    std::map<QString, std::uint64_t> m_directorySynced; // directory → event of its last fsync
    std::uint64_t m_events = 0;
};

QByteArray batchOfBytes(int valueBytes, int producer)
{
    RecordBatchBuilder builder(1000);
    builder.append(QByteArray(valueBytes, char('a' + producer)));
    return builder.finish();
}

// tmpfs when there is one: the test checks the order of calls, not the disk's speed
QString scratchParent()
{
    return QFileInfo(QStringLiteral("/dev/shm")).isWritable() ? QStringLiteral("/dev/shm")
                                                              : QDir::tempPath();
}

} // namespace

class TestFsyncOrder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The hole of issue 14 §1 in its smallest form: A appends to segment N, B's append rolls
    // to N+1, and A's acknowledgement (syncTo) must still cover A's bytes in N.
    void acknowledgementCoversARolledSegment()
    {
        QTemporaryDir dir(scratchParent() + QStringLiteral("/rivulet-fsync-XXXXXX"));
        QVERIFY(dir.isValid());
        SyncRecorder recorder;
        LogSettings settings;
        settings.segmentBytes = 4096;
        settings.fsync = FsyncPolicy::Always;
        QStringList notes;
        auto log = FileLog::open(dir.path(), settings, false, notes);
        auto *file = dynamic_cast<FileLog *>(log.get());
        QVERIFY(file);

        QByteArray a = batchOfBytes(3000, 0);
        QVERIFY(log->append(a).ok);
        const std::int64_t ackA = log->appendedBytes();
        const QStringList aWrites = [&] {
            QStringList paths;
            for (const Write &w : t_writes)
                paths << w.path;
            return paths;
        }();
        QByteArray b = batchOfBytes(3000, 1);
        QVERIFY(log->append(b).ok);
        QCOMPARE(file->segmentCount(), 2); // B rolled
        recorder.forgetWrites();

        // B has not asked for its sync yet; A asks for A's bytes only
        QString error;
        QVERIFY2(log->syncTo(ackA, error), qPrintable(error));
        // A's writes went to the first segment: they must be on disk now
        for (const QString &path : aWrites)
            t_writes.push_back({path, a.size()});
        const QStringList problems = recorder.uncoveredWrites();
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
        QVERIFY(log->close(error));
    }

    // Four producers on one partition with 4 KiB segments under --fsync always: every
    // acknowledged produce has all its bytes synced, in whichever segment they landed.
    void concurrentProducersRollingSegments()
    {
        QTemporaryDir dir(scratchParent() + QStringLiteral("/rivulet-fsync-XXXXXX"));
        QVERIFY(dir.isValid());
        SyncRecorder recorder;
        BrokerConfig config;
        config.log.segmentBytes = 4096;
        config.log.fsync = FsyncPolicy::Always;
        Broker broker(config);
        QStringList notes;
        QString error;
        QVERIFY2(broker.openDataDir(dir.path(), notes, error), qPrintable(error));
        QVERIFY(broker.createTopic("t", 1).topic);

        constexpr int kProducers = 4;
        constexpr int kBatches = 400;
        std::vector<QStringList> problems(kProducers);
        std::vector<int> failures(kProducers, 0);
        std::vector<std::thread> producers;
        for (int p = 0; p < kProducers; ++p)
            producers.emplace_back([&, p] {
                recorder.forgetWrites();
                for (int i = 0; i < kBatches; ++i) {
                    // 300 to 1,000 bytes: segments roll every few batches, at varying points
                    const ProduceResult r =
                        broker.produce("t", 0, batchOfBytes(300 + (i * 37 + p * 101) % 700, p));
                    if (r.error != ProduceError::None) {
                        ++failures[std::size_t(p)];
                        recorder.forgetWrites();
                        continue;
                    }
                    // the acknowledgement: what this produce wrote must be synced by now
                    problems[std::size_t(p)] << recorder.uncoveredWrites();
                }
            });
        for (std::thread &t : producers)
            t.join();

        QStringList all;
        for (int p = 0; p < kProducers; ++p) {
            QCOMPARE(failures[std::size_t(p)], 0);
            all << problems[std::size_t(p)];
        }
        // the test exercised rolls: hundreds of segment files
        QVERIFY2(recorder.logFiles() > 100, qPrintable(QString::number(recorder.logFiles())));
        QVERIFY2(all.isEmpty(),
                 qPrintable(QStringLiteral("%1 unsynced acknowledged writes, e.g.\n%2")
                                .arg(all.size())
                                .arg(all.mid(0, 5).join(QLatin1Char('\n')))));
        broker.shutdown();
    }

    // --fsync interval: after one round of housekeeping every byte written before it is on
    // disk, the segments rolled since the last round included.
    void intervalRoundCoversRolledSegments()
    {
        QTemporaryDir dir(scratchParent() + QStringLiteral("/rivulet-fsync-XXXXXX"));
        QVERIFY(dir.isValid());
        SyncRecorder recorder;
        BrokerConfig config;
        config.log.segmentBytes = 4096;
        config.log.fsync = FsyncPolicy::Interval;
        Broker broker(config);
        QStringList notes;
        QString error;
        QVERIFY2(broker.openDataDir(dir.path(), notes, error), qPrintable(error));
        QVERIFY(broker.createTopic("t", 2).topic);
        for (int i = 0; i < 60; ++i)
            QCOMPARE(broker.produce("t", i % 2, batchOfBytes(900, 0)).error, ProduceError::None);
        QVERIFY(!recorder.unsyncedLogs().isEmpty()); // nothing synced them yet
        broker.housekeep(false);
        const QStringList problems = recorder.unsyncedLogs();
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
        broker.shutdown();
    }
};

QTEST_GUILESS_MAIN(TestFsyncOrder)
#include "tst_fsyncorder.moc"
