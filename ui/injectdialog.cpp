#include "injectdialog.h"

#include "clustersource.h"
#include "displayformat.h"
#include "topicchoice.h"

#include <QAbstractItemDelegate>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QShortcut>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

namespace rivulet {
namespace {

QString valueExample()
{
    return InjectDialog::tr("{\"order\": {i}, \"item\": \"coffee\"}");
}

} // namespace

InjectDialog::InjectDialog(ClusterSource &source, QThreadPool &pool, QWidget *parent)
    : QDialog(parent), m_source(source), m_injector(new MessageInjector(source, pool, this)),
      m_topic(new QComboBox(this)), m_partition(new QComboBox(this)),
      m_useKey(new QCheckBox(tr("&Key:"), this)), m_key(new QLineEdit(this)),
      m_value(new QPlainTextEdit(this)),
      m_perLine(new QCheckBox(tr("One message per &line"), this)), m_file(new QLabel(this)),
      m_clearFile(new QPushButton(tr("Use the text"), this)),
      m_headers(new QTableWidget(0, 2, this)), m_repeat(new QSpinBox(this)),
      m_placeholders(new QCheckBox(tr("Replace {i}"), this)), m_summary(new QLabel(this)),
      m_progress(new QProgressBar(this)), m_result(new QLabel(this)),
      m_send(new QPushButton(tr("&Send"), this)), m_stop(new QPushButton(tr("Stop"), this))
{
    setWindowTitle(tr("Inject messages — Rivulet"));
    m_topic->setMinimumContentsLength(24);
    m_topic->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_key->setEnabled(false);
    m_key->setPlaceholderText(tr("e.g. customer-{i}"));
    m_value->setPlaceholderText(valueExample());
    m_value->setTabChangesFocus(true);
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_value->setFont(mono);
    m_value->setMinimumHeight(fontMetrics().height() * 6);
    m_file->setWordWrap(true);
    m_file->hide();
    m_clearFile->hide();
    m_headers->setHorizontalHeaderLabels({tr("Header"), tr("Value")});
    m_headers->horizontalHeader()->setStretchLastSection(true);
    m_headers->verticalHeader()->hide();
    m_headers->setMaximumHeight(fontMetrics().height() * 6);
    m_repeat->setRange(1, 100'000'000);
    m_repeat->setGroupSeparatorShown(true);
    m_repeat->setToolTip(tr("{i} in the key, the value or a header value becomes the message's "
                            "number, counting from 0"));
    m_placeholders->setChecked(true);
    m_placeholders->setToolTip(tr("Replace {i} in the key, the value and header values with "
                                  "the message's number; off: send them as typed"));
    m_progress->hide();
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_stop->setEnabled(false);
    m_send->setDefault(true);
    m_send->setToolTip(tr("Send (Ctrl+Return)"));

    auto *addHeader = new QPushButton(tr("Add header"), this);
    auto *removeHeader = new QPushButton(tr("Remove"), this);
    auto *loadFile = new QPushButton(tr("From file…"), this);
    loadFile->setToolTip(tr("Send each non-empty line of a file as one message"));

    auto *form = new QFormLayout;
    auto *target = new QHBoxLayout;
    target->addWidget(m_topic, 1);
    target->addWidget(new QLabel(tr("Partition:"), this));
    target->addWidget(m_partition);
    // rows whose field is a layout get their label's buddy by hand, for the mnemonic
    auto label = [this](const QString &text, QWidget *buddy) {
        auto *l = new QLabel(text, this);
        l->setBuddy(buddy);
        return l;
    };
    form->addRow(label(tr("&Topic:"), m_topic), target);
    form->addRow(m_useKey, m_key);
    auto *valueButtons = new QHBoxLayout;
    valueButtons->addWidget(m_perLine);
    valueButtons->addStretch();
    valueButtons->addWidget(loadFile);
    auto *valueBox = new QVBoxLayout;
    valueBox->addWidget(m_value);
    valueBox->addWidget(m_file);
    valueBox->addLayout(valueButtons);
    auto *clearRow = new QHBoxLayout;
    clearRow->addWidget(m_clearFile);
    clearRow->addStretch();
    valueBox->addLayout(clearRow);
    form->addRow(label(tr("&Value:"), m_value), valueBox);
    auto *headerButtons = new QHBoxLayout;
    headerButtons->addWidget(addHeader);
    headerButtons->addWidget(removeHeader);
    headerButtons->addStretch();
    auto *headerBox = new QVBoxLayout;
    headerBox->addWidget(m_headers);
    headerBox->addLayout(headerButtons);
    form->addRow(tr("Headers:"), headerBox);
    auto *repeatRow = new QHBoxLayout;
    repeatRow->addWidget(m_repeat);
    repeatRow->addWidget(m_placeholders);
    repeatRow->addWidget(m_summary, 1);
    form->addRow(label(tr("&Repeat:"), m_repeat), repeatRow);

    auto *buttons = new QDialogButtonBox(this);
    buttons->addButton(m_send, QDialogButtonBox::ActionRole);
    buttons->addButton(m_stop, QDialogButtonBox::ActionRole);
    buttons->addButton(QDialogButtonBox::Close);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    layout->addWidget(m_result);
    layout->addWidget(buttons);
    setMinimumWidth(560);

    connect(m_topic, &QComboBox::currentTextChanged, this, &InjectDialog::updatePartitions);
    connect(m_useKey, &QCheckBox::toggled, m_key, &QWidget::setEnabled);
    connect(m_value, &QPlainTextEdit::textChanged, this, &InjectDialog::updateSummary);
    connect(m_perLine, &QCheckBox::toggled, this, &InjectDialog::updateSummary);
    connect(m_repeat, &QSpinBox::valueChanged, this, &InjectDialog::updateSummary);
    connect(addHeader, &QPushButton::clicked, this, [this] {
        // the row gets its items at once: an editor opens only on an item, and typing must
        // go into the new row's name straight away
        commitHeaderEdit();
        const int row = m_headers->rowCount();
        m_headers->insertRow(row);
        m_headers->setItem(row, 0, new QTableWidgetItem);
        m_headers->setItem(row, 1, new QTableWidgetItem);
        m_headers->setFocus(Qt::OtherFocusReason);
        m_headers->setCurrentCell(row, 0);
        m_headers->editItem(m_headers->item(row, 0));
    });
    connect(removeHeader, &QPushButton::clicked, this, [this] {
        if (m_headers->currentRow() >= 0)
            m_headers->removeRow(m_headers->currentRow());
    });
    connect(loadFile, &QPushButton::clicked, this, &InjectDialog::chooseFile);
    connect(m_clearFile, &QPushButton::clicked, this, [this] { setValuesFile(QString()); });
    connect(m_send, &QPushButton::clicked, this, &InjectDialog::send);
    connect(m_stop, &QPushButton::clicked, m_injector, &MessageInjector::cancel);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this), &QShortcut::activated,
            this, &InjectDialog::send);
    connect(m_injector, &MessageInjector::progressed, this, [this](qint64 written, qint64 total) {
        m_progress->setRange(0, 1000);
        m_progress->setValue(total > 0 ? int(written * 1000 / total) : 0);
        m_progress->setFormat(tr("%1 of %2").arg(display::count(written), display::count(total)));
    });
    connect(m_injector, &MessageInjector::finished, this, &InjectDialog::finished);
    updateSummary();
}

