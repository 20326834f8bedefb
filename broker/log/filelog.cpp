#include "filelog.h"

#include "recordbatch.h"

#include <QDir>
#include <QFile>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace rivulet {
namespace {

constexpr std::int64_t kFirstRead = 16 << 10;
constexpr std::int64_t kMaxRead = 1 << 20;

// The start offset deleteRecordsBefore() recorded in path: 0 when there is no such file.
bool readStartOffset(const QString &path, std::int64_t &offset, QString &error)
{
    offset = 0;
    if (!QFile::exists(path))
        return true;
    QByteArray text;
    if (!fileio::readFile(path, text, error))
        return false;
    bool ok = false;
    offset = text.trimmed().toLongLong(&ok);
    if (!ok || offset < 0) {
        error = QStringLiteral("%1 does not hold a start offset; refusing to open this partition "
                               "rather than serve records deleted from it. Write the partition's "
                               "start offset into it, or remove it to serve every record again.")
                    .arg(path);
        return false;
    }
    return true;
}

} // namespace

QString FileLog::startOffsetPath(const QString &directory)
{
    return directory + QStringLiteral("/log-start-offset");
}

FileLog::FileLog(QString directory, const LogSettings &settings, FilePool &pool)
    : m_directory(std::move(directory)), m_settings(settings), m_pool(pool)
{
}

std::unique_ptr<PartitionLog> FileLog::create(const QString &directory, const LogSettings &settings,
                                              FilePool *pool)
{
    const QByteArray native = QFile::encodeName(directory);
    if (::mkdir(native.constData(), 0755) != 0) {
        // a topic's first partition makes the topic's directory too
        const int err = errno;
        if (err != ENOENT || !QDir().mkpath(directory))
            return std::make_unique<BrokenLog>(
                QStringLiteral("cannot create directory %1: %2")
                    .arg(directory,
                         QString::fromLocal8Bit(std::strerror(err == ENOENT ? errno : err))));
    }
    std::unique_ptr<FileLog> log(
        new FileLog(directory, settings, pool ? *pool : FilePool::shared()));
    QString error;
    auto segment = Segment::create(log->m_pool, directory, 0, log->syncOnClose(), error, true);
    if (!segment)
        return std::make_unique<BrokenLog>(error);
    log->pushNewSegment(std::move(segment));
    return log;
}

