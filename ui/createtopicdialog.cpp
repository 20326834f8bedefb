#include "createtopicdialog.h"

#include "clustersource.h"
#include "displayformat.h"
#include "offthread.h"
#include "problemtext.h"
// Kafka's topic name rules and the partition limit, shared with the broker
#include "topicrules.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>

namespace rivulet {

CreateTopicDialog::CreateTopicDialog(ClusterSource &source, QThreadPool &pool, QWidget *parent)
    : QDialog(parent), m_source(source), m_pool(pool), m_name(new QLineEdit(this)),
      m_partitions(new QLineEdit(this)), m_problem(new QLabel(this)),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("New topic — Rivulet"));
    m_name->setPlaceholderText(tr("e.g. orders"));
    m_name->setMaxLength(249);
    m_name->setToolTip(tr("1–249 characters: letters, digits, '.', '_' and '-'"));
    // digits only (a few more than the limit has, so that a number too big shows as typed
    // and is refused with the range instead of being cut to another number)
    m_partitions->setValidator(new QRegularExpressionValidator(
        QRegularExpression(QStringLiteral("[0-9]{0,9}")), m_partitions));
    m_partitions->setText(QStringLiteral("1"));
    m_partitions->setMaximumWidth(fontMetrics().horizontalAdvance(QLatin1Char('0')) * 12);
    m_partitions->setToolTip(tr("1 to %1. Partitions are read in parallel; their number cannot "
                                "change later")
                                 .arg(display::count(kMaxPartitions)));
    m_problem->setWordWrap(true);
    m_problem->setMinimumHeight(fontMetrics().height() * 2);
    m_problem->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Create"));

    auto *form = new QFormLayout(this);
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Partitions:"), m_partitions);
    form->addRow(m_problem);
    form->addRow(m_buttons);
    setMinimumWidth(420);

    connect(m_name, &QLineEdit::textChanged, this, &CreateTopicDialog::validate);
    connect(m_partitions, &QLineEdit::textChanged, this, &CreateTopicDialog::validate);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &CreateTopicDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &CreateTopicDialog::reject);
    validate();
}

void CreateTopicDialog::setTopics(const QStringList &names)
{
    m_existing = QSet<QString>(names.begin(), names.end());
    validate();
}

QString CreateTopicDialog::nameProblem() const
{
    const QByteArray name = m_name->text().toUtf8();
    if (name.isEmpty())
        return tr("Enter a name.");
    const QString problem = topicNameProblem(name);
    if (!problem.isEmpty())
        return problem.left(1).toUpper() + problem.mid(1) + QLatin1Char('.');
    if (m_existing.contains(m_name->text()))
        return tr("A topic named \"%1\" already exists.").arg(m_name->text());
    return {};
}

QString CreateTopicDialog::partitionsProblem() const
{
    const QString text = m_partitions->text();
    const int max = kMaxPartitions;
    if (text.isEmpty())
        return tr("Enter a number of partitions, 1 to %1.").arg(display::count(max));
    bool ok = false;
    const qint64 count = text.toLongLong(&ok);
    if (!ok || count < 1)
        return tr("A topic needs at least 1 partition.");
    if (count > max)
        return tr("%1 partitions is too many: at most %2.")
            .arg(display::count(count), display::count(max));
    return {};
}

QString CreateTopicDialog::problem() const
{
    const QString name = nameProblem();
    return name.isEmpty() ? partitionsProblem() : name;
}

void CreateTopicDialog::validate()
{
    const QString problem = this->problem();
    // an empty name is not an error yet, just not ready; a partition count is, at once
    const QString partitions = partitionsProblem();
    showProblem(!partitions.isEmpty()      ? partitions
                : m_name->text().isEmpty() ? QString()
                                           : problem);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(problem.isEmpty() && !m_creating);
}

void CreateTopicDialog::showProblem(const QString &problem)
{
    showProblemText(m_problem, problem);
}

void CreateTopicDialog::accept()
{
    if (m_creating)
        return;
    const QString problem = this->problem();
    if (!problem.isEmpty()) {
        showProblem(problem);
        return;
    }
    m_creating = true;
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
    m_name->setEnabled(false);
    m_partitions->setEnabled(false);
    m_problem->setText(tr("Creating…"));
    m_problem->setPalette(palette());

    const QByteArray name = m_name->text().toUtf8();
    const int partitions = m_partitions->text().toInt();
    ClusterSource *source = &m_source;
    runOffGuiThread(
        m_pool, this,
        [source, name, partitions] {
            QString error;
            return source->createTopic(name, partitions, std::nullopt, error) ? QString() : error;
        },
        [this, name, partitions](const QString &error) {
            m_creating = false;
            m_name->setEnabled(true);
            m_partitions->setEnabled(true);
            if (error.isEmpty()) {
                Q_EMIT topicCreated(QString::fromUtf8(name), partitions);
                QDialog::accept();
                return;
            }
            validate();
            showProblem(error.left(1).toUpper() + error.mid(1) +
                        (error.endsWith(QLatin1Char('.')) ? QString() : QStringLiteral(".")));
        });
}

} // namespace rivulet
