#pragma once

// A small tmpfs mounted over a test's directory, to fill a file system for real (a full
// disk). Needs root (the tests run as root); a test QSKIPs when mounted() is false, saying
// why(). Unmounted on destruction, always (lazily, should something still hold it).
// Header-only; include it from tests/tst_*.cpp.

#include <QDir>
#include <QFile>
#include <QString>

#include <cerrno>
#include <cstring>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace rivulet::testsupport {

class TmpfsMount
{
public:
    // size as mount(8) takes it, e.g. "4m"; flags such as MS_RDONLY
    TmpfsMount(const QString &directory, const QByteArray &size, unsigned long flags = 0)
        : m_directory(directory)
    {
        if (::geteuid() != 0) {
            m_why = QStringLiteral("mounting a tmpfs needs root (the test suite runs as root)");
            return;
        }
        QDir().mkpath(directory);
        const QByteArray options = "size=" + size + ",mode=0755";
        if (::mount("tmpfs", QFile::encodeName(directory).constData(), "tmpfs", flags,
                    options.constData()) != 0) {
            m_why = QStringLiteral("cannot mount a tmpfs on %1: %2")
                        .arg(directory, QString::fromLocal8Bit(std::strerror(errno)));
            return;
        }
        m_mounted = true;
    }
    ~TmpfsMount()
    {
        if (m_mounted)
            ::umount2(QFile::encodeName(m_directory).constData(), MNT_DETACH);
    }
    TmpfsMount(const TmpfsMount &) = delete;
    TmpfsMount &operator=(const TmpfsMount &) = delete;

    bool mounted() const { return m_mounted; }
    const QString &why() const { return m_why; }

    // Bytes still free for an ordinary writer.
    qint64 freeBytes() const
    {
        struct statvfs s = {};
        if (::statvfs(QFile::encodeName(m_directory).constData(), &s) != 0)
            return -1;
        return qint64(s.f_bavail) * qint64(s.f_frsize);
    }

    // Writes a file of the given name until the file system is full; the bytes it took.
    qint64 fill(const QString &name) const
    {
        QFile file(m_directory + u'/' + name);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered))
            return -1;
        const QByteArray block(4096, 'F');
        qint64 written = 0;
        for (;;) {
            const qint64 n = file.write(block);
            if (n <= 0)
                break;
            written += n;
        }
        return written;
    }

private:
    QString m_directory;
    QString m_why;
    bool m_mounted = false;
};

} // namespace rivulet::testsupport
