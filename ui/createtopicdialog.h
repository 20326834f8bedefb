#pragma once

#include <QDialog>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QThreadPool;

namespace rivulet {

class Broker;

// Asks for a topic name (Kafka's rules, checked as it is typed) and a partition count (its
// range checked as it is typed, Create disabled while it is out of it), and
// creates the topic off the GUI thread (a durable broker writes its metadata file). Errors
// stay in the dialog; on success it emits topicCreated() and closes.
class CreateTopicDialog : public QDialog
{
    Q_OBJECT
public:
    CreateTopicDialog(Broker &broker, QThreadPool &pool, QWidget *parent = nullptr);

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

    Broker &m_broker;
    QThreadPool &m_pool;
    QLineEdit *m_name;
    QLineEdit *m_partitions;
    QLabel *m_problem;
    QDialogButtonBox *m_buttons;
    bool m_creating = false;
};

} // namespace rivulet
