#pragma once

#include <QString>

#include <cstdint>
#include <optional>

namespace rivulet {

enum class FsyncPolicy
{
    Never,    // leave it to the OS (data is still written before a produce is acknowledged)
    Interval, // every partition with new data is fsynced once per interval
    Always,   // a produce is acknowledged after its data is on disk (group commit)
};

std::optional<FsyncPolicy> parseFsyncPolicy(const QString &text);
QString fsyncPolicyName(FsyncPolicy policy);

// Kafka's retention semantics: whole old segments are deleted once they are older than
// retentionMs (by their newest record) or while the partition stays above retentionBytes
// without them. -1 keeps everything. The active segment is never deleted.
struct RetentionPolicy
{
    std::int64_t retentionMs = -1;
    std::int64_t retentionBytes = -1;
    bool keepsEverything() const { return retentionMs < 0 && retentionBytes < 0; }
    // Whether a log deletes its oldest unit (a segment, or a chunk in memory) whose newest
    // record is from newestMs and which holds unitBytes of the log's totalBytes. Logs never
    // ask about the unit they append to.
    bool deletesOldest(std::int64_t newestMs, std::int64_t unitBytes, std::int64_t totalBytes,
                       std::int64_t nowMs) const
    {
        return (retentionMs >= 0 && newestMs < nowMs - retentionMs) ||
               (retentionBytes >= 0 && totalBytes - unitBytes >= retentionBytes);
    }
};

struct LogSettings
{
    std::int64_t segmentBytes = std::int64_t(128) << 20;
    FsyncPolicy fsync = FsyncPolicy::Interval;
    std::int64_t fsyncIntervalMs = 1000;
};

} // namespace rivulet
