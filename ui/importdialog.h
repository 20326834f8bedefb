#pragma once

#include "recordimport.h"
#include "refreshdata.h"

#include <QDialog>

#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QThreadPool;
class QTimer;

namespace rivulet {

class ClusterSource;

// Import records…: a JSON Lines file in the format of `rivulet-cli export`/`import` into a
// topic, with keys, headers and timestamps kept, through ClusterSource::produce(). Import first
// reads the whole file; when every line is good the records are written at once, as the CLI
// does. When some lines are bad it writes nothing yet and lists them (number and why), and
// the button offers to import the good records and skip the bad lines. Both passes run off
// the GUI thread with a progress bar and Stop; the result names how many records went to
// which partitions and offsets.
class ImportDialog : public QDialog
{
    Q_OBJECT
public:
    ImportDialog(ClusterSource &source, QThreadPool &pool, QWidget *parent = nullptr);
    ~ImportDialog() override;

    void setTopics(const QStringList &names);
    // Where the partition counts come from (the window's last refresh); without, the source.
    void setPartitionCountLookup(PartitionCountLookup lookup);
    void setTopic(const QString &topic);
    void setFile(const QString &path);

    QComboBox *topicBox() const { return m_topic; }
    QComboBox *partitionBox() const { return m_partition; }
    QLineEdit *fileEdit() const { return m_file; }
    QPushButton *importButton() const { return m_import; }
    QPushButton *stopButton() const { return m_stop; }
    QLabel *resultLabel() const { return m_result; }
    QPlainTextEdit *badLinesView() const { return m_badLines; }
    bool isRunning() const { return m_progress != nullptr; }

public Q_SLOTS:
    // Checks the file, or imports it (skipping the bad lines once they were shown).
    void start();
    void stop();

Q_SIGNALS:
    void imported(const QString &topic, qint64 records);

protected:
    void reject() override;

private:
    enum class Stage
    {
        Check,     // the next click reads the file
        SkipAndGo, // bad lines are shown; the next click imports the good records
    };
    ImportRequest request() const;
    void run(const ImportRequest &request);
    void finished(const ImportRequest &request, const ImportResult &result);
    void updatePartitions();
    void reset(); // a new topic, partition or file: check again first

    ClusterSource &m_source;
    PartitionCountLookup m_partitionCounts;
    QThreadPool &m_pool;
    QComboBox *m_topic;
    QComboBox *m_partition;
    QLineEdit *m_file;
    QProgressBar *m_bar;
    QLabel *m_result;
    QPlainTextEdit *m_badLines;
    QPushButton *m_import;
    QPushButton *m_stop;
    QTimer *m_timer;
    std::shared_ptr<ImportProgress> m_progress; // while a pass runs
    Stage m_stage = Stage::Check;
    qint64 m_goodRecords = 0;
};

} // namespace rivulet
