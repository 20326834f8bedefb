#pragma once

class QSortFilterProxyModel;
class QTableView;
class QWidget;

namespace rivulet {

// A table of live rows as the window's tabs show them: sorted through the proxy (by its
// SortRole values), whole rows selected, cells painted by CellDelegate, movable columns.
QTableView *makeDataTable(QSortFilterProxyModel *proxy, QWidget *parent);

} // namespace rivulet
