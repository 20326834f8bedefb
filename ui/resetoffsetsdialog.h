#pragma once

#include <QDialog>

#include <cstdint>
#include <map>
#include <vector>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace rivulet {

// Asks for new committed offsets of a Kafka consumer group on a topic: one for every
// partition at once, or one per partition in a table beside what each partition holds.
// Only digits can be typed, and an offset outside a partition's stored range is named as
// it is typed (Reset waits until every offset fits). A partition left empty keeps its
// offset. The caller applies offsets() once the dialog is accepted.
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

    ResetOffsetsDialog(const QString &group, const QString &topic,
                       std::vector<PartitionRange> partitions, QWidget *parent = nullptr);

    // Partition → new offset, for the partitions given one.
    std::map<int, std::int64_t> offsets() const;

    QLineEdit *allEdit() const { return m_all; }
    QLineEdit *offsetEdit(int partition) const;
    QLabel *problemLabel() const { return m_problem; }
    QPushButton *resetButton() const { return m_reset; }

private:
    void validate();

    std::vector<PartitionRange> m_partitions;
    std::vector<QLineEdit *> m_edits; // one per partition, in m_partitions' order
    QLineEdit *m_all;
    QTableWidget *m_table;
    QLabel *m_problem;
    QPushButton *m_reset;
};

} // namespace rivulet
