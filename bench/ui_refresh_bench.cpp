// ui_refresh_bench: how the Rivulet window copes with a big, busy broker.
//
// A broker with 1,000 topics × 10 partitions and 1,000 consumer rows, producers over TCP
// ingesting as fast as they can, consumers reading along, and the real MainWindow on top
// (tree sorted by In/s, consumers sorted by lag, live tail on), refreshing at its default
// 4 Hz. Each refresh is timed in its two halves: the copy of the broker a pool thread makes
// (snapshot, client list, consumer rows sorted) and what the GUI thread does with it (the
// merge into the models, and the whole refresh with chart and status). A 5 ms timer
// measures how long the GUI event loop goes without running (its stalls, painting
// included) and how much of such a gap the GUI thread spent working rather than waiting
// for a core. At the end the recorded copies are made and merged again with the load
// stopped: their cost on a core of their own. Prints figures; asserts nothing.
//
//   ui_refresh_bench [--topics N] [--partitions N] [--consumers N] [--seconds S]
//                    [--producers N] [--workers N] [--idle] [--kafka [--groups N]]
// With --kafka the window is attached to the same broker as to a Kafka cluster (issue 13):
// through a KafkaSource (librdkafka) on a Kafka listener of its own, with N consumer groups
// (500) each holding a committed offset; the native consumers' rows are then not shown (a
// cluster has none), the groups' are.
// Without DISPLAY it renders offscreen; under X (Xvfb) it paints for real.

#include "broker.h"
#include "brokersource.h"
#include "consumersmodel.h"
#include "kafkasource.h"
#include "mainwindow.h"
#include "messagebrowser.h"
#include "messagesmodel.h"
#include "native/clientcodec.h"
#include "native/nativeclient.h"
#include "refreshdata.h"
#include "server/server.h"
#include "topicsmodel.h"
#include "topicspanel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QTabWidget>
#include <QTableView>
#include <QThread>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

using namespace rivulet;

namespace {

struct Settings
{
    int topics = 1000;
    int partitions = 10;
    int consumerRows = 1000;
    int seconds = 20;
    int producers = 2;
    int workers = 2;
    bool idle = false; // no ingest: the cost of the window on a still broker
};

QString topicName(int t)
{
    return QStringLiteral("bench-%1").arg(t, 4, 10, QLatin1Char('0'));
}

// Produces batches of 100 small values to every partition in turn, 8 requests in flight.
void produceLoop(quint16 port, const Settings &s, int seed, std::atomic<bool> &stop,
                 std::atomic<std::int64_t> &produced)
{
    native::NativeClient client;
    if (!client.connectTo(QStringLiteral("127.0.0.1"), port))
        return;
    QList<QByteArray> values;
    for (int i = 0; i < 100; ++i)
        values << QByteArray(R"({"event":"bench","seq":)") + QByteArray::number(i) + "}";
    const int total = s.topics * s.partitions;
    int next = seed * 7919 % total, inFlight = 0;
    native::Reply reply;
    while (!stop.load(std::memory_order_relaxed)) {
        const int k = next;
        next = (next + 1) % total;
        if (!client.send(native::encodeProduce(topicName(k / s.partitions).toUtf8(),
                                               quint32(k % s.partitions), values)))
            return;
        if (++inFlight < 8)
            continue;
        if (!client.readReply(reply))
            return;
        --inFlight;
        produced.fetch_add(reply.error ? 0 : 100, std::memory_order_relaxed);
    }
    while (inFlight-- > 0 && client.readReply(reply))
        produced.fetch_add(reply.error ? 0 : 100, std::memory_order_relaxed);
}

// Consumer row k is consumer "c-(k/10)" on a partition of its own; each round reads up to
// 50 records for every row, so all of them move and lag changes everywhere.
void consumeLoop(quint16 port, const Settings &s, std::atomic<bool> &stop)
{
    native::NativeClient client;
    if (!client.connectTo(QStringLiteral("127.0.0.1"), port))
        return;
    struct Row
    {
        QByteArray consumer, topic;
        quint32 partition, next = 0;
    };
    std::vector<Row> rows;
    const int total = s.topics * s.partitions;
    for (int k = 0; k < s.consumerRows; ++k) {
        const int p = int((std::int64_t(k) * 7 + k / 10) % total);
        rows.push_back({"c-" + QByteArray::number(k / 10), topicName(p / s.partitions).toUtf8(),
                        quint32(p % s.partitions)});
    }
    native::Reply reply;
    while (!stop.load(std::memory_order_relaxed))
        for (Row &r : rows) {
            if (stop.load(std::memory_order_relaxed) ||
                !client.call(native::encodeConsume(r.topic, r.partition, r.next, 50, r.consumer),
                             reply))
                return;
            if (!reply.contents.isEmpty())
                r.next = reply.contents.last().offset + 1;
        }
}

// CPU time of the calling thread: what a tick costs the GUI thread itself, apart from
// the time it waits for a core while the broker's threads have them.
double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

// Times every event the GUI thread handles, to name the slowest ones: a stall has a
// culprit (a paint, a timer, a queued call) or none (the thread waited for a core).
class TimedApplication : public QApplication
{
public:
    using QApplication::QApplication;

