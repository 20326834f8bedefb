#include "log/fileio.h"
#include "log/filelog.h"
#include "log/recordbatch.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <csignal>
#include <sys/resource.h>
#include <thread>

using namespace rivulet;

namespace {

QByteArray batchOf(const QList<QByteArray> &values, qint64 timestamp = 1000)
{
    RecordBatchBuilder builder(timestamp);
    for (const QByteArray &v : values)
        builder.append(v);
    return builder.finish();
}

QByteArray valueFor(qint64 offset)
{
    return "value-" + QByteArray::number(offset) + QByteArray(int(offset % 40), 'x');
}

struct Opened
{
    std::unique_ptr<PartitionLog> log;
    QStringList notes;
    FileLog *file() const { return dynamic_cast<FileLog *>(log.get()); }
    BrokenLog *broken() const { return dynamic_cast<BrokenLog *>(log.get()); }
};

Opened openLog(const QString &dir, bool clean, qint64 segmentBytes = 1 << 20,
               FsyncPolicy fsync = FsyncPolicy::Never)
{
    Opened o;
    LogSettings settings;
    settings.segmentBytes = segmentBytes;
    settings.fsync = fsync;
    o.log = FileLog::open(dir, settings, clean, o.notes);
    return o;
}

// Appends batches of 1..7 records with valueFor(offset) values until the log ends at
// `records`; returns the end offset of every batch.
QList<qint64> fill(PartitionLog &log, qint64 records)
{
    QList<qint64> ends;
    while (log.endOffset() < records) {
        const qint64 base = log.endOffset();
        const int n = int(std::min<qint64>(1 + base % 7, records - base));
        QList<QByteArray> values;
        for (int i = 0; i < n; ++i)
            values.append(valueFor(base + i));
        QByteArray batch = batchOf(values);
        const AppendResult r = log.append(batch);
        if (!r.ok || r.baseOffset != base)
            return {};
        ends.append(log.endOffset());
    }
    return ends;
}

// Reads every record from `from` on; checks offsets are dense and values match valueFor.
// Returns how many records were read, or -1 (with a QTest failure message) on a mismatch.
qint64 verifyAll(const PartitionLog &log, qint64 from, QString *error = nullptr)
{
    qint64 next = from;
    bool good = true;
    QString readError;
    const bool ok = log.readBatches(
        from,
        [&](QByteArrayView bytes) {
            return RecordBatchView(bytes).forEachRecord(from, [&](const RecordView &r) {
                good = good && r.offset == next && r.value == valueFor(r.offset);
                ++next;
                return good;
            }) && good;
        },
        readError);
    if (error)
        *error = readError;
    if (!ok || !good)
        return -1;
    return next - from;
}

QStringList segmentFiles(const QString &dir, const QString &suffix)
{
    QStringList files =
        QDir(dir).entryList({QStringLiteral("*") + suffix}, QDir::Files, QDir::Name);
    for (QString &f : files)
        f = dir + u'/' + f;
    return files;
}

void appendBytes(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::Append));
    QCOMPARE(f.write(bytes), bytes.size());
}

} // namespace

