#include "resetoffsetsdialog.h"

#include "displayformat.h"
#include "offthread.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QStackedWidget>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

namespace rivulet {
namespace {

enum Column
{
    PartitionColumn,
    StoredColumn,
    CommittedColumn,
    LagColumn,
    NewOffsetColumn,
    NewLagColumn,
    ColumnCount
};

constexpr int kLookupDelayMs = 250; // while the time is being typed

QValidator *numberValidator(QObject *parent, bool sign)
{
    return new QRegularExpressionValidator(
        QRegularExpression(sign ? QStringLiteral("[+-]?[0-9]{0,18}")
                                : QStringLiteral("[0-9]{0,18}")),
        parent);
}

void colourAsProblem(QLabel *label, const QPalette &palette)
{
    QPalette pal = label->palette();
    const bool dark = palette.color(QPalette::Window).lightness() < 128;
    pal.setColor(QPalette::WindowText, dark ? QColor(248, 113, 113) : QColor(185, 28, 28));
    label->setPalette(pal);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
}

} // namespace

ResetOffsetsDialog::ResetOffsetsDialog(const QString &group, const QString &topic,
                                       std::vector<PartitionRange> partitions,
                                       TimestampLookup lookup, QThreadPool &pool, QWidget *parent)
    : QDialog(parent), m_partitions(std::move(partitions)), m_lookup(std::move(lookup)),
      m_pool(pool), m_mode(new QComboBox(this)), m_values(new QStackedWidget(this)),
      m_all(new QLineEdit(this)), m_time(new QDateTimeEdit(this)), m_shift(new QLineEdit(this)),
      m_noValue(new QWidget(this)),
      m_table(new QTableWidget(int(m_partitions.size()), ColumnCount, this)),
      m_state(new QLabel(this)), m_note(new QLabel(this)), m_problem(new QLabel(this)),
      m_reset(new QPushButton(tr("Reset"), this)), m_lookupDelay(new QTimer(this))
{
    setWindowTitle(tr("Reset offsets of %1 — Rivulet").arg(group));
    auto *intro = new QLabel(tr("New committed offsets of group <b>%1</b> on topic <b>%2</b>. "
                                "Its consumers read from there when they next start. Check "
                                "the preview, edit any partition's new offset, then Reset; a "
                                "partition left empty keeps its offset.")
                                 .arg(group.toHtmlEscaped(), topic.toHtmlEscaped()),
                             this);
    intro->setWordWrap(true);

    m_mode->setObjectName(QStringLiteral("mode"));
    m_mode->addItem(tr("To the earliest offset"), int(Mode::Earliest));
    m_mode->addItem(tr("To the latest offset"), int(Mode::Latest));
    m_mode->addItem(tr("To an offset"), int(Mode::Offset));
    m_mode->addItem(tr("To a date and time"), int(Mode::Timestamp));
    m_mode->addItem(tr("Shift by ±N"), int(Mode::Shift));
    m_mode->addItem(tr("Per partition, typed below"), int(Mode::ByHand));

    m_all->setObjectName(QStringLiteral("all"));
    m_all->setValidator(numberValidator(m_all, false));
    m_all->setPlaceholderText(tr("offset for every partition"));
    m_time->setObjectName(QStringLiteral("time"));
    m_time->setCalendarPopup(true);
    m_time->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
    m_time->setDateTime(QDateTime::currentDateTime().addSecs(-3600));
    m_time->setToolTip(tr("Each partition moves to its first record at or after this time "
                          "(local time); a partition with none moves to its end"));
    m_shift->setObjectName(QStringLiteral("shift"));
    m_shift->setValidator(numberValidator(m_shift, true));
    m_shift->setPlaceholderText(tr("-100 goes back 100 records, +100 skips 100"));
    m_shift->setToolTip(tr("Moves each committed offset by this many records, stopping at the "
                           "partition's first stored offset and at its end"));
    m_values->addWidget(m_noValue);
    m_values->addWidget(m_all);
    m_values->addWidget(m_time);
    m_values->addWidget(m_shift);

    m_table->setObjectName(QStringLiteral("preview"));
    m_table->setHorizontalHeaderLabels({tr("Partition"), tr("Stored offsets"), tr("Committed"),
                                        tr("Lag now"), tr("New offset"), tr("New lag")});
    m_table->verticalHeader()->hide();
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setStretchLastSection(true);
    for (int row = 0; row < int(m_partitions.size()); ++row) {
        const PartitionRange &p = m_partitions[std::size_t(row)];
        auto item = [this, row](int column, const QString &text) {
            auto *i = new QTableWidgetItem(text);
            i->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_table->setItem(row, column, i);
        };
        item(PartitionColumn, QString::number(p.partition));
        item(StoredColumn, QString());
        item(CommittedColumn, QString());
        item(LagColumn, QString());
        item(NewLagColumn, QString());
        auto *edit = new QLineEdit(m_table);
        edit->setObjectName(QStringLiteral("offset-%1").arg(p.partition));
        edit->setValidator(numberValidator(edit, false));
        edit->setPlaceholderText(tr("keep"));
        m_table->setCellWidget(row, NewOffsetColumn, edit);
        m_edits.push_back(edit);
        showRange(row);
        connect(edit, &QLineEdit::textChanged, this, [this] {
            // a partition's offset typed by hand: the others keep what the mode gave them
            if (!m_filling && mode() != Mode::ByHand) {
                const QSignalBlocker quiet(m_mode);
                m_mode->setCurrentIndex(m_mode->findData(int(Mode::ByHand)));
                m_values->setCurrentWidget(m_noValue);
                m_lookupDelay->stop();
                ++m_lookupSequence; // a lookup on its way no longer fills the table
                m_lookupPending = false;
            }
            validate();
        });
    }
    m_table->resizeColumnsToContents();
    m_table->setColumnWidth(NewOffsetColumn,
                            std::max(m_table->columnWidth(NewOffsetColumn),
                                     fontMetrics().horizontalAdvance(QStringLiteral("0")) * 14));
    m_table->setMinimumHeight(std::min(8, int(m_partitions.size()) + 1) *
                              (fontMetrics().height() + 10));

    m_state->setObjectName(QStringLiteral("groupState"));
    colourAsProblem(m_state, palette());
    m_state->hide();
    m_note->setObjectName(QStringLiteral("note"));
    m_note->setWordWrap(true);
    m_problem->setObjectName(QStringLiteral("problem"));
    colourAsProblem(m_problem, palette());

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    buttons->addButton(m_reset, QDialogButtonBox::AcceptRole);
    auto *form = new QFormLayout;
    form->addRow(tr("&Reset:"), m_mode);
    form->addRow(QString(), m_values);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_state);
    layout->addLayout(form);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_note);
    layout->addWidget(m_problem);
    layout->addWidget(buttons);
    setMinimumWidth(std::max(560, fontMetrics().horizontalAdvance(windowTitle()) + 160));

    m_lookupDelay->setSingleShot(true);
    m_lookupDelay->setInterval(kLookupDelayMs);
    connect(m_lookupDelay, &QTimer::timeout, this, &ResetOffsetsDialog::lookUp);
    connect(m_mode, &QComboBox::currentIndexChanged, this, [this] {
        switch (mode()) {
        case Mode::Offset:
            m_values->setCurrentWidget(m_all);
            break;
        case Mode::Timestamp:
            m_values->setCurrentWidget(m_time);
            break;
        case Mode::Shift:
            m_values->setCurrentWidget(m_shift);
            break;
        default:
            m_values->setCurrentWidget(m_noValue);
        }
        fill();
    });
    connect(m_all, &QLineEdit::textChanged, this, &ResetOffsetsDialog::fill);
    connect(m_shift, &QLineEdit::textChanged, this, &ResetOffsetsDialog::fill);
    connect(m_time, &QDateTimeEdit::dateTimeChanged, this, &ResetOffsetsDialog::fill);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // nothing moves until the user picks: the first mode only shows what it would do
    m_mode->setCurrentIndex(m_mode->findData(int(Mode::ByHand)));
    m_values->setCurrentWidget(m_noValue);
    validate();
}

