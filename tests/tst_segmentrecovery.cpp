// A broker restarted over segment files damaged on purpose: a torn or garbage tail is cut,
// a bit flip or a broken length in old data is never served, damage in the newest segment
// after a crash refuses the partition alone, and a deleted index is rebuilt.
#include "native/clientcodec.h"
#include "native/nativeclient.h"
#include "support/datadirbroker.h"
#include "support/nativecalls.h"
#include "support/segmentfiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QTest>

#include <memory>

using namespace rivulet::native;
using namespace rivulet::testsupport;

class TestSegmentRecovery : public QObject
{
    Q_OBJECT

    using Fixture = DataDirFixture;

    // Fills a partition with `batches` batches of 50 values of 100 bytes ("f-<i>-aaa..."):
    // about 5.5 KB each, so a 64 KiB segment holds a dozen.
    static bool fill(NativeClient &client, const QByteArray &topic, quint32 partition, int batches,
                     QList<QByteArray> &values, QString &why)
    {
        for (int b = 0; b < batches; ++b) {
            const QList<QByteArray> batch = numbered("f-", int(values.size()), 50, 100);
            qint64 last = -1;
            if (!produce(client, topic, partition, batch, last, why))
                return false;
            values += batch;
            if (last != values.size() - 1) {
                why = QStringLiteral("last offset %1 after %2 values").arg(last).arg(values.size());
                return false;
            }
        }
        return true;
    }

    // A data directory, stopped cleanly, whose f[0] fills several 64 KiB segments; f[1] is
    // small. Built once and copied by every case that damages it.
    std::unique_ptr<Fixture> m_segmented;
    QList<QByteArray> m_segmentedValues;
    QList<QByteArray> m_segmentedOther;
    const QStringList m_segmentArgs{QStringLiteral("--segment-bytes"), QStringLiteral("65536")};

    void buildSegmented()
    {
        if (m_segmented)
            return;
        auto base = std::make_unique<Fixture>();
        QVERIFY2(base->start(m_segmentArgs), qPrintable(base->why));
        Reply reply;
        QVERIFY2(request(base->client, encodeCreateTopic("f", 2), reply, base->why),
                 qPrintable(base->why));
        QList<QByteArray> values, other;
        QVERIFY2(fill(base->client, "f", 0, 60, values, base->why), qPrintable(base->why));
        QVERIFY2(fill(base->client, "f", 1, 3, other, base->why), qPrintable(base->why));
        QVERIFY2(base->broker->stop(), base->broker->describe());
        QVERIFY2(segments(partitionDir(base->dir.path(), "f", 0)).size() >= 4,
                 "expected at least 4 segments");
        m_segmented = std::move(base);
        m_segmentedValues = values;
        m_segmentedOther = other;
    }

    // Rows: which byte of which batch of f[0]'s first segment to flip, and which bit.
    static void oldSegmentFlips(bool lengthField)
    {
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("byte");
        QTest::addColumn<int>("mask");
        if (!lengthField) {
            QTest::newRow("a value in the first batch") << 0 << 200 << 0x04;
            QTest::newRow("a value in the third batch") << 2 << 3000 << 0x80;
            QTest::newRow("the second batch's CRC") << 1 << 18 << 0x01;
            QTest::newRow("the second batch's magic") << 1 << 16 << 0x01;
        } else {
            QTest::newRow("length off by one") << 1 << 11 << 0x01;
            QTest::newRow("length negative") << 1 << 8 << 0x80;
            QTest::newRow("length 1 MiB longer, past the segment's end") << 1 << 9 << 0x10;
        }
    }

    void checkOldSegmentFlip()
    {
        QFETCH(int, batch);
        QFETCH(int, byte);
        QFETCH(int, mask);
        buildSegmented();
        if (QTest::currentTestFailed())
            return;
        const QString basePath = m_segmented->dir.path();
        const QStringList files = segments(partitionDir(basePath, "f", 0));
        const QList<qint64> starts = batchStarts(readAll(files.front()));
        QVERIFY(starts.size() > batch + 1);
        const QString first = files.front().mid(basePath.size());
        const qint64 laterBase = baseOffsetOf(files[2]);

        Fixture f;
        QVERIFY(copyDir(basePath, f.dir.path()));
        QVERIFY(flipBit(f.dir.path() + first, starts[batch] + byte, char(mask)));
        QVERIFY2(f.start(m_segmentArgs), qPrintable(f.why));
        QList<ContentRecord> stored;
        const bool served = consumeAll(f.client, "f", 0, 0, stored, f.why);
        QVERIFY2(!served,
                 qPrintable(QStringLiteral("offset 0 served %1 records").arg(stored.size())));
        QVERIFY2(f.why.startsWith(u"Error reply"), qPrintable(f.why));
        QVERIFY2(consumeAll(f.client, "f", 0, quint32(laterBase), stored, f.why),
                 qPrintable(f.why));
        QCOMPARE(mismatch(stored, m_segmentedValues.mid(laterBase), laterBase), QString());
        QVERIFY2(consumeAll(f.client, "f", 1, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, m_segmentedOther), QString());
        QVERIFY2(f.broker->kill9(), f.broker->describe());
    }

private Q_SLOTS:
    void garbageTailIsCut_data()
    {
        QTest::addColumn<bool>("cleanStop");
        QTest::newRow("after a clean stop") << true;
        QTest::newRow("after kill -9") << false;
    }

