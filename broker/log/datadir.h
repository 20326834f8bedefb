#pragma once

#include "logsettings.h"
#include "partition.h"

#include <QJsonArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <QUuid>

namespace rivulet {

// A topic as the metadata file records it.
struct TopicMeta
{
    QString name;
    int partitions = 1;
    RetentionPolicy retention;
    std::int64_t createdMs = 0;
    QUuid id; // null in files written before topic ids: a new one is made
};

// A saved consumer position, with where it belongs.
struct SavedPosition
{
    QString topic;
    int partition = 0;
    ConsumerPosition position;
};

// The data directory: an exclusive lock, the metadata files (written atomically) and the
// layout of partition directories:
//   DIR/.lock                      flock()ed while a broker uses DIR; holds its pid
//   DIR/topics.json                topics and their settings
//   DIR/consumers.json             consumer positions (native protocol)
//   DIR/groups.json                committed offsets of Kafka consumer groups
//   DIR/commits/<gen>.journal      offset changes since those two were written (CommitJournal)
//   DIR/transactions.json          Kafka transactions and aborted-transaction lists
//   DIR/clean-shutdown             present only between a clean stop and the next start
//   DIR/topics/<topic>/<partition>/<base offset>.log|.index
class DataDir
{
public:
    DataDir() = default;
    ~DataDir();
    DataDir(const DataDir &) = delete;
    DataDir &operator=(const DataDir &) = delete;

    // Creates and locks the directory; says why not (e.g. another broker holds it).
    bool open(const QString &path, QString &error);
    const QString &path() const { return m_path; }
    // Whether the previous broker stopped cleanly. The marker is removed by open(), so a
    // crash from now on is seen as one at the next start.
    bool wasCleanShutdown() const { return m_clean; }
    bool markCleanShutdown(QString &error);
    // Removes the temp files of atomic writes that never reached their rename; says which.
    QStringList removeStrayTempFiles() const;

    QString topicPath(const QString &topic) const;
    QString partitionPath(const QString &topic, int partition) const;
    bool removeTopicFiles(const QString &topic, QString &error);
    // Removes one partition's directory (leftovers of partitions added and not recorded).
    bool removePartitionFiles(const QString &topic, int partition, QString &error);

    // The loaders refuse a file that cannot be read or does not hold what it should, with a
    // message naming it and what to do; a missing file is an empty one.
    bool loadTopics(QList<TopicMeta> &topics, QString &error) const;
    bool saveTopics(const QList<TopicMeta> &topics, QString &error);
    // Kafka consumer groups' committed offsets: DIR/groups.json
    bool loadGroupOffsets(QJsonArray &offsets, QString &error) const;
    // The transaction coordinator's state: DIR/transactions.json
    bool loadTransactions(QJsonObject &state, QString &error) const;
    bool saveTransactions(const QJsonObject &state, QString &error);
    bool saveGroupOffsets(const QJsonArray &offsets, QString &error);
    // Named consumers' positions: DIR/consumers.json. Loaded positions are marked anonymous
    // only when read from a file of an older version, where a name shaped like "ip:port"
    // was a connection's address (newer files never hold such positions).
    bool loadPositions(QList<SavedPosition> &positions, QString &error) const;
    bool savePositions(const QList<SavedPosition> &positions, QString &error);

private:
    QString m_path;
    int m_lockFd = -1;
    bool m_clean = false;
};

} // namespace rivulet
