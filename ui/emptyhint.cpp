#include "emptyhint.h"

#include <QAbstractItemView>
#include <QEvent>
#include <QPainter>

namespace rivulet {

EmptyHint::EmptyHint(QAbstractItemView *view, QString text)
    : QObject(view), m_view(view), m_text(std::move(text))
{
}

void EmptyHint::install(QAbstractItemView *view, const QString &text)
{
    // again on the same view: the text changes (the window learnt its address)
    for (EmptyHint *hint : view->findChildren<EmptyHint *>(Qt::FindDirectChildrenOnly)) {
        hint->m_text = text;
        view->viewport()->update();
        return;
    }
    view->viewport()->installEventFilter(new EmptyHint(view, text));
}

bool EmptyHint::eventFilter(QObject *watched, QEvent *event)
{
    // the viewport's background is already drawn; the (empty) view paints after this
    if (event->type() == QEvent::Paint && m_view->model() && m_view->model()->rowCount() == 0) {
        auto *viewport = static_cast<QWidget *>(watched);
        QPainter p(viewport);
        QColor color = viewport->palette().color(QPalette::Text);
        color.setAlpha(140);
        p.setPen(color);
        const QRect area = viewport->rect().adjusted(24, 24, -24, -24);
        p.drawText(area, Qt::AlignHCenter | Qt::AlignTop | Qt::TextWordWrap, m_text);
    }
    return QObject::eventFilter(watched, event);
}

} // namespace rivulet
