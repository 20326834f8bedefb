#include "topicsettingsdialog.h"

#include "clustersource.h"
#include "displayformat.h"
#include "offthread.h"
#include "problemtext.h"
// the partition limit, shared with the broker
#include "topicrules.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QTableWidget>
#include <QVBoxLayout>

namespace rivulet {
namespace {

// Digits only, a few more than any limit, so that a number too big shows as typed and is
// refused with the range instead of being cut to another number.
QValidator *digits(QObject *parent)
{
    return new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{0,19}")),
                                           parent);
}

// "7 d", "1 d 12 h", "90 min", "1.5 s": a retention time as people say it
QString duration(std::int64_t ms)
{
    constexpr std::int64_t second = 1000, minute = 60 * second, hour = 60 * minute, day = 24 * hour;
    if (ms < second)
        return QStringLiteral("%1 ms").arg(ms);
    if (ms < minute)
        return QStringLiteral("%1 s").arg(double(ms) / second, 0, 'g', 4);
    QStringList parts;
    for (const auto &[unit, name] : {std::pair{day, "d"}, {hour, "h"}, {minute, "min"}}) {
        if (ms >= unit && parts.size() < 2) {
            parts << QStringLiteral("%1 %2").arg(display::count(ms / unit), QLatin1String(name));
            ms %= unit;
        } else if (!parts.isEmpty()) {
            break;
        }
    }
    return parts.join(QLatin1Char(' '));
}

QString retentionText(std::int64_t value, bool bytes)
{
    if (value < 0)
        return QStringLiteral("unlimited");
    return bytes ? display::bytes(value) : duration(value);
}

// A number typed into a digits-only field; nullopt when empty or beyond int64.
std::optional<std::int64_t> number(const QString &text)
{
    bool ok = false;
    const qint64 n = text.toLongLong(&ok);
    return ok ? std::optional<std::int64_t>(n) : std::nullopt;
}

QTableWidgetItem *readOnlyItem(const QString &text)
{
    auto *item = new QTableWidgetItem(text);
    item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

} // namespace

TopicSettingsDialog::TopicSettingsDialog(ClusterSource &source, QThreadPool &pool,
                                         const TopicSnapshot &topic, QWidget *parent)
    : QDialog(parent), m_source(source), m_pool(pool), m_topic(topic.name),
      m_partitionCount(int(topic.partitions.size())), m_summary(new QLabel(this)),
      m_unlimitedMs(new QCheckBox(tr("&Unlimited"), this)), m_retentionMs(new QLineEdit(this)),
      m_retentionMsHint(new QLabel(this)), m_unlimitedBytes(new QCheckBox(tr("U&nlimited"), this)),
      m_retentionBytes(new QLineEdit(this)), m_retentionBytesHint(new QLabel(this)),
      m_partitions(new QLineEdit(this)), m_purge(new QTableWidget(0, PurgeColumnCount, this)),
      m_purgeAll(new QPushButton(tr("Purge &all"), this)), m_problem(new QLabel(this)),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Topic settings: %1 — Rivulet").arg(m_topic));

    // Retention: each limit a number or unlimited, never a bare -1
    const int digit = fontMetrics().horizontalAdvance(QLatin1Char('0'));
    auto showLimit = [](QCheckBox *unlimited, QLineEdit *edit, std::int64_t value) {
        const QSignalBlocker block(unlimited);
        unlimited->setChecked(value < 0);
        edit->setEnabled(value >= 0);
        edit->setText(value >= 0 ? QString::number(value) : QString());
    };
    auto setUp = [&](QCheckBox *unlimited, QLineEdit *edit, std::int64_t value,
                     const QString &placeholder) {
        edit->setValidator(digits(edit));
        edit->setPlaceholderText(placeholder);
        edit->setMinimumWidth(digit * 22);
        showLimit(unlimited, edit, value);
        connect(unlimited, &QCheckBox::toggled, this, [this, edit](bool on) {
            edit->setEnabled(!on);
            if (!on)
                edit->setFocus(Qt::OtherFocusReason);
            validate();
        });
        connect(edit, &QLineEdit::textChanged, this, &TopicSettingsDialog::validate);
    };
    setUp(m_unlimitedMs, m_retentionMs, m_retention.retentionMs, tr("e.g. 604800000 (7 days)"));
    setUp(m_unlimitedBytes, m_retentionBytes, m_retention.retentionBytes,
          tr("e.g. 1073741824 (1 GiB)"));
    m_retentionMs->setToolTip(tr("retention.ms: records older than this are deleted, a whole "
                                 "segment at a time"));
    m_retentionBytes->setToolTip(tr("retention.bytes: a partition bigger than this loses its "
                                    "oldest segments"));

