#pragma once

#include "clustersource.h"

#include <QDialog>

#include <map>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;
class QThreadPool;

namespace rivulet {

class ClusterSource;

// A topic's settings, as Kafka UI and Redpanda Console show them: retention (time and size
// per partition, or unlimited), the partition count (only upward) and each partition's
// start and end offsets, with purging: records before an offset deleted for good, per
// partition, or everything stored in every partition (Purge all). Every input is checked
// as it is typed and OK waits until all are good. OK applies the changes off the GUI thread
// through the ClusterSource, the operations of Kafka's IncrementalAlterConfigs,
// CreatePartitions and DeleteRecords (setRetention, addPartitions, deleteRecordsBefore);
// purging asks first. The current retention is read off the GUI thread when the dialog
// opens (retentionLoaded(); OK waits for it). Everything is checked before anything changes;
// a failure leaves retention and partitions as they were, and the dialog open with the
// source's reason. Emits changed() and closes when all went through.
class TopicSettingsDialog : public QDialog
{
    Q_OBJECT
public:
    enum PurgeColumn
    {
        PartitionColumn,
        StartColumn,
        EndColumn,
        MessagesColumn,
        PurgeColumn,
        PurgeColumnCount
    };

    TopicSettingsDialog(ClusterSource &source, QThreadPool &pool, const TopicSnapshot &topic,
                        QWidget *parent = nullptr);

    QString topic() const { return m_topic; }
    // New start and end offsets (the window's refresh); what the user typed stays.
    void setOffsets(const TopicSnapshot &topic);

    QCheckBox *unlimitedTimeCheck() const { return m_unlimitedMs; }
    QLineEdit *retentionMsEdit() const { return m_retentionMs; }
    QCheckBox *unlimitedSizeCheck() const { return m_unlimitedBytes; }
    QLineEdit *retentionBytesEdit() const { return m_retentionBytes; }
    QLineEdit *partitionsEdit() const { return m_partitions; }
    QTableWidget *purgeTable() const { return m_purge; }
    QPushButton *purgeAllButton() const { return m_purgeAll; }
    QLabel *problemLabel() const { return m_problem; }
    QDialogButtonBox *buttons() const { return m_buttons; }

    // The topic's retention has been read (the retention inputs show it).
    bool retentionLoaded() const { return m_retentionLoaded; }
    // Why OK cannot apply what is typed (the first problem), or empty.
    QString problem() const;
    void accept() override;
    // Not while changes are being applied: they would go on regardless.
    void reject() override;

Q_SIGNALS:
    // The changes went through; summary says what changed, for the status bar.
    void changed(const QString &topic, const QString &summary);

private:
    // What OK would do, read from the inputs (valid only when problem() is empty).
    struct Plan
    {
        std::optional<RetentionPolicy> retention; // when it differs from the current one
        int partitions = 0;                       // 0: unchanged
        std::map<int, std::int64_t> purges;       // partition → offset (-1: its end)
    };
    Plan plan() const;
    QString retentionProblem() const;
    QString partitionsProblem() const;
    // The purge cell of a row: nullopt when empty, -1 for "end", else the offset; problem
    // says why the text is no good.
    std::optional<std::int64_t> purgeTarget(int row, QString &problem) const;
    void validate();
    void updateHints();
    void showProblem(const QString &text, bool error);
    void apply(const Plan &plan);

    ClusterSource &m_source;
    QThreadPool &m_pool;
    QString m_topic;
    RetentionPolicy m_retention; // as the dialog opened (once m_retentionLoaded)
    bool m_retentionLoaded = false;
    QString m_retentionProblem; // it could not be read
    int m_partitionCount;
    std::vector<PartitionStats> m_stats; // by partition, as last shown
    QLabel *m_summary;
    QCheckBox *m_unlimitedMs;
    QLineEdit *m_retentionMs;
    QLabel *m_retentionMsHint;
    QCheckBox *m_unlimitedBytes;
    QLineEdit *m_retentionBytes;
    QLabel *m_retentionBytesHint;
    QLineEdit *m_partitions;
    QTableWidget *m_purge;
    QPushButton *m_purgeAll;
    QLabel *m_problem;
    QDialogButtonBox *m_buttons;
    bool m_applying = false;
};

} // namespace rivulet