std::unique_ptr<PartitionLog> FileLog::open(const QString &directory, const LogSettings &settings,
                                            bool cleanShutdown, QStringList &notes, FilePool *pool)
{
    auto broken = [&](const QString &why) -> std::unique_ptr<PartitionLog> {
        return std::make_unique<BrokenLog>(why);
    };
    QDir dir(directory);
    if (!dir.mkpath(QStringLiteral(".")))
        return broken(QStringLiteral("cannot create directory %1").arg(directory));

    // one listing: leftover temp files go, segments are counted
    std::vector<std::int64_t> bases;
    for (const QString &name : dir.entryList(QDir::Files | QDir::Hidden, QDir::NoSort)) {
        if (name.endsWith(QLatin1String(".tmp"))) {
            if (dir.remove(name))
                notes << QStringLiteral("removed %1, left half written").arg(dir.filePath(name));
        } else if (name.endsWith(QLatin1String(".log"))) {
            bool ok = false;
            const std::int64_t base = name.chopped(4).toLongLong(&ok);
            if (ok && base >= 0)
                bases.push_back(base);
        }
    }
    std::sort(bases.begin(), bases.end());

    std::unique_ptr<FileLog> log(
        new FileLog(directory, settings, pool ? *pool : FilePool::shared()));
    QString error;
    std::int64_t deletedBefore = 0;
    if (!readStartOffset(startOffsetPath(directory), deletedBefore, error))
        return broken(error);
    for (std::size_t i = 0; i < bases.size(); ++i) {
        const bool newest = i + 1 == bases.size();
        Segment::Damage damage;
        auto segment = Segment::open(log->m_pool, directory, bases[i], cleanShutdown || !newest,
                                     log->syncOnClose(), damage, error);
        if (!segment)
            return broken(error);
        const QString file = segment->logPath();
        if (damage.found) {
            if (!newest || damage.intactDataAfter)
                return broken(QStringLiteral("%1 is damaged at byte %2 (%3) and intact data "
                                             "follows; refusing to open this partition rather "
                                             "than serve or drop it. Restore the file, or move "
                                             "the partition directory aside to start it empty.")
                                  .arg(file)
                                  .arg(damage.position)
                                  .arg(damage.reason));
            // the cut makes an older index of this segment wrong past it: gone with it (a
            // clean stop writes a new one)
            if (!segment->truncateToSize(error) ||
                !fileio::removeIfPresent(Segment::indexPath(directory, bases[i]), error))
                return broken(error);
            log->m_changed = true;
            notes << QStringLiteral("recovered %1: cut %2 bytes at byte %3 (%4); the log ends at "
                                    "offset %5")
                         .arg(file)
                         .arg(damage.bytesAfter)
                         .arg(damage.position)
                         .arg(damage.reason)
                         .arg(segment->endOffset());
        }
        // a gap below the start offset is records deleted (a crash cut a deletion short)
        if (!log->m_segments.empty() && log->m_segments.back()->endOffset() != bases[i] &&
            bases[i] > deletedBefore)
            return broken(QStringLiteral("offsets jump from %1 to %2 at %3; a segment is missing")
                              .arg(log->m_segments.back()->endOffset())
                              .arg(bases[i])
                              .arg(file));
        bool unsealed = false;
        if (!segment->indexWasLoaded() && !newest) {
            // the scan has just built its index in memory: a full disk delays the file (the
            // housekeeping seals it later), it does not keep the partition from serving
            if (segment->seal(error)) {
                notes << QStringLiteral("rebuilt the index of %1").arg(file);
            } else {
                notes << QStringLiteral("cannot write the rebuilt index of %1 yet (%2); serving "
                                        "it from the scan")
                             .arg(file, error);
                unsealed = true;
            }
        }
        log->m_sizeBytes += segment->size();
        log->m_segments.push_back(std::move(segment));
        if (unsealed)
            log->m_unsealed.push_back(log->m_segments.back());
    }
    // Offsets are never given twice: a log whose records were all deleted goes on from its
    // start offset, even when its segments are gone or recovery cut it shorter than that.
    if (log->m_segments.empty() || log->endOffset() < deletedBefore) {
        auto segment =
            Segment::create(log->m_pool, directory, deletedBefore, log->syncOnClose(), error);
        if (!segment)
            return broken(error);
        if (!log->m_segments.empty())
            notes << QStringLiteral("the log ends at offset %1, before its start offset %2: it "
                                    "goes on empty from %2")
                         .arg(log->endOffset())
                         .arg(deletedBefore);
        log->pushNewSegment(std::move(segment));
    }
    log->m_deletedBefore = deletedBefore;
    log->removeSegmentsBefore(deletedBefore);
    std::lock_guard lock(log->m_syncMutex);
    log->m_active = log->m_segments.back();
    return log;
}

void FileLog::removeSegmentsBefore(std::int64_t offset)
{
    while (m_segments.size() > 1 && m_segments.front()->endOffset() <= offset) {
        m_sizeBytes -= m_segments.front()->size();
        m_segments.front()->removeFiles();
        m_segments.erase(m_segments.begin());
    }
}

bool FileLog::deleteRecordsBefore(std::int64_t offset, QString &error)
{
    if (offset <= startOffset())
        return true;
    offset = std::min(offset, endOffset());
    // recorded first: once a segment is gone, the start offset must already be on disk
    if (!fileio::writeFileAtomically(startOffsetPath(m_directory),
                                     QByteArray::number(offset) + '\n', error)) {
        // A full disk has no room for the file: whole segments below the offset go first
        // (oldest first, so a crash leaves the log starting at a segment, no gap), which
        // makes room for it.
        const std::int64_t sizeBefore = m_sizeBytes;
        removeSegmentsBefore(offset);
        if (m_sizeBytes == sizeBefore)
            return false;
        m_changed = true;
        error.clear();
        if (!fileio::writeFileAtomically(startOffsetPath(m_directory),
                                         QByteArray::number(offset) + '\n', error))
            return false;
    }
    m_deletedBefore = offset;
    m_changed = true;
    // Every record deleted: a new segment from here lets the newest one go as well. Should
    // that fail, its records are not served all the same, and its space comes back when the
    // log next rolls.
    if (offset == endOffset() && !m_segments.back()->isEmpty()) {
        QString rollError;
        roll(rollError);
    }
    removeSegmentsBefore(offset);
    return true;
}

void FileLog::pushNewSegment(std::shared_ptr<Segment> segment)
{
    m_segments.push_back(std::move(segment));
    std::lock_guard lock(m_syncMutex);
    m_active = m_segments.back();
}