    auto *retention = new QGroupBox(tr("Retention"), this);
    // read off the GUI thread (a cluster answers over the network); until then the group is
    // disabled and OK waits
    retention->setEnabled(false);
    runOffGuiThread(
        m_pool, this, [from = &m_source, name = m_topic.toUtf8()] { return from->retention(name); },
        [this, retention, showLimit](const std::optional<RetentionPolicy> &loaded) {
            if (!loaded) {
                m_retentionProblem =
                    tr("The retention of %1 cannot be read: the topic is gone or cannot be "
                       "reached.")
                        .arg(m_topic);
                validate();
                return;
            }
            m_retention = *loaded;
            m_retentionLoaded = true;
            showLimit(m_unlimitedMs, m_retentionMs, m_retention.retentionMs);
            showLimit(m_unlimitedBytes, m_retentionBytes, m_retention.retentionBytes);
            retention->setEnabled(true);
            validate();
        });
    auto *retentionForm = new QFormLayout(retention);
    auto row = [this](QCheckBox *unlimited, QLineEdit *edit, const QString &unit, QLabel *hint) {
        auto *h = new QHBoxLayout;
        h->addWidget(unlimited);
        h->addWidget(edit);
        h->addWidget(new QLabel(unit, this));
        h->addWidget(hint, 1);
        return h;
    };
    auto *msLabel = new QLabel(tr("&Time (retention.ms):"), this);
    msLabel->setBuddy(m_retentionMs);
    auto *bytesLabel = new QLabel(tr("&Size per partition (retention.bytes):"), this);
    bytesLabel->setBuddy(m_retentionBytes);
    retentionForm->addRow(msLabel, row(m_unlimitedMs, m_retentionMs, tr("ms"), m_retentionMsHint));
    retentionForm->addRow(
        bytesLabel, row(m_unlimitedBytes, m_retentionBytes, tr("bytes"), m_retentionBytesHint));

    m_partitions->setValidator(digits(m_partitions));
    m_partitions->setText(QString::number(m_partitionCount));
    m_partitions->setMaximumWidth(digit * 12);
    m_partitions->setToolTip(tr("Partitions can be added (up to %1), never removed. Keys hash "
                                "to other partitions afterwards.")
                                 .arg(display::count(kMaxPartitions)));
    auto *partitions = new QGroupBox(tr("Partitions"), this);
    auto *partitionsRow = new QHBoxLayout(partitions);
    auto *partitionsLabel = new QLabel(tr("&Count:"), this);
    partitionsLabel->setBuddy(m_partitions);
    partitionsRow->addWidget(partitionsLabel);
    partitionsRow->addWidget(m_partitions);
    partitionsRow->addWidget(new QLabel(tr("now %1; only upward, at most %2")
                                            .arg(m_partitionCount)
                                            .arg(display::count(kMaxPartitions)),
                                        this),
                             1);

