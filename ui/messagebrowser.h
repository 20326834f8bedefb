#pragma once

#include "read.h"
#include "refreshdata.h"

#include <QWidget>

class QBoxLayout;
class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QSpinBox;
class QSplitter;
class QTableView;
class QTimer;
class QToolButton;

namespace rivulet {

class ClusterSource;
class MessagesModel;
class RecordDetailPane;

// The message browser: a topic and a partition or all partitions merged by timestamp, where
// to start (newest — the last page, shown with the newest row at the bottom, and read again
// whenever the browser is shown with more records stored — oldest, an offset or a time),
// a live-tail toggle, a text filter (or a regular expression) over key, value and headers and
// a header filter above a table that loads more records as it is scrolled, and the selected
// record in full below it. Re-publish… (context menu, detail pane) asks for the record to
// be sent again.
class MessageBrowser : public QWidget
{
    Q_OBJECT
public:
    explicit MessageBrowser(ClusterSource &source, QWidget *parent = nullptr);

    void setTopics(const QStringList &names);
    // Where the partition counts come from (the window's last refresh); without, the source.
    void setPartitionCountLookup(PartitionCountLookup lookup);
    // Browses topic/partition from the newest records, unless it is already shown.
    void showPartition(const QString &topic, int partition);
    void focusFilter();
    // The refresh tick: reads new records when live tail is on.
    void poll();

    MessagesModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    RecordDetailPane *detail() const { return m_detail; }
    QComboBox *topicBox() const { return m_topic; }
    QSpinBox *partitionBox() const { return m_partition; }
    QComboBox *startBox() const { return m_start; }
    QLineEdit *offsetEdit() const { return m_offset; }
    QDateTimeEdit *timeEdit() const { return m_time; }
    QLineEdit *filterEdit() const { return m_filter; }
    QToolButton *regexButton() const { return m_regex; }
    QLineEdit *headerFilterEdit() const { return m_header; }
    QLabel *statusLabel() const { return m_status; }
    QToolButton *liveTailButton() const { return m_liveTail; }
    QSplitter *splitter() const { return m_splitter; }
    QToolButton *exportButton() const { return m_export; }

    // Writes the records shown (the filter applied) to path, JSON Lines or CSV by its suffix,
    // off the GUI thread; exportFinished says how it went, as does the status line.
    void exportTo(const QString &path);

public Q_SLOTS:
    // Reads again with the chosen topic, partition and start.
    void go();

    // Re-publish… for the record in the current row.
    void republishCurrent();

Q_SIGNALS:
    void exportFinished(qint64 written, const QString &error);
    // The user wants record (of topic) sent again: the window opens the inject dialog with it.
    void republishRequested(const QString &topic, const rivulet::DecodedRecord &record);

protected:
    void showEvent(QShowEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void updatePartitionRange();
    void placeFilters();
    void updateStatus();
    void selectionChanged();
    void chooseExportFile();
    void applyFilter();
    void showContextMenu(const QPoint &at);

    ClusterSource &m_source;
    PartitionCountLookup m_partitionCounts;
    MessagesModel *m_model;
    QComboBox *m_topic;
    QSpinBox *m_partition;
    QComboBox *m_start;
    QLineEdit *m_offset;
    QDateTimeEdit *m_time;
    QToolButton *m_liveTail;
    QLineEdit *m_filter;
    QToolButton *m_regex;
    QLineEdit *m_header;
    QTimer *m_filterDelay;
    QLabel *m_status;
    QString m_message;
    QTableView *m_view;
    RecordDetailPane *m_detail;
    QSplitter *m_splitter;
    bool m_follow = false;         // live tail keeps the newest row in view
    bool m_scrollToNewest = false; // Newest: the first rows of the read bring the last in view
    QString m_deletedTopic;        // the topic shown until it was deleted, until another is chosen
    QToolButton *m_export;
    QWidget *m_filterRow; // filter, .*, header filter: on the read line or a line below
    QBoxLayout *m_readBar = nullptr;
    QBoxLayout *m_topLayout = nullptr;
};

} // namespace rivulet