    struct Slow
    {
        double ms = 0;
        double cpuMs = 0;
        QString what;
    };
    std::vector<Slow> slowest; // kept to the 5 slowest
    // the events during which the window merged a refresh: their wall and CPU time
    int refreshes = 0;
    std::vector<double> refreshMs, refreshCpuMs;
    // window repaints (UpdateRequest and Paint events): their wall and CPU time
    std::vector<double> paintMs, paintCpuMs;

    bool notify(QObject *receiver, QEvent *event) override
    {
        // notify() runs on every thread that receives events: time the GUI thread's only
        if (m_depth > 0 || !m_timing || QThread::currentThread() != thread())
            return QApplication::notify(receiver, event);
        // described before it runs: the receiver may delete itself (deleteLater)
        const int type = int(event->type());
        const char *receiverClass = receiver->metaObject()->className();
        const QString receiverName = receiver->objectName();
        const char *parentClass =
            receiver->parent() ? receiver->parent()->metaObject()->className() : "-";
        ++m_depth;
        const int refreshesBefore = refreshes;
        QElapsedTimer t;
        t.start();
        const double cpu = threadCpuMs();
        const bool result = QApplication::notify(receiver, event);
        const double ms = double(t.nsecsElapsed()) / 1e6;
        --m_depth;
        if (refreshes != refreshesBefore) {
            refreshMs.push_back(ms);
            refreshCpuMs.push_back(threadCpuMs() - cpu);
        } else if (type == QEvent::UpdateRequest || type == QEvent::Paint) {
            paintMs.push_back(ms);
            paintCpuMs.push_back(threadCpuMs() - cpu);
        }
        if (slowest.size() < 5 || ms > slowest.back().ms) {
            const QString what = QStringLiteral("event type %1 to %2 \"%3\" (in %4)")
                                     .arg(type)
                                     .arg(QString::fromLatin1(receiverClass), receiverName,
                                          QString::fromLatin1(parentClass));
            slowest.push_back({ms, threadCpuMs() - cpu, what});
            std::sort(slowest.begin(), slowest.end(),
                      [](const Slow &a, const Slow &b) { return a.ms > b.ms; });
            if (slowest.size() > 5)
                slowest.pop_back();
        }
        return result;
    }
    void setTiming(bool on) { m_timing = on; }

private:
    int m_depth = 0;
    bool m_timing = false;
};

struct Stats
{
    std::vector<double> values;
    void add(double v) { values.push_back(v); }
    double percentile(double p)
    {
        if (values.empty())
            return 0;
        std::sort(values.begin(), values.end());
        return values[std::min(values.size() - 1,
                               std::size_t(p * double(values.size() - 1) + 0.5))];
    }
    double max() { return values.empty() ? 0 : *std::max_element(values.begin(), values.end()); }
};

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
        qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    TimedApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("rivulet-ui-bench")); // own settings

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Times the Rivulet window's refresh on a big, busy broker."));
    parser.addHelpOption();
    const QCommandLineOption topics(QStringLiteral("topics"), QStringLiteral("Topics (1000)."),
                                    QStringLiteral("N"), QStringLiteral("1000"));
    const QCommandLineOption partitions(QStringLiteral("partitions"),
                                        QStringLiteral("Partitions per topic (10)."),
                                        QStringLiteral("N"), QStringLiteral("10"));
    const QCommandLineOption consumers(QStringLiteral("consumers"),
                                       QStringLiteral("Consumer rows (1000)."), QStringLiteral("N"),
                                       QStringLiteral("1000"));
    const QCommandLineOption seconds(QStringLiteral("seconds"),
                                     QStringLiteral("Measured seconds (20)."), QStringLiteral("S"),
                                     QStringLiteral("20"));
    const QCommandLineOption producers(QStringLiteral("producers"),
                                       QStringLiteral("Producer connections (2)."),
                                       QStringLiteral("N"), QStringLiteral("2"));
    const QCommandLineOption workers(QStringLiteral("workers"),
                                     QStringLiteral("Broker worker threads (2)."),
                                     QStringLiteral("N"), QStringLiteral("2"));
    const QCommandLineOption idle(QStringLiteral("idle"),
                                  QStringLiteral("No ingest: a still broker."));
    const QCommandLineOption kafka(QStringLiteral("kafka"),
                                   QStringLiteral("Show the broker as a Kafka cluster: the window "
                                                  "on a KafkaSource (librdkafka)."));
    const QCommandLineOption groups(QStringLiteral("groups"),
                                    QStringLiteral("With --kafka: consumer groups with a committed "
                                                   "offset (500)."),
                                    QStringLiteral("N"), QStringLiteral("500"));
    parser.addOptions(
        {topics, partitions, consumers, seconds, producers, workers, idle, kafka, groups});
    parser.process(app);
    Settings s;
    s.topics = parser.value(topics).toInt();
    s.partitions = parser.value(partitions).toInt();
    s.consumerRows = parser.value(consumers).toInt();
    s.seconds = parser.value(seconds).toInt();
    s.producers = parser.value(producers).toInt();
    s.workers = parser.value(workers).toInt();
    s.idle = parser.isSet(idle);
    const bool asCluster = parser.isSet(kafka);
    const int groupCount = asCluster ? parser.value(groups).toInt() : 0;

    Broker broker;
    BrokerSource source(broker);
    broker.startHousekeeping();
    for (int t = 0; t < s.topics; ++t)
        broker.createTopic(topicName(t).toUtf8(), s.partitions);
    Server server(broker, s.workers);
    if (!server.start(QHostAddress::LocalHost, 0)) {
        std::fprintf(stderr, "cannot listen: %s\n", qPrintable(server.errorString()));
        return 1;
    }
    const quint16 port = server.serverPort();

    // --kafka: the same broker seen as a cluster, through its Kafka listener
    kafka::KafkaConfig kafkaConfig;
    kafkaConfig.port = 0;
    Server kafkaServer(broker, 1, kafkaConfig);
    std::unique_ptr<KafkaSource> cluster;
    if (asCluster) {
        QString error;
        for (int g = 0; g < groupCount; ++g)
            broker.resetGroupOffsets("group-" + QByteArray::number(g),
                                     topicName(g % s.topics).toUtf8(), {{0, 0}}, error);
        if (!kafkaServer.start(QHostAddress::LocalHost, 0)) {
            std::fprintf(stderr, "cannot listen: %s\n", qPrintable(kafkaServer.errorString()));
            return 1;
        }
        KafkaSettings settings;
        settings.bootstrap = QStringLiteral("127.0.0.1:%1").arg(kafkaServer.serverPort());
        cluster = KafkaSource::open(settings, QStringLiteral("bench"), error);
        if (!cluster) {
            std::fprintf(stderr, "cannot attach: %s\n", qPrintable(error));
            return 1;
        }
    }
    ClusterSource &shown = asCluster ? static_cast<ClusterSource &>(*cluster) : source;

    MainWindow window(shown);
    if (!asCluster)
        window.addListener(server);
    window.resize(1400, 900);
    window.show();
    QTreeView *tree = window.topicsPanel()->view();
    tree->sortByColumn(TopicsModel::InRate, Qt::DescendingOrder);
    for (int r = 0; r < 20; ++r)
        tree->expand(tree->model()->index(r, 0));
    window.consumersView()->sortByColumn(ConsumersModel::Lag, Qt::DescendingOrder);
    window.messageBrowser()->showPartition(topicName(0), 0);
    window.messageBrowser()->liveTailButton()->setChecked(true);

    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> produced{0};
    std::vector<std::thread> threads;
    if (!s.idle) {
        for (int i = 0; i < s.producers; ++i)
            threads.emplace_back(produceLoop, port, std::cref(s), i, std::ref(stop),
                                 std::ref(produced));
        threads.emplace_back(consumeLoop, port, std::cref(s), std::ref(stop));
    }

    // Warm up: every consumer row appears and the models are full before measuring; then
    // three more seconds of the window's own refreshes, so that rates are measured.
    window.setRefreshIntervalMs(MainWindow::kDefaultRefreshMs);
    QElapsedTimer warm;
    warm.start();
    const int wantRows = asCluster ? groupCount : s.idle ? 0 : s.consumerRows;
    while (warm.elapsed() < 30000 && window.consumersModel()->rowCount() < wantRows)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    warm.restart();
    while (warm.elapsed() < 3000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    const std::int64_t producedBefore = produced.load();

    Stats mergeMs, prepareMs, stallMs, busyStallMs;
    std::vector<std::shared_ptr<const RefreshData>> recorded; // made again without load
    int refreshes = 0;
    QObject::connect(&window, &MainWindow::refreshed, [&] {
        ++app.refreshes;
        mergeMs.add(double(window.lastMergeNs()) / 1e6);
        prepareMs.add(double(window.lastRefresh()->prepareNs) / 1e6);
        recorded.push_back(window.lastRefresh());
        // switch tabs now and then, as a user would, so every view gets painted
        if (++refreshes % 8 == 0)
            window.tabs()->setCurrentIndex((window.tabs()->currentIndex() + 1) %
                                           window.tabs()->count());
    });
    constexpr int kProbeMs = 5;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    QElapsedTimer sinceProbe;
    double probeCpu = threadCpuMs();
    QObject::connect(&probe, &QTimer::timeout, [&] {
        // a gap is a stall; the CPU the thread used during it tells work from waiting
        const double cpu = threadCpuMs();
        stallMs.add(std::max(0.0, double(sinceProbe.nsecsElapsed()) / 1e6 - kProbeMs));
        busyStallMs.add(cpu - probeCpu);
        probeCpu = cpu;
        sinceProbe.restart();
    });
    QElapsedTimer run;
    run.start();
    app.setTiming(true);
    sinceProbe.start();
    probeCpu = threadCpuMs();
    probe.start(kProbeMs);
    // stop timing first: quitting closes the window, which saves its settings to disk
    QTimer::singleShot(s.seconds * 1000, &app, [&app] {
        app.setTiming(false);
        QCoreApplication::quit();
    });
    app.exec();
    probe.stop();
    window.setRefreshIntervalMs(0);
    const double elapsed = double(run.elapsed()) / 1000.0;
    const std::int64_t ingested = produced.load() - producedBefore;
    const int consumerRows = window.consumersModel()->rowCount();
    const int clientRows = window.clientsView()->model()->rowCount();
    Stats tickMs, tickCpuMs, paintMs, paintCpuMs;
    tickMs.values = app.refreshMs;
    tickCpuMs.values = app.refreshCpuMs;
    paintMs.values = app.paintMs;
    paintCpuMs.values = app.paintCpuMs;
    double paintCpuTotal = 0;
    for (double v : paintCpuMs.values)
        paintCpuTotal += v;

    stop = true;
    for (std::thread &t : threads)
        t.join();
    // a copy still on its way is merged before the replay starts
    while (window.refreshPending())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    // The same work again with the load stopped: what a refresh costs when its threads
    // have a core to themselves (this machine has few, and the load keeps them all busy).
    Stats replayMs, replayPrepareMs;
    for (const auto &data : recorded) {
        QElapsedTimer t;
        t.start();
        const auto fresh = prepareRefresh(shown, 0);
        replayPrepareMs.add(double(t.nsecsElapsed()) / 1e6);
        t.restart();
        window.topicsModel()->update(data->snapshot);
        window.consumersModel()->update(data->consumers, data->snapshot.takenMs);
        replayMs.add(double(t.nsecsElapsed()) / 1e6);
        QCoreApplication::processEvents();
    }

    std::printf("Rivulet window refresh benchmark (%s platform, %d s, %d cores)\n",
                qPrintable(QGuiApplication::platformName()), s.seconds,
                QThread::idealThreadCount());
    std::printf(
        "  broker:   %d topics x %d partitions = %d partitions, %d consumer rows, %d clients\n",
        s.topics, s.partitions, s.topics * s.partitions, consumerRows, clientRows);
    if (asCluster)
        std::printf("  shown as a Kafka cluster (KafkaSource, librdkafka): %d groups with a "
                    "committed offset; the copy is the cluster's snapshot over the network\n",
                    groupCount);
    std::printf(
        "  ingest:   %s (%lld messages, %.0f messages/s over TCP, %d producer connections)\n",
        s.idle ? "none (--idle)" : "as fast as the producers can", static_cast<long long>(ingested),
        double(ingested) / elapsed, s.idle ? 0 : s.producers);
    std::printf("  refreshes: %zu at %d ms\n", mergeMs.values.size(),
                MainWindow::kDefaultRefreshMs);
    std::printf("  on the GUI thread (target <= 5 ms):\n");
    std::printf("    merge into the models:          median %6.2f ms  p95 %6.2f ms  max %6.2f ms\n",
                mergeMs.percentile(0.5), mergeMs.percentile(0.95), mergeMs.max());
    std::printf(
        "    whole refresh (+ chart, status): median %6.2f ms  p95 %6.2f ms  max %6.2f ms\n",
        tickMs.percentile(0.5), tickMs.percentile(0.95), tickMs.max());
    std::printf("    whole refresh, GUI thread CPU:  median %6.2f ms  p95 %6.2f ms  max %6.2f ms\n",
                tickCpuMs.percentile(0.5), tickCpuMs.percentile(0.95), tickCpuMs.max());
    std::printf("  on a pool thread: copy of the broker (topics, clients, groups, sorted consumer "
                "rows):\n");
    std::printf("                                    median %6.2f ms  p95 %6.2f ms  max %6.2f ms\n",
                prepareMs.percentile(0.5), prepareMs.percentile(0.95), prepareMs.max());
    std::printf("  uncontended (load stopped, the recorded refreshes made and merged again):\n");
    std::printf("    copy of the broker:             median %6.2f ms  p95 %6.2f ms  max %6.2f ms\n",
                replayPrepareMs.percentile(0.5), replayPrepareMs.percentile(0.95),
                replayPrepareMs.max());
    std::printf("    merge into the models:          median %6.2f ms  p95 %6.2f ms  max %6.2f ms\n",
                replayMs.percentile(0.5), replayMs.percentile(0.95), replayMs.max());
    std::printf("  repaints: %zu, GUI thread CPU %.1f ms a second\n", paintMs.values.size(),
                paintCpuTotal / elapsed);
    std::printf("    wall:                           median %6.2f ms  p95 %6.2f ms  max %6.2f ms\n",
                paintMs.percentile(0.5), paintMs.percentile(0.95), paintMs.max());
    std::printf("    GUI thread CPU:                 median %6.2f ms  p95 %6.2f ms  max %6.2f ms\n",
                paintCpuMs.percentile(0.5), paintCpuMs.percentile(0.95), paintCpuMs.max());
    std::printf("  event loop stall (%d ms probe):   median %6.2f ms  p99 %6.2f ms  max %6.2f ms   "
                "(target <= 50 ms)\n",
                kProbeMs, stallMs.percentile(0.5), stallMs.percentile(0.99), stallMs.max());
    std::printf("    of which the GUI thread worked: median %6.2f ms  p99 %6.2f ms  max %6.2f ms   "
                "(the rest it waited for a core)\n",
                busyStallMs.percentile(0.5), busyStallMs.percentile(0.99), busyStallMs.max());
    std::printf("  slowest events on the GUI thread (wall / own CPU):\n");
    for (const auto &slow : app.slowest)
        std::printf("    %7.2f ms / %6.2f ms  %s\n", slow.ms, slow.cpuMs, qPrintable(slow.what));
    std::fflush(stdout);
    return 0;
}
