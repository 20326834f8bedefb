// KafkaSource (issue 13) against Rivulet's own Kafka listener, started here: librdkafka is
// the real client; the assertions are on the snapshots, pages and look-ups it gives.
#include "broker.h"
#include "kafka/kafkahandler.h"
#include "kafkasettings.h"
#include "kafkasource.h"
#include "log/recordbatch.h"
#include "security/userstore.h"
#include "server/server.h"
#include "support/kafkacluster.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <future>

using namespace rivulet;
using rivulet::testing::fill;
using rivulet::testing::offThread;

namespace {

struct Snapshot
{
    bool ok = false;
    BrokerSnapshot snapshot;
    QString error;
    qint64 ms = 0;
};

Snapshot take(KafkaSource &source)
{
    return offThread([&source] {
        Snapshot s;
        QElapsedTimer timer;
        timer.start();
        s.ok = source.snapshot(s.snapshot, s.error);
        s.ms = timer.elapsed();
        return s;
    });
}

const TopicSnapshot *findTopic(const BrokerSnapshot &s, const QString &name)
{
    for (const TopicSnapshot &t : s.topics)
        if (t.name == name)
            return &t;
    return nullptr;
}

// A Kafka listener on 127.0.0.1, port 0 unless given.
struct Listener
{
    explicit Listener(Broker &broker, kafka::KafkaConfig config = {}, quint16 port = 0)
    {
        config.port = port; // Metadata advertises the port start() picks
        server = std::make_unique<Server>(broker, 1, config);
        started = server->start(QHostAddress::LocalHost, port);
    }
    ~Listener() { server->stop(); }
    QString bootstrap() const { return QStringLiteral("127.0.0.1:%1").arg(server->serverPort()); }
    std::unique_ptr<Server> server;
    bool started = false;
};

std::unique_ptr<KafkaSource> openSource(const QString &bootstrap,
                                        QList<std::pair<QByteArray, QByteArray>> properties = {})
{
    KafkaSettings settings;
    settings.bootstrap = bootstrap;
    settings.properties = std::move(properties);
    QString error;
    auto source = KafkaSource::open(settings, QStringLiteral("test cluster"), error);
    if (!source)
        qWarning("KafkaSource::open: %s", qPrintable(error));
    return source;
}

// a port nobody listens on: one the kernel just gave a listener that is gone
quint16 deadPort()
{
    Broker broker;
    Listener gone(broker);
    const quint16 port = gone.server->serverPort();
    gone.server->stop();
    return port;
}

} // namespace

