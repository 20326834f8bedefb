#pragma once

#include "partitionlog.h"

#include <memory>
#include <vector>

namespace rivulet {

// A PartitionLog held in memory: batches packed back to back in large chunks, with a
// sparse index (one entry per ~4 KiB of batches) to find the batch holding an offset.
class MemoryLog final : public PartitionLog
{
public:
    static constexpr std::size_t kChunkSize = 4 << 20;
    static constexpr std::size_t kIndexInterval = 4096;

    std::int64_t startOffset() const override { return 0; }
    std::int64_t endOffset() const override { return m_endOffset; }
    std::int64_t sizeBytes() const override { return m_sizeBytes; }
    AppendResult append(QByteArray &batch) override;
    bool readBatches(std::int64_t fromOffset, const BatchVisitor &visitor,
                     QString &error) const override;

private:
    struct Chunk
    {
        std::unique_ptr<char[]> data;
        std::size_t capacity = 0;
        std::size_t used = 0;
    };
    struct IndexEntry
    {
        std::int64_t baseOffset;
        std::uint32_t chunk;
        std::uint32_t position;
    };

    std::vector<Chunk> m_chunks;
    std::vector<IndexEntry> m_index;
    std::int64_t m_endOffset = 0;
    std::int64_t m_sizeBytes = 0;
    std::size_t m_bytesSinceIndex = 0;
};

} // namespace rivulet
