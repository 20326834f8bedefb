#include "broker.h"
#include "brokersource.h"
#include "log/bytes.h"
#include "log/partition.h"
#include "log/recordbatch.h"
#include "log/topic.h"
#include "messagebrowser.h"
#include "messageinjector.h"
#include "messagesmodel.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryFile>
#include <QTest>
#include <QThreadPool>
#include <QToolButton>

using namespace rivulet;

namespace {

constexpr int kTimeoutMs = 30000;

// Appends count records "value-N" (key "key-N" and one header when keyed) to a partition.
void produce(Partition &p, int count, bool keyed = false, const QByteArray &prefix = "value-")
{
    const std::int64_t base = p.endOffset();
    RecordBatchBuilder builder(1'700'000'000'000 + base, count);
    for (int i = 0; i < count; ++i) {
        const QByteArray value = prefix + QByteArray::number(base + i);
        const QByteArray key = "key-" + QByteArray::number(base + i);
        const HeaderView header{"source", "test"};
        if (keyed)
            builder.append(QByteArrayView(key), value, {&header, 1});
        else
            builder.append(value);
    }
    QByteArray batch = builder.finish();
    QVERIFY(p.append(batch, 1'700'000'000'000).ok);
}

Partition &partitionOf(Broker &broker, const char *topic, int partition)
{
    return *broker.topics().find(topic)->partition(partition);
}

} // namespace

