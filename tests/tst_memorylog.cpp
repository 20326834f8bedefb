#include "log/memorylog.h"
#include "log/recordbatch.h"

#include <QTest>

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
};

QTEST_GUILESS_MAIN(TestMemoryLog)
#include "tst_memorylog.moc"
