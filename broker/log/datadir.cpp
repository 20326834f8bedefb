#include "datadir.h"

#include "fileio.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace rivulet {
namespace {

constexpr int kFormatVersion = 1;

// "127.0.0.1:53412", "[::1]:53412" or "[fe80::1%eth0]:53412": how the broker names a
// connection that gave no consumer_id
bool looksLikeAddress(const QByteArray &name)
{
    static const QRegularExpression address(
        QStringLiteral(R"(^(\d{1,3}(\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+(%[\w.-]+)?\]):\d{1,5}$)"));
    return address.match(QString::fromLatin1(name)).hasMatch();
}

QJsonObject positionToJson(const SavedPosition &p)
{
    QJsonObject o;
    // Consumer ids are bytes: kept as text when they are UTF-8, else in base64.
    const QString text = QString::fromUtf8(p.position.consumer);
    if (text.toUtf8() == p.position.consumer)
        o[QStringLiteral("consumer")] = text;
    else
        o[QStringLiteral("consumerBase64")] = QString::fromLatin1(p.position.consumer.toBase64());
    o[QStringLiteral("topic")] = p.topic;
    o[QStringLiteral("partition")] = p.partition;
    o[QStringLiteral("nextOffset")] = qint64(p.position.nextOffset);
    o[QStringLiteral("delivered")] = qint64(p.position.delivered);
    o[QStringLiteral("lastSeenMs")] = qint64(p.position.lastSeenMs);
    return o;
}

// Why a metadata file cannot be used, and what to do about it: the broker refuses to start
// rather than start with what the file holds silently empty.
QString damagedFile(const QString &path, const QString &problem, const char *holds)
{
    return QStringLiteral("%1 %2. It holds %3; Rivulet does not start without it rather than "
                          "start with them missing. Restore it from a backup, or move it aside "
                          "(mv '%1' '%1.broken') to start without them.")
        .arg(path, problem, QLatin1String(holds));
}

bool readJson(const QString &path, QJsonObject &object, QString &error, const char *holds)
{
    QByteArray bytes;
    const QFileInfo info(path);
    if (!info.exists() && !info.isSymLink()) {
        object = {};
        return true;
    }
    if (!info.isFile()) {
        error = damagedFile(path, QStringLiteral("is not a file"), holds);
        return false;
    }
    if (QString why; !fileio::readFile(path, bytes, why)) {
        error = damagedFile(path, QStringLiteral("cannot be read (%1)").arg(why), holds);
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parseError);
    if (!doc.isObject()) {
        error = damagedFile(path,
                            bytes.isEmpty() ? QStringLiteral("is empty")
                            : doc.isNull()  ? QStringLiteral("is not valid JSON (%1 at byte %2)")
                                                 .arg(parseError.errorString())
                                                 .arg(parseError.offset)
                                           : QStringLiteral("does not hold a JSON object"),
                            holds);
        return false;
    }
    object = doc.object();
    if (object.value(QStringLiteral("version")).toInt() != kFormatVersion) {
        error = damagedFile(path,
                            QStringLiteral("has an unknown format version (%1; this Rivulet "
                                           "reads version %2)")
                                .arg(object.value(QStringLiteral("version")).toVariant().toString())
                                .arg(kFormatVersion),
                            holds);
        return false;
    }
    return true;
}

// The array under key in a metadata file's object, each element an object; false (and why)
// when the file holds something else there.
bool readEntries(const QString &path, const QJsonObject &root, const QString &key,
                 QJsonArray &entries, QString &error, const char *holds)
{
    const QJsonValue value = root.value(key);
    if (value.isUndefined()) {
        entries = {};
        return true;
    }
    if (!value.isArray()) {
        error = damagedFile(path, QStringLiteral("has no list under \"%1\"").arg(key), holds);
        return false;
    }
    entries = value.toArray();
    for (qsizetype i = 0; i < entries.size(); ++i)
        if (!entries.at(i).isObject()) {
            error = damagedFile(
                path, QStringLiteral("has a damaged entry (%1 #%2)").arg(key).arg(i), holds);
            return false;
        }
    return true;
}

constexpr const char *kTopicsHolds =
    "the topics and their settings (their records stay in topics/ but are not served without "
    "it)";
constexpr const char *kPositionsHolds = "the native consumers' positions";
constexpr const char *kGroupsHolds = "the Kafka consumer groups' committed offsets";
constexpr const char *kTransactionsHolds =
    "the state of Kafka transactions (open ones, and the aborted ones Fetch must skip)";

bool writeJson(const QString &path, QJsonObject object, QString &error)
{
    object[QStringLiteral("version")] = kFormatVersion;
    return fileio::writeFileAtomically(path, QJsonDocument(object).toJson(QJsonDocument::Indented),
                                       error);
}

} // namespace

