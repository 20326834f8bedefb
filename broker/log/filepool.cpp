#include "filepool.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <sys/resource.h>

namespace rivulet {
namespace {

std::int64_t steadyMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

} // namespace

PooledFile::PooledFile(FilePool &pool, QString path, bool create, bool syncOnClose)
    : m_pool(pool), m_path(std::move(path)),
      m_sync(std::make_shared<fileio::SyncState>(syncOnClose)), m_create(create)
{
}

PooledFile::~PooledFile()
{
    m_pool.release(*this, false);
}

std::shared_ptr<fileio::FileHandle> PooledFile::acquire(QString &error, bool forWrite)
{
    return m_pool.acquire(*this, forWrite, error);
}

void PooledFile::release(bool removed)
{
    m_pool.release(*this, removed);
}

bool PooledFile::isOpen() const
{
    std::lock_guard lock(m_pool.m_mutex);
    return m_handle != nullptr;
}

bool PooledFile::exists() const
{
    std::lock_guard lock(m_pool.m_mutex);
    return !m_create;
}

FilePool::FilePool(std::size_t capacity, std::int64_t hotWindowMs)
    : m_capacity(std::max<std::size_t>(capacity, 1)), m_hotWindowMs(hotWindowMs)
{
}

FilePool::~FilePool() = default;

FilePool &FilePool::shared()
{
    // never destroyed: segments of a broker destroyed during static destruction still use it
    static FilePool *pool = new FilePool(defaultCapacity());
    return *pool;
}

std::size_t FilePool::capacityFor(std::uint64_t softLimit)
{
    const std::uint64_t half = softLimit > 64 ? (softLimit - 64) / 2 : 0;
    return std::size_t(std::clamp<std::uint64_t>(half, 16, 16384));
}

std::size_t FilePool::defaultCapacity()
{
    rlimit limit = {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return capacityFor(1024);
    return capacityFor(limit.rlim_cur == RLIM_INFINITY ? std::uint64_t(1) << 20
                                                       : std::uint64_t(limit.rlim_cur));
}

std::size_t FilePool::capacity() const
{
    std::lock_guard lock(m_mutex);
    return m_capacity;
}

void FilePool::setCapacity(std::size_t capacity)
{
    std::vector<std::shared_ptr<fileio::FileHandle>> closing;
    {
        std::lock_guard lock(m_mutex);
        m_capacity = std::max<std::size_t>(capacity, 1);
        if (m_open > m_capacity)
            evict(m_open - m_capacity, steadyMs(), closing);
    }
}

std::size_t FilePool::openCount() const
{
    std::lock_guard lock(m_mutex);
    return m_open;
}

FilePool::Counters FilePool::counters() const
{
    std::lock_guard lock(m_mutex);
    return m_counters;
}

void FilePool::unlink(PooledFile &file)
{
    List &list = file.m_hot ? m_hot : m_cold;
    (file.m_prev ? file.m_prev->m_next : list.head) = file.m_next;
    (file.m_next ? file.m_next->m_prev : list.tail) = file.m_prev;
    file.m_prev = file.m_next = nullptr;
}

void FilePool::pushFront(PooledFile &file)
{
    List &list = file.m_hot ? m_hot : m_cold;
    file.m_prev = nullptr;
    file.m_next = list.head;
    (list.head ? list.head->m_prev : list.tail) = &file;
    list.head = &file;
}

void FilePool::touch(PooledFile &file, bool forWrite, std::int64_t nowMs)
{
    if (forWrite) {
        file.m_lastWriteMs = nowMs;
        if (file.m_hot && m_hot.head == &file)
            return;
        unlink(file);
        file.m_hot = true;
        pushFront(file);
    } else if (!file.m_hot && m_cold.head != &file) {
        unlink(file);
        pushFront(file);
    }
}

void FilePool::evict(std::size_t count, std::int64_t nowMs,
                     std::vector<std::shared_ptr<fileio::FileHandle>> &closing)
{
    // files not written within the window are files like any other again
    while (m_hot.tail && nowMs - m_hot.tail->m_lastWriteMs >= m_hotWindowMs) {
        PooledFile &stale = *m_hot.tail;
        unlink(stale);
        stale.m_hot = false;
        pushFront(stale);
    }
    for (; count > 0; --count) {
        PooledFile *victim = m_cold.tail ? m_cold.tail : m_hot.tail;
        if (!victim)
            break;
        unlink(*victim);
        victim->m_hot = false;
        closing.push_back(std::move(victim->m_handle));
        --m_open;
        ++m_counters.closes;
    }
}

std::shared_ptr<fileio::FileHandle> FilePool::acquire(PooledFile &file, bool forWrite,
                                                      QString &error)
{
    const std::int64_t now = steadyMs();
    // descriptors to close: dropped outside the lock, as closing one may fsync it
    std::vector<std::shared_ptr<fileio::FileHandle>> closing;
    bool create = false;
    {
        std::lock_guard lock(m_mutex);
        if (file.m_handle) {
            touch(file, forWrite, now);
            return file.m_handle;
        }
        if (m_open + 1 > m_capacity)
            evict(m_open + 1 - m_capacity, now, closing);
        create = file.m_create;
    }
    closing.clear();
    std::shared_ptr<fileio::FileHandle> handle;
    for (int attempt = 0;; ++attempt) {
        int err = 0;
        handle = fileio::openReadWrite(file.m_path, create, error, file.m_sync, &err);
        if (handle)
            break;
        if ((err != EMFILE && err != ENFILE) || attempt == 3)
            return nullptr;
        // the process ran out of descriptors below the pool's capacity (sockets took
        // them): close a quarter of the pool's files and try again
        {
            std::lock_guard lock(m_mutex);
            evict(std::max<std::size_t>(8, m_open / 4), now, closing);
        }
        if (closing.empty())
            return nullptr;
        closing.clear();
    }
    error.clear();
    std::lock_guard lock(m_mutex);
    ++m_counters.opens;
    if (file.m_handle) { // another thread opened it meanwhile: ours closes unused
        touch(file, forWrite, now);
        return file.m_handle;
    }
    file.m_handle = handle;
    file.m_create = false;
    file.m_hot = forWrite;
    file.m_lastWriteMs = forWrite ? now : 0;
    pushFront(file);
    ++m_open;
    return handle;
}

void FilePool::release(PooledFile &file, bool removed)
{
    std::shared_ptr<fileio::FileHandle> closing;
    std::lock_guard lock(m_mutex);
    if (removed)
        file.m_create = false;
    if (!file.m_handle)
        return;
    unlink(file);
    file.m_hot = false;
    closing = std::move(file.m_handle);
    --m_open;
    // closing is released after the lock (declared before it)
}

} // namespace rivulet
