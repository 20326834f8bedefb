#include "mainwindow.h"

#include "askuser.h"
#include "celldelegate.h"
#include "clientsmodel.h"
#include "columnfit.h"
#include "consumersmodel.h"
#include "consumerspanel.h"
#include "createtopicdialog.h"
#include "datatable.h"
#include "displayformat.h"
#include "emptyhint.h"
#include "importdialog.h"
#include "injectdialog.h"
#include "listendialog.h"
#include "messagebrowser.h"
#include "messagesmodel.h"
#include "modelroles.h"
#include "offthread.h"
#include "rateschart.h"
#include "server/server.h"
#include "statusline.h"
#include "topicsmodel.h"
#include "topicspanel.h"

#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScreen>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QTreeView>

namespace rivulet {
namespace {

enum Tab
{
    ConsumersTab,
    ClientsTab,
    MessagesTab
};

QString protocolName(const Server &server, bool seedCompat)
{
    if (server.protocol() == Server::Protocol::Kafka)
        return server.security() == SecurityProtocol::Plaintext
                   ? QStringLiteral("kafka")
                   : QStringLiteral("kafka %1").arg(securityProtocolName(server.security()));
    // the native protocol has no authentication: say so when it is reachable from elsewhere
    const QString open =
        server.isListening() && !server.serverAddress().isLoopback()
            ? QStringLiteral(", no authentication: open to anyone who can reach it")
            : QString();
    // the compatibility answer changes what native clients see: say so where the address is
    return (seedCompat ? QStringLiteral("native (seed-compat)") : QStringLiteral("native")) + open;
}

QString addressOf(const Server &server)
{
    return QStringLiteral("%1:%2").arg(server.serverAddress().toString()).arg(server.serverPort());
}

} // namespace

MainWindow::MainWindow(ClusterSource &source, QWidget *parent)
    : QMainWindow(parent), m_source(source), m_info(source.info()), m_topics(new TopicsModel(this)),
      m_clients(new ClientsModel(this)), m_timer(new QTimer(this))
{
    setObjectName(QStringLiteral("RivuletMainWindow"));
    m_snapshots.setMaxThreadCount(1);
    if (m_info.kind != SourceInfo::Kind::InProcess)
        m_sourceProblem = tr("connecting to %1…")
                              .arg(m_info.bootstrap.isEmpty() ? m_info.name : m_info.bootstrap);
    buildLayout();
    buildActions();
    updateTitle();
    updateListenerActions();
    m_statusLine->setSourceProblem(m_sourceProblem);
    connect(m_topics, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex &parent) { m_topicNamesDirty |= !parent.isValid(); });
    connect(m_topics, &QAbstractItemModel::rowsRemoved, this,
            [this](const QModelIndex &parent) { m_topicNamesDirty |= !parent.isValid(); });
    connect(m_timer, &QTimer::timeout, this, &MainWindow::tick);
    restoreSettings();
    refresh();
    setRefreshIntervalMs(m_refreshMs);
}

MainWindow::~MainWindow()
{
    saveSettings();
    if (m_inject)
        m_inject->findChild<MessageInjector *>()->cancel();
    if (m_import)
        m_import->stop();
    m_tasks.waitForDone();
    m_snapshots.waitForDone();
}

void MainWindow::addListener(Server &server, bool seedCompat)
{
    if (server.protocol() == Server::Protocol::Native)
        m_seedCompat = seedCompat;
    m_listeners.append({&server, protocolName(server, seedCompat), QString()});
    connect(&server, &QTcpServer::acceptError, this,
            [this, s = &server](QAbstractSocket::SocketError) {
                for (Listener &l : m_listeners)
                    if (l.server == s)
                        l.problem = tr("cannot accept connections: %1").arg(s->errorString());
                updateStatus();
            });
    if (server.protocol() == Server::Protocol::Kafka) {
        // Kafka clients want a bootstrap address of their own
        QAction *copy = m_editMenu->addAction(tr("Copy &Kafka bootstrap address"));
        connect(copy, &QAction::triggered, this, [this, s = &server] {
            QApplication::clipboard()->setText(addressOf(*s));
            m_statusLine->showNote(tr("Copied %1").arg(addressOf(*s)));
        });
    }
    updateTitle();
    updateListenerActions();
    updateStatus();
}

