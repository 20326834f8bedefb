#include "messagebrowser.h"

#include "celldelegate.h"
#include "clustersource.h"
#include "displayformat.h"
#include "messagesmodel.h"
#include "offthread.h"
#include "recorddetailpane.h"
#include "recordexport.h"
#include "topicchoice.h"

#include <QComboBox>
#include <QDateTime>
#include <QDateTimeEdit>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QRegularExpressionValidator>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace rivulet {

MessageBrowser::MessageBrowser(ClusterSource &source, QWidget *parent)
    : QWidget(parent), m_source(source), m_model(new MessagesModel(source, this)),
      m_topic(new QComboBox(this)), m_partition(new QSpinBox(this)), m_start(new QComboBox(this)),
      m_offset(new QLineEdit(this)), m_time(new QDateTimeEdit(this)),
      m_liveTail(new QToolButton(this)), m_filter(new QLineEdit(this)),
      m_regex(new QToolButton(this)), m_header(new QLineEdit(this)),
      m_filterDelay(new QTimer(this)), m_status(new QLabel(this)), m_view(new QTableView(this)),
      m_detail(new RecordDetailPane(this)), m_splitter(new QSplitter(Qt::Vertical, this)),
      m_export(new QToolButton(this)), m_filterRow(new QWidget(this))
{
    m_topic->setMinimumContentsLength(16);
    m_topic->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_topic->setToolTip(tr("Topic"));
    m_partition->setPrefix(tr("partition "));
    // the lowest value stands for every partition, merged by timestamp
    m_partition->setMinimum(MessagesModel::kAllPartitions);
    m_partition->setSpecialValueText(tr("All partitions"));
    m_partition->setToolTip(tr("Partition, or All partitions: the records of every partition "
                               "merged by timestamp (ties by partition, then offset)"));
    // rows are always in reading order: Newest shows the last page, scrolled to the bottom
    m_start->addItem(tr("Newest (at the bottom)"), int(MessagesModel::Start::Newest));
    m_start->addItem(tr("Oldest"), int(MessagesModel::Start::Oldest));
    m_start->addItem(tr("From offset"), int(MessagesModel::Start::AtOffset));
    m_start->addItem(tr("From time"), int(MessagesModel::Start::AtTime));
    m_start->setToolTip(
        tr("Where to start reading. Rows are in offset order (All partitions: in timestamp "
           "order), so the newest message is the last row. Newest: the %1 newest messages "
           "(of all partitions together when merged). From offset: that offset in each "
           "partition. From time: each partition's first message at or after the time.")
            .arg(MessagesModel::kPageSize));
    m_offset->setValidator(new QRegularExpressionValidator(
        QRegularExpression(QStringLiteral("[0-9]{1,18}")), m_offset));
    m_offset->setPlaceholderText(tr("offset"));
    m_offset->setMaximumWidth(fontMetrics().horizontalAdvance(QLatin1Char('0')) * 14);
    m_offset->setMinimumWidth(fontMetrics().horizontalAdvance(QLatin1Char('0')) * 9);
    m_offset->setEnabled(false);
    m_time->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    m_time->setCalendarPopup(true);
    m_time->setTimeSpec(Qt::LocalTime);
    const QDateTime hourAgo = QDateTime::currentDateTime().addSecs(-3600);
    m_time->setDateTime(hourAgo.addMSecs(-hourAgo.time().msec()));
    m_time->setVisible(false);
    auto timeTip = [this] {
        m_time->setToolTip(
            tr("Local time; %1 UTC. Each partition starts at its first message "
               "with a timestamp at or after it (Return reads).")
                .arg(m_time->dateTime().toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))));
    };
    timeTip();
    connect(m_time, &QDateTimeEdit::dateTimeChanged, this, timeTip);
    auto *goButton = new QToolButton(this);
    goButton->setText(tr("Go"));
    goButton->setObjectName(QStringLiteral("go"));
    goButton->setToolTip(tr("Read from the chosen start (Return)"));
    m_liveTail->setText(tr("Live tail"));
    m_liveTail->setCheckable(true);
    m_liveTail->setToolTip(tr("Keep showing new messages as they arrive (Ctrl+T)"));
    m_filter->setPlaceholderText(tr("Filter key, value, headers… (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
    m_regex->setText(QStringLiteral(".*"));
    m_regex->setCheckable(true);
    m_regex->setToolTip(tr("Regular expression: the filter is a Perl-style regular expression "
                           "searched in key, value and headers (case-sensitive; (?i) ignores "
                           "case). Off: plain text, ignoring case."));
    m_header->setPlaceholderText(tr("header[=value]"));
    m_header->setClearButtonEnabled(true);
    m_header->setToolTip(tr("Only messages with this header (exact name), and with =value, "
                            "with exactly that value"));
    m_header->setMaximumWidth(fontMetrics().horizontalAdvance(QLatin1Char('x')) * 22);
    m_filterDelay->setSingleShot(true);
    m_filterDelay->setInterval(300);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_view->setModel(m_model);
    m_view->setItemDelegate(new CellDelegate(m_view));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    m_view->horizontalHeader()->setHighlightSections(false);
    const int digit = fontMetrics().horizontalAdvance(QLatin1Char('0'));
    m_view->setColumnWidth(MessagesModel::Partition, digit * 9);
    m_view->setColumnHidden(MessagesModel::Partition, true); // shown when merged
    m_view->setColumnWidth(MessagesModel::Offset, digit * 11);
    m_view->setColumnWidth(MessagesModel::Timestamp, digit * 20); // a date and a time
    m_view->setColumnWidth(MessagesModel::Key, digit * 16);
    m_view->setColumnWidth(MessagesModel::Headers, digit * 8);
    m_view->setColumnWidth(MessagesModel::Size, digit * 9);
    m_view->horizontalHeader()->setSectionResizeMode(MessagesModel::Value, QHeaderView::Stretch);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_topic, 2);
    bar->addWidget(m_partition);
    bar->addWidget(m_start);
    bar->addWidget(m_offset);
    bar->addWidget(m_time);
    bar->addWidget(goButton);
    bar->addSpacing(8);
    bar->addWidget(m_liveTail);
    // The filters go on a line of their own when the window is too narrow for one line: a
    // filter squeezed to "Fil…" cannot be used, and one line held the window at least
    // ~920 px wide.
    m_filter->setMinimumWidth(digit * 24);
    m_header->setMinimumWidth(digit * 10);
    auto *filterLayout = new QHBoxLayout(m_filterRow);
    filterLayout->setContentsMargins(0, 0, 0, 0);
    filterLayout->addWidget(m_filter, 3);
    filterLayout->addWidget(m_regex);
    filterLayout->addWidget(m_header, 1);
    m_readBar = bar;
    m_filterRow->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    bar->addWidget(m_filterRow, 4);
    m_export->setText(tr("Export…"));
    m_export->setToolTip(tr("Write the records shown to a JSON Lines or CSV file, keys, headers "
                            "and timestamps included (the format of rivulet-cli export)"));
    connect(m_export, &QToolButton::clicked, this, &MessageBrowser::chooseExportFile);
    bar->addWidget(m_export);

    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addLayout(bar);
    m_topLayout = topLayout;
    topLayout->addWidget(m_view, 1);
    topLayout->addWidget(m_status);
    m_splitter->addWidget(top);
    m_splitter->addWidget(m_detail);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    m_splitter->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_splitter);

    connect(m_topic, &QComboBox::currentTextChanged, this, [this] {
        m_deletedTopic.clear();
        updatePartitionRange();
        go();
    });
    connect(m_partition, &QSpinBox::valueChanged, this, &MessageBrowser::go);
    connect(m_start, &QComboBox::currentIndexChanged, this, [this] {
        const auto start = MessagesModel::Start(m_start->currentData().toInt());
        const bool atOffset = start == MessagesModel::Start::AtOffset;
        m_offset->setEnabled(atOffset);
        m_offset->setVisible(start != MessagesModel::Start::AtTime);
        m_time->setVisible(start == MessagesModel::Start::AtTime);
        if (start == MessagesModel::Start::AtTime) {
            // typing digits then fills year, month, day, hours… in turn
            m_time->setFocus(Qt::OtherFocusReason);
            m_time->setSelectedSection(QDateTimeEdit::YearSection);
        }
        if (atOffset && m_offset->text().isEmpty())
            m_offset->setFocus();
        else
            go();
    });
    connect(m_offset, &QLineEdit::returnPressed, this, &MessageBrowser::go);
    connect(m_time, &QDateTimeEdit::editingFinished, this, [this] {
        if (MessagesModel::Start(m_start->currentData().toInt()) == MessagesModel::Start::AtTime)
            go();
    });
    connect(goButton, &QToolButton::clicked, this, &MessageBrowser::go);
    connect(m_liveTail, &QToolButton::toggled, m_model, &MessagesModel::setLiveTail);
    connect(m_model, &MessagesModel::startChanged, this, [this](MessagesModel::Start start) {
        // the box says what is shown: no read of its own for this change
        const QSignalBlocker block(m_start);
        m_start->setCurrentIndex(m_start->findData(int(start)));
        m_offset->setEnabled(start == MessagesModel::Start::AtOffset);
        m_offset->setVisible(start != MessagesModel::Start::AtTime);
        m_time->setVisible(start == MessagesModel::Start::AtTime);
    });
    for (QLineEdit *edit : {m_filter, m_header}) {
        connect(edit, &QLineEdit::textChanged, m_filterDelay, qOverload<>(&QTimer::start));
        connect(edit, &QLineEdit::returnPressed, this, [this] {
            m_filterDelay->stop();
            applyFilter();
        });
    }
    connect(m_regex, &QToolButton::toggled, this, &MessageBrowser::applyFilter);
    connect(m_filterDelay, &QTimer::timeout, this, &MessageBrowser::applyFilter);
    connect(m_model, &MessagesModel::readingChanged, this, &MessageBrowser::updateStatus);
    // the rows go in after reading ends: say what they are once they are there
    connect(m_model, &MessagesModel::pageRead, this, &MessageBrowser::updateStatus);
    connect(m_model, &MessagesModel::messageChanged, this, [this](const QString &message) {
        m_message = message;
        updateStatus();
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        m_detail->setTopic(m_model->topicName());
        m_detail->setRecord(nullptr);
        m_view->setColumnHidden(MessagesModel::Partition, !m_model->isMerged());
    });
    connect(m_detail, &RecordDetailPane::republishRequested, this, [this] {
        if (const DecodedRecord *r = m_detail->record())
            Q_EMIT republishRequested(m_model->topicName(), *r);
    });
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_view, &QWidget::customContextMenuRequested, this, &MessageBrowser::showContextMenu);
    // Live tail follows the newest row while the view is at the bottom; scrolling up stops
    // following, scrolling back down resumes it.
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this,
            [this](int value) { m_follow = value >= m_view->verticalScrollBar()->maximum() - 2; });
    connect(m_liveTail, &QToolButton::toggled, this, [this](bool on) {
        m_follow = on;
        if (on)
            m_view->scrollToBottom();
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        m_follow = m_model->liveTail();
        m_scrollToNewest = m_model->start() == MessagesModel::Start::Newest;
    });
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this] {
        // Newest puts the newest row in view when the first rows of a read arrive
        if ((m_model->liveTail() && m_follow) || m_scrollToNewest)
            QTimer::singleShot(0, m_view, &QTableView::scrollToBottom);
        m_scrollToNewest = false;
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &MessageBrowser::selectionChanged);
    updateStatus();
}