DataDir::~DataDir()
{
    if (m_lockFd >= 0)
        ::close(m_lockFd); // releases the flock
}

bool DataDir::open(const QString &path, QString &error)
{
    m_path = QDir(path).absolutePath();
    const QString useAnother =
        QStringLiteral("Rivulet keeps its topics and offsets there; give --data-dir a directory "
                       "this user can write (or --in-memory to keep nothing).");
    if (!QDir().mkpath(m_path)) {
        const QFileInfo info(m_path);
        error =
            QStringLiteral("cannot create the data directory %1%2. %3")
                .arg(m_path,
                     info.exists() && !info.isDir() ? QStringLiteral(": it is a file") : QString(),
                     useAnother);
        return false;
    }
    const QString lockPath = m_path + QStringLiteral("/.lock");
    m_lockFd = ::open(QFile::encodeName(lockPath).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_lockFd < 0) {
        error =
            QStringLiteral("cannot write in the data directory %1 (opening %2: %3). %4")
                .arg(m_path, lockPath, QString::fromLocal8Bit(std::strerror(errno)), useAnother);
        return false;
    }
    if (::flock(m_lockFd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = {};
        [[maybe_unused]] auto n = ::pread(m_lockFd, pid, sizeof pid - 1, 0);
        error = QStringLiteral("the data directory %1 is in use by another Rivulet (pid %2). "
                               "Stop that one, or give this one its own --data-dir.")
                    .arg(m_path, QString::fromLatin1(pid).trimmed());
        ::close(m_lockFd);
        m_lockFd = -1;
        return false;
    }
    // The pid is only for the message above; the flock is the lock. Written over the old
    // one before the file is cut to length, so a full disk (no room for a new block) keeps
    // the broker from starting no more than a stale pid does.
    const QByteArray pid = QByteArray::number(::getpid()) + '\n';
    const bool pidWritten =
        ::pwrite(m_lockFd, pid.constData(), std::size_t(pid.size()), 0) == pid.size();
    if (pidWritten && ::ftruncate(m_lockFd, pid.size()) != 0) {
        // the tail of a longer old pid stays after the new one's newline: harmless
    }
    const QString marker = m_path + QStringLiteral("/clean-shutdown");
    m_clean = QFile::exists(marker);
    if (m_clean && (!QFile::remove(marker) || !fileio::syncDirectory(m_path, error))) {
        if (error.isEmpty())
            error = QStringLiteral("cannot remove %1").arg(marker);
        return false;
    }
    if (!QDir().mkpath(m_path + QStringLiteral("/topics"))) {
        error = QStringLiteral("cannot create %1/topics").arg(m_path);
        return false;
    }
    return true;
}

QStringList DataDir::removeStrayTempFiles() const
{
    // what an atomic write (metadata, the clean-shutdown marker) left when the broker died
    // or the disk filled before its rename; the partitions' own go when they open
    QStringList removed;
    QDir dir(m_path);
    for (const QString &name :
         dir.entryList({QStringLiteral("*.tmp")}, QDir::Files | QDir::Hidden | QDir::System))
        if (dir.remove(name))
            removed << QStringLiteral("removed %1, left half written").arg(dir.filePath(name));
    return removed;
}

bool DataDir::markCleanShutdown(QString &error)
{
    return fileio::writeFileAtomically(m_path + QStringLiteral("/clean-shutdown"),
                                       QByteArrayLiteral("clean\n"), error);
}

QString DataDir::topicPath(const QString &topic) const
{
    return m_path + QStringLiteral("/topics/") + topic;
}

QString DataDir::partitionPath(const QString &topic, int partition) const
{
    return topicPath(topic) + u'/' + QString::number(partition);
}

bool DataDir::removeTopicFiles(const QString &topic, QString &error)
{
    QDir dir(topicPath(topic));
    if (dir.exists() && !dir.removeRecursively()) {
        error = QStringLiteral("cannot remove %1").arg(dir.path());
        return false;
    }
    return fileio::syncDirectory(m_path + QStringLiteral("/topics"), error);
}

bool DataDir::removePartitionFiles(const QString &topic, int partition, QString &error)
{
    QDir dir(partitionPath(topic, partition));
    if (!dir.exists())
        return true;
    if (!dir.removeRecursively()) {
        error = QStringLiteral("cannot remove %1").arg(dir.path());
        return false;
    }
    return fileio::syncDirectory(topicPath(topic), error);
}

bool DataDir::loadTopics(QList<TopicMeta> &topics, QString &error) const
{
    const QString path = m_path + QStringLiteral("/topics.json");
    QJsonObject root;
    QJsonArray entries;
    if (!readJson(path, root, error, kTopicsHolds) ||
        !readEntries(path, root, QStringLiteral("topics"), entries, error, kTopicsHolds))
        return false;
    topics.clear();
    for (qsizetype i = 0; i < entries.size(); ++i) {
        const QJsonObject o = entries.at(i).toObject();
        TopicMeta t;
        t.name = o.value(QStringLiteral("name")).toString();
        t.partitions = o.value(QStringLiteral("partitions")).toInt();
        if (t.name.isEmpty() || t.partitions < 1) {
            error = damagedFile(path,
                                QStringLiteral("has a damaged entry (topics #%1: no name or no "
                                               "partition count)")
                                    .arg(i),
                                kTopicsHolds);
            return false;
        }
        t.retention.retentionMs = o.value(QStringLiteral("retention.ms")).toInteger(-1);
        t.retention.retentionBytes = o.value(QStringLiteral("retention.bytes")).toInteger(-1);
        t.createdMs = o.value(QStringLiteral("createdMs")).toInteger();
        t.id = QUuid::fromString(o.value(QStringLiteral("id")).toString());
        topics.append(t);
    }
    return true;
}

bool DataDir::saveTopics(const QList<TopicMeta> &topics, QString &error)
{
    QJsonArray array;
    for (const TopicMeta &t : topics)
        array.append(
            QJsonObject{{QStringLiteral("name"), t.name},
                        {QStringLiteral("partitions"), t.partitions},
                        {QStringLiteral("retention.ms"), qint64(t.retention.retentionMs)},
                        {QStringLiteral("retention.bytes"), qint64(t.retention.retentionBytes)},
                        {QStringLiteral("createdMs"), qint64(t.createdMs)},
                        {QStringLiteral("id"), t.id.toString(QUuid::WithoutBraces)}});
    return writeJson(m_path + QStringLiteral("/topics.json"), {{QStringLiteral("topics"), array}},
                     error);
}

bool DataDir::loadTransactions(QJsonObject &state, QString &error) const
{
    return readJson(m_path + QStringLiteral("/transactions.json"), state, error,
                    kTransactionsHolds);
}

bool DataDir::saveTransactions(const QJsonObject &state, QString &error)
{
    return writeJson(m_path + QStringLiteral("/transactions.json"), state, error);
}

bool DataDir::loadGroupOffsets(QJsonArray &offsets, QString &error) const
{
    const QString path = m_path + QStringLiteral("/groups.json");
    QJsonObject root;
    return readJson(path, root, error, kGroupsHolds) &&
           readEntries(path, root, QStringLiteral("offsets"), offsets, error, kGroupsHolds);
}

bool DataDir::saveGroupOffsets(const QJsonArray &offsets, QString &error)
{
    return writeJson(m_path + QStringLiteral("/groups.json"),
                     {{QStringLiteral("offsets"), offsets}}, error);
}

bool DataDir::loadPositions(QList<SavedPosition> &positions, QString &error) const
{
    const QString path = m_path + QStringLiteral("/consumers.json");
    QJsonObject root;
    QJsonArray entries;
    if (!readJson(path, root, error, kPositionsHolds) ||
        !readEntries(path, root, QStringLiteral("positions"), entries, error, kPositionsHolds))
        return false;
    positions.clear();
    const bool anonymousOmitted = root.value(QStringLiteral("anonymousOmitted")).toBool();
    for (const QJsonValue &v : std::as_const(entries)) {
        const QJsonObject o = v.toObject();
        SavedPosition p;
        p.topic = o.value(QStringLiteral("topic")).toString();
        p.partition = o.value(QStringLiteral("partition")).toInt();
        p.position.consumer =
            o.contains(QStringLiteral("consumerBase64"))
                ? QByteArray::fromBase64(
                      o.value(QStringLiteral("consumerBase64")).toString().toLatin1())
                : o.value(QStringLiteral("consumer")).toString().toUtf8();
        p.position.nextOffset = o.value(QStringLiteral("nextOffset")).toInteger();
        p.position.delivered = o.value(QStringLiteral("delivered")).toInteger();
        p.position.lastSeenMs = o.value(QStringLiteral("lastSeenMs")).toInteger();
        // Files written since anonymous positions are left out say so; in older ones an
        // address-shaped name was a connection's address, so forgotten like one
        p.position.anonymous = !anonymousOmitted && looksLikeAddress(p.position.consumer);
        positions.append(p);
    }
    return true;
}

bool DataDir::savePositions(const QList<SavedPosition> &positions, QString &error)
{
    QJsonArray array;
    for (const SavedPosition &p : positions)
        array.append(positionToJson(p));
    return writeJson(
        m_path + QStringLiteral("/consumers.json"),
        {{QStringLiteral("positions"), array}, {QStringLiteral("anonymousOmitted"), true}}, error);
}

} // namespace rivulet
