#include "messagebrowser.h"

#include "broker.h"
#include "celldelegate.h"
#include "displayformat.h"
#include "messagesmodel.h"
#include "offthread.h"
#include "recorddetailpane.h"
#include "recordexport.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpressionValidator>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace rivulet {

MessageBrowser::MessageBrowser(Broker &broker, QWidget *parent)
    : QWidget(parent), m_broker(broker), m_model(new MessagesModel(this)),
      m_topic(new QComboBox(this)), m_partition(new QSpinBox(this)), m_start(new QComboBox(this)),
      m_offset(new QLineEdit(this)), m_liveTail(new QToolButton(this)),
      m_filter(new QLineEdit(this)), m_filterDelay(new QTimer(this)), m_status(new QLabel(this)),
      m_view(new QTableView(this)), m_detail(new RecordDetailPane(this)),
      m_splitter(new QSplitter(Qt::Vertical, this)), m_export(new QToolButton(this))
{
    m_topic->setMinimumContentsLength(16);
    m_topic->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_topic->setToolTip(tr("Topic"));
    m_partition->setPrefix(tr("partition "));
    m_partition->setToolTip(tr("Partition"));
    // rows are always in offset order: Newest shows the last page, scrolled to the bottom
    m_start->addItem(tr("Newest (at the bottom)"), int(MessagesModel::Start::Newest));
    m_start->addItem(tr("Oldest"), int(MessagesModel::Start::Oldest));
    m_start->addItem(tr("From offset"), int(MessagesModel::Start::AtOffset));
    m_start->setToolTip(tr("Where to start reading. Rows are in offset order: the newest "
                           "message is the last row."));
    m_offset->setValidator(new QRegularExpressionValidator(
        QRegularExpression(QStringLiteral("[0-9]{1,18}")), m_offset));
    m_offset->setPlaceholderText(tr("offset"));
    m_offset->setMaximumWidth(fontMetrics().horizontalAdvance(QLatin1Char('0')) * 14);
    m_offset->setEnabled(false);
    auto *goButton = new QToolButton(this);
    goButton->setText(tr("Go"));
    goButton->setObjectName(QStringLiteral("go"));
    goButton->setToolTip(tr("Read from the chosen start (Return)"));
    m_liveTail->setText(tr("Live tail"));
    m_liveTail->setCheckable(true);
    m_liveTail->setToolTip(tr("Keep showing new messages as they arrive (Ctrl+T)"));
    m_filter->setPlaceholderText(tr("Filter key or value… (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
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
    m_view->setColumnWidth(MessagesModel::Offset, digit * 11);
    m_view->setColumnWidth(MessagesModel::Timestamp, digit * 14);
    m_view->setColumnWidth(MessagesModel::Key, digit * 16);
    m_view->setColumnWidth(MessagesModel::Headers, digit * 8);
    m_view->setColumnWidth(MessagesModel::Size, digit * 9);
    m_view->horizontalHeader()->setSectionResizeMode(MessagesModel::Value, QHeaderView::Stretch);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_topic, 2);
    bar->addWidget(m_partition);
    bar->addWidget(m_start);
    bar->addWidget(m_offset);
    bar->addWidget(goButton);
    bar->addSpacing(8);
    bar->addWidget(m_liveTail);
    bar->addWidget(m_filter, 3);
    m_export->setText(tr("Export…"));
    m_export->setToolTip(tr("Write the records shown to a JSON Lines or CSV file, keys, headers "
                            "and timestamps included (the format of rivulet-cli export)"));
    connect(m_export, &QToolButton::clicked, this, &MessageBrowser::chooseExportFile);
    bar->addWidget(m_export);

    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addLayout(bar);
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
        updatePartitionRange();
        go();
    });
    connect(m_partition, &QSpinBox::valueChanged, this, &MessageBrowser::go);
    connect(m_start, &QComboBox::currentIndexChanged, this, [this] {
        const bool atOffset =
            MessagesModel::Start(m_start->currentData().toInt()) == MessagesModel::Start::AtOffset;
        m_offset->setEnabled(atOffset);
        if (atOffset && m_offset->text().isEmpty())
            m_offset->setFocus();
        else
            go();
    });
    connect(m_offset, &QLineEdit::returnPressed, this, &MessageBrowser::go);
    connect(goButton, &QToolButton::clicked, this, &MessageBrowser::go);
    connect(m_liveTail, &QToolButton::toggled, m_model, &MessagesModel::setLiveTail);
    connect(m_model, &MessagesModel::startChanged, this, [this](MessagesModel::Start start) {
        // the box says what is shown: no read of its own for this change
        const QSignalBlocker block(m_start);
        m_start->setCurrentIndex(m_start->findData(int(start)));
        m_offset->setEnabled(start == MessagesModel::Start::AtOffset);
    });
    connect(m_filter, &QLineEdit::textChanged, m_filterDelay, qOverload<>(&QTimer::start));
    connect(m_filter, &QLineEdit::returnPressed, m_filterDelay, [this] {
        m_filterDelay->stop();
        m_model->setFilter(m_filter->text());
    });
    connect(m_filterDelay, &QTimer::timeout, this,
            [this] { m_model->setFilter(m_filter->text()); });
    connect(m_model, &MessagesModel::readingChanged, this, &MessageBrowser::updateStatus);
    connect(m_model, &MessagesModel::messageChanged, this, [this](const QString &message) {
        m_message = message;
        updateStatus();
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        m_detail->setTopicPartition(m_model->topicName(), m_model->partition());
        m_detail->setRecord(nullptr);
    });
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
    QStringList existing;
    existing.reserve(m_topic->count());
    for (int i = 0; i < m_topic->count(); ++i)
        existing << m_topic->itemText(i);
    if (existing == names)
        return;
    const QString current = m_topic->currentText();
    m_topic->blockSignals(true);
    m_topic->clear();
    m_topic->addItems(names);
    const int index = int(names.indexOf(current));
    m_topic->setCurrentIndex(index >= 0 ? index : (names.isEmpty() ? -1 : 0));
    m_topic->blockSignals(false);
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
    m_topic->blockSignals(true);
    m_partition->blockSignals(true);
    m_topic->setCurrentIndex(index);
    updatePartitionRange();
    m_partition->setValue(partition);
    m_topic->blockSignals(false);
    m_partition->blockSignals(false);
    go();
}

