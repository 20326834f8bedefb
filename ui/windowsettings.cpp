// MainWindow's memory between runs: geometry, splitters, column layouts, the refresh rate,
// the chart's span and the last selection (QSettings: ~/.config/rivulet/rivulet.conf, named
// in app/rivulet/appidentity.cpp).
#include "mainwindow.h"

#include "consumerspanel.h"
#include "messagebrowser.h"
#include "rateschart.h"
#include "recorddetailpane.h"
#include "topicspanel.h"

#include <QComboBox>
#include <QHeaderView>
#include <QSettings>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTreeView>

namespace rivulet {

void MainWindow::saveSettings() const
{
    QSettings s;
    s.beginGroup(QStringLiteral("window"));
    s.setValue(QStringLiteral("geometry"), saveGeometry());
    s.setValue(QStringLiteral("state"), saveState());
    s.setValue(QStringLiteral("mainSplitter"), m_mainSplitter->saveState());
    s.setValue(QStringLiteral("topSplitter"), m_topSplitter->saveState());
    s.setValue(QStringLiteral("browserSplitter"), m_browser->splitter()->saveState());
    s.setValue(QStringLiteral("tab"), m_tabs->currentIndex());
    s.setValue(QStringLiteral("refreshMs"), m_refreshMs);
    s.setValue(QStringLiteral("chartSpan"), m_chart->spanSeconds());
    s.setValue(QStringLiteral("chartBytes"), m_chart->metric() == RatesChart::Metric::Bytes);
    s.setValue(QStringLiteral("topicsHeader"), m_topicsPanel->view()->header()->saveState());
    m_consumersPanel->saveState(s);
    s.setValue(QStringLiteral("clientsHeader"), m_clientsView->horizontalHeader()->saveState());
    s.setValue(QStringLiteral("messagesHeader"),
               m_browser->view()->horizontalHeader()->saveState());
    s.setValue(QStringLiteral("valueView"), m_browser->detail()->viewChoice()->currentIndex());
    const QString topic = m_topicsPanel->currentTopic();
    s.setValue(QStringLiteral("topic"), topic.isEmpty() ? m_pendingTopic : topic);
    s.setValue(QStringLiteral("partition"),
               topic.isEmpty() ? m_pendingPartition : m_topicsPanel->currentPartition());
    s.endGroup();
}

void MainWindow::restoreSettings()
{
    QSettings s;
    s.beginGroup(QStringLiteral("window"));
    restoreGeometry(s.value(QStringLiteral("geometry")).toByteArray());
    restoreState(s.value(QStringLiteral("state")).toByteArray());
    if (!m_mainSplitter->restoreState(s.value(QStringLiteral("mainSplitter")).toByteArray()))
        m_mainSplitter->setSizes({380, 420});
    if (!m_topSplitter->restoreState(s.value(QStringLiteral("topSplitter")).toByteArray()))
        m_topSplitter->setSizes({860, 460});
    m_browser->splitter()->restoreState(s.value(QStringLiteral("browserSplitter")).toByteArray());
    // a saved state carries an orientation: keep the layout's own
    m_mainSplitter->setOrientation(Qt::Vertical);
    m_topSplitter->setOrientation(Qt::Horizontal);
    m_browser->splitter()->setOrientation(Qt::Vertical);
    m_tabs->setCurrentIndex(s.value(QStringLiteral("tab"), 0).toInt());
    m_refreshMs = s.value(QStringLiteral("refreshMs"), kDefaultRefreshMs).toInt();
    m_chart->setSpanSeconds(s.value(QStringLiteral("chartSpan"), 300).toInt());
    m_chart->setMetric(s.value(QStringLiteral("chartBytes"), false).toBool()
                           ? RatesChart::Metric::Bytes
                           : RatesChart::Metric::Messages);
    m_topicsPanel->view()->header()->restoreState(
        s.value(QStringLiteral("topicsHeader")).toByteArray());
    m_consumersPanel->restoreState(s);
    m_clientsView->horizontalHeader()->restoreState(
        s.value(QStringLiteral("clientsHeader")).toByteArray());
    m_browser->view()->horizontalHeader()->restoreState(
        s.value(QStringLiteral("messagesHeader")).toByteArray());
    m_browser->detail()->viewChoice()->setCurrentIndex(
        s.value(QStringLiteral("valueView"), 0).toInt());
    m_pendingTopic = s.value(QStringLiteral("topic")).toString();
    m_pendingPartition = s.value(QStringLiteral("partition"), -1).toInt();
    s.endGroup();
}

} // namespace rivulet
