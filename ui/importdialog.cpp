#include "importdialog.h"

#include "clustersource.h"
#include "displayformat.h"
#include "offthread.h"
#include "topicchoice.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace rivulet {

ImportDialog::ImportDialog(ClusterSource &source, QThreadPool &pool, QWidget *parent)
    : QDialog(parent), m_source(source), m_pool(pool), m_topic(new QComboBox(this)),
      m_partition(new QComboBox(this)), m_file(new QLineEdit(this)), m_bar(new QProgressBar(this)),
      m_result(new QLabel(this)), m_badLines(new QPlainTextEdit(this)),
      m_import(new QPushButton(tr("&Import"), this)), m_stop(new QPushButton(tr("Stop"), this)),
      m_timer(new QTimer(this))
{
    setWindowTitle(tr("Import records — Rivulet"));
    m_topic->setMinimumContentsLength(24);
    m_topic->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_file->setPlaceholderText(tr("a .jsonl file, as rivulet-cli export writes it"));
    m_partition->setToolTip(tr("Each record goes to the partition its line names (round-robin "
                               "when it names none), or every record to one partition"));
    m_bar->hide();
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_badLines->setReadOnly(true);
    m_badLines->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_badLines->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_badLines->setMaximumHeight(fontMetrics().height() * 8);
    m_badLines->hide();
    m_stop->setEnabled(false);
    m_import->setDefault(true);
    m_timer->setInterval(100);
    m_file->setFocus(); // the topic is usually chosen already; the file is what to type

    auto *browse = new QPushButton(tr("&Browse…"), this);
    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(m_file, 1);
    fileRow->addWidget(browse);
    auto *form = new QFormLayout;
    form->addRow(tr("&Topic:"), m_topic);
    form->addRow(tr("&Partition:"), m_partition);
    auto *fileLabel = new QLabel(tr("&File:"), this);
    fileLabel->setBuddy(m_file);
    form->addRow(fileLabel, fileRow);

    auto *buttons = new QDialogButtonBox(this);
    buttons->addButton(m_import, QDialogButtonBox::ActionRole);
    buttons->addButton(m_stop, QDialogButtonBox::ActionRole);
    buttons->addButton(QDialogButtonBox::Close);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_bar);
    layout->addWidget(m_result);
    layout->addWidget(m_badLines);
    layout->addWidget(buttons);
    setMinimumWidth(560);

    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path =
            QFileDialog::getOpenFileName(this, tr("Import records"), m_file->text(),
                                         tr("JSON Lines (*.jsonl *.ndjson *.json);;All files (*)"));
        if (!path.isEmpty())
            setFile(path);
    });
    connect(m_topic, &QComboBox::currentTextChanged, this, [this] {
        updatePartitions();
        reset();
    });
    connect(m_partition, &QComboBox::currentIndexChanged, this, &ImportDialog::reset);
    connect(m_file, &QLineEdit::textChanged, this, &ImportDialog::reset);
    connect(m_import, &QPushButton::clicked, this, &ImportDialog::start);
    connect(m_stop, &QPushButton::clicked, this, &ImportDialog::stop);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_timer, &QTimer::timeout, this, [this] {
        if (!m_progress)
            return;
        const qint64 total = m_progress->totalBytes.load();
        m_bar->setRange(0, 1000);
        m_bar->setValue(total > 0 ? int(m_progress->bytesRead.load() * 1000 / total) : 0);
        m_bar->setFormat(tr("%1 records").arg(display::count(m_progress->records.load())));
    });
}

ImportDialog::~ImportDialog()
{
    stop(); // the pass ends at its next record; its result goes nowhere
}

void ImportDialog::setTopics(const QStringList &names)
{
    const TopicChoice choice = setTopicNames(*m_topic, names);
    if (!choice.changed)
        return;
    if (!choice.deleted.isEmpty())
        m_result->setText(
            tr("Topic %1 was deleted: choose a topic to import into.").arg(choice.deleted));
    updatePartitions();
}

void ImportDialog::setTopic(const QString &topic)
{
    const int index = m_topic->findText(topic);
    if (index >= 0)
        m_topic->setCurrentIndex(index);
}

void ImportDialog::setFile(const QString &path)
{
    m_file->setText(path);
}

void ImportDialog::updatePartitions()
{
    const int count =
        std::max(0, partitionCountOf(m_partitionCounts, m_source, m_topic->currentText()));
    const int chosen = m_partition->currentIndex();
    const QSignalBlocker block(m_partition);
    m_partition->clear();
    m_partition->addItem(tr("As in the file"), -1);
    for (int p = 0; p < count; ++p)
        m_partition->addItem(tr("All to partition %1").arg(p), p);
    m_partition->setCurrentIndex(chosen >= 0 && chosen < m_partition->count() ? chosen : 0);
}

void ImportDialog::reset()
{
    if (isRunning())
        return;
    m_stage = Stage::Check;
    m_import->setText(tr("&Import"));
}

ImportRequest ImportDialog::request() const
{
    ImportRequest r;
    r.topic = m_topic->currentText();
    r.path = m_file->text().trimmed();
    r.partition = m_partition->currentData().isValid() ? m_partition->currentData().toInt() : -1;
    return r;
}