int MainWindow::partitionCountNow(const QString &topic) const
{
    if (const TopicSnapshot *t = m_lastRefresh ? m_lastRefresh->findTopic(topic) : nullptr)
        return int(t->partitions.size());
    // created since the last refresh: the in-process broker answers from memory; a cluster
    // is not asked on the GUI thread (the next refresh brings the topic)
    return m_info.kind == SourceInfo::Kind::InProcess ? m_source.partitionCount(topic.toUtf8())
                                                      : -1;
}

void MainWindow::updateTitle()
{
    const QString native = nativeAddress();
    if (!native.isEmpty()) { // the in-process broker: where its native clients connect
        QString problem;
        for (const Listener &l : m_listeners)
            if (l.server->protocol() == Server::Protocol::Native)
                problem = l.problem;
        setWindowTitle(tr("Rivulet — %1").arg(problem.isEmpty() ? native : tr("not listening")));
    } else if (m_info.bootstrap.isEmpty() || m_info.name == m_info.bootstrap) {
        setWindowTitle(tr("Rivulet — %1").arg(m_info.name)); // a cluster known by its address
    } else {
        setWindowTitle(tr("Rivulet — %1 (%2)").arg(m_info.name, m_info.bootstrap));
    }
}

void MainWindow::updateListenerActions()
{
    const bool listening = !m_listeners.isEmpty();
    for (QAction *a : m_listenerActions)
        a->setVisible(listening);
    m_statusLine->setCopyShown(!nativeAddress().isEmpty());
    const QString native = nativeAddress();
    if (!native.isEmpty()) {
        EmptyHint::install(
            m_topicsPanel->view(),
            tr("No topics yet.\n\nCreate one with Broker › New topic (Ctrl+N), or from "
               "a terminal:\nrivulet-cli --port %1 create orders --partitions 3")
                .arg(native.section(QLatin1Char(':'), -1)));
        EmptyHint::install(m_clientsView, tr("No client is connected to %1.").arg(native));
    } else {
        EmptyHint::install(m_topicsPanel->view(),
                           tr("No topics yet.\n\nCreate one with Broker › New topic (Ctrl+N)."));
        EmptyHint::install(m_clientsView, tr("No clients to show."));
    }
}

QString MainWindow::nativeAddress() const
{
    for (const Listener &l : m_listeners)
        if (l.server->protocol() == Server::Protocol::Native)
            return addressOf(*l.server);
    return {};
}

