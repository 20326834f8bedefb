// What a person types into the window's dialogs, and what the status bar keeps readable:
// each test drives the widgets with keys and clicks, as issue 11's bugs were found.
#include "createtopicdialog.h"
#include "importdialog.h"
#include "injectdialog.h"
#include "messageinjector.h"
#include "statusline.h"
#include "support/windowfixture.h"
#include "topicsmodel.h"
#include "topicspanel.h"

#include <QAbstractSpinBox>
#include <QApplication>
#include <QComboBox>
#include <QDebug>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableWidget>
#include <QTimer>
#include <QTreeView>

using namespace rivulet;
using namespace rivulet::testing;

namespace {

QPushButton *buttonNamed(QWidget *parent, const QString &text)
{
    for (QPushButton *b : parent->findChildren<QPushButton *>())
        if (b->text().remove(QLatin1Char('&')) == text)
            return b;
    return nullptr;
}

// The label of the status line whose text contains what.
QLabel *statusLabel(MainWindow &w, const QString &what)
{
    for (QLabel *l : w.statusLine()->findChildren<QLabel *>())
        if (l->text().contains(what))
            return l;
    return nullptr;
}

// The label shows all of its text: as wide as it wants and inside the window.
bool wholeInWindow(QWidget *widget, QWidget *window)
{
    if (!widget || !widget->isVisible())
        return false;
    const QRect inWindow(widget->mapTo(window, QPoint(0, 0)), widget->size());
    if (!(widget->width() >= widget->sizeHint().width() && window->rect().contains(inWindow)))
        qWarning() << "cut:" << widget << inWindow << widget->sizeHint() << window->rect();
    return widget->width() >= widget->sizeHint().width() && window->rect().contains(inWindow);
}

} // namespace

