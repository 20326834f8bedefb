// The commit journal (broker/log/commitjournal.h): what is appended is replayed in order,
// a torn or damaged tail is cut, compaction keeps what it must; and the broker's offsets and
// positions survive a restart that did not save the snapshot files (the journal alone).

#include "broker.h"
#include "log/commitjournal.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QTemporaryDir>
#include <QTest>

using namespace rivulet;

namespace {

using Kind = OffsetChange::Kind;

std::vector<OffsetChange> samples()
{
    return {
        OffsetChange::groupOffset("g", "t", 3, 42, "meta", 1700000000000),
        OffsetChange::removal(Kind::GroupOffsetDeleted, "g", "t", 3),
        OffsetChange::removal(Kind::GroupDeleted, "g"),
        OffsetChange::position("reader", "t", 0, 7, 7, 1700000000001),
        OffsetChange::removal(Kind::PositionForgotten, "reader", "t", 0),
        OffsetChange::groupOffset(QByteArray(300, 'x'), "", -1, -1, {}, 0),
    };
}

std::vector<OffsetChange> replayAll(const CommitJournal &journal, QStringList &notes)
{
    std::vector<OffsetChange> seen;
    QString error;
    if (!journal.replay([&](const OffsetChange &c) { seen.push_back(c); }, notes, error))
        qWarning("replay failed: %s", qPrintable(error));
    return seen;
}

QStringList journalFiles(const QString &dir)
{
    return QDir(dir).entryList({QStringLiteral("*.journal")}, QDir::Files, QDir::Name);
}

} // namespace