void MainWindow::buildLayout()
{
    m_topicsPanel = new TopicsPanel(m_topics, this);
    m_chart = new RatesChart(this);

    m_consumersPanel = new ConsumersPanel(m_source, m_tasks, this);
    connect(m_consumersPanel, &ConsumersPanel::changed, this, &MainWindow::refresh);
    connect(m_consumersPanel, &ConsumersPanel::note, this,
            [this](const QString &text) { m_statusLine->showNote(text); });
    const int digit = fontMetrics().horizontalAdvance(QLatin1Char('0'));

    auto *clientsProxy = new QSortFilterProxyModel(this);
    clientsProxy->setSourceModel(m_clients);
    m_clientsView = makeTable(clientsProxy);
    const int clientWidths[ClientsModel::ColumnCount] = {17, 14, 22, 24, 24, 9, 9, 11, 11, 14};
    for (int c = 0; c < ClientsModel::ColumnCount; ++c)
        m_clientsView->setColumnWidth(c, digit * clientWidths[c] + 12);
    QList<int> clientNumbers;
    for (int c = ClientsModel::MessagesIn; c <= ClientsModel::BytesOut; ++c)
        clientNumbers << c;
    fitColumnsToValues(m_clientsView, m_clientsView->horizontalHeader(), clientNumbers);

    m_browser = new MessageBrowser(m_source, this);
    m_browser->setPartitionCountLookup([this](const QString &t) { return partitionCountNow(t); });

    m_tabs = new QTabWidget(this);
    m_tabs->setDocumentMode(true);
    m_tabs->insertTab(ConsumersTab, m_consumersPanel, tr("Consumers"));
    m_tabs->insertTab(ClientsTab, m_clientsView, tr("Clients"));
    m_tabs->insertTab(MessagesTab, m_browser, tr("Messages"));
    // connections are what this process accepts: a cluster's are not known to a client
    m_tabs->setTabVisible(ClientsTab, m_info.kind == SourceInfo::Kind::InProcess);
    // nor what they read, nor the bytes written: messages in only
    m_chart->setInOnly(m_info.kind != SourceInfo::Kind::InProcess);

    // topics and the chart side by side on top, the wide tables below at full width
    m_topSplitter = new QSplitter(Qt::Horizontal, this);
    m_topSplitter->addWidget(m_topicsPanel);
    m_topSplitter->addWidget(m_chart);
    m_topSplitter->setStretchFactor(0, 3);
    m_topSplitter->setStretchFactor(1, 2);
    m_topSplitter->setChildrenCollapsible(false);
    m_mainSplitter = new QSplitter(Qt::Vertical, this);
    m_mainSplitter->addWidget(m_topSplitter);
    m_mainSplitter->addWidget(m_tabs);
    m_mainSplitter->setStretchFactor(0, 1);
    m_mainSplitter->setStretchFactor(1, 1);
    m_mainSplitter->setChildrenCollapsible(false);
    setCentralWidget(m_mainSplitter);

    m_statusLine = new StatusLine(this);
    statusBar()->addWidget(m_statusLine, 1);
    statusBar()->setSizeGripEnabled(true);
    if (m_info.kind == SourceInfo::Kind::InProcess)
        m_statusLine->setDataLocation(m_info.dataPath.isEmpty()
                                          ? tr("in memory: nothing is kept on disk")
                                          : tr("data %1").arg(m_info.dataPath));
    // a cluster: the source segment names it; this one says how many brokers answered
    // (updateStatus)
    m_statusLine->setSource(m_info.bootstrap.isEmpty() || m_info.name == m_info.bootstrap
                                ? m_info.name
                                : tr("%1 %2").arg(m_info.name, m_info.bootstrap));
    connect(m_statusLine, &StatusLine::copyAddressRequested, this, &MainWindow::copyAddress);
    connect(m_statusLine, &StatusLine::pickPortRequested, this, &MainWindow::pickPort);

    connect(m_topicsPanel, &TopicsPanel::currentChanged, this, &MainWindow::currentTopicChanged);
    connect(m_topicsPanel, &TopicsPanel::createRequested, this, &MainWindow::openCreateTopic);
    connect(m_topicsPanel, &TopicsPanel::injectRequested, this, &MainWindow::openInject);
    connect(m_topicsPanel, &TopicsPanel::deleteRequested, this, &MainWindow::deleteTopic);
    connect(m_browser, &MessageBrowser::republishRequested, this,
            [this](const QString &topic, const DecodedRecord &record) {
                openInject()->prefill(topic, record);
            });
    connect(m_topicsPanel, &TopicsPanel::settingsRequested, this, &MainWindow::openTopicSettings);
    connect(m_topicsPanel, &TopicsPanel::importRequested, this,
            [this](const QString &topic) { openImport(topic); });
    connect(m_topicsPanel, &TopicsPanel::browseRequested, this,
            [this](const QString &topic, int partition) {
                m_browser->showPartition(topic, partition);
                m_tabs->setCurrentIndex(MessagesTab);
            });
    // the size it opens at without saved settings: roomy, but never past the screen (at
    // 1340×840 a 1280×800 laptop screen lost the status bar and the right-hand buttons)
    QSize size(1340, 840);
    if (const QScreen *s = screen())
        size = size.boundedTo(s->availableGeometry().size() * 0.92);
    resize(size.expandedTo(minimumSizeHint()));
}

QTableView *MainWindow::makeTable(QSortFilterProxyModel *proxy)
{
    return makeDataTable(proxy, this);
}

ConsumersModel *MainWindow::consumersModel() const
{
    return m_consumersPanel->model();
}

QTableView *MainWindow::consumersView() const
{
    return m_consumersPanel->view();
}

