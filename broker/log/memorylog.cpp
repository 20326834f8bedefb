#include "memorylog.h"

#include "recordbatch.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace rivulet {

void MemoryLog::Unmap::operator()(char *data) const
{
    ::munmap(data, length);
}

bool MemoryLog::startChunk(std::size_t minCapacity, QString &error)
{
    Chunk chunk;
    chunk.capacity = std::max(m_chunkSize, minCapacity);
    // pages are only backed once written, like malloc's large blocks
    void *data =
        ::mmap(nullptr, chunk.capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (data == MAP_FAILED) {
        error = QStringLiteral("out of memory: cannot allocate %1 bytes for the partition's "
                               "log (%2)")
                    .arg(chunk.capacity)
                    .arg(QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    chunk.data = std::unique_ptr<char, Unmap>(static_cast<char *>(data), Unmap{chunk.capacity});
    chunk.baseOffset = m_endOffset;
    m_chunks.push_back(std::move(chunk));
    m_bytesSinceIndex = kIndexInterval; // the first batch of a chunk is always indexed
    return true;
}

AppendResult MemoryLog::append(QByteArray &bytes)
{
    AppendResult result;
    const auto size = static_cast<std::size_t>(bytes.size());
    if (m_chunks.empty() || m_chunks.back().capacity - m_chunks.back().used < size) {
        if (!startChunk(size, result.error))
            return result;
    }
    RecordBatchView::setBaseOffset(bytes.data(), m_endOffset);
    const RecordBatchView view(bytes);

    Chunk &chunk = m_chunks.back();
    if (m_bytesSinceIndex >= kIndexInterval) {
        chunk.index.push_back({m_endOffset, chunk.used});
        m_bytesSinceIndex = 0;
    }
    std::memcpy(chunk.data.get() + chunk.used, bytes.constData(), size);
    chunk.used += size;
    chunk.maxTimestamp = std::max(chunk.maxTimestamp, view.maxTimestamp());
    m_bytesSinceIndex += size;
    m_sizeBytes += std::int64_t(size);

    result.ok = true;
    result.baseOffset = m_endOffset;
    result.lastOffset = view.lastOffset();
    m_endOffset = result.lastOffset + 1;
    return result;
}

bool MemoryLog::readBatches(std::int64_t fromOffset, const BatchVisitor &visitor, QString &) const
{
    if (fromOffset < startOffset() || fromOffset >= m_endOffset)
        return true;
    auto chunkIt =
        std::upper_bound(m_chunks.begin(), m_chunks.end(), fromOffset,
                         [](std::int64_t offset, const Chunk &c) { return offset < c.baseOffset; });
    --chunkIt; // the first chunk starts at startOffset() <= fromOffset
    const auto &index = chunkIt->index;
    auto entry = std::upper_bound(
        index.begin(), index.end(), fromOffset,
        [](std::int64_t offset, const IndexEntry &e) { return offset < e.baseOffset; });
    --entry; // a chunk's first entry is its first batch
    std::size_t position = entry->position;
    for (; chunkIt != m_chunks.end(); ++chunkIt, position = 0) {
        const Chunk &chunk = *chunkIt;
        while (position < chunk.used) {
            const char *at = chunk.data.get() + position;
            const auto size = std::size_t(*RecordBatchView::sizeAt(at, chunk.used - position));
            const RecordBatchView view(QByteArrayView(at, qsizetype(size)));
            position += size;
            if (view.lastOffset() < fromOffset)
                continue;
            if (!visitor(view.bytes()))
                return true;
        }
    }
    return true;
}

bool MemoryLog::deleteRecordsBefore(std::int64_t offset, QString &)
{
    if (offset <= startOffset())
        return true;
    m_deletedBefore = std::min(offset, m_endOffset);
    // chunks wholly before the new start go now, the one being appended to included: the
    // next append starts a new one
    while (!m_chunks.empty()) {
        const std::int64_t end = m_chunks.size() > 1 ? m_chunks[1].baseOffset : m_endOffset;
        if (end > m_deletedBefore)
            break;
        m_sizeBytes -= std::int64_t(m_chunks.front().used);
        m_chunks.pop_front();
    }
    return true;
}

int MemoryLog::applyRetention(const RetentionPolicy &policy, std::int64_t nowMs)
{
    // FileLog's rules, with chunks for segments
    int deleted = 0;
    while (m_chunks.size() > 1) {
        const Chunk &oldest = m_chunks.front();
        const auto bytes = std::int64_t(oldest.used);
        if (!policy.deletesOldest(oldest.maxTimestamp, bytes, m_sizeBytes, nowMs))
            break;
        m_sizeBytes -= bytes;
        m_chunks.pop_front(); // unmaps it
        ++deleted;
    }
    return deleted;
}

} // namespace rivulet
