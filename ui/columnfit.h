#pragma once

#include <QList>

class QAbstractItemView;
class QHeaderView;

namespace rivulet {

// Keeps the view's number columns at least as wide as the values shown in them, so that a
// rate of millions is never cut to "2,157,6…": after the model changes, a column narrower
// than its widest shown cell (or its title) grows to fit. Columns never shrink by
// themselves, so that a user's wider column stays. Checked once per event loop pass, however
// many changes arrive.
void fitColumnsToValues(QAbstractItemView *view, QHeaderView *header, const QList<int> &columns);

} // namespace rivulet
