#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace rivulet {

// Merges a freshly built, sorted list of rows into a model's sorted rows without a reset:
// runs of rows that went are removed, runs of rows that came are inserted, and rows whose
// cells changed are reported as contiguous ranges. The model supplies the operations:
//   compare(oldRow, freshRow) -> <0, 0, >0 by key
//   remove(first, last)            removes old rows [first, last] (begin/endRemoveRows)
//   insert(at, freshFirst, freshLast) inserts those fresh rows at row `at`
//   update(oldRow, freshRow) -> bit mask of the columns that changed (0: none)
//   changed(firstRow, lastRow, firstColumn, lastColumn) reports one range (dataChanged)
// rowCount() gives the model's current row count as rows come and go.
template <typename RowCount, typename Compare, typename Remove, typename Insert, typename Update,
          typename Changed>
void mergeSorted(std::size_t freshCount, RowCount rowCount, Compare compare, Remove remove,
                 Insert insert, Update update, Changed changed)
{
    std::size_t runFirst = 0, runLast = 0;
    std::uint64_t runMask = 0;
    auto flush = [&] {
        if (runMask == 0)
            return;
        const int firstColumn = __builtin_ctzll(runMask);
        const int lastColumn = 63 - __builtin_clzll(runMask);
        changed(runFirst, runLast, firstColumn, lastColumn);
        runMask = 0;
    };

    std::size_t i = 0, j = 0;
    while (i < rowCount() || j < freshCount) {
        if (j == freshCount || (i < rowCount() && compare(i, j) < 0)) {
            std::size_t last = i;
            while (last + 1 < rowCount() && (j == freshCount || compare(last + 1, j) < 0))
                ++last;
            flush();
            remove(i, last);
        } else if (i == rowCount() || compare(i, j) > 0) {
            std::size_t last = j;
            while (last + 1 < freshCount && (i == rowCount() || compare(i, last + 1) > 0))
                ++last;
            flush();
            insert(i, j, last);
            i += last - j + 1;
            j = last + 1;
        } else {
            if (const std::uint64_t mask = update(i, j); mask != 0) {
                if (runMask != 0 && runLast + 1 == i) {
                    runLast = i;
                    runMask |= mask;
                } else {
                    flush();
                    runFirst = runLast = i;
                    runMask = mask;
                }
            }
            ++i;
            ++j;
        }
    }
    flush();
}

} // namespace rivulet
