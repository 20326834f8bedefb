#include "celldelegate.h"

#include <QApplication>
#include <QPainter>
#include <QTextOption>

namespace rivulet {
namespace {

// Distinct strings kept per font before the cache starts over: a few screens' worth of
// cells, so numbers that change every tick do not make it grow without end.
constexpr qsizetype kMaxTexts = 4096;

} // namespace

void CellDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                         const QModelIndex &index) const
{
    QStyleOptionViewItem opt(option);
    initStyleOption(&opt, index);
    paintCell(painter, opt);
}

void CellDelegate::paintCell(QPainter *painter, const QStyleOptionViewItem &opt) const
{
    const QWidget *widget = opt.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    // initStyleOption() has turned line breaks into U+2028 already
    const bool oneLine = !opt.text.contains(QChar::LineSeparator) &&
                         !opt.text.contains(QChar::ParagraphSeparator) &&
                         !opt.text.contains(QLatin1Char('\n'));
    const bool plain = oneLine &&
                       !(opt.features & (QStyleOptionViewItem::HasDecoration |
                                         QStyleOptionViewItem::HasCheckIndicator |
                                         QStyleOptionViewItem::WrapText)) &&
                       !(opt.state & QStyle::State_Editing);
    if (!plain) {
        style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, widget);
        return;
    }
    // background, selection and focus as the style draws them; then the text
    QStyleOptionViewItem frame(opt);
    frame.text.clear();
    frame.features &= ~QStyleOptionViewItem::HasDisplay;
    style->drawControl(QStyle::CE_ItemViewItem, &frame, painter, widget);
    if (opt.text.isEmpty())
        return;

    QPalette::ColorGroup group =
        opt.state & QStyle::State_Enabled ? QPalette::Normal : QPalette::Disabled;
    if (group == QPalette::Normal && !(opt.state & QStyle::State_Active))
        group = QPalette::Inactive;
    const QPalette::ColorRole role =
        opt.state & QStyle::State_Selected ? QPalette::HighlightedText : QPalette::Text;
    // the margins the style leaves around an item's text
    const int margin = style->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, widget) + 1;
    const QRect rect = opt.rect.adjusted(margin, 0, -margin, 0);
    if (rect.width() <= 0)
        return;

    const QStaticText *text = &laidOut(opt.text, opt.font, opt.direction);
    if (text->size().width() > rect.width()) {
        const QString elided =
            QFontMetrics(opt.font).elidedText(opt.text, opt.textElideMode, rect.width());
        if (elided.isEmpty())
            return;
        text = &laidOut(elided, opt.font, opt.direction);
    }
    const QSizeF size = text->size();
    qreal x = rect.left();
    const Qt::Alignment h = QStyle::visualAlignment(opt.direction, opt.displayAlignment);
    if (h & Qt::AlignRight)
        x = rect.right() + 1 - size.width();
    else if (h & Qt::AlignHCenter)
        x = rect.left() + (rect.width() - size.width()) / 2;
    qreal y = rect.top() + (rect.height() - size.height()) / 2;
    if (opt.displayAlignment & Qt::AlignTop)
        y = rect.top();
    else if (opt.displayAlignment & Qt::AlignBottom)
        y = rect.bottom() + 1 - size.height();

    painter->save();
    painter->setClipRect(opt.rect, Qt::IntersectClip);
    painter->setFont(opt.font);
    painter->setPen(opt.palette.color(group, role));
    painter->drawStaticText(QPointF(x, y), *text);
    painter->restore();
}

const QStaticText &CellDelegate::laidOut(const QString &text, const QFont &font,
                                         Qt::LayoutDirection direction) const
{
    Cache *cache = nullptr;
    for (Cache &c : m_caches)
        if (c.direction == direction && c.font == font) {
            cache = &c;
            break;
        }
    if (!cache) {
        if (m_caches.size() >= 8)
            m_caches.clear();
        m_caches.push_back({font, direction, {}});
        cache = &m_caches.back();
    }
    auto it = cache->texts.find(text);
    if (it == cache->texts.end()) {
        if (cache->texts.size() >= kMaxTexts)
            cache->texts.clear();
        QStaticText laid(text);
        laid.setTextFormat(Qt::PlainText);
        QTextOption option;
        option.setTextDirection(direction); // as the style lays item text out
        laid.setTextOption(option);
        laid.prepare(QTransform(), font);
        it = cache->texts.insert(text, laid);
    }
    return *it;
}

} // namespace rivulet
