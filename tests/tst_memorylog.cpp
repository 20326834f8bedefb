#include "broker.h"
#include "log/memorylog.h"
#include "log/partition.h"
#include "log/recordbatch.h"
#include "native/nativehandler.h"
#include "native/protocol.h"

#include <QFile>
#include <QTest>

#include <unistd.h>

#include <atomic>
#include <limits>
#include <numeric>
#include <thread>

using namespace rivulet;

namespace {

QByteArray batchOf(const QList<QByteArray> &values)
{
    RecordBatchBuilder builder(1000);
    for (const QByteArray &v : values)
        builder.append(v);
    return builder.finish();
}

QList<QPair<qint64, QByteArray>> readAll(const PartitionLog &log, qint64 from, int max)
{
    QList<QPair<qint64, QByteArray>> out;
    QString error;
    log.readBatches(
        from,
        [&](QByteArrayView bytes) {
            RecordBatchView(bytes).forEachRecord(from, [&](const RecordView &r) {
                out.append({r.offset, r.value.toByteArray()});
                return out.size() < max;
            });
            return out.size() < max;
        },
        error);
    return out;
}

QByteArray valueAt(qint64 offset, int size)
{
    return QByteArray::number(offset).leftJustified(size, '.');
}

// What a test knows of the chunks of a log it filled, learnt from chunkCount() after each
// append: the first offset, stored bytes and newest timestamp of each (of a log that held
// data already, the first entry covers only what this fill added to its current chunk).
struct Layout
{
    QList<qint64> starts;
    QList<qint64> bytes;
    QList<qint64> newest;
    qint64 bytesFrom(int chunk) const
    {
        return std::accumulate(bytes.begin() + chunk, bytes.end(), qint64(0));
    }
};

// Appends one-record batches, value valueAt(offset, valueSize), stamped timestampOf(offset).
template <typename F> Layout fill(MemoryLog &log, int batches, int valueSize, F timestampOf)
{
    Layout layout;
    for (int i = 0; i < batches; ++i) {
        const qint64 offset = log.endOffset();
        const qint64 timestamp = timestampOf(offset);
        RecordBatchBuilder builder(timestamp);
        builder.append(valueAt(offset, valueSize));
        QByteArray batch = builder.finish();
        const int chunksBefore = log.chunkCount();
        if (log.append(batch).baseOffset != offset)
            return {};
        if (log.chunkCount() != chunksBefore || layout.starts.isEmpty()) {
            layout.starts.append(offset);
            layout.bytes.append(0);
            layout.newest.append(std::numeric_limits<qint64>::min());
        }
        layout.bytes.last() += batch.size();
        layout.newest.last() = std::max(layout.newest.last(), timestamp);
    }
    return layout;
}

// How many records from `from` to the end, or -1 when offsets are not dense or a value is
// not valueAt(offset).
qint64 countValid(const PartitionLog &log, qint64 from, int valueSize)
{
    qint64 expected = from;
    bool valid = true;
    QString error;
    log.readBatches(
        from,
        [&](QByteArrayView bytes) {
            RecordBatchView(bytes).forEachRecord(from, [&](const RecordView &r) {
                valid = valid && r.offset == expected && r.value == valueAt(r.offset, valueSize);
                ++expected;
                return valid;
            });
            return valid;
        },
        error);
    return valid && error.isEmpty() ? expected - from : -1;
}

qint64 residentBytes()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return fields.size() > 1 ? fields[1].toLongLong() * qint64(::sysconf(_SC_PAGESIZE)) : -1;
}

} // namespace

