#pragma once

// What the cluster tests share (tst_kafkacluster, tst_kafkasource, tst_kafkaadmin): records
// put straight into the broker, calls that block made from another thread while the
// listener keeps serving on this one, and kcat consumers in a group.

#include "broker.h"
#include "log/recordbatch.h"
#include "server/server.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

#include <future>
#include <memory>
#include <vector>

namespace rivulet::testing {

// records "v0", "v1", … in one batch of timestampMs at the partition's end
inline bool fill(Broker &broker, const QByteArray &topic, int partition, int records,
                 std::int64_t timestampMs = 1000)
{
    RecordBatchBuilder builder(timestampMs);
    for (int i = 0; i < records; ++i)
        builder.append("v" + QByteArray::number(i));
    return broker.produce(topic, partition, builder.finish()).error == ProduceError::None;
}

// A port nobody listens on: one the kernel just gave a Kafka listener that is gone.
inline quint16 deadPort()
{
    Broker broker;
    Server server(broker, 1, kafka::KafkaConfig{});
    if (!server.start(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = server.serverPort();
    server.stop();
    return port;
}

// librdkafka's calls block; the listener runs on this thread's event loop, so call from
// another thread and keep this one turning until the answer is there. A call that has not
// answered after a minute has hung: that ends the test run instead of stalling it.
template <typename F> auto offThread(F f)
{
    auto future = std::async(std::launch::async, std::move(f));
    QElapsedTimer waited;
    waited.start();
    while (future.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
        QTest::qWait(5);
        if (waited.elapsed() > 60000)
            qFatal("a librdkafka call did not return within a minute");
    }
    return future.get();
}

// kcat consumers of topic in group, one per client id, reading from the earliest offset and
// committing every 100 ms; killed when this goes. Without kcat, installed is false (skip).
struct KcatGroup
{
    KcatGroup(const QString &bootstrap, const QString &group, const QString &topic,
              const QStringList &clientIds)
    {
        const QString kcat = QStandardPaths::findExecutable(QStringLiteral("kcat"));
        installed = !kcat.isEmpty();
        if (!installed)
            return;
        for (const QString &client : clientIds) {
            auto process = std::make_unique<QProcess>();
            process->start(kcat, {"-b", bootstrap, "-G", group, "-q", "-X",
                                  QStringLiteral("client.id=%1").arg(client), "-X",
                                  "auto.offset.reset=earliest", "-X", "auto.commit.interval.ms=100",
                                  topic});
            if (!process->waitForStarted()) {
                problem = QStringLiteral("kcat did not start: %1").arg(process->errorString());
                return;
            }
            members.push_back(std::move(process));
        }
    }
    ~KcatGroup()
    {
        for (auto &process : members) {
            process->kill();
            process->waitForFinished();
        }
    }
    KcatGroup(const KcatGroup &) = delete;
    KcatGroup &operator=(const KcatGroup &) = delete;

    static constexpr const char *kNotInstalled =
        "kcat is not installed (scripts/setup.sh installs it)";
    bool installed = false;
    QString problem; // empty: every member started
    std::vector<std::unique_ptr<QProcess>> members;
};

} // namespace rivulet::testing
