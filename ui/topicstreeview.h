#pragma once

#include <QTreeView>

namespace rivulet {

// The topics tree. Every refresh changes the counts of thousands of partition rows on a
// busy broker, most of them under collapsed topics: QTreeView would look each of those
// ranges up among its visible rows (a linear search) only to find nothing to repaint.
// This view ignores changes below collapsed topics; expanding a topic draws it afresh.
class TopicsTreeView : public QTreeView
{
    Q_OBJECT
public:
    using QTreeView::QTreeView;

protected:
    void dataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight,
                     const QList<int> &roles = QList<int>()) override;
};

} // namespace rivulet
