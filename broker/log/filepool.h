#pragma once

#include "fileio.h"

#include <QString>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace rivulet {

class FilePool;

// One file the pool opens on demand: a segment's .log. Owned by its Segment; the descriptor
// behind it comes and goes, the file's identity and sync state stay.
class PooledFile
{
public:
    // With create, the first open creates the file (a new segment is not made on disk until
    // it is first written). With syncOnClose, a descriptor closed with unsynced writes is
    // fsynced first (the fsync policy is not "never").
    PooledFile(FilePool &pool, QString path, bool create, bool syncOnClose);
    ~PooledFile(); // closes the descriptor (once no caller still holds it)
    PooledFile(const PooledFile &) = delete;
    PooledFile &operator=(const PooledFile &) = delete;

    const QString &path() const { return m_path; }
    // The open file, opened again if the pool closed it. forWrite marks the file hot: the pool
    // closes the files written in the last few seconds (a partition's active segment) only
    // when every other file is closed. The handle stays valid while held, even when the pool
    // closes its entry meanwhile.
    std::shared_ptr<fileio::FileHandle> acquire(QString &error, bool forWrite = false);
    // Drops the pool's descriptor now. With removed (the file is being deleted), the file is
    // never created again by a later acquire().
    void release(bool removed = false);
    bool isOpen() const;
    // false until the file exists on disk (a segment made with create and never opened)
    bool exists() const;
    const std::shared_ptr<fileio::SyncState> &syncState() const { return m_sync; }

private:
    friend class FilePool;
    FilePool &m_pool;
    const QString m_path;
    const std::shared_ptr<fileio::SyncState> m_sync;
    // the pool's bookkeeping, guarded by its mutex
    bool m_create;
    std::shared_ptr<fileio::FileHandle> m_handle;
    PooledFile *m_prev = nullptr;
    PooledFile *m_next = nullptr;
    bool m_hot = false;
    std::int64_t m_lastWriteMs = 0;
};

// A bounded, thread-safe pool of open segment files, so that the number of partitions is
// bounded by the disk, not by the descriptor limit. When it is full, opening a file closes
// the least recently used one; files written within the hot window (the active segments of
// partitions being produced to) go last. A descriptor still held by a caller (a read, an
// fsync outside the partition lock) stays open until that caller lets go, so the process may
// briefly hold a few more descriptors than the capacity: at most one per thread at work.
class FilePool
{
public:
    static constexpr std::int64_t kDefaultHotWindowMs = 10000;

    explicit FilePool(std::size_t capacity, std::int64_t hotWindowMs = kDefaultHotWindowMs);
    ~FilePool(); // every PooledFile of the pool must be gone
    FilePool(const FilePool &) = delete;
    FilePool &operator=(const FilePool &) = delete;

    // The process's pool, sized by defaultCapacity() when first used.
    static FilePool &shared();
    // Half the soft RLIMIT_NOFILE less 64 (sockets, listening sockets, the data directory's
    // lock, metadata being written, Qt's own), between 16 and 16,384.
    static std::size_t capacityFor(std::uint64_t softLimit);
    static std::size_t defaultCapacity();

    std::size_t capacity() const;
    void setCapacity(std::size_t capacity); // closes files down to it
    std::size_t openCount() const;
    struct Counters
    {
        std::uint64_t opens = 0;
        std::uint64_t closes = 0; // by the pool, to make room
    };
    Counters counters() const;

private:
    friend class PooledFile;
    struct List
    {
        PooledFile *head = nullptr; // most recently used
        PooledFile *tail = nullptr;
    };
    std::shared_ptr<fileio::FileHandle> acquire(PooledFile &file, bool forWrite, QString &error);
    void release(PooledFile &file, bool removed);
    // under m_mutex
    void unlink(PooledFile &file);
    void pushFront(PooledFile &file);
    void touch(PooledFile &file, bool forWrite, std::int64_t nowMs);
    // Takes the descriptors of up to count files, least recently used first (cold files,
    // then files written longest ago), into closing.
    void evict(std::size_t count, std::int64_t nowMs,
               std::vector<std::shared_ptr<fileio::FileHandle>> &closing);

    mutable std::mutex m_mutex;
    std::size_t m_capacity;
    const std::int64_t m_hotWindowMs;
    List m_cold;
    List m_hot; // written within the hot window, most recently written first
    std::size_t m_open = 0;
    Counters m_counters;
};

} // namespace rivulet
