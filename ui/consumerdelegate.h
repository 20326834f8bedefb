#pragma once

#include "celldelegate.h"

namespace rivulet {

// Draws the consumers table: a bar behind the lag, amber when a consumer is somewhat
// behind and red when it is far behind (as a share of what the partition holds), a status
// dot (a native consumer: green while connected; a Kafka group: green when Stable, amber
// while it rebalances, grey when Empty), and rows of consumers whose connection is gone (or
// groups without members) in the palette's disabled colour.
class ConsumerDelegate : public CellDelegate
{
    Q_OBJECT
public:
    using CellDelegate::CellDelegate;

    // The colour for a lag that is this share of the partition (0..1), for this palette.
    static QColor lagColor(double fraction, const QPalette &palette);
    // The status dot's colour for a consumers table row.
    static QColor dotColor(const QModelIndex &index, const QPalette &palette);

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace rivulet
