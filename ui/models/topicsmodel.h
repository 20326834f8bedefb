#pragma once

#include "monitor/snapshot.h"

#include <QAbstractTableModel>

namespace rivulet {

// One row per topic partition, sorted by topic then partition. update() merges a new
// snapshot row by row (inserts, removes, dataChanged over changed cells) so views keep
// their selection and scroll position.
class TopicsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Topic, Partition, StartOffset, EndOffset, Messages, Bytes, LastWrite, ColumnCount };

    struct Row
    {
        QString topic;
        int partition = 0;
        PartitionStats stats;
        bool operator==(const Row &o) const
        {
            return topic == o.topic && partition == o.partition &&
                   stats.startOffset == o.stats.startOffset &&
                   stats.endOffset == o.stats.endOffset && stats.sizeBytes == o.stats.sizeBytes &&
                   stats.lastAppendMs == o.stats.lastAppendMs;
        }
    };

    using QAbstractTableModel::QAbstractTableModel;

    void update(const BrokerSnapshot &snapshot);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<Row> m_rows;
};

} // namespace rivulet
