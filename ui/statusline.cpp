#include "statusline.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace rivulet {

// A label that gives way: it asks for no width of its own and shows what fits, ending in
// "…", with the whole text in its tooltip.
class ElidedLabel : public QLabel
{
public:
    using QLabel::QLabel;

    void setFullText(const QString &text)
    {
        m_full = text;
        setToolTip(text);
        updateGeometry();
        update();
    }
    const QString &fullText() const { return m_full; }

    QSize sizeHint() const override
    {
        return {fontMetrics().horizontalAdvance(m_full) + 4, fontMetrics().height()};
    }
    QSize minimumSizeHint() const override { return {0, fontMetrics().height()}; }

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter painter(this);
        painter.setPen(palette().color(isEnabled() ? QPalette::Active : QPalette::Disabled,
                                       QPalette::WindowText));
        painter.drawText(rect(), Qt::AlignLeft | Qt::AlignVCenter,
                         fontMetrics().elidedText(m_full, Qt::ElideMiddle, width()));
    }

private:
    QString m_full;
};

namespace {

constexpr int kGap = 12;

} // namespace

StatusLine::StatusLine(QWidget *parent)
    : QWidget(parent), m_addresses(new QLabel(this)), m_copy(new QToolButton(this)),
      m_data(new ElidedLabel(this)), m_note(new ElidedLabel(this)), m_noteTimer(new QTimer(this)),
      m_problem(new ElidedLabel(this)), m_pickPort(new QToolButton(this)),
      m_totals(new QLabel(this)), m_top(new QHBoxLayout), m_bottom(new QHBoxLayout)
{
    m_copy->setText(tr("Copy"));
    m_copy->setAutoRaise(true);
    m_copy->setToolTip(tr("Copy the native protocol address (Ctrl+Shift+C)"));
    m_addresses->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_addresses->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Preferred);
    m_data->setEnabled(false); // quieter: the palette's disabled text colour
    m_data->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_note->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_note->hide();
    m_totals->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    m_totals->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Preferred);
    m_totals->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_problem->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_problem->hide();
    m_pickPort->setText(tr("Pick another port…"));
    m_pickPort->hide();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 0, 4, 0);
    layout->setSpacing(0);
    layout->addLayout(m_top);
    layout->addLayout(m_bottom);
    m_top->addWidget(m_addresses);
    m_top->addWidget(m_copy);
    m_top->addSpacing(kGap);
    m_top->addWidget(m_problem, 1);
    m_top->addWidget(m_pickPort);
    m_top->addWidget(m_data, 1);
    m_top->addWidget(m_note, 1);
    m_top->addSpacing(kGap);
    m_top->addWidget(m_totals);
    m_bottom->addStretch(1);
    m_noteTimer->setSingleShot(true);
    connect(m_noteTimer, &QTimer::timeout, this, [this] {
        m_note->hide();
        m_data->show();
    });

    connect(m_copy, &QToolButton::clicked, this, &StatusLine::copyAddressRequested);
    connect(m_pickPort, &QToolButton::clicked, this, &StatusLine::pickPortRequested);
}

QLabel *StatusLine::problemLabel() const
{
    return m_problem;
}

void StatusLine::setListeners(const QList<Listener> &listeners)
{
    QStringList parts;
    m_listenerProblems.clear();
    for (const Listener &l : listeners) {
        if (l.problem.isEmpty())
            parts << tr("%1 <b>%2</b>").arg(l.protocol.toHtmlEscaped(), l.address.toHtmlEscaped());
        else
            m_listenerProblems << tr("%1: %2").arg(l.protocol, l.problem);
    }
    m_addresses->setText(listeners.isEmpty() && !m_source.isEmpty() ? m_source.toHtmlEscaped()
                         : parts.isEmpty()                          ? tr("not listening")
                                           : parts.join(QStringLiteral(" · ")));
    m_copy->setVisible(m_copyShown && !listeners.isEmpty());
    showProblems();
}

void StatusLine::setSource(const QString &source)
{
    m_source = source;
}

void StatusLine::setSourceProblem(const QString &problem)
{
    if (problem == m_sourceProblem)
        return;
    m_sourceProblem = problem;
    showProblems();
}

void StatusLine::setCopyShown(bool shown)
{
    m_copyShown = shown;
    m_copy->setVisible(shown);
    arrange();
}

void StatusLine::showProblems()
{
    QStringList problems = m_listenerProblems;
    if (!m_sourceProblem.isEmpty())
        problems.prepend(m_sourceProblem);
    const bool trouble = !problems.isEmpty();
    if (trouble) {
        QPalette pal = m_problem->palette();
        const bool dark = palette().color(QPalette::Window).lightness() < 128;
        pal.setColor(QPalette::WindowText, dark ? QColor(248, 113, 113) : QColor(185, 28, 28));
        m_problem->setPalette(pal);
        const QString text = QStringLiteral("⚠ ") + problems.join(QStringLiteral(" · "));
        m_problem->setText(text); // for readers of text(); the painting shows fullText()
        m_problem->setFullText(text);
    }
    m_problem->setVisible(trouble);
    // another port is the answer to a listener's problem only
    m_pickPort->setVisible(!m_listenerProblems.isEmpty());
    arrange();
}

void StatusLine::setDataLocation(const QString &location)
{
    m_data->setFullText(location);
}

void StatusLine::showNote(const QString &note, int ms)
{
    m_note->setText(note);
    m_note->setFullText(note);
    m_data->hide();
    m_note->show();
    m_noteTimer->start(ms);
}

void StatusLine::setTotals(const QString &totals)
{
    if (m_totals->text() == totals)
        return;
    m_totals->setText(totals);
    arrange();
}

int StatusLine::oneLineWidth() const
{
    const QMargins margins = layout()->contentsMargins();
    int width = margins.left() + margins.right() + m_addresses->sizeHint().width() +
                (m_copy->isVisibleTo(this) ? m_copy->sizeHint().width() : 0) + 2 * kGap +
                m_totals->sizeHint().width() + 6 * std::max(0, m_top->spacing()) +
                8; // spacing between the items, the
                   // spacers counted, and some slack
    if (m_pickPort->isVisibleTo(this))
        width += m_pickPort->sizeHint().width() + fontMetrics().averageCharWidth() * 12;
    return width;
}

void StatusLine::arrange()
{
    // Each line at least as wide as what must stay whole on it: the window cannot be made
    // narrower than the addresses or the totals.
    const QMargins margins = layout()->contentsMargins();
    const int first = margins.left() + margins.right() + m_addresses->sizeHint().width() +
                      (m_copy->isVisibleTo(this) ? m_copy->sizeHint().width() : 0) +
                      m_top->spacing() +
                      (m_pickPort->isVisibleTo(this) ? m_pickPort->sizeHint().width() : 0);
    const int second = margins.left() + margins.right() + m_totals->sizeHint().width();
    setMinimumWidth(std::max(first, second));

    // one line when everything fits (a little slack before going back, so that totals that
    // grow and shrink by a digit do not make the bar jump)
    const int needed = oneLineWidth();
    const bool twoLines = m_twoLines ? width() < needed + 24 : width() < needed;
    if (twoLines == m_twoLines)
        return;
    m_twoLines = twoLines;
    if (twoLines) {
        m_top->removeWidget(m_totals);
        m_bottom->addWidget(m_totals);
    } else {
        m_bottom->removeWidget(m_totals);
        m_top->addWidget(m_totals);
    }
    // the status bar takes its height from this line's minimum size when asked again
    layout()->invalidate();
    updateGeometry();
}

void StatusLine::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    arrange();
}

} // namespace rivulet
