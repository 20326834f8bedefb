#pragma once

#include "messageinjector.h"

#include <QList>
#include <QString>

#include <atomic>
#include <cstdint>

namespace rivulet {

class ClusterSource;

// What the window's Import records… reads and where it writes: a JSON Lines file in the
// format of `rivulet-cli export`/`import` (broker/monitor/recordfile.h) into an existing topic.
struct ImportRequest
{
    QString topic;
    QString path;
    // -1: each record to the partition the file names, and records that name none
    // round-robin over the topic's partitions; otherwise every record to this partition.
    int partition = -1;
    // false: only read and check the file (nothing is written)
    bool write = true;
};

struct ImportBadLine
{
    qint64 line = 0;
    QString why;
};

struct ImportResult
{
    static constexpr int kListedBadLines = 200;

    qint64 records = 0;                // good records read (the check) or written (the import)
    QList<InjectResult::Range> ranges; // by partition, for the records written
    QList<ImportBadLine> badLines;     // the first kListedBadLines, in file order
    qint64 badLineCount = 0;           // all of them
    // Why the import stopped before the end of the file: it cannot be read, a line is over
    // the 64 MiB limit (where the next one starts is unknown), the topic went, or the source
    // refused a batch (errorLine: the first line of that batch). Records written before it
    // stay written.
    QString error;
    qint64 errorLine = 0;
    bool cancelled = false;
    qint64 elapsedMs = 0;
};

// Shared with the GUI thread through atomics: how far into the file, and a cancel flag.
struct ImportProgress
{
    std::atomic<qint64> bytesRead{0};
    std::atomic<qint64> totalBytes{0};
    std::atomic<qint64> records{0};
    std::atomic<bool> cancel{false};
};

// Reads the file and, with request.write, writes its records through ClusterSource::produce()
// with their keys, values, headers and timestamps (a missing timestamp: the time of
// writing; nulls stay null), in batches per partition. A bad line (not a valid record, a
// record over 32 MiB, or a partition the topic does not have) is skipped and listed with
// its number and why; the good lines around it are imported. Runs on a pool thread.
ImportResult importRecords(ClusterSource &source, const ImportRequest &request,
                           ImportProgress &progress);

} // namespace rivulet
