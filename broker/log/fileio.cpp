#include "fileio.h"

#include <QDir>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace rivulet::fileio {
namespace {

QString failure(const char *what, const QString &path)
{
    return QStringLiteral("%1 %2: %3")
        .arg(QLatin1String(what), path, QString::fromLocal8Bit(std::strerror(errno)));
}

std::atomic<IoObserver *> g_observer{nullptr};

// An fdatasync(2) the observer hears of; true when it succeeded.
bool dataSync(int fd, const QString &path)
{
    IoObserver *observer = g_observer.load(std::memory_order_acquire);
    if (observer)
        observer->syncing(IoObserver::Sync::File, path);
    const bool ok = ::fdatasync(fd) == 0;
    if (ok && observer)
        observer->synced(IoObserver::Sync::File, path);
    return ok;
}

} // namespace

void setObserver(IoObserver *observer)
{
    g_observer.store(observer, std::memory_order_release);
}

FileHandle::~FileHandle()
{
    if (m_fd < 0)
        return;
    if (m_sync && m_sync->syncOnClose && m_sync->dirty()) {
        const std::uint64_t writes = m_sync->writes.load();
        if (dataSync(m_fd, m_path)) {
            m_sync->syncedUpTo(writes);
        } else {
            const QString why = failure("cannot fsync (on close)", m_path);
            std::lock_guard lock(m_sync->mutex);
            m_sync->closeFailure = why;
        }
    }
    ::close(m_fd);
}

std::shared_ptr<FileHandle> openReadWrite(const QString &path, bool create, QString &error,
                                          std::shared_ptr<SyncState> sync, int *savedErrno)
{
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0) {
        if (savedErrno)
            *savedErrno = errno;
        error = failure("cannot open", path);
        return nullptr;
    }
    if (IoObserver *observer = g_observer.load(std::memory_order_acquire))
        observer->opened(path, create);
    return std::make_shared<FileHandle>(fd, path, std::move(sync));
}

bool writeAt(const FileHandle &file, std::int64_t position, const char *data, std::size_t size,
             QString &error)
{
    file.markDirty();
    if (IoObserver *observer = g_observer.load(std::memory_order_acquire))
        observer->wrote(file.path(), position, std::int64_t(size));
    while (size > 0) {
        const ssize_t n = ::pwrite(file.fd(), data, size, off_t(position));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            error = failure("cannot write", file.path());
            return false;
        }
        if (n == 0) {
            errno = ENOSPC;
            error = failure("cannot write", file.path());
            return false;
        }
        data += n;
        size -= std::size_t(n);
        position += n;
    }
    return true;
}

std::int64_t readAt(const FileHandle &file, std::int64_t position, char *data, std::size_t size,
                    QString &error)
{
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::pread(file.fd(), data + done, size - done, off_t(position + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            error = failure("cannot read", file.path());
            return -1;
        }
        if (n == 0)
            break;
        done += std::size_t(n);
    }
    return std::int64_t(done);
}

bool truncate(const FileHandle &file, std::int64_t size, QString &error)
{
    file.markDirty();
    while (::ftruncate(file.fd(), off_t(size)) != 0) {
        if (errno == EINTR)
            continue;
        error = failure("cannot truncate", file.path());
        return false;
    }
    return true;
}

bool syncData(const FileHandle &file, QString &error)
{
    SyncState *state = file.syncState().get();
    const std::uint64_t writes = state ? state->writes.load() : 0;
    if (state) {
        std::lock_guard lock(state->mutex);
        if (!state->closeFailure.isEmpty()) {
            // an earlier descriptor's bytes may not be on disk: say so once, never "synced"
            error = std::exchange(state->closeFailure, QString());
            return false;
        }
    }
    if (!dataSync(file.fd(), file.path())) {
        error = failure("cannot fsync", file.path());
        return false;
    }
    if (state)
        state->syncedUpTo(writes);
    return true;
}

std::int64_t fileSize(const FileHandle &file, QString &error)
{
    struct stat st = {};
    if (::fstat(file.fd(), &st) != 0) {
        error = failure("cannot stat", file.path());
        return -1;
    }
    return std::int64_t(st.st_size);
}

bool syncDirectory(const QString &directory, QString &error)
{
    const QByteArray native = QFile::encodeName(directory);
    const int fd = ::open(native.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        error = failure("cannot open directory", directory);
        return false;
    }
    IoObserver *observer = g_observer.load(std::memory_order_acquire);
    if (observer)
        observer->syncing(IoObserver::Sync::Directory, directory);
    const bool ok = ::fsync(fd) == 0;
    if (!ok)
        error = failure("cannot fsync directory", directory);
    else if (observer)
        observer->synced(IoObserver::Sync::Directory, directory);
    ::close(fd);
    return ok;
}

bool syncFileSystem(const QString &path, QString &error)
{
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = failure("cannot open", path);
        return false;
    }
    IoObserver *observer = g_observer.load(std::memory_order_acquire);
    if (observer)
        observer->syncing(IoObserver::Sync::FileSystem, path);
    const bool ok = ::syncfs(fd) == 0;
    if (!ok)
        error = failure("cannot sync the file system of", path);
    else if (observer)
        observer->synced(IoObserver::Sync::FileSystem, path);
    ::close(fd);
    return ok;
}

// A temp file a failed write leaves (half written, e.g. on a full disk) goes at once: it
// holds space and nothing anyone needs.
bool dropTemp(const QString &temp)
{
    ::unlink(QFile::encodeName(temp).constData());
    return false;
}

bool replaceFile(const QString &path, const QByteArray &content, QString &error)
{
    const QString temp = path + QStringLiteral(".tmp");
    {
        auto file = openReadWrite(temp, true, error);
        if (!file)
            return false;
        if (!truncate(*file, 0, error) ||
            !writeAt(*file, 0, content.constData(), std::size_t(content.size()), error))
            return dropTemp(temp);
    }
    if (::rename(QFile::encodeName(temp).constData(), QFile::encodeName(path).constData()) != 0) {
        error = failure("cannot rename over", path);
        return false;
    }
    return true;
}

bool writeFileAtomically(const QString &path, const QByteArray &content, QString &error)
{
    const QString temp = path + QStringLiteral(".tmp");
    {
        auto file = openReadWrite(temp, true, error);
        if (!file)
            return false;
        if (!truncate(*file, 0, error) ||
            !writeAt(*file, 0, content.constData(), std::size_t(content.size()), error))
            return dropTemp(temp);
        if (!dataSync(file->fd(), temp)) {
            error = failure("cannot fsync", temp);
            return dropTemp(temp);
        }
    }
    if (::rename(QFile::encodeName(temp).constData(), QFile::encodeName(path).constData()) != 0) {
        error = failure("cannot rename over", path);
        return false;
    }
    return syncDirectory(QFileInfo(path).absolutePath(), error);
}

bool removeIfPresent(const QString &path, QString &error)
{
    if (::unlink(QFile::encodeName(path).constData()) == 0 || errno == ENOENT)
        return true;
    error = failure("cannot remove", path);
    return false;
}

bool readFile(const QString &path, QByteArray &content, QString &error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
        return false;
    }
    content = file.readAll();
    return true;
}

} // namespace rivulet::fileio
