#pragma once

#include <QFont>
#include <QHash>
#include <QStaticText>
#include <QStyledItemDelegate>

#include <vector>

namespace rivulet {

// Paints plain one-line text cells the way QStyledItemDelegate does — the style draws the
// background, selection and focus — but lays the text out once per distinct string and
// font, and keeps the result. Item views repaint every visible cell a few times a second
// on a busy broker, and most cells show the same text as before: Fusion lays each one out
// twice per paint (to measure, then to draw), which made painting the window's biggest
// cost on the GUI thread. Cells with an icon, a check box, several lines or word wrap are
// left to the style, as QStyledItemDelegate draws them.
class CellDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;

private:
    // Paints a cell whose option initStyleOption() has already filled.
    void paintCell(QPainter *painter, const QStyleOptionViewItem &opt) const;
    const QStaticText &laidOut(const QString &text, const QFont &font,
                               Qt::LayoutDirection direction) const;

    struct Cache
    {
        QFont font;
        Qt::LayoutDirection direction;
        QHash<QString, QStaticText> texts;
    };
    // one per font and direction in use (a bold lag, say)
    mutable std::vector<Cache> m_caches;
};

} // namespace rivulet
