#pragma once

#include "monitor/groupsnapshot.h"

#include <QDialog>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QPushButton;
class QStackedWidget;
class QTableWidget;
class QThreadPool;
class QTimer;

namespace rivulet {

// Asks for new committed offsets of a Kafka consumer group on a topic, as Kafka's
// kafka-consumer-groups --reset-offsets does: to the earliest or latest offset, to one
// offset, to the first record at or after a date and time, or shifted by ±N from the
// committed offsets, and then any partition's new offset edited by hand. A preview table
// shows each partition's stored offsets, committed offset and lag now, and its new offset
// and the lag it leaves, before anything is applied. Typed offsets are checked as they are
// typed (digits only, within what the partition holds); a partition left empty keeps its
// offset. Kafka resets only an empty group: while the group has members the dialog says so
// and Reset waits. The caller applies offsets() once the dialog is accepted.
class ResetOffsetsDialog : public QDialog
{
    Q_OBJECT
public:
    struct PartitionRange
    {
        int partition = 0;
        std::int64_t committed = -1; // -1: nothing committed
        std::int64_t start = 0;
        std::int64_t end = 0;
    };
    enum class Mode
    {
        Earliest,
        Latest,
        Offset,
        Timestamp,
        Shift,
        ByHand, // each partition's offset typed in the table
    };
    // The offset of the first record at or after a time in each partition, or why not (an
    // empty error and an offset: found; with none after the time, the partition's end).
    struct TimestampAnswer
    {
        int partition = 0;
        std::int64_t offset = -1;
        QString error;
    };
    // Runs on a pool thread: it reads the log.
    using TimestampLookup = std::function<std::vector<TimestampAnswer>(std::int64_t ms)>;

    ResetOffsetsDialog(const QString &group, const QString &topic,
                       std::vector<PartitionRange> partitions, TimestampLookup lookup,
                       QThreadPool &pool, QWidget *parent = nullptr);

    // The group's state now (the window calls it on every refresh): Reset is offered only
    // while the group is Empty (or Dead, which Kafka also allows).
    void setGroupState(GroupState state, int members);
    // The partitions as the window's latest refresh has them: the preview's stored offsets,
    // committed offsets and lag follow, and so do the earliest, latest and shift modes'
    // offsets (typed offsets and a time's answer stay as they are).
    void updatePartitions(const std::vector<PartitionRange> &partitions);

    void setMode(Mode mode);
    Mode mode() const;
    // Partition → new offset, for the partitions given one.
    std::map<int, std::int64_t> offsets() const;
    // A time lookup is on its way: the preview is not complete yet.
    bool lookingUp() const { return m_lookupPending; }

    QComboBox *modeBox() const { return m_mode; }
    QLineEdit *allEdit() const { return m_all; }
    QDateTimeEdit *timeEdit() const { return m_time; }
    QLineEdit *shiftEdit() const { return m_shift; }
    QLineEdit *offsetEdit(int partition) const;
    QTableWidget *preview() const { return m_table; }
    // The new lag shown for a partition, as the preview's cell reads.
    QString newLagText(int partition) const;
    QLabel *stateLabel() const { return m_state; }
    QLabel *problemLabel() const { return m_problem; }
    QPushButton *resetButton() const { return m_reset; }

Q_SIGNALS:
    // A time lookup came back and the preview shows its offsets.
    void lookedUp();

private:
    int rowOf(int partition) const;
    void showRange(int row);
    // Fills every partition's new offset from the mode and its value.
    void fill();
    void lookUp();
    void validate();

    std::vector<PartitionRange> m_partitions;
    TimestampLookup m_lookup;
    QThreadPool &m_pool;
    std::vector<QLineEdit *> m_edits; // one per partition, in m_partitions' order
    QComboBox *m_mode;
    QStackedWidget *m_values;
    QLineEdit *m_all;
    QDateTimeEdit *m_time;
    QLineEdit *m_shift;
    QWidget *m_noValue;
    QTableWidget *m_table;
    QLabel *m_state;
    QLabel *m_note;
    QLabel *m_problem;
    QPushButton *m_reset;
    QTimer *m_lookupDelay;
    bool m_filling = false;
    bool m_groupEmpty = true;
    bool m_lookupPending = false;
    QStringList m_lookupErrors; // of the last time lookup, by partition
    std::uint64_t m_lookupSequence = 0;
};

} // namespace rivulet
