#include "segment.h"

#include "bytes.h"
#include "crc32c.h"
#include "recordbatch.h"

#include <QFile>

#include <algorithm>

namespace rivulet {
namespace {

constexpr char kIndexMagic[8] = {'R', 'V', 'I', 'D', 'X', '0', '0', '1'};
constexpr int kIndexHeader = 8 + 8 + 8 + 4; // magic, base offset, max timestamp, entry count
constexpr std::int64_t kScanBuffer = 1 << 20;
// How far past damage to look for intact batches before assuming there are some.
constexpr std::int64_t kMaxSearchAfterDamage = std::int64_t(256) << 20;

} // namespace

QString Segment::logPath(const QString &directory, std::int64_t baseOffset)
{
    return QStringLiteral("%1/%2.log").arg(directory).arg(baseOffset, 20, 10, QLatin1Char('0'));
}

QString Segment::indexPath(const QString &directory, std::int64_t baseOffset)
{
    return QStringLiteral("%1/%2.index").arg(directory).arg(baseOffset, 20, 10, QLatin1Char('0'));
}

Segment::Segment(QString directory, std::int64_t baseOffset, std::unique_ptr<PooledFile> file)
    : m_directory(std::move(directory)), m_baseOffset(baseOffset), m_file(std::move(file)),
      m_endOffset(baseOffset)
{
}

std::unique_ptr<Segment> Segment::create(FilePool &pool, const QString &directory,
                                         std::int64_t baseOffset, bool syncOnClose, QString &error,
                                         bool newDirectory)
{
    const QString path = logPath(directory, baseOffset);
    // (in a directory just made there is nothing to remove: two lookups saved per partition)
    if (!newDirectory)
        for (const QString &stale : {path, indexPath(directory, baseOffset)})
            if (!fileio::removeIfPresent(stale, error))
                return nullptr;
    return std::unique_ptr<Segment>(new Segment(
        directory, baseOffset, std::make_unique<PooledFile>(pool, path, true, syncOnClose)));
}

std::unique_ptr<Segment> Segment::open(FilePool &pool, const QString &directory,
                                       std::int64_t baseOffset, bool trustIndex, bool syncOnClose,
                                       Damage &damage, QString &error)
{
    std::unique_ptr<Segment> segment(new Segment(
        directory, baseOffset,
        std::make_unique<PooledFile>(pool, logPath(directory, baseOffset), false, syncOnClose)));
    const auto file = segment->file(error);
    if (!file)
        return nullptr;
    const std::int64_t fileSize = fileio::fileSize(*file, error);
    if (fileSize < 0)
        return nullptr;
    std::int64_t from = 0;
    if (trustIndex && segment->loadIndex(fileSize)) {
        // everything before the last indexed batch is taken as it was written
        from = segment->m_index.back().position;
        segment->m_endOffset = baseOffset + segment->m_index.back().relativeOffset;
        segment->m_index.pop_back();
        segment->m_bytesSinceIndex = kIndexInterval;
        segment->m_indexLoaded = true;
    }
    if (!segment->scanFrom(*file, from, fileSize, damage, error))
        return nullptr;
    return segment;
}

bool Segment::loadIndex(std::int64_t fileSize)
{
    QByteArray bytes;
    QString ignored;
    if (!fileio::readFile(indexPath(m_directory, m_baseOffset), bytes, ignored))
        return false;
    if (bytes.size() < kIndexHeader + 4 || std::memcmp(bytes.constData(), kIndexMagic, 8) != 0)
        return false;
    const char *p = bytes.constData();
    const auto stored = be::readU32(p + bytes.size() - 4);
    if (crc32c(p, std::size_t(bytes.size() - 4)) != stored)
        return false;
    if (be::readI64(p + 8) != m_baseOffset)
        return false;
    const std::uint32_t count = be::readU32(p + 24);
    if (count == 0 || bytes.size() != kIndexHeader + std::int64_t(count) * 8 + 4)
        return false;
    std::vector<IndexEntry> entries(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        entries[i] = {be::readU32(p + kIndexHeader + i * 8),
                      be::readU32(p + kIndexHeader + i * 8 + 4)};
        const bool ordered = i == 0 ? entries[i].position == 0 && entries[i].relativeOffset == 0
                                    : entries[i].position > entries[i - 1].position &&
                                          entries[i].relativeOffset > entries[i - 1].relativeOffset;
        if (!ordered || entries[i].position >= fileSize)
            return false;
    }
    m_index = std::move(entries);
    m_maxTimestamp = be::readI64(p + 16);
    return true;
}

bool Segment::writeIndex(QString &error, bool durable) const
{
    QByteArray bytes(kIndexHeader + qsizetype(m_index.size()) * 8 + 4, '\0');
    char *p = bytes.data();
    std::memcpy(p, kIndexMagic, 8);
    be::writeU64(p + 8, std::uint64_t(m_baseOffset));
    be::writeU64(p + 16, std::uint64_t(m_maxTimestamp));
    be::writeU32(p + 24, std::uint32_t(m_index.size()));
    for (std::size_t i = 0; i < m_index.size(); ++i) {
        be::writeU32(p + kIndexHeader + i * 8, m_index[i].relativeOffset);
        be::writeU32(p + kIndexHeader + i * 8 + 4, m_index[i].position);
    }
    be::writeU32(p + bytes.size() - 4, crc32c(p, std::size_t(bytes.size() - 4)));
    return durable ? fileio::writeFileAtomically(indexPath(m_directory, m_baseOffset), bytes, error)
                   : fileio::replaceFile(indexPath(m_directory, m_baseOffset), bytes, error);
}

void Segment::noteBatch(std::int64_t position, std::int64_t size, std::int64_t baseOffset,
                        std::int64_t lastOffset, std::int64_t maxTimestamp)
{
    if (m_index.empty() || m_bytesSinceIndex >= kIndexInterval) {
        m_index.push_back({std::uint32_t(baseOffset - m_baseOffset), std::uint32_t(position)});
        m_bytesSinceIndex = 0;
    }
    m_bytesSinceIndex += size;
    m_size = position + size;
    m_endOffset = lastOffset + 1;
    m_maxTimestamp = std::max(m_maxTimestamp, maxTimestamp);
}

bool Segment::scanFrom(const fileio::FileHandle &file, std::int64_t position, std::int64_t fileSize,
                       Damage &damage, QString &error)
{
    QByteArray buffer;
    std::int64_t windowStart = 0, windowSize = 0;
    // Makes [at, at + n) readable in buffer; false when the file ends first.
    auto window = [&](std::int64_t at, std::int64_t n) -> int {
        if (at >= windowStart && at + n <= windowStart + windowSize)
            return 1;
        if (at + n > fileSize)
            return 0;
        const std::int64_t want = std::min(std::max(n, kScanBuffer), fileSize - at);
        if (buffer.size() < want)
            buffer.resize(qsizetype(want));
        const std::int64_t got = fileio::readAt(file, at, buffer.data(), std::size_t(want), error);
        if (got < 0)
            return -1;
        windowStart = at;
        windowSize = got;
        return got >= n ? 1 : 0;
    };
    auto damaged = [&](const QString &why) {
        damage.found = true;
        damage.position = position;
        damage.bytesAfter = fileSize - position;
        damage.reason = why;
    };

    m_size = position;
    while (position < fileSize) {
        int w = window(position, batch::kLogOverhead);
        if (w < 0)
            return false;
        if (w == 0) {
            damaged(QStringLiteral("%1 stray bytes at the end").arg(fileSize - position));
            break;
        }
        const char *at = buffer.constData() + (position - windowStart);
        const std::int64_t size = *RecordBatchView::sizeAt(at, batch::kLogOverhead);
        if (size < batch::kHeaderSize || size > kMaxBatchBytes) {
            damaged(QStringLiteral("impossible batch length %1").arg(size));
            break;
        }
        w = window(position, size);
        if (w < 0)
            return false;
        if (w == 0) {
            damaged(QStringLiteral("batch of %1 bytes cut off after %2")
                        .arg(size)
                        .arg(fileSize - position));
            break;
        }
        at = buffer.constData() + (position - windowStart);
        const RecordBatchView view(QByteArrayView(at, qsizetype(size)));
        const auto check = view.validate(false);
        if (check != RecordBatchView::Check::Ok) {
            damaged(QString::fromLatin1(RecordBatchView::describe(check)));
            break;
        }
        if (view.baseOffset() != m_endOffset) {
            damaged(QStringLiteral("batch has offset %1 where %2 was expected")
                        .arg(view.baseOffset())
                        .arg(m_endOffset));
            break;
        }
        noteBatch(position, size, view.baseOffset(), view.lastOffset(), view.maxTimestamp());
        position += size;
    }
    if (damage.found && !findIntactBatchAfter(file, damage.position, fileSize, error)) {
        if (!error.isEmpty())
            return false;
    } else if (damage.found) {
        damage.intactDataAfter = true;
    }
    return true;
}

// Looks for a batch with a valid CRC anywhere after a damaged one. Torn writes only ever
// leave a partial batch at the very end, so finding one means the damage is in the middle.
bool Segment::findIntactBatchAfter(const fileio::FileHandle &file, std::int64_t position,
                                   std::int64_t fileSize, QString &error) const
{
    const std::int64_t length = fileSize - position;
    if (length > kMaxSearchAfterDamage)
        return true; // too much to search: assume the worst and refuse rather than cut
    QByteArray rest(qsizetype(length), '\0');
    if (fileio::readAt(file, position, rest.data(), std::size_t(length), error) != length)
        return false;
    const char *p = rest.constData();
    for (std::int64_t q = 1; q + batch::kHeaderSize <= length; ++q) {
        if (p[q + batch::kMagic] != 2)
            continue;
        const std::int64_t base = be::readI64(p + q);
        if (base < m_endOffset || base - m_endOffset > (std::int64_t(1) << 31))
            continue;
        const std::int64_t size = *RecordBatchView::sizeAt(p + q, batch::kLogOverhead);
        if (size < batch::kHeaderSize || q + size > length)
            continue;
        if (RecordBatchView(QByteArrayView(p + q, qsizetype(size))).validate(false) ==
            RecordBatchView::Check::Ok)
            return true;
    }
    return false;
}

bool Segment::append(const QByteArray &batch, std::int64_t lastOffset, std::int64_t maxTimestamp,
                     QString &error)
{
    const auto size = std::int64_t(batch.size());
    const auto file = m_file->acquire(error, true);
    if (!file)
        return false;
    if (!fileio::writeAt(*file, m_size, batch.constData(), std::size_t(size), error)) {
        QString ignored; // the write error is what matters; later writes overwrite the tail
        fileio::truncate(*file, m_size, ignored);
        return false;
    }
    noteBatch(m_size, size, RecordBatchView(batch).baseOffset(), lastOffset, maxTimestamp);
    return true;
}

std::int64_t Segment::positionFor(std::int64_t offset) const
{
    const auto relative = std::uint32_t(std::max<std::int64_t>(0, offset - m_baseOffset));
    auto it =
        std::upper_bound(m_index.begin(), m_index.end(), relative,
                         [](std::uint32_t r, const IndexEntry &e) { return r < e.relativeOffset; });
    return it == m_index.begin() ? 0 : std::prev(it)->position;
}

bool Segment::truncateToSize(QString &error, bool sync)
{
    const auto file = m_file->acquire(error);
    if (!file)
        return false;
    const std::int64_t onDisk = fileio::fileSize(*file, error);
    if (onDisk < 0)
        return false;
    if (onDisk != m_size && !fileio::truncate(*file, m_size, error))
        return false;
    return !sync || fileio::syncData(*file, error);
}

bool Segment::seal(QString &error) const
{
    std::lock_guard lock(m_sealMutex);
    if (m_removed || !m_file->exists())
        return true;
    return syncWrittenLocked(error) && writeIndex(error);
}

bool Segment::syncWritten(QString &error) const
{
    std::lock_guard lock(m_sealMutex);
    return m_removed || !m_file->exists() || syncWrittenLocked(error);
}

bool Segment::syncWrittenLocked(QString &error) const
{
    if (!m_file->syncState()->dirty())
        return true;
    const auto file = m_file->acquire(error);
    return file && fileio::syncData(*file, error);
}

void Segment::removeFiles() const
{
    std::lock_guard lock(m_sealMutex);
    m_removed = true;
    m_file->release(true);
    QFile::remove(logPath(m_directory, m_baseOffset));
    QFile::remove(indexPath(m_directory, m_baseOffset));
}

} // namespace rivulet
