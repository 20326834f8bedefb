#include "rateschart.h"

#include "displayformat.h"

#include <QContextMenuEvent>
#include <QMenu>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace rivulet {
namespace {

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Base).lightness() < 128;
}

struct Scale
{
    double top = 10;
    int ticks = 5;
};

// The smallest 1, 2, 2.5 or 5 × 10^n at or above value, with ticks at round numbers.
Scale niceScale(double value, double minimum)
{
    value = std::max(value, minimum);
    const double magnitude = std::pow(10.0, std::floor(std::log10(value)));
    for (const auto &[step, ticks] : {std::pair{1.0, 5}, {2.0, 4}, {2.5, 5}, {5.0, 5}, {10.0, 5}})
        if (step * magnitude >= value * (1 - 1e-9))
            return {step * magnitude, ticks};
    return {10 * magnitude, 5};
}

QString spanLabel(int secondsAgo)
{
    if (secondsAgo == 0)
        return QObject::tr("now");
    if (secondsAgo % 60 == 0)
        return QObject::tr("−%1 min").arg(secondsAgo / 60);
    return QObject::tr("−%1 s").arg(secondsAgo);
}

} // namespace

RatesChart::RatesChart(QWidget *parent) : QWidget(parent)
{
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setToolTip(tr("Right-click to choose the time span and messages or bytes"));
}

void RatesChart::setBrokerRates(std::vector<RateSample> samples)
{
    m_broker = std::move(samples);
    update();
}

void RatesChart::setTopicRates(const QString &topic, std::vector<RateSample> samples)
{
    m_topic = topic;
    m_topicSamples = std::move(samples);
    update();
}

void RatesChart::setSpanSeconds(int seconds)
{
    seconds = std::clamp(seconds, 30, int(RateHistory::kCapacity));
    if (seconds == m_spanSeconds)
        return;
    m_spanSeconds = seconds;
    update();
    Q_EMIT spanChanged(seconds);
}

void RatesChart::setMetric(Metric metric)
{
    if (m_inOnly)
        metric = Metric::Messages; // a cluster's bytes are not known
    if (metric == m_metric)
        return;
    m_metric = metric;
    update();
    Q_EMIT metricChanged(metric);
}

void RatesChart::setInOnly(bool inOnly)
{
    m_inOnly = inOnly;
    if (inOnly)
        setMetric(Metric::Messages);
    update();
}

std::int64_t RatesChart::latestSampleMs() const
{
    return m_broker.empty() ? 0 : m_broker.back().timeMs;
}

double RatesChart::value(const RateSample &s, bool in) const
{
    if (m_metric == Metric::Messages)
        return in ? s.messagesIn : s.messagesOut;
    return in ? s.bytesIn : s.bytesOut;
}

std::vector<RatesChart::Series> RatesChart::series() const
{
    const bool dark = isDark(palette());
    std::vector<Series> out;
    out.push_back({tr("in"), dark ? QColor(96, 165, 250) : QColor(37, 99, 235), false, true,
                   &m_broker, true});
    if (!m_inOnly)
        out.push_back({tr("out"), dark ? QColor(74, 222, 128) : QColor(22, 163, 74), false, true,
                       &m_broker, false});
    if (!m_topic.isEmpty()) {
        out.push_back({tr("%1 in").arg(m_topic), dark ? QColor(251, 146, 60) : QColor(234, 88, 12),
                       true, false, &m_topicSamples, true});
        if (!m_inOnly)
            out.push_back({tr("%1 out").arg(m_topic),
                           dark ? QColor(216, 160, 255) : QColor(147, 51, 234), true, false,
                           &m_topicSamples, false});
    }
    return out;
}

QString RatesChart::heading() const
{
    return heading(series());
}

int RatesChart::legendWidth(const std::vector<Series> &all) const
{
    const QFontMetrics fm(font());
    int width = 0;
    for (const Series &s : all)
        width += fm.horizontalAdvance(s.label) + 38; // the label, its line sample and a gap
    return width;
}

QString RatesChart::heading(const std::vector<Series> &all) const
{
    const QString unit = m_metric == Metric::Messages ? tr("messages/s") : tr("bytes/s");
    const QString title = tr("Rates · %1").arg(unit);
    QFont bold = font();
    bold.setBold(true);
    // The unit always stays: the axis labels read the same for messages and bytes. The
    // legend decides whether "Rates · " fits before it; a narrow chart used to drop the
    // whole title, unit included.
    if (QFontMetrics(bold).horizontalAdvance(title) + 20 + legendWidth(all) <= width())
        return title;
    return unit;
}

