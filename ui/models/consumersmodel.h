#pragma once

#include "monitor/snapshot.h"
#include "ratemeter.h"

#include <QAbstractTableModel>

#include <vector>

namespace rivulet {

// One row per consumer and partition it reads: next offset, the partition's end, the lag
// between them, the consumer's messages/s (0 when it read nothing in the last window, and
// for a group without members), when it was last seen and whether it is still
// there. Native consumers are connected while a connection carries their name
// (consumer_id) or address. Kafka consumer groups (GroupSnapshot) show their committed
// offsets, and also the partitions assigned to a member with nothing committed yet (no next
// offset, no lag), each with the member that holds it and the group's state (Stable,
// PreparingRebalance, …); a group is connected while it has members. Merged row by row from
// each snapshot, never reset.
class ConsumersModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Consumer,
        Kind,
        Topic,
        Partition,
        NextOffset,
        EndOffset,
        Lag,
        Rate,
        Member,
        LastSeen,
        State,
        ColumnCount
    };

    using QAbstractTableModel::QAbstractTableModel;

    struct Row;
    using Rows = std::vector<Row>;
    // The rows a snapshot holds (its consumer positions and its groups), sorted as the model
    // keeps them. Touches no model: the window builds them on a pool thread and merges them
    // with update(rows, takenMs).
    static Rows rowsOf(const BrokerSnapshot &snapshot);
    void update(const Rows &fresh, std::int64_t takenMs);
    void update(const BrokerSnapshot &snapshot) { update(rowsOf(snapshot), snapshot.takenMs); }
    // Rows whose consumer is not caught up, and the largest lag.
    int laggingCount() const { return m_lagging; }
    std::int64_t totalLag() const { return m_totalLag; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    struct Row
    {
        QByteArray key;     // the consumer's name as the broker has it
        QString consumer;   // and as shown
        bool group = false; // a Kafka consumer group (committed offsets)
        int members = 0;
        GroupState state = GroupState::Empty; // a group's
        QString member; // a group's member that holds the partition ("client (host)"), or empty
        bool hasOffset = true; // false: a group's assigned partition with nothing committed
        QString topic;
        int partition = 0;
        std::int64_t nextOffset = 0;
        std::int64_t startOffset = 0;
        std::int64_t endOffset = 0;
        std::int64_t delivered = 0;
        std::int64_t lastSeenMs = 0;
        bool connected = false;
        RateMeter rate;

        std::int64_t lag() const
        {
            return hasOffset ? std::max<std::int64_t>(0, endOffset - nextOffset) : 0;
        }
    };

private:
    static int compare(const Row &a, const Row &b);
    static std::uint64_t refresh(Row &row, const Row &fresh, std::int64_t nowMs);
    // The row's messages/s from its delivered count (a group's committed offset).
    static bool updateRate(RateMeter &rate, const Row &fresh, std::int64_t nowMs);

    std::vector<Row> m_rows; // sorted by consumer, topic, partition
    std::int64_t m_nowMs = 0;
    int m_lagging = 0;
    std::int64_t m_totalLag = 0;
};

} // namespace rivulet
