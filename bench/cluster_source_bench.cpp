// cluster_source_bench: what one KafkaSource::snapshot() costs (issue 13).
//
// Starts an in-memory Rivulet with a Kafka listener on 127.0.0.1 (port 0) holding T topics
// with P partitions in all (one record each) and G consumer groups, each with a committed
// offset in one partition, then times R snapshots through KafkaSource (librdkafka:
// Metadata, ListOffsets twice, ListGroups, DescribeGroups, one OffsetFetch per group) and
// prints each run, the median and the first (which also connects). With --bootstrap it
// times an existing cluster instead. Asserts nothing; the snapshot runs on a thread of its
// own, as in the window, so these figures are how stale a refresh is, not a stall.
//
//   cluster_source_bench [--partitions P] [--topics T] [--groups G] [--runs R]
//                        [--bootstrap HOST:PORT]

#include "broker.h"
#include "kafka/kafkahandler.h"
#include "kafkacluster.h"
#include "kafkasource.h"
#include "log/recordbatch.h"
#include "server/server.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>
#include <future>

using namespace rivulet;

constexpr int kBrowseRecords = 200000;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int partitions = 5000, topics = 50, groups = 500, runs = 5;
    QString bootstrap;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
        const QString &flag = args[i];
        const int n = args[i + 1].toInt();
        if (flag == QLatin1String("--partitions"))
            partitions = std::max(1, n);
        else if (flag == QLatin1String("--topics"))
            topics = std::max(1, n);
        else if (flag == QLatin1String("--groups"))
            groups = std::max(0, n);
        else if (flag == QLatin1String("--runs"))
            runs = std::max(1, n);
        else if (flag == QLatin1String("--bootstrap"))
            bootstrap = args[i + 1];
        else {
            std::fprintf(stderr, "usage: cluster_source_bench [--partitions P] [--topics T] "
                                 "[--groups G] [--runs R] [--bootstrap HOST:PORT]\n");
            return 2;
        }
    }
    if ((args.size() - 1) % 2 != 0) {
        std::fprintf(stderr, "cluster_source_bench: %s needs a value\n", qPrintable(args.last()));
        return 2;
    }

    Broker broker;
    std::unique_ptr<Server> server;
    if (bootstrap.isEmpty()) {
        topics = std::min(topics, partitions);
        QElapsedTimer setup;
        setup.start();
        for (int t = 0; t < topics; ++t) {
            const QByteArray name = "topic-" + QByteArray::number(t);
            const int count = partitions / topics + (t < partitions % topics ? 1 : 0);
            if (!broker.createTopic(name, count).topic) {
                std::fprintf(stderr, "cannot create %s\n", name.constData());
                return 1;
            }
            for (int p = 0; p < count; ++p) {
                RecordBatchBuilder builder(1'700'000'000'000);
                builder.append("{\"n\":1}");
                if (broker.produce(name, p, builder.finish()).error != ProduceError::None) {
                    std::fprintf(stderr, "produce failed\n");
                    return 1;
                }
            }
        }
        for (int g = 0; g < groups; ++g) {
            QString error;
            const QByteArray topic = "topic-" + QByteArray::number(g % topics);
            if (broker.resetGroupOffsets("group-" + QByteArray::number(g), topic, {{0, 1}},
                                         error) != GroupOutcome::Done) {
                std::fprintf(stderr, "group %d: %s\n", g, qPrintable(error));
                return 1;
            }
        }
        // the message browser's reads: one partition of kBrowseRecords small records
        for (int chunk = 0; chunk < kBrowseRecords / 1000; ++chunk) {
            RecordBatchBuilder builder(1'700'000'000'000 + chunk * 1000, 1000);
            for (int i = 0; i < 1000; ++i)
                builder.append("{\"order\":" + QByteArray::number(chunk * 1000 + i) + "}");
            if ((chunk == 0 && !broker.createTopic("browse", 1).topic) ||
                broker.produce("browse", 0, builder.finish()).error != ProduceError::None) {
                std::fprintf(stderr, "cannot fill the topic browse\n");
                return 1;
            }
        }
        kafka::KafkaConfig config;
        config.port = 0;
        server = std::make_unique<Server>(broker, 2, config);
        if (!server->start(QHostAddress::LocalHost, 0)) {
            std::fprintf(stderr, "cannot listen: %s\n", qPrintable(server->errorString()));
            return 1;
        }
        bootstrap = QStringLiteral("127.0.0.1:%1").arg(server->serverPort());
        std::printf("Rivulet at %s: %d topics, %d partitions, %d groups (set up in %lld ms)\n",
                    qPrintable(bootstrap), topics, partitions, groups, setup.elapsed());
    } else {
        std::printf("cluster at %s\n", qPrintable(bootstrap));
    }

    KafkaSettings settings;
    settings.bootstrap = bootstrap;
    QString error;
    const auto source = KafkaSource::open(settings, QStringLiteral("bench"), error);
    if (!source) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    source->setTimeoutMs(60000); // a figure, however slow, rather than a timeout
    std::vector<qint64> times;
    for (int run = 0; run <= runs; ++run) { // run 0 also connects
        auto future = std::async(std::launch::async, [&] {
            BrokerSnapshot snapshot;
            QElapsedTimer timer;
            timer.start();
            const bool ok = source->snapshot(snapshot, error);
            const qint64 ms = timer.elapsed();
            std::size_t parts = 0, offsets = 0;
            for (const TopicSnapshot &t : snapshot.topics)
                parts += t.partitions.size();
            for (const GroupSnapshot &g : snapshot.groups)
                offsets += g.offsets.size();
            if (ok)
                std::printf("  run %d: %lld ms (%zu topics, %zu partitions, %zu groups, %zu "
                            "committed offsets)\n",
                            run, ms, snapshot.topics.size(), parts, snapshot.groups.size(),
                            offsets);
            return ok ? ms : -1;
        });
        // the listener serves on this thread's event loop
        while (future.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready)
            QCoreApplication::processEvents();
        const qint64 ms = future.get();
        if (ms < 0) {
            std::fprintf(stderr, "snapshot failed: %s\n", qPrintable(error));
            return 1;
        }
        if (run > 0)
            times.push_back(ms);
        else
            std::printf("first snapshot (connecting): %lld ms\n", ms);
    }
    std::sort(times.begin(), times.end());
    std::printf("snapshot: median %lld ms of %d runs (min %lld, max %lld)\n",
                times[times.size() / 2], runs, times.front(), times.back());

    // where the time goes: the topics half (Metadata, ListOffsets ×2) and the groups half
    // (ListGroups, DescribeGroups, OffsetFetch per group), each on a client of its own
    KafkaCluster cluster(settings);
    if (!cluster.open(error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    std::vector<qint64> topicTimes, groupTimes;
    std::size_t groupCount = 0;
    for (int run = 0; run <= runs; ++run) {
        auto future = std::async(std::launch::async, [&] {
            ClusterDescription description;
            std::vector<GroupSnapshot> groupList;
            QStringList problems;
            QElapsedTimer timer;
            timer.start();
            if (!cluster.describe(description, 60000, error))
                return false;
            const qint64 topicMs = timer.restart();
            if (!cluster.describeGroups(groupList, problems, 60000, error))
                return false;
            if (run > 0) { // run 0 connects
                topicTimes.push_back(topicMs);
                groupTimes.push_back(timer.elapsed());
                groupCount = groupList.size();
            }
            return true;
        });
        while (future.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready)
            QCoreApplication::processEvents();
        if (!future.get()) {
            std::fprintf(stderr, "describe failed: %s\n", qPrintable(error));
            return 1;
        }
    }
    std::sort(topicTimes.begin(), topicTimes.end());
    std::sort(groupTimes.begin(), groupTimes.end());
    std::printf("of which topics (Metadata, ListOffsets x2): median %lld ms; groups (ListGroups, "
                "DescribeGroups, OffsetFetch x%d): median %lld ms\n",
                topicTimes[topicTimes.size() / 2], int(groupCount),
                groupTimes[groupTimes.size() / 2]);

    // the message browser's calls (on topic "browse", 200,000 records, when this bench made
    // it): a page of 200 from the oldest, the newest record, a seek by time, the ranges
    const auto timed = [&](const char *what, auto call) {
        std::vector<qint64> took;
        QString problem;
        for (int run = 0; run <= runs; ++run) {
            auto future = std::async(std::launch::async, [&] {
                QElapsedTimer timer;
                timer.start();
                problem = call();
                return timer.elapsed();
            });
            while (future.wait_for(std::chrono::milliseconds(1)) != std::future_status::ready)
                QCoreApplication::processEvents();
            const qint64 ms = future.get();
            if (run > 0)
                took.push_back(ms);
        }
        std::sort(took.begin(), took.end());
        if (!problem.isEmpty())
            std::printf("%s: %s\n", what, qPrintable(problem));
        else
            std::printf("%s: median %lld ms (min %lld, max %lld)\n", what, took[took.size() / 2],
                        took.front(), took.back());
    };
    if (server) {
        timed("browser: a page of 200 from the oldest", [&] {
            ReadRequest request;
            const RecordPage page = source->readRecords("browse", 0, request);
            return !page.error.isEmpty()        ? page.error
                   : page.records.size() != 200 ? QStringLiteral("short page")
                                                : QString();
        });
        timed("browser: ten pages of 200 in a row", [&] {
            ReadRequest request;
            for (int page = 0; page < 10; ++page) {
                const RecordPage read = source->readRecords("browse", 0, request);
                if (!read.error.isEmpty() || read.records.size() != 200)
                    return QStringLiteral("page %1: %2").arg(page).arg(read.error);
                request.fromOffset = read.nextOffset;
            }
            return QString();
        });
        timed("browser: a filtered scan of all 200,000 (one match)", [&] {
            ReadRequest request;
            request.filter.text = QStringLiteral("\"order\":9999}");
            request.timeBudgetMs = 60000;
            request.maxRecords = 10;
            const RecordPage page = source->readRecords("browse", 0, request);
            return !page.error.isEmpty()      ? page.error
                   : page.records.size() != 1 ? QStringLiteral("no match")
                                              : QString();
        });
        timed("browser: the newest record", [&] {
            const TimestampLookup found =
                source->offsetForTimestamp("browse", 0, TimestampLookup::kNewestTimestamp);
            return found.offset == kBrowseRecords - 1
                       ? QString()
                       : QStringLiteral("wrong: %1").arg(found.offset);
        });
        timed("browser: seek by time", [&] {
            const TimestampLookup found =
                source->offsetForTimestamp("browse", 0, 1'700'000'000'000 + 5000);
            return found.offset == 5000 ? QString() : QStringLiteral("wrong: %1").arg(found.offset);
        });
        timed("browser: partition ranges of topic-0 (100 partitions by default)", [&] {
            return source->partitionRanges("topic-0").size() == qsizetype(partitions / topics)
                       ? QString()
                       : QStringLiteral("wrong partition count");
        });
    }
    if (server)
        server->stop();
    return 0;
}
