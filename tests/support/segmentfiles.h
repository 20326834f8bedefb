#pragma once

// A broker's data directory as files, for the tests that look at or damage it on purpose:
// where a partition's segments are, where each batch in a segment starts, and small edits
// (append, truncate, flip a bit, copy the whole directory). Header-only.

#include <QByteArray>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QList>
#include <QString>
#include <QStringList>
#include <QtEndian>

namespace rivulet::testsupport {

inline QString partitionDir(const QString &dataDir, const QString &topic, int partition)
{
    return QStringLiteral("%1/topics/%2/%3").arg(dataDir, topic).arg(partition);
}

// The segment files of a partition, oldest first (names are zero-padded base offsets).
inline QStringList segments(const QString &directory)
{
    QStringList files =
        QDir(directory).entryList({QStringLiteral("*.log")}, QDir::Files, QDir::Name);
    for (QString &f : files)
        f = directory + u'/' + f;
    return files;
}

inline qint64 baseOffsetOf(const QString &segmentPath)
{
    return QFileInfo(segmentPath).completeBaseName().toLongLong();
}

inline QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// Where each batch starts, by walking baseOffset (8) + batchLength (4) headers.
inline QList<qint64> batchStarts(const QByteArray &bytes)
{
    QList<qint64> starts;
    for (qint64 at = 0; at + 12 <= bytes.size();) {
        starts << at;
        at += 12 + qFromBigEndian<qint32>(bytes.constData() + at + 8);
    }
    return starts;
}

inline bool appendBytes(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::Append) && file.write(bytes) == bytes.size();
}

inline bool truncateBy(const QString &path, qint64 bytes)
{
    QFile file(path);
    return file.resize(file.size() - bytes);
}

inline bool flipBit(const QString &path, qint64 position, char mask)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadWrite) || !file.seek(position))
        return false;
    char byte = 0;
    if (!file.getChar(&byte) || !file.seek(position))
        return false;
    return file.putChar(char(byte ^ mask));
}

inline bool copyDir(const QString &from, const QString &to)
{
    QDirIterator it(from, QDir::Files | QDir::Hidden | QDir::Dirs | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString source = it.next();
        const QString target = to + source.mid(from.size());
        if (it.fileInfo().isDir()
                ? !QDir().mkpath(target)
                : !QDir().mkpath(QFileInfo(target).path()) || !QFile::copy(source, target))
            return false;
    }
    return true;
}

} // namespace rivulet::testsupport
