#pragma once

#include <QWidget>

class QLineEdit;
class QModelIndex;
class QSortFilterProxyModel;
class QTreeView;

namespace rivulet {

class TopicsModel;

// The topics tree: a name filter above topics and their partitions, sortable by any column.
// Reports the current topic/partition and offers the topic actions in a context menu.
class TopicsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit TopicsPanel(TopicsModel *model, QWidget *parent = nullptr);

    QTreeView *view() const { return m_view; }
    QLineEdit *filterEdit() const { return m_filter; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    QString currentTopic() const;
    int currentPartition() const; // -1 on a topic row
    // Selects the topic (partition < 0) or one of its partitions; false when not shown.
    bool select(const QString &topic, int partition);

Q_SIGNALS:
    void currentChanged(const QString &topic, int partition);
    void createRequested();
    void injectRequested(const QString &topic, int partition);
    void deleteRequested(const QString &topic);
    // Topic settings (also Enter or a double-click on a topic row) and Import records…
    void settingsRequested(const QString &topic);
    void importRequested(const QString &topic);
    void browseRequested(const QString &topic, int partition);

private:
    void showMenu(const QPoint &pos);

    TopicsModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QLineEdit *m_filter;
    QTreeView *m_view;
};

} // namespace rivulet