void RatesChart::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette &pal = palette();
    p.fillRect(rect(), pal.color(QPalette::Base));
    QColor text = pal.color(QPalette::Text);
    QColor faint = text;
    faint.setAlpha(150);
    QColor grid = text;
    grid.setAlpha(isDark(pal) ? 38 : 30);

    const QFontMetrics fm(font());
    const int lineHeight = fm.height();

    // title and legend on one line above the plot
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(text);
    std::vector<Series> all = series();
    const QString shown = heading(all);
    // the legend fits beside the heading: a long topic name is cut in its middle
    const int room = width() - 20 - QFontMetrics(bold).horizontalAdvance(shown);
    const int legend = legendWidth(all);
    if (legend > room && !m_topic.isEmpty()) {
        const int topicWidth = fm.horizontalAdvance(m_topic);
        const int perLabel = (legend - room + 1) / (m_inOnly ? 1 : 2);
        const QString cut = fm.elidedText(
            m_topic, Qt::ElideMiddle,
            std::max(fm.horizontalAdvance(QStringLiteral("x…x")), topicWidth - perLabel));
        for (Series &s : all)
            if (s.label.startsWith(m_topic))
                s.label = cut + s.label.mid(m_topic.size());
    }
    p.drawText(QPoint(10, 6 + fm.ascent()), shown);
    p.setFont(font());
    int legendX = width() - 10;
    const int legendLeft = width() - room; // right of the heading
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
        const int w = fm.horizontalAdvance(it->label);
        if (legendX - w - 24 < legendLeft)
            break; // the narrowest chart: what does not fit beside the heading is left out
        legendX -= w;
        p.setPen(faint);
        p.drawText(QPoint(legendX, 6 + fm.ascent()), it->label);
        legendX -= 24;
        QPen pen(it->color, 2.5, it->dashed ? Qt::DashLine : Qt::SolidLine);
        p.setPen(pen);
        const int y = 6 + lineHeight / 2;
        p.drawLine(legendX, y, legendX + 18, y);
        legendX -= 14;
    }

    // the y labels decide the left margin
    const std::int64_t nowMs = latestSampleMs();
    const std::int64_t fromMs = nowMs - std::int64_t(m_spanSeconds) * 1000;
    double maxValue = 0;
    for (const Series &s : all)
        for (const RateSample &sample : *s.samples)
            if (sample.timeMs >= fromMs)
                maxValue = std::max(maxValue, value(sample, s.in));
    const Scale scale = niceScale(maxValue * 1.05, m_metric == Metric::Messages ? 10 : 1000);
    const double top = scale.top;
    const int ticks = scale.ticks;
    int labelWidth = 0;
    for (int i = 0; i <= ticks; ++i)
        labelWidth = std::max(labelWidth, fm.horizontalAdvance(display::compact(top * i / ticks)));

    const int rightMargin = std::max(14, fm.horizontalAdvance(spanLabel(0)) / 2 + 6);
    const QRect plot(labelWidth + 18, 14 + lineHeight, width() - labelWidth - 18 - rightMargin,
                     height() - (14 + lineHeight) - lineHeight - 12);
    if (plot.width() < 40 || plot.height() < 30)
        return;

    p.setPen(faint);
    for (int i = 0; i <= ticks; ++i) {
        const int y = plot.bottom() - int(std::lround(double(plot.height()) * i / ticks));
        p.setPen(QPen(grid, 1));
        p.drawLine(plot.left(), y, plot.right(), y);
        p.setPen(faint);
        p.drawText(QRect(0, y - lineHeight / 2, plot.left() - 8, lineHeight),
                   Qt::AlignRight | Qt::AlignVCenter, display::compact(top * i / ticks));
    }
    // x: labels as often as they fit (every 10 s … every 5 min)
    int step = 300;
    const int labelRoom = fm.horizontalAdvance(spanLabel(m_spanSeconds)) + 16;
    for (const int candidate : {10, 30, 60, 120, 300}) {
        if (candidate * 2 > m_spanSeconds && candidate != 300)
            continue;
        if (double(plot.width()) * candidate / m_spanSeconds >= labelRoom) {
            step = candidate;
            break;
        }
    }
    for (int ago = 0; ago <= m_spanSeconds; ago += step) {
        const int x = plot.right() - int(std::lround(double(plot.width()) * ago / m_spanSeconds));
        p.setPen(QPen(grid, 1));
        p.drawLine(x, plot.top(), x, plot.bottom());
        p.setPen(faint);
        const QString label = spanLabel(ago);
        const int w = fm.horizontalAdvance(label);
        const int lx = std::clamp(x - w / 2, plot.left() - w / 2, width() - w - 2);
        p.drawText(QPoint(lx, plot.bottom() + 6 + fm.ascent()), label);
    }

    if (m_broker.empty()) {
        p.setPen(faint);
        p.drawText(plot, Qt::AlignCenter, tr("Waiting for the first rate sample…"));
        return;
    }

    auto xOf = [&](std::int64_t ms) {
        return plot.right() - double(plot.width()) * double(nowMs - ms) / (m_spanSeconds * 1000.0);
    };
    auto yOf = [&](double v) { return plot.bottom() - double(plot.height()) * v / top; };

    p.save();
    p.setClipRect(plot.adjusted(0, -2, 1, 1));
    for (const Series &s : all) {
        QPainterPath line;
        bool started = false;
        double firstX = 0, lastX = 0;
        for (const RateSample &sample : *s.samples) {
            if (sample.timeMs < fromMs - 1000)
                continue;
            const QPointF point(xOf(sample.timeMs), yOf(value(sample, s.in)));
            if (!started) {
                line.moveTo(point);
                firstX = point.x();
                started = true;
            } else {
                line.lineTo(point);
            }
            lastX = point.x();
        }
        if (!started)
            continue;
        if (s.filled) {
            QPainterPath area = line;
            area.lineTo(lastX, plot.bottom());
            area.lineTo(firstX, plot.bottom());
            area.closeSubpath();
            QColor fill = s.color;
            fill.setAlpha(isDark(pal) ? 50 : 40);
            p.fillPath(area, fill);
        }
        QPen pen(s.color, s.dashed ? 2.0 : 1.8, s.dashed ? Qt::DashLine : Qt::SolidLine);
        pen.setJoinStyle(Qt::RoundJoin);
        p.strokePath(line, pen);
    }
    p.restore();

    p.setPen(QPen(faint, 1));
    p.drawLine(plot.bottomLeft(), plot.bottomRight());

    // hover: the values at the sample under the mouse
    if (m_hoverX >= plot.left() && m_hoverX <= plot.right()) {
        const std::int64_t atMs = nowMs - std::int64_t(double(plot.right() - m_hoverX) /
                                                       plot.width() * m_spanSeconds * 1000);
        auto nearest = [&](const std::vector<RateSample> &samples) -> const RateSample * {
            const RateSample *best = nullptr;
            for (const RateSample &s : samples)
                if (!best || std::abs(s.timeMs - atMs) < std::abs(best->timeMs - atMs))
                    best = &s;
            return best && std::abs(best->timeMs - atMs) <= 1500 ? best : nullptr;
        };
        const RateSample *b = nearest(m_broker);
        if (b) {
            const int x = int(std::lround(xOf(b->timeMs)));
            p.setPen(QPen(faint, 1, Qt::DotLine));
            p.drawLine(x, plot.top(), x, plot.bottom());
            QStringList lines{spanLabel(int((nowMs - b->timeMs + 500) / 1000))};
            std::vector<QColor> colors{faint};
            for (const Series &s : all) {
                const RateSample *sample = s.samples == &m_broker ? b : nearest(*s.samples);
                if (!sample)
                    continue;
                const double v = value(*sample, s.in);
                lines << QStringLiteral("%1: %2").arg(s.label, m_metric == Metric::Messages
                                                                   ? display::rate(v)
                                                                   : display::byteRate(v));
                colors.push_back(s.color);
                p.setPen(Qt::NoPen);
                p.setBrush(s.color);
                p.drawEllipse(QPointF(x, yOf(v)), 3, 3);
            }
            int boxWidth = 0;
            for (const QString &l : lines)
                boxWidth = std::max(boxWidth, fm.horizontalAdvance(l));
            QRect box(0, plot.top() + 4, boxWidth + 16, int(lines.size()) * lineHeight + 8);
            box.moveLeft(x + 10 + box.width() < plot.right() ? x + 10 : x - 10 - box.width());
            QColor background = pal.color(QPalette::ToolTipBase);
            background.setAlpha(235);
            p.setBrush(background);
            p.setPen(QPen(grid, 1));
            p.drawRoundedRect(box, 4, 4);
            for (int i = 0; i < int(lines.size()); ++i) {
                p.setPen(i == 0 ? pal.color(QPalette::ToolTipText) : colors[std::size_t(i)]);
                p.drawText(QPoint(box.left() + 8, box.top() + 4 + fm.ascent() + i * lineHeight),
                           lines[i]);
            }
        }
    }
}

