#include "commitjournal.h"

#include "crc32c.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QtEndian>

#include <algorithm>

namespace rivulet {

namespace {

constexpr std::size_t kHeaderBytes = 8;
// A change names a group, a topic and metadata, each far below this; a longer "record" is
// damage, not a change.
constexpr std::uint32_t kMostPayloadBytes = 1u << 20;

void putU32(QByteArray &out, std::uint32_t v)
{
    char b[4];
    qToBigEndian(v, b);
    out.append(b, 4);
}
void putI64(QByteArray &out, std::int64_t v)
{
    char b[8];
    qToBigEndian(v, b);
    out.append(b, 8);
}
void putBytes(QByteArray &out, const QByteArray &bytes)
{
    putU32(out, std::uint32_t(bytes.size()));
    out.append(bytes);
}

// Reads fields off a payload, refusing anything that runs past its end.
struct Reader
{
    QByteArrayView in;
    qsizetype at = 0;
    bool ok = true;

    const char *take(qsizetype n)
    {
        if (!ok || n < 0 || in.size() - at < n) {
            ok = false;
            return nullptr;
        }
        const char *p = in.data() + at;
        at += n;
        return p;
    }
    std::uint8_t u8()
    {
        const char *p = take(1);
        return p ? std::uint8_t(*p) : 0;
    }
    std::uint32_t u32()
    {
        const char *p = take(4);
        return p ? qFromBigEndian<std::uint32_t>(p) : 0;
    }
    std::int64_t i64()
    {
        const char *p = take(8);
        return p ? qFromBigEndian<std::int64_t>(p) : 0;
    }
    QByteArray bytes()
    {
        const std::uint32_t n = u32();
        const char *p = take(qsizetype(n));
        return p ? QByteArray(p, qsizetype(n)) : QByteArray();
    }
};

} // namespace

CommitJournal::CommitJournal(QString directory, FsyncPolicy policy)
    : m_dir(std::move(directory)), m_policy(policy)
{
}

CommitJournal::~CommitJournal() = default;

QByteArray CommitJournal::encode(const OffsetChange &c)
{
    QByteArray out;
    out.append(char(c.kind));
    putBytes(out, c.group);
    switch (c.kind) {
    case OffsetChange::Kind::GroupDeleted:
        break;
    case OffsetChange::Kind::GroupOffsetDeleted:
    case OffsetChange::Kind::PositionForgotten:
        putBytes(out, c.topic);
        putU32(out, std::uint32_t(c.partition));
        break;
    case OffsetChange::Kind::GroupOffset:
        putBytes(out, c.topic);
        putU32(out, std::uint32_t(c.partition));
        putI64(out, c.offset);
        putBytes(out, c.metadata);
        putI64(out, c.timeMs);
        break;
    case OffsetChange::Kind::Position:
        putBytes(out, c.topic);
        putU32(out, std::uint32_t(c.partition));
        putI64(out, c.offset);
        putI64(out, c.delivered);
        putI64(out, c.timeMs);
        break;
    }
    return out;
}

bool CommitJournal::decode(QByteArrayView payload, OffsetChange &c)
{
    Reader r{payload};
    c = {};
    const std::uint8_t kind = r.u8();
    c.group = r.bytes();
    switch (kind) {
    case std::uint8_t(OffsetChange::Kind::GroupDeleted):
        break;
    case std::uint8_t(OffsetChange::Kind::GroupOffsetDeleted):
    case std::uint8_t(OffsetChange::Kind::PositionForgotten):
        c.topic = r.bytes();
        c.partition = std::int32_t(r.u32());
        break;
    case std::uint8_t(OffsetChange::Kind::GroupOffset):
        c.topic = r.bytes();
        c.partition = std::int32_t(r.u32());
        c.offset = r.i64();
        c.metadata = r.bytes();
        c.timeMs = r.i64();
        break;
    case std::uint8_t(OffsetChange::Kind::Position):
        c.topic = r.bytes();
        c.partition = std::int32_t(r.u32());
        c.offset = r.i64();
        c.delivered = r.i64();
        c.timeMs = r.i64();
        break;
    default:
        return false;
    }
    c.kind = OffsetChange::Kind(kind);
    return r.ok && r.at == payload.size();
}

QString CommitJournal::fileOf(std::uint64_t generation) const
{
    return QStringLiteral("%1/%2.journal").arg(m_dir).arg(generation, 20, 10, QLatin1Char('0'));
}

QList<std::uint64_t> CommitJournal::generations(QString &error) const
{
    QList<std::uint64_t> found;
    QDir dir(m_dir);
    if (!dir.exists())
        return found;
    const QStringList names =
        // directories too: one named like a journal file is reported when read, not skipped
        dir.entryList({QStringLiteral("*.journal")},
                      QDir::Files | QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot);
    for (const QString &name : names) {
        bool ok = false;
        const std::uint64_t g = name.chopped(8).toULongLong(&ok);
        if (ok)
            found.append(g);
        else
            error = QStringLiteral("%1/%2 is not a journal file of this broker; ignored")
                        .arg(m_dir, name);
    }
    std::sort(found.begin(), found.end());
    return found;
}

bool CommitJournal::replay(const std::function<void(const OffsetChange &)> &apply,
                           QStringList &notes, QString &error) const
{
    QString odd;
    for (const std::uint64_t g : generations(odd)) {
        QByteArray bytes;
        if (QString why; !fileio::readFile(fileOf(g), bytes, why)) {
            error = QStringLiteral("%1 cannot be read (%2). It holds consumer offsets committed "
                                   "since the last snapshot; Rivulet does not start without "
                                   "them. Restore it, or move it aside (mv '%1' '%1.broken') to "
                                   "start without them (consumers may then read some records "
                                   "again).")
                        .arg(fileOf(g), why);
            return false;
        }
        qsizetype at = 0;
        int applied = 0;
        while (bytes.size() - at >= qsizetype(kHeaderBytes)) {
            const auto length = qFromBigEndian<std::uint32_t>(bytes.constData() + at);
            const auto crc = qFromBigEndian<std::uint32_t>(bytes.constData() + at + 4);
            if (length == 0 || length > kMostPayloadBytes ||
                bytes.size() - at - qsizetype(kHeaderBytes) < qsizetype(length))
                break;
            const QByteArrayView payload(bytes.constData() + at + kHeaderBytes, length);
            OffsetChange change;
            if (crc32c(payload.data(), std::size_t(payload.size())) != crc ||
                !decode(payload, change))
                break;
            apply(change);
            ++applied;
            at += qsizetype(kHeaderBytes) + qsizetype(length);
        }
        if (at < bytes.size())
            notes << QStringLiteral("%1: cut %2 bytes of a torn or damaged record after %3 "
                                    "offset changes")
                         .arg(fileOf(g))
                         .arg(bytes.size() - at)
                         .arg(applied);
    }
    if (!odd.isEmpty())
        notes << odd;
    return true;
}

bool CommitJournal::openGeneration(std::uint64_t generation, QString &error)
{
    auto file = fileio::openReadWrite(fileOf(generation), true, error);
    if (!file)
        return false;
    const std::int64_t size = fileio::fileSize(*file, error);
    if (size < 0)
        return false;
    // the new name must survive a crash as well as what is written to it
    if (m_policy != FsyncPolicy::Never && !fileio::syncDirectory(m_dir, error))
        return false;
    m_file = std::move(file);
    m_generation = generation;
    m_size = size;
    m_dirty = false;
    return true;
}

bool CommitJournal::open(QString &error)
{
    std::lock_guard lock(m_mutex);
    if (!QDir().mkpath(m_dir)) {
        error = QStringLiteral("cannot create %1 for the offset journal%2")
                    .arg(m_dir, QFileInfo(m_dir).exists()
                                    ? QStringLiteral(": something else has that name; move it "
                                                     "aside")
                                    : QString());
        return false;
    }
    QString odd;
    const QList<std::uint64_t> existing = generations(odd);
    return openGeneration(existing.isEmpty() ? 1 : existing.last() + 1, error);
}

bool CommitJournal::append(const std::vector<OffsetChange> &changes, QString &error)
{
    QByteArray record;
    for (const OffsetChange &change : changes) {
        const QByteArray payload = encode(change);
        putU32(record, std::uint32_t(payload.size()));
        putU32(record, crc32c(payload.constData(), std::size_t(payload.size())));
        record.append(payload);
    }
    if (record.isEmpty())
        return true;

    std::lock_guard lock(m_mutex);
    if (!m_file) {
        error = QStringLiteral("the offset journal is not open");
        return false;
    }
    if (!fileio::writeAt(*m_file, m_size, record.constData(), std::size_t(record.size()), error)) {
        // a short write leaves part of a record: cut it, so the next one follows a whole one
        QString ignored;
        fileio::truncate(*m_file, m_size, ignored);
        return false;
    }
    m_size += record.size();
    if (m_policy == FsyncPolicy::Always)
        return fileio::syncData(*m_file, error);
    m_dirty = true;
    return true;
}

bool CommitJournal::sync(QString &error)
{
    std::shared_ptr<fileio::FileHandle> file;
    {
        std::lock_guard lock(m_mutex);
        if (!m_dirty || !m_file)
            return true;
        m_dirty = false;
        file = m_file;
    }
    if (fileio::syncData(*file, error))
        return true;
    std::lock_guard lock(m_mutex);
    m_dirty = true;
    return false;
}

bool CommitJournal::rotate(std::uint64_t &covered, QString &error)
{
    std::lock_guard lock(m_mutex);
    // the old generation's last appends must be on disk before a snapshot replaces it
    if (m_file && m_dirty && m_policy != FsyncPolicy::Never && !fileio::syncData(*m_file, error))
        return false;
    const std::uint64_t previous = m_generation;
    if (!openGeneration(m_generation + 1, error))
        return false;
    covered = previous;
    return true;
}

bool CommitJournal::dropUpTo(std::uint64_t covered, QString &error)
{
    QString odd;
    for (const std::uint64_t g : generations(odd)) {
        if (g > covered)
            break;
        if (!QFile::remove(fileOf(g))) {
            error = QStringLiteral("cannot remove %1").arg(fileOf(g));
            return false;
        }
    }
    return true;
}

std::int64_t CommitJournal::bytesInGeneration() const
{
    std::lock_guard lock(m_mutex);
    return m_size;
}

} // namespace rivulet
