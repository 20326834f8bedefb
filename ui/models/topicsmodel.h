#pragma once

#include "monitor/snapshot.h"
#include "ratemeter.h"

#include <QAbstractItemModel>
#include <QHash>

#include <memory>
#include <vector>

namespace rivulet {

// Topics and, below each, its partitions: offsets, exact message counts, sizes, rates and
// the last write. update() merges a snapshot row by row — topics and partitions that came
// are inserted, those that went are removed, and changed cells are reported as ranges — so
// views keep their selection, expansion, sort order and scroll position. Changes below
// topics whose partitions no view shows are not reported (see setPartitionsShown()).
class TopicsModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column
    {
        Name,
        Partitions,
        StartOffset,
        EndOffset,
        Messages,
        Size,
        InRate,
        OutRate,
        Consumers,
        LastWrite,
        ColumnCount
    };

    struct Totals
    {
        std::int64_t topics = 0;
        std::int64_t partitions = 0;
        std::int64_t messages = 0;
        std::int64_t bytes = 0;
        double inRate = 0;
        double outRate = 0;           // -1: unknown (a cluster's), as bytes
        std::int64_t unavailable = 0; // partitions that could not be opened
    };

    explicit TopicsModel(QObject *parent = nullptr);
    ~TopicsModel() override;

    // The snapshot's Kafka consumer groups are counted among a partition's consumers where
    // they committed an offset.
    void update(const BrokerSnapshot &snapshot);
    const Totals &totals() const { return m_totals; }
    QModelIndex topicIndex(const QString &topic, int column = 0) const;
    QModelIndex partitionIndex(const QString &topic, int partition, int column = 0) const;
    QStringList topicNames() const;
    // Whether a view shows the topic's partitions (its row is expanded). Changes in the
    // partitions of other topics update the topic's totals but are not announced row by
    // row: on a busy broker that is thousands of dataChanged() a tick that no view needs.
    // Showing a topic announces its partitions afresh, so sorting proxies catch up.
    void setPartitionsShown(const QString &topic, bool shown);
    void setAllPartitionsShown(bool shown);
    int partitionCount(const QString &topic) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    struct PartitionNode
    {
        int partition = 0;
        PartitionStats stats;
        int consumers = 0;
        RateMeter in, out;
        QString unavailable; // why it could not be opened, or empty
    };
    struct TopicNode
    {
        QString name;
        int row = 0;
        bool shown = false; // partitions announced row by row
        std::vector<PartitionNode> partitions;
        std::int64_t messages = 0, bytes = 0, lastAppendMs = 0;
        double inRate = 0, outRate = 0;
        int consumers = 0;
        int unavailable = 0; // partitions that could not be opened
    };

    std::uint64_t mergePartitions(TopicNode &node, const TopicSnapshot &fresh);
    std::uint64_t refreshPartition(PartitionNode &node, const QString &topic,
                                   const PartitionSnapshot &fresh);
    static std::uint64_t aggregate(TopicNode &node);
    void renumber(std::size_t from);
    void announcePartitions(TopicNode &node);
    int topicRow(const QString &topic) const;
    QVariant topicData(const TopicNode &t, int column, int role) const;
    QVariant partitionData(const TopicNode &t, const PartitionNode &p, int column, int role) const;

    std::vector<std::unique_ptr<TopicNode>> m_topics; // sorted by name
    std::int64_t m_nowMs = 0;
    Totals m_totals;
    bool m_allShown = false;
    // Kafka groups with an offset in (topic, partition), for the update in progress
    QHash<QPair<QString, int>, int> m_groupCounts;
};

} // namespace rivulet