class TestFileLog : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { std::signal(SIGXFSZ, SIG_IGN); }

    void newLogIsEmptyAndDurableAcrossCleanReopen()
    {
        QTemporaryDir tmp;
        {
            Opened o = openLog(tmp.path(), false);
            QVERIFY(o.file());
            QCOMPARE(o.log->endOffset(), 0);
            QVERIFY(!fill(*o.log, 500).isEmpty());
            QString error;
            QVERIFY2(o.log->close(error), qPrintable(error));
        }
        Opened o = openLog(tmp.path(), true);
        QVERIFY(o.file());
        QVERIFY(o.notes.isEmpty());
        QCOMPARE(o.log->endOffset(), 500);
        QCOMPARE(verifyAll(*o.log, 0), 500);
        QCOMPARE(verifyAll(*o.log, 321), 179);
        // appends continue at the right offset
        QByteArray batch = batchOf({"after"});
        QCOMPARE(o.log->append(batch).baseOffset, 500);
    }

    void rollsSegmentsAndReadsAcrossThem()
    {
        QTemporaryDir tmp;
        Opened o = openLog(tmp.path(), false, 8192);
        QVERIFY(!fill(*o.log, 3000).isEmpty());
        QVERIFY(o.file()->segmentCount() > 5);
        QCOMPARE(verifyAll(*o.log, 0), 3000);
        for (qint64 from : {1, 77, 1000, 2047, 2999})
            QCOMPARE(verifyAll(*o.log, from), 3000 - from);
        // finished segments get their index when sealed (housekeeping's job, not the
        // producer's), named by their base offset
        const QStringList logs = segmentFiles(tmp.path(), QStringLiteral(".log"));
        QCOMPARE(logs.size(), o.file()->segmentCount());
        QCOMPARE(segmentFiles(tmp.path(), QStringLiteral(".index")).size(), 0);
        QString error;
        QVERIFY2(o.log->seal(error), qPrintable(error));
        QCOMPARE(segmentFiles(tmp.path(), QStringLiteral(".index")).size(), logs.size() - 1);
        // unsealed segments after a crash are scanned whole, then sealed at start-up
        Opened crashed;
        {
            QTemporaryDir again;
            Opened fresh = openLog(again.path(), false, 8192);
            fill(*fresh.log, 3000);
            fresh.log.reset(); // no seal, no close: as after kill -9
            crashed = openLog(again.path(), false, 8192);
            QVERIFY(crashed.file());
            QCOMPARE(crashed.log->endOffset(), 3000);
            QCOMPARE(verifyAll(*crashed.log, 0), 3000);
            QCOMPARE(segmentFiles(again.path(), QStringLiteral(".index")).size(),
                     crashed.file()->segmentCount() - 1);
        }
        QVERIFY(logs.first().endsWith(QStringLiteral("/00000000000000000000.log")));
    }

    void tornTailCutAtEveryBytePosition()
    {
        QTemporaryDir tmp;
        const QString master = tmp.path() + QStringLiteral("/master");
        QList<qint64> ends;
        {
            Opened o = openLog(master, false);
            ends = fill(*o.log, 60);
        }
        const QString segment = segmentFiles(master, QStringLiteral(".log")).first();
        QFile f(segment);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray full = f.readAll();
        // batch boundaries, to know which prefix each cut must leave
        QList<qint64> boundaries{0};
        for (qint64 pos = 0; pos < full.size();) {
            pos += *RecordBatchView::sizeAt(full.constData() + pos, std::size_t(full.size() - pos));
            boundaries.append(pos);
        }
        QCOMPARE(boundaries.size(), ends.size() + 1);
        // cut at every byte of the last three batches
        for (qint64 cut = boundaries[boundaries.size() - 4]; cut < full.size(); ++cut) {
            const QString dir = tmp.path() + QStringLiteral("/cut%1").arg(cut);
            QVERIFY(QDir().mkpath(dir));
            QFile out(dir + QStringLiteral("/00000000000000000000.log"));
            QVERIFY(out.open(QIODevice::WriteOnly));
            out.write(full.left(cut));
            out.close();
            int whole = 0;
            while (boundaries[whole + 1] <= cut)
                ++whole;
            const qint64 expectedEnd = whole == 0 ? 0 : ends[whole - 1];
            Opened o = openLog(dir, false);
            QVERIFY2(o.file(), qPrintable(o.broken() ? o.broken()->reason() : QString()));
            QCOMPARE(o.log->endOffset(), expectedEnd);
            QCOMPARE(o.notes.size(), cut == boundaries[whole] ? 0 : 1);
            QCOMPARE(verifyAll(*o.log, 0), expectedEnd);
            QCOMPARE(QFileInfo(dir + QStringLiteral("/00000000000000000000.log")).size(),
                     boundaries[whole]);
            QByteArray next = batchOf({valueFor(expectedEnd)});
            QCOMPARE(o.log->append(next).baseOffset, expectedEnd);
        }
    }

    void randomGarbageAppendedIsCut()
    {
        QRandomGenerator random(37);
        for (int round = 0; round < 50; ++round) {
            QTemporaryDir tmp;
            {
                Opened o = openLog(tmp.path(), false);
                fill(*o.log, 100);
                QString error;
                QVERIFY(o.log->close(error));
            }
            QByteArray garbage(1 + int(random.bounded(200)), '\0');
            for (char &c : garbage)
                c = char(random.bounded(256));
            const QString segment = segmentFiles(tmp.path(), QStringLiteral(".log")).first();
            const qint64 before = QFileInfo(segment).size();
            appendBytes(segment, garbage);
            // whether the broker stopped cleanly or not, the garbage goes
            Opened o = openLog(tmp.path(), round % 2 == 0);
            QVERIFY(o.file());
            QCOMPARE(o.log->endOffset(), 100);
            QCOMPARE(o.notes.size(), 1);
            QCOMPARE(QFileInfo(segment).size(), before);
            QCOMPARE(verifyAll(*o.log, 0), 100);
        }
    }

    void bitFlipInOldDataIsNeverServed()
    {
        QTemporaryDir tmp;
        {
            Opened o = openLog(tmp.path(), false, 8192);
            fill(*o.log, 2000);
            QString error;
            QVERIFY(o.log->close(error));
        }
        const QString first = segmentFiles(tmp.path(), QStringLiteral(".log")).first();
        QFile f(first);
        QVERIFY(f.open(QIODevice::ReadWrite));
        f.seek(300);
        char c = 0;
        f.getChar(&c);
        f.seek(300);
        f.putChar(char(c ^ 0x04));
        f.close();

        // clean start trusts the index: the damage is caught when it would be read
        Opened o = openLog(tmp.path(), true, 8192);
        QVERIFY(o.file());
        QString error;
        QCOMPARE(verifyAll(*o.log, 0, &error), -1);
        QVERIFY2(error.contains(QStringLiteral("damaged")), qPrintable(error));
        QVERIFY(error.contains(first));
        // later segments still serve
        QCOMPARE(verifyAll(*o.log, 1500), 500);
    }

    void damageInTheMiddleOfTheNewestSegmentRefusesToOpen()
    {
        QTemporaryDir tmp;
        {
            Opened o = openLog(tmp.path(), false);
            fill(*o.log, 300);
        }
        const QString segment = segmentFiles(tmp.path(), QStringLiteral(".log")).first();
        QFile f(segment);
        QVERIFY(f.open(QIODevice::ReadWrite));
        f.seek(f.size() / 2);
        f.putChar('\x7f');
        f.close();
        Opened o = openLog(tmp.path(), false);
        QVERIFY(o.broken());
        QVERIFY(o.broken()->reason().contains(segment));
        QVERIFY(o.broken()->reason().contains(QStringLiteral("refusing")));
        QByteArray batch = batchOf({"x"});
        QVERIFY(!o.log->append(batch).ok);
        QString error;
        QVERIFY(!o.log->close(error)); // never marked clean
    }

    void missingOrDamagedIndexIsRebuilt()
    {
        QTemporaryDir tmp;
        {
            Opened o = openLog(tmp.path(), false, 8192);
            fill(*o.log, 2000);
            QString error;
            QVERIFY(o.log->close(error));
        }
        QStringList indexes = segmentFiles(tmp.path(), QStringLiteral(".index"));
        QVERIFY(indexes.size() > 3);
        QVERIFY(QFile::remove(indexes[0]));
        {
            QFile damaged(indexes[1]);
            QVERIFY(damaged.open(QIODevice::ReadWrite));
            damaged.seek(30);
            damaged.putChar('\x55');
        }
        Opened o = openLog(tmp.path(), true, 8192);
        QVERIFY(o.file());
        QCOMPARE(o.notes.filter(QStringLiteral("rebuilt the index")).size(), 2);
        QVERIFY(QFile::exists(indexes[0]));
        QCOMPARE(verifyAll(*o.log, 0), 2000);
        for (qint64 from = 0; from < 2000; from += 111)
            QCOMPARE(verifyAll(*o.log, from), 2000 - from);
    }

    void retentionDeletesWholeOldSegments()
    {
        QTemporaryDir tmp;
        Opened o = openLog(tmp.path(), false, 8192);
        fill(*o.log, 3000);
        const int segments = o.file()->segmentCount();
        const qint64 size = o.log->sizeBytes();

        // by size: keeps at least retentionBytes, deletes only whole segments
        QCOMPARE(o.log->applyRetention({-1, -1}, 0), 0);
        const int deleted = o.log->applyRetention({-1, size / 2}, 0);
        QVERIFY(deleted > 0);
        QCOMPARE(o.file()->segmentCount(), segments - deleted);
        QVERIFY(o.log->sizeBytes() >= size / 2);
        QVERIFY(o.log->startOffset() > 0);
        QCOMPARE(segmentFiles(tmp.path(), QStringLiteral(".log")).size(), segments - deleted);
        const qint64 start = o.log->startOffset();
        QCOMPARE(verifyAll(*o.log, start), 3000 - start);
        QCOMPARE(verifyAll(*o.log, start - 1), 0); // below the start: nothing

        // by age: every record has timestamp 1000, so everything but the active segment goes
        QCOMPARE(o.log->applyRetention({60000, -1}, 1000 + 59999), 0);
        QVERIFY(o.log->applyRetention({60000, -1}, 1000 + 60001) > 0);
        QCOMPARE(o.file()->segmentCount(), 1);

        // the start offset survives a restart
        const qint64 newStart = o.log->startOffset();
        QString error;
        QVERIFY(o.log->close(error));
        o.log.reset();
        Opened again = openLog(tmp.path(), true, 8192);
        QCOMPARE(again.log->startOffset(), newStart);
        QCOMPARE(again.log->endOffset(), 3000);
    }

    void deleteRecordsBeforeIsRecordedAndSurvivesACrash()
    {
        QTemporaryDir tmp;
        qint64 start = 0;
        int segments = 0;
        {
            Opened o = openLog(tmp.path(), false, 8192);
            fill(*o.log, 3000);
            segments = o.file()->segmentCount();
            QVERIFY(segments > 4);
            const QStringList files = segmentFiles(tmp.path(), QStringLiteral(".log"));
            // a start inside the third segment: the two before it go at once
            start = files[2].section(u'/', -1).chopped(4).toLongLong() + 1;
            QString error;
            QVERIFY2(o.log->deleteRecordsBefore(start, error), qPrintable(error));
            QCOMPARE(o.log->startOffset(), start);
            QCOMPARE(o.file()->segmentCount(), segments - 2);
            QCOMPARE(segmentFiles(tmp.path(), QStringLiteral(".log")), files.mid(2));
            QCOMPARE(verifyAll(*o.log, start), 3000 - start);
            QCOMPARE(verifyAll(*o.log, start - 1), 0); // below the start: nothing
            // a lower offset changes nothing
            QVERIFY(o.log->deleteRecordsBefore(1, error));
            QCOMPARE(o.log->startOffset(), start);
            // no close(): as after kill -9
        }
        QByteArray recorded;
        QString error;
        QVERIFY(fileio::readFile(FileLog::startOffsetPath(tmp.path()), recorded, error));
        QCOMPARE(recorded.trimmed().toLongLong(), start);
        {
            Opened o = openLog(tmp.path(), false, 8192);
            QVERIFY2(o.file(), o.broken() ? qPrintable(o.broken()->reason()) : "");
            QCOMPARE(o.log->startOffset(), start);
            QCOMPARE(o.log->endOffset(), 3000);
            QCOMPARE(verifyAll(*o.log, start), 3000 - start);
            QCOMPARE(verifyAll(*o.log, 0), 0);

            // every record: a new segment takes over, and the old ones go
            QVERIFY2(o.log->deleteRecordsBefore(3000, error), qPrintable(error));
            QCOMPARE(o.log->startOffset(), 3000);
            QCOMPARE(o.file()->segmentCount(), 1);
            QCOMPARE(o.log->sizeBytes(), 0);
            // the new segment's file is made by its first write
            QVERIFY(segmentFiles(tmp.path(), QStringLiteral(".log")).isEmpty());
            QByteArray batch = batchOf({valueFor(3000)});
            QCOMPARE(o.log->append(batch).baseOffset, 3000);
            QCOMPARE(segmentFiles(tmp.path(), QStringLiteral(".log")),
                     QStringList{Segment::logPath(tmp.path(), 3000)});
            QVERIFY(o.log->close(error));
        }
        Opened o = openLog(tmp.path(), true, 8192);
        QCOMPARE(o.log->startOffset(), 3000);
        QCOMPARE(o.log->endOffset(), 3001);
        QCOMPARE(verifyAll(*o.log, 3000), 1);
    }

    void startOffsetFileAtOpen()
    {
        QTemporaryDir tmp;
        QStringList files;
        {
            Opened o = openLog(tmp.path(), false, 8192);
            fill(*o.log, 3000);
            QString error;
            QVERIFY(o.log->close(error));
            files = segmentFiles(tmp.path(), QStringLiteral(".log"));
            QVERIFY(files.size() > 3);
        }
        auto baseOf = [&](int i) { return files[i].section(u'/', -1).chopped(4).toLongLong(); };
        auto record = [&](const QByteArray &text) {
            QString error;
            QVERIFY2(fileio::writeFileAtomically(FileLog::startOffsetPath(tmp.path()), text, error),
                     qPrintable(error));
        };
        // a crash in the middle of a deletion: the start recorded, a segment below it gone
        // and one before that still there. The gap is deleted records, not damage.
        const qint64 start = baseOf(2) + 3;
        record(QByteArray::number(start) + '\n');
        QVERIFY(QFile::remove(files[1]));
        {
            Opened o = openLog(tmp.path(), false, 8192);
            QVERIFY2(o.file(), o.broken() ? qPrintable(o.broken()->reason()) : "");
            QCOMPARE(o.log->startOffset(), start);
            QCOMPARE(verifyAll(*o.log, start), 3000 - start);
            QVERIFY(!QFile::exists(files[0])); // wholly below the start: removed at open
            QString error;
            QVERIFY(o.log->close(error));
        }
        // a start past the end (the end cut back by recovery): the log goes on from the
        // start, so that no offset is given twice
        record("5000\n");
        {
            Opened o = openLog(tmp.path(), false, 8192);
            QVERIFY(o.file());
            QCOMPARE(o.log->startOffset(), 5000);
            QCOMPARE(o.log->endOffset(), 5000);
            QCOMPARE(o.notes.size(), 1);
            QCOMPARE(o.file()->segmentCount(), 1);
            QByteArray batch = batchOf({"x"});
            QCOMPARE(o.log->append(batch).baseOffset, 5000);
            QString error;
            QVERIFY(o.log->close(error));
        }
        // a damaged file: never serve what may have been deleted
        record("garbage");
        Opened o = openLog(tmp.path(), true, 8192);
        QVERIFY(o.broken());
        QVERIFY2(o.broken()->reason().contains(QStringLiteral("log-start-offset")),
                 qPrintable(o.broken()->reason()));
    }

    void fileSizeLimitFailsAppendsWithoutLosingData()
    {
        QTemporaryDir tmp;
        Opened o = openLog(tmp.path(), false);
        fill(*o.log, 200);
        const qint64 size = o.log->sizeBytes();
        rlimit old{};
        QCOMPARE(getrlimit(RLIMIT_FSIZE, &old), 0);
        rlimit limited = old;
        limited.rlim_cur = rlim_t(size + 100);
        QCOMPARE(setrlimit(RLIMIT_FSIZE, &limited), 0);
        QList<QByteArray> values;
        for (int i = 0; i < 10; ++i)
            values.append(valueFor(200 + i));
        QByteArray batch = batchOf(values);
        const AppendResult failed = o.log->append(batch);
        QCOMPARE(setrlimit(RLIMIT_FSIZE, &old), 0);
        QVERIFY(!failed.ok);
        QVERIFY2(failed.error.contains(QStringLiteral("too large")), qPrintable(failed.error));
        QCOMPARE(o.log->endOffset(), 200);
        QCOMPARE(verifyAll(*o.log, 0), 200);
        QCOMPARE(QFileInfo(segmentFiles(tmp.path(), QStringLiteral(".log")).first()).size(), size);
        // space is back: producing resumes at the right offset
        QByteArray retry = batchOf(values);
        QCOMPARE(o.log->append(retry).baseOffset, 200);
        QCOMPARE(verifyAll(*o.log, 0), 210);
    }

    void concurrentAlwaysSyncSharesFsyncs()
    {
        QTemporaryDir tmp;
        Opened o = openLog(tmp.path(), false, 1 << 20, FsyncPolicy::Always);
        QVERIFY(o.log->syncOnAppend());
        std::mutex logMutex;
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < 50; ++i) {
                    QByteArray batch = batchOf({QByteArray("v")});
                    std::int64_t appended = 0;
                    {
                        std::lock_guard lock(logMutex);
                        if (!o.log->append(batch).ok)
                            ++failures;
                        appended = o.log->appendedBytes();
                    }
                    QString error;
                    if (!o.log->syncTo(appended, error))
                        ++failures;
                }
            });
        for (auto &t : threads)
            t.join();
        QCOMPARE(failures.load(), 0);
        QCOMPARE(o.log->endOffset(), 200);
    }
};

QTEST_GUILESS_MAIN(TestFileLog)
#include "tst_filelog.moc"