void MessageBrowser::setTopics(const QStringList &names)
{
    const QString current = m_topic->currentText();
    // The topic shown is gone: show nothing and say so (updateStatus); until the user
    // chooses a topic, later changes to the list do not pick one either.
    const TopicChoice choice = setTopicNames(*m_topic, names, m_deletedTopic.isEmpty());
    if (!choice.deleted.isEmpty())
        m_deletedTopic = choice.deleted;
    if (m_topic->currentText() != current) {
        updatePartitionRange();
        go();
    }
}

void MessageBrowser::showPartition(const QString &topic, int partition)
{
    if (m_model->topicName() == topic && m_model->partition() == partition) {
        // chosen again: "newest" means now, not when it was first read
        if (m_model->start() == MessagesModel::Start::Newest && !m_model->liveTail())
            go();
        return;
    }
    const int index = m_topic->findText(topic);
    if (index < 0)
        return;
    m_deletedTopic.clear();
    m_topic->blockSignals(true);
    m_partition->blockSignals(true);
    m_topic->setCurrentIndex(index);
    updatePartitionRange();
    m_partition->setValue(partition);
    m_topic->blockSignals(false);
    m_partition->blockSignals(false);
    go();
}

void MessageBrowser::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    placeFilters();
}

void MessageBrowser::placeFilters()
{
    // On the read line the filters count for nothing in its minimum (Ignored), so the window
    // can still be made narrower; here they move to their own line before they get squeezed.
    const bool inBar = m_readBar->indexOf(m_filterRow) >= 0;
    const QMargins margins = layout()->contentsMargins();
    const int room = width() - margins.left() - margins.right();
    const int needed = m_readBar->minimumSize().width() + m_filterRow->minimumSizeHint().width() +
                       m_readBar->spacing();
    const bool oneLine = room >= needed;
    if (oneLine == inBar)
        return;
    if (oneLine) {
        m_topLayout->removeWidget(m_filterRow);
        m_readBar->insertWidget(m_readBar->indexOf(m_export), m_filterRow, 4);
        m_filterRow->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    } else {
        m_readBar->removeWidget(m_filterRow);
        m_filterRow->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
        m_topLayout->insertWidget(1, m_filterRow);
    }
}

