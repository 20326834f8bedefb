#pragma once

#include "clustersource.h"
#include "connectionstore.h"
#include "refreshdata.h"
#include "server/server.h"
#include "statusline.h"

#include <QMainWindow>
#include <QMessageBox>
#include <QPointer>
#include <QThreadPool>

#include <functional>
#include <memory>

class QActionGroup;
class QComboBox;
class QMenu;
class QSortFilterProxyModel;
class QSplitter;
class QTabWidget;
class QTableView;
class QTimer;

namespace rivulet {

class AboutDialog;
class ClientsModel;
class ConsumersModel;
class ConnectionsDialog;
class ConsumersPanel;
class CreateTopicDialog;
class ImportDialog;
class InjectDialog;
class MessageBrowser;
class RatesChart;
class StatusLine;
class TopicsModel;
class TopicSettingsDialog;
class TopicsPanel;

// The Rivulet window, the frame that holds the panels: topics and partitions (TopicsPanel)
// beside the rates chart on top; tabs for consumers (ConsumersPanel: offsets, lag, groups and
// their members), clients and the message browser below them; the listeners, data location
// and totals in the status bar. It shows a ClusterSource — the broker in this process
// (BrokerSource) or a Kafka cluster — without knowing which: a timer pulls a snapshot a few
// times a second on a pool thread and merges it into the models; whatever may block (reading
// messages, creating, deleting, injecting, group changes) runs on pool threads too.
//
// Public API for whoever builds a window (app/rivulet/main.cpp, tests):
//   MainWindow(source)     the window on the source (which must outlive it)
//   addListener(server)    a listener of the in-process broker, shown in the status bar with
//                          Copy address and Listen on other ports; a window without listeners
//                          (a cluster) shows neither. Native consumers' Forget is offered only
//                          when source.hasNativeConsumers().
// While snapshot() fails the window keeps the last data shown and the status bar says
// "<name> unreachable since HH:MM:SS: <error>" ("connecting to <bootstrap>…" only until the
// first snapshot comes back, failed or not).
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    static constexpr int kDefaultRefreshMs = 250;