class TestWindowInput : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void partitionsOutOfRangeAreRefusedNotChanged()
    {
        Fixture f;
        MainWindow &w = *f.window;
        CreateTopicDialog *create = w.openCreateTopic();
        QTRY_VERIFY(create->isVisible());
        QPushButton *ok = create->buttons()->button(QDialogButtonBox::Ok);
        QTest::keyClicks(create->nameEdit(), "wide");
        QVERIFY(ok->isEnabled());
        QWidget *partitions = create->partitionsEdit();

        // one digit too many: what was typed stays, with the limit named, and Create waits
        typeInto(partitions, QStringLiteral("99999"));
        QCOMPARE(partitions->property("text").toString(), QStringLiteral("99999"));
        QVERIFY(!ok->isEnabled());
        QVERIFY2(create->problemLabel()->text().contains(QLatin1String("10,000")),
                 qPrintable(create->problemLabel()->text()));
        // 0 is refused the same way, also after the field loses focus
        typeInto(partitions, QStringLiteral("0"));
        create->nameEdit()->setFocus();
        QCOMPARE(partitions->property("text").toString(), QStringLiteral("0"));
        QVERIFY(!ok->isEnabled());
        QVERIFY2(create->problemLabel()->text().contains(QLatin1String("at least 1")),
                 qPrintable(create->problemLabel()->text()));
        QTest::mouseClick(ok, Qt::LeftButton);
        QTest::keyClick(create, Qt::Key_Return);
        QVERIFY(!f.broker.topics().find("wide"));

        typeInto(partitions, QStringLiteral("12"));
        QVERIFY(ok->isEnabled());
        QVERIFY(create->problemLabel()->text().isEmpty());
        QSignalSpy created(create, &CreateTopicDialog::topicCreated);
        QTest::mouseClick(ok, Qt::LeftButton);
        QVERIFY(created.wait(kTimeoutMs));
        QCOMPARE(f.broker.topics().find("wide")->partitionCount(), 12);
    }

    void addedHeaderRowsAreEditedAndNeverDropped()
    {
        Fixture f;
        MainWindow &w = *f.window;
        f.broker.createTopic("h", 1);
        w.refresh();
        InjectDialog *inject = w.openInject(QStringLiteral("h"), 0);
        QVERIFY(QTest::qWaitForWindowActive(inject));
        inject->valueEdit()->setPlainText(QStringLiteral("hello"));
        QPushButton *add = buttonNamed(inject, QStringLiteral("Add header"));
        QVERIFY(add);

        // Add header opens the new row's name for typing
        QTest::mouseClick(add, Qt::LeftButton);
        QWidget *editor = QApplication::focusWidget();
        QVERIFY(editor);
        QVERIFY2(inject->headersTable()->isAncestorOf(editor), editor->metaObject()->className());
        QTest::keyClicks(editor, "trace");
        // Tab goes on to the value; Ctrl+Return sends with the value still being typed
        QTest::keyClick(editor, Qt::Key_Tab);
        editor = QApplication::focusWidget();
        QVERIFY(editor && inject->headersTable()->isAncestorOf(editor));
        QTest::keyClicks(editor, "t-1");
        QSignalSpy injected(inject, &InjectDialog::injected);
        QTest::keyClick(editor, Qt::Key_Return, Qt::ControlModifier);
        QVERIFY(injected.wait(kTimeoutMs));
        Partition &p = *f.broker.topics().find("h")->partition(0);
        ReadRequest request;
        request.maxRecords = 10;
        RecordPage page = f.broker.readRecords("h", 0, request);
        QCOMPARE(page.records.size(), 1);
        QCOMPARE(page.records[0].headers.size(), 1);
        QCOMPARE(page.records[0].headers[0].name, QByteArray("trace"));
        QCOMPARE(page.records[0].headers[0].value, QByteArray("t-1"));

        // a row with a value and no name is not sent without it: Send says which row
        QTest::mouseClick(add, Qt::LeftButton);
        editor = QApplication::focusWidget();
        QVERIFY(editor && inject->headersTable()->isAncestorOf(editor));
        QTest::keyClick(editor, Qt::Key_Tab);
        editor = QApplication::focusWidget();
        QTest::keyClicks(editor, "orphan");
        QTest::mouseClick(inject->sendButton(), Qt::LeftButton);
        QTRY_VERIFY2(inject->resultLabel()->text().contains(QLatin1String("row 2")),
                     qPrintable(inject->resultLabel()->text()));
        QVERIFY(!inject->isSending());
        QCOMPARE(p.endOffset(), 1);
    }

    // The topic chosen in Inject messages or Import records is deleted while the dialog is
    // open: nothing is chosen and Send says so. The first topic used to take its place
    // unannounced, and Send wrote the messages there.
    void dialogsNeverWriteToATopicTheUserDidNotChoose()
    {
        Fixture f;
        MainWindow &w = *f.window;
        f.broker.createTopic("a", 1);
        f.broker.createTopic("b", 1);
        w.refresh();
        InjectDialog *inject = w.openInject(QStringLiteral("b"), 0);
        QVERIFY(QTest::qWaitForWindowActive(inject));
        QCOMPARE(inject->topicBox()->currentText(), QStringLiteral("b"));
        ImportDialog *import = w.openImport(QStringLiteral("b"));
        QVERIFY(import);
        QCOMPARE(import->topicBox()->currentText(), QStringLiteral("b"));

        QString error;
        QVERIFY2(f.broker.deleteTopic("b", error), qPrintable(error));
        w.refresh();
        QTRY_COMPARE_WITH_TIMEOUT(inject->topicBox()->findText(QStringLiteral("b")), -1,
                                  kTimeoutMs);
        QCOMPARE(inject->topicBox()->currentText(), QString());
        QVERIFY2(inject->resultLabel()->text().contains(QLatin1String("b was deleted")),
                 qPrintable(inject->resultLabel()->text()));
        QTRY_COMPARE_WITH_TIMEOUT(import->topicBox()->findText(QStringLiteral("b")), -1,
                                  kTimeoutMs);
        QCOMPARE(import->topicBox()->currentText(), QString());
        QVERIFY2(import->resultLabel()->text().contains(QLatin1String("b was deleted")),
                 qPrintable(import->resultLabel()->text()));

        inject->valueEdit()->setPlainText(QStringLiteral("hello"));
        QTest::mouseClick(inject->sendButton(), Qt::LeftButton);
        QVERIFY(!inject->isSending());
        QVERIFY2(inject->resultLabel()->text().contains(QLatin1String("Choose a topic")),
                 qPrintable(inject->resultLabel()->text()));
        QCOMPARE(f.broker.topics().find("a")->partition(0)->endOffset(), std::int64_t(0));
    }

    void statusBarKeepsAddressesAndTotalsReadable()
    {
        Fixture f;
        MainWindow &w = *f.window;
        Server &kafka = f.addKafkaListener();
        const QString kafkaAddress = QStringLiteral("127.0.0.1:%1").arg(kafka.serverPort());
        w.setRefreshIntervalMs(0);
        f.broker.createTopic("busy", 1);
        w.refresh();
        QVERIFY(QTest::qWaitForWindowExposed(&w));

        w.resize(800, 500);
        QTRY_COMPARE(w.width(), 800);
        QLabel *addresses = w.statusLine()->addressLabel();
        QVERIFY(addresses->text().contains(kafkaAddress));
        QLabel *totals = statusLabel(w, QStringLiteral("partition"));
        QVERIFY(totals);
        // (laid out when the event loop runs)
        QTRY_VERIFY(wholeInWindow(addresses, &w) && wholeInWindow(totals, &w));

        // a long passing note does not push them away
        w.statusLine()->showNote(
            QStringLiteral("Deleted topic a-topic-with-a-rather-long-name-for-the-status-bar"));
        QTest::qWait(50);
        QTRY_VERIFY(wholeInWindow(addresses, &w) && wholeInWindow(totals, &w));

        // nor does the smallest size the window allows
        w.resize(200, 200);
        QTRY_VERIFY(w.width() > 200);
        QTRY_VERIFY(wholeInWindow(addresses, &w) && wholeInWindow(totals, &w));

        // a rate of millions fits its column
        w.resize(1000, 600);
        TopicsModel *topics = w.topicsModel();
        const std::int64_t now = Broker::nowMs();
        auto snapshot = [&](std::int64_t ms, std::int64_t count) {
            BrokerSnapshot s;
            s.takenMs = ms;
            PartitionSnapshot p;
            p.stats.endOffset = count;
            p.stats.recordsIn = count;
            p.stats.sizeBytes = count * 100;
            s.topics.push_back({QStringLiteral("busy"), {p}});
            return s;
        };
        // (the first: a second without records after the window's own refresh, so that the
        // rate is measured from it)
        topics->update(snapshot(now + 10'000, 0));
        topics->update(snapshot(now + 11'000, 2'157'600));
        QCOMPARE(cell(topics, 0, TopicsModel::InRate), QStringLiteral("2,157,600"));
        // (sizeHintForColumn: the widest of the shown cells; public in QAbstractItemView)
        QTreeView *tree = w.topicsPanel()->view();
        QAbstractItemView *view = tree;
        QTRY_VERIFY2(tree->columnWidth(TopicsModel::InRate) >=
                         view->sizeHintForColumn(TopicsModel::InRate),
                     qPrintable(QStringLiteral("%1 < %2")
                                    .arg(tree->columnWidth(TopicsModel::InRate))
                                    .arg(view->sizeHintForColumn(TopicsModel::InRate))));
        QVERIFY(tree->columnWidth(TopicsModel::Messages) >=
                view->sizeHintForColumn(TopicsModel::Messages));
        w.setRefreshIntervalMs(MainWindow::kDefaultRefreshMs);
        kafka.stop();
    }

    void resetToOffsetsIsCheckedAsTypedAndPerPartition()
    {
        Fixture f;
        MainWindow &w = *f.window;
        w.setRefreshIntervalMs(0);
        QVERIFY(createFilledTopic(f.broker, QStringLiteral("cg"), {5, 3}));
        QCOMPARE(f.broker.groups().commit("audit", -1, {}, {{"cg", 0, 2, {}}, {"cg", 1, 1, {}}},
                                          Broker::nowMs()),
                 0);
        w.refresh();
        const QAbstractItemModel *m = w.consumersView()->model();
        const int row = consumerRow(m, "audit", "cg", 0);
        QVERIFY(row >= 0);
        {
            const std::unique_ptr<QMenu> menu(w.consumersPanel()->consumerMenu(m->index(row, 0)));
            QAction *toOffset = nullptr;
            for (QAction *a : menu->actions())
                if (a->menu())
                    for (QAction *sub : a->menu()->actions())
                        if (sub->text().startsWith(QLatin1String("To a time, a shift or offsets")))
                            toOffset = sub;
            QVERIFY(toOffset);
            toOffset->trigger();
        }
        QDialog *dialog = nullptr;
        QTRY_VERIFY((dialog = w.findChild<QDialog *>()) && dialog->isVisible());
        QVERIFY(QTest::qWaitForWindowActive(dialog));

        // letters never get in
        QLineEdit *all = dialog->findChild<QLineEdit *>(QStringLiteral("all"));
        QVERIFY(all);
        typeInto(all, QStringLiteral("abc"));
        QVERIFY2(all->text().isEmpty(), qPrintable(all->text()));

        // one offset per partition, checked against what each holds as it is typed
        auto *p0 = dialog->findChild<QLineEdit *>(QStringLiteral("offset-0"));
        auto *p1 = dialog->findChild<QLineEdit *>(QStringLiteral("offset-1"));
        QVERIFY(p0 && p1);
        QPushButton *reset = buttonNamed(dialog, QStringLiteral("Reset"));
        QVERIFY(reset);
        typeInto(p0, QStringLiteral("4"));
        typeInto(p1, QStringLiteral("9"));
        QVERIFY(!reset->isEnabled());
        auto *problem = dialog->findChild<QLabel *>(QStringLiteral("problem"));
        QVERIFY(problem);
        QVERIFY2(problem->text().contains(QLatin1String("partition 1"), Qt::CaseInsensitive) &&
                     problem->text().contains(QLatin1String("3")),
                 qPrintable(problem->text()));
        typeInto(p1, QStringLiteral("0"));
        QVERIFY(reset->isEnabled());
        QTest::mouseClick(reset, Qt::LeftButton);
        QTRY_VERIFY(!w.findChild<QDialog *>());
        QCOMPARE(f.broker.groups().committed("audit", "cg", 0)->offset, 4);
        QCOMPARE(f.broker.groups().committed("audit", "cg", 1)->offset, 0);
        w.setRefreshIntervalMs(MainWindow::kDefaultRefreshMs);
    }

    void listensOnOtherPortsForBothProtocols()
    {
        Fixture f;
        MainWindow &w = *f.window;
        Server &kafka = f.addKafkaListener();

        // the dialog asks for both ports, under a title it is wide enough to show
        QPointer<QDialog> dialog;
        int portFields = 0;
        bool titleFits = false;
        QTimer::singleShot(200, &w, [&] {
            for (QDialog *d : w.findChildren<QDialog *>())
                if (d->isVisible())
                    dialog = d;
            if (!dialog)
                return;
            portFields = int(dialog->findChildren<QAbstractSpinBox *>().size());
            // room for the title, an icon and three title bar buttons
            titleFits = dialog->width() >=
                        dialog->fontMetrics().horizontalAdvance(dialog->windowTitle()) + 150;
            if (dialog->inherits("QInputDialog"))
                dialog->reject(); // the old one-port dialog: blocking, so closed here
        });
        Q_EMIT w.statusLine()->pickPortRequested();
        QTRY_VERIFY(dialog);
        QCOMPARE(portFields, 2);
        QVERIFY(titleFits);

        auto *kafkaPort = dialog->findChild<QAbstractSpinBox *>(QStringLiteral("kafkaPort"));
        QVERIFY(kafkaPort);
        const quint16 before = kafka.serverPort();
        typeInto(kafkaPort, QStringLiteral("0")); // 0: any free port
        QPushButton *listen = buttonNamed(dialog, QStringLiteral("Listen"));
        QVERIFY(listen);
        QTest::mouseClick(listen, Qt::LeftButton);
        QTRY_VERIFY(!dialog || !dialog->isVisible());
        QVERIFY(kafka.isListening());
        QVERIFY(kafka.serverPort() != before);
        QVERIFY2(w.statusLine()->addressLabel()->text().contains(
                     QStringLiteral("127.0.0.1:%1").arg(kafka.serverPort())),
                 qPrintable(w.statusLine()->addressLabel()->text()));
        // a port in use is refused and named in the status bar
        QTcpServer squatter;
        QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
        QVERIFY(!w.listenOn(Server::Protocol::Kafka, squatter.serverPort()));
        QVERIFY(w.statusLine()->problemLabel()->isVisibleTo(&w));
        QVERIFY(w.statusLine()->problemLabel()->text().contains(
            QString::number(squatter.serverPort())));
        QVERIFY(w.listenOn(Server::Protocol::Kafka, 0));
        QVERIFY(kafka.isListening());
        kafka.stop();
    }
};

int main(int argc, char **argv)
{
    // settings go to a directory of the test's own, not the user's
    QTemporaryDir config;
    qputenv("XDG_CONFIG_HOME", config.path().toUtf8());
    QApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("rivulet-uitest"));
    TestWindowInput test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_windowinput.moc"
