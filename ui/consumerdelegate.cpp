#include "consumerdelegate.h"

#include "consumersmodel.h"
#include "modelroles.h"

#include <QApplication>
#include <QPainter>

namespace rivulet {

QColor ConsumerDelegate::lagColor(double fraction, const QPalette &palette)
{
    const bool dark = palette.color(QPalette::Base).lightness() < 128;
    if (fraction >= 0.1)
        return dark ? QColor(248, 113, 113) : QColor(220, 38, 38);
    return dark ? QColor(251, 191, 36) : QColor(217, 119, 6);
}

QColor ConsumerDelegate::dotColor(const QModelIndex &index, const QPalette &palette)
{
    const QColor green(34, 197, 94);
    const QColor grey = palette.color(QPalette::Disabled, QPalette::Text);
    const QVariant state = index.data(GroupStateRole);
    if (!state.isValid()) // a native consumer: is its connection open
        return index.data(ConnectedRole).toBool() ? green : grey;
    switch (GroupState(state.toInt())) {
    case GroupState::Stable:
        return green;
    case GroupState::PreparingRebalance:
    case GroupState::CompletingRebalance:
        return lagColor(0, palette); // amber: its members are between assignments
    default:
        return grey;
    }
}

void ConsumerDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                             const QModelIndex &index) const
{
    QStyleOptionViewItem opt(option);
    const bool connected = index.data(ConnectedRole).toBool();
    if (!connected) {
        const QColor dim = opt.palette.color(QPalette::Disabled, QPalette::Text);
        opt.palette.setColor(QPalette::Text, dim);
        opt.palette.setColor(QPalette::WindowText, dim);
    }

    if (index.column() == ConsumersModel::Lag) {
        const qlonglong lag = index.data(LagRole).toLongLong();
        if (lag > 0) {
            // the bar's length is the share of the partition not read yet
            const double fraction = index.data(LagFractionRole).toDouble();
            QColor fill = lagColor(fraction, opt.palette);
            fill.setAlpha(connected ? 95 : 45);
            QRect bar = opt.rect.adjusted(4, 4, -4, -4);
            bar.setWidth(std::max(4, int(bar.width() * std::max(fraction, 0.04))));
            painter->save();
            painter->setRenderHint(QPainter::Antialiasing);
            painter->setPen(Qt::NoPen);
            painter->setBrush(fill);
            painter->drawRoundedRect(bar, 3, 3);
            painter->restore();
            opt.font.setBold(true);
        }
    }

    if (index.column() == ConsumersModel::State) {
        // the background and selection as usual, then a status dot and the word
        QStyleOptionViewItem background(opt);
        initStyleOption(&background, index);
        background.text.clear();
        const QWidget *widget = opt.widget;
        QStyle *style = widget ? widget->style() : QApplication::style();
        style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);
        const int d = opt.fontMetrics.height() / 2;
        const QRect dot(opt.rect.left() + 6, opt.rect.center().y() - d / 2, d, d);
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing);
        painter->setPen(Qt::NoPen);
        painter->setBrush(dotColor(index, opt.palette));
        painter->drawEllipse(dot);
        painter->setPen(opt.state & QStyle::State_Selected
                            ? opt.palette.color(QPalette::HighlightedText)
                            : opt.palette.color(QPalette::Text));
        painter->drawText(opt.rect.adjusted(d + 12, 0, 0, 0), Qt::AlignLeft | Qt::AlignVCenter,
                          index.data().toString());
        painter->restore();
        return;
    }
    CellDelegate::paint(painter, opt, index);
}

QSize ConsumerDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    if (index.column() == ConsumersModel::State)
        size.rwidth() += option.fontMetrics.height();
    return size;
}

} // namespace rivulet
