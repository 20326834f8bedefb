#pragma once

#include <QMessageBox>

#include <functional>

namespace rivulet {

// Message boxes that do not block (QDialog::open(), deleted when closed), for the window and
// its panels.

// Asks, and runs then() if the user picks the action's button (Cancel is the default).
void askToConfirm(QWidget *parent, QMessageBox::Icon icon, const QString &title,
                  const QString &text, const QString &action, std::function<void()> then);
// Says what went wrong.
void showProblem(QWidget *parent, const QString &title, const QString &text);

} // namespace rivulet
