#include "askuser.h"

#include <QPushButton>

namespace rivulet {

void askToConfirm(QWidget *parent, QMessageBox::Icon icon, const QString &title,
                  const QString &text, const QString &action, std::function<void()> then)
{
    auto *ask = new QMessageBox(icon, title, text, QMessageBox::Cancel, parent);
    QPushButton *button =
        ask->addButton(action, icon == QMessageBox::Warning ? QMessageBox::DestructiveRole
                                                            : QMessageBox::AcceptRole);
    ask->setDefaultButton(QMessageBox::Cancel);
    ask->setAttribute(Qt::WA_DeleteOnClose);
    QObject::connect(ask, &QMessageBox::finished, ask, [ask, button, then = std::move(then)] {
        if (ask->clickedButton() == static_cast<QAbstractButton *>(button))
            then();
    });
    ask->open();
}

void showProblem(QWidget *parent, const QString &title, const QString &text)
{
    auto *box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

} // namespace rivulet
