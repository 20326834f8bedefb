#pragma once

#include <QDialog>
#include <QSet>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QThreadPool;

namespace rivulet {

class ClusterSource;

// Asks for a topic name (Kafka's rules, checked as it is typed) and a partition count (its
// range checked as it is typed, Create disabled while it is out of it), and
// creates the topic off the GUI thread (a durable broker writes its metadata file; a cluster is
// on the network). A name among the topics the window last saw is refused as it is typed;
// one created meanwhile is refused by the source. Errors stay in the dialog; on success it
// emits topicCreated() and closes.
class CreateTopicDialog : public QDialog
{
    Q_OBJECT
public:
    CreateTopicDialog(ClusterSource &source, QThreadPool &pool, QWidget *parent = nullptr);

    // The topics that exist (from the window's last refresh), for the check as it is typed.
    void setTopics(const QStringList &names);

    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *partitionsEdit() const { return m_partitions; }
    QLabel *problemLabel() const { return m_problem; }
    QDialogButtonBox *buttons() const { return m_buttons; }

    void accept() override;

Q_SIGNALS:
    void topicCreated(const QString &name, int partitions);

private:
    // Why the name cannot be used, or empty.
    QString nameProblem() const;
    // Why the partition count cannot be used, or empty. What was typed is never changed
    // into another number: out of range is refused here, with the range.
    QString partitionsProblem() const;
    // The first problem of the two.
    QString problem() const;
    void validate();
    void showProblem(const QString &problem);

    ClusterSource &m_source;
    QSet<QString> m_existing;
    QThreadPool &m_pool;
    QLineEdit *m_name;
    QLineEdit *m_partitions;
    QLabel *m_problem;
    QDialogButtonBox *m_buttons;
    bool m_creating = false;
};

} // namespace rivulet