ResetOffsetsDialog::Mode ResetOffsetsDialog::mode() const
{
    return Mode(m_mode->currentData().toInt());
}

void ResetOffsetsDialog::setMode(Mode mode)
{
    m_mode->setCurrentIndex(m_mode->findData(int(mode)));
}

void ResetOffsetsDialog::showRange(int row)
{
    const PartitionRange &p = m_partitions[std::size_t(row)];
    m_table->item(row, StoredColumn)
        ->setText(p.start == p.end
                      ? tr("none (next %1)").arg(display::count(p.end))
                      : tr("%1–%2").arg(display::count(p.start), display::count(p.end - 1)));
    m_table->item(row, CommittedColumn)
        ->setText(p.committed < 0 ? tr("none") : display::count(p.committed));
    m_table->item(row, LagColumn)
        ->setText(p.committed < 0 ? tr("–")
                                  : display::count(std::max<std::int64_t>(0, p.end - p.committed)));
    m_edits[std::size_t(row)]->setToolTip(
        tr("%1 (the first stored) to %2 (the end: nothing left to read)")
            .arg(display::count(p.start), display::count(p.end)));
}

void ResetOffsetsDialog::updatePartitions(const std::vector<PartitionRange> &partitions)
{
    bool changed = false;
    for (const PartitionRange &fresh : partitions) {
        const int row = rowOf(fresh.partition);
        if (row < 0)
            continue; // a partition added meanwhile: not in this preview
        PartitionRange &p = m_partitions[std::size_t(row)];
        if (p.start == fresh.start && p.end == fresh.end && p.committed == fresh.committed)
            continue;
        p = fresh;
        showRange(row);
        changed = true;
    }
    if (!changed)
        return;
    // the computed modes follow the partitions; typed offsets and a time's answer stay
    const Mode m = mode();
    if (m == Mode::Earliest || m == Mode::Latest || m == Mode::Shift)
        fill();
    else
        validate();
}

