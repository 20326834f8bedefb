#pragma once

#include "read.h"
#include "valueformat.h"

#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QToolButton;

namespace rivulet {

// The selected record in full: partition, offset, time, key, headers and the value as text,
// pretty-printed JSON or a hex dump (automatic, or as chosen), and Re-publish… to send it
// again (to the same or another topic) through the inject dialog.
class RecordDetailPane : public QWidget
{
    Q_OBJECT
public:
    explicit RecordDetailPane(QWidget *parent = nullptr);

    void setRecord(const DecodedRecord *record);
    void setTopic(const QString &topic);
    const DecodedRecord *record() const { return m_record ? &*m_record : nullptr; }
    QPlainTextEdit *valueView() const { return m_value; }
    QComboBox *viewChoice() const { return m_view; }
    QLabel *summaryLabel() const { return m_summary; }
    valueformat::View shownView() const { return m_shown; }
    QToolButton *republishButton() const { return m_republish; }

Q_SIGNALS:
    // Re-publish… was chosen for the record shown.
    void republishRequested();

private:
    void render();

    std::optional<DecodedRecord> m_record;
    QString m_topic;
    QLabel *m_summary;
    QLabel *m_meta;
    QComboBox *m_view;
    QLabel *m_problem;
    QPlainTextEdit *m_value;
    QToolButton *m_republish;
    valueformat::View m_shown = valueformat::View::Text;
};

} // namespace rivulet
