#pragma once

#include <QByteArray>
#include <QString>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

// Thin POSIX file helpers for the durable log: explicit about every syscall, with errors as
// text that names the file. Qt's QFile buffers in user space, which the log must not do.
namespace rivulet::fileio {

// What a file written through several descriptors over its life (a pooled file is closed and
// opened again) must remember between them: whether bytes were written since the last
// fsync, and an fsync that failed when a descriptor was closed, reported by the next
// syncData() so that no failure is lost with its descriptor.
struct SyncState
{
    explicit SyncState(bool syncOnClose) : syncOnClose(syncOnClose) {}
    const bool syncOnClose; // fsync a written file before its descriptor is closed
    // writes (and truncations) so far, and how many of them an fsync is known to cover
    std::atomic<std::uint64_t> writes{0};
    std::atomic<std::uint64_t> synced{0};
    bool dirty() const { return writes.load() != synced.load(); }
    void syncedUpTo(std::uint64_t count)
    {
        std::uint64_t current = synced.load();
        while (current < count && !synced.compare_exchange_weak(current, count)) {
        }
    }
    std::mutex mutex;
    QString closeFailure; // guarded by mutex
};

// An open file descriptor, closed when the last owner lets go. Shared so that an fsync can
// run outside the partition lock while a concurrent roll or retention closes the segment.
// With a SyncState whose syncOnClose is set, a descriptor closed with unsynced writes is
// fsynced first (the file pool closes descriptors of files still in use).
class FileHandle
{
public:
    FileHandle(int fd, QString path, std::shared_ptr<SyncState> sync = {})
        : m_fd(fd), m_path(std::move(path)), m_sync(std::move(sync))
    {
    }
    ~FileHandle();
    FileHandle(const FileHandle &) = delete;
    FileHandle &operator=(const FileHandle &) = delete;
    int fd() const { return m_fd; }
    const QString &path() const { return m_path; }
    void markDirty() const
    {
        if (m_sync)
            m_sync->writes.fetch_add(1);
    }
    const std::shared_ptr<SyncState> &syncState() const { return m_sync; }

private:
    int m_fd;
    QString m_path;
    std::shared_ptr<SyncState> m_sync;
};

// A seam for tests: told of every write, truncation and sync this layer makes, on the thread
// that makes it, so that a test can check which bytes of which file were on stable storage
// when an acknowledgement went out (tst_fsyncorder). Costs one atomic load per call when
// unset, as in the broker.
class IoObserver
{
public:
    enum class Sync
    {
        File,       // fdatasync of one file (path), covering every write to it before
        Directory,  // fsync of a directory (path): the entries of the files made in it
        FileSystem, // syncfs of the file system holding path: everything written before
    };
    virtual ~IoObserver() = default;
    virtual void opened(const QString &path, bool create) = 0;
    virtual void wrote(const QString &path, std::int64_t position, std::int64_t size) = 0;
    // before the call starts; synced() only when it succeeded
    virtual void syncing(Sync kind, const QString &path) = 0;
    virtual void synced(Sync kind, const QString &path) = 0;
};
// Installs (or with nullptr removes) the process's one observer. Not for production use.
void setObserver(IoObserver *observer);

// Opens (creating if asked) for reading and writing; nullptr and error on failure, with
// errno in *savedErrno if given (EMFILE tells the file pool to close more).
std::shared_ptr<FileHandle> openReadWrite(const QString &path, bool create, QString &error,
                                          std::shared_ptr<SyncState> sync = {},
                                          int *savedErrno = nullptr);

// Writes all of data at position; on failure says why (ENOSPC, EFBIG, ...). A short write
// may have left part of the data in the file: the caller truncates.
bool writeAt(const FileHandle &file, std::int64_t position, const char *data, std::size_t size,
             QString &error);
// Reads up to size bytes at position; returns how many were read (less at end of file) or -1.
std::int64_t readAt(const FileHandle &file, std::int64_t position, char *data, std::size_t size,
                    QString &error);
bool truncate(const FileHandle &file, std::int64_t size, QString &error);
bool syncData(const FileHandle &file, QString &error);
std::int64_t fileSize(const FileHandle &file, QString &error);

// Writes a whole small file atomically: temp file, fsync, rename over path, fsync of the
// directory. After a crash the file holds either the old or the new content.
bool writeFileAtomically(const QString &path, const QByteArray &content, QString &error);
// The same without any fsync (temp file, rename): for files whose reader checks them and
// can rebuild them (segment indexes at a clean stop, after which the broker syncs the whole
// file system once instead of twice per partition).
bool replaceFile(const QString &path, const QByteArray &content, QString &error);
bool syncDirectory(const QString &directory, QString &error);
// syncfs(2) of the file system that holds path: one flush for many files.
bool syncFileSystem(const QString &path, QString &error);
// unlink(2): true when the file is gone, including when it was never there.
bool removeIfPresent(const QString &path, QString &error);
// Reads a whole small file; false if it does not exist or cannot be read.
bool readFile(const QString &path, QByteArray &content, QString &error);

} // namespace rivulet::fileio