class TestKafkaSource : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void snapshotHasTopicsBrokersGroupsAndOffsets()
    {
        Broker broker;
        QVERIFY(broker.createTopic("orders", 3).topic);
        QVERIFY(broker.createTopic("audit", 1).topic);
        QVERIFY(fill(broker, "orders", 0, 5));
        QVERIFY(fill(broker, "orders", 2, 7));
        QVERIFY(fill(broker, "audit", 0, 4));
        std::int64_t start = 0;
        QString error;
        QCOMPARE(broker.deleteRecordsBefore("audit", 0, 3, start, error), ChangeOutcome::Done);
        // a group without members, with committed offsets: its lag is end - committed
        QCOMPARE(broker.resetGroupOffsets("billing", "orders", {{0, 2}, {2, 7}}, error),
                 GroupOutcome::Done);
        Listener listener(broker);
        QVERIFY(listener.started);
        auto source = openSource(listener.bootstrap());
        QVERIFY(source);
        QCOMPARE(source->info().kind, SourceInfo::Kind::Kafka);
        QCOMPARE(source->info().name, QStringLiteral("test cluster"));
        QCOMPARE(source->info().bootstrap, listener.bootstrap());

        const Snapshot s = take(*source);
        QVERIFY2(s.ok, qPrintable(s.error));
        QVERIFY(s.snapshot.takenMs > 0);
        QCOMPARE(s.snapshot.brokers.size(), std::size_t(1));
        QCOMPARE(s.snapshot.brokers[0].host, QStringLiteral("127.0.0.1"));
        QCOMPARE(s.snapshot.brokers[0].port, int(listener.server->serverPort()));
        QStringList names;
        for (const TopicSnapshot &t : s.snapshot.topics)
            names << t.name;
        QCOMPARE(names, QStringList({QStringLiteral("audit"), QStringLiteral("orders")}));
        const TopicSnapshot &audit = s.snapshot.topics[0];
        QCOMPARE(audit.partitions.size(), std::size_t(1));
        QCOMPARE(audit.partitions[0].stats.startOffset, 3);
        QCOMPARE(audit.partitions[0].stats.endOffset, 4);
        const TopicSnapshot &orders = s.snapshot.topics[1];
        const std::int64_t ends[] = {5, 0, 7};
        for (int p = 0; p < 3; ++p) {
            const PartitionSnapshot &partition = orders.partitions[std::size_t(p)];
            QCOMPARE(partition.partition, p);
            QCOMPARE(partition.stats.endOffset, ends[p]);
            QCOMPARE(partition.stats.sizeBytes, -1);
            QCOMPARE(partition.stats.recordsIn, 0); // nothing arrived since the source opened
            QCOMPARE(partition.leader, s.snapshot.brokers[0].id);
            QCOMPARE(partition.replicas, std::vector<int>{partition.leader});
            QCOMPARE(partition.isr, std::vector<int>{partition.leader});
        }
        QCOMPARE(s.snapshot.groups.size(), std::size_t(1));
        const GroupSnapshot &billing = s.snapshot.groups[0];
        QCOMPARE(billing.groupId, QByteArray("billing"));
        QCOMPARE(billing.state, GroupState::Empty);
        QVERIFY(billing.members.empty());
        QCOMPARE(billing.offsets.size(), std::size_t(2));
        const GroupOffsetSnapshot *p0 = billing.offset(QStringLiteral("orders"), 0);
        QVERIFY(p0);
        QCOMPARE(p0->offset, 2);
        QCOMPARE(orders.partitions[0].stats.endOffset - p0->offset, 3); // lag
        QCOMPARE(billing.offset(QStringLiteral("orders"), 2)->offset, 7);
        QVERIFY(source->lastProblems().isEmpty());

        // what arrives later counts in recordsIn, per partition
        QVERIFY(fill(broker, "orders", 1, 6));
        QVERIFY(fill(broker, "orders", 2, 2));
        const Snapshot later = take(*source);
        QVERIFY2(later.ok, qPrintable(later.error));
        const TopicSnapshot *o = findTopic(later.snapshot, QStringLiteral("orders"));
        QVERIFY(o);
        QCOMPARE(o->partitions[0].stats.recordsIn, 0);
        QCOMPARE(o->partitions[1].stats.recordsIn, 6);
        QCOMPARE(o->partitions[2].stats.recordsIn, 2);
        qInfo("snapshot of 2 topics, 1 group: %lld ms (first), %lld ms (second)", s.ms, later.ms);
    }

    void ratesFollowEndOffsets()
    {
        Broker broker;
        QVERIFY(broker.createTopic("orders", 2).topic);
        QVERIFY(broker.createTopic("quiet", 1).topic);
        Listener listener(broker);
        QVERIFY(listener.started);
        auto source = openSource(listener.bootstrap());
        QVERIFY(source);
        QVERIFY(take(*source).ok);
        QVERIFY(source->totalRates().size() == 1); // the first sample: no rate yet
        QVERIFY(fill(broker, "orders", 0, 30));
        QVERIFY(fill(broker, "orders", 1, 20));
        // snapshots until one is a second after the first: then a rate is sampled
        QTRY_VERIFY_WITH_TIMEOUT(take(*source).ok && source->totalRates().size() >= 2, 20000);
        const std::vector<RateSample> total = source->totalRates();
        const std::vector<RateSample> orders = source->topicRates(QStringLiteral("orders"));
        const std::vector<RateSample> quiet = source->topicRates(QStringLiteral("quiet"));
        QCOMPARE(orders.size(), total.size());
        QVERIFY(total.back().messagesIn > 0);
        QCOMPARE(orders.back().messagesIn, total.back().messagesIn);
        QCOMPARE(quiet.back().messagesIn, 0.0);
        // the rate is the 50 records over the time between the two samples
        const double seconds = double(total.back().timeMs - total.front().timeMs) / 1000.0;
        QVERIFY(seconds >= 1.0);
        QVERIFY(qAbs(total.back().messagesIn * seconds - 50.0) < 0.01);
        QCOMPARE(total.back().messagesOut, 0.0);
        QVERIFY(source->topicRates(QStringLiteral("nosuch")).empty());
    }

    // Two kcat members of one group, through the source's snapshot: state, members with
    // client id, host and assignment, and their committed offsets (lag 0 once they caught up).
    void groupsWithTwoKcatMembers()
    {
        BrokerConfig brokerConfig;
        brokerConfig.groupInitialRebalanceDelayMs = 0;
        Broker broker(brokerConfig);
        QVERIFY(broker.createTopic("orders", 2).topic);
        QVERIFY(fill(broker, "orders", 0, 3));
        QVERIFY(fill(broker, "orders", 1, 4));
        Listener listener(broker);
        QVERIFY(listener.started);
        const testing::KcatGroup members(listener.bootstrap(), QStringLiteral("g1"),
                                         QStringLiteral("orders"),
                                         {QStringLiteral("kcat-a"), QStringLiteral("kcat-b")});
        if (!members.installed)
            QSKIP(testing::KcatGroup::kNotInstalled);
        QVERIFY2(members.problem.isEmpty(), qPrintable(members.problem));
        auto source = openSource(listener.bootstrap());
        QVERIFY(source);
        Snapshot s;
        const auto settled = [&] {
            s = take(*source);
            if (!s.ok || s.snapshot.groups.size() != 1)
                return false;
            const GroupSnapshot &g = s.snapshot.groups[0];
            return g.state == GroupState::Stable && g.members.size() == 2 &&
                   g.members[0].assignment.size() == 1 && g.members[1].assignment.size() == 1 &&
                   g.offset(QStringLiteral("orders"), 0) &&
                   g.offset(QStringLiteral("orders"), 0)->offset == 3 &&
                   g.offset(QStringLiteral("orders"), 1) &&
                   g.offset(QStringLiteral("orders"), 1)->offset == 4;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(settled(), qPrintable(s.error), 30000);
        const GroupSnapshot &g = s.snapshot.groups[0];
        QCOMPARE(g.groupId, QByteArray("g1"));
        QCOMPARE(g.protocolType, QStringLiteral("consumer"));
        QStringList clients;
        std::vector<int> assigned;
        for (const GroupMemberSnapshot &m : g.members) {
            clients << m.clientId;
            QVERIFY2(m.host.contains(QLatin1String("127.0.0.1")), qPrintable(m.host));
            QCOMPARE(m.assignment[0].topic, QStringLiteral("orders"));
            assigned.insert(assigned.end(), m.assignment[0].partitions.begin(),
                            m.assignment[0].partitions.end());
        }
        clients.sort();
        QCOMPARE(clients, QStringList({QStringLiteral("kcat-a"), QStringLiteral("kcat-b")}));
        std::sort(assigned.begin(), assigned.end());
        QCOMPARE(assigned, std::vector<int>({0, 1}));
        // each partition's owner, and a lag of 0: the members read everything
        const TopicSnapshot *orders = findTopic(s.snapshot, QStringLiteral("orders"));
        QVERIFY(orders);
        for (const PartitionSnapshot &p : orders->partitions) {
            QVERIFY(g.owner(QStringLiteral("orders"), p.partition));
            QCOMPARE(p.stats.endOffset - g.offset(QStringLiteral("orders"), p.partition)->offset,
                     0);
        }
    }

    void readsPagesWithKeysHeadersAndNullValues()
    {
        Broker broker;
        QVERIFY(broker.createTopic("events", 2).topic);
        RecordBatchBuilder builder(5000);
        for (int i = 0; i < 10; ++i) {
            const QByteArray key = "k" + QByteArray::number(i);
            const QByteArray value = i % 3 == 0 ? "Tea " + QByteArray::number(i) : "coffee";
            const HeaderView headers[] = {{"source", i % 2 ? "web" : "shop", true},
                                          {"trace", {}, false}};
            const std::optional<QByteArrayView> keyView =
                i == 4 ? std::nullopt : std::optional<QByteArrayView>(key);
            const std::optional<QByteArrayView> valueView =
                i == 5 ? std::nullopt : std::optional<QByteArrayView>(value);
            builder.appendRecord(keyView, valueView, headers);
        }
        QVERIFY(broker.produce("events", 1, builder.finish()).error == ProduceError::None);
        Listener listener(broker);
        QVERIFY(listener.started);
        auto source = openSource(listener.bootstrap());
        QVERIFY(source);
        const auto read = [&](std::int64_t from, int max, RecordFilter filter = {}) {
            return offThread([&, from, max, filter] {
                ReadRequest request;
                request.fromOffset = from;
                request.maxRecords = max;
                request.filter = filter;
                return source->readRecords("events", 1, request);
            });
        };

        // pages of 4 to the end
        QList<DecodedRecord> all;
        std::int64_t from = 0;
        for (int pages = 0; pages < 10; ++pages) {
            const RecordPage page = read(from, 4);
            QVERIFY2(page.error.isEmpty(), qPrintable(page.error));
            QCOMPARE(page.partition, 1);
            QCOMPARE(page.startOffset, 0);
            QCOMPARE(page.endOffset, 10);
            QCOMPARE(page.fromOffset, from);
            QVERIFY(page.records.size() <= 4);
            all += page.records;
            from = page.nextOffset;
            if (from == page.endOffset)
                break;
        }
        QCOMPARE(all.size(), 10);
        for (int i = 0; i < 10; ++i) {
            const DecodedRecord &r = all[i];
            QCOMPARE(r.partition, 1);
            QCOMPARE(r.offset, i);
            QCOMPARE(r.timestamp, 5000);
            QCOMPARE(r.hasKey, i != 4);
            QCOMPARE(r.key, i == 4 ? QByteArray() : "k" + QByteArray::number(i));
            QCOMPARE(r.hasValue, i != 5);
            if (i == 5) {
                QVERIFY(r.value.isEmpty());
                QCOMPARE(r.valueSize, 0);
            } else {
                QCOMPARE(r.value, i % 3 == 0 ? "Tea " + QByteArray::number(i) : "coffee");
                QCOMPARE(r.valueSize, r.value.size());
            }
            QCOMPARE(r.headers.size(), 2);
            QCOMPARE(r.headers[0].name, QByteArray("source"));
            QCOMPARE(r.headers[0].value, QByteArray(i % 2 ? "web" : "shop"));
            QVERIFY(r.headers[0].hasValue);
            QCOMPARE(r.headers[1].name, QByteArray("trace"));
            QVERIFY(!r.headers[1].hasValue);
            QCOMPARE(r.size, r.key.size() + r.value.size() + 6 + r.headers[0].value.size() + 5);
        }

        // the end: an empty page that stays there
        const RecordPage end = read(10, 4);
        QVERIFY(end.error.isEmpty());
        QVERIFY(end.records.isEmpty());
        QCOMPARE(end.nextOffset, 10);

        // a filter: text (ASCII case ignored) in key, value or headers; header name and value
        RecordFilter tea;
        tea.text = QStringLiteral("TEA");
        RecordPage page = read(0, 100, tea);
        QVERIFY2(page.error.isEmpty(), qPrintable(page.error));
        QList<std::int64_t> offsets;
        for (const DecodedRecord &r : page.records)
            offsets << r.offset;
        QCOMPARE(offsets, QList<std::int64_t>({0, 3, 6, 9}));
        QCOMPARE(page.scanned, 10);
        QCOMPARE(page.nextOffset, 10);
        RecordFilter web;
        web.headerName = "source";
        web.headerValue = QByteArray("web");
        page = read(0, 2, web);
        offsets.clear();
        for (const DecodedRecord &r : page.records)
            offsets << r.offset;
        QCOMPARE(offsets, QList<std::int64_t>({1, 3}));
        QCOMPARE(page.nextOffset, 4);
        RecordFilter regex;
        regex.regex = true;
        regex.text = QStringLiteral("^k[78]$");
        page = read(0, 100, regex);
        QCOMPARE(page.records.size(), 2);
        QCOMPARE(page.records[0].offset, 7);
        RecordFilter bad;
        bad.regex = true;
        bad.text = QStringLiteral("(");
        page = read(0, 100, bad);
        QVERIFY(page.error.contains(QLatin1String("invalid regular expression")));

        // an empty partition, a missing partition, a missing topic
        page = offThread([&] { return source->readRecords("events", 0, ReadRequest{}); });
        QVERIFY2(page.error.isEmpty(), qPrintable(page.error));
        QVERIFY(page.records.isEmpty());
        QCOMPARE(page.endOffset, 0);
        page = offThread([&] { return source->readRecords("nosuch", 0, ReadRequest{}); });
        QVERIFY2(page.error.contains(QLatin1String("nosuch")), qPrintable(page.error));
        page = offThread([&] { return source->readRecords("events", 7, ReadRequest{}); });
        QVERIFY2(!page.error.isEmpty(), "partition 7 does not exist");

        // reading never made a group on the cluster, nor created the topic it asked about
        const Snapshot s = take(*source);
        QVERIFY2(s.ok, qPrintable(s.error));
        QVERIFY(s.snapshot.groups.empty());
        QVERIFY(!findTopic(s.snapshot, QStringLiteral("nosuch")));
        QCOMPARE(broker.partitionCount("nosuch"), -1);
    }

    void longValuesAreCut()
    {
        Broker broker;
        QVERIFY(broker.createTopic("big", 1).topic);
        const QByteArray value(DecodedRecord::kMaxValueBytes + 1000, 'x');
        RecordBatchBuilder builder(1000);
        builder.append(QByteArrayView(value));
        builder.append("small");
        QVERIFY(broker.produce("big", 0, builder.finish()).error == ProduceError::None);
        Listener listener(broker);
        QVERIFY(listener.started);
        auto source = openSource(listener.bootstrap());
        QVERIFY(source);
        const RecordPage page =
            offThread([&] { return source->readRecords("big", 0, ReadRequest{}); });
        QVERIFY2(page.error.isEmpty(), qPrintable(page.error));
        QCOMPARE(page.records.size(), 2);
        QCOMPARE(page.records[0].value.size(), DecodedRecord::kMaxValueBytes);
        QCOMPARE(page.records[0].valueSize, value.size());
        QVERIFY(page.records[0].valueTruncated());
        QCOMPARE(page.records[1].value, QByteArray("small"));
    }

    void offsetForTimestamp()
    {
        Broker broker;
        QVERIFY(broker.createTopic("t", 2).topic);
        QVERIFY(fill(broker, "t", 0, 3, 1000)); // offsets 0-2
        QVERIFY(fill(broker, "t", 0, 2, 3000)); // 3-4
        QVERIFY(fill(broker, "t", 0, 1, 2000)); // 5: older than the batch before it
        Listener listener(broker);
        QVERIFY(listener.started);
        auto source = openSource(listener.bootstrap());
        QVERIFY(source);
        const auto lookUp = [&](int partition, std::int64_t ts) {
            return offThread(
                [&, partition, ts] { return source->offsetForTimestamp("t", partition, ts); });
        };
        TimestampLookup found = lookUp(0, 1500);
        QVERIFY2(found.error.isEmpty(), qPrintable(found.error));
        QCOMPARE(found.offset, 3);
        QCOMPARE(found.timestamp, 3000);
        found = lookUp(0, 1000);
        QCOMPARE(found.offset, 0);
        QCOMPARE(found.timestamp, 1000);
        found = lookUp(0, 0);
        QCOMPARE(found.offset, 0);
        found = lookUp(0, 9000);
        QVERIFY(found.error.isEmpty());
        QCOMPARE(found.offset, -1);
        // the newest: the partition's last record (see kafkasource.h)
        found = lookUp(0, TimestampLookup::kNewestTimestamp);
        QVERIFY2(found.error.isEmpty(), qPrintable(found.error));
        QCOMPARE(found.offset, 5);
        QCOMPARE(found.timestamp, 2000);
        found = lookUp(1, TimestampLookup::kNewestTimestamp);
        QVERIFY(found.error.isEmpty());
        QCOMPARE(found.offset, -1);
        found = lookUp(1, 1000);
        QVERIFY(found.error.isEmpty());
        QCOMPARE(found.offset, -1);
        found = offThread([&] { return source->offsetForTimestamp("nosuch", 0, 1000); });
        QVERIFY2(found.error.contains(QLatin1String("nosuch")), qPrintable(found.error));
        QCOMPARE(found.offset, -1);
    }

    void rangesCountAndRetention()
    {
        Broker broker;
        QVERIFY(broker.createTopic("kept", 3, RetentionPolicy{3600000, 1 << 20}).topic);
        QVERIFY(broker.createTopic("forever", 1).topic);
        QVERIFY(fill(broker, "kept", 1, 4));
        QVERIFY(fill(broker, "kept", 2, 9));
        std::int64_t start = 0;
        QString error;
        QCOMPARE(broker.deleteRecordsBefore("kept", 2, 5, start, error), ChangeOutcome::Done);
        Listener listener(broker);
        QVERIFY(listener.started);
        auto source = openSource(listener.bootstrap());
        QVERIFY(source);
        const QList<PartitionRange> ranges =
            offThread([&] { return source->partitionRanges("kept"); });
        QCOMPARE(ranges.size(), 3);
        QCOMPARE(ranges[0].startOffset, 0);
        QCOMPARE(ranges[0].endOffset, 0);
        QCOMPARE(ranges[1].endOffset, 4);
        QCOMPARE(ranges[2].startOffset, 5);
        QCOMPARE(ranges[2].endOffset, 9);
        QCOMPARE(offThread([&] { return source->partitionCount("kept"); }), 3);
        QCOMPARE(offThread([&] { return source->partitionCount("forever"); }), 1);
        QCOMPARE(offThread([&] { return source->partitionCount("nosuch"); }), -1);
        QVERIFY(offThread([&] { return source->partitionRanges("nosuch"); }).isEmpty());

        const std::optional<RetentionPolicy> kept =
            offThread([&] { return source->retention("kept"); });
        QVERIFY(kept);
        QCOMPARE(kept->retentionMs, 3600000);
        QCOMPARE(kept->retentionBytes, 1 << 20);
        const std::optional<RetentionPolicy> forever =
            offThread([&] { return source->retention("forever"); });
        QVERIFY(forever);
        QVERIFY(forever->keepsEverything());
        QVERIFY(!offThread([&] { return source->retention("nosuch"); }));
        QCOMPARE(broker.partitionCount("nosuch"), -1); // asking did not create it
    }

    // The write side goes through KafkaAdmin; the source's own reads see what it did.
    void writesAreSeenByTheReadSide()
    {
        Broker broker;
        QString error;
        Listener listener(broker);
        QVERIFY(listener.started);
        auto source = openSource(listener.bootstrap());
        QVERIFY(source);
        const auto call = [](auto f) { return offThread(std::move(f)); };

        QVERIFY2(call([&] {
                     return source->createTopic("made", 2, RetentionPolicy{60000, -1}, error);
                 }),
                 qPrintable(error));
        QVERIFY(!call([&] { return source->createTopic("made", 2, std::nullopt, error); }));
        QVERIFY2(!error.isEmpty(), "creating a topic that exists is an error");
        QCOMPARE(call([&] { return source->partitionCount("made"); }), 2);
        QCOMPARE(call([&] { return source->retention("made"); })->retentionMs, 60000);

        OutgoingRecord keyed;
        keyed.key = QByteArray("k1");
        keyed.value = QByteArray("hello");
        keyed.headers = {{"h", "v", true}};
        keyed.timestampMs = 1234;
        OutgoingRecord tombstone;
        tombstone.key = QByteArray("k2");
        const WriteResult written = call([&] {
            return source->produce("made", 1, {keyed, tombstone, keyed});
        });
        QVERIFY2(written.error.isEmpty(), qPrintable(written.error));
        QCOMPARE(written.written, 3);
        QCOMPARE(written.baseOffset, 0);
        QCOMPARE(written.lastOffset, 2);
        const RecordPage page = call([&] { return source->readRecords("made", 1, ReadRequest{}); });
        QVERIFY2(page.error.isEmpty(), qPrintable(page.error));
        QCOMPARE(page.records.size(), 3);
        QCOMPARE(page.records[0].key, QByteArray("k1"));
        QCOMPARE(page.records[0].value, QByteArray("hello"));
        QCOMPARE(page.records[0].timestamp, 1234);
        QCOMPARE(page.records[0].headers.size(), 1);
        QCOMPARE(page.records[0].headers[0].value, QByteArray("v"));
        QVERIFY(!page.records[1].hasValue);

        QVERIFY2(call([&] {
                     return source->setRetention("made", RetentionPolicy{-1, 4096}, error);
                 }),
                 qPrintable(error));
        const std::optional<RetentionPolicy> kept = call([&] { return source->retention("made"); });
        QVERIFY(kept);
        QCOMPARE(kept->retentionMs, -1);
        QCOMPARE(kept->retentionBytes, 4096);

        QCOMPARE(call([&] { return source->addPartitions("made", 4, error); }),
                 ChangeOutcome::Done);
        QCOMPARE(call([&] { return source->partitionCount("made"); }), 4);
        std::int64_t start = -1;
        QCOMPARE(call([&] { return source->deleteRecordsBefore("made", 1, 2, start, error); }),
                 ChangeOutcome::Done);
        QCOMPARE(start, 2);
        QCOMPARE(call([&] { return source->partitionRanges("made"); })[1].startOffset, 2);

        // a group without members: its offsets reset to the end, then deleted
        QCOMPARE(call([&] {
                     return source->resetGroupOffsets("idle", "made", ResetTo::Latest, 0, error);
                 }),
                 GroupOutcome::Done);
        Snapshot s = take(*source);
        QVERIFY2(s.ok, qPrintable(s.error));
        QCOMPARE(s.snapshot.groups.size(), std::size_t(1));
        QCOMPARE(s.snapshot.groups[0].groupId, QByteArray("idle"));
        QCOMPARE(s.snapshot.groups[0].offset(QStringLiteral("made"), 1)->offset, 3);
        QCOMPARE(call([&] { return source->deleteGroup("idle", error); }), GroupOutcome::Done);
        QVERIFY2(call([&] { return source->deleteTopic("made", error); }), qPrintable(error));
        s = take(*source);
        QVERIFY2(s.ok, qPrintable(s.error));
        QVERIFY(s.snapshot.groups.empty());
        QVERIFY(!findTopic(s.snapshot, QStringLiteral("made")));
    }

    // Several pool threads at once: snapshots, pages, look-ups and writes all answer.
    void answersSeveralThreadsAtOnce()
    {
        Broker broker;
        QVERIFY(broker.createTopic("busy", 4).topic);
        for (int p = 0; p < 4; ++p)
            QVERIFY(fill(broker, "busy", p, 50));
        Listener listener(broker);
        QVERIFY(listener.started);
        auto source = openSource(listener.bootstrap());
        QVERIFY(source);
        std::vector<std::future<QString>> calls;
        for (int t = 0; t < 6; ++t) {
            calls.push_back(std::async(std::launch::async, [&source, t]() -> QString {
                for (int round = 0; round < 5; ++round) {
                    QString error;
                    BrokerSnapshot s;
                    switch ((t + round) % 4) {
                    case 0:
                        if (!source->snapshot(s, error))
                            return error;
                        if (s.topics.size() != 1)
                            return QStringLiteral("snapshot without the topic");
                        break;
                    case 1: {
                        ReadRequest request;
                        request.maxRecords = 20;
                        const RecordPage page = source->readRecords("busy", t % 4, request);
                        if (!page.error.isEmpty() || page.records.size() != 20 ||
                            page.records[0].partition != t % 4)
                            return QStringLiteral("page: %1 (%2 records)")
                                .arg(page.error)
                                .arg(page.records.size());
                        break;
                    }
                    case 2:
                        if (source->partitionRanges("busy").size() != 4)
                            return QStringLiteral("ranges");
                        break;
                    case 3: {
                        OutgoingRecord r;
                        r.value = QByteArray("x");
                        const WriteResult w = source->produce("busy", t % 4, {r});
                        if (!w.error.isEmpty())
                            return w.error;
                        break;
                    }
                    }
                }
                return {};
            }));
        }
        for (auto &call : calls) {
            while (call.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready)
                QTest::qWait(5);
            const QString problem = call.get();
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        }
    }

    void unreachableBootstrapFailsWithAReason()
    {
        const quint16 port = deadPort();
        auto source = openSource(QStringLiteral("127.0.0.1:%1").arg(port));
        QVERIFY(source);
        const Snapshot s = take(*source);
        QVERIFY(!s.ok);
        QVERIFY2(s.error.contains(QStringLiteral("127.0.0.1:%1").arg(port)), qPrintable(s.error));
        QVERIFY2(s.error.contains(QLatin1String("Connection refused")), qPrintable(s.error));
        qInfo("unreachable: \"%s\" after %lld ms (timeout %d ms)", qPrintable(s.error), s.ms,
              source->timeoutMs());
        // the browser's and dialogs' calls say so too, or answer "nothing", at once: the
        // snapshot found the cluster down, so they do not each wait out the request timeout
        QElapsedTimer calls;
        calls.start();
        const RecordPage page =
            offThread([&] { return source->readRecords("t", 0, ReadRequest{}); });
        QVERIFY2(page.error.contains(QLatin1String("no Kafka broker answered")),
                 qPrintable(page.error));
        const TimestampLookup at = offThread([&] { return source->offsetForTimestamp("t", 0, 1); });
        QVERIFY2(at.error.contains(QLatin1String("no Kafka broker answered")),
                 qPrintable(at.error));
        QVERIFY(offThread([&] { return source->partitionRanges("t"); }).isEmpty());
        QCOMPARE(offThread([&] { return source->partitionCount("t"); }), -1);
        QVERIFY(!offThread([&] { return source->retention("t"); }));
        qInfo("five reads on the cluster known down: %lld ms", calls.elapsed());
    }

    void refusesABadProperty()
    {
        KafkaSettings settings;
        settings.bootstrap = QStringLiteral("127.0.0.1:1");
        settings.properties = {{"sasl.password", "hunter2"}, {"no.such.property", "s3cret"}};
        QString error;
        QVERIFY(!KafkaSource::open(settings, QStringLiteral("x"), error));
        QVERIFY2(error.contains(QLatin1String("no.such.property")), qPrintable(error));
        QVERIFY(!error.contains(QLatin1String("s3cret")));
    }

    void clusterThatStopsAndComesBack()
    {
        Broker broker;
        QVERIFY(broker.createTopic("orders", 1).topic);
        QVERIFY(fill(broker, "orders", 0, 3));
        auto listener = std::make_unique<Listener>(broker);
        QVERIFY(listener->started);
        const quint16 port = listener->server->serverPort();
        auto source = openSource(listener->bootstrap());
        QVERIFY(source);
        source->setTimeoutMs(2000);
        Snapshot s = take(*source);
        QVERIFY2(s.ok, qPrintable(s.error));

        listener.reset(); // the cluster goes away
        s = take(*source);
        QVERIFY(!s.ok);
        QVERIFY2(s.error.contains(QStringLiteral("127.0.0.1:%1").arg(port)), qPrintable(s.error));
        qInfo("gone: \"%s\" after %lld ms", qPrintable(s.error), s.ms);

        // and comes back on the same port, with more records
        QVERIFY(fill(broker, "orders", 0, 2));
        listener = std::make_unique<Listener>(broker, kafka::KafkaConfig{}, port);
        if (!listener->started)
            QSKIP("the port was taken meanwhile");
        QTRY_VERIFY_WITH_TIMEOUT((s = take(*source)).ok, 30000);
        const TopicSnapshot *orders = findTopic(s.snapshot, QStringLiteral("orders"));
        QVERIFY(orders);
        QCOMPARE(orders->partitions[0].stats.endOffset, 5);
        QCOMPARE(orders->partitions[0].stats.recordsIn, 2);
        const RecordPage page =
            offThread([&] { return source->readRecords("orders", 0, ReadRequest{}); });
        QVERIFY2(page.error.isEmpty(), qPrintable(page.error));
        QCOMPARE(page.records.size(), 5);
    }

    void wrongSaslPasswordIsAnAuthenticationError()
    {
        QTemporaryDir dir;
        const QString path = userfile::pathIn(dir.path());
        SaslUser alice{QStringLiteral("alice"), {}};
        alice.credentials[scram::Mechanism::Sha256] =
            scram::makeCredential(scram::Mechanism::Sha256, "right", 4096);
        QString error;
        QVERIFY2(userfile::save(path, {alice}, error), qPrintable(error));
        Broker broker;
        QVERIFY(broker.createTopic("secret", 1).topic);
        kafka::KafkaConfig config;
        config.security = SecurityProtocol::SaslPlaintext;
        config.users = std::make_shared<UserStore>(path);
        QVERIFY(config.users->load(error));
        Listener listener(broker, config);
        QVERIFY(listener.started);
        const auto settingsWith = [](const QByteArray &password) {
            return QList<std::pair<QByteArray, QByteArray>>{{"security.protocol", "SASL_PLAINTEXT"},
                                                            {"sasl.mechanism", "SCRAM-SHA-256"},
                                                            {"sasl.username", "alice"},
                                                            {"sasl.password", password}};
        };
        auto wrong = openSource(listener.bootstrap(), settingsWith("xyzzy-not-it"));
        QVERIFY(wrong);
        const Snapshot refused = take(*wrong);
        QVERIFY(!refused.ok);
        QVERIFY2(refused.error.contains(QLatin1String("authentication"), Qt::CaseInsensitive),
                 qPrintable(refused.error));
        QVERIFY(!refused.error.contains(QLatin1String("xyzzy-not-it"))); // never the secret
        qInfo("wrong password: \"%s\" after %lld ms", qPrintable(refused.error), refused.ms);

        auto right = openSource(listener.bootstrap(), settingsWith("right"));
        QVERIFY(right);
        const Snapshot allowed = take(*right);
        QVERIFY2(allowed.ok, qPrintable(allowed.error));
        QVERIFY(findTopic(allowed.snapshot, QStringLiteral("secret")));
    }
};

QTEST_MAIN(TestKafkaSource)
#include "tst_kafkasource.moc"
