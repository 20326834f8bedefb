// The message browser's Kafka UI parity (issue 11): all partitions merged by timestamp, seek
// by time, header and regular-expression filters, and Re-publish. Each is driven through
// the browser's own widgets and checked on what the model shows.
#include "broker.h"
#include "brokersource.h"
#include "injectdialog.h"
#include "log/recordbatch.h"
#include "messagebrowser.h"
#include "messagesmodel.h"
#include "recorddetailpane.h"
#include "recordreader.h"
#include "support/windowfixture.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QTest>
#include <QTimer>
#include <QToolButton>

using namespace rivulet;
using namespace rivulet::testing;

namespace {

constexpr std::int64_t kBase = 1'700'000'000'000;

struct Header
{
    QByteArray name;
    QByteArray value;
};

// One record with its own timestamp, through the broker's produce path.
bool produceAt(Broker &broker, const QByteArray &topic, int partition, std::int64_t timestamp,
               const QByteArray &value, std::optional<QByteArray> key = std::nullopt,
               const QList<Header> &headers = {})
{
    RecordBatchBuilder builder(timestamp, 1);
    std::vector<HeaderView> views;
    for (const Header &h : headers)
        views.push_back({h.name, h.value});
    builder.append(key ? std::optional<QByteArrayView>(*key) : std::nullopt, value, views);
    return broker.produce(topic, partition, builder.finish()).error == ProduceError::None;
}

// (partition, offset) of every row, in order.
QList<QPair<int, qint64>> rows(const MessagesModel *model)
{
    QList<QPair<int, qint64>> out;
    for (int row = 0; row < model->rowCount(); ++row)
        out.append({model->record(row)->partition, model->record(row)->offset});
    return out;
}

void chooseStart(MessageBrowser &browser, MessagesModel::Start start)
{
    browser.startBox()->setCurrentIndex(browser.startBox()->findData(int(start)));
}

bool settled(const MessagesModel *model)
{
    QTest::qWait(0);
    return !model->isReading();
}

} // namespace