void InjectDialog::setTopics(const QStringList &names)
{
    const TopicChoice choice = setTopicNames(*m_topic, names);
    if (!choice.changed)
        return;
    if (!choice.deleted.isEmpty())
        m_result->setText(
            tr("Topic %1 was deleted: choose a topic to send to.").arg(choice.deleted));
    updatePartitions();
}

void InjectDialog::setTopic(const QString &topic, int partition)
{
    const int index = m_topic->findText(topic);
    if (index >= 0)
        m_topic->setCurrentIndex(index);
    updatePartitions();
    m_partition->setCurrentIndex(partition < 0 ? 0 : partition + 1);
}

namespace {

// A header cell prefilled from a record keeps its original bytes (and null-ness) while its
// text is the one shown.
constexpr int kOriginalBytes = Qt::UserRole;
constexpr int kOriginalText = Qt::UserRole + 1;
constexpr int kOriginalNull = Qt::UserRole + 2;

QString shown(const QByteArray &bytes)
{
    return QString::fromUtf8(bytes);
}

QByteArray sent(const QTableWidgetItem *item, bool *null)
{
    *null = false;
    if (!item)
        return {};
    if (item->data(kOriginalText).isValid() && item->text() == item->data(kOriginalText)) {
        *null = item->data(kOriginalNull).toBool();
        return item->data(kOriginalBytes).toByteArray();
    }
    return item->text().toUtf8();
}

} // namespace