AppendResult FileLog::append(QByteArray &batch)
{
    AppendResult result;
    Segment *active = m_segments.back().get();
    if (!active->isEmpty() && active->size() + batch.size() > m_settings.segmentBytes) {
        if (!roll(result.error))
            return result;
        active = m_segments.back().get();
    }
    const std::int64_t base = active->endOffset();
    RecordBatchView::setBaseOffset(batch.data(), base);
    const RecordBatchView view(batch);
    m_changed = true;
    // A segment file is made by its first write. It counts as made (its directory entry
    // wanting an fsync) from then, under the same lock as the bytes: counted at the roll, a
    // concurrent sync could fsync the directory before the file exists and count it done.
    const bool makesFile = !active->existsOnDisk();
    const bool appended =
        active->append(batch, view.lastOffset(), view.maxTimestamp(), result.error);
    {
        std::lock_guard lock(m_syncMutex);
        if (makesFile && active->existsOnDisk())
            ++m_filesMade;
        if (appended)
            m_appended += batch.size();
    }
    if (!appended) {
        m_appendFailed = true;
        return result;
    }
    m_sizeBytes += batch.size();
    result.ok = true;
    result.baseOffset = base;
    result.lastOffset = view.lastOffset();
    return result;
}

bool FileLog::roll(QString &error)
{
    // The finished segment is fsynced and indexed later by housekeeping (seal()), not here:
    // an fsync of up to a whole segment would stall this producer for tens of ms. Until it
    // is sealed, recovery after a crash scans it like the newest segment.
    auto next =
        Segment::create(m_pool, m_directory, m_segments.back()->endOffset(), syncOnClose(), error);
    if (!next)
        return false;
    {
        std::lock_guard lock(m_syncMutex);
        m_unsealed.push_back(m_segments.back());
    }
    pushNewSegment(std::move(next));
    m_changed = true;
    return true;
}

bool FileLog::seal(QString &error)
{
    // The segments stay listed until sealed: an acknowledgement meanwhile (syncTo) must
    // still find the ones whose bytes it needs on disk.
    std::vector<std::shared_ptr<Segment>> pending;
    {
        std::lock_guard lock(m_syncMutex);
        pending = m_unsealed;
    }
    std::size_t sealed = 0;
    bool ok = true;
    for (; sealed < pending.size(); ++sealed)
        if (!pending[sealed]->seal(error)) {
            ok = false; // the rest wait for the next round
            break;
        }
    std::lock_guard lock(m_syncMutex);
    std::erase_if(m_unsealed, [&](const std::shared_ptr<Segment> &segment) {
        return std::find(pending.begin(), pending.begin() + std::ptrdiff_t(sealed), segment) !=
               pending.begin() + std::ptrdiff_t(sealed);
    });
    return ok;
}

bool FileLog::readBatches(std::int64_t fromOffset, const BatchVisitor &visitor,
                          QString &error) const
{
    if (fromOffset < startOffset() || fromOffset >= endOffset())
        return true;
    auto it = std::upper_bound(m_segments.begin(), m_segments.end(), fromOffset,
                               [](std::int64_t offset, const std::shared_ptr<Segment> &s) {
                                   return offset < s->baseOffset();
                               });
    --it;
    std::int64_t position = (*it)->positionFor(fromOffset);
    std::int64_t readSize = kFirstRead;
    // one buffer per thread, not per partition: tens of thousands of partitions read once
    // each would otherwise keep a buffer each
    thread_local QByteArray readBuffer;
    for (; it != m_segments.end(); ++it, position = 0) {
        const Segment &segment = **it;
        std::shared_ptr<fileio::FileHandle> file;
        while (position < segment.size()) {
            if (!file && !(file = segment.file(error)))
                return false;
            const std::int64_t want = std::min(readSize, segment.size() - position);
            if (readBuffer.size() < want)
                readBuffer.resize(qsizetype(want));
            const std::int64_t got =
                fileio::readAt(*file, position, readBuffer.data(), std::size_t(want), error);
            if (got < want) {
                if (got >= 0)
                    error = QStringLiteral("%1 is shorter than expected (%2 bytes missing at "
                                           "byte %3)")
                                .arg(segment.logPath())
                                .arg(want - got)
                                .arg(position + got);
                return false;
            }
            std::int64_t at = 0;
            while (at + batch::kLogOverhead <= got) {
                const char *p = readBuffer.constData() + at;
                const std::int64_t size = *RecordBatchView::sizeAt(p, std::size_t(got - at));
                if (size < batch::kHeaderSize || size > segment.size() - (position + at)) {
                    // a length that cannot be right: damage, never a reason to read on
                    error = QStringLiteral("%1 is damaged at byte %2 (impossible batch length "
                                           "%3); refusing to serve it")
                                .arg(segment.logPath())
                                .arg(position + at)
                                .arg(size);
                    return false;
                }
                if (size > got - at) {
                    if (at == 0) // one batch bigger than the read: read it whole next time
                        readSize = std::max(readSize, size);
                    break;
                }
                const RecordBatchView view(QByteArrayView(p, qsizetype(size)));
                if (view.validate(false) != RecordBatchView::Check::Ok) {
                    error = QStringLiteral("%1 is damaged at byte %2 (%3); refusing to serve it")
                                .arg(segment.logPath())
                                .arg(position + at)
                                .arg(QString::fromLatin1(
                                    RecordBatchView::describe(view.validate(false))));
                    return false;
                }
                at += size;
                if (view.lastOffset() < fromOffset)
                    continue;
                if (!visitor(view.bytes()))
                    return true;
            }
            position += at;
            readSize = std::min(readSize * 2, std::max(kMaxRead, readSize));
        }
    }
    return true;
}

