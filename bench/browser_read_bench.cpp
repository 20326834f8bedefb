// browser_read_bench: what the message browser's reads cost on its pool thread.
//
// An in-memory broker with P partitions × N small JSON records (batches of 1,000 sharing a
// timestamp, partitions interleaved in time), read through RecordReader and
// Broker::readRecords() as the browser reads them: a page of one partition, Newest, all
// partitions merged by timestamp (first page, ten pages, Newest, seek by time) and a
// filtered scan of one partition (text, regular expression). Prints the mean of several
// runs of each; asserts nothing. None of this runs on the GUI thread: the figures are how
// long a page takes to arrive, not a stall.
//
//   browser_read_bench [--partitions P] [--records N]

#include "broker.h"
#include "brokersource.h"
#include "log/recordbatch.h"
#include "recordreader.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <cstdio>

using namespace rivulet;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int partitions = 100, perPartition = 10000;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--partitions"))
            partitions = std::max(1, args[i + 1].toInt());
        else if (args[i] == QLatin1String("--records"))
            perPartition = std::max(1000, args[i + 1].toInt() / 1000 * 1000);
        else {
            std::fprintf(stderr, "usage: browser_read_bench [--partitions P] [--records N]\n");
            return 2;
        }
    }
    Broker broker;
    BrokerSource source(broker);
    broker.createTopic("b", partitions);
    const std::int64_t base = 1'700'000'000'000;
    for (int p = 0; p < partitions; ++p) {
        for (int chunk = 0; chunk < perPartition; chunk += 1000) {
            RecordBatchBuilder builder(base + std::int64_t(chunk) * partitions + p, 1000);
            for (int i = 0; i < 1000; ++i)
                builder.append("{\"order\":" + QByteArray::number(chunk + i) +
                               ",\"item\":\"tea\"}");
            if (broker.produce("b", p, builder.finish()).error != ProduceError::None) {
                std::fprintf(stderr, "produce failed\n");
                return 1;
            }
        }
    }
    std::printf("%d partitions × %d records\n", partitions, perPartition);
    QList<int> all;
    for (int p = 0; p < partitions; ++p)
        all << p;
    auto time = [](const char *what, auto f, int runs) {
        QElapsedTimer t;
        t.start();
        qsizetype records = 0;
        for (int i = 0; i < runs; ++i)
            records += f();
        std::printf("%-56s %9.2f ms  (%lld records)\n", what, double(t.nsecsElapsed()) / 1e6 / runs,
                    static_cast<long long>(records / runs));
    };
    time(
        "one partition: a page of 200 from the oldest",
        [&] {
            RecordReader r(source, "b", {0}, {});
            r.seekOldest();
            return r.read(200, 250).records.size();
        },
        50);
    time(
        "one partition: Newest (200)",
        [&] {
            RecordReader r(source, "b", {0}, {});
            return r.readNewest(200, 200).records.size();
        },
        50);
    time(
        "all merged: first page of 200 from the oldest",
        [&] {
            RecordReader r(source, "b", all, {});
            r.seekOldest();
            return r.read(200, 250).records.size();
        },
        20);
    time(
        "all merged: ten pages of 200 from the oldest",
        [&] {
            RecordReader r(source, "b", all, {});
            r.seekOldest();
            qsizetype n = 0;
            for (int i = 0; i < 10; ++i)
                n += r.read(200, 250).records.size();
            return n;
        },
        5);
    time(
        "all merged: Newest (200 of the whole topic)",
        [&] {
            RecordReader r(source, "b", all, {});
            return r.readNewest(200, 200).records.size();
        },
        10);
    time(
        "all merged: seek by time, then a page of 200",
        [&] {
            RecordReader r(source, "b", all, {});
            r.seekTime(base + std::int64_t(perPartition / 2) * partitions);
            return r.read(200, 250).records.size();
        },
        10);
    RecordFilter text;
    text.text = QStringLiteral("ORDER\":9999,");
    time(
        "one partition: text filter over all its records",
        [&] {
            RecordReader r(source, "b", {0}, text);
            r.seekOldest();
            return r.read(200, 1'000'000).records.size();
        },
        5);
    RecordFilter regex;
    regex.text = QStringLiteral("\"order\":9999[0-9]*,");
    regex.regex = true;
    time(
        "one partition: regular expression over all its records",
        [&] {
            RecordReader r(source, "b", {0}, regex);
            r.seekOldest();
            return r.read(200, 1'000'000).records.size();
        },
        5);
    return 0;
}