void InjectDialog::prefill(const QString &topic, const DecodedRecord &record)
{
    setValuesFile(QString());
    setTopic(topic, record.partition);
    Prefilled p;
    p.key = record.key;
    p.keyText = shown(record.key);
    if (record.hasValue)
        p.value = record.value;
    p.valueText = shown(record.value);
    m_useKey->setChecked(record.hasKey);
    m_key->setText(record.hasKey ? p.keyText : QString());
    m_perLine->setChecked(false);
    m_value->setPlainText(p.valueText);
    m_value->setPlaceholderText(record.hasValue ? valueExample()
                                                : tr("null (a tombstone): type to send a value"));
    m_headers->setRowCount(0);
    for (const DecodedHeader &h : record.headers) {
        const int row = m_headers->rowCount();
        m_headers->insertRow(row);
        auto *name = new QTableWidgetItem(shown(h.name));
        name->setData(kOriginalBytes, h.name);
        name->setData(kOriginalText, shown(h.name));
        auto *value = new QTableWidgetItem(shown(h.value));
        value->setData(kOriginalBytes, h.value);
        value->setData(kOriginalText, shown(h.value));
        value->setData(kOriginalNull, !h.hasValue);
        m_headers->setItem(row, 0, name);
        m_headers->setItem(row, 1, value);
    }
    m_repeat->setValue(1);
    m_placeholders->setChecked(false);
    m_prefilled = p;
    m_result->setText(tr("Re-publishing %1[%2] offset %3: edit it, choose the topic and "
                         "partition, and Send.")
                          .arg(topic)
                          .arg(record.partition)
                          .arg(record.offset));
    updateSummary();
}

void InjectDialog::updatePartitions()
{
    const int count =
        std::max(0, partitionCountOf(m_partitionCounts, m_source, m_topic->currentText()));
    if (m_partition->count() == count + 1)
        return;
    const int current = m_partition->currentIndex();
    m_partition->clear();
    m_partition->addItem(tr("round-robin"));
    for (int i = 0; i < count; ++i)
        m_partition->addItem(QString::number(i));
    m_partition->setCurrentIndex(current >= 0 && current <= count ? current : 0);
}

void InjectDialog::setValuesFile(const QString &path)
{
    m_valuesFile = path;
    const bool fromFile = !path.isEmpty();
    m_value->setVisible(!fromFile);
    m_perLine->setVisible(!fromFile);
    m_file->setVisible(fromFile);
    m_clearFile->setVisible(fromFile);
    m_file->setText(
        tr("Each non-empty line of <b>%1</b> is one message.").arg(path.toHtmlEscaped()));
    updateSummary();
}

void InjectDialog::chooseFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Send the lines of a file"));
    if (!path.isEmpty())
        setValuesFile(path);
}

void InjectDialog::updateSummary()
{
    const qlonglong repeat = m_repeat->value();
    if (!m_valuesFile.isEmpty()) {
        m_summary->setText(repeat == 1 ? tr("× each line")
                                       : tr("× each line, %1 times").arg(display::count(repeat)));
        return;
    }
    qlonglong values = 1;
    if (m_perLine->isChecked()) {
        values = 0;
        for (const QString &line : m_value->toPlainText().split(QLatin1Char('\n')))
            values += !line.isEmpty();
    }
    const qlonglong total = values * repeat;
    m_summary->setText(total == 1 ? tr("= 1 message")
                                  : tr("= %1 messages").arg(display::count(total)));
}

