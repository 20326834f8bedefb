// Helpers shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.cpp, docs/FUZZING.md).
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QString>
#include <QTemporaryDir>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace rivulet::fuzz {

// Reads the fuzzer's bytes from the front: a harness takes its choices (an API key, a chunk
// size, a mode) from the first bytes and hands the rest to the code under test. Reading past
// the end yields zeros.
class Input
{
public:
    Input(const std::uint8_t *data, std::size_t size)
        : m_p(reinterpret_cast<const char *>(data)), m_left(size)
    {
    }
    std::uint8_t u8()
    {
        if (m_left == 0)
            return 0;
        --m_left;
        return std::uint8_t(*m_p++);
    }
    std::uint16_t u16() { return std::uint16_t(u8() << 8 | u8()); }
    // Up to n bytes.
    QByteArrayView take(std::size_t n)
    {
        n = std::min(n, m_left);
        QByteArrayView v(m_p, qsizetype(n));
        m_p += n;
        m_left -= n;
        return v;
    }
    QByteArrayView rest() { return take(m_left); }
    std::size_t left() const { return m_left; }

private:
    const char *m_p;
    std::size_t m_left;
};

// A property the harness checks failed: report it and abort, so libFuzzer keeps the input.
[[noreturn]] inline void fail(const char *what)
{
    std::fprintf(stderr, "fuzz harness check failed: %s\n", what);
    std::abort();
}

// Qt wants an application object for some of what the broker uses (file names, timers);
// one per process, made on the first input.
inline void ensureApplication()
{
    static int argc = 1;
    static char name[] = "rivulet-fuzz";
    static char *argv[] = {name, nullptr};
    static QCoreApplication *app = new QCoreApplication(argc, argv);
    (void)app;
}

// A scratch directory for the harnesses that work on files, on tmpfs when there is one (each
// input writes and fsyncs files); removed when the process ends.
inline const QString &scratchDir()
{
    static QTemporaryDir dir(QDir(QStringLiteral("/dev/shm")).exists()
                                 ? QStringLiteral("/dev/shm/rivulet-fuzz-XXXXXX")
                                 : QDir::tempPath() + QStringLiteral("/rivulet-fuzz-XXXXXX"));
    if (!dir.isValid())
        fail("cannot create a scratch directory");
    static const QString path = dir.path();
    return path;
}

// An empty directory under the scratch directory (its former contents removed).
inline QString freshDir(const QString &name)
{
    const QString path = scratchDir() + QLatin1Char('/') + name;
    QDir(path).removeRecursively();
    if (!QDir().mkpath(path))
        fail("cannot create a directory in the scratch directory");
    return path;
}

inline void writeFile(const QString &path, QByteArrayView bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        f.write(bytes.data(), bytes.size()) != bytes.size())
        fail("cannot write a file in the scratch directory");
}

} // namespace rivulet::fuzz
