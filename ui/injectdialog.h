#pragma once

#include "messageinjector.h"
#include "refreshdata.h"

#include <QDialog>

#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace rivulet {

class ClusterSource;

// Writes messages into a topic from the window: a partition or round-robin, an optional
// key, the value as text (one message, or one per line) or the lines of a file, optional
// headers (Add header opens the new row for typing; Send takes a cell still being edited
// and refuses a row with a value but no name), and a repeat count with an {i} placeholder to
// generate load. The writing runs off the GUI thread; the dialog stays open for the next batch.
class InjectDialog : public QDialog
{
    Q_OBJECT
public:
    InjectDialog(ClusterSource &source, QThreadPool &pool, QWidget *parent = nullptr);

    void setTopics(const QStringList &names);
    // Where the partition counts come from (the window's last refresh); without, the source.
    void setPartitionCountLookup(PartitionCountLookup lookup);
    void setTopic(const QString &topic, int partition = -1);
    void setValuesFile(const QString &path);
    // Re-publish: fills the dialog with record, to send again to topic (or another one
    // chosen): its partition (any other, or round-robin, may be chosen), key, value and
    // headers, all editable, repeat 1 and {i} left as it is. Bytes that are not UTF-8 and a
    // null value or header value are sent exactly as they were unless their field is edited.
    void prefill(const QString &topic, const DecodedRecord &record);

    QComboBox *topicBox() const { return m_topic; }
    QComboBox *partitionBox() const { return m_partition; }
    QCheckBox *keyCheck() const { return m_useKey; }
    QLineEdit *keyEdit() const { return m_key; }
    QPlainTextEdit *valueEdit() const { return m_value; }
    QCheckBox *perLineCheck() const { return m_perLine; }
    QCheckBox *placeholdersCheck() const { return m_placeholders; }
    QTableWidget *headersTable() const { return m_headers; }
    QSpinBox *repeatEdit() const { return m_repeat; }
    QPushButton *sendButton() const { return m_send; }
    QLabel *resultLabel() const { return m_result; }
    bool isSending() const { return m_injector->isRunning(); }

    InjectRequest request() const;

public Q_SLOTS:
    void send();

Q_SIGNALS:
    void injected(const rivulet::InjectResult &result);

private:
    void updatePartitions();
    // Puts the text of a header cell still being edited into its item.
    void commitHeaderEdit();
    // Why the headers cannot be sent as they are (a row with a value but no name), or empty.
    QString headersProblem() const;
    void updateSummary();
    void finished(const InjectResult &result);
    void chooseFile();

    ClusterSource &m_source;
    PartitionCountLookup m_partitionCounts;
    MessageInjector *m_injector;
    QComboBox *m_topic;
    QComboBox *m_partition;
    QCheckBox *m_useKey;
    QLineEdit *m_key;
    QPlainTextEdit *m_value;
    QCheckBox *m_perLine;
    QLabel *m_file;
    QPushButton *m_clearFile;
    QString m_valuesFile;
    QTableWidget *m_headers;
    QSpinBox *m_repeat;
    QCheckBox *m_placeholders;
    QLabel *m_summary;
    QProgressBar *m_progress;
    QLabel *m_result;
    QPushButton *m_send;
    QPushButton *m_stop;
    int m_nextPartition = 0;
    // What prefill() put in the key and value fields, as shown and as it was: a field still
    // showing it sends the original bytes (or null).
    struct Prefilled
    {
        QString keyText;
        QByteArray key;
        QString valueText;
        std::optional<QByteArray> value;
    };
    std::optional<Prefilled> m_prefilled;
};

} // namespace rivulet
