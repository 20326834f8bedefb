#pragma once

#include "clustersource.h"
#include "refreshdata.h"
#include "resetoffsetsdialog.h"

#include <QPointer>
#include <QWidget>

#include <functional>
#include <memory>

class QLabel;
class QMenu;
class QModelIndex;
class QSettings;
class QSortFilterProxyModel;
class QSplitter;
class QTableView;
class QThreadPool;

namespace rivulet {

class ConsumersModel;
class GroupMembersModel;

// The Consumers tab: every consumer's position, lag and rate per partition (native consumers
// and Kafka groups, each group row with the member that holds the partition and the group's
// state), and below it the members of the group chosen in the table (member id, client id,
// host, assigned partitions) under a line with its state, protocol and generation. Reads only
// the window's snapshots (RefreshData); acts only through the ClusterSource: reset a group's
// offsets (asked first, or with the reset dialog's preview), delete a group, forget a native
// consumer's position (offered only when the source has native consumers). Every action and
// the reset dialog's time lookups run on the task pool (a cluster is on the network); their
// outcome comes back to the GUI thread: changed() and note(), or a message box.
class ConsumersPanel : public QWidget
{
    Q_OBJECT
public:
    ConsumersPanel(ClusterSource &source, QThreadPool &tasks, QWidget *parent = nullptr);

    // Merges a refresh into the models (and the open reset dialog's group state).
    void apply(const std::shared_ptr<const RefreshData> &data);

    // The context menu of a consumers table row (an index of the table's model); the caller
    // owns it. Empty for an invalid index.
    QMenu *consumerMenu(const QModelIndex &index);
    // A Kafka group's offsets on a topic moved for every partition (only while it has no
    // members), without asking, off the GUI thread: done() then changed() and note(), or a
    // message box saying why it was refused.
    void resetGroupOffsets(const QByteArray &group, const QString &topic, ResetTo to,
                           qint64 offset = 0);
    // Opens the reset dialog: earliest, latest, an offset, a time, a shift or per partition,
    // with a preview; applied when the user presses Reset.
    ResetOffsetsDialog *openResetOffsets(const QByteArray &group, const QString &topic);
    // Asks, then deletes the group off the GUI thread (refused while it has members).
    void deleteGroup(const QByteArray &group);
    // Forgets a native consumer's position off the GUI thread (a message box if it had none).
    void forgetConsumer(const QString &topic, int partition, const QByteArray &consumer);
    // Shows that group's members below the table (as choosing one of its rows does).
    void showGroup(const QByteArray &group);

    ConsumersModel *model() const { return m_model; }
    GroupMembersModel *membersModel() const { return m_members; }
    QTableView *view() const { return m_view; }
    QTableView *membersView() const { return m_membersView; }
    QLabel *groupSummary() const { return m_summary; }
    QSplitter *splitter() const { return m_splitter; }

    void saveState(QSettings &settings) const;
    void restoreState(const QSettings &settings);

Q_SIGNALS:
    // The broker changed (a reset, a deletion): the window should refresh now.
    void changed();
    // A line for the status bar ("Reset the offsets of …").
    void note(const QString &text);
    // An action (reset, delete, forget) came back from the source; ok: it was done.
    void done(bool ok);

private:
    void currentRowChanged(const QModelIndex &current);
    void updateSummary();
    void updateResetDialog();
    // The group and the topic as the last refresh had them, or nullptr.
    const GroupSnapshot *lastGroup(const QByteArray &group) const;
    const TopicSnapshot *lastTopic(const QString &topic) const;
    // The topic's partitions with the group's committed offsets, for the reset dialog.
    std::vector<ResetOffsetsDialog::PartitionRange> rangesOf(const QByteArray &group,
                                                             const TopicSnapshot &topic) const;

    // Runs a group change on the task pool; then() gets its outcome and error on the GUI
    // thread.
    void changeGroup(std::function<GroupOutcome(ClusterSource &, QString &)> change,
                     std::function<void(GroupOutcome, const QString &)> then);
    void resetDone(const QByteArray &group, const QString &topic, GroupOutcome outcome,
                   const QString &error);

    ClusterSource &m_source;
    QThreadPool &m_tasks;
    ConsumersModel *m_model;
    GroupMembersModel *m_members;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_view;
    QLabel *m_summary;
    QTableView *m_membersView;
    QSplitter *m_splitter;
    std::shared_ptr<const RefreshData> m_last;
    QPointer<ResetOffsetsDialog> m_resetDialog;
    QByteArray m_resetGroup;
    QString m_resetTopic;
};

} // namespace rivulet
