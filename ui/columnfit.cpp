#include "columnfit.h"

#include <QAbstractItemView>
#include <QHeaderView>
#include <QScrollBar>
#include <QTimer>

namespace rivulet {

void fitColumnsToValues(QAbstractItemView *view, QHeaderView *header, const QList<int> &columns)
{
    auto *timer = new QTimer(view);
    timer->setSingleShot(true);
    timer->setInterval(0);
    QObject::connect(timer, &QTimer::timeout, view, [view, header, columns] {
        for (int column : columns) {
            if (header->isSectionHidden(column))
                continue;
            // the cells shown now (sizeHintForColumn looks at the visible rows only)
            const int needed =
                std::max(view->sizeHintForColumn(column), header->sectionSizeHint(column));
            if (header->sectionSize(column) < needed)
                header->resizeSection(column, needed);
        }
    });
    QAbstractItemModel *model = view->model();
    const auto schedule = [timer] {
        if (!timer->isActive())
            timer->start();
    };
    QObject::connect(model, &QAbstractItemModel::dataChanged, timer, schedule);
    QObject::connect(model, &QAbstractItemModel::rowsInserted, timer, schedule);
    QObject::connect(model, &QAbstractItemModel::modelReset, timer, schedule);
    QObject::connect(model, &QAbstractItemModel::layoutChanged, timer, schedule);
    QObject::connect(view->verticalScrollBar(), &QAbstractSlider::valueChanged, timer, schedule);
}

} // namespace rivulet
