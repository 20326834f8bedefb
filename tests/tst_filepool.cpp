#include "log/filelog.h"
#include "log/filepool.h"
#include "log/recordbatch.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <thread>

using namespace rivulet;

namespace {

// Descriptors this process holds open on files under dir.
int openFilesUnder(const QString &dir)
{
    int n = 0;
    const QDir fds(QStringLiteral("/proc/self/fd"));
    for (const QString &fd : fds.entryList(QDir::Files | QDir::System | QDir::NoDotAndDotDot)) {
        const QString target = QFile::symLinkTarget(fds.filePath(fd));
        if (target.startsWith(dir + u'/'))
            ++n;
    }
    return n;
}

QString writeFile(const QString &path, const QByteArray &content)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(content) != content.size())
        return QStringLiteral("cannot write %1").arg(path);
    return {};
}

} // namespace

class TestFilePool : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void closesLeastRecentlyUsedFirst()
    {
        QTemporaryDir tmp;
        FilePool pool(2, 0); // no hot window: plain LRU
        std::vector<std::unique_ptr<PooledFile>> files;
        for (int i = 0; i < 3; ++i)
            files.push_back(
                std::make_unique<PooledFile>(pool, tmp.filePath(QString::number(i)), true, false));
        QString error;
        QVERIFY2(files[0]->acquire(error), qPrintable(error));
        QVERIFY2(files[1]->acquire(error), qPrintable(error));
        QCOMPARE(pool.openCount(), 2u);
        QVERIFY(files[0]->acquire(error)); // 0 is now the most recent, 1 the least
        QVERIFY(files[2]->acquire(error)); // makes room: 1 goes
        QCOMPARE(pool.openCount(), 2u);
        QVERIFY(files[0]->isOpen());
        QVERIFY(!files[1]->isOpen());
        QVERIFY(files[2]->isOpen());
        QCOMPARE(pool.counters().closes, 1u);
        QCOMPARE(openFilesUnder(tmp.path()), 2);
    }

    void reopensAClosedFileWithItsContent()
    {
        QTemporaryDir tmp;
        FilePool pool(1, 0);
        PooledFile a(pool, tmp.filePath(QStringLiteral("a")), true, true);
        PooledFile b(pool, tmp.filePath(QStringLiteral("b")), true, true);
        QString error;
        {
            const auto fa = a.acquire(error, true);
            QVERIFY2(fa, qPrintable(error));
            QVERIFY(fileio::writeAt(*fa, 0, "hello", 5, error));
        }
        QVERIFY(b.acquire(error)); // a closes (fsynced first: it was written)
        QVERIFY(!a.isOpen());
        QVERIFY(a.exists());
        const auto again = a.acquire(error);
        QVERIFY2(again, qPrintable(error));
        char buffer[8] = {};
        QCOMPARE(fileio::readAt(*again, 0, buffer, sizeof buffer, error), 5);
        QCOMPARE(QByteArray(buffer, 5), QByteArray("hello"));
        QVERIFY(!b.isOpen());
        // a reopened file is never created (or truncated) again
        QCOMPARE(QFile(a.path()).size(), 5);
    }

    void heldDescriptorOutlivesEviction()
    {
        QTemporaryDir tmp;
        FilePool pool(1, 0);
        PooledFile a(pool, tmp.filePath(QStringLiteral("a")), true, false);
        PooledFile b(pool, tmp.filePath(QStringLiteral("b")), true, false);
        QString error;
        const auto held = a.acquire(error);
        QVERIFY(b.acquire(error));
        QVERIFY(!a.isOpen());                              // the pool let go of it...
        QVERIFY(fileio::writeAt(*held, 0, "x", 1, error)); // ...its user did not
        QCOMPARE(openFilesUnder(tmp.path()), 2);
    }

    void activeSegmentStaysOpenWhileHot()
    {
        QTemporaryDir tmp;
        FilePool pool(2, 3600 * 1000); // anything written is hot for an hour
        PooledFile active(pool, tmp.filePath(QStringLiteral("active")), true, false);
        std::vector<std::unique_ptr<PooledFile>> readers;
        for (int i = 0; i < 5; ++i)
            readers.push_back(std::make_unique<PooledFile>(
                pool, tmp.filePath(QStringLiteral("r%1").arg(i)), true, false));
        QString error;
        QVERIFY(active.acquire(error, true));
        // five files read after it, each more recent than the active one: they take turns in
        // the other place, the written one stays
        for (auto &r : readers)
            QVERIFY(r->acquire(error));
        QVERIFY(active.isOpen());
        QVERIFY(readers[4]->isOpen());
        QCOMPARE(pool.openCount(), 2u);
        for (int i = 0; i < 4; ++i)
            QVERIFY(!readers[std::size_t(i)]->isOpen());
    }

    void hotFilesGoWhenNothingElseCan()
    {
        QTemporaryDir tmp;
        FilePool pool(2, 3600 * 1000);
        PooledFile a(pool, tmp.filePath(QStringLiteral("a")), true, false);
        PooledFile b(pool, tmp.filePath(QStringLiteral("b")), true, false);
        PooledFile c(pool, tmp.filePath(QStringLiteral("c")), true, false);
        QString error;
        QVERIFY(a.acquire(error, true));
        QVERIFY(b.acquire(error, true));
        QVERIFY(c.acquire(error, true)); // the bound wins: the least recently written goes
        QVERIFY(!a.isOpen());
        QVERIFY(b.isOpen());
        QVERIFY(c.isOpen());
        QCOMPARE(pool.openCount(), 2u);
    }

    void closeFsyncFailureIsReportedByTheNextSync()
    {
        // An fsync that fails as the pool closes a file must not be lost with the
        // descriptor: the SyncState keeps it for the next syncData().
        QTemporaryDir tmp;
        auto state = std::make_shared<fileio::SyncState>(true);
        QString error;
        {
            auto file =
                fileio::openReadWrite(tmp.filePath(QStringLiteral("f")), true, error, state);
            QVERIFY(file);
            QVERIFY(fileio::writeAt(*file, 0, "abc", 3, error));
            QVERIFY(state->dirty());
            QVERIFY(fileio::syncData(*file, error));
            QVERIFY(!state->dirty());
            QVERIFY(fileio::writeAt(*file, 3, "def", 3, error));
        } // closed dirty: fsynced on close, successfully here
        QVERIFY(!state->dirty());
        {
            std::lock_guard lock(state->mutex);
            state->closeFailure = QStringLiteral("cannot fsync (on close) f: Input/output error");
        }
        auto again = fileio::openReadWrite(tmp.filePath(QStringLiteral("f")), false, error, state);
        QVERIFY(again);
        QVERIFY(!fileio::syncData(*again, error));
        QVERIFY(error.contains(QLatin1String("on close")));
        QVERIFY(fileio::syncData(*again, error)); // said once
    }

    void removedFileIsNotCreatedAgain()
    {
        QTemporaryDir tmp;
        FilePool pool(4, 0);
        PooledFile f(pool, tmp.filePath(QStringLiteral("gone")), true, false);
        QString error;
        QVERIFY(!f.exists());
        QVERIFY(f.acquire(error));
        QVERIFY(QFile::exists(f.path()));
        f.release(true);
        QVERIFY(QFile::remove(f.path()));
        QVERIFY(!f.acquire(error));
        QVERIFY(error.contains(QLatin1String("cannot open")));
        QVERIFY(!QFile::exists(f.path()));
    }

    void capacityFollowsTheDescriptorLimit()
    {
        QCOMPARE(FilePool::capacityFor(256), 96u);
        QCOMPARE(FilePool::capacityFor(1024), 480u);
        QCOMPARE(FilePool::capacityFor(10), 16u);
        QCOMPARE(FilePool::capacityFor(std::uint64_t(1) << 20), 16384u);
        QVERIFY(FilePool::defaultCapacity() >= 16);
    }

    void threadsShareABoundedPool()
    {
        QTemporaryDir tmp;
        FilePool pool(8, 0);
        std::vector<std::unique_ptr<PooledFile>> files;
        for (int i = 0; i < 64; ++i) {
            const QString path = tmp.filePath(QString::number(i));
            QVERIFY(writeFile(path, QByteArray::number(i)).isEmpty());
            files.push_back(std::make_unique<PooledFile>(pool, path, false, false));
        }
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (int round = 0; round < 200; ++round) {
                    const int i = (round * 7 + t * 13) % 64;
                    QString error;
                    const auto file = files[std::size_t(i)]->acquire(error);
                    char buffer[4] = {};
                    const auto n = file ? fileio::readAt(*file, 0, buffer, 4, error) : -1;
                    if (QByteArray(buffer, int(std::max<std::int64_t>(n, 0))) !=
                        QByteArray::number(i))
                        ++failures;
                }
            });
        for (auto &t : threads)
            t.join();
        QCOMPARE(failures.load(), 0);
        QVERIFY(pool.openCount() <= 8);
        QCOMPARE(openFilesUnder(tmp.path()), int(pool.openCount()));
    }

    void partitionsBeyondThePoolWorkThroughIt()
    {
        // 200 partitions through a pool of 10: every one written and read back, never more
        // than the pool's descriptors held between operations
        QTemporaryDir tmp;
        FilePool pool(10, 0);
        LogSettings settings;
        settings.fsync = FsyncPolicy::Interval;
        std::vector<std::unique_ptr<PartitionLog>> logs;
        for (int i = 0; i < 200; ++i) {
            logs.push_back(FileLog::create(tmp.filePath(QString::number(i)), settings, &pool));
            QVERIFY(logs.back()->brokenReason().isEmpty());
        }
        QCOMPARE(openFilesUnder(tmp.path()), 0); // nothing opened before the first write
        for (int i = 0; i < 200; ++i) {
            RecordBatchBuilder builder(1000);
            builder.append(QByteArray("value-") + QByteArray::number(i));
            QByteArray batch = builder.finish();
            QVERIFY(logs[std::size_t(i)]->append(batch).ok);
        }
        QVERIFY(openFilesUnder(tmp.path()) <= 10);
        for (int i = 0; i < 200; ++i) {
            QString error;
            int seen = 0;
            QVERIFY2(logs[std::size_t(i)]->readBatches(
                         0,
                         [&](QByteArrayView bytes) {
                             RecordBatchView(bytes).forEachRecord(0, [&](const RecordView &r) {
                                 if (r.value == QByteArray("value-") + QByteArray::number(i))
                                     ++seen;
                                 return true;
                             });
                             return true;
                         },
                         error),
                     qPrintable(error));
            QCOMPARE(seen, 1);
            QVERIFY2(logs[std::size_t(i)]->syncTo(logs[std::size_t(i)]->appendedBytes(), error),
                     qPrintable(error));
        }
        QVERIFY(openFilesUnder(tmp.path()) <= 10);
        for (auto &log : logs) {
            QString error;
            QVERIFY2(log->close(error), qPrintable(error));
        }
        logs.clear();
        QCOMPARE(openFilesUnder(tmp.path()), 0);
        // and they open again after a clean stop, with their record
        QStringList notes;
        auto reopened =
            FileLog::open(tmp.filePath(QStringLiteral("137")), settings, true, notes, &pool);
        QCOMPARE(reopened->endOffset(), 1);
    }
};

QTEST_GUILESS_MAIN(TestFilePool)
#include "tst_filepool.moc"