    void garbageTailIsCut()
    {
        QFETCH(bool, cleanStop);
        Fixture f;
        QVERIFY2(f.start(), qPrintable(f.why));
        Reply reply;
        QVERIFY2(request(f.client, encodeCreateTopic("g", 2), reply, f.why), qPrintable(f.why));
        QList<QByteArray> values[2];
        for (int b = 0; b < 12; ++b)
            for (quint32 p = 0; p < 2; ++p) {
                const auto batch = numbered("g-", int(values[p].size()), 1 + b % 5, 30);
                qint64 last = -1;
                QVERIFY2(produce(f.client, "g", p, batch, last, f.why), qPrintable(f.why));
                values[p] += batch;
            }
        QVERIFY2(cleanStop ? f.broker->stop() : f.broker->kill9(), f.broker->describe());

        const QStringList files = segments(partitionDir(f.dir.path(), "g", 0));
        QVERIFY(!files.isEmpty());
        const qint64 intactSize = QFileInfo(files.back()).size();
        QByteArray garbage;
        for (int i = 0; i < 37; ++i)
            garbage += char(QRandomGenerator::global()->bounded(256));
        QVERIFY(appendBytes(files.back(), garbage));

        QVERIFY2(f.start(), qPrintable(f.why));
        QVERIFY2(f.broker->waitForErr(QStringLiteral("cut 37 bytes")), f.broker->describe());
        QCOMPARE(QFileInfo(files.back()).size(), intactSize);
        for (quint32 p = 0; p < 2; ++p) {
            QList<ContentRecord> stored;
            QVERIFY2(consumeAll(f.client, "g", p, 0, stored, f.why), qPrintable(f.why));
            const QString bad = mismatch(stored, values[p]);
            QVERIFY2(bad.isEmpty(), qPrintable(bad));
            qint64 last = -1;
            QVERIFY2(produce(f.client, "g", p, {"next"}, last, f.why), qPrintable(f.why));
            QCOMPARE(last, qint64(values[p].size()));
        }
        QVERIFY2(f.broker->stop(), f.broker->describe());
    }

    void truncatedInsideLastRecord()
    {
        Fixture base;
        QVERIFY2(base.start(), qPrintable(base.why));
        Reply reply;
        QVERIFY2(request(base.client, encodeCreateTopic("tr", 1), reply, base.why),
                 qPrintable(base.why));
        constexpr int kBatches = 8;
        QList<QByteArray> values;
        qsizetype beforeLast = 0;
        for (int b = 0; b < kBatches; ++b) {
            beforeLast = values.size();
            const auto batch = numbered("tr-", int(values.size()), b + 2, 40);
            qint64 last = -1;
            QVERIFY2(produce(base.client, "tr", 0, batch, last, base.why), qPrintable(base.why));
            values += batch;
        }
        QVERIFY2(base.broker->stop(), base.broker->describe());
        const QString relative =
            segments(partitionDir(base.dir.path(), "tr", 0)).back().mid(base.dir.path().size());
        const QByteArray bytes = readAll(base.dir.path() + relative);
        const QList<qint64> starts = batchStarts(bytes);
        QCOMPARE(starts.size(), kBatches);
        const qint64 lastSize = bytes.size() - starts.back();

        const QList<QByteArray> prefix = values.first(beforeLast);
        for (const qint64 cut :
             {qint64(1), qint64(2), qint64(3), qint64(11), qint64(12), qint64(13), qint64(40),
              qint64(61), lastSize / 2, lastSize - 1, lastSize}) {
            for (const bool crashed : {false, true}) {
                const QString context =
                    QStringLiteral("cut %1 of the last batch's %2 bytes%3")
                        .arg(cut)
                        .arg(lastSize)
                        .arg(crashed ? QStringLiteral(", no clean-shutdown marker") : QString());
                Fixture f;
                QVERIFY(copyDir(base.dir.path(), f.dir.path()));
                QVERIFY(truncateBy(f.dir.path() + relative, cut));
                if (crashed)
                    QVERIFY(QFile::remove(f.dir.path() + QStringLiteral("/clean-shutdown")));
                QVERIFY2(f.start(), qPrintable(context + QStringLiteral(": ") + f.why));
                QList<ContentRecord> stored;
                QVERIFY2(consumeAll(f.client, "tr", 0, 0, stored, f.why),
                         qPrintable(context + QStringLiteral(": ") + f.why));
                const QString bad = mismatch(stored, prefix);
                QVERIFY2(bad.isEmpty(), qPrintable(context + QStringLiteral(": ") + bad));
                qint64 last = -1;
                QVERIFY2(produce(f.client, "tr", 0, {"next"}, last, f.why), qPrintable(f.why));
                QVERIFY2(last == prefix.size(), qPrintable(context));
                QVERIFY2(f.broker->kill9(), f.broker->describe());
            }
        }
    }

