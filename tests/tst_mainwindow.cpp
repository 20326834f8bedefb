#include "broker.h"
#include "clientsmodel.h"
#include "consumersmodel.h"
#include "createtopicdialog.h"
#include "injectdialog.h"
#include "mainwindow.h"
#include "messagebrowser.h"
#include "messagesmodel.h"
#include "modelroles.h"
#include "native/clientcodec.h"
#include "native/nativeclient.h"
#include "rateschart.h"
#include "recorddetailpane.h"
#include "server/server.h"
#include "statusline.h"
#include "support/windowfixture.h"
#include "topicsmodel.h"
#include "topicspanel.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScreen>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QToolButton>
#include <QTreeView>

#include <atomic>
#include <functional>
#include <memory>

using namespace rivulet;
using namespace rivulet::native;
using namespace rivulet::testing;

namespace {

// A client in another thread, as an external program would be: its blocking calls run
// there while the test's thread keeps the window and the listening socket going.
class ExternalClient
{
public:
    explicit ExternalClient(quint16 port, QByteArray name = {}) : m_name(std::move(name))
    {
        m_thread.start();
        m_context.moveToThread(&m_thread);
        const bool connected = run([port](std::unique_ptr<NativeClient> &c) {
            c = std::make_unique<NativeClient>();
            return c->connectTo(QStringLiteral("127.0.0.1"), port);
        });
        if (!connected)
            qWarning("external client cannot connect to port %u", port);
    }
    ~ExternalClient()
    {
        run([](std::unique_ptr<NativeClient> &c) {
            c.reset();
            return true;
        });
        m_thread.quit();
        m_thread.wait();
    }

    bool call(const QByteArray &request, Reply *out = nullptr)
    {
        return run([&](std::unique_ptr<NativeClient> &c) {
            Reply reply;
            const bool ok = c->call(request, reply) && !reply.error;
            if (out)
                *out = reply;
            return ok;
        });
    }
    bool create(const QByteArray &topic, quint32 partitions)
    {
        return call(encodeCreateTopic(topic, partitions, m_name));
    }
    bool produce(const QByteArray &topic, quint32 partition, int count, const QByteArray &prefix)
    {
        QList<QByteArray> values;
        for (int i = 0; i < count; ++i)
            values << prefix + QByteArray::number(i);
        return call(encodeProduce(topic, partition, values, m_name));
    }
    QList<ContentRecord> consume(const QByteArray &topic, quint32 partition, quint32 offset,
                                 quint32 limit)
    {
        Reply reply;
        if (!call(encodeConsume(topic, partition, offset, limit, m_name), &reply))
            return {};
        return reply.contents;
    }

private:
    // Runs f on the client's thread and waits for it with the event loop running.
    bool run(std::function<bool(std::unique_ptr<NativeClient> &)> f)
    {
        std::atomic<int> state{0};
        QMetaObject::invokeMethod(&m_context, [&] { state = f(m_client) ? 1 : 2; });
        QElapsedTimer timer;
        timer.start();
        while (state == 0 && timer.elapsed() < kTimeoutMs)
            QTest::qWait(5);
        return state == 1;
    }

