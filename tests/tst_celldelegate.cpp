// CellDelegate: its cells must look like QStyledItemDelegate's. The same model is drawn
// by two table views, one with each delegate, and the ink of every cell (its text) is
// compared: same place, same size, same colour, whether the text is aligned left or
// right, elided, selected, or drawn with a bold font.

#include "celldelegate.h"

#include <QApplication>
#include <QHeaderView>
#include <QImage>
#include <QPixmap>
#include <QStandardItemModel>
#include <QTableView>
#include <QTest>

using namespace rivulet;

namespace {

struct Ink
{
    QRect box;      // where the text's pixels are
    QColor darkest; // the colour farthest from the background
};

// Pixels of a cell that differ from its background: the text it shows.
Ink inkIn(const QImage &image, const QRect &cell)
{
    // the background is the cell's colour at its left edge, mid-height
    const QColor background = image.pixelColor(cell.left() + 1, cell.center().y());
    Ink ink;
    int farthest = -1;
    for (int y = cell.top() + 1; y < cell.bottom(); ++y)
        for (int x = cell.left() + 1; x < cell.right(); ++x) {
            const QColor c = image.pixelColor(x, y);
            const int d = std::abs(c.red() - background.red()) +
                          std::abs(c.green() - background.green()) +
                          std::abs(c.blue() - background.blue());
            if (d < 60)
                continue;
            ink.box |= QRect(x, y, 1, 1);
            if (d > farthest) {
                farthest = d;
                ink.darkest = c;
            }
        }
    return ink;
}

// Pixels of a cell that differ between two drawings of it, against the ink one of them has:
// 0 when the text is drawn the same, glyph for glyph.
double differenceIn(const QImage &a, const QImage &b, const QRect &cell)
{
    int differing = 0, ink = 0;
    const QColor background = a.pixelColor(cell.left() + 1, cell.center().y());
    auto distance = [](const QColor &x, const QColor &y) {
        return std::abs(x.red() - y.red()) + std::abs(x.green() - y.green()) +
               std::abs(x.blue() - y.blue());
    };
    for (int y = cell.top(); y <= cell.bottom(); ++y)
        for (int x = cell.left(); x <= cell.right(); ++x) {
            ink += distance(a.pixelColor(x, y), background) >= 60;
            differing += distance(a.pixelColor(x, y), b.pixelColor(x, y)) >= 60;
        }
    return ink == 0 ? differing : double(differing) / ink;
}

class TableFixture
{
public:
    explicit TableFixture(QAbstractItemModel *model, bool cellDelegate)
    {
        view.setModel(model);
        if (cellDelegate)
            view.setItemDelegate(new CellDelegate(&view));
        view.setShowGrid(false);
        view.setAlternatingRowColors(false);
        view.setWordWrap(false);
        view.setSelectionBehavior(QAbstractItemView::SelectRows);
        view.verticalHeader()->hide();
        view.horizontalHeader()->hide();
        // rows as high as the window's tables make them: one line of text
        view.verticalHeader()->setDefaultSectionSize(view.fontMetrics().height() + 8);
        view.setColumnWidth(0, 160);
        view.setColumnWidth(1, 60);
        view.resize(260, 240);
        view.show();
    }
    QImage grab() { return view.viewport()->grab().toImage(); }
    QTableView view;
};

} // namespace