std::int64_t FileLog::appendedBytes() const
{
    std::lock_guard lock(m_syncMutex);
    return m_appended;
}

bool FileLog::syncTo(std::int64_t target, QString &error)
{
    std::unique_lock lock(m_syncMutex);
    while (m_synced < target) {
        if (m_syncing) {
            m_syncDone.wait(lock);
            continue;
        }
        // This caller fsyncs for everyone who appended so far; later arrivals wait for it
        // and then find their bytes covered.
        m_syncing = true;
        const std::int64_t goal = m_appended;
        const std::uint64_t filesMade = m_filesMade;
        const bool newFiles = m_filesSynced != filesMade;
        const auto active = m_active;
        // Bytes counted in goal may sit in segments rolled since (another producer's append
        // rolled): those are fsynced too, not left to housekeeping's seal.
        const std::vector<std::shared_ptr<Segment>> rolled = m_unsealed;
        lock.unlock();
        // a new segment file's directory entry first, or its data could be unreachable
        bool ok = !newFiles || fileio::syncDirectory(m_directory, error);
        for (std::size_t i = 0; ok && i < rolled.size(); ++i)
            ok = rolled[i]->syncWritten(error);
        if (ok) {
            const auto file = active->file(error);
            ok = file && fileio::syncData(*file, error);
        }
        lock.lock();
        m_syncing = false;
        if (ok) {
            m_synced = std::max(m_synced, goal);
            m_filesSynced = std::max(m_filesSynced, filesMade);
        }
        m_syncDone.notify_all();
        if (!ok)
            return false;
    }
    return true;
}

int FileLog::applyRetention(const RetentionPolicy &policy, std::int64_t nowMs)
{
    int deleted = 0;
    while (m_segments.size() > 1) {
        const Segment &oldest = *m_segments.front();
        if (!policy.deletesOldest(oldest.maxTimestamp(), oldest.size(), m_sizeBytes, nowMs))
            break;
        m_sizeBytes -= oldest.size();
        oldest.removeFiles();
        m_segments.erase(m_segments.begin());
        ++deleted;
    }
    return deleted;
}

std::optional<SyncPoint> FileLog::pendingSync() const
{
    std::lock_guard lock(m_syncMutex);
    if (m_synced >= m_appended && m_filesSynced == m_filesMade)
        return std::nullopt;
    const auto &file = m_active->syncState();
    return SyncPoint{m_appended, m_filesMade, file, file->writes.load()};
}

void FileLog::noteSynced(const SyncPoint &point)
{
    std::lock_guard lock(m_syncMutex);
    m_synced = std::max(m_synced, point.appendedBytes);
    m_filesSynced = std::max(m_filesSynced, point.filesMade);
    if (point.file)
        point.file->syncedUpTo(point.fileWrites);
}

bool FileLog::close(QString &error)
{
    if (!seal(error))
        return false;
    Segment &active = *m_segments.back();
    // nothing written since open: the files are as the last clean stop (or recovery) left them
    if (!m_changed || !active.existsOnDisk())
        return true;
    // cut what a failed append may have left, and make the data durable unless it is
    if ((m_appendFailed && !active.truncateToSize(error, false)) || !syncTo(appendedBytes(), error))
        return false;
    // An index of one entry saves nothing (the scan starts at byte 0 either way). A written
    // one needs no fsync: a lost or damaged one is found out at open and rebuilt.
    return active.indexEntries() < 2 || active.writeIndex(error, false);
}

} // namespace rivulet