    void bitFlipInOldDataIsNeverServed_data() { oldSegmentFlips(false); }
    void bitFlipInOldDataIsNeverServed() { checkOldSegmentFlip(); }

    // The same for a flip in a batch's length field, which decides where the next batch is.
    void damagedLengthInOldDataIsNeverServed_data() { oldSegmentFlips(true); }
    void damagedLengthInOldDataIsNeverServed() { checkOldSegmentFlip(); }

    // After a crash, damage followed by intact data in the newest segment is not a torn
    // tail: the partition is refused, its neighbours keep working.
    void bitFlipInNewestSegmentAfterCrashIsRefused()
    {
        const QStringList &args = m_segmentArgs;
        Reply reply;
        QList<QByteArray> values, other;
        Fixture f;
        QVERIFY2(f.start(args), qPrintable(f.why));
        QVERIFY2(request(f.client, encodeCreateTopic("f", 2), reply, f.why), qPrintable(f.why));
        QVERIFY2(fill(f.client, "f", 0, 60, values, f.why), qPrintable(f.why));
        QVERIFY2(fill(f.client, "f", 1, 3, other, f.why), qPrintable(f.why));
        QVERIFY2(f.broker->kill9(), f.broker->describe());
        const QString newest = segments(partitionDir(f.dir.path(), "f", 0)).back();
        const QByteArray newestBytes = readAll(newest);
        const QList<qint64> newestStarts = batchStarts(newestBytes);
        QVERIFY2(newestStarts.size() >= 3, qPrintable(newest));
        const qint64 middle = newestStarts[newestStarts.size() / 2 - 1];
        QVERIFY(flipBit(newest, middle + 2000, 0x20));

        QVERIFY2(f.start(args), qPrintable(f.why));
        QVERIFY2(f.broker->waitForErr(QStringLiteral("refusing")), f.broker->describe());
        QList<ContentRecord> stored;
        for (const quint32 from : {quint32(0), quint32(baseOffsetOf(newest))}) {
            QVERIFY2(!consumeAll(f.client, "f", 0, from, stored, f.why),
                     qPrintable(
                         QStringLiteral("served %1 records from %2").arg(stored.size()).arg(from)));
            QVERIFY2(f.why.startsWith(u"Error reply"), qPrintable(f.why));
        }
        qint64 last = -1;
        QVERIFY2(!produce(f.client, "f", 0, {"x"}, last, f.why), "a refused partition took data");
        QVERIFY2(consumeAll(f.client, "f", 1, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, other), QString());
        QVERIFY2(produce(f.client, "f", 1, {"x"}, last, f.why), qPrintable(f.why));
        QCOMPARE(last, qint64(other.size()));
        QVERIFY2(f.broker->kill9(), f.broker->describe());
    }

    void indexDeletedIsRebuilt()
    {
        Fixture f;
        const QStringList &args = m_segmentArgs;
        QVERIFY2(f.start(args), qPrintable(f.why));
        Reply reply;
        QVERIFY2(request(f.client, encodeCreateTopic("ix", 1), reply, f.why), qPrintable(f.why));
        QList<QByteArray> values;
        QVERIFY2(fill(f.client, "ix", 0, 60, values, f.why), qPrintable(f.why));
        QVERIFY2(f.broker->stop(), f.broker->describe());

        const QString directory = partitionDir(f.dir.path(), "ix", 0);
        const QStringList files = segments(directory);
        QVERIFY2(files.size() >= 4, qPrintable(files.join(u' ')));
        const QStringList indexes =
            QDir(directory).entryList({QStringLiteral("*.index")}, QDir::Files);
        QCOMPARE(indexes.size(), files.size());
        for (const QString &index : indexes)
            QVERIFY(QFile::remove(directory + u'/' + index));

        QVERIFY2(f.start(args), qPrintable(f.why));
        QList<ContentRecord> stored;
        QVERIFY2(consumeAll(f.client, "ix", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, values), QString());
        // partitions open on first use: by now this one has, and rebuilt its indexes
        for (qsizetype i = 0; i + 1 < files.size(); ++i) {
            const QString index = files[i].chopped(4) + QStringLiteral(".index");
            QVERIFY2(QFile::exists(index), qPrintable(index));
        }
        // single records found through the rebuilt index, wherever they sit in a segment
        for (qsizetype offset = 0; offset < values.size(); offset += 37) {
            QVERIFY2(request(f.client, encodeConsume("ix", 0, quint32(offset), 1), reply, f.why),
                     qPrintable(f.why));
            QCOMPARE(reply.contents.size(), qsizetype(1));
            QCOMPARE(reply.contents.front().offset, quint32(offset));
            QCOMPARE(reply.contents.front().value, values[offset]);
        }
        qint64 last = -1;
        QVERIFY2(produce(f.client, "ix", 0, {"next"}, last, f.why), qPrintable(f.why));
        QCOMPARE(last, qint64(values.size()));
        QVERIFY2(f.broker->stop(), f.broker->describe());
    }
};

QTEST_GUILESS_MAIN(TestSegmentRecovery)
#include "tst_segmentrecovery.moc"