class TestMessageBrowserParity : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void mergesAllPartitionsByTimestamp()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("m", 3);
        // p0: 1000 4000 7000; p1: 2000 4000 8000; p2: 3000 5000 6000 (ms after kBase)
        const QList<QList<int>> times = {
            {1000, 4000, 7000}, {2000, 4000, 8000}, {3000, 5000, 6000}};
        for (int p = 0; p < 3; ++p)
            for (int t : times[p])
                QVERIFY(produceAt(broker, "m", p, kBase + t, "v" + QByteArray::number(t)));

        MessageBrowser browser(source);
        browser.resize(1000, 700);
        browser.setTopics({QStringLiteral("m")});
        browser.show();
        QVERIFY(QTest::qWaitForWindowExposed(&browser));
        MessagesModel *model = browser.model();
        chooseStart(browser, MessagesModel::Start::Oldest);
        QTRY_VERIFY(settled(model));
        QCOMPARE(model->partition(), 0);
        QVERIFY(browser.view()->isColumnHidden(MessagesModel::Partition));

        // one step down from partition 0 is All partitions
        QTest::keyClick(browser.partitionBox(), Qt::Key_Down);
        QCOMPARE(browser.partitionBox()->text(), QStringLiteral("All partitions"));
        QTRY_VERIFY(model->isMerged() && settled(model) && model->rowCount() == 9);
        // by timestamp; the tie at 4000 goes to the lower partition
        const QList<QPair<int, qint64>> merged = {{0, 0}, {1, 0}, {2, 0}, {0, 1}, {1, 1},
                                                  {2, 1}, {2, 2}, {0, 2}, {1, 2}};
        QCOMPARE(rows(model), merged);
        QVERIFY(!browser.view()->isColumnHidden(MessagesModel::Partition));
        QCOMPARE(model->data(model->index(2, MessagesModel::Partition)).toString(),
                 QStringLiteral("2"));
        QVERIFY2(browser.statusLabel()->text().contains(QLatin1String("3 partitions")),
                 qPrintable(browser.statusLabel()->text()));

        // From offset: that offset in each partition
        chooseStart(browser, MessagesModel::Start::AtOffset);
        QTest::keyClicks(browser.offsetEdit(), "2");
        QTest::keyClick(browser.offsetEdit(), Qt::Key_Return);
        QTRY_VERIFY(settled(model) && model->rowCount() == 3);
        QCOMPARE(rows(model), (QList<QPair<int, qint64>>{{2, 2}, {0, 2}, {1, 2}}));

        // live tail over the merge: what any partition appends comes in at the bottom
        QTest::mouseClick(browser.liveTailButton(), Qt::LeftButton);
        QVERIFY(produceAt(broker, "m", 1, kBase + 9000, "late"));
        browser.poll();
        QTRY_VERIFY(model->rowCount() == 4 && settled(model));
        QCOMPARE(rows(model).last(), (QPair<int, qint64>{1, 3}));
        QTest::mouseClick(browser.liveTailButton(), Qt::LeftButton);
    }

    // Newest over all partitions: the kPageSize newest records of the topic by timestamp,
    // oldest first, with the newest in view at the bottom.
    void newestOverAllPartitionsIsTheNewestOverall()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("n", 3);
        // partition p gets record k at kBase + 3k + p; partition 2 stops early (100 records)
        const int counts[3] = {150, 150, 100};
        for (int p = 0; p < 3; ++p)
            for (int k = 0; k < counts[p]; ++k)
                QVERIFY(produceAt(broker, "n", p, kBase + 3 * k + p, "x"));

        MessageBrowser browser(source);
        browser.resize(1000, 700);
        browser.setTopics({QStringLiteral("n")});
        browser.show();
        QVERIFY(QTest::qWaitForWindowExposed(&browser));
        MessagesModel *model = browser.model();
        QCOMPARE(model->start(), MessagesModel::Start::Newest);
        browser.partitionBox()->setValue(MessagesModel::kAllPartitions);
        QTRY_VERIFY(model->isMerged() && settled(model) &&
                    model->rowCount() == MessagesModel::kPageSize);
        // the 200 newest of 400: from the top down p1@149, p0@149, p1@148, p0@148 … and,
        // below k = 100, where partition 2 still wrote, three a step
        const QList<QPair<int, qint64>> all = rows(model);
        QCOMPARE(all.last(), (QPair<int, qint64>{1, 149}));
        QCOMPARE(all[all.size() - 2], (QPair<int, qint64>{0, 149}));
        for (int row = 1; row < model->rowCount(); ++row)
            QVERIFY(!RecordReader::before(*model->record(row), *model->record(row - 1)));
        std::int64_t oldestShown = model->record(0)->timestamp;
        for (int p = 0; p < 3; ++p)
            for (int k = 0; k < counts[p]; ++k) {
                const std::int64_t t = kBase + 3 * k + p;
                // every record newer than the oldest shown is shown
                if (t > oldestShown)
                    QVERIFY2(all.contains(QPair<int, qint64>{p, k}),
                             qPrintable(QStringLiteral("%1@%2").arg(p).arg(k)));
            }
        QScrollBar *bar = browser.view()->verticalScrollBar();
        QTRY_VERIFY(bar->maximum() > 0 && bar->value() == bar->maximum());
        QVERIFY(!model->canFetchMore({}));
    }

    void seeksEachPartitionToATime()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("s", 2);
        // p0 at kBase + 1000k, p1 at kBase + 1000k + 500, k = 0..9
        for (int k = 0; k < 10; ++k) {
            QVERIFY(produceAt(broker, "s", 0, kBase + 1000 * k, "a"));
            QVERIFY(produceAt(broker, "s", 1, kBase + 1000 * k + 500, "b"));
        }
        MessageBrowser browser(source);
        browser.setTopics({QStringLiteral("s")});
        browser.show();
        QVERIFY(QTest::qWaitForWindowExposed(&browser));
        MessagesModel *model = browser.model();
        QVERIFY(!browser.timeEdit()->isVisible());
        chooseStart(browser, MessagesModel::Start::AtTime);
        QVERIFY(browser.timeEdit()->isVisible());

        // shown in local time, UTC in the tooltip
        // typed as digits, as a person would right after choosing From time
        const QDateTime at = QDateTime::fromMSecsSinceEpoch(kBase + 5000);
        QTest::keyClicks(browser.timeEdit(), at.toString(QStringLiteral("yyyyMMddHHmmss")));
        QCOMPARE(browser.timeEdit()->dateTime(), at);
        QCOMPARE(browser.timeEdit()->dateTime().timeSpec(), Qt::LocalTime);
        QVERIFY2(browser.timeEdit()->toolTip().contains(
                     at.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) +
                     QStringLiteral(" UTC")),
                 qPrintable(browser.timeEdit()->toolTip()));
        QTest::keyClick(browser.timeEdit(), Qt::Key_Return);
        // partition 0: from offset 5 (kBase + 5000 itself)
        QTRY_VERIFY(settled(model) && model->rowCount() == 5);
        QCOMPARE(model->record(0)->offset, 5);
        QCOMPARE(model->record(0)->timestamp, kBase + 5000);

        // all partitions: p0 from 5, p1 from 5 (kBase + 5500), merged
        browser.partitionBox()->setValue(MessagesModel::kAllPartitions);
        QTRY_VERIFY(model->isMerged() && settled(model) && model->rowCount() == 10);
        QCOMPARE(rows(model).first(4), (QList<QPair<int, qint64>>{{0, 5}, {1, 5}, {0, 6}, {1, 6}}));

        // a time after every record: nothing, and no error
        browser.timeEdit()->setDateTime(QDateTime::fromMSecsSinceEpoch(kBase + 60'000));
        QTest::keyClick(browser.timeEdit(), Qt::Key_Return);
        QTRY_VERIFY(settled(model) && model->rowCount() == 0);
        QVERIFY(browser.statusLabel()->text().contains(QLatin1String("no messages")));
    }

    void filtersByHeaderAndRegularExpression()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("f", 1);
        for (int i = 0; i < 30; ++i)
            QVERIFY(produceAt(
                broker, "f", 0, kBase + i, "value-" + QByteArray::number(i),
                "key-" + QByteArray::number(i),
                {{"kind", i % 3 == 0 ? "fizz" : "plain"}, {"trace", "T" + QByteArray::number(i)}}));
        MessageBrowser browser(source);
        browser.setTopics({QStringLiteral("f")});
        browser.show();
        QVERIFY(QTest::qWaitForWindowExposed(&browser));
        MessagesModel *model = browser.model();
        chooseStart(browser, MessagesModel::Start::Oldest);
        QTRY_VERIFY(settled(model) && model->rowCount() == 30);

        // a header by name and value
        QTest::keyClicks(browser.headerFilterEdit(), "kind=fizz");
        QTest::keyClick(browser.headerFilterEdit(), Qt::Key_Return);
        QTRY_VERIFY(settled(model) && model->rowCount() == 10);
        for (int row = 0; row < 10; ++row)
            QCOMPARE(model->record(row)->offset, 3 * row);
        // by name only: every record has "trace", none has "TRACE"
        browser.headerFilterEdit()->clear();
        QTest::keyClicks(browser.headerFilterEdit(), "trace");
        QTest::keyClick(browser.headerFilterEdit(), Qt::Key_Return);
        QTRY_VERIFY(settled(model) && model->rowCount() == 30);
        browser.headerFilterEdit()->clear();
        QTest::keyClicks(browser.headerFilterEdit(), "TRACE");
        QTest::keyClick(browser.headerFilterEdit(), Qt::Key_Return);
        QTRY_VERIFY(settled(model) && model->rowCount() == 0);
        browser.headerFilterEdit()->clear();
        QTest::keyClick(browser.headerFilterEdit(), Qt::Key_Return);
        QTRY_VERIFY(settled(model) && model->rowCount() == 30);

        // the text filter also looks into header values (ignoring case)
        QTest::keyClicks(browser.filterEdit(), "t2");
        QTest::keyClick(browser.filterEdit(), Qt::Key_Return);
        // T2, T20..T29 (no key or value holds "t2")
        QTRY_VERIFY(settled(model) && model->rowCount() == 11);

        // a regular expression, case-sensitive
        browser.filterEdit()->clear();
        QTest::mouseClick(browser.regexButton(), Qt::LeftButton);
        QVERIFY(browser.regexButton()->isChecked());
        QTest::keyClicks(browser.filterEdit(), "^value-1[0-9]$");
        QTest::keyClick(browser.filterEdit(), Qt::Key_Return);
        QTRY_VERIFY(settled(model) && model->rowCount() == 10);
        QCOMPARE(model->record(0)->offset, 10);
        QCOMPARE(model->record(9)->offset, 19);
        // combined with the header filter
        QTest::keyClicks(browser.headerFilterEdit(), "kind=fizz");
        QTest::keyClick(browser.headerFilterEdit(), Qt::Key_Return);
        QTRY_VERIFY(settled(model) && model->rowCount() == 3); // 12, 15, 18
        QCOMPARE(rows(model), (QList<QPair<int, qint64>>{{0, 12}, {0, 15}, {0, 18}}));
        browser.headerFilterEdit()->clear();
        QTest::keyClick(browser.headerFilterEdit(), Qt::Key_Return);

        // an invalid one is an error in the window, not "no matches"
        browser.filterEdit()->clear();
        QTest::keyClicks(browser.filterEdit(), "value-(1");
        QTest::keyClick(browser.filterEdit(), Qt::Key_Return);
        QTRY_VERIFY(!model->filterProblem().isEmpty());
        QCOMPARE(model->rowCount(), 0);
        QVERIFY(!model->isReading());
        const QString status = browser.statusLabel()->text();
        QVERIFY2(status.contains(QLatin1String("invalid regular expression")), qPrintable(status));
        QVERIFY(!status.contains(QLatin1String("no matches")));
        QVERIFY(browser.filterEdit()->toolTip().contains(QLatin1String("regular expression")));
        // fixed: the matches come back
        QTest::keyClick(browser.filterEdit(), Qt::Key_End);
        QTest::keyClicks(browser.filterEdit(), ")");
        QTest::keyClick(browser.filterEdit(), Qt::Key_Return);
        QTRY_VERIFY(model->filterProblem().isEmpty() && settled(model) &&
                    model->rowCount() == 11); // value-1, value-10..19
        QVERIFY(browser.filterEdit()->toolTip().isEmpty());
    }

    // The row's context menu offers Re-publish… for that row's record.
    void contextMenuRepublishesTheRowClicked()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("c", 2);
        QVERIFY(produceAt(broker, "c", 0, kBase + 1, "first"));
        QVERIFY(produceAt(broker, "c", 1, kBase + 2, "second", QByteArray("k")));
        MessageBrowser browser(source);
        browser.resize(900, 600);
        browser.setTopics({QStringLiteral("c")});
        browser.show();
        QVERIFY(QTest::qWaitForWindowExposed(&browser));
        browser.partitionBox()->setValue(MessagesModel::kAllPartitions);
        MessagesModel *model = browser.model();
        QTRY_VERIFY(model->isMerged() && settled(model) && model->rowCount() == 2);

        QSignalSpy republish(&browser, &MessageBrowser::republishRequested);
        bool chosen = false;
        // the menu runs its own loop: choose from it once it is up
        QTimer::singleShot(0, &browser, [&] {
            QTRY_VERIFY(qobject_cast<QMenu *>(QApplication::activePopupWidget()));
            auto *menu = qobject_cast<QMenu *>(QApplication::activePopupWidget());
            for (QAction *action : menu->actions())
                if (action->text() == QStringLiteral("Re-publish…")) {
                    chosen = true;
                    menu->hide();
                    action->trigger();
                }
        });
        QTableView *view = browser.view();
        const QPoint second = view->visualRect(model->index(1, MessagesModel::Value)).center();
        Q_EMIT view->customContextMenuRequested(second);
        QVERIFY(chosen);
        QCOMPARE(republish.size(), 1);
        QCOMPARE(republish.first().at(0).toString(), QStringLiteral("c"));
        QCOMPARE(view->currentIndex().row(), 1);
    }

    // Re-publish from the detail pane: the inject dialog opens with the record, is edited and
    // sends to another topic; bytes that are not UTF-8, a null header value and "{i}" go out
    // as they were.
    void republishesARecordThroughTheInjectDialog()
    {
        Fixture f;
        MainWindow &w = *f.window;
        f.broker.createTopic("orders", 2);
        f.broker.createTopic("copy", 3);
        RecordBatchBuilder builder(kBase, 1);
        const QByteArray value("raw \xff\xfe {i}", 11);
        const HeaderView headers[] = {{"trace", "t-1"}, {"gone", {}, false}};
        builder.append(QByteArrayView("k-7"), value, headers);
        QVERIFY(f.broker.produce("orders", 1, builder.finish()).error == ProduceError::None);
        w.refresh();

        MessageBrowser *browser = w.messageBrowser();
        w.tabs()->setCurrentWidget(browser);
        browser->showPartition(QStringLiteral("orders"), 1);
        MessagesModel *model = browser->model();
        QTRY_VERIFY(settled(model) && model->rowCount() == 1);
        QVERIFY(!browser->detail()->republishButton()->isEnabled());
        browser->view()->setCurrentIndex(model->index(0, MessagesModel::Value));
        QVERIFY(browser->detail()->republishButton()->isEnabled());
        QTest::mouseClick(browser->detail()->republishButton(), Qt::LeftButton);

        auto *inject = waitForDialog<InjectDialog>(&w);
        QVERIFY(inject);
        QTRY_VERIFY(inject->isVisible());
        QCOMPARE(inject->topicBox()->currentText(), QStringLiteral("orders"));
        QCOMPARE(inject->partitionBox()->currentText(), QStringLiteral("1"));
        QVERIFY(inject->keyCheck()->isChecked());
        QCOMPARE(inject->keyEdit()->text(), QStringLiteral("k-7"));
        QVERIFY(inject->valueEdit()->toPlainText().startsWith(QLatin1String("raw ")));
        QCOMPARE(inject->headersTable()->rowCount(), 2);
        QCOMPARE(inject->headersTable()->item(0, 0)->text(), QStringLiteral("trace"));
        QCOMPARE(inject->headersTable()->item(0, 1)->text(), QStringLiteral("t-1"));
        QCOMPARE(inject->repeatEdit()->value(), 1);
        QVERIFY(!inject->placeholdersCheck()->isChecked());

        // to another topic, any partition there; the key edited
        inject->topicBox()->setCurrentIndex(inject->topicBox()->findText(QStringLiteral("copy")));
        inject->partitionBox()->setCurrentIndex(
            inject->partitionBox()->findText(QStringLiteral("2")));
        inject->keyEdit()->selectAll();
        QTest::keyClicks(inject->keyEdit(), "k-8");
        QSignalSpy injected(inject, &InjectDialog::injected);
        QTest::mouseClick(inject->sendButton(), Qt::LeftButton);
        QVERIFY(injected.wait(kTimeoutMs));
        QVERIFY2(injected.first().at(0).value<InjectResult>().error.isEmpty(),
                 qPrintable(injected.first().at(0).value<InjectResult>().error));

        const RecordPage page = f.broker.readRecords("copy", 2, {});
        QCOMPARE(page.records.size(), 1);
        const DecodedRecord &r = page.records[0];
        QCOMPARE(r.key, QByteArray("k-8"));
        QCOMPARE(r.value, value); // the bytes as they were, "{i}" included
        QCOMPARE(r.headers.size(), 2);
        QCOMPARE(r.headers[0].name, QByteArray("trace"));
        QCOMPARE(r.headers[0].value, QByteArray("t-1"));
        QCOMPARE(r.headers[1].name, QByteArray("gone"));
        QVERIFY(!r.headers[1].hasValue);
        QCOMPARE(f.broker.readRecords("orders", 1, {}).records.size(), 1); // nothing added there
    }
};

QTEST_MAIN(TestMessageBrowserParity)
#include "tst_messagebrowserparity.moc"
