#include "statusline.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QTimer>
#include <QToolButton>

namespace rivulet {

StatusLine::StatusLine(QWidget *parent)
    : QWidget(parent), m_addresses(new QLabel(this)), m_data(new QLabel(this)),
      m_totals(new QLabel(this)), m_note(new QLabel(this)), m_noteTimer(new QTimer(this)),
      m_problem(new QLabel(this)), m_pickPort(new QToolButton(this))
{
    auto *copy = new QToolButton(this);
    copy->setText(tr("Copy"));
    copy->setAutoRaise(true);
    copy->setToolTip(tr("Copy the native protocol address (Ctrl+Shift+C)"));
    m_addresses->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_data->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_data->setEnabled(false); // quieter: the palette's disabled text colour
    m_totals->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_problem->setWordWrap(false);
    m_problem->hide();
    m_pickPort->setText(tr("Pick another port…"));
    m_pickPort->hide();

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 0, 4, 0);
    layout->addWidget(m_addresses);
    layout->addWidget(copy);
    layout->addSpacing(12);
    layout->addWidget(m_data);
    layout->addWidget(m_problem);
    layout->addWidget(m_pickPort);
    layout->addStretch(1);
    layout->addWidget(m_note);
    layout->addSpacing(12);
    layout->addWidget(m_totals);
    m_noteTimer->setSingleShot(true);
    connect(m_noteTimer, &QTimer::timeout, m_note, &QLabel::clear);

    connect(copy, &QToolButton::clicked, this, &StatusLine::copyAddressRequested);
    connect(m_pickPort, &QToolButton::clicked, this, &StatusLine::pickPortRequested);
}

void StatusLine::setListeners(const QList<Listener> &listeners)
{
    QStringList parts, problems;
    for (const Listener &l : listeners) {
        if (l.problem.isEmpty())
            parts << tr("%1 <b>%2</b>").arg(l.protocol.toHtmlEscaped(), l.address.toHtmlEscaped());
        else
            problems << tr("%1: %2").arg(l.protocol, l.problem);
    }
    m_addresses->setText(parts.isEmpty() ? tr("not listening") : parts.join(QStringLiteral(" · ")));
    const bool trouble = !problems.isEmpty();
    if (trouble) {
        QPalette pal = m_problem->palette();
        const bool dark = palette().color(QPalette::Window).lightness() < 128;
        pal.setColor(QPalette::WindowText, dark ? QColor(248, 113, 113) : QColor(185, 28, 28));
        m_problem->setPalette(pal);
        m_problem->setText(QStringLiteral("⚠ ") + problems.join(QStringLiteral(" · ")));
    }
    m_problem->setVisible(trouble);
    m_pickPort->setVisible(trouble);
}

void StatusLine::setDataLocation(const QString &location)
{
    m_data->setText(location);
}

void StatusLine::showNote(const QString &note, int ms)
{
    m_note->setText(note);
    m_noteTimer->start(ms);
}

void StatusLine::setTotals(const QString &totals)
{
    m_totals->setText(totals);
}

} // namespace rivulet
