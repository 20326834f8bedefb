#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <memory>

// Thin POSIX file helpers for the durable log: explicit about every syscall, with errors as
// text that names the file. Qt's QFile buffers in user space, which the log must not do.
namespace rivulet::fileio {

// An open file descriptor, closed when the last owner lets go. Shared so that an fsync can
// run outside the partition lock while a concurrent roll or retention closes the segment.
class FileHandle
{
public:
    FileHandle(int fd, QString path) : m_fd(fd), m_path(std::move(path)) {}
    ~FileHandle();
    FileHandle(const FileHandle &) = delete;
    FileHandle &operator=(const FileHandle &) = delete;
    int fd() const { return m_fd; }
    const QString &path() const { return m_path; }

private:
    int m_fd;
    QString m_path;
};

// Opens (creating if asked) for reading and writing; nullptr and error on failure.
std::shared_ptr<FileHandle> openReadWrite(const QString &path, bool create, QString &error);

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
bool syncDirectory(const QString &directory, QString &error);
// Reads a whole small file; false if it does not exist or cannot be read.
bool readFile(const QString &path, QByteArray &content, QString &error);

} // namespace rivulet::fileio