void ImportDialog::start()
{
    if (isRunning())
        return;
    ImportRequest r = request();
    if (r.topic.isEmpty()) {
        m_result->setText(m_topic->count() == 0 ? tr("Create a topic first.")
                                                : tr("Choose a topic to import into."));
        return;
    }
    if (r.path.isEmpty() || !QFileInfo(r.path).isFile()) {
        m_result->setText(r.path.isEmpty() ? tr("Choose a file to import.")
                                           : tr("%1 is not a file.").arg(r.path));
        return;
    }
    r.write = m_stage == Stage::SkipAndGo;
    run(r);
}

void ImportDialog::run(const ImportRequest &request)
{
    m_progress = std::make_shared<ImportProgress>();
    m_import->setEnabled(false);
    m_stop->setEnabled(true);
    m_topic->setEnabled(false);
    m_partition->setEnabled(false);
    m_file->setEnabled(false);
    m_bar->setRange(0, 0);
    m_bar->setFormat(QString());
    m_bar->show();
    m_result->setText(request.write ? tr("Importing into %1…").arg(request.topic)
                                    : tr("Reading %1…").arg(QFileInfo(request.path).fileName()));
    m_timer->start();
    ClusterSource *source = &m_source;
    runOffGuiThread(
        m_pool, this,
        [source, request, progress = m_progress] {
            return importRecords(*source, request, *progress);
        },
        [this, request](ImportResult result) { finished(request, result); });
}

void ImportDialog::stop()
{
    if (m_progress)
        m_progress->cancel.store(true);
}

void ImportDialog::reject()
{
    stop();
    QDialog::reject();
}

void ImportDialog::finished(const ImportRequest &request, const ImportResult &result)
{
    m_timer->stop();
    m_progress.reset();
    m_bar->hide();
    m_import->setEnabled(true);
    m_stop->setEnabled(false);
    m_topic->setEnabled(true);
    m_partition->setEnabled(true);
    m_file->setEnabled(true);

    QStringList bad;
    for (const ImportBadLine &b : result.badLines)
        bad << tr("line %1: %2").arg(b.line).arg(b.why);
    if (result.badLineCount > result.badLines.size())
        bad << tr("… and %1 more")
                   .arg(display::count(result.badLineCount - result.badLines.size()));
    m_badLines->setPlainText(bad.join(QLatin1Char('\n')));
    m_badLines->setVisible(!bad.isEmpty());
    const QString badCount = display::count(result.badLineCount, tr("bad line"), tr("bad lines"));
    const QString records = display::count(result.records, tr("record"), tr("records"));
    QString stopped;
    if (result.cancelled)
        stopped = tr(" Stopped before the end of the file.");
    if (!result.error.isEmpty())
        stopped = tr(" Stopped: %1").arg(result.error);

    if (!request.write) {
        m_goodRecords = result.records;
        if (!result.error.isEmpty() || result.cancelled) {
            m_result->setText(tr("Nothing was imported.") + stopped);
            return;
        }
        if (result.records == 0) {
            m_result->setText(result.badLineCount == 0
                                  ? tr("The file holds no records: nothing to import.")
                                  : tr("No line holds a good record (%1, below): nothing to "
                                       "import.")
                                        .arg(badCount));
            return;
        }
        if (result.badLineCount == 0) { // every line is good: import now, as the CLI does
            ImportRequest write = request;
            write.write = true;
            run(write);
            return;
        }
        m_stage = Stage::SkipAndGo;
        m_import->setText(tr("&Import %1, skip %2").arg(records, badCount));
        m_result->setText(tr("%1 in %2 can be imported; %3 cannot (below). Nothing was imported "
                             "yet.")
                              .arg(records, QFileInfo(request.path).fileName(), badCount));
        return;
    }

    m_stage = Stage::Check;
    m_import->setText(tr("&Import"));
    QStringList ranges;
    for (const InjectResult::Range &range : result.ranges)
        ranges << tr("[%1] offsets %2–%3 (%4)")
                      .arg(range.partition)
                      .arg(display::count(range.first), display::count(range.last),
                           display::count(range.last - range.first + 1));
    QString text =
        tr("Imported %1 into %2 in %3 ms").arg(records, request.topic).arg(result.elapsedMs);
    if (!ranges.isEmpty())
        text +=
            QStringLiteral(": ") +
            (ranges.size() > 6 ? ranges.first(6).join(QLatin1String(", ")) + QStringLiteral(", …")
                               : ranges.join(QLatin1String(", ")));
    text += QLatin1Char('.');
    if (result.badLineCount > 0)
        text += tr(" Skipped %1 (below).").arg(badCount);
    if (!result.error.isEmpty() && result.errorLine > 0)
        stopped += tr(" (line %1)").arg(result.errorLine);
    m_result->setText(text + stopped);
    Q_EMIT imported(request.topic, result.records);
}

} // namespace rivulet

namespace rivulet {

void ImportDialog::setPartitionCountLookup(PartitionCountLookup lookup)
{
    m_partitionCounts = std::move(lookup);
}

} // namespace rivulet
