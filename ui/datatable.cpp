#include "datatable.h"

#include "celldelegate.h"
#include "modelroles.h"

#include <QHeaderView>
#include <QSortFilterProxyModel>
#include <QTableView>

namespace rivulet {

QTableView *makeDataTable(QSortFilterProxyModel *proxy, QWidget *parent)
{
    proxy->setSortRole(SortRole);
    auto *view = new QTableView(parent);
    view->setModel(proxy);
    view->setItemDelegate(new CellDelegate(view));
    view->setSortingEnabled(true);
    view->sortByColumn(0, Qt::AscendingOrder);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->setShowGrid(false);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
    view->horizontalHeader()->setHighlightSections(false);
    view->horizontalHeader()->setSectionsMovable(true);
    view->horizontalHeader()->setStretchLastSection(true);
    return view;
}

} // namespace rivulet