void ResetOffsetsDialog::setGroupState(GroupState state, int members)
{
    // Kafka's tool accepts Empty and Dead (a group with nothing left) only
    m_groupEmpty = state == GroupState::Empty || state == GroupState::Dead;
    m_state->setText(m_groupEmpty
                         ? QString()
                         : tr("The group is %1 with %2. Kafka resets the offsets of an empty "
                              "group only: stop its consumers first (the preview stays live, "
                              "and Reset is offered once the group is empty).")
                               .arg(groupStateName(state),
                                    display::count(members, tr("member"), tr("members"))));
    m_state->setVisible(!m_groupEmpty);
    validate();
}

int ResetOffsetsDialog::rowOf(int partition) const
{
    for (std::size_t i = 0; i < m_partitions.size(); ++i)
        if (m_partitions[i].partition == partition)
            return int(i);
    return -1;
}

QLineEdit *ResetOffsetsDialog::offsetEdit(int partition) const
{
    const int row = rowOf(partition);
    return row < 0 ? nullptr : m_edits[std::size_t(row)];
}

QString ResetOffsetsDialog::newLagText(int partition) const
{
    const int row = rowOf(partition);
    const QTableWidgetItem *item = row < 0 ? nullptr : m_table->item(row, NewLagColumn);
    return item ? item->text() : QString();
}

std::map<int, std::int64_t> ResetOffsetsDialog::offsets() const
{
    std::map<int, std::int64_t> out;
    for (std::size_t i = 0; i < m_partitions.size(); ++i)
        if (!m_edits[i]->text().isEmpty())
            out[m_partitions[i].partition] = m_edits[i]->text().toLongLong();
    return out;
}

void ResetOffsetsDialog::fill()
{
    const Mode m = mode();
    if (m == Mode::ByHand)
        return validate();
    if (m == Mode::Timestamp) {
        // the lookup reads the log: off the GUI thread, once the time stops changing
        m_lookupPending = true;
        m_lookupErrors.clear();
        m_lookupDelay->start();
        m_filling = true;
        for (QLineEdit *edit : m_edits) {
            edit->clear();
            edit->setPlaceholderText(tr("looking up…"));
        }
        m_filling = false;
        return validate();
    }
    m_lookupDelay->stop();
    ++m_lookupSequence;
    m_lookupPending = false;
    m_lookupErrors.clear();
    bool shiftOk = false;
    const std::int64_t shift = m_shift->text().toLongLong(&shiftOk);
    m_filling = true;
    for (std::size_t i = 0; i < m_partitions.size(); ++i) {
        const PartitionRange &p = m_partitions[i];
        QString text;
        switch (m) {
        case Mode::Earliest:
            text = QString::number(p.start);
            break;
        case Mode::Latest:
            text = QString::number(p.end);
            break;
        case Mode::Offset:
            text = m_all->text();
            break;
        case Mode::Shift:
            // nothing committed: nothing to shift from (kept)
            if (shiftOk && p.committed >= 0) {
                // saturating: a shift of ±10^18 must not overflow
                const std::int64_t moved =
                    shift < 0 ? (p.committed + shift < p.start ? p.start : p.committed + shift)
                              : (shift > p.end - p.committed ? p.end : p.committed + shift);
                text = QString::number(std::clamp(moved, p.start, p.end));
            }
            break;
        default:
            break;
        }
        m_edits[i]->setPlaceholderText(tr("keep"));
        m_edits[i]->setText(text);
    }
    m_filling = false;
    validate();
}