    m_purge->setHorizontalHeaderLabels(
        {tr("Partition"), tr("Start"), tr("End"), tr("Messages"), tr("Purge before")});
    m_purge->horizontalHeaderItem(PurgeColumn)
        ->setToolTip(tr("An offset: the records before it are deleted for good. \"end\": "
                        "every record stored when OK is pressed. Empty: keep all."));
    m_purge->verticalHeader()->hide();
    m_purge->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    m_purge->horizontalHeader()->setStretchLastSection(true);
    m_purge->setSelectionBehavior(QAbstractItemView::SelectItems);
    m_purge->setSelectionMode(QAbstractItemView::SingleSelection);
    m_purge->setEditTriggers(QAbstractItemView::AllEditTriggers);
    m_purge->setMinimumHeight(fontMetrics().height() * 8);
    m_purge->setRowCount(m_partitionCount);
    for (int p = 0; p < m_partitionCount; ++p) {
        m_purge->setItem(p, PartitionColumn, readOnlyItem(QString::number(p)));
        auto *purge = new QTableWidgetItem;
        purge->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsEditable);
        purge->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_purge->setItem(p, PurgeColumn, purge);
    }
    auto *keepAll = new QPushButton(tr("&Keep all"), this);
    keepAll->setToolTip(tr("Clear every Purge before cell"));
    m_purgeAll->setToolTip(tr("Purge every record stored in every partition (up to each end)"));
    auto *purge = new QGroupBox(tr("Purge records (cannot be undone)"), this);
    auto *purgeBox = new QVBoxLayout(purge);
    purgeBox->addWidget(m_purge);
    auto *purgeButtons = new QHBoxLayout;
    purgeButtons->addWidget(new QLabel(tr("Type an offset or \"end\" under Purge before."), this),
                            1);
    purgeButtons->addWidget(m_purgeAll);
    purgeButtons->addWidget(keepAll);
    purgeBox->addLayout(purgeButtons);

    m_problem->setWordWrap(true);
    m_problem->setMinimumHeight(fontMetrics().height() * 2);
    m_problem->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addWidget(retention);
    layout->addWidget(partitions);
    layout->addWidget(purge, 1);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);
    setMinimumWidth(620);

    connect(m_partitions, &QLineEdit::textChanged, this, &TopicSettingsDialog::validate);
    connect(m_purge, &QTableWidget::itemChanged, this, [this](QTableWidgetItem *item) {
        if (item->column() == PurgeColumn)
            validate();
    });
    connect(m_purgeAll, &QPushButton::clicked, this, [this] {
        for (int p = 0; p < m_purge->rowCount(); ++p)
            m_purge->item(p, PurgeColumn)->setText(QStringLiteral("end"));
    });
    connect(keepAll, &QPushButton::clicked, this, [this] {
        for (int p = 0; p < m_purge->rowCount(); ++p)
            m_purge->item(p, PurgeColumn)->setText(QString());
    });
    connect(m_buttons, &QDialogButtonBox::accepted, this, &TopicSettingsDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &TopicSettingsDialog::reject);
    setOffsets(topic);
}

void TopicSettingsDialog::setOffsets(const TopicSnapshot &topic)
{
    if (topic.name != m_topic)
        return;
    m_stats.clear();
    std::int64_t messages = 0, bytes = 0;
    for (const PartitionSnapshot &p : topic.partitions) {
        m_stats.push_back(p.stats);
        messages += p.stats.endOffset - p.stats.startOffset - p.stats.markers;
        bytes += p.stats.sizeBytes;
    }
    const QSignalBlocker block(m_purge); // only the purge cells are the user's
    const int rows = std::min(m_purge->rowCount(), int(m_stats.size()));
    for (int p = 0; p < rows; ++p) {
        const PartitionStats &s = m_stats[std::size_t(p)];
        const std::int64_t values[] = {s.startOffset, s.endOffset,
                                       s.endOffset - s.startOffset - s.markers};
        for (int c = StartColumn; c <= MessagesColumn; ++c) {
            const QString text = display::count(values[c - StartColumn]);
            if (QTableWidgetItem *item = m_purge->item(p, c)) {
                if (item->text() != text) // most offsets stand still between refreshes
                    item->setText(text);
            } else
                m_purge->setItem(p, c, readOnlyItem(text));
        }
    }
    m_summary->setText(tr("<b>%1</b>: %2 · %3 · %4")
                           .arg(m_topic.toHtmlEscaped(),
                                display::count(m_partitionCount, tr("partition"), tr("partitions")),
                                display::count(messages, tr("message"), tr("messages")),
                                display::bytes(bytes)));
    validate();
}

