#include "memorylog.h"

#include "recordbatch.h"

#include <algorithm>
#include <cstring>

namespace rivulet {

AppendResult MemoryLog::append(QByteArray &bytes)
{
    const auto size = static_cast<std::size_t>(bytes.size());
    RecordBatchView::setBaseOffset(bytes.data(), m_endOffset);
    const RecordBatchView view(bytes);

    if (m_chunks.empty() || m_chunks.back().capacity - m_chunks.back().used < size) {
        Chunk chunk;
        chunk.capacity = std::max(kChunkSize, size);
        chunk.data.reset(new char[chunk.capacity]);
        m_chunks.push_back(std::move(chunk));
        m_bytesSinceIndex = kIndexInterval; // the first batch of a chunk is always indexed
    }
    Chunk &chunk = m_chunks.back();
    if (m_bytesSinceIndex >= kIndexInterval) {
        m_index.push_back(
            {m_endOffset, std::uint32_t(m_chunks.size() - 1), std::uint32_t(chunk.used)});
        m_bytesSinceIndex = 0;
    }
    std::memcpy(chunk.data.get() + chunk.used, bytes.constData(), size);
    chunk.used += size;
    m_bytesSinceIndex += size;
    m_sizeBytes += std::int64_t(size);

    AppendResult result;
    result.ok = true;
    result.baseOffset = m_endOffset;
    result.lastOffset = view.lastOffset();
    m_endOffset = result.lastOffset + 1;
    return result;
}

bool MemoryLog::readBatches(std::int64_t fromOffset, const BatchVisitor &visitor, QString &) const
{
    if (fromOffset < startOffset() || fromOffset >= m_endOffset || m_index.empty())
        return true;
    auto it = std::upper_bound(
        m_index.begin(), m_index.end(), fromOffset,
        [](std::int64_t offset, const IndexEntry &e) { return offset < e.baseOffset; });
    --it; // the first entry has baseOffset 0 <= fromOffset
    std::size_t chunkIndex = it->chunk;
    std::size_t position = it->position;
    while (chunkIndex < m_chunks.size()) {
        const Chunk &chunk = m_chunks[chunkIndex];
        if (position >= chunk.used) {
            ++chunkIndex;
            position = 0;
            continue;
        }
        const char *at = chunk.data.get() + position;
        const auto size = std::size_t(*RecordBatchView::sizeAt(at, chunk.used - position));
        const RecordBatchView view(QByteArrayView(at, qsizetype(size)));
        position += size;
        if (view.lastOffset() < fromOffset)
            continue;
        if (!visitor(view.bytes()))
            return true;
    }
    return true;
}

} // namespace rivulet