void MessageBrowser::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    // back from another tab: Newest means the newest records now, if more have arrived
    if (m_model->start() == MessagesModel::Start::Newest && !m_model->liveTail() &&
        !m_model->topicName().isEmpty() && m_model->endOffset() > m_model->nextOffset())
        go();
}

void MessageBrowser::updatePartitionRange()
{
    const auto topic = m_broker.topics().find(m_topic->currentText().toUtf8());
    m_partition->blockSignals(true);
    m_partition->setRange(0, topic ? topic->partitionCount() - 1 : 0);
    m_partition->blockSignals(false);
}

void MessageBrowser::go()
{
    const auto start = MessagesModel::Start(m_start->currentData().toInt());
    m_model->browse(m_broker.topics().find(m_topic->currentText().toUtf8()), m_partition->value(),
                    start, m_offset->text().toLongLong());
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
    m_detail->setTopicPartition(m_model->topicName(), m_model->partition());
    m_detail->setRecord(m_model->record(m_view->currentIndex().row()));
}

void MessageBrowser::updateStatus()
{
    if (m_model->topicName().isEmpty()) {
        m_status->setText(m_topic->count() == 0 ? tr("No topics yet: create one with Ctrl+N")
                                                : tr("Choose a topic"));
        return;
    }
    QStringList parts;
    const int rows = m_model->rowCount();
    const BrowsedRecord *first = m_model->record(0);
    const BrowsedRecord *last = m_model->record(rows - 1);
    if (rows == 0)
        parts << (m_model->filter().isEmpty() ? tr("no messages") : tr("no matches"));
    else
        parts << tr("%1 shown, offsets %2–%3")
                     .arg(display::count(rows), display::count(first->offset),
                          display::count(last->offset));
    parts << tr("end offset %1").arg(display::count(m_model->endOffset()));
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
        QStringLiteral("%1-%2.jsonl").arg(m_model->topicName()).arg(m_model->partition()),
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
    what.partition = m_model->partition();
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
