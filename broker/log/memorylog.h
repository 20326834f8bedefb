#pragma once

#include "partitionlog.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <vector>

namespace rivulet {

// A PartitionLog held in memory: batches packed back to back in large chunks, each with a
// sparse index (one entry per ~4 KiB of batches) to find the batch holding an offset.
// Chunks are to this log what segments are to FileLog: retention deletes whole chunks,
// oldest first, never the one being appended to, and gives their memory back to the OS.
class MemoryLog final : public PartitionLog
{
public:
    static constexpr std::size_t kChunkSize = 4 << 20;
    static constexpr std::size_t kIndexInterval = 4096;

    // chunkSize: bytes a chunk holds before the next one starts (a larger batch gets a chunk
    // of its own size)
    explicit MemoryLog(std::size_t chunkSize = kChunkSize) : m_chunkSize(chunkSize) {}

    std::int64_t startOffset() const override
    {
        return m_chunks.empty() ? m_endOffset
                                : std::max(m_chunks.front().baseOffset, m_deletedBefore);
    }
    std::int64_t endOffset() const override { return m_endOffset; }
    std::int64_t sizeBytes() const override { return m_sizeBytes; }
    AppendResult append(QByteArray &batch) override;
    bool readBatches(std::int64_t fromOffset, const BatchVisitor &visitor,
                     QString &error) const override;
    bool deleteRecordsBefore(std::int64_t offset, QString &error) override;
    int applyRetention(const RetentionPolicy &policy, std::int64_t nowMs) override;

    int chunkCount() const { return int(m_chunks.size()); }

private:
    // Unmaps a chunk's bytes. Chunks are mapped rather than taken from malloc, which keeps
    // large freed blocks in its arenas: memory that retention frees must leave the process.
    struct Unmap
    {
        std::size_t length;
        void operator()(char *data) const;
    };
    struct IndexEntry
    {
        std::int64_t baseOffset;
        std::size_t position;
    };
    struct Chunk
    {
        std::unique_ptr<char, Unmap> data;
        std::size_t capacity = 0;
        std::size_t used = 0;
        std::int64_t baseOffset = 0;    // of its first batch
        std::int64_t maxTimestamp = -1; // newest of its batches, for retention.ms
        std::vector<IndexEntry> index;  // its first batch, then one per kIndexInterval bytes
    };

    bool startChunk(std::size_t minCapacity, QString &error);

    std::size_t m_chunkSize;
    std::deque<Chunk> m_chunks; // oldest first
    std::int64_t m_endOffset = 0;
    // set by deleteRecordsBefore(): the start offset, even inside the oldest chunk
    std::int64_t m_deletedBefore = 0;
    std::int64_t m_sizeBytes = 0;
    std::size_t m_bytesSinceIndex = 0;
};

} // namespace rivulet