void MessageBrowser::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    placeFilters();
    // back from another tab: Newest means the newest records now, if more have arrived
    m_model->refreshNewest();
}

void MessageBrowser::updatePartitionRange()
{
    const int count = partitionCountOf(m_partitionCounts, m_source, m_topic->currentText());
    m_partition->blockSignals(true);
    m_partition->setRange(MessagesModel::kAllPartitions, std::max(0, count - 1));
    m_partition->blockSignals(false);
}

void MessageBrowser::go()
{
    const auto start = MessagesModel::Start(m_start->currentData().toInt());
    // the time to the second shown, not the milliseconds the edit started with
    const QDateTime time = m_time->dateTime();
    const std::int64_t at = start == MessagesModel::Start::AtTime
                                ? time.toMSecsSinceEpoch() - time.time().msec()
                                : m_offset->text().toLongLong();
    m_model->browse(m_topic->currentText(), m_partition->value(), start, at);
}

void MessageBrowser::focusFilter()
{
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
}

void MessageBrowser::poll()
{
    m_model->poll();
    updateStatus();
}

void MessageBrowser::selectionChanged()
{
    m_detail->setTopic(m_model->topicName());
    m_detail->setRecord(m_model->record(m_view->currentIndex().row()));
}

void MessageBrowser::applyFilter()
{
    RecordFilter filter;
    filter.text = m_filter->text();
    filter.regex = m_regex->isChecked();
    // "name" or "name=value": the first = separates (header names rarely hold one)
    const QString header = m_header->text();
    const qsizetype eq = header.indexOf(QLatin1Char('='));
    filter.headerName = (eq < 0 ? header : header.left(eq)).toUtf8();
    if (eq >= 0)
        filter.headerValue = header.mid(eq + 1).toUtf8();
    m_model->setFilter(filter);
    // a regular expression that does not compile is shown as such, never as "no matches"
    if (m_model->filterProblem().isEmpty()) {
        m_filter->setPalette(QPalette());
    } else {
        QPalette palette = m_filter->palette();
        palette.setColor(QPalette::Text, Qt::red);
        m_filter->setPalette(palette);
    }
    m_filter->setToolTip(m_model->filterProblem());
    updateStatus();
}