    explicit MainWindow(ClusterSource &source, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Shows a listener of the in-process broker (native or Kafka) in the status bar; the first
    // native one is the address the title, Copy address and the hints give. seedCompat: the
    // broker answers native clients as the original does (BrokerConfig::seedCompat), said
    // beside the address.
    void addListener(Server &server, bool seedCompat = false);

    ClusterSource &source() const { return m_source; }
    // The status bar's word on the source: empty while snapshots arrive, else "connecting
    // to …" or "… unreachable since …".
    QString sourceProblem() const { return m_sourceProblem; }

    // Copies the source's state and merges it into the models (F5, tests): at once for the
    // in-process broker (whose snapshot takes only brief locks); for any other source the copy
    // is made on a pool thread and merged when it comes back, as tick() does.
    void refresh();
    // What the refresh timer calls: the copy is made on a pool thread and merged when it
    // comes back (refreshed() then tells).
    void tick();
    // A copy of the broker is being made for the next merge.
    bool refreshPending() const { return m_refreshPending; }
    // 0 pauses the refresh.
    void setRefreshIntervalMs(int ms);
    int refreshIntervalMs() const { return m_refreshMs; }
    // Time the last refresh took on the GUI thread (the merge into the models), in ns.
    qint64 lastMergeNs() const { return m_lastMergeNs; }
    // The copy of the broker the models show now (its prepareNs: the time to make it).
    std::shared_ptr<const RefreshData> lastRefresh() const { return m_lastRefresh; }

    QString nativeAddress() const;
    // Listens for that protocol's clients on another port; false (shown in the status bar)
    // if not. Without a protocol: the native one.
    bool listenOn(Server::Protocol protocol, quint16 port);
    bool listenOn(quint16 port) { return listenOn(Server::Protocol::Native, port); }

    TopicsModel *topicsModel() const { return m_topics; }
    ConsumersModel *consumersModel() const;
    ClientsModel *clientsModel() const { return m_clients; }
    TopicsPanel *topicsPanel() const { return m_topicsPanel; }
    ConsumersPanel *consumersPanel() const { return m_consumersPanel; }
    QTableView *consumersView() const;
    QTableView *clientsView() const { return m_clientsView; }
    MessageBrowser *messageBrowser() const { return m_browser; }
    RatesChart *ratesChart() const { return m_chart; }
    StatusLine *statusLine() const { return m_statusLine; }
    QTabWidget *tabs() const { return m_tabs; }
    InjectDialog *injectDialog() const { return m_inject; }

    // What "This machine's broker" means in this window's Connections dialog (default: the
    // broker in this process; ConnectionStore::localListener() in a --connect process).
    void setLocalConnection(SavedConnection local) { m_localConnection = std::move(local); }

public Q_SLOTS:
    CreateTopicDialog *openCreateTopic();
    // Broker → Connect…: the named connections; the one chosen goes out as connectRequested
    // (the application opens a window on it). The dialog deletes itself when closed.
    ConnectionsDialog *openConnections();
    // Help menu (helpactions.cpp): the About box (deletes itself when closed); the README
    // opened with the desktop's viewer for it.
    AboutDialog *openAbout();
    void openDocumentation();
    InjectDialog *openInject(const QString &topic = {}, int partition = -1);
    void copyAddress();
    void focusMessageFilter();
    // Topic actions (topicactions.cpp): deleting a topic asks for its name to be typed when
    // it holds messages, and only to confirm when it is empty; the settings dialog
    // (retention, partitions, purge) and Import records… (JSON Lines, as rivulet-cli import).
    void deleteTopic(const QString &topic);
    TopicSettingsDialog *openTopicSettings(const QString &topic);
    ImportDialog *openImport(const QString &topic = {});

Q_SIGNALS:
    // A refresh was merged into the models.
    void refreshed();
    // The user chose a connection in the Connections dialog.
    void connectRequested(const rivulet::SavedConnection &connection);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    struct Listener
    {
        Server *server;
        QString protocol;
        QString problem;
    };

    void buildActions();
    void buildLayout();
    QTableView *makeTable(QSortFilterProxyModel *proxy);
    void currentTopicChanged(const QString &topic, int partition);
    void apply(std::shared_ptr<const RefreshData> data);
    void updateChart(bool force);
    void updateStatus();
    void updateTitle();
    // A topic's partition count from the last refresh (-1: none), for the widgets on the
    // GUI thread; a topic it does not know yet is asked of the in-process broker only.
    int partitionCountNow(const QString &topic) const;
    void updateListenerActions();
    // each listener's address, and what is wrong with it if it is not listening
    QList<StatusLine::Listener> listenerStates() const;
    void pickPort();
    void showProblem(const QString &title, const QString &text);
    // Asks (without blocking) and runs then() if the user picks the action's button.
    void confirm(QMessageBox::Icon icon, const QString &title, const QString &text,
                 const QString &action, std::function<void()> then);
    void saveSettings() const;
    void restoreSettings();

    ClusterSource &m_source;
    const SourceInfo m_info;
    QList<Listener> m_listeners;
    bool m_seedCompat = false;
    // the source's snapshots: since when they fail, and why
    std::int64_t m_failingSinceMs = 0;
    QString m_sourceProblem;
    QList<QAction *> m_listenerActions; // shown only with listeners
    // create, delete and inject run here; waited for before the window goes
    QThreadPool m_tasks;
    // the broker's state is copied out here for each refresh
    QThreadPool m_snapshots;
    bool m_refreshPending = false;
    std::uint64_t m_refreshSequence = 0;
    std::uint64_t m_appliedSequence = 0;
    std::shared_ptr<const RefreshData> m_lastRefresh;

    TopicsModel *m_topics;
    ClientsModel *m_clients;
    TopicsPanel *m_topicsPanel = nullptr;
    RatesChart *m_chart = nullptr;
    QTabWidget *m_tabs = nullptr;
    ConsumersPanel *m_consumersPanel = nullptr;
    QTableView *m_clientsView = nullptr;
    MessageBrowser *m_browser = nullptr;
    QSplitter *m_mainSplitter = nullptr;
    QSplitter *m_topSplitter = nullptr;
    StatusLine *m_statusLine = nullptr;
    InjectDialog *m_inject = nullptr;
    ImportDialog *m_import = nullptr; // topicactions.cpp
    QComboBox *m_rateBox = nullptr;
    QActionGroup *m_rateActions = nullptr;
    QAction *m_liveTailAction = nullptr;
    QMenu *m_editMenu = nullptr;
    SavedConnection m_localConnection = ConnectionStore::inProcessBroker();
    QPointer<ConnectionsDialog> m_connections;

    QTimer *m_timer;
    int m_refreshMs = kDefaultRefreshMs;
    qint64 m_lastMergeNs = 0;
    std::int64_t m_chartSampleMs = -1;
    bool m_topicNamesDirty = true;
    // the selection to restore once its topic shows up
    QString m_pendingTopic;
    int m_pendingPartition = -1;
};

} // namespace rivulet
