#include "recordimport.h"

#include "clustersource.h"
#include "monitor/recordfile.h"

#include <QElapsedTimer>
#include <QFile>

#include <map>
#include <memory>
#include <vector>

namespace rivulet {
namespace {

constexpr int kBatchRecords = 1000;
constexpr qsizetype kBatchBytes = 1 << 20;
// What one record may weigh, as `rivulet-cli import` allows (its producer's limit)
constexpr qsizetype kMaxRecordBytes = 32 << 20;

qsizetype recordBytes(const recordfile::Record &r)
{
    qsizetype n = (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
    for (const recordfile::Header &h : r.headers)
        n += h.key.size() + (h.value ? h.value->size() : 0);
    return n;
}

// The records of one partition waiting to be sent as one batch.
struct Pending : PendingBatch
{
    qint64 firstLine = 0;
};

} // namespace

ImportResult importRecords(ClusterSource &source, const ImportRequest &request,
                           ImportProgress &progress)
{
    ImportResult result;
    QElapsedTimer timer;
    timer.start();
    const int partitions = writeTarget(source, request.topic, request.partition, result.error);
    if (partitions < 0)
        return result;
    QFile file(request.path);
    if (!file.open(QIODevice::ReadOnly)) {
        result.error = QStringLiteral("cannot read %1: %2").arg(request.path, file.errorString());
        return result;
    }
    progress.totalBytes.store(file.size());

    std::map<int, Pending> pending;
    std::map<int, InjectResult::Range> ranges;
    auto flush = [&](int partition, Pending &p) {
        const qint64 firstLine = p.firstLine;
        std::int64_t written = 0;
        const bool ok =
            flushBatch(source, request.topic, partition, p, ranges, result.error, &written) >= 0;
        result.records += written;
        progress.records.store(result.records, std::memory_order_relaxed);
        if (!ok)
            result.errorLine = firstLine;
        return ok;
    };
    auto badLine = [&](qint64 line, const QString &why) {
        if (result.badLines.size() < ImportResult::kListedBadLines)
            result.badLines.append({line, why});
        ++result.badLineCount;
    };

    recordfile::JsonLinesReader reader(&file);
    recordfile::Record record;
    int next = 0; // round-robin for records that name no partition
    bool ok = true;
    while (ok) {
        if (progress.cancel.load(std::memory_order_relaxed)) {
            result.cancelled = true;
            break;
        }
        const auto status = reader.next(record);
        progress.bytesRead.store(file.pos(), std::memory_order_relaxed);
        if (status == recordfile::JsonLinesReader::Status::End)
            break;
        if (status == recordfile::JsonLinesReader::Status::Error) {
            // "line 4: unknown field …": the number is in the reader's message
            const QString message = reader.errorString();
            const qsizetype colon = message.indexOf(QLatin1String(": "));
            const qint64 line = reader.lineNumber();
            if (!reader.skipBadLine()) {
                result.error = message;
                result.errorLine = line;
                break;
            }
            badLine(line, colon >= 0 ? message.mid(colon + 2) : message);
            continue;
        }
        const qint64 line = reader.lineNumber();
        if (record.partition >= partitions && request.partition < 0) {
            badLine(line, QStringLiteral("partition %1, but %2 has %3 (0–%4)")
                              .arg(record.partition)
                              .arg(request.topic)
                              .arg(partitions)
                              .arg(partitions - 1));
            continue;
        }
        const qsizetype bytes = recordBytes(record);
        if (bytes > kMaxRecordBytes) {
            badLine(line, QStringLiteral("a record of %1 bytes is over the limit of %2")
                              .arg(bytes)
                              .arg(kMaxRecordBytes));
            continue;
        }
        int partition = request.partition;
        if (partition < 0) {
            partition = record.partition >= 0 ? record.partition : next;
            if (record.partition < 0)
                next = (next + 1) % partitions;
        }
        if (!request.write) {
            progress.records.store(++result.records, std::memory_order_relaxed);
            continue;
        }
        OutgoingRecord out;
        out.timestampMs = record.timestamp >= 0 ? record.timestamp : -1; // -1: now
        out.key = record.key;
        out.value = record.value;
        for (const recordfile::Header &h : record.headers)
            out.headers.append({h.key, h.value.value_or(QByteArray()), h.value.has_value()});
        Pending &p = pending[partition];
        if (p.records.isEmpty())
            p.firstLine = line;
        p.records.append(std::move(out));
        p.bytes += bytes + 16;
        if (p.records.size() >= kBatchRecords || p.bytes >= kBatchBytes)
            ok = flush(partition, p);
    }
    // what was read before a cancel or an unreadable line is sent; after a refused batch not
    for (auto &[partition, p] : pending)
        if (ok)
            ok = flush(partition, p);
    for (const auto &[partition, range] : ranges)
        result.ranges.append(range);
    result.elapsedMs = timer.elapsed();
    return result;
}

} // namespace rivulet