void RatesChart::mouseMoveEvent(QMouseEvent *event)
{
    m_hoverX = int(event->position().x());
    update();
}

void RatesChart::leaveEvent(QEvent *)
{
    m_hoverX = -1;
    update();
}

void RatesChart::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu menu(this);
    for (const int seconds : {60, 300, 600}) {
        QAction *a = menu.addAction(seconds == 60 ? tr("Last minute")
                                                  : tr("Last %1 minutes").arg(seconds / 60));
        a->setCheckable(true);
        a->setChecked(seconds == m_spanSeconds);
        connect(a, &QAction::triggered, this, [this, seconds] { setSpanSeconds(seconds); });
    }
    menu.addSeparator();
    QAction *messages = menu.addAction(tr("Messages per second"));
    messages->setCheckable(true);
    messages->setChecked(m_metric == Metric::Messages);
    connect(messages, &QAction::triggered, this, [this] { setMetric(Metric::Messages); });
    QAction *bytes = menu.addAction(tr("Bytes per second"));
    bytes->setEnabled(!m_inOnly);
    bytes->setCheckable(true);
    bytes->setChecked(m_metric == Metric::Bytes);
    connect(bytes, &QAction::triggered, this, [this] { setMetric(Metric::Bytes); });
    menu.exec(event->globalPos());
}

} // namespace rivulet
