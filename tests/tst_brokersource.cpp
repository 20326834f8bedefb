// BrokerSource, the window's ClusterSource over the broker in this process: the parts that
// are more than forwarding (one batch built from OutgoingRecords, createTopic's outcomes).
#include "broker.h"
#include "brokersource.h"

#include <QTest>

using namespace rivulet;

class TstBrokerSource : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void infoSaysInProcess()
    {
        Broker broker;
        BrokerSource source(broker);
        const SourceInfo info = source.info();
        QCOMPARE(info.kind, SourceInfo::Kind::InProcess);
        QCOMPARE(info.name, QStringLiteral("This machine's broker"));
        QVERIFY(info.bootstrap.isEmpty());
        QVERIFY(info.dataPath.isEmpty()); // in memory
        QVERIFY(source.hasNativeConsumers());
    }

    void producesKeysNullsHeadersAndTimestamps()
    {
        Broker broker;
        BrokerSource source(broker);
        QString error;
        QVERIFY2(source.createTopic("t", 2, std::nullopt, error), qPrintable(error));

        QList<OutgoingRecord> records;
        OutgoingRecord a;
        a.timestampMs = 1'700'000'000'500;
        a.key = QByteArray("k1");
        a.value = QByteArray("v1");
        a.headers = {{"h", "x", true}, {"nullh", {}, false}};
        records.append(a);
        OutgoingRecord b; // older than the first: the batch must start at the oldest
        b.timestampMs = 1'700'000'000'000;
        b.value = std::nullopt; // a tombstone with no key
        records.append(b);
        OutgoingRecord c; // the time of writing
        c.key = QByteArray();
        c.value = QByteArray("");
        records.append(c);

        const std::int64_t before = Broker::nowMs();
        const WriteResult written = source.produce("t", 1, records);
        QVERIFY2(written.error.isEmpty(), qPrintable(written.error));
        QCOMPARE(written.written, 3);
        QCOMPARE(written.baseOffset, 0);
        QCOMPARE(written.lastOffset, 2);

        ReadRequest request;
        const RecordPage page = source.readRecords("t", 1, request);
        QVERIFY2(page.error.isEmpty(), qPrintable(page.error));
        QCOMPARE(page.records.size(), 3);
        const DecodedRecord &r0 = page.records[0];
        QCOMPARE(r0.offset, 0);
        QCOMPARE(r0.timestamp, a.timestampMs);
        QVERIFY(r0.hasKey);
        QCOMPARE(r0.key, QByteArray("k1"));
        QVERIFY(r0.hasValue);
        QCOMPARE(r0.value, QByteArray("v1"));
        QCOMPARE(r0.headers.size(), 2);
        QCOMPARE(r0.headers[0].name, QByteArray("h"));
        QCOMPARE(r0.headers[0].value, QByteArray("x"));
        QVERIFY(r0.headers[0].hasValue);
        QCOMPARE(r0.headers[1].name, QByteArray("nullh"));
        QVERIFY(!r0.headers[1].hasValue);
        const DecodedRecord &r1 = page.records[1];
        QCOMPARE(r1.timestamp, b.timestampMs);
        QVERIFY(!r1.hasKey);
        QVERIFY(!r1.hasValue);
        const DecodedRecord &r2 = page.records[2];
        QVERIFY(r2.timestamp >= before);
        QVERIFY(r2.hasKey); // an empty key is a key
        QVERIFY(r2.key.isEmpty());
        QVERIFY(r2.hasValue);
        QVERIFY(r2.value.isEmpty());

        // the other partition is untouched, and a second write follows on
        QCOMPARE(source.partitionRanges("t")[0].endOffset, 0);
        const WriteResult more = source.produce("t", 1, {a});
        QCOMPARE(more.baseOffset, 3);
        QCOMPARE(more.written, 1);
    }

    void produceRefusalsSayWhy()
    {
        Broker broker;
        BrokerSource source(broker);
        OutgoingRecord r;
        r.value = QByteArray("v");
        WriteResult written = source.produce("missing", 0, {r});
        QCOMPARE(written.written, 0);
        QCOMPARE(written.baseOffset, -1);
        QVERIFY(!written.error.isEmpty());
        QString error;
        QVERIFY(source.createTopic("t", 1, std::nullopt, error));
        written = source.produce("t", 5, {r});
        QVERIFY(!written.error.isEmpty());
        QCOMPARE(written.written, 0);
        // nothing to write is no error
        written = source.produce("t", 0, {});
        QVERIFY(written.error.isEmpty());
        QCOMPARE(written.written, 0);
    }

    void createTopicOfAnExistingOneIsAnError()
    {
        Broker broker;
        BrokerSource source(broker);
        QString error;
        RetentionPolicy retention;
        retention.retentionMs = 60'000;
        QVERIFY2(source.createTopic("orders", 3, retention, error), qPrintable(error));
        QCOMPARE(source.partitionCount("orders"), 3);
        QCOMPARE(source.retention("orders")->retentionMs, 60'000);
        QVERIFY(!source.retention("none"));

        error.clear();
        QVERIFY(!source.createTopic("orders", 3, std::nullopt, error)); // same count too
        QVERIFY2(error.contains(QLatin1String("already exists")), qPrintable(error));
        error.clear();
        QVERIFY(!source.createTopic("orders", 5, std::nullopt, error));
        QVERIFY2(error.contains(QLatin1String("already exists")), qPrintable(error));
        QCOMPARE(source.partitionCount("orders"), 3);

        error.clear();
        QVERIFY(!source.createTopic("bad name!", 1, std::nullopt, error));
        QVERIFY(!error.isEmpty());
        QCOMPARE(source.partitionCount("bad name!"), -1);
    }

    void snapshotAndGroupResetForward()
    {
        Broker broker;
        BrokerSource source(broker);
        QString error;
        QVERIFY(source.createTopic("t", 2, std::nullopt, error));
        OutgoingRecord r;
        r.value = QByteArray("v");
        QCOMPARE(source.produce("t", 0, {r, r, r}).written, 3);
        BrokerSnapshot snapshot;
        QVERIFY(source.snapshot(snapshot, error));
        QCOMPARE(snapshot.topics.size(), std::size_t(1));
        // the base class's Latest resolves through partitionRanges()
        QCOMPARE(source.resetGroupOffsets("g", "t", ResetTo::Latest, 0, error), GroupOutcome::Done);
        QCOMPARE(broker.groups().committed("g", "t", 0)->offset, 3);
        QCOMPARE(broker.groups().committed("g", "t", 1)->offset, 0);
        QCOMPARE(source.deleteGroup("g", error), GroupOutcome::Done);
        QCOMPARE(source.deleteGroup("g", error), GroupOutcome::UnknownGroup);
    }
};

QTEST_GUILESS_MAIN(TstBrokerSource)
#include "tst_brokersource.moc"
