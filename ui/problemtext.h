#pragma once

#include <QColor>
#include <QLabel>
#include <QPalette>

namespace rivulet {

// Shows text in a dialog's problem label: red (a lighter red on a dark palette) when it is
// a problem, the label's normal colour when it is only news ("Applying…").
inline void showProblemText(QLabel *label, const QString &text, bool problem = true)
{
    QPalette pal = label->parentWidget() ? label->parentWidget()->palette() : label->palette();
    if (problem) {
        const bool dark = pal.color(QPalette::Window).lightness() < 128;
        pal.setColor(QPalette::WindowText, dark ? QColor(248, 113, 113) : QColor(185, 28, 28));
    }
    label->setPalette(pal);
    label->setText(text);
}

} // namespace rivulet
