#pragma once

#include <QMainWindow>

class QLabel;
class QTableView;
class QTimer;

namespace rivulet {

class Broker;
class Server;
class TopicsModel;

// The Rivulet window. So far: every topic partition with its offsets, counts and last
// write, refreshed from broker snapshots four times a second, and a status bar.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    MainWindow(Broker &broker, Server &server, QString address, QWidget *parent = nullptr);

    TopicsModel *topicsModel() const { return m_topics; }
    // Pulls a snapshot and merges it into the models (the refresh timer calls it).
    void refresh();

private:
    Broker &m_broker;
    Server &m_server;
    QString m_address;
    TopicsModel *m_topics;
    QTableView *m_topicsView;
    QLabel *m_status;
    QTimer *m_timer;
};

} // namespace rivulet
