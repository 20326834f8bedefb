#include "topicspanel.h"

#include "celldelegate.h"
#include "columnfit.h"
#include "modelroles.h"
#include "topicsmodel.h"
#include "topicstreeview.h"

#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenu>
#include <QSortFilterProxyModel>
#include <QTreeView>
#include <QVBoxLayout>

namespace rivulet {
namespace {

constexpr int kExpandedTopics = 16;

} // namespace

TopicsPanel::TopicsPanel(TopicsModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_proxy(new QSortFilterProxyModel(this)),
      m_filter(new QLineEdit(this)), m_view(new TopicsTreeView(this))
{
    m_proxy->setSourceModel(model);
    m_proxy->setSortRole(SortRole);
    m_proxy->setFilterKeyColumn(TopicsModel::Name);
    m_proxy->setFilterRole(TopicNameRole);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setRecursiveFilteringEnabled(false);

    m_filter->setPlaceholderText(tr("Filter topics…"));
    m_filter->setClearButtonEnabled(true);

    m_view->setModel(m_proxy);
    m_view->setItemDelegate(new CellDelegate(m_view));
    m_view->setUniformRowHeights(true);
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(TopicsModel::Name, Qt::AscendingOrder);
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    m_view->setAllColumnsShowFocus(true);
    QHeaderView *header = m_view->header();
    header->setStretchLastSection(false);
    header->setSectionsMovable(true);
    header->setHighlightSections(false);
    // wide enough for the header or the expected numbers, whichever is wider
    const int digit = fontMetrics().horizontalAdvance(QLatin1Char('0'));
    const int digits[TopicsModel::ColumnCount] = {16, 0, 7, 8, 9, 9, 6, 6, 0, 8};
    for (int c = 0; c < TopicsModel::ColumnCount; ++c) {
        const int title =
            fontMetrics().horizontalAdvance(model->headerData(c, Qt::Horizontal).toString());
        m_view->setColumnWidth(c, std::max(digit * digits[c], title) + 16);
    }
    QList<int> numbers;
    for (int c = TopicsModel::Partitions; c < TopicsModel::ColumnCount; ++c)
        numbers << c;
    fitColumnsToValues(m_view, header, numbers);
    header->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(header, &QHeaderView::customContextMenuRequested, this,
            [this, header](const QPoint &pos) {
                QMenu menu(this);
                for (int c = 1; c < TopicsModel::ColumnCount; ++c) {
                    QAction *a = menu.addAction(m_model->headerData(c, Qt::Horizontal).toString());
                    a->setCheckable(true);
                    a->setChecked(!header->isSectionHidden(c));
                    connect(a, &QAction::toggled, header,
                            [header, c](bool on) { header->setSectionHidden(c, !on); });
                }
                menu.exec(header->mapToGlobal(pos));
            });

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 0, 4);
    layout->addWidget(m_filter);
    layout->addWidget(m_view);

    connect(m_filter, &QLineEdit::textChanged, m_proxy,
            [this](const QString &text) { m_proxy->setFilterFixedString(text); });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this] { Q_EMIT currentChanged(currentTopic(), currentPartition()); });
    connect(m_view, &QTreeView::customContextMenuRequested, this, &TopicsPanel::showMenu);
    // the model reports partition changes only for topics whose partitions are on show
    connect(m_view, &QTreeView::expanded, this, [this](const QModelIndex &index) {
        m_model->setPartitionsShown(index.data(TopicNameRole).toString(), true);
    });
    connect(m_view, &QTreeView::collapsed, this, [this](const QModelIndex &index) {
        m_model->setPartitionsShown(index.data(TopicNameRole).toString(), false);
    });
    // while there are few topics, show their partitions right away
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex &parent, int first, int last) {
                if (parent.isValid() || m_model->rowCount() > kExpandedTopics)
                    return;
                for (int row = first; row <= last; ++row)
                    m_view->expand(m_proxy->index(row, 0));
            });
    connect(m_view, &QTreeView::activated, this, [this](const QModelIndex &index) {
        if (index.data(PartitionRole).toInt() >= 0)
            Q_EMIT browseRequested(currentTopic(), currentPartition());
        else
            Q_EMIT settingsRequested(index.data(TopicNameRole).toString());
    });
}

QString TopicsPanel::currentTopic() const
{
    return m_view->currentIndex().data(TopicNameRole).toString();
}

int TopicsPanel::currentPartition() const
{
    const QModelIndex current = m_view->currentIndex();
    return current.isValid() ? current.data(PartitionRole).toInt() : -1;
}

bool TopicsPanel::select(const QString &topic, int partition)
{
    const QModelIndex source =
        partition < 0 ? m_model->topicIndex(topic) : m_model->partitionIndex(topic, partition);
    const QModelIndex index = m_proxy->mapFromSource(source);
    if (!index.isValid())
        return false;
    if (partition >= 0)
        m_view->expand(index.parent());
    m_view->setCurrentIndex(index);
    m_view->scrollTo(index);
    return true;
}

void TopicsPanel::showMenu(const QPoint &pos)
{
    const QModelIndex index = m_view->indexAt(pos);
    QMenu menu(this);
    if (index.isValid()) {
        const QString topic = index.data(TopicNameRole).toString();
        const int partition = index.data(PartitionRole).toInt();
        menu.addAction(tr("Browse messages"), this, [this, topic, partition] {
            Q_EMIT browseRequested(topic, std::max(0, partition));
        });
        menu.addAction(tr("Inject messages…"), this,
                       [this, topic, partition] { Q_EMIT injectRequested(topic, partition); });
        menu.addAction(tr("Copy name"), this,
                       [topic] { QApplication::clipboard()->setText(topic); });
        menu.addSeparator();
        menu.addAction(tr("Topic settings…"), this,
                       [this, topic] { Q_EMIT settingsRequested(topic); });
        menu.addAction(tr("Import records…"), this,
                       [this, topic] { Q_EMIT importRequested(topic); });
        menu.addSeparator();
        menu.addAction(tr("Delete topic %1…").arg(topic), this,
                       [this, topic] { Q_EMIT deleteRequested(topic); });
        menu.addSeparator();
    }
    menu.addAction(tr("New topic…"), this, [this] { Q_EMIT createRequested(); });
    menu.addAction(tr("Expand all"), this, [this] {
        m_model->setAllPartitionsShown(true); // expandAll() does not say what it expanded
        m_view->expandAll();
    });
    menu.addAction(tr("Collapse all"), this, [this] {
        m_view->collapseAll();
        m_model->setAllPartitionsShown(false);
    });
    menu.exec(m_view->viewport()->mapToGlobal(pos));
}

} // namespace rivulet