void ResetOffsetsDialog::lookUp()
{
    if (!m_lookup)
        return;
    const std::uint64_t sequence = ++m_lookupSequence;
    const std::int64_t ms = m_time->dateTime().toMSecsSinceEpoch();
    runOffGuiThread(
        m_pool, this, [lookup = m_lookup, ms] { return lookup(ms); },
        [this, sequence](const std::vector<TimestampAnswer> &answers) {
            if (sequence != m_lookupSequence)
                return; // the time changed, or offsets were typed, meanwhile
            m_lookupPending = false;
            m_lookupErrors.clear();
            m_filling = true;
            for (QLineEdit *edit : m_edits)
                edit->setPlaceholderText(tr("keep"));
            for (const TimestampAnswer &a : answers) {
                QLineEdit *edit = offsetEdit(a.partition);
                if (!edit)
                    continue;
                if (a.error.isEmpty())
                    edit->setText(QString::number(a.offset));
                else
                    m_lookupErrors << tr("partition %1: the time could not be looked up: %2")
                                          .arg(a.partition)
                                          .arg(a.error);
            }
            m_filling = false;
            validate();
            Q_EMIT lookedUp();
        });
}

void ResetOffsetsDialog::validate()
{
    QStringList problems = mode() == Mode::Timestamp ? m_lookupErrors : QStringList();
    int given = 0;
    int kept = 0;
    for (std::size_t i = 0; i < m_partitions.size(); ++i) {
        const PartitionRange &p = m_partitions[i];
        const QString text = m_edits[i]->text();
        QString newLag;
        if (text.isEmpty()) {
            ++kept;
            newLag = p.committed < 0
                         ? tr("– (kept)")
                         : tr("%1 (kept)")
                               .arg(display::count(std::max<std::int64_t>(0, p.end - p.committed)));
        } else {
            ++given;
            bool ok = false;
            const std::int64_t offset = text.toLongLong(&ok);
            if (!ok)
                problems << tr("partition %1: %2 is not an offset").arg(p.partition).arg(text);
            else if (offset > p.end)
                problems << tr("partition %1: %2 is past its end, %3")
                                .arg(p.partition)
                                .arg(display::count(offset), display::count(p.end));
            else if (offset < p.start)
                problems << tr("partition %1: %2 is before its first stored offset, %3")
                                .arg(p.partition)
                                .arg(display::count(offset), display::count(p.start));
            else
                newLag = display::count(p.end - offset);
        }
        m_table->item(int(i), NewLagColumn)->setText(newLag);
    }
    if (problems.size() > 3)
        problems = problems.first(3) << tr("and %n more", nullptr, int(problems.size()) - 3);
    const QString joined = problems.join(QStringLiteral("; "));
    m_problem->setText(
        joined.isEmpty() ? QString() : joined.left(1).toUpper() + joined.mid(1) + QLatin1Char('.'));
    QString note;
    if (m_lookupPending)
        note = tr("Looking up the first record at or after %1 in each partition…")
                   .arg(m_time->dateTime().toString(m_time->displayFormat()));
    else if (mode() == Mode::Shift && kept > 0 && !m_shift->text().isEmpty())
        note = tr("%n partition(s) without a committed offset to shift from keep theirs.", nullptr,
                  kept);
    else if (given > 0 && kept > 0)
        note = tr("%n partition(s) left empty keep their offsets.", nullptr, kept);
    m_note->setText(note);
    m_reset->setEnabled(given > 0 && problems.isEmpty() && !m_lookupPending && m_groupEmpty);
}

} // namespace rivulet