void MessageBrowser::showContextMenu(const QPoint &at)
{
    const QModelIndex index = m_view->indexAt(at);
    if (!index.isValid())
        return;
    m_view->setCurrentIndex(index);
    QMenu menu(this);
    menu.addAction(tr("Re-publish…"), this, &MessageBrowser::republishCurrent);
    menu.exec(m_view->viewport()->mapToGlobal(at));
}

void MessageBrowser::republishCurrent()
{
    if (const DecodedRecord *r = m_model->record(m_view->currentIndex().row()))
        Q_EMIT republishRequested(m_model->topicName(), *r);
}

void MessageBrowser::updateStatus()
{
    if (m_model->topicName().isEmpty()) {
        if (!m_deletedTopic.isEmpty())
            m_status->setText(tr("Topic %1 was deleted: choose another topic").arg(m_deletedTopic));
        else
            m_status->setText(m_topic->count() == 0 ? tr("No topics yet: create one with Ctrl+N")
                                                    : tr("Choose a topic"));
        return;
    }
    if (!m_model->filterProblem().isEmpty()) {
        m_status->setText(tr("Filter: %1").arg(m_model->filterProblem()));
        return;
    }
    QStringList parts;
    const int rows = m_model->rowCount();
    const DecodedRecord *first = m_model->record(0);
    const DecodedRecord *last = m_model->record(rows - 1);
    if (rows == 0)
        parts << (m_model->filter().isEmpty() ? tr("no messages") : tr("no matches"));
    else if (m_model->isMerged())
        parts << tr("%1 shown from %2 partitions, by time %3 – %4")
                     .arg(display::count(rows))
                     .arg(m_model->partitionsRead())
                     .arg(QDateTime::fromMSecsSinceEpoch(first->timestamp)
                              .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")),
                          QDateTime::fromMSecsSinceEpoch(last->timestamp)
                              .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
    else
        parts << tr("%1 shown, offsets %2–%3")
                     .arg(display::count(rows), display::count(first->offset),
                          display::count(last->offset));
    if (m_model->isMerged()) {
        if (const std::int64_t unread = m_model->unread(); unread > 0)
            parts << tr("%1 more stored").arg(display::count(unread));
    } else {
        parts << tr("end offset %1").arg(display::count(m_model->endOffset()));
    }
    if (!m_model->filter().isEmpty())
        parts << tr("%1 searched").arg(display::count(m_model->scanned()));
    if (m_model->isReading())
        parts << tr("reading…");
    else if (m_model->canFetchMore({}))
        parts << tr("scroll for more");
    if (!m_message.isEmpty())
        parts << m_message;
    m_status->setText(parts.join(QStringLiteral(" · ")));
}

void MessageBrowser::chooseExportFile()
{
    if (m_model->rowCount() == 0) {
        m_message = tr("nothing to export");
        updateStatus();
        return;
    }
    const QString jsonl = tr("JSON Lines (*.jsonl)");
    const QString csv = tr("CSV (*.csv)");
    QString filter = jsonl;
    QString path = QFileDialog::getSaveFileName(
        this, tr("Export records"),
        m_model->isMerged()
            ? QStringLiteral("%1.jsonl").arg(m_model->topicName())
            : QStringLiteral("%1-%2.jsonl").arg(m_model->topicName()).arg(m_model->partition()),
        jsonl + QStringLiteral(";;") + csv, &filter);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += filter == csv ? QStringLiteral(".csv") : QStringLiteral(".jsonl");
    exportTo(path);
}

void MessageBrowser::exportTo(const QString &path)
{
    RecordExport what;
    what.topic = m_model->topicName();
    const int rows = m_model->rowCount();
    what.records.reserve(rows);
    for (int row = 0; row < rows; ++row)
        what.records.append(*m_model->record(row)); // shares the bytes, copies nothing big
    m_export->setEnabled(false);
    runOffGuiThread(
        *QThreadPool::globalInstance(), this,
        [path, what = std::move(what)] { return writeRecordFile(path, what); },
        [this, path](const RecordExportResult &result) {
            m_export->setEnabled(true);
            m_message = result.error.isEmpty() ? tr("exported %1 to %2")
                                                     .arg(display::count(result.written),
                                                          QDir::toNativeSeparators(path))
                                               : result.error;
            updateStatus();
            Q_EMIT exportFinished(result.written, result.error);
        });
}

} // namespace rivulet

namespace rivulet {

void MessageBrowser::setPartitionCountLookup(PartitionCountLookup lookup)
{
    m_partitionCounts = lookup;
    m_model->setPartitionCountLookup(std::move(lookup));
}

} // namespace rivulet
