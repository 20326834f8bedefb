#pragma once

#include <QDialog>

class QLineEdit;
class QPushButton;

namespace rivulet {

// Asks before a topic that holds messages is deleted, as Kafka UI and Redpanda Console do:
// its name must be typed, and Delete stays disabled until it matches exactly. (An empty
// topic is only confirmed with a button: MainWindow::deleteTopic.)
class DeleteTopicDialog : public QDialog
{
    Q_OBJECT
public:
    DeleteTopicDialog(const QString &topic, std::int64_t messages, QWidget *parent = nullptr);

    QString topic() const { return m_topic; }
    QLineEdit *nameEdit() const { return m_name; }
    QPushButton *deleteButton() const { return m_delete; }

private:
    QString m_topic;
    QLineEdit *m_name;
    QPushButton *m_delete;
};

} // namespace rivulet