QString TopicSettingsDialog::retentionProblem() const
{
    if (!m_unlimitedMs->isChecked() && !number(m_retentionMs->text()))
        return m_retentionMs->text().isEmpty()
                   ? tr("Enter the retention time in milliseconds, or tick Unlimited.")
                   : tr("The retention time %1 ms is too big.").arg(m_retentionMs->text());
    if (!m_unlimitedBytes->isChecked() && !number(m_retentionBytes->text()))
        return m_retentionBytes->text().isEmpty()
                   ? tr("Enter the retention size in bytes, or tick Unlimited.")
                   : tr("The retention size %1 bytes is too big.").arg(m_retentionBytes->text());
    return {};
}

QString TopicSettingsDialog::partitionsProblem() const
{
    const QString text = m_partitions->text();
    const int max = kMaxPartitions;
    const std::optional<std::int64_t> count = number(text);
    if (!count)
        return text.isEmpty()
                   ? tr("Enter the number of partitions (now %1).").arg(m_partitionCount)
                   : tr("%1 partitions is too many: at most %2.").arg(text, display::count(max));
    if (*count < m_partitionCount)
        return tr("Partitions can only be added: %1 has %2, so %3 is too few.")
            .arg(m_topic)
            .arg(m_partitionCount)
            .arg(*count);
    if (*count > max)
        return tr("%1 partitions is too many: at most %2.")
            .arg(display::count(*count), display::count(max));
    return {};
}

std::optional<std::int64_t> TopicSettingsDialog::purgeTarget(int row, QString &problem) const
{
    const QTableWidgetItem *item = m_purge->item(row, PurgeColumn);
    const QString text = item ? item->text().trimmed() : QString();
    if (text.isEmpty())
        return std::nullopt;
    if (text.compare(QLatin1String("end"), Qt::CaseInsensitive) == 0)
        return -1;
    const std::optional<std::int64_t> offset =
        text.contains(QRegularExpression(QStringLiteral("^[0-9]+$"))) ? number(text) : std::nullopt;
    if (!offset) {
        problem =
            tr("Partition %1: purge before \"%2\"? Type an offset or \"end\".").arg(row).arg(text);
        return std::nullopt;
    }
    if (std::size_t(row) < m_stats.size()) {
        const PartitionStats &s = m_stats[std::size_t(row)];
        if (*offset > s.endOffset)
            problem = tr("Partition %1: offset %2 is past its end (%3).")
                          .arg(row)
                          .arg(display::count(*offset), display::count(s.endOffset));
        else if (*offset <= s.startOffset)
            problem = tr("Partition %1: nothing is stored before offset %2 (it starts at %3).")
                          .arg(row)
                          .arg(display::count(*offset), display::count(s.startOffset));
    }
    return offset;
}

QString TopicSettingsDialog::problem() const
{
    if (!m_retentionLoaded)
        return m_retentionProblem.isEmpty() ? tr("Reading the topic's retention…")
                                            : m_retentionProblem;
    if (QString p = retentionProblem(); !p.isEmpty())
        return p;
    if (QString p = partitionsProblem(); !p.isEmpty())
        return p;
    for (int row = 0; row < m_purge->rowCount(); ++row) {
        QString p;
        purgeTarget(row, p);
        if (!p.isEmpty())
            return p;
    }
    return {};
}

