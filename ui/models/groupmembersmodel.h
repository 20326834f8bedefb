#pragma once

#include "monitor/groupsnapshot.h"

#include <QAbstractTableModel>

#include <optional>
#include <vector>

namespace rivulet {

// The members of one Kafka consumer group (the one chosen with setGroup()): member id,
// client id, host, the partitions assigned to it and when it was last heard from; the
// leader's id followed by "(leader)". Merged by member id from each snapshot, never reset. group()
// keeps the chosen group's own fields (state, protocol, generation) for the pane's summary.
class GroupMembersModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        MemberId,
        ClientId,
        Host,
        Assignment,
        LastSeen,
        ColumnCount
    };

    using QAbstractTableModel::QAbstractTableModel;

    // Shows that group's members from the next update on (an empty id: none).
    void setGroup(const QByteArray &groupId);
    QByteArray groupId() const { return m_groupId; }
    // The chosen group as the last update had it; nullopt when it is not there (gone, or
    // none chosen).
    const std::optional<GroupSnapshot> &group() const { return m_group; }
    void update(const std::vector<GroupSnapshot> &groups, std::int64_t takenMs);

    // "orders 0–2, 5 · audit 1": partitions by topic, runs of neighbours as ranges.
    static QString assignmentText(const std::vector<TopicPartitions> &assignment);
    // "Stable · 2 members · range · generation 4", for the pane above the members.
    static QString summary(const GroupSnapshot &group);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    // The chosen group's own fields (state, members, generation) changed, or it came or went.
    void groupChanged();

private:
    struct Row
    {
        GroupMemberSnapshot member;
        QString assignment; // assignmentText() of member.assignment
        bool leader = false;
    };

    QByteArray m_groupId;
    std::optional<GroupSnapshot> m_group; // without its offsets, which the pane does not show
    std::vector<Row> m_rows;              // by member id
    std::int64_t m_nowMs = 0;
};

} // namespace rivulet
