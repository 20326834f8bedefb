// A broker process at the limits of its storage: a file size limit and a real full file
// system (tmpfs) refuse a produce cleanly and lose nothing acknowledged, a low descriptor
// limit still serves thousands of partitions, and topic directories are made and removed.
#include "native/clientcodec.h"
#include "native/nativeclient.h"
#include "support/datadirbroker.h"
#include "support/nativecalls.h"
#include "support/segmentfiles.h"
#include "support/tmpfsmount.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>

#include <sys/resource.h>

#include <algorithm>

using namespace rivulet::native;
using namespace rivulet::testsupport;

class TestStorageLimits : public QObject
{
    Q_OBJECT

    using Fixture = DataDirFixture;

private Q_SLOTS:
    void deleteTopicRemovesFiles()
    {
        Fixture f;
        QVERIFY2(f.start(), qPrintable(f.why));
        Reply reply;
        QVERIFY2(request(f.client, encodeCreateTopic("d", 2), reply, f.why), qPrintable(f.why));
        QVERIFY2(request(f.client, encodeCreateTopic("keep", 1), reply, f.why), qPrintable(f.why));
        qint64 last = -1;
        QVERIFY2(produce(f.client, "d", 1, numbered("d-", 0, 10), last, f.why), qPrintable(f.why));
        QVERIFY2(produce(f.client, "keep", 0, {"kept"}, last, f.why), qPrintable(f.why));
        const QString topicDir = f.dir.path() + QStringLiteral("/topics/d");
        QVERIFY(QFileInfo(topicDir).isDir());

        QVERIFY2(request(f.client, encodeDeleteTopic("d"), reply, f.why), qPrintable(f.why));
        QVERIFY2(!QFileInfo::exists(topicDir), qPrintable(topicDir));
        auto listed = [&](const QByteArray &topic) {
            const auto partitions = listTopics(f.client, f.why);
            return int(
                std::count_if(partitions.begin(), partitions.end(),
                              [&](const TopicPartitionInfo &p) { return p.topic == topic; }));
        };
        QCOMPARE(listed("d"), 0);
        QCOMPARE(listed("keep"), 1);
        QVERIFY2(!request(f.client, encodeConsume("d", 1, 0, 10), reply, f.why),
                 "a deleted topic still serves");

        QVERIFY2(request(f.client, encodeCreateTopic("d", 3), reply, f.why), qPrintable(f.why));
        QCOMPARE(listed("d"), 3);
        QList<ContentRecord> stored;
        QVERIFY2(consumeAll(f.client, "d", 1, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(stored.size(), qsizetype(0));
        QVERIFY2(produce(f.client, "d", 1, {"fresh"}, last, f.why), qPrintable(f.why));
        QCOMPARE(last, qint64(0));

        // and a restart brings back the new topic, not the old one
        QVERIFY2(f.broker->stop(), f.broker->describe());
        QVERIFY2(f.start(), qPrintable(f.why));
        QCOMPARE(listed("d"), 3);
        QVERIFY2(consumeAll(f.client, "d", 1, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, {"fresh"}), QString());
        QVERIFY2(consumeAll(f.client, "keep", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, {"kept"}), QString());
        QVERIFY2(f.broker->stop(), f.broker->describe());
    }

    void diskFull()
    {
        Fixture f;
        const QStringList args{QStringLiteral("--segment-bytes"), QStringLiteral("16777216")};
        // Only the soft limit: the test may raise it again without privileges.
        QVERIFY2(f.start(args,
                         [] {
                             struct rlimit limit = {};
                             ::getrlimit(RLIMIT_FSIZE, &limit);
                             limit.rlim_cur = 1 << 20;
                             ::setrlimit(RLIMIT_FSIZE, &limit);
                         }),
                 qPrintable(f.why));
        Reply reply;
        QVERIFY2(request(f.client, encodeCreateTopic("full", 1), reply, f.why), qPrintable(f.why));
        QList<QByteArray> acked;
        QString refusal;
        while (acked.size() < 10000) {
            const auto batch = numbered("full-", int(acked.size()), 8, 1000);
            qint64 last = -1;
            if (!produce(f.client, "full", 0, batch, last, refusal))
                break;
            acked += batch;
            QCOMPARE(last, qint64(acked.size() - 1));
        }
        QVERIFY2(refusal.startsWith(u"Error reply"), qPrintable(refusal));
        QVERIFY2(refusal.contains(u"File too large") && refusal.contains(u".log"),
                 qPrintable(refusal));
        QVERIFY2(acked.size() * 1000 < (1 << 20) && acked.size() * 1000 > (1 << 19),
                 qPrintable(QString::number(acked.size())));

        // reads keep working, and the refused batch left nothing behind
        QList<ContentRecord> stored;
        QVERIFY2(consumeAll(f.client, "full", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, acked), QString());
        const auto partitions = listTopics(f.client, f.why);
        QCOMPARE(partitions.size(), qsizetype(1));
        QCOMPARE(partitions.front().endOffset, quint64(acked.size()));

        struct rlimit limit = {};
        QCOMPARE(::prlimit(pid_t(f.broker->pid()), RLIMIT_FSIZE, nullptr, &limit), 0);
        QCOMPARE(limit.rlim_cur, rlim_t(1 << 20));
        limit.rlim_cur = limit.rlim_max;
        QCOMPARE(::prlimit(pid_t(f.broker->pid()), RLIMIT_FSIZE, &limit, nullptr), 0);
        for (int b = 0; b < 40; ++b) {
            const auto batch = numbered("full-", int(acked.size()), 8, 1000);
            qint64 last = -1;
            QVERIFY2(produce(f.client, "full", 0, batch, last, f.why), qPrintable(f.why));
            acked += batch;
            QCOMPARE(last, qint64(acked.size() - 1));
        }

        QVERIFY2(f.broker->kill9(), f.broker->describe());
        QVERIFY2(f.start(args), qPrintable(f.why));
        QVERIFY2(consumeAll(f.client, "full", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, acked), QString());
        qint64 last = -1;
        QVERIFY2(produce(f.client, "full", 0, {"next"}, last, f.why), qPrintable(f.why));
        QCOMPARE(last, qint64(acked.size()));
        QVERIFY2(f.broker->stop(), f.broker->describe());
    }

    // A real full file system (a small tmpfs): a produce that does not fit gets a clear
    // storage error and loses nothing acknowledged; a restart while the disk is still full
    // (an older segment's index missing, half-written temp files left) starts, removes the
    // temp files, and serves every acknowledged record; deleting a topic frees its space.
    void fullFileSystem()
    {
        Fixture f;
        rivulet::testsupport::TmpfsMount disk(f.dir.path(), "6m");
        if (!disk.mounted())
            QSKIP(qPrintable(disk.why()));
        const QStringList args{QStringLiteral("--segment-bytes"), QStringLiteral("262144")};
        QVERIFY2(f.start(args), qPrintable(f.why));
        Reply reply;
        QVERIFY2(request(f.client, encodeCreateTopic("keep", 1), reply, f.why), qPrintable(f.why));
        QVERIFY2(request(f.client, encodeCreateTopic("big", 1), reply, f.why), qPrintable(f.why));
        const QList<QByteArray> kept = numbered("keep-", 0, 20, 100);
        qint64 last = -1;
        QVERIFY2(produce(f.client, "keep", 0, kept, last, f.why), qPrintable(f.why));
        // what a broker killed in the middle of an atomic write leaves
        const QString strayMeta = f.dir.path() + QStringLiteral("/topics.json.tmp");
        // (not an .index.tmp: sealing a segment writes through that name and takes it over)
        const QString strayIndex =
            partitionDir(f.dir.path(), "big", 0) + QStringLiteral("/log-start-offset.tmp");
        for (const QString &path : {strayMeta, strayIndex}) {
            QFile stray(path);
            QVERIFY(stray.open(QIODevice::WriteOnly) && stray.write("{\"half") > 0);
        }

        QList<QByteArray> acked;
        QString refusal;
        while (acked.size() < 100000) {
            const auto batch = numbered("big-", int(acked.size()), 4, 32 << 10);
            if (!produce(f.client, "big", 0, batch, last, refusal))
                break;
            acked += batch;
            QCOMPARE(last, qint64(acked.size() - 1));
        }
        QVERIFY2(refusal.startsWith(u"Error reply") && refusal.contains(u"No space left"),
                 qPrintable(refusal));
        QVERIFY2(acked.size() > 100, qPrintable(QString::number(acked.size())));
        QList<ContentRecord> stored;
        QVERIFY2(consumeAll(f.client, "big", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, acked), QString());

        // stopped while full, an older segment unsealed (its index removed first, so that the
        // filler takes the page it held), and filled to the last block
        QVERIFY2(f.broker->stop(), f.broker->describe());
        const QStringList bigSegments = segments(partitionDir(f.dir.path(), "big", 0));
        QVERIFY2(bigSegments.size() >= 3, qPrintable(bigSegments.join(u' ')));
        QString firstIndex = bigSegments.front();
        firstIndex.replace(QStringLiteral(".log"), QStringLiteral(".index"));
        QFile::remove(firstIndex);
        disk.fill(QStringLiteral("filler"));
        QCOMPARE(disk.freeBytes(), qint64(0));

        QVERIFY2(f.start(args), qPrintable(f.why));
        QVERIFY2(consumeAll(f.client, "keep", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, kept), QString());
        QVERIFY2(consumeAll(f.client, "big", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, acked), QString());
        QVERIFY2(f.broker->waitForErr(QStringLiteral("removed ") + strayMeta),
                 f.broker->describe());
        QVERIFY2(f.broker->waitForErr(QStringLiteral("removed ") + strayIndex),
                 f.broker->describe());
        QVERIFY(!QFile::exists(strayMeta) && !QFile::exists(strayIndex));
        QVERIFY2(f.broker->errText().contains(u"cannot write the rebuilt index of"),
                 f.broker->describe());

        // (bigger than what is left of the file's last page)
        QVERIFY(!produce(f.client, "keep", 0, {QByteArray(64 << 10, 'n')}, last, refusal));
        QVERIFY2(refusal.contains(u"No space left"), qPrintable(refusal));
        QVERIFY2(consumeAll(f.client, "keep", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, kept), QString());

        // deleting a topic frees its space, even with no room for the new topics.json
        QVERIFY2(request(f.client, encodeDeleteTopic("big"), reply, f.why), qPrintable(f.why));
        QVERIFY2(waitUntil([&] { return disk.freeBytes() > (3 << 20); }),
                 qPrintable(QString::number(disk.freeBytes())));
        QVERIFY2(produce(f.client, "keep", 0, {"room again"}, last, f.why), qPrintable(f.why));
        QCOMPARE(last, qint64(kept.size()));
        QVERIFY2(f.broker->stop(), f.broker->describe());
        QVERIFY2(f.start(args), qPrintable(f.why));
        const auto partitions = listTopics(f.client, f.why);
        QCOMPARE(partitions.size(), qsizetype(1));
        QCOMPARE(partitions.front().topic, QByteArray("keep"));
        QVERIFY2(consumeAll(f.client, "keep", 0, 0, stored, f.why), qPrintable(f.why));
        QCOMPARE(mismatch(stored, kept + QList<QByteArray>{"room again"}), QString());
        QVERIFY2(f.broker->stop(), f.broker->describe());
    }

    // A broker whose descriptor limit is 256 serves 2,100 partitions (segment files go
    // through its file pool, sized from the limit), before and after a restart.
    void lowDescriptorLimitServesThousandsOfPartitions()
    {
        const auto limit256 = [] {
            const rlimit limit{256, 256};
            ::setrlimit(RLIMIT_NOFILE, &limit);
        };
        constexpr int kPartitions = 2100;
        Fixture f;
        QVERIFY2(f.start({}, limit256), qPrintable(f.why));
        Reply reply;
        QVERIFY2(request(f.client, encodeCreateTopic("wide", kPartitions), reply, f.why),
                 qPrintable(f.why));
        const auto value = [](int p) { return "wide-" + QByteArray::number(p); };
        const auto openDescriptors = [&] {
            return QDir(QStringLiteral("/proc/%1/fd").arg(f.broker->pid()))
                .entryList(QDir::Files | QDir::System | QDir::NoDotAndDotDot)
                .size();
        };
        for (int p = 0; p < kPartitions; ++p) {
            QVERIFY2(request(f.client, encodeProduce("wide", quint32(p), {value(p)}), reply, f.why),
                     qPrintable(QStringLiteral("partition %1: %2").arg(p).arg(f.why)));
            QCOMPARE(reply.offsets, QList<quint32>{0});
        }
        QVERIFY(openDescriptors() <= 256);
        const auto readBack = [&] {
            for (int p = 0; p < kPartitions; ++p) {
                if (!request(f.client, encodeConsume("wide", quint32(p), 0, 10), reply, f.why))
                    return QStringLiteral("partition %1: %2").arg(p).arg(f.why);
                if (reply.contents.size() != 1 || reply.contents.front().value != value(p))
                    return QStringLiteral("partition %1 does not hold its record").arg(p);
            }
            return QString();
        };
        QCOMPARE(readBack(), QString());
        QVERIFY2(f.broker->stop(), f.broker->describe());

        QVERIFY2(f.start({}, limit256), qPrintable(f.why));
        QCOMPARE(readBack(), QString());
        QVERIFY(openDescriptors() <= 256);
        QVERIFY2(f.broker->stop(), f.broker->describe());
    }

    // CreateTopic answers an error, never "created", when a partition cannot be made, and
    // leaves no topic behind.
    void createTopicFailsWhenAPartitionCannotBeMade()
    {
        Fixture f;
        QVERIFY2(f.start(), qPrintable(f.why));
        // a file where the topic's directory should go: its partitions cannot be made
        // (the tests run as root, so permissions would not stop them)
        QFile blocker(f.dir.path() + QStringLiteral("/topics/blocked"));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        Reply reply;
        QVERIFY(!request(f.client, encodeCreateTopic("blocked", 3), reply, f.why));
        QVERIFY2(reply.error, qPrintable(f.why));
        QVERIFY2(reply.errorText.contains(QLatin1String("cannot create partition")),
                 qPrintable(reply.errorText));
        QVERIFY2(request(f.client, encodeListTopics(), reply, f.why), qPrintable(f.why));
        for (const TopicPartitionInfo &p : reply.topicPartitions)
            QVERIFY(p.topic != "blocked");
        // nothing half-made was recorded: after a restart there is no such topic either
        QVERIFY2(f.broker->stop(), f.broker->describe());
        QVERIFY2(f.start(), qPrintable(f.why));
        QVERIFY2(request(f.client, encodeListTopics(), reply, f.why), qPrintable(f.why));
        QVERIFY(reply.topicPartitions.isEmpty());
        // with the obstacle gone the same request succeeds
        QVERIFY(QFile::remove(blocker.fileName()));
        QVERIFY2(request(f.client, encodeCreateTopic("blocked", 3), reply, f.why),
                 qPrintable(f.why));
        QVERIFY2(request(f.client, encodeProduce("blocked", 2, {"ok"}), reply, f.why),
                 qPrintable(f.why));
    }
};

QTEST_GUILESS_MAIN(TestStorageLimits)
#include "tst_storagelimits.moc"