TopicSettingsDialog::Plan TopicSettingsDialog::plan() const
{
    Plan plan;
    const RetentionPolicy retention{
        m_unlimitedMs->isChecked() ? -1 : number(m_retentionMs->text()).value_or(-1),
        m_unlimitedBytes->isChecked() ? -1 : number(m_retentionBytes->text()).value_or(-1)};
    if (retention.retentionMs != m_retention.retentionMs ||
        retention.retentionBytes != m_retention.retentionBytes)
        plan.retention = retention;
    const int count = int(number(m_partitions->text()).value_or(m_partitionCount));
    if (count != m_partitionCount)
        plan.partitions = count;
    for (int row = 0; row < m_purge->rowCount(); ++row) {
        QString ignored;
        if (const auto target = purgeTarget(row, ignored))
            plan.purges[row] = *target;
    }
    return plan;
}

void TopicSettingsDialog::updateHints()
{
    auto hint = [](QCheckBox *unlimited, QLineEdit *edit, QLabel *label, bool bytes) {
        const auto n = number(edit->text());
        label->setText(
            unlimited->isChecked()
                ? QStringLiteral("kept for ever")
                : (n ? QStringLiteral("= %1").arg(retentionText(*n, bytes)) : QString()));
    };
    hint(m_unlimitedMs, m_retentionMs, m_retentionMsHint, false);
    hint(m_unlimitedBytes, m_retentionBytes, m_retentionBytesHint, true);
}

void TopicSettingsDialog::validate()
{
    updateHints();
    const QString problem = this->problem();
    if (!m_applying)
        showProblem(problem, true);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(problem.isEmpty() && !m_applying);
}

void TopicSettingsDialog::showProblem(const QString &text, bool error)
{
    showProblemText(m_problem, text, error);
}

void TopicSettingsDialog::accept()
{
    if (m_applying)
        return;
    if (const QString p = problem(); !p.isEmpty()) {
        showProblem(p, true);
        return;
    }
    const Plan plan = this->plan();
    if (!plan.retention && plan.partitions == 0 && plan.purges.empty()) {
        QDialog::accept(); // nothing to change
        return;
    }
    if (plan.purges.empty()) {
        apply(plan);
        return;
    }
    // purging cannot be undone: say how much goes, and ask
    std::int64_t records = 0;
    QStringList partitions;
    for (const auto &[partition, offset] : plan.purges) {
        const PartitionStats &s = m_stats[std::size_t(partition)];
        records += std::max<std::int64_t>(0, (offset < 0 ? s.endOffset : offset) - s.startOffset);
        partitions << QString::number(partition);
    }
    auto *ask = new QMessageBox(
        QMessageBox::Warning, tr("Purge records — Rivulet"),
        tr("Delete about %1 from %2 (%3 %4) for good? Consumers that have not read them will "
           "never see them.")
            .arg(display::count(records, tr("record"), tr("records")), m_topic,
                 partitions.size() == 1 ? tr("partition") : tr("partitions"),
                 partitions.size() > 12 ? tr("%1 of them").arg(partitions.size())
                                        : partitions.join(QLatin1String(", "))),
        QMessageBox::Cancel, this);
    QPushButton *purge = ask->addButton(tr("Purge"), QMessageBox::DestructiveRole);
    ask->setDefaultButton(QMessageBox::Cancel);
    ask->setAttribute(Qt::WA_DeleteOnClose);
    connect(ask, &QMessageBox::finished, this, [this, ask, purge, plan] {
        if (ask->clickedButton() == static_cast<QAbstractButton *>(purge))
            apply(plan);
    });
    ask->open();
}

void TopicSettingsDialog::reject()
{
    if (!m_applying)
        QDialog::reject();
}

