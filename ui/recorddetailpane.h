#pragma once

#include "browsedrecord.h"
#include "valueformat.h"

#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QPlainTextEdit;

namespace rivulet {

// The selected record in full: offset, time, key, headers and the value as text,
// pretty-printed JSON or a hex dump (automatic, or as chosen).
class RecordDetailPane : public QWidget
{
    Q_OBJECT
public:
    explicit RecordDetailPane(QWidget *parent = nullptr);

    void setRecord(const BrowsedRecord *record);
    void setTopicPartition(const QString &topic, int partition);
    QPlainTextEdit *valueView() const { return m_value; }
    QComboBox *viewChoice() const { return m_view; }
    QLabel *summaryLabel() const { return m_summary; }
    valueformat::View shownView() const { return m_shown; }

private:
    void render();

    std::optional<BrowsedRecord> m_record;
    QString m_topic;
    int m_partition = 0;
    QLabel *m_summary;
    QLabel *m_meta;
    QComboBox *m_view;
    QLabel *m_problem;
    QPlainTextEdit *m_value;
    valueformat::View m_shown = valueformat::View::Text;
};

} // namespace rivulet