    QByteArray m_name;
    QThread m_thread;
    QObject m_context;
    std::unique_ptr<NativeClient> m_client; // created, used and deleted on m_thread
};

int findRow(const QAbstractItemModel *model, int column, const QString &text,
            const QModelIndex &parent = {})
{
    for (int row = 0; row < model->rowCount(parent); ++row)
        if (cell(model, row, column, parent) == text)
            return row;
    return -1;
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // Without saved settings the window opens no larger than the screen's free area: at its
    // old fixed 1340×840 a 1280×800 screen hid the status bar and the right-hand buttons.
    void opensWithinTheScreen()
    {
        QSettings().remove(QStringLiteral("window/geometry"));
        Fixture f;
        const QRect free = f.window->screen()->availableGeometry();
        QVERIFY2(f.window->width() <= free.width() && f.window->height() <= free.height(),
                 qPrintable(QStringLiteral("%1x%2 on a %3x%4 screen")
                                .arg(f.window->width())
                                .arg(f.window->height())
                                .arg(free.width())
                                .arg(free.height())));
    }

    void showsWhatExternalClientsDo()
    {
        Fixture f;
        MainWindow &w = *f.window;
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.windowTitle().contains(QLatin1String("Rivulet")));
        QAbstractItemModelTester topicsTester(
            w.topicsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester consumersTester(
            w.consumersModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester clientsTester(
            w.clientsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy topicsReset(w.topicsModel(), &QAbstractItemModel::modelReset);
        QSignalSpy consumersReset(w.consumersModel(), &QAbstractItemModel::modelReset);

        // an external producer makes two topics and writes to four partitions
        auto producer = std::make_unique<ExternalClient>(f.port(), "loader");
        QVERIFY(producer->create("orders", 3));
        QVERIFY(producer->create("payments", 1));
        QVERIFY(producer->produce("orders", 0, 100, "order-a-"));
        QVERIFY(producer->produce("orders", 1, 200, "order-b-"));
        QVERIFY(producer->produce("orders", 2, 300, "order-c-"));
        QVERIFY(producer->produce("payments", 0, 50, "payment-"));
        // two consumers read part-way
        auto billing = std::make_unique<ExternalClient>(f.port(), "billing");
        QCOMPARE(billing->consume("orders", 0, 0, 40).size(), 40);
        auto analytics = std::make_unique<ExternalClient>(f.port(), "analytics");
        QCOMPARE(analytics->consume("payments", 0, 0, 20).size(), 20);

        const TopicsModel *topics = w.topicsModel();
        QTRY_COMPARE_WITH_TIMEOUT(topics->rowCount(), 2, kTimeoutMs);
        QCOMPARE(cell(topics, 0, TopicsModel::Name), QStringLiteral("orders"));
        QTRY_COMPARE(cell(topics, 0, TopicsModel::Messages), QStringLiteral("600"));
        QCOMPARE(cell(topics, 0, TopicsModel::Partitions), QStringLiteral("3"));
        const QModelIndex orders = topics->index(0, 0);
        QCOMPARE(cell(topics, 2, TopicsModel::EndOffset, orders), QStringLiteral("300"));
        QCOMPARE(cell(topics, 1, TopicsModel::Messages), QStringLiteral("50"));
        // the tree in the window shows them too
        const QAbstractItemModel *tree = w.topicsPanel()->view()->model();
        QCOMPARE(tree->rowCount(), 2);

        const QAbstractItemModel *consumers = w.consumersView()->model();
        QTRY_COMPARE_WITH_TIMEOUT(consumers->rowCount(), 2, kTimeoutMs);
        const int b = consumerRow(consumers, "billing", "orders", 0);
        QVERIFY(b >= 0);
        QCOMPARE(cell(consumers, b, ConsumersModel::NextOffset), QStringLiteral("40"));
        QCOMPARE(cell(consumers, b, ConsumersModel::EndOffset), QStringLiteral("100"));
        QCOMPARE(cell(consumers, b, ConsumersModel::Lag), QStringLiteral("60"));
        // the client list is copied off the GUI thread, a tick behind the positions
        QTRY_COMPARE(
            cell(consumers, consumerRow(consumers, "billing", "orders", 0), ConsumersModel::State),
            QStringLiteral("connected"));
        const int a = consumerRow(consumers, "analytics", "payments", 0);
        QVERIFY(a >= 0);
        QCOMPARE(cell(consumers, a, ConsumersModel::Lag), QStringLiteral("30"));
        QVERIFY(w.tabs()->tabText(0).contains(QLatin1String("2 behind")));

        // every connection shows, with what it produces and consumes
        const QAbstractItemModel *clients = w.clientsView()->model();
        QTRY_COMPARE_WITH_TIMEOUT(clients->rowCount(), 3, kTimeoutMs);
        const int loader = findRow(clients, ClientsModel::Name, QStringLiteral("loader"));
        QVERIFY(loader >= 0);
        QVERIFY(cell(clients, loader, ClientsModel::Produces).contains(QLatin1String("orders[0]")));
        QCOMPARE(cell(clients, loader, ClientsModel::Protocol), QStringLiteral("native"));
        const int billingClient = findRow(clients, ClientsModel::Name, QStringLiteral("billing"));
        QCOMPARE(cell(clients, billingClient, ClientsModel::Consumes), QStringLiteral("orders[0]"));
        QVERIFY(w.statusLine()->addressLabel()->text().contains(f.address));

        // counts move as messages arrive, and the consumer reading on shrinks its lag
        QVERIFY(producer->produce("orders", 0, 10, "late-"));
        QCOMPARE(billing->consume("orders", 0, 40, 50).size(), 50);
        QTRY_COMPARE(
            cell(consumers, consumerRow(consumers, "billing", "orders", 0), ConsumersModel::Lag),
            QStringLiteral("20"));
        QCOMPARE(cell(topics, 0, TopicsModel::Messages), QStringLiteral("610"));

        // the billing connection closes: its row stays, marked gone; its client row goes
        billing.reset();
        QTRY_COMPARE(
            cell(consumers, consumerRow(consumers, "billing", "orders", 0), ConsumersModel::State),
            QStringLiteral("gone"));
        QTRY_COMPARE(clients->rowCount(), 2);
        QCOMPARE(topicsReset.count(), 0);
        QCOMPARE(consumersReset.count(), 0);
    }

    // Over --max-connections: the Clients tab and the status bar say how many were refused.
    void showsRefusedConnections()
    {
        BrokerConfig config;
        config.maxConnections = 1;
        Fixture f(config);
        MainWindow &w = *f.window;
        auto first = std::make_unique<ExternalClient>(f.port(), "first");
        QVERIFY(first->create("t", 1));
        QTcpSocket over;
        over.connectToHost(QHostAddress::LocalHost, f.port());
        QTRY_COMPARE_WITH_TIMEOUT(over.state(), QAbstractSocket::UnconnectedState, kTimeoutMs);
        const auto clientsTab = [&w] {
            for (int i = 0; i < w.tabs()->count(); ++i)
                if (w.tabs()->tabText(i).startsWith(QLatin1String("Clients")))
                    return w.tabs()->tabText(i);
            return QString();
        };
        QTRY_COMPARE_WITH_TIMEOUT(clientsTab(), QStringLiteral("Clients (1 · 1 refused)"),
                                  kTimeoutMs);
        bool inStatusBar = false;
        for (const QLabel *label : w.statusLine()->findChildren<QLabel *>())
            inStatusBar |= label->text().contains(
                QLatin1String("1 client (1 connections of at most 1, 1 refused)"));
        QVERIFY(inStatusBar);
    }

    void refreshKeepsSelectionAndSort()
    {
        Fixture f;
        MainWindow &w = *f.window;
        ExternalClient client(f.port(), "zed");
        QVERIFY(client.create("middle", 2));
        QVERIFY(client.produce("middle", 1, 10, "m"));
        QVERIFY(!client.consume("middle", 1, 0, 5).isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(w.topicsModel()->rowCount(), 1, kTimeoutMs);
        QVERIFY(w.topicsPanel()->select(QStringLiteral("middle"), 1));
        QTableView *consumers = w.consumersView();
        QTRY_COMPARE(consumers->model()->rowCount(), 1);
        consumers->selectRow(0);

        // topics and consumer rows that sort before the selected ones arrive
        ExternalClient other(f.port(), "alice");
        QVERIFY(other.create("first", 1));
        QVERIFY(other.produce("first", 0, 3, "f"));
        QVERIFY(!other.consume("first", 0, 0, 1).isEmpty());
        QTRY_COMPARE(w.topicsModel()->rowCount(), 2);
        QTRY_COMPARE(consumers->model()->rowCount(), 2);
        QCOMPARE(w.topicsPanel()->currentTopic(), QStringLiteral("middle"));
        QCOMPARE(w.topicsPanel()->currentPartition(), 1);
        const QModelIndex current = consumers->currentIndex();
        QCOMPARE(cell(consumers->model(), current.row(), ConsumersModel::Consumer),
                 QStringLiteral("zed"));
        QCOMPARE(current.row(), 1);
        // sorted by lag, descending: the order follows the data
        consumers->sortByColumn(ConsumersModel::Lag, Qt::DescendingOrder);
        QCOMPARE(cell(consumers->model(), 0, ConsumersModel::Consumer), QStringLiteral("zed"));
    }

    void createsTopicsAndInjectsMessagesFromTheWindow()
    {
        Fixture f;
        MainWindow &w = *f.window;
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));

        // Ctrl+N opens the dialog; names are checked as they are typed
        QTest::keyClick(&w, Qt::Key_N, Qt::ControlModifier);
        auto *create = waitForDialog<CreateTopicDialog>(&w);
        QVERIFY(create);
        QTRY_VERIFY(create->isVisible());
        QPushButton *ok = create->buttons()->button(QDialogButtonBox::Ok);
        QTest::keyClicks(create->nameEdit(), "bad name");
        QVERIFY(create->problemLabel()->text().contains(QLatin1String("may only contain")));
        QVERIFY(!ok->isEnabled());
        create->nameEdit()->clear();
        QTest::keyClicks(create->nameEdit(), "..");
        QVERIFY(create->problemLabel()->text().contains(QLatin1String("\"..\"")));
        create->nameEdit()->setText(QString(250, QLatin1Char('x')));
        QCOMPARE(create->nameEdit()->text().size(), 249); // the field stops at Kafka's limit
        create->nameEdit()->clear();
        QTest::keyClicks(create->nameEdit(), "events");
        QVERIFY(create->problemLabel()->text().isEmpty());
        QVERIFY(ok->isEnabled());
        create->partitionsEdit()->setText(QStringLiteral("2"));
        QSignalSpy created(create, &CreateTopicDialog::topicCreated);
        QTest::mouseClick(ok, Qt::LeftButton);
        QVERIFY(created.wait(kTimeoutMs));
        QTRY_VERIFY(!w.findChild<CreateTopicDialog *>());
        auto topic = f.broker.topics().find("events");
        QVERIFY(topic);
        QCOMPARE(topic->partitionCount(), 2);
        QCOMPARE(w.topicsModel()->rowCount(), 1);
        QCOMPARE(w.topicsPanel()->currentTopic(), QStringLiteral("events"));

        // creating it again is refused inside the dialog
        CreateTopicDialog *again = w.openCreateTopic();
        QTest::keyClicks(again->nameEdit(), "events");
        QVERIFY(again->problemLabel()->text().contains(QLatin1String("already exists")));
        again->reject();

        // Ctrl+P: ten messages, round-robin, with a key, a header and {i}
        QTRY_VERIFY(!w.findChild<CreateTopicDialog *>());
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QTest::keyClick(&w, Qt::Key_P, Qt::ControlModifier);
        InjectDialog *inject = w.injectDialog();
        QVERIFY(inject);
        QTRY_VERIFY(inject->isVisible());
        QCOMPARE(inject->topicBox()->currentText(), QStringLiteral("events"));
        QCOMPARE(inject->partitionBox()->count(), 3); // round-robin, 0, 1
        inject->partitionBox()->setCurrentIndex(0);
        inject->keyCheck()->setChecked(true);
        QTest::keyClicks(inject->keyEdit(), "user-{i}");
        inject->valueEdit()->setPlainText(QStringLiteral(R"({"n": {i}, "text": "hello"})"));
        inject->headersTable()->insertRow(0);
        inject->headersTable()->setItem(0, 0, new QTableWidgetItem(QStringLiteral("source")));
        inject->headersTable()->setItem(0, 1, new QTableWidgetItem(QStringLiteral("ui-{i}")));
        inject->repeatEdit()->setValue(10);
        QSignalSpy injected(inject, &InjectDialog::injected);
        QTest::mouseClick(inject->sendButton(), Qt::LeftButton);
        QVERIFY(injected.wait(kTimeoutMs));
        QVERIFY2(inject->resultLabel()->text().contains(QLatin1String("Wrote 10")),
                 qPrintable(inject->resultLabel()->text()));
        QTRY_COMPARE(cell(w.topicsModel(), 0, TopicsModel::Messages), QStringLiteral("10"));

        // an external consumer sees them
        ExternalClient reader(f.port(), "reader");
        const QList<ContentRecord> p0 = reader.consume("events", 0, 0, 100);
        const QList<ContentRecord> p1 = reader.consume("events", 1, 0, 100);
        QCOMPARE(p0.size(), 5);
        QCOMPARE(p1.size(), 5);
        QCOMPARE(p0[0].value, QByteArray(R"({"n": 0, "text": "hello"})"));
        QCOMPARE(p1[2].value, QByteArray(R"({"n": 5, "text": "hello"})"));

        // the next round-robin inject continues where this one stopped; one per line
        inject->keyCheck()->setChecked(false);
        inject->perLineCheck()->setChecked(true);
        inject->valueEdit()->setPlainText(QStringLiteral("one\ntwo\nthree"));
        inject->repeatEdit()->setValue(1);
        QTest::mouseClick(inject->sendButton(), Qt::LeftButton);
        QVERIFY(injected.wait(kTimeoutMs));
        QCOMPARE(reader.consume("events", 0, 5, 10).size(), 2);
        QCOMPARE(reader.consume("events", 1, 5, 10).first().value, QByteArray("two"));
    }

    void browsesMessages()
    {
        Fixture f;
        MainWindow &w = *f.window;
        InjectRequest request;
        request.topic = QStringLiteral("json");
        request.partition = 0;
        request.key = QByteArray("k-{i}");
        request.values = {R"({"order":{i},"items":["tea","cake"]})"};
        request.headers = {{"trace", "t{i}"}};
        request.repeat = 450;
        f.broker.createTopic("json", 1);
        InjectProgress progress;
        QCOMPARE(injectMessages(f.source, request, progress).written, 450);

        QTRY_COMPARE_WITH_TIMEOUT(w.topicsModel()->rowCount(), 1, kTimeoutMs);
        QVERIFY(w.topicsPanel()->select(QStringLiteral("json"), 0));
        MessageBrowser *browser = w.messageBrowser();
        w.tabs()->setCurrentWidget(browser);
        MessagesModel *messages = browser->model();
        QTRY_COMPARE_WITH_TIMEOUT(messages->rowCount(), MessagesModel::kPageSize, kTimeoutMs);
        QCOMPARE(messages->record(0)->offset, 250); // newest first page

        // from the start, paged as the view scrolls
        browser->startBox()->setCurrentIndex(
            browser->startBox()->findText(QStringLiteral("Oldest")));
        QTRY_COMPARE(messages->rowCount(), MessagesModel::kPageSize);
        QTRY_COMPARE(messages->record(0)->offset, 0);
        QTableView *view = browser->view();
        // The view asks for the next page when its scroll bar moves to the bottom. Where the
        // bar already stood there (left by the Newest page before the reset was laid out),
        // moving it there again changes nothing: a person scrolls up and down again, and so
        // does this until the page comes.
        QScrollBar *scroll = view->verticalScrollBar();
        QTRY_VERIFY2_WITH_TIMEOUT((view->scrollToTop(), view->scrollToBottom(),
                                   messages->rowCount() > MessagesModel::kPageSize),
                                  qPrintable(QStringLiteral("rows %1, reading %2, more %3, "
                                                            "bar %4 of %5")
                                                 .arg(messages->rowCount())
                                                 .arg(messages->isReading())
                                                 .arg(messages->canFetchMore({}))
                                                 .arg(scroll->value())
                                                 .arg(scroll->maximum())),
                                  kTimeoutMs);

        // the detail pane pretty-prints JSON, or shows hex
        view->setCurrentIndex(view->model()->index(7, MessagesModel::Value));
        RecordDetailPane *detail = browser->detail();
        QCOMPARE(detail->shownView(), valueformat::View::Json);
        QVERIFY(detail->valueView()->toPlainText().contains(QLatin1String("\"order\": 7")));
        QVERIFY(detail->summaryLabel()->text().contains(QLatin1String("offset 7")));
        detail->viewChoice()->setCurrentIndex(
            detail->viewChoice()->findText(QStringLiteral("Hex")));
        QCOMPARE(detail->shownView(), valueformat::View::Hex);
        QVERIFY(detail->valueView()->toPlainText().startsWith(QLatin1String("00000000  7b 22 6f")));
        detail->viewChoice()->setCurrentIndex(0);

        // from an offset
        browser->startBox()->setCurrentIndex(
            browser->startBox()->findText(QStringLiteral("From offset")));
        browser->offsetEdit()->setText(QStringLiteral("440"));
        QTest::keyClick(browser->offsetEdit(), Qt::Key_Return);
        QTRY_COMPARE(messages->rowCount(), 10);
        QCOMPARE(messages->record(0)->offset, 440);

        // Ctrl+F: the filter, on key or value
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QTest::keyClick(&w, Qt::Key_F, Qt::ControlModifier);
        QVERIFY(browser->filterEdit()->hasFocus());
        browser->startBox()->setCurrentIndex(
            browser->startBox()->findText(QStringLiteral("Oldest")));
        QTest::keyClicks(browser->filterEdit(), "K-12");
        QTest::keyClick(browser->filterEdit(), Qt::Key_Return);
        QTRY_COMPARE(messages->rowCount(), 11); // k-12 and k-120..k-129
        QCOMPARE(messages->record(0)->key, QByteArray("k-12"));
        browser->filterEdit()->clear();
        QTest::keyClick(browser->filterEdit(), Qt::Key_Return);

        // live tail follows new messages
        browser->startBox()->setCurrentIndex(
            browser->startBox()->findData(int(MessagesModel::Start::Newest)));
        QTRY_COMPARE(messages->rowCount(), MessagesModel::kPageSize);
        browser->liveTailButton()->setChecked(true);
        request.repeat = 5;
        request.values = {"tail-{i}"};
        QCOMPARE(injectMessages(f.source, request, progress).written, 5);
        QTRY_COMPARE_WITH_TIMEOUT(messages->rowCount(), MessagesModel::kPageSize + 5, kTimeoutMs);
        QCOMPARE(messages->record(messages->rowCount() - 1)->value, QByteArray("tail-4"));
        // and keeps the newest row in view
        QScrollBar *bar = view->verticalScrollBar();
        QTRY_VERIFY(bar->maximum() > 0 && bar->value() == bar->maximum());
    }

    void remembersLayoutAndSelection()
    {
        QList<int> sizes;
        {
            Fixture f;
            f.broker.createTopic("keep", 3);
            f.window->refresh();
            QVERIFY(f.window->topicsPanel()->select(QStringLiteral("keep"), 2));
            f.window->setRefreshIntervalMs(1000);
            auto *splitter = f.window->findChild<QSplitter *>();
            splitter->setSizes({200, 500});
            sizes = splitter->sizes();
            f.window->tabs()->setCurrentIndex(1);
            f.window->close();
        }
        Fixture f;
        f.broker.createTopic("keep", 3);
        QCOMPARE(f.window->refreshIntervalMs(), 1000);
        QCOMPARE(f.window->findChild<QSplitter *>()->sizes(), sizes);
        QCOMPARE(f.window->tabs()->currentIndex(), 1);
        f.window->refresh(); // the topic appears: its saved selection comes back
        QCOMPARE(f.window->topicsPanel()->currentTopic(), QStringLiteral("keep"));
        QCOMPARE(f.window->topicsPanel()->currentPartition(), 2);
        f.window->setRefreshIntervalMs(MainWindow::kDefaultRefreshMs);
    }

    void copiesTheAddressAndPicksAnotherPort()
    {
        Fixture f;
        MainWindow &w = *f.window;
        w.copyAddress();
        QCOMPARE(QApplication::clipboard()->text(), f.address);

        // a port in use is reported with a way out; another port works
        QTcpServer squatter;
        QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
        QVERIFY(!w.listenOn(squatter.serverPort()));
        QVERIFY(w.statusLine()->problemLabel()->isVisibleTo(&w));
        QVERIFY(w.statusLine()->problemLabel()->text().contains(
            QString::number(squatter.serverPort())));
        QVERIFY(w.statusLine()->pickPortButton()->isVisibleTo(&w));
        QVERIFY(w.listenOn(0));
        QVERIFY(!w.statusLine()->problemLabel()->isVisibleTo(&w));
        QVERIFY(f.server.isListening());
        QVERIFY(w.windowTitle().contains(w.nativeAddress()));
        ExternalClient client(f.server.serverPort());
        QVERIFY(client.create("after-move", 1));
    }

    void deletesTopics()
    {
        Fixture f;
        MainWindow &w = *f.window;
        f.broker.createTopic("doomed", 1);
        w.refresh();
        w.deleteTopic(QStringLiteral("doomed"));
        QVERIFY(answerMessageBox(&w, QStringLiteral("Delete")));
        QTRY_VERIFY_WITH_TIMEOUT(!f.broker.topics().find("doomed"), kTimeoutMs);
        QTRY_COMPARE(w.topicsModel()->rowCount(), 0);
    }

    void timerRefreshCopiesOffTheGuiThread()
    {
        Fixture f;
        MainWindow &w = *f.window;
        w.setRefreshIntervalMs(0); // ticks by hand
        f.broker.createTopic("first", 2);
        QSignalSpy refreshed(&w, &MainWindow::refreshed);
        w.tick();
        // the copy is made on a pool thread and merged by a queued call: not yet here
        QCOMPARE(w.topicsModel()->rowCount(), 0);
        QVERIFY(w.refreshPending());
        QTRY_COMPARE(refreshed.count(), 1);
        QCOMPARE(w.topicsModel()->rowCount(), 1);
        QVERIFY(w.lastRefresh());
        QVERIFY(w.lastRefresh()->prepareNs > 0);

        // a copy overtaken by a refresh the user asked for is dropped when it arrives
        w.tick();
        QString error;
        QVERIFY(f.broker.deleteTopic("first", error));
        w.refresh();
        QCOMPARE(w.topicsModel()->rowCount(), 0);
        QTRY_VERIFY(!w.refreshPending());
        QCOMPARE(w.topicsModel()->rowCount(), 0);
        QCOMPARE(refreshed.count(), 2);                        // the synchronous one only
        w.setRefreshIntervalMs(MainWindow::kDefaultRefreshMs); // saved for the next test
    }

    void consumerRowsOfferGroupAndPositionActions()
    {
        Fixture f;
        MainWindow &w = *f.window;
        w.setRefreshIntervalMs(0);
        QVERIFY(createFilledTopic(f.broker, QStringLiteral("cg"), {5, 3}));
        const std::int64_t now = Broker::nowMs();
        QCOMPARE(f.broker.groups().commit("audit-svc", -1, {}, {{"cg", 0, 2, {}}}, now), 0);
        f.broker.topics().find("cg")->partition(0)->noteConsumer("reader", 4, 4, now);
        w.refresh();
        const QAbstractItemModel *m = w.consumersView()->model();
        QVERIFY(consumerRow(m, "audit-svc", "cg", 0) >= 0);
        QVERIFY(consumerRow(m, "reader", "cg", 0) >= 0);
        auto actionNamed = [](QMenu *menu, const QString &text) -> QAction * {
            for (QAction *a : menu->actions()) {
                if (a->text() == text)
                    return a;
                if (a->menu())
                    for (QAction *sub : a->menu()->actions())
                        if (sub->text() == text)
                            return sub;
            }
            return nullptr;
        };
        auto menuFor = [&](const QString &consumer) {
            return std::unique_ptr<QMenu>(
                w.consumersPanel()->consumerMenu(m->index(consumerRow(m, consumer, "cg", 0), 0)));
        };

        // an empty group: reset to the latest moves every partition of the topic
        {
            const auto menu = menuFor("audit-svc");
            QAction *latest = actionNamed(menu.get(), QStringLiteral("To the latest"));
            QVERIFY(latest && latest->isEnabled());
            QVERIFY(qobject_cast<QMenu *>(latest->parent())->menuAction()->isEnabled());
            latest->trigger();
        }
        {
            // asked first
            auto *ask = waitForDialog<QMessageBox>(&w);
            QVERIFY(ask);
            QVERIFY2(ask->text().contains(QLatin1String("audit-svc")), qPrintable(ask->text()));
            QCOMPARE(f.broker.groups().committed("audit-svc", "cg", 0)->offset, 2);
            QVERIFY(answerMessageBox(&w, QStringLiteral("Reset")));
            QTRY_VERIFY(!w.findChild<QMessageBox *>());
        }
        QTRY_COMPARE(f.broker.groups().committed("audit-svc", "cg", 0)->offset, 5);
        QCOMPARE(f.broker.groups().committed("audit-svc", "cg", 1)->offset, 3);
        QTRY_COMPARE(cell(m, consumerRow(m, "audit-svc", "cg", 1), ConsumersModel::NextOffset),
                     QStringLiteral("3"));
        {
            // the change runs off the GUI thread; done() tells how it went
            QSignalSpy done(w.consumersPanel(), &ConsumersPanel::done);
            w.consumersPanel()->resetGroupOffsets("audit-svc", QStringLiteral("cg"),
                                                  ResetTo::Offset, 1);
            QVERIFY(done.wait(kTimeoutMs));
            QCOMPARE(done.first().first().toBool(), true);
        }
        QCOMPARE(cell(m, consumerRow(m, "audit-svc", "cg", 0), ConsumersModel::Lag),
                 QStringLiteral("4"));

        // with a member, neither reset nor delete is offered, and a reset is refused
        kafka::GroupCoordinator::JoinRequest join;
        join.groupId = "audit-svc";
        join.protocolType = "consumer";
        join.protocols = {{"range", {}}};
        // (its first round waits 3 s for more members; it is a member all the same)
        f.broker.groups().join(join, Broker::nowMs(),
                               [](const kafka::GroupCoordinator::JoinResult &) {});
        w.refresh();
        {
            const auto menu = menuFor("audit-svc");
            QAction *latest = actionNamed(menu.get(), QStringLiteral("To the latest"));
            QVERIFY(latest);
            QVERIFY(!qobject_cast<QMenu *>(latest->parent())->menuAction()->isEnabled());
            QAction *remove =
                actionNamed(menu.get(), QStringLiteral("Delete group audit-svc (stop its "
                                                       "consumers first)"));
            QVERIFY(remove && !remove->isEnabled());
        }
        w.consumersPanel()->resetGroupOffsets("audit-svc", QStringLiteral("cg"), ResetTo::Latest);
        auto *problem = waitForDialog<QMessageBox>(&w);
        QVERIFY(problem);
        QVERIFY2(problem->text().contains(QLatin1String("has members")),
                 qPrintable(problem->text()));
        problem->close();
        QTRY_VERIFY(!w.findChild<QMessageBox *>());
        QCOMPARE(f.broker.groups().committed("audit-svc", "cg", 0)->offset, 1);

        // once it has left, the group can be deleted (after a confirmation)
        const auto members = f.broker.groups().group("audit-svc")->members;
        QCOMPARE(members.size(), std::size_t(1));
        QCOMPARE(f.broker.groups().leave("audit-svc", members[0].memberId, Broker::nowMs()), 0);
        w.refresh();
        {
            const auto menu = menuFor("audit-svc");
            QAction *remove = actionNamed(menu.get(), QStringLiteral("Delete group audit-svc…"));
            QVERIFY(remove && remove->isEnabled());
            remove->trigger();
        }
        QVERIFY(answerMessageBox(&w, QStringLiteral("Delete")));
        QTRY_VERIFY(!f.broker.groups().group("audit-svc"));
        QTRY_COMPARE(consumerRow(m, "audit-svc", "cg", 0), -1);

        // a native consumer's position is forgotten
        {
            const auto menu = menuFor("reader");
            QAction *forget =
                actionNamed(menu.get(), QStringLiteral("Forget reader's position in cg[0]"));
            QVERIFY(forget);
            forget->trigger();
        }
        QTRY_COMPARE(consumerRow(m, "reader", "cg", 0), -1);
        QVERIFY(f.broker.topics().find("cg")->partition(0)->consumers().empty());
        w.setRefreshIntervalMs(MainWindow::kDefaultRefreshMs); // saved for the next test
    }

    void chartShowsTheBrokerHistory()
    {
        Fixture f;
        f.broker.createTopic("busy", 1);
        InjectRequest request;
        request.topic = QStringLiteral("busy");
        request.values = {"x"};
        InjectProgress progress;
        // the housekeeping thread samples once a second: wait for two samples with traffic
        QTRY_VERIFY_WITH_TIMEOUT(
            (injectMessages(f.source, request, progress),
             f.window->ratesChart()->latestSampleMs() > 0 && f.broker.rates().total().size() >= 3),
            kTimeoutMs);
        QVERIFY(f.window->topicsPanel()->select(QStringLiteral("busy"), -1));
        QTRY_COMPARE(f.window->ratesChart()->topic(), QStringLiteral("busy"));
        const QImage image = f.window->ratesChart()->grab().toImage();
        QVERIFY(!image.isNull());
    }

    // A narrow chart with a topic's lines keeps its unit above the plot: it dropped the
    // whole title, so bytes per second read exactly like messages per second. A long topic
    // name is cut in the legend instead.
    void chartAlwaysSaysItsUnit()
    {
        RatesChart chart;
        chart.resize(420, 200);
        chart.setTopicRates(QStringLiteral("a-rather-long-topic-name-for-the-orders-service"), {});
        chart.setMetric(RatesChart::Metric::Bytes);
        QVERIFY2(chart.heading().contains(QLatin1String("bytes/s")), qPrintable(chart.heading()));
        QVERIFY(!chart.grab().toImage().isNull());
        chart.setMetric(RatesChart::Metric::Messages);
        QVERIFY2(chart.heading().contains(QLatin1String("messages/s")),
                 qPrintable(chart.heading()));
        chart.resize(1600, 200);
        QCOMPARE(chart.heading(), QStringLiteral("Rates · messages/s"));
    }
};

int main(int argc, char **argv)
{
    // settings go to a directory of the test's own, not the user's
    QTemporaryDir config;
    qputenv("XDG_CONFIG_HOME", config.path().toUtf8());
    QApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("rivulet-uitest"));
    TestMainWindow test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_mainwindow.moc"