class TestCommitJournal : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void encodeDecodeRoundTrip()
    {
        for (const OffsetChange &c : samples()) {
            OffsetChange back;
            QVERIFY(CommitJournal::decode(CommitJournal::encode(c), back));
            QVERIFY(back == c);
        }
    }

    void malformedPayloadsAreRefused()
    {
        const QByteArray good = CommitJournal::encode(samples().front());
        OffsetChange c;
        for (qsizetype n = 0; n < good.size(); ++n)
            QVERIFY2(!CommitJournal::decode(QByteArrayView(good).first(n), c),
                     qPrintable(QString::number(n)));
        QVERIFY(!CommitJournal::decode(good + "x", c));
        QByteArray badKind = good;
        badKind[0] = 9;
        QVERIFY(!CommitJournal::decode(badKind, c));
        // a string length far past the payload
        QVERIFY(!CommitJournal::decode(QByteArray::fromHex("01ffffffff"), c));
    }

    void appendedChangesReplayInOrder()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("commits"));
        {
            CommitJournal journal(path, FsyncPolicy::Always);
            QString error;
            QVERIFY2(journal.open(error), qPrintable(error));
            const auto changes = samples();
            QVERIFY2(journal.append({changes.begin(), changes.begin() + 2}, error),
                     qPrintable(error));
            QVERIFY2(journal.append({changes.begin() + 2, changes.end()}, error),
                     qPrintable(error));
        }
        CommitJournal again(path, FsyncPolicy::Interval);
        QStringList notes;
        QCOMPARE(replayAll(again, notes), samples());
        QVERIFY2(notes.isEmpty(), qPrintable(notes.join(u'\n')));
    }

    void tornTailIsCut_data()
    {
        QTest::addColumn<int>("cutBytes");
        QTest::addColumn<bool>("flip");
        QTest::newRow("half a header") << 4 << false;
        QTest::newRow("inside the payload") << 11 << false;
        QTest::newRow("a flipped byte") << 0 << true;
    }

    void tornTailIsCut()
    {
        QFETCH(int, cutBytes);
        QFETCH(bool, flip);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("commits"));
        CommitJournal journal(path, FsyncPolicy::Never);
        QString error;
        QVERIFY(journal.open(error));
        const auto changes = samples();
        for (const OffsetChange &c : changes)
            QVERIFY(journal.append({c}, error));
        const QString file = path + u'/' + journalFiles(path).first();
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QByteArray bytes = f.readAll();
        const qsizetype lastRecord =
            8 + CommitJournal::encode(changes.back()).size(); // header + payload
        if (flip)
            bytes[bytes.size() - 3] = char(bytes[bytes.size() - 3] ^ 0x40);
        else
            bytes.chop(lastRecord - cutBytes);
        QVERIFY(f.resize(0));
        QVERIFY(f.seek(0));
        QCOMPARE(f.write(bytes), bytes.size());
        f.close();
        QStringList notes;
        const auto seen = replayAll(journal, notes);
        QCOMPARE(seen, std::vector<OffsetChange>(changes.begin(), changes.end() - 1));
        QCOMPARE(notes.size(), 1);
        QVERIFY2(notes.first().contains(QStringLiteral("torn or damaged")),
                 qPrintable(notes.first()));
    }

    void rotationKeepsNewerGenerations()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("commits"));
        CommitJournal journal(path, FsyncPolicy::Interval);
        QString error;
        QVERIFY(journal.open(error));
        const auto changes = samples();
        QVERIFY(journal.append({changes[0]}, error));
        std::uint64_t covered = 0;
        QVERIFY2(journal.rotate(covered, error), qPrintable(error));
        QCOMPARE(journal.bytesInGeneration(), 0);
        QVERIFY(journal.append({changes[3]}, error));
        QCOMPARE(journalFiles(path).size(), 2);
        QStringList notes;
        // before the drop both generations replay, oldest first
        QCOMPARE(replayAll(journal, notes), (std::vector<OffsetChange>{changes[0], changes[3]}));
        QVERIFY2(journal.dropUpTo(covered, error), qPrintable(error));
        QCOMPARE(journalFiles(path).size(), 1);
        QCOMPARE(replayAll(journal, notes), std::vector<OffsetChange>{changes[3]});
        // a journal opened after this one appends to a newer generation than any left
        CommitJournal next(path, FsyncPolicy::Interval);
        QVERIFY(next.open(error));
        QVERIFY(next.append({changes[1]}, error));
        QCOMPARE(replayAll(next, notes), (std::vector<OffsetChange>{changes[3], changes[1]}));
    }

    // The broker end to end, in process: offsets committed and positions moved, the data
    // directory's offset files copied as they are then (as a kill -9 would leave them: the
    // snapshot files not yet rewritten), put back after the broker has stopped: the journal
    // alone brings everything back.
    void brokerReplaysWhatTheSnapshotsMissed()
    {
        QTemporaryDir dir;
        const QStringList files = {QStringLiteral("groups.json"), QStringLiteral("consumers.json")};
        QHash<QString, QByteArray> atCrash;
        auto read = [](const QString &path) {
            QFile f(path);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        };
        {
            Broker broker;
            QStringList notes;
            QString error;
            QVERIFY2(broker.openDataDir(dir.path(), notes, error), qPrintable(error));
            QCOMPARE(broker.createTopic("t", 2).outcome, TopicRegistry::CreateOutcome::Created);
            QCOMPARE(broker.groups().commit("g", -1, {}, {{"t", 1, 17, "m"}}, Broker::nowMs()), 0);
            QCOMPARE(broker.groups().commit("gone", -1, {}, {{"t", 0, 3, {}}}, Broker::nowMs()), 0);
            QCOMPARE(broker.groups().deleteGroup("gone"), 0);
            const auto topic = broker.topics().find("t");
            broker.notePosition(*topic, *topic->partition(0), "reader", 9, 9, false);
            broker.notePosition(*topic, *topic->partition(0), "127.0.0.1:5", 4, 4, true);
            for (const QString &name : files)
                atCrash.insert(name, read(dir.filePath(name)));
            const QString journals = dir.filePath(QStringLiteral("commits"));
            for (const QString &name : journalFiles(journals))
                atCrash.insert(QStringLiteral("commits/") + name, read(journals + u'/' + name));
            QVERIFY(atCrash.size() > files.size());
            broker.shutdown();
        }
        QVERIFY(QDir(dir.filePath(QStringLiteral("commits"))).removeRecursively());
        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("commits")));
        QFile::remove(dir.filePath(QStringLiteral("clean-shutdown")));
        for (auto it = atCrash.cbegin(); it != atCrash.cend(); ++it) {
            QFile f(dir.filePath(it.key()));
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            QCOMPARE(f.write(it.value()), it.value().size());
        }
        Broker broker;
        QStringList notes;
        QString error;
        QVERIFY2(broker.openDataDir(dir.path(), notes, error), qPrintable(error));
        const auto committed = broker.groups().committed("g", "t", 1);
        QVERIFY(committed);
        QCOMPARE(committed->offset, 17);
        QCOMPARE(committed->metadata, QByteArray("m"));
        QVERIFY(!broker.groups().committed("gone", "t", 0));
        const auto consumers = broker.topics().find("t")->partition(0)->consumers();
        QCOMPARE(consumers.size(), std::size_t(1)); // anonymous positions are never kept
        QCOMPARE(consumers.front().consumer, QByteArray("reader"));
        QCOMPARE(consumers.front().nextOffset, 9);
    }
};

QTEST_GUILESS_MAIN(TestCommitJournal)
#include "tst_commitjournal.moc"
