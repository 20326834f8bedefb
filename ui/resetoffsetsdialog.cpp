#include "resetoffsetsdialog.h"

#include "displayformat.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QTableWidget>
#include <QVBoxLayout>

namespace rivulet {
namespace {

enum Column
{
    PartitionColumn,
    CommittedColumn,
    StoredColumn,
    NewOffsetColumn,
    ColumnCount
};

QValidator *offsetValidator(QObject *parent)
{
    return new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{0,18}")),
                                           parent);
}

} // namespace

ResetOffsetsDialog::ResetOffsetsDialog(const QString &group, const QString &topic,
                                       std::vector<PartitionRange> partitions, QWidget *parent)
    : QDialog(parent), m_partitions(std::move(partitions)), m_all(new QLineEdit(this)),
      m_table(new QTableWidget(int(m_partitions.size()), ColumnCount, this)),
      m_problem(new QLabel(this)), m_reset(new QPushButton(tr("Reset"), this))
{
    setWindowTitle(tr("Reset offsets of %1 — Rivulet").arg(group));
    auto *intro = new QLabel(tr("New committed offsets of group <b>%1</b> on topic <b>%2</b>. "
                                "Its consumers read from there when they next start. A "
                                "partition left empty keeps its offset.")
                                 .arg(group.toHtmlEscaped(), topic.toHtmlEscaped()),
                             this);
    intro->setWordWrap(true);
    m_all->setValidator(offsetValidator(m_all));
    m_all->setPlaceholderText(tr("offset"));
    m_all->setToolTip(tr("Sets every partition's offset below"));
    m_problem->setObjectName(QStringLiteral("problem"));
    m_problem->setWordWrap(true);
    m_problem->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QPalette pal = m_problem->palette();
    const bool dark = palette().color(QPalette::Window).lightness() < 128;
    pal.setColor(QPalette::WindowText, dark ? QColor(248, 113, 113) : QColor(185, 28, 28));
    m_problem->setPalette(pal);

    m_table->setHorizontalHeaderLabels(
        {tr("Partition"), tr("Committed"), tr("Stored offsets"), tr("New offset")});
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
        item(CommittedColumn, p.committed < 0 ? tr("none") : display::count(p.committed));
        item(StoredColumn, p.start == p.end ? tr("none (next %1)").arg(display::count(p.end))
                                            : tr("%1–%2").arg(display::count(p.start),
                                                              display::count(p.end - 1)));
        auto *edit = new QLineEdit(m_table);
        edit->setObjectName(QStringLiteral("offset-%1").arg(p.partition));
        edit->setValidator(offsetValidator(edit));
        edit->setPlaceholderText(tr("keep"));
        edit->setToolTip(tr("%1 (the first stored) to %2 (the end: nothing left to read)")
                             .arg(display::count(p.start), display::count(p.end)));
        m_table->setCellWidget(row, NewOffsetColumn, edit);
        m_edits.push_back(edit);
        connect(edit, &QLineEdit::textChanged, this, &ResetOffsetsDialog::validate);
    }
    m_table->resizeColumnsToContents();
    m_table->setMinimumHeight(std::min(8, int(m_partitions.size()) + 1) *
                              (fontMetrics().height() + 10));

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    buttons->addButton(m_reset, QDialogButtonBox::AcceptRole);
    auto *form = new QFormLayout;
    form->addRow(tr("&Every partition:"), m_all);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_problem);
    layout->addWidget(buttons);
    setMinimumWidth(std::max(480, fontMetrics().horizontalAdvance(windowTitle()) + 160));

    connect(m_all, &QLineEdit::textChanged, this, [this](const QString &text) {
        for (QLineEdit *edit : m_edits)
            edit->setText(text);
    });
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    validate();
}

QLineEdit *ResetOffsetsDialog::offsetEdit(int partition) const
{
    for (std::size_t i = 0; i < m_partitions.size(); ++i)
        if (m_partitions[i].partition == partition)
            return m_edits[i];
    return nullptr;
}

std::map<int, std::int64_t> ResetOffsetsDialog::offsets() const
{
    std::map<int, std::int64_t> out;
    for (std::size_t i = 0; i < m_partitions.size(); ++i)
        if (!m_edits[i]->text().isEmpty())
            out[m_partitions[i].partition] = m_edits[i]->text().toLongLong();
    return out;
}

void ResetOffsetsDialog::validate()
{
    QStringList problems;
    bool any = false;
    for (std::size_t i = 0; i < m_partitions.size(); ++i) {
        const QString text = m_edits[i]->text();
        if (text.isEmpty())
            continue;
        any = true;
        const PartitionRange &p = m_partitions[i];
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
    }
    if (problems.size() > 3)
        problems = problems.first(3) << tr("and %n more", nullptr, int(problems.size()) - 3);
    m_problem->setText(problems.isEmpty()
                           ? QString()
                           : problems.join(QStringLiteral("; ")).left(1).toUpper() +
                                 problems.join(QStringLiteral("; ")).mid(1) + QLatin1Char('.'));
    m_reset->setEnabled(any && problems.isEmpty());
}

} // namespace rivulet