class TestMessageBrowser : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void readsPagesWithKeysAndHeaders()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("t", 1);
        Partition &p = partitionOf(broker, "t", 0);
        produce(p, 10, true);
        produce(p, 500);

        ReadRequest request;
        request.fromOffset = 5;
        request.maxRecords = 3;
        RecordPage page = broker.readRecords("t", 0, request);
        QCOMPARE(page.records.size(), 3);
        QCOMPARE(page.records[0].offset, 5);
        QCOMPARE(page.records[0].key, QByteArray("key-5"));
        QVERIFY(page.records[0].hasKey);
        QCOMPARE(page.records[0].value, QByteArray("value-5"));
        QCOMPARE(page.records[0].headers.size(), 1);
        QCOMPARE(page.records[0].headers[0].name, QByteArray("source"));
        QCOMPARE(page.records[0].headers[0].value, QByteArray("test"));
        QCOMPARE(page.nextOffset, 8);
        QCOMPARE(page.endOffset, 510);

        request.fromOffset = 400;
        request.maxRecords = 1000;
        page = broker.readRecords("t", 0, request);
        QCOMPARE(page.records.size(), 110);
        QVERIFY(!page.records.last().hasKey);
        QCOMPARE(page.nextOffset, 510);

        request.fromOffset = 0;
        request.filter.text = QStringLiteral("VALUE-49");
        page = broker.readRecords("t", 0, request);
        // value-49 and value-490..499, matched ignoring case
        QCOMPARE(page.records.size(), 11);
        QCOMPARE(page.records[0].offset, 49);
        QCOMPARE(page.scanned, 510);
        request.filter.text = QStringLiteral("KEY-7");
        page = broker.readRecords("t", 0, request);
        QCOMPARE(page.records.size(), 1);
        QCOMPARE(page.records[0].offset, 7);
    }

    void stepsOverBatchesItCannotDecode()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("t", 1);
        Partition &p = partitionOf(broker, "t", 0);
        produce(p, 3);
        // a batch flagged as gzip-compressed (as a Kafka producer may send): the browser
        // cannot decode it and must show the records after it
        RecordBatchBuilder builder(1'700'000'000'000, 2);
        builder.append("x");
        builder.append("y");
        QByteArray batch = builder.finish();
        be::writeU16(batch.data() + batch::kAttributes, 1);
        be::writeU32(batch.data() + batch::kCrc, RecordBatchView(batch).computeCrc());
        QVERIFY(p.append(batch, 0).ok);
        produce(p, 2);

        ReadRequest request;
        request.maxRecords = 100;
        const RecordPage page = broker.readRecords("t", 0, request);
        QCOMPARE(page.records.size(), 5);
        QCOMPARE(page.records[2].offset, 2);
        QCOMPARE(page.records[3].offset, 5);
        QVERIFY2(page.note.contains(QStringLiteral("3–4")) ||
                     page.note.contains(QStringLiteral("3-4")),
                 qPrintable(page.note));
        QCOMPARE(page.nextOffset, 7);

        // the same at the end of the log, where no record follows
        QByteArray tail = batch;
        QVERIFY(p.append(tail, 0).ok);
        request.fromOffset = 7;
        const RecordPage end = broker.readRecords("t", 0, request);
        QCOMPARE(end.records.size(), 0);
        QVERIFY2(end.note.contains(QStringLiteral("7–8")) ||
                     end.note.contains(QStringLiteral("7-8")),
                 qPrintable(end.note));
        QCOMPARE(end.nextOffset, 9);
    }

    void modelPagesAsTheViewScrolls()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("t", 2);
        Partition &p = partitionOf(broker, "t", 1);
        produce(p, 1000, true);

        // no model tester here: it calls fetchMore() itself, and this test counts pages
        MessagesModel model(source);
        model.browse(QStringLiteral("t"), 1, MessagesModel::Start::Oldest);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), MessagesModel::kPageSize, kTimeoutMs);
        QTRY_VERIFY(!model.isReading());
        QCOMPARE(model.data(model.index(0, MessagesModel::Offset)).toString(), QStringLiteral("0"));
        QCOMPARE(model.data(model.index(3, MessagesModel::Key)).toString(),
                 QStringLiteral("key-3"));
        QCOMPARE(model.data(model.index(3, MessagesModel::Value)).toString(),
                 QStringLiteral("value-3"));
        QCOMPARE(model.data(model.index(3, MessagesModel::Headers)).toString(),
                 QStringLiteral("1"));
        QVERIFY(model.canFetchMore({}));
        model.fetchMore({});
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 2 * MessagesModel::kPageSize, kTimeoutMs);
        QCOMPARE(model.record(399)->offset, 399);
        QCOMPARE(model.rowOf(1, 250), 250);

        model.browse(QStringLiteral("t"), 1, MessagesModel::Start::Newest);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), MessagesModel::kPageSize, kTimeoutMs);
        QCOMPARE(model.record(0)->offset, 800);
        QTRY_VERIFY(!model.isReading());
        QVERIFY(!model.canFetchMore({}));

        model.browse(QStringLiteral("t"), 1, MessagesModel::Start::AtOffset, 990);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 10, kTimeoutMs);
        QCOMPARE(model.record(0)->offset, 990);

        // a new producer append shows up in live tail
        model.setLiveTail(true);
        produce(p, 5, false, "late-");
        model.poll();
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 15, kTimeoutMs);
        QCOMPARE(model.record(14)->value, QByteArray("late-1004"));
        model.setLiveTail(false);

        model.setFilter(QStringLiteral("late-100"));
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 5, kTimeoutMs);
        model.browse(QStringLiteral("t"), 1, MessagesModel::Start::Oldest);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 5, kTimeoutMs);
        QCOMPARE(model.filter().text, QStringLiteral("late-100"));
        model.setFilter(QString());
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), MessagesModel::kPageSize, kTimeoutMs);

        model.browse(QString(), 0, MessagesModel::Start::Oldest);
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(!model.canFetchMore({}));
    }

    void modelPassesTheModelTester()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("t", 1);
        Partition &p = partitionOf(broker, "t", 0);
        produce(p, 450, true);
        MessagesModel model(source);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.browse(QStringLiteral("t"), 0, MessagesModel::Start::Oldest);
        // the tester fetches more by itself: every page arrives
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 450, kTimeoutMs);
        model.setLiveTail(true);
        produce(p, 30);
        model.poll();
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 480, kTimeoutMs);
        model.setFilter(QStringLiteral("value-47"));
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 11, kTimeoutMs);
        model.browse(QStringLiteral("t"), 0, MessagesModel::Start::Newest);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 11, kTimeoutMs);
        model.browse(QString(), 0, MessagesModel::Start::Newest);
        QCOMPARE(model.rowCount(), 0);
    }

    void filteredReadsCarryOnUntilThePageIsFull()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("t", 1);
        Partition &p = partitionOf(broker, "t", 0);
        for (int i = 0; i < 20; ++i)
            produce(p, 5000, false, i % 5 == 4 ? "needle-" : "hay-");
        MessagesModel model(source);
        model.setFilter(QStringLiteral("NEEDLE"));
        model.browse(QStringLiteral("t"), 0, MessagesModel::Start::Oldest);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), MessagesModel::kPageSize, kTimeoutMs);
        QCOMPARE(model.record(0)->offset, 20000);
        QTRY_VERIFY(!model.isReading());
        QVERIFY(model.canFetchMore({}));
    }

    void injectsRoundRobinWithPlaceholders()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("orders", 4);
        InjectRequest request;
        request.topic = QStringLiteral("orders");
        request.key = QByteArray("k{i}");
        request.values = {"order {i} {x}"};
        request.headers = {{"trace", "t-{i}"}};
        request.repeat = 10;
        request.firstPartition = 2;
        InjectProgress progress;
        const InjectResult result = injectMessages(source, request, progress);
        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        QCOMPARE(result.written, 10);
        QCOMPARE(progress.written.load(), 10);
        QCOMPARE(result.ranges.size(), 4);
        QCOMPARE(result.nextPartition, 0);
        // message i went to partition (2 + i) % 4
        Partition &p2 = partitionOf(broker, "orders", 2);
        QCOMPARE(p2.endOffset(), 3);
        const RecordPage page = broker.readRecords("orders", 2, {});
        QCOMPARE(page.records[1].value, QByteArray("order 4 {x}"));
        QCOMPARE(page.records[1].key, QByteArray("k4"));
        QCOMPARE(page.records[1].headers[0].value, QByteArray("t-4"));
        QCOMPARE(partitionOf(broker, "orders", 1).endOffset(), 2);

        request.partition = 3;
        request.key.reset();
        request.headers.clear();
        request.repeat = 2500;
        const InjectResult fixed = injectMessages(source, request, progress);
        QCOMPARE(fixed.written, 2500);
        QCOMPARE(fixed.ranges.size(), 1);
        QCOMPARE(fixed.ranges[0].partition, 3);
        QCOMPARE(fixed.ranges[0].first, 3); // after messages 1, 5 and 9 of the round-robin
        QCOMPARE(fixed.ranges[0].last, 2502);
        ReadRequest one;
        one.fromOffset = 2502;
        one.maxRecords = 1;
        const RecordPage last = broker.readRecords("orders", 3, one);
        QVERIFY(!last.records[0].hasKey);
        QCOMPARE(last.records[0].value, QByteArray("order 2499 {x}"));
    }

    void injectsLinesOfAFileAndReportsProblems()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("t", 1);
        QTemporaryFile file;
        QVERIFY(file.open());
        file.write("first\r\nsecond\n\nthird {i}\n");
        file.close();
        InjectRequest request;
        request.topic = QStringLiteral("t");
        request.valuesFile = file.fileName();
        request.repeat = 2;
        InjectProgress progress;
        InjectResult result = injectMessages(source, request, progress);
        QCOMPARE(result.written, 6);
        const RecordPage page = broker.readRecords("t", 0, {});
        QCOMPARE(page.records[1].value, QByteArray("second"));
        QCOMPARE(page.records[5].value, QByteArray("third 5"));

        request.topic = QStringLiteral("missing");
        result = injectMessages(source, request, progress);
        QVERIFY(result.error.contains(QLatin1String("does not exist")));
        request.topic = QStringLiteral("t");
        request.partition = 3;
        result = injectMessages(source, request, progress);
        QVERIFY(result.error.contains(QLatin1String("no partition 3")));
        request.partition = 0;
        request.valuesFile = QStringLiteral("/nonexistent/values.txt");
        result = injectMessages(source, request, progress);
        QVERIFY(result.error.startsWith(QLatin1String("cannot read")));
        QCOMPARE(result.written, 0);
    }

    // Newest means the newest records when the browser is shown again, when the first
    // records arrive and on Go, with the newest one in view at the bottom.
    void newestShowsTheNewestRecords()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("t", 1);
        Partition &p = partitionOf(broker, "t", 0);
        MessageBrowser browser(source);
        browser.resize(900, 600);
        browser.setTopics({QStringLiteral("t")});
        browser.show();
        QVERIFY(QTest::qWaitForWindowExposed(&browser));
        MessagesModel *model = browser.model();
        QCOMPARE(model->start(), MessagesModel::Start::Newest);
        QVERIFY2(browser.startBox()->currentText().contains(QLatin1String("bottom")),
                 qPrintable(browser.startBox()->currentText()));
        QTRY_VERIFY(!model->isReading());
        QCOMPARE(model->rowCount(), 0);
        QScrollBar *bar = browser.view()->verticalScrollBar();
        auto newestInView = [&] {
            return model->rowCount() > 0 &&
                   model->record(model->rowCount() - 1)->offset == p.endOffset() - 1 &&
                   bar->value() == bar->maximum();
        };

        // produced while another tab was shown
        browser.hide();
        produce(p, 1000);
        browser.show();
        QTRY_VERIFY_WITH_TIMEOUT(
            model->rowCount() == MessagesModel::kPageSize && !model->isReading(), kTimeoutMs);
        QCOMPARE(model->record(0)->offset, 800);
        QTRY_VERIFY(newestInView());

        // the first records of an empty partition, seen by the refresh tick
        broker.createTopic("u", 1);
        Partition &u = partitionOf(broker, "u", 0);
        browser.setTopics({QStringLiteral("t"), QStringLiteral("u")});
        browser.showPartition(QStringLiteral("u"), 0);
        QTRY_VERIFY(!model->isReading());
        QCOMPARE(model->rowCount(), 0);
        produce(u, 1000);
        browser.poll();
        QTRY_VERIFY_WITH_TIMEOUT(model->rowCount() > 0 && !model->isReading(), kTimeoutMs);
        QCOMPARE(model->record(0)->offset, 800);
        QCOMPARE(model->record(model->rowCount() - 1)->offset, 999);

        // Go reads the newest again
        produce(u, 500);
        auto *go = browser.findChild<QToolButton *>(QStringLiteral("go"));
        QVERIFY(go);
        QTest::mouseClick(go, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(model->rowCount() == MessagesModel::kPageSize &&
                                     model->record(0)->offset == 1300 && !model->isReading(),
                                 kTimeoutMs);
        QTRY_VERIFY(bar->value() == bar->maximum());
    }

    // Live tail over a long backlog starts from the newest records: the start box says so.
    void liveTailSaysItStartsFromTheNewest()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("t", 1);
        Partition &p = partitionOf(broker, "t", 0);
        produce(p, 1000);
        MessageBrowser browser(source);
        browser.setTopics({QStringLiteral("t")});
        browser.startBox()->setCurrentIndex(
            browser.startBox()->findData(int(MessagesModel::Start::Oldest)));
        QTRY_VERIFY(!browser.model()->isReading());
        QCOMPARE(browser.model()->record(0)->offset, 0);
        QTest::mouseClick(browser.liveTailButton(), Qt::LeftButton);
        QVERIFY(browser.model()->liveTail());
        QTRY_VERIFY(!browser.model()->isReading());
        QCOMPARE(browser.model()->record(0)->offset, 800);
        QCOMPARE(MessagesModel::Start(browser.startBox()->currentData().toInt()),
                 MessagesModel::Start::Newest);
    }

    // The topic being browsed is deleted (here or by another client): the browser shows
    // nothing and says so, instead of switching to the first topic's records unasked; once
    // the user chooses a topic it is browsed as before.
    void deletedTopicIsNotReplacedByAnother()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("a", 1);
        broker.createTopic("b", 1);
        produce(partitionOf(broker, "a", 0), 5);
        produce(partitionOf(broker, "b", 0), 7);
        MessageBrowser browser(source);
        browser.setTopics({QStringLiteral("a"), QStringLiteral("b")});
        browser.showPartition(QStringLiteral("b"), 0);
        MessagesModel *model = browser.model();
        QTRY_VERIFY(!model->isReading() && model->rowCount() == 7);

        QString error;
        QVERIFY2(broker.deleteTopic("b", error), qPrintable(error));
        browser.setTopics({QStringLiteral("a")});
        QTRY_VERIFY(!model->isReading());
        QCOMPARE(model->topicName(), QString());
        QCOMPARE(model->rowCount(), 0);
        QCOMPARE(browser.topicBox()->currentText(), QString());
        QVERIFY2(browser.statusLabel()->text().contains(QLatin1String("b was deleted")),
                 qPrintable(browser.statusLabel()->text()));

        // another topic appearing does not pick one either
        broker.createTopic("c", 1);
        browser.setTopics({QStringLiteral("a"), QStringLiteral("c")});
        QCOMPARE(model->topicName(), QString());
        QCOMPARE(browser.topicBox()->currentText(), QString());

        // choosing one in the box browses it
        browser.topicBox()->setCurrentIndex(0);
        QTRY_VERIFY(!model->isReading() && model->rowCount() == 5);
        QCOMPARE(model->topicName(), QStringLiteral("a"));
        QVERIFY2(!browser.statusLabel()->text().contains(QLatin1String("deleted")),
                 qPrintable(browser.statusLabel()->text()));
    }

    // The filters share the read line while it has room and get a line of their own when
    // the browser is narrow: they were squeezed to a few pixels ("Fil…") and, on one line,
    // held the window at least ~920 px wide.
    void filtersMoveToTheirOwnLineWhenNarrow()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("t", 1);
        MessageBrowser browser(source);
        browser.setTopics({QStringLiteral("t")});
        browser.resize(1400, 500);
        browser.show();
        QVERIFY(QTest::qWaitForWindowExposed(&browser));
        auto middleOf = [&](QWidget *w) { return w->mapTo(&browser, w->rect().center()).y(); };
        QWidget *filter = browser.filterEdit();
        QWidget *topic = browser.topicBox();
        QTRY_COMPARE(middleOf(filter), middleOf(topic));

        const int narrowest = browser.minimumSizeHint().width();
        browser.resize(narrowest, 500);
        QTRY_VERIFY(middleOf(filter) > middleOf(topic) + topic->height() / 2);
        const int digit = filter->fontMetrics().horizontalAdvance(QLatin1Char('0'));
        QVERIFY2(filter->width() >= digit * 24, qPrintable(QString::number(filter->width())));
        QVERIFY(browser.headerFilterEdit()->width() >= digit * 10);
        QVERIFY(browser.headerFilterEdit()->isVisible() && browser.regexButton()->isVisible());

        browser.resize(1400, 500);
        QTRY_COMPARE(middleOf(filter), middleOf(topic));
    }

    void injectorRunsOffTheGuiThreadAndCancels()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("t", 2);
        QThreadPool pool;
        MessageInjector injector(source, pool);
        QSignalSpy finished(&injector, &MessageInjector::finished);
        InjectRequest request;
        request.topic = QStringLiteral("t");
        request.values = {"v{i}"};
        request.repeat = 5000;
        injector.start(request);
        QVERIFY(injector.isRunning());
        QVERIFY(finished.wait(kTimeoutMs));
        QVERIFY(!injector.isRunning());
        const auto result = finished.at(0).at(0).value<InjectResult>();
        QCOMPARE(result.written, 5000);

        request.repeat = 100'000'000;
        injector.start(request);
        injector.cancel();
        QVERIFY(finished.wait(kTimeoutMs));
        QVERIFY(finished.at(1).at(0).value<InjectResult>().cancelled);
        pool.waitForDone();
    }
};

QTEST_MAIN(TestMessageBrowser)
#include "tst_messagebrowser.moc"