class TestCellDelegate : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void drawsCellsAsTheStyledDelegateDoes()
    {
        QStandardItemModel model(6, 2);
        auto set = [&](int row, int column, const QString &text, Qt::Alignment align) {
            auto *item = new QStandardItem(text);
            item->setTextAlignment(align | Qt::AlignVCenter);
            model.setItem(row, column, item);
        };
        set(0, 0, QStringLiteral("1,234,567"), Qt::AlignRight);
        set(0, 1, QStringLiteral("42"), Qt::AlignLeft);
        set(1, 0, QStringLiteral("partition 7"), Qt::AlignLeft);
        set(1, 1, QStringLiteral("12.5 k"), Qt::AlignRight);
        set(2, 0, QStringLiteral("a-topic-name-far-too-long-for-its-column-to-hold"),
            Qt::AlignLeft);
        set(2, 1, QStringLiteral("88888888888"), Qt::AlignRight);
        set(3, 0, QStringLiteral("centred"), Qt::AlignHCenter);
        set(4, 0, QStringLiteral("bold 99"), Qt::AlignRight);
        QFont bold = QApplication::font();
        bold.setBold(true);
        model.item(4, 0)->setFont(bold);
        set(5, 0, QStringLiteral("red text"), Qt::AlignLeft);
        model.item(5, 0)->setForeground(QColor(200, 0, 0));

        TableFixture stock(&model, false), ours(&model, true);
        for (bool selected : {false, true}) {
            if (selected) {
                stock.view.selectRow(0);
                ours.view.selectRow(0);
            }
            const QImage expected = stock.grab();
            const QImage actual = ours.grab();
            QCOMPARE(actual.size(), expected.size());
            for (int row = 0; row < model.rowCount(); ++row)
                for (int column = 0; column < model.columnCount(); ++column) {
                    const QModelIndex index = model.index(row, column);
                    const QRect cell = ours.view.visualRect(index);
                    QCOMPARE(cell, stock.view.visualRect(index));
                    const Ink want = inkIn(expected, cell);
                    const Ink got = inkIn(actual, cell);
                    const QString where = QStringLiteral("row %1 column %2%3")
                                              .arg(row)
                                              .arg(column)
                                              .arg(selected ? QStringLiteral(" selected") : "");
                    QVERIFY2(want.box.isValid() == got.box.isValid(), qPrintable(where));
                    if (!want.box.isValid())
                        continue;
                    // the same text in the same place: a pixel of rounding either way
                    QVERIFY2(std::abs(got.box.left() - want.box.left()) <= 1 &&
                                 std::abs(got.box.right() - want.box.right()) <= 1 &&
                                 std::abs(got.box.top() - want.box.top()) <= 1 &&
                                 std::abs(got.box.bottom() - want.box.bottom()) <= 1,
                             qPrintable(QStringLiteral("%1: ink at %2,%3 %4x%5, expected "
                                                       "%6,%7 %8x%9")
                                            .arg(where)
                                            .arg(got.box.x())
                                            .arg(got.box.y())
                                            .arg(got.box.width())
                                            .arg(got.box.height())
                                            .arg(want.box.x())
                                            .arg(want.box.y())
                                            .arg(want.box.width())
                                            .arg(want.box.height())));
                    const int colour = std::abs(got.darkest.red() - want.darkest.red()) +
                                       std::abs(got.darkest.green() - want.darkest.green()) +
                                       std::abs(got.darkest.blue() - want.darkest.blue());
                    QVERIFY2(colour <= 30,
                             qPrintable(where + QStringLiteral(": colour ") + got.darkest.name() +
                                        QStringLiteral(" vs ") + want.darkest.name()));
                }
        }
    }

    void leavesIconsAndSeveralLinesToTheStyle()
    {
        QStandardItemModel model(4, 1);
        QPixmap icon(12, 12);
        icon.fill(Qt::darkGreen);
        model.setItem(0, 0, new QStandardItem(QIcon(icon), QStringLiteral("with icon")));
        model.setItem(1, 0, new QStandardItem(QStringLiteral("two\nlines")));
        model.setItem(2, 0, new QStandardItem(QStringLiteral("paragraph") + QChar(0x2029) + "two"));
        auto *checkable = new QStandardItem(QStringLiteral("checked"));
        checkable->setCheckable(true);
        checkable->setCheckState(Qt::Checked);
        model.setItem(3, 0, checkable);
        TableFixture stock(&model, false), ours(&model, true);
        // drawn by the style itself: the very same pixels (one line, elided, in a row)
        QCOMPARE(ours.grab(), stock.grab());
        ours.view.setWordWrap(true);
        stock.view.setWordWrap(true);
        QCOMPARE(ours.grab(), stock.grab());
    }

    void followsTheTextDirection()
    {
        // neutral characters at the ends, and text of both directions in one cell
        const QStringList texts = {QStringLiteral("(3 members)"), QStringLiteral("-42 ms."),
                                   QString::fromUtf8("\u05e9\u05dc\u05d5\u05dd 12 abc"),
                                   QStringLiteral("  spaced  ")};
        QStandardItemModel model(int(texts.size()), 1);
        for (int row = 0; row < texts.size(); ++row)
            model.setItem(row, 0, new QStandardItem(texts[row]));
        for (Qt::LayoutDirection direction : {Qt::LeftToRight, Qt::RightToLeft}) {
            TableFixture stock(&model, false), ours(&model, true);
            stock.view.setLayoutDirection(direction);
            ours.view.setLayoutDirection(direction);
            const QImage expected = stock.grab();
            const QImage actual = ours.grab();
            for (int row = 0; row < texts.size(); ++row) {
                const QRect cell = ours.view.visualRect(model.index(row, 0));
                const double difference = differenceIn(expected, actual, cell);
                QVERIFY2(
                    difference <= 0.05,
                    qPrintable(QStringLiteral("%1 in %2: %3 of the ink differs")
                                   .arg(texts[row], direction == Qt::LeftToRight ? "LTR" : "RTL")
                                   .arg(difference)));
            }
        }
    }

    void keepsDrawingAsTextsChange()
    {
        // far more distinct strings than the cache keeps: it starts over, cells stay right
        QStandardItemModel model(1, 1);
        auto *item = new QStandardItem;
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        model.setItem(0, 0, item);
        TableFixture stock(&model, false), ours(&model, true);
        const QRect cell = ours.view.visualRect(model.index(0, 0));
        for (int i = 0; i < 5000; i += 7) {
            item->setText(QString::number(i * 7919));
            if (i % 700 != 0) {
                ours.view.viewport()->repaint();
                continue;
            }
            const Ink want = inkIn(stock.grab(), cell);
            const Ink got = inkIn(ours.grab(), cell);
            QVERIFY(got.box.isValid());
            QVERIFY(std::abs(got.box.left() - want.box.left()) <= 1);
            QVERIFY(std::abs(got.box.right() - want.box.right()) <= 1);
        }
    }
};

QTEST_MAIN(TestCellDelegate)
#include "tst_celldelegate.moc"