void MainWindow::buildActions()
{
    auto add = [this](QMenu *menu, const QString &text, const QKeySequence &key, auto slot) {
        QAction *a = menu->addAction(text);
        a->setShortcut(key);
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    QMenu *file = menuBar()->addMenu(tr("&Broker"));
    QAction *create = add(file, tr("&New topic…"), QKeySequence(Qt::CTRL | Qt::Key_N),
                          [this] { openCreateTopic(); });
    QAction *inject =
        add(file, tr("&Inject messages…"), QKeySequence(Qt::CTRL | Qt::Key_P), [this] {
            openInject(m_topicsPanel->currentTopic(), m_topicsPanel->currentPartition());
        });
    QAction *remove = add(file, tr("&Delete topic…"), QKeySequence(), [this] {
        if (!m_topicsPanel->currentTopic().isEmpty())
            deleteTopic(m_topicsPanel->currentTopic());
    });
    file->addSeparator();
    add(file, tr("&Connect…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O),
        [this] { openConnections(); });
    m_listenerActions << add(file, tr("Listen on other &ports…"), QKeySequence(),
                             [this] { pickPort(); });
    file->addSeparator();
    add(file, tr("&Quit"), QKeySequence::Quit, [this] { close(); });
    // Delete acts on the topics tree only, so it never fires while typing elsewhere
    auto *deleteKey = new QAction(this);
    deleteKey->setShortcut(QKeySequence::Delete);
    deleteKey->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_topicsPanel->view()->addAction(deleteKey);
    connect(deleteKey, &QAction::triggered, remove, &QAction::trigger);

    // Topic menu (topicactions.cpp)
    QMenu *topicMenu = menuBar()->addMenu(tr("&Topic"));
    add(topicMenu, tr("Topic &settings…"), QKeySequence(Qt::CTRL | Qt::Key_E), [this] {
        if (m_topicsPanel->currentTopic().isEmpty())
            m_statusLine->showNote(tr("Select a topic first"));
        else
            openTopicSettings(m_topicsPanel->currentTopic());
    });
    add(topicMenu, tr("&Import records…"), QKeySequence(Qt::CTRL | Qt::Key_I),
        [this] { openImport(m_topicsPanel->currentTopic()); });

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    m_editMenu = edit;
    QAction *copy = add(edit, tr("&Copy address"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C),
                        [this] { copyAddress(); });
    m_listenerActions << copy;
    add(edit, tr("&Find messages…"), QKeySequence::Find, [this] { focusMessageFilter(); });
    add(edit, tr("Filter &topics"), QKeySequence(Qt::CTRL | Qt::Key_L), [this] {
        m_topicsPanel->filterEdit()->setFocus(Qt::ShortcutFocusReason);
        m_topicsPanel->filterEdit()->selectAll();
    });

    QMenu *view = menuBar()->addMenu(tr("&View"));
    add(view, tr("Refresh &now"), QKeySequence::Refresh, [this] { refresh(); });
    QMenu *rates = view->addMenu(tr("&Refresh rate"));
    m_rateActions = new QActionGroup(this);
    m_rateBox = new QComboBox(this);
    m_rateBox->setToolTip(tr("How often the window reads the broker (Ctrl+R cycles)"));
    const QList<QPair<QString, int>> choices = {{tr("Paused"), 0},
                                                {tr("1 per second"), 1000},
                                                {tr("2 per second"), 500},
                                                {tr("4 per second"), 250},
                                                {tr("10 per second"), 100}};
    for (const auto &[label, ms] : choices) {
        QAction *a = rates->addAction(label);
        a->setCheckable(true);
        a->setData(ms);
        m_rateActions->addAction(a);
        m_rateBox->addItem(label, ms);
        connect(a, &QAction::triggered, this, [this, ms = ms] { setRefreshIntervalMs(ms); });
    }
    connect(m_rateBox, &QComboBox::activated, this,
            [this](int index) { setRefreshIntervalMs(m_rateBox->itemData(index).toInt()); });
    rates->addSeparator();
    add(rates, tr("&Next rate"), QKeySequence(Qt::CTRL | Qt::Key_R), [this] {
        const int next = (m_rateBox->currentIndex() + 1) % m_rateBox->count();
        setRefreshIntervalMs(m_rateBox->itemData(next).toInt());
    });
    m_liveTailAction =
        add(view, tr("&Live tail"), QKeySequence(Qt::CTRL | Qt::Key_T), [this](bool on) {
            m_browser->liveTailButton()->setChecked(on);
            if (on)
                m_tabs->setCurrentIndex(MessagesTab);
        });
    m_liveTailAction->setCheckable(true);
    connect(m_browser->liveTailButton(), &QToolButton::toggled, m_liveTailAction,
            &QAction::setChecked);
    view->addSeparator();
    add(view, tr("&Consumers"), QKeySequence(Qt::ALT | Qt::Key_1),
        [this] { m_tabs->setCurrentIndex(ConsumersTab); });
    QAction *clients = add(view, tr("C&lients"), QKeySequence(Qt::ALT | Qt::Key_2),
                           [this] { m_tabs->setCurrentIndex(ClientsTab); });
    clients->setVisible(m_info.kind == SourceInfo::Kind::InProcess);
    add(view, tr("&Messages"), QKeySequence(Qt::ALT | Qt::Key_3),
        [this] { m_tabs->setCurrentIndex(MessagesTab); });

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    add(help, tr("Open &documentation"), QKeySequence::HelpContents,
        [this] { openDocumentation(); });
    add(help, tr("&About Rivulet"), QKeySequence(), [this] { openAbout(); });

    QToolBar *bar = addToolBar(tr("Main"));
    bar->setObjectName(QStringLiteral("mainToolBar"));
    bar->setMovable(false);
    bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    create->setToolTip(tr("Create a topic (Ctrl+N)"));
    inject->setToolTip(tr("Write messages into a topic (Ctrl+P)"));
    copy->setToolTip(tr("Copy the native protocol address (Ctrl+Shift+C)"));
    bar->addAction(create);
    bar->addAction(inject);
    m_listenerActions << bar->addSeparator();
    bar->addAction(copy);
    auto *spacer = new QWidget(bar);
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    bar->addWidget(spacer);
    bar->addWidget(new QLabel(tr("Refresh: "), bar));
    bar->addWidget(m_rateBox);
}

void MainWindow::setRefreshIntervalMs(int ms)
{
    m_refreshMs = std::max(0, ms);
    if (m_refreshMs == 0)
        m_timer->stop();
    else
        m_timer->start(m_refreshMs);
    for (QAction *a : m_rateActions->actions())
        a->setChecked(a->data().toInt() == m_refreshMs);
    const int index = m_rateBox->findData(m_refreshMs);
    if (index >= 0)
        m_rateBox->setCurrentIndex(index);
}

void MainWindow::refresh()
{
    if (m_info.kind == SourceInfo::Kind::InProcess) {
        apply(prepareRefresh(m_source, ++m_refreshSequence));
        return;
    }
    // a cluster answers over the network: never on the GUI thread
    ClusterSource *source = &m_source;
    const std::uint64_t sequence = ++m_refreshSequence;
    runOffGuiThread(
        m_snapshots, this, [source, sequence] { return prepareRefresh(*source, sequence); },
        [this](std::shared_ptr<const RefreshData> data) { apply(std::move(data)); });
}

void MainWindow::tick()
{
    // The copy of the broker is made on a pool thread; the GUI thread only merges it. A
    // tick that finds the previous copy still being made skips: it is on its way.
    if (m_refreshPending)
        return;
    m_refreshPending = true;
    ClusterSource *source = &m_source;
    const std::uint64_t sequence = ++m_refreshSequence;
    runOffGuiThread(
        m_snapshots, this, [source, sequence] { return prepareRefresh(*source, sequence); },
        [this](std::shared_ptr<const RefreshData> data) {
            m_refreshPending = false;
            apply(std::move(data));
        });
}

void MainWindow::apply(std::shared_ptr<const RefreshData> data)
{
    // a copy made before a refresh the user asked for arrives after it: it is stale
    if (data->sequence <= m_appliedSequence)
        return;
    m_appliedSequence = data->sequence;
    if (data->failed()) {
        // keep showing the last data; say since when the source does not answer
        // "connecting to …" (the constructor's) stands only until the first answer: a
        // cluster that was never reached is unreachable too, and the user needs the reason
        if (m_failingSinceMs == 0)
            m_failingSinceMs = data->takenMs;
        m_sourceProblem =
            tr("%1 unreachable since %2: %3")
                .arg(m_info.name,
                     QDateTime::fromMSecsSinceEpoch(m_failingSinceMs).toString(u"HH:mm:ss"),
                     data->error);
        m_statusLine->setSourceProblem(m_sourceProblem);
        Q_EMIT refreshed();
        return;
    }
    m_failingSinceMs = 0;
    if (!m_sourceProblem.isEmpty()) {
        m_sourceProblem.clear();
        m_statusLine->setSourceProblem({});
    }
    QElapsedTimer timer;
    timer.start();
    m_topics->update(data->snapshot);
    m_consumersPanel->apply(data);
    m_clients->update(data->snapshot.clients, data->snapshot.takenMs);
    m_lastMergeNs = timer.nsecsElapsed();
    m_lastRefresh = std::move(data);

    if (m_topicNamesDirty) {
        m_topicNamesDirty = false;
        const QStringList names = m_topics->topicNames();
        m_browser->setTopics(names);
        if (m_inject)
            m_inject->setTopics(names);
        if (m_import)
            m_import->setTopics(names);
    }
    if (!m_pendingTopic.isEmpty() && m_topicsPanel->select(m_pendingTopic, m_pendingPartition))
        m_pendingTopic.clear();
    m_browser->poll();
    updateChart(false);
    updateStatus();
    Q_EMIT refreshed();
}

void MainWindow::updateChart(bool force)
{
    // the rates are the source's history in memory (no network, no file): read here
    const std::vector<RateSample> total = m_source.totalRates();
    const std::int64_t latest = total.empty() ? 0 : total.back().timeMs;
    if (!force && latest == m_chartSampleMs)
        return;
    m_chartSampleMs = latest;
    const QString topic = m_topicsPanel->currentTopic();
    m_chart->setTopicRates(topic, topic.isEmpty() ? std::vector<RateSample>()
                                                  : m_source.topicRates(topic));
    m_chart->setBrokerRates(total);
}

QList<StatusLine::Listener> MainWindow::listenerStates() const
{
    QList<StatusLine::Listener> listeners;
    for (const Listener &l : m_listeners) {
        QString problem = l.problem;
        if (problem.isEmpty() && !l.server->isListening())
            problem = tr("not listening");
        listeners.append({l.protocol, addressOf(*l.server), problem});
    }
    return listeners;
}

void MainWindow::updateStatus()
{
    m_statusLine->setListeners(listenerStates());
    const TopicsModel::Totals &t = m_topics->totals();
    // connections against --max-connections: shown once the limit is near or was hit
    QString clients = display::count(m_clients->rowCount(), tr("client"), tr("clients"));
    QString clientsTab = tr("Clients (%1)").arg(m_clients->rowCount());
    if (m_lastRefresh) {
        const BrokerSnapshot &s = m_lastRefresh->snapshot;
        // a cluster has no connection limit to tell (maxConnections 0)
        if (s.refusedConnections > 0 ||
            (s.maxConnections > 0 && s.connections >= s.maxConnections - s.maxConnections / 10)) {
            clients += tr(" (%1 connections of at most %2, %3 refused)")
                           .arg(s.connections)
                           .arg(s.maxConnections)
                           .arg(s.refusedConnections);
            clientsTab = tr("Clients (%1 · %2 refused)")
                             .arg(m_clients->rowCount())
                             .arg(s.refusedConnections);
        }
    }
    const bool inProcess = m_info.kind == SourceInfo::Kind::InProcess;
    QStringList parts{display::count(t.topics, tr("topic"), tr("topics")),
                      display::count(t.partitions, tr("partition"), tr("partitions")),
                      display::count(t.messages, tr("message"), tr("messages"))};
    // a Kafka client learns neither a cluster's sizes nor its clients, nor what its
    // consumers read: say nothing rather than "—", "0 clients" and "out 0/s"
    if (t.bytes >= 0)
        parts << display::bytes(t.bytes);
    if (inProcess)
        parts << clients;
    parts << tr("in %1/s").arg(display::rate(t.inRate));
    if (inProcess)
        parts << tr("out %1/s").arg(display::rate(t.outRate));
    QString totals = parts.join(QStringLiteral(" · "));
    if (!inProcess && m_lastRefresh)
        m_statusLine->setDataLocation(display::count(qint64(m_lastRefresh->snapshot.brokers.size()),
                                                     tr("broker"), tr("brokers")));
    if (t.unavailable > 0)
        totals += tr(" · %1 unavailable")
                      .arg(display::count(t.unavailable, tr("partition"), tr("partitions")));
    m_statusLine->setTotals(totals);
    if (m_lastRefresh)
        m_statusLine->setToolTip(tr("Last refresh: copied from the broker in %1 ms, merged into "
                                    "the views in %2 ms")
                                     .arg(double(m_lastRefresh->prepareNs) / 1e6, 0, 'f', 2)
                                     .arg(double(m_lastMergeNs) / 1e6, 0, 'f', 2));
    const ConsumersModel *consumerRows = m_consumersPanel->model();
    const int lagging = consumerRows->laggingCount();
    const QString consumers =
        lagging > 0 ? tr("Consumers (%1 · %2 behind)").arg(consumerRows->rowCount()).arg(lagging)
                    : tr("Consumers (%1)").arg(consumerRows->rowCount());
    if (m_tabs->tabText(ConsumersTab) != consumers)
        m_tabs->setTabText(ConsumersTab, consumers);
    if (m_tabs->tabText(ClientsTab) != clientsTab)
        m_tabs->setTabText(ClientsTab, clientsTab);
}

void MainWindow::currentTopicChanged(const QString &topic, int partition)
{
    if (topic.isEmpty())
        return;
    m_pendingTopic.clear(); // the user chose: stop restoring the saved selection
    if (m_browser->model()->topicName() != topic || partition >= 0)
        m_browser->showPartition(topic, std::max(0, partition));
    updateChart(true);
}

CreateTopicDialog *MainWindow::openCreateTopic()
{
    auto *dialog = new CreateTopicDialog(m_source, m_tasks, this);
    dialog->setTopics(m_topics->topicNames());
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &CreateTopicDialog::topicCreated, this, [this](const QString &name) {
        refresh();
        m_topicsPanel->select(name, -1);
        m_statusLine->showNote(tr("Created topic %1").arg(name));
    });
    dialog->open();
    return dialog;
}

InjectDialog *MainWindow::openInject(const QString &topic, int partition)
{
    if (!m_inject) {
        m_inject = new InjectDialog(m_source, m_tasks, this);
        m_inject->setPartitionCountLookup(
            [this](const QString &t) { return partitionCountNow(t); });
        m_inject->setTopics(m_topics->topicNames());
        connect(m_inject, &InjectDialog::injected, this, [this] { refresh(); });
    }
    if (!topic.isEmpty())
        m_inject->setTopic(topic, partition);
    m_inject->show();
    m_inject->raise();
    m_inject->activateWindow();
    return m_inject;
}

void MainWindow::confirm(QMessageBox::Icon icon, const QString &title, const QString &text,
                         const QString &action, std::function<void()> then)
{
    askToConfirm(this, icon, title, text, action, std::move(then));
}

void MainWindow::showProblem(const QString &title, const QString &text)
{
    rivulet::showProblem(this, title, text);
}

void MainWindow::copyAddress()
{
    QApplication::clipboard()->setText(nativeAddress());
    m_statusLine->showNote(tr("Copied %1").arg(nativeAddress()));
}

void MainWindow::focusMessageFilter()
{
    m_tabs->setCurrentIndex(MessagesTab);
    m_browser->focusFilter();
}

bool MainWindow::listenOn(Server::Protocol protocol, quint16 port)
{
    for (Listener &l : m_listeners) {
        if (l.server->protocol() != protocol)
            continue;
        QHostAddress address = l.server->serverAddress();
        if (address.isNull())
            address = QHostAddress(l.server->property("lastAddress").toString());
        if (address.isNull())
            address = QHostAddress::LocalHost;
        if (l.server->listenAgain(address, port)) {
            l.problem.clear();
        } else {
            l.problem = tr("cannot listen on %1:%2: %3")
                            .arg(address.toString())
                            .arg(port)
                            .arg(l.server->errorString());
            l.server->setProperty("lastAddress", address.toString());
        }
        if (protocol == Server::Protocol::Native)
            updateTitle();
        updateStatus();
        return l.problem.isEmpty();
    }
    return false;
}

void MainWindow::pickPort()
{
    int native = 0, kafka = -1;
    for (const Listener &l : m_listeners)
        (l.server->protocol() == Server::Protocol::Native ? native : kafka) =
            l.server->serverPort();
    auto *dialog = new ListenDialog(quint16(native), kafka, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog, native, kafka] {
        // only the listeners whose port changed move (0 always does: a new free port)
        QStringList problems;
        auto move = [&](Server::Protocol protocol, int before, int after) {
            if ((after != before || after == 0) && !listenOn(protocol, quint16(after)))
                for (const Listener &l : m_listeners)
                    if (l.server->protocol() == protocol)
                        problems << l.problem;
        };
        move(Server::Protocol::Native, native, dialog->nativePortEdit()->value());
        if (dialog->kafkaPortEdit())
            move(Server::Protocol::Kafka, kafka, dialog->kafkaPortEdit()->value());
        if (!problems.isEmpty())
            showProblem(tr("Listen on other ports — Rivulet"), problems.join(QLatin1Char('\n')));
    });
    dialog->open();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveSettings();
    QMainWindow::closeEvent(event);
}

} // namespace rivulet
