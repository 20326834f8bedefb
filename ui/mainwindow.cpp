#include "mainwindow.h"

#include "broker.h"
#include "server/server.h"
#include "topicsmodel.h"

#include <QHeaderView>
#include <QLabel>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>

namespace rivulet {

MainWindow::MainWindow(Broker &broker, Server &server, QString address, QWidget *parent)
    : QMainWindow(parent), m_broker(broker), m_server(server), m_address(std::move(address)),
      m_topics(new TopicsModel(this)), m_topicsView(new QTableView(this)),
      m_status(new QLabel(this)), m_timer(new QTimer(this))
{
    setWindowTitle(QStringLiteral("Rivulet — %1").arg(m_address));
    m_topicsView->setModel(m_topics);
    m_topicsView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_topicsView->setAlternatingRowColors(true);
    m_topicsView->verticalHeader()->hide();
    m_topicsView->horizontalHeader()->setStretchLastSection(true);
    setCentralWidget(m_topicsView);
    statusBar()->addWidget(m_status, 1);
    resize(900, 520);

    connect(m_timer, &QTimer::timeout, this, &MainWindow::refresh);
    m_timer->start(250);
    refresh();
}

void MainWindow::refresh()
{
    const BrokerSnapshot snapshot = takeSnapshot(m_broker.topics(), Broker::nowMs());
    m_topics->update(snapshot);
    qlonglong messages = 0;
    for (const TopicSnapshot &t : snapshot.topics)
        for (const PartitionSnapshot &p : t.partitions)
            messages += p.stats.endOffset - p.stats.startOffset;
    m_status->setText(tr("Native protocol on %1 · in-memory · %2 topics · %3 messages · "
                         "%4 connections")
                          .arg(m_address)
                          .arg(snapshot.topics.size())
                          .arg(messages)
                          .arg(m_server.connectionCount()));
}

} // namespace rivulet