class TestMemoryLog : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void emptyLogReadsNothing()
    {
        MemoryLog log;
        QCOMPARE(log.startOffset(), 0);
        QCOMPARE(log.endOffset(), 0);
        QVERIFY(readAll(log, 0, 10).isEmpty());
    }

    void appendAssignsDenseOffsets()
    {
        MemoryLog log;
        QByteArray b1 = batchOf({"a", "b", "c"});
        const AppendResult r1 = log.append(b1);
        QVERIFY(r1.ok);
        QCOMPARE(r1.baseOffset, 0);
        QCOMPARE(r1.lastOffset, 2);
        QByteArray b2 = batchOf({"d"});
        const AppendResult r2 = log.append(b2);
        QCOMPARE(r2.baseOffset, 3);
        QCOMPARE(r2.lastOffset, 3);
        QCOMPARE(log.endOffset(), 4);
        QCOMPARE(RecordBatchView(b2).baseOffset(), 3); // set in place

        const auto all = readAll(log, 0, 100);
        QCOMPARE(all.size(), 4);
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(all[i].first, i);
            QCOMPARE(all[i].second, QByteArray(1, char('a' + i)));
        }
        // from the middle of a batch, and past the end
        QCOMPARE(readAll(log, 1, 100).first().second, QByteArray("b"));
        QVERIFY(readAll(log, 4, 100).isEmpty());
        QVERIFY(readAll(log, -1, 100).isEmpty());
    }

    void sparseIndexFindsEveryOffsetAcrossChunks()
    {
        // ~20 MB of batches: several chunks, thousands of index entries
        MemoryLog log;
        qint64 next = 0;
        QList<qint64> batchStarts;
        for (int b = 0; b < 4000; ++b) {
            QList<QByteArray> values;
            const int n = 1 + b % 17;
            for (int i = 0; i < n; ++i)
                values.append(QByteArray::number(next + i).leftJustified(300, '.'));
            QByteArray batch = batchOf(values);
            batchStarts.append(next);
            QCOMPARE(log.append(batch).baseOffset, next);
            next += n;
        }
        QCOMPARE(log.endOffset(), next);
        QVERIFY(log.sizeBytes() > qint64(2 * MemoryLog::kChunkSize));
        for (qint64 offset = 0; offset < next; offset += 97) {
            const auto got = readAll(log, offset, 3);
            QVERIFY(!got.isEmpty());
            QCOMPARE(got.first().first, offset);
            QCOMPARE(got.first().second, QByteArray::number(offset).leftJustified(300, '.'));
            for (int i = 1; i < got.size(); ++i)
                QCOMPARE(got[i].first, offset + i);
        }
        const auto last = readAll(log, next - 1, 10);
        QCOMPARE(last.size(), 1);
        QCOMPARE(last.first().first, next - 1);
    }

    void batchLargerThanAChunk()
    {
        MemoryLog log;
        QByteArray small = batchOf({"x"});
        log.append(small);
        QList<QByteArray> values;
        for (int i = 0; i < 10; ++i)
            values.append(QByteArray(int(MemoryLog::kChunkSize / 4), char('0' + i)));
        QByteArray big = batchOf(values);
        QCOMPARE(log.append(big).baseOffset, 1);
        const auto got = readAll(log, 5, 100);
        QCOMPARE(got.size(), 6);
        QCOMPARE(got.first().second, values[4]);
    }
    void retentionByAgeDeletesWholeChunksOlderThanRetentionMs()
    {
        MemoryLog log(8192);
        // batch i is stamped 1000 + 10 i, so each chunk's newest record is its last
        const Layout layout = fill(log, 400, 200, [](qint64 offset) { return 1000 + 10 * offset; });
        QVERIFY(layout.starts.size() > 5);
        QCOMPARE(log.chunkCount(), layout.starts.size());
        const qint64 end = log.endOffset();

        QCOMPARE(log.applyRetention({-1, -1}, 1 << 30), 0);
        // retention.ms 60000: chunk 2 goes once its newest record is older than now - 60000
        const qint64 edge = layout.newest[2] + 60000;
        QCOMPARE(log.applyRetention({60000, -1}, layout.newest[0] + 60000), 0); // not older yet
        QCOMPARE(log.applyRetention({60000, -1}, edge), 2);
        QCOMPARE(log.startOffset(), layout.starts[2]);
        QCOMPARE(log.applyRetention({60000, -1}, edge + 1), 1);
        QCOMPARE(log.startOffset(), layout.starts[3]);
        QCOMPARE(log.chunkCount(), layout.starts.size() - 3);
        QCOMPARE(log.sizeBytes(), layout.bytesFrom(3));
        QCOMPARE(log.endOffset(), end);
        QCOMPARE(countValid(log, log.startOffset(), 200), end - layout.starts[3]);

        // a chunk is judged by its newest record, wherever in the chunk that is
        MemoryLog mixed(8192);
        const Layout m =
            fill(mixed, 100, 200, [](qint64 offset) { return offset == 3 ? 90000 : 1000; });
        QVERIFY(m.starts.size() > 2);
        QCOMPARE(mixed.applyRetention({1000, -1}, 50000), 0); // chunk 0 holds 90000
        QCOMPARE(mixed.applyRetention({1000, -1}, 91001), m.starts.size() - 1);
    }

    void retentionByBytesKeepsAtLeastRetentionBytes()
    {
        MemoryLog log(8192);
        const Layout layout = fill(log, 400, 200, [](qint64) { return 1000; });
        const qint64 size = log.sizeBytes();
        QCOMPARE(size, layout.bytesFrom(0));

        const int deleted = log.applyRetention({-1, size / 2}, 0);
        // oldest first, while what stays would still hold at least retention.bytes
        int expected = 0;
        while (expected + 1 < layout.starts.size() && layout.bytesFrom(expected + 1) >= size / 2)
            ++expected;
        QVERIFY(expected > 0);
        QCOMPARE(deleted, expected);
        QCOMPARE(log.sizeBytes(), layout.bytesFrom(deleted));
        QVERIFY(log.sizeBytes() >= size / 2);
        QCOMPARE(log.startOffset(), layout.starts[deleted]);
        QCOMPARE(countValid(log, log.startOffset(), 200), log.endOffset() - log.startOffset());
        QCOMPARE(log.applyRetention({-1, size / 2}, 0), 0); // nothing more to do

        // the boundary: the oldest chunk goes only if what stays still holds retention.bytes
        MemoryLog edge(8192);
        const Layout e = fill(edge, 100, 200, [](qint64) { return 1000; });
        QCOMPARE(edge.applyRetention({-1, edge.sizeBytes()}, 0), 0);
        QCOMPARE(edge.applyRetention({-1, e.bytesFrom(1) + 1}, 0), 0);
        QCOMPARE(edge.applyRetention({-1, e.bytesFrom(1)}, 0), 1);
        QCOMPARE(edge.startOffset(), e.starts[1]);
    }

    void retentionNeverDeletesTheChunkBeingAppendedTo()
    {
        MemoryLog log(8192);
        const Layout layout = fill(log, 200, 200, [](qint64) { return 1000; });
        const int last = int(layout.starts.size()) - 1;
        QVERIFY(last > 0);
        // both rules would delete everything: the newest chunk stays
        QCOMPARE(log.applyRetention({0, 0}, 1 << 30), last);
        QCOMPARE(log.chunkCount(), 1);
        QCOMPARE(log.startOffset(), layout.starts[last]);
        QCOMPARE(log.sizeBytes(), layout.bytes[last]);
        QCOMPARE(countValid(log, log.startOffset(), 200), 200 - layout.starts[last]);
        QCOMPARE(log.applyRetention({0, 0}, 1 << 30), 0);

        // appends go on at the right offset, and the chunk they filled is now deletable
        fill(log, 100, 200, [](qint64) { return 1000; });
        QCOMPARE(log.endOffset(), 300);
        QVERIFY(log.chunkCount() > 1);
        QVERIFY(log.applyRetention({0, 0}, 1 << 30) > 0);
        QCOMPARE(log.chunkCount(), 1);
        QVERIFY(log.startOffset() > layout.starts[last]);
        QCOMPARE(countValid(log, log.startOffset(), 200), 300 - log.startOffset());

        // an empty log, or one with a single chunk, has nothing to delete
        MemoryLog empty(8192);
        QCOMPARE(empty.applyRetention({0, 0}, 1 << 30), 0);
        QCOMPARE(empty.startOffset(), 0);
        MemoryLog one(8192);
        fill(one, 3, 200, [](qint64) { return 1000; });
        QCOMPARE(one.chunkCount(), 1);
        QCOMPARE(one.applyRetention({0, 0}, 1 << 30), 0);
        QCOMPARE(one.startOffset(), 0);
    }

    void readsBelowTheStartOffsetFindNothing()
    {
        // the log: like FileLog, nothing is visited below startOffset() and it is no error
        MemoryLog log(8192);
        fill(log, 200, 200, [](qint64) { return 1000; });
        QVERIFY(log.applyRetention({-1, 0}, 0) > 0);
        const qint64 start = log.startOffset();
        QVERIFY(start > 0);
        for (const qint64 below : {qint64(0), start / 2, start - 1}) {
            int visited = 0;
            QString error;
            QVERIFY(log.readBatches(
                below, [&](QByteArrayView) { return ++visited, true; }, error));
            QCOMPARE(visited, 0);
            QVERIFY(error.isEmpty());
        }
        QCOMPARE(countValid(log, start, 200), 200 - start);
        QCOMPARE(countValid(log, 199, 200), 1);

        // the partition publishes the new start, and a native Consume below it is an Error
        // that says where the partition now starts, as with the durable log
        Broker broker{BrokerConfig{}};
        QCOMPARE(broker.createTopic("t", 1).outcome, TopicRegistry::CreateOutcome::Created);
        Partition *partition = broker.topics().find("t")->partition(0);
        for (int i = 0; i < 3000; ++i) {
            RecordBatchBuilder builder(1000);
            builder.append(valueAt(i, 2000));
            QByteArray batch = builder.finish();
            QVERIFY(partition->append(batch, 1000).ok);
        }
        QVERIFY(partition->applyRetention({-1, 1}, 0) > 0);
        const qint64 partitionStart = partition->startOffset();
        QVERIFY(partitionStart > 0);
        QCOMPARE(partition->stats().startOffset, partitionStart);
        QVERIFY(partition->stats().sizeBytes < qint64(MemoryLog::kChunkSize) + 3000);
        const ReadOutcome below =
            partition->readRecords(partitionStart - 1, 10, [](const RecordView &) { return true; });
        QCOMPARE(below.records, 0);
        QVERIFY(below.error.isEmpty());

        native::NativeHandler handler(broker, "test");
        QByteArray out;
        native::Request options;
        options.action = native::Action::SetOptions;
        options.options = native::kOptionErrorText;
        handler.handle(options, out);
        out.clear();
        native::Request consume;
        consume.action = native::Action::Consume;
        consume.topic = "t";
        consume.offset = std::uint32_t(partitionStart - 1);
        consume.limit = 10;
        handler.handle(consume, out);
        QCOMPARE(out.at(0), char(native::ReplyTag::Error));
        QVERIFY2(
            out.contains(QByteArray("now starts at offset ") + QByteArray::number(partitionStart)),
            out.constData());
        out.clear();
        consume.offset = std::uint32_t(partitionStart);
        handler.handle(consume, out);
        QCOMPARE(out.at(0), char(native::ReplyTag::Content));
        QVERIFY(out.contains(valueAt(partitionStart, 2000)));
    }

    void deleteRecordsBeforeMovesTheStartAndDropsWholeChunks()
    {
        MemoryLog log(8192);
        const Layout layout = fill(log, 200, 200, [](qint64) { return 1000; });
        QVERIFY(layout.starts.size() > 3);
        // a start inside the third chunk: the two before it go, the third stays
        const qint64 start = layout.starts[2] + 1;
        QString error;
        QVERIFY(log.deleteRecordsBefore(start, error));
        QCOMPARE(log.startOffset(), start);
        QCOMPARE(log.chunkCount(), int(layout.starts.size()) - 2);
        QCOMPARE(log.sizeBytes(), layout.bytesFrom(2));
        QCOMPARE(countValid(log, start, 200), 200 - start);
        for (const qint64 below : {qint64(0), layout.starts[2], start - 1}) {
            int visited = 0;
            QVERIFY(log.readBatches(
                below, [&](QByteArrayView) { return ++visited, true; }, error));
            QCOMPARE(visited, 0);
        }
        // a lower offset changes nothing; one past the end is the end
        QVERIFY(log.deleteRecordsBefore(start - 5, error));
        QCOMPARE(log.startOffset(), start);
        // retention by age still keeps the chunk being appended to, and the start never goes
        // back
        QVERIFY(log.applyRetention({0, -1}, 1 << 30) > 0);
        QCOMPARE(log.chunkCount(), 1);
        QCOMPARE(log.startOffset(), layout.starts.last());

        // everything: no chunk is left, and appends go on at the end
        QVERIFY(log.deleteRecordsBefore(1000, error));
        QCOMPARE(log.startOffset(), 200);
        QCOMPARE(log.endOffset(), 200);
        QCOMPARE(log.chunkCount(), 0);
        QCOMPARE(log.sizeBytes(), 0);
        QCOMPARE(readAll(log, 199, 10).size(), 0);
        fill(log, 3, 200, [](qint64) { return 1000; });
        QCOMPARE(log.startOffset(), 200);
        QCOMPARE(log.endOffset(), 203);
        QCOMPARE(countValid(log, 200, 200), 3);

        // an empty log: nothing to delete, no error
        MemoryLog empty;
        QVERIFY(empty.deleteRecordsBefore(0, error));
        QCOMPARE(empty.startOffset(), 0);
    }

    void chunkMemoryIsGivenBack()
    {
#ifndef Q_OS_LINUX
        QSKIP("reads the resident size from /proc");
#endif
        constexpr int kChunk = 1 << 20;
        auto log = std::make_unique<MemoryLog>(kChunk);
        // 48 MiB of batches, every page written
        fill(*log, 48 * 16, 64 << 10, [](qint64) { return 1000; });
        QVERIFY(log->chunkCount() > 40);
        const qint64 before = residentBytes();
        QVERIFY(before > 0);
        const int deleted = log->applyRetention({-1, 0}, 0);
        QCOMPARE(log->chunkCount(), 1);
        const qint64 after = residentBytes();
        // what retention deletes leaves the process at once, not only for later reuse
        QVERIFY2(before - after >= qint64(deleted - 4) * kChunk,
                 qPrintable(QStringLiteral("resident %1 -> %2 bytes after deleting %3 chunks")
                                .arg(before)
                                .arg(after)
                                .arg(deleted)));
    }

    void readsAndAppendsRaceRetentionSafely()
    {
        // Partition serialises the log; readers, a producer and housekeeping run at once.
        Partition partition(0, std::make_unique<MemoryLog>(4096));
        constexpr int kBatches = 20000;
        constexpr qint64 kKeepBytes = 32 << 10;
        std::atomic<bool> producing{true};
        std::atomic<int> bad{0};
        std::atomic<qint64> goodReads[2] = {0, 0};
        std::atomic<qint64> emptyBelowStart{0};
        std::atomic<int> deleted{0};

        std::thread producer([&] {
            for (int i = 0; i < kBatches; ++i) {
                // half-way, make sure the others are under way, so all four overlap however
                // the machine schedules them (no sleeps: they run until the producer ends)
                while (i == kBatches / 2 &&
                       (deleted == 0 || goodReads[0] == 0 || goodReads[1] == 0))
                    std::this_thread::yield();
                RecordBatchBuilder builder(1000 + i);
                builder.append(valueAt(i, 100));
                QByteArray batch = builder.finish();
                if (partition.append(batch, 1000 + i).baseOffset != i)
                    ++bad;
            }
            producing = false;
        });
        std::thread housekeeping([&] {
            while (producing)
                deleted += partition.applyRetention({-1, kKeepBytes}, 0);
        });
        auto reader = [&](int id, qint64 lag) {
            while (producing) {
                const qint64 start = partition.startOffset();
                const qint64 from = std::max(start, partition.endOffset() - lag);
                qint64 next = from;
                const ReadOutcome read = partition.readRecords(from, 64, [&](const RecordView &r) {
                    if (r.offset != next || r.value != valueAt(r.offset, 100))
                        ++bad;
                    ++next;
                    return true;
                });
                if (!read.error.isEmpty())
                    ++bad;
                if (read.records > 0)
                    ++goodReads[id];
                else if (from < partition.startOffset())
                    ++emptyBelowStart; // retention overtook the reader: nothing, like FileLog
            }
        };
        std::thread nearTail(reader, 0, 10);
        std::thread farBehind(reader, 1, 2000); // reads the chunks retention is deleting
        producer.join();
        housekeeping.join();
        nearTail.join();
        farBehind.join();

        QCOMPARE(bad.load(), 0);
        QVERIFY(goodReads[0] > 0 && goodReads[1] > 0);
        QVERIFY(deleted > 0);
        deleted += partition.applyRetention({-1, kKeepBytes}, 0);
        const PartitionStats stats = partition.stats();
        QCOMPARE(stats.endOffset, kBatches);
        QVERIFY(stats.startOffset > 0);
        QVERIFY(stats.sizeBytes >= kKeepBytes);
        QVERIFY(stats.sizeBytes < kKeepBytes + 2 * 4096);
        qint64 next = stats.startOffset;
        const ReadOutcome rest = partition.readRecords(next, kBatches, [&](const RecordView &r) {
            return r.offset == next && r.value == valueAt(next++, 100);
        });
        QCOMPARE(rest.records, kBatches - stats.startOffset);
        qInfo("%lld reads with records, %lld overtaken by retention, %d chunks deleted",
              static_cast<long long>(goodReads[0] + goodReads[1]),
              static_cast<long long>(emptyBelowStart), deleted.load());
    }
};

QTEST_GUILESS_MAIN(TestMemoryLog)
#include "tst_memorylog.moc"