InjectRequest InjectDialog::request() const
{
    InjectRequest r;
    r.topic = m_topic->currentText();
    r.partition = m_partition->currentIndex() - 1;
    r.firstPartition = m_nextPartition;
    if (m_useKey->isChecked())
        r.key = m_prefilled && m_key->text() == m_prefilled->keyText ? m_prefilled->key
                                                                     : m_key->text().toUtf8();
    r.placeholders = m_placeholders->isChecked();
    if (m_valuesFile.isEmpty() && !m_perLine->isChecked() && m_prefilled &&
        m_value->toPlainText() == m_prefilled->valueText) {
        // the prefilled value as it was (bytes that are not UTF-8, or null)
        r.values << m_prefilled->value.value_or(QByteArray());
        r.nullValue = !m_prefilled->value;
    } else if (!m_valuesFile.isEmpty()) {
        r.valuesFile = m_valuesFile;
    } else if (m_perLine->isChecked()) {
        for (const QString &line : m_value->toPlainText().split(QLatin1Char('\n')))
            if (!line.isEmpty())
                r.values << line.toUtf8();
    } else {
        r.values << m_value->toPlainText().toUtf8();
    }
    for (int row = 0; row < m_headers->rowCount(); ++row) {
        const QTableWidgetItem *name = m_headers->item(row, 0);
        const QTableWidgetItem *value = m_headers->item(row, 1);
        // a row without a name is left out here; send() refuses one that has a value
        if (name && !name->text().isEmpty()) {
            bool ignored = false, null = false;
            const QByteArray nameBytes = sent(name, &ignored);
            const QByteArray valueBytes = sent(value, &null);
            r.headers.append({nameBytes, valueBytes, !null});
        }
    }
    r.repeat = m_repeat->value();
    return r;
}

void InjectDialog::commitHeaderEdit()
{
    // Send (a click, or Ctrl+Return while typing in a cell) must take what is typed: the
    // editor's text is not in the item until the editor commits it
    const QModelIndex current = m_headers->currentIndex();
    if (current.isValid())
        if (QWidget *editor = m_headers->indexWidget(current)) // the open editor, if any
            m_headers->itemDelegateForIndex(current)->setModelData(editor, m_headers->model(),
                                                                   current);
}

QString InjectDialog::headersProblem() const
{
    for (int row = 0; row < m_headers->rowCount(); ++row) {
        const QTableWidgetItem *name = m_headers->item(row, 0);
        const QTableWidgetItem *value = m_headers->item(row, 1);
        if ((!name || name->text().isEmpty()) && value && !value->text().isEmpty())
            return tr("Header row %1 has a value but no name: name it or remove the row.")
                .arg(row + 1);
    }
    return {};
}

void InjectDialog::send()
{
    if (m_injector->isRunning())
        return;
    commitHeaderEdit();
    if (const QString problem = headersProblem(); !problem.isEmpty()) {
        m_result->setText(problem);
        return;
    }
    const InjectRequest r = request();
    if (r.topic.isEmpty()) {
        m_result->setText(m_topic->count() == 0 ? tr("Create a topic first.")
                                                : tr("Choose a topic to send to."));
        return;
    }
    if (r.values.isEmpty() && r.valuesFile.isEmpty()) {
        m_result->setText(tr("Every line is empty: nothing to send."));
        return;
    }
    m_send->setEnabled(false);
    m_stop->setEnabled(true);
    m_progress->setRange(0, 0);
    m_progress->setFormat(QString());
    m_progress->show();
    m_result->setText(tr("Sending…"));
    m_injector->start(r);
}

void InjectDialog::finished(const InjectResult &result)
{
    m_send->setEnabled(true);
    m_stop->setEnabled(false);
    m_progress->hide();
    m_nextPartition = result.nextPartition;
    QStringList ranges;
    for (const InjectResult::Range &range : result.ranges)
        ranges << (range.first == range.last
                       ? tr("[%1] offset %2").arg(range.partition).arg(display::count(range.first))
                       : tr("[%1] offsets %2–%3")
                             .arg(range.partition)
                             .arg(display::count(range.first), display::count(range.last)));
    QString text;
    if (result.written > 0) {
        const QString what = result.written == 1
                                 ? tr("1 message")
                                 : tr("%1 messages").arg(display::count(result.written));
        text = tr("Wrote %1 to %2 in %3 ms: %4")
                   .arg(what, m_topic->currentText())
                   .arg(result.elapsedMs)
                   .arg(ranges.size() > 4
                            ? ranges.first(4).join(QLatin1String(", ")) + QStringLiteral(", …")
                            : ranges.join(QLatin1String(", ")));
    }
    if (result.cancelled)
        text += (text.isEmpty() ? QString() : QStringLiteral(" ")) + tr("Stopped.");
    if (!result.error.isEmpty())
        text +=
            (text.isEmpty() ? QString() : QStringLiteral("\n")) + tr("Error: %1").arg(result.error);
    m_result->setText(text);
    Q_EMIT injected(result);
}

} // namespace rivulet

namespace rivulet {

void InjectDialog::setPartitionCountLookup(PartitionCountLookup lookup)
{
    m_partitionCounts = std::move(lookup);
}

} // namespace rivulet