void TopicSettingsDialog::apply(const Plan &plan)
{
    m_applying = true;
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
    m_buttons->button(QDialogButtonBox::Cancel)->setEnabled(false);
    showProblem(tr("Applying…"), false);

    struct Outcome
    {
        QString error;
        QStringList done; // what changed, also when an error stopped the rest
    };
    ClusterSource *source = &m_source;
    const QByteArray name = m_topic.toUtf8();
    const RetentionPolicy before = m_retention;
    const int partitionsBefore = m_partitionCount;
    runOffGuiThread(
        m_pool, this,
        [source, name, plan, before, partitionsBefore] {
            // Everything is checked before anything changes. Retention can be put back and
            // is set first; a refused partition count puts it back. Purges go last: each
            // is final, and they were checked against the ends, which only grow.
            Outcome o;
            const QList<PartitionRange> ranges = source->partitionRanges(name);
            if (ranges.isEmpty()) {
                o.error = QStringLiteral("topic %1 no longer exists (or cannot be reached)")
                              .arg(QString::fromUtf8(name));
                return o;
            }
            if (plan.partitions > 0 &&
                source->addPartitions(name, plan.partitions, o.error, true) != ChangeOutcome::Done)
                return o;
            for (const auto &[partition, offset] : plan.purges) {
                if (partition >= ranges.size()) {
                    o.error = QStringLiteral("%1 has no partition %2")
                                  .arg(QString::fromUtf8(name))
                                  .arg(partition);
                    return o;
                }
                const std::int64_t end = ranges[partition].endOffset;
                if (offset > end) {
                    o.error = QStringLiteral("partition %1 ends at offset %2, before %3")
                                  .arg(partition)
                                  .arg(end)
                                  .arg(offset);
                    return o;
                }
            }
            if (plan.retention) {
                if (!source->setRetention(name, *plan.retention, o.error)) {
                    QString ignored;
                    source->setRetention(name, before, ignored);
                    o.error = QStringLiteral("retention not changed: %1").arg(o.error);
                    return o;
                }
                o.done << QStringLiteral("retention.ms %1, retention.bytes %2")
                              .arg(plan.retention->retentionMs < 0
                                       ? QStringLiteral("unlimited")
                                       : QString::number(plan.retention->retentionMs),
                                   plan.retention->retentionBytes < 0
                                       ? QStringLiteral("unlimited")
                                       : QString::number(plan.retention->retentionBytes));
            }
            if (plan.partitions > 0) {
                QString why;
                if (source->addPartitions(name, plan.partitions, why) != ChangeOutcome::Done) {
                    if (plan.retention) {
                        QString ignored;
                        source->setRetention(name, before, ignored);
                        o.done.clear();
                    }
                    o.error = QStringLiteral("nothing changed: %1").arg(why);
                    return o;
                }
                o.done << QStringLiteral("%1 partitions (was %2)")
                              .arg(plan.partitions)
                              .arg(partitionsBefore);
            }
            std::int64_t purgedPartitions = 0;
            for (const auto &[partition, offset] : plan.purges) {
                std::int64_t start = 0;
                QString why;
                if (source->deleteRecordsBefore(name, partition, offset, start, why) !=
                    ChangeOutcome::Done) {
                    o.error = QStringLiteral("partition %1 not purged: %2").arg(partition).arg(why);
                    break;
                }
                ++purgedPartitions;
            }
            if (purgedPartitions > 0)
                o.done << QStringLiteral("purged %1 partition%2")
                              .arg(purgedPartitions)
                              .arg(purgedPartitions == 1 ? "" : "s");
            return o;
        },
        [this, plan](const Outcome &o) {
            m_applying = false;
            m_buttons->button(QDialogButtonBox::Cancel)->setEnabled(true);
            if (!o.done.isEmpty()) {
                // only purges can fail after retention and partitions went through
                if (plan.retention)
                    m_retention = *plan.retention;
                if (plan.partitions > 0)
                    m_partitionCount = plan.partitions;
                Q_EMIT changed(m_topic, o.done.join(QLatin1String("; ")));
            }
            if (o.error.isEmpty()) {
                QDialog::accept();
                return;
            }
            validate();
            showProblem(
                o.done.isEmpty()
                    ? tr("Nothing was changed: %1").arg(o.error)
                    : tr("Done: %1. Then: %2").arg(o.done.join(QLatin1String("; ")), o.error),
                true);
        });
}

} // namespace rivulet
