// The window's panels on a Kafka cluster (issue 13), asserted on what its models hold: a
// MainWindow on a KafkaSource attached to Rivulet's own Kafka listener started here (librdkafka
// is the real client), showing a consumer group's committed offsets and lag, browsing a
// partition, injecting messages and resetting the group's offsets through the cluster; and
// the topic dialogs (create, settings, purge, delete) driven as a person would, each change
// asserted on the broker behind the cluster and on the window's models.
#include "createtopicdialog.h"
#include "deletetopicdialog.h"
#include "kafkasource.h"
#include "messagebrowser.h"
#include "messagesmodel.h"
#include "rateschart.h"
#include "support/windowfixture.h"
#include "topicsettingsdialog.h"
#include "topicsmodel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QThreadPool>

using namespace rivulet;
using namespace rivulet::testing;

namespace {

// A broker with a Kafka listener (the cluster) holding "orders" (5 and 3 records), and a
// window on it through a KafkaSource that has shown the topic.
struct ClusterWindow
{
    ClusterWindow()
    {
        if (!createFilledTopic(f.broker, QStringLiteral("orders"), {5, 3}))
            qFatal("cannot fill orders");
        KafkaSettings settings;
        settings.bootstrap = QStringLiteral("127.0.0.1:%1").arg(f.addKafkaListener().serverPort());
        QString error;
        source = KafkaSource::open(settings, QStringLiteral("test cluster"), error);
        if (!source)
            qFatal("cannot open the cluster: %s", qPrintable(error));
        window = std::make_unique<MainWindow>(*source);
        window->show();
    }
    bool showsOrders() const
    {
        return QTest::qWaitFor(
            [this] {
                return window->topicsModel()->topicNames().contains(QStringLiteral("orders"));
            },
            kTimeoutMs);
    }

    Fixture f;
    std::unique_ptr<KafkaSource> source;
    std::unique_ptr<MainWindow> window;
};

} // namespace

class TestClusterWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void panelsShowAndChangeACluster()
    {
        ClusterWindow c;
        Fixture &f = c.f;
        MainWindow &w = *c.window;
        QString error;
        QCOMPARE(f.broker.resetGroupOffsets("billing", "orders", {{0, 2}}, error),
                 GroupOutcome::Done);

        // topics and the group, as the cluster answers them
        QVERIFY(c.showsOrders());
        const QAbstractItemModel *m = w.consumersView()->model();
        QTRY_VERIFY_WITH_TIMEOUT(
            consumerRow(m, QStringLiteral("billing"), QStringLiteral("orders"), 0) >= 0,
            kTimeoutMs);
        int row = consumerRow(m, QStringLiteral("billing"), QStringLiteral("orders"), 0);
        QCOMPARE(cell(m, row, ConsumersModel::Kind), QStringLiteral("kafka group"));
        QCOMPARE(cell(m, row, ConsumersModel::NextOffset), QStringLiteral("2"));
        QCOMPARE(cell(m, row, ConsumersModel::Lag), QStringLiteral("3"));

        // the browser reads partition 0 from the start, without a group and without committing
        MessageBrowser *browser = w.messageBrowser();
        browser->showPartition(QStringLiteral("orders"), 0);
        browser->startBox()->setCurrentIndex(
            browser->startBox()->findData(int(MessagesModel::Start::Oldest)));
        QTRY_VERIFY_WITH_TIMEOUT(
            !browser->model()->isReading() && browser->model()->rowCount() == 5, kTimeoutMs);
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(browser->model()->record(i)->offset, i);
            QCOMPARE(browser->model()->record(i)->value, QByteArray("x"));
        }
        QVERIFY(!f.broker.groups().committed("billing", "orders", 1));
        QCOMPARE(f.broker.groups().committed("billing", "orders", 0)->offset, 2);

        // messages injected through the cluster land in the broker and show in the topics
        QThreadPool pool;
        MessageInjector injector(*c.source, pool);
        QSignalSpy finished(&injector, &MessageInjector::finished);
        InjectRequest request;
        request.topic = QStringLiteral("orders");
        request.partition = 1;
        request.key = QByteArray("k{i}");
        request.values = {"injected-{i}"};
        request.repeat = 4;
        injector.start(request);
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.at(0).at(0).value<InjectResult>().written, 4);
        QCOMPARE(f.broker.partitionRanges("orders").at(1).endOffset, 7);
        QTRY_COMPARE_WITH_TIMEOUT(w.topicsModel()->totals().messages, std::int64_t(12), kTimeoutMs);

        // the group (no members) goes back to the earliest offsets through the cluster
        w.consumersPanel()->resetGroupOffsets("billing", QStringLiteral("orders"),
                                              ResetTo::Earliest);
        QTRY_VERIFY_WITH_TIMEOUT(f.broker.groups().committed("billing", "orders", 0) &&
                                     f.broker.groups().committed("billing", "orders", 0)->offset ==
                                         0,
                                 kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(f.broker.groups().committed("billing", "orders", 1), kTimeoutMs);
        QCOMPARE(f.broker.groups().committed("billing", "orders", 1)->offset, 0);
        QTRY_COMPARE_WITH_TIMEOUT(
            cell(m, consumerRow(m, QStringLiteral("billing"), QStringLiteral("orders"), 1),
                 ConsumersModel::Lag),
            QStringLiteral("7"), kTimeoutMs);
        row = consumerRow(m, QStringLiteral("billing"), QStringLiteral("orders"), 0);
        QTRY_COMPARE_WITH_TIMEOUT(cell(m, row, ConsumersModel::Lag), QStringLiteral("5"),
                                  kTimeoutMs);
    }

    void topicDialogsChangeTheCluster()
    {
        ClusterWindow c;
        Fixture &f = c.f;
        MainWindow &w = *c.window;
        QVERIFY(c.showsOrders());
        // what a Kafka client cannot know is shown as unknown, not as zero
        QCOMPARE(cellOf(w.topicsModel(), QStringLiteral("orders"), TopicsModel::Size),
                 QStringLiteral("—"));
        QCOMPARE(cellOf(w.topicsModel(), QStringLiteral("orders"), TopicsModel::OutRate),
                 QStringLiteral("—"));
        QCOMPARE(cellOf(w.topicsModel(), QStringLiteral("orders"), TopicsModel::Messages),
                 QStringLiteral("8"));
        auto *chart = w.findChild<RatesChart *>();
        QVERIFY(chart && chart->inOnly());
        chart->setMetric(RatesChart::Metric::Bytes);
        QCOMPARE(chart->metric(), RatesChart::Metric::Messages);

        // create: the name is checked against the cluster's topics, then created there
        CreateTopicDialog *create = w.openCreateTopic();
        QVERIFY(create);
        QPushButton *ok = create->buttons()->button(QDialogButtonBox::Ok);
        typeInto(create->nameEdit(), QStringLiteral("orders"));
        QTRY_VERIFY_WITH_TIMEOUT(
            create->problemLabel()->text().contains(QLatin1String("already exists")), kTimeoutMs);
        QVERIFY(!ok->isEnabled());
        typeInto(create->nameEdit(), QStringLiteral("events"));
        typeInto(create->partitionsEdit(), QStringLiteral("2"));
        QTRY_VERIFY_WITH_TIMEOUT(ok->isEnabled(), kTimeoutMs);
        QSignalSpy created(create, &CreateTopicDialog::topicCreated);
        QTest::mouseClick(ok, Qt::LeftButton);
        QVERIFY(created.wait(kTimeoutMs));
        QVERIFY(f.broker.topics().find("events"));
        QCOMPARE(f.broker.topics().find("events")->partitionCount(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(
            cellOf(w.topicsModel(), QStringLiteral("events"), TopicsModel::Partitions),
            QStringLiteral("2"), kTimeoutMs);

        // settings: retention and partitions, read from and written to the cluster
        TopicSettingsDialog *d = w.openTopicSettings(QStringLiteral("events"));
        QVERIFY(d);
        QTRY_VERIFY_WITH_TIMEOUT(d->retentionLoaded(), kTimeoutMs);
        QVERIFY(d->unlimitedTimeCheck()->isChecked());
        QCOMPARE(d->partitionsEdit()->text(), QStringLiteral("2"));
        QTest::mouseClick(d->unlimitedTimeCheck(), Qt::LeftButton);
        typeInto(d->retentionMsEdit(), QStringLiteral("3600000"));
        typeInto(d->partitionsEdit(), QStringLiteral("3"));
        QVERIFY2(d->buttons()->button(QDialogButtonBox::Ok)->isEnabled(),
                 qPrintable(d->problemLabel()->text()));
        QPointer<TopicSettingsDialog> guard(d);
        QTest::mouseClick(d->buttons()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!guard || !guard->isVisible(), kTimeoutMs);
        QCOMPARE(f.broker.topics().find("events")->partitionCount(), 3);
        QCOMPARE(f.broker.topics().find("events")->retention().retentionMs, std::int64_t(3600000));
        QTRY_COMPARE_WITH_TIMEOUT(
            cellOf(w.topicsModel(), QStringLiteral("events"), TopicsModel::Partitions),
            QStringLiteral("3"), kTimeoutMs);
        // opened again, it says what the cluster now holds
        d = w.openTopicSettings(QStringLiteral("events"));
        QVERIFY(d);
        QTRY_VERIFY_WITH_TIMEOUT(d->retentionLoaded(), kTimeoutMs);
        QVERIFY(!d->unlimitedTimeCheck()->isChecked());
        QCOMPARE(d->retentionMsEdit()->text(), QStringLiteral("3600000"));
        QCOMPARE(d->partitionsEdit()->text(), QStringLiteral("3"));
        guard = d;
        d->reject();
        QTRY_VERIFY(!guard || !guard->isVisible());

        // purge partition 0 of orders before offset 2 (DeleteRecords)
        d = w.openTopicSettings(QStringLiteral("orders"));
        QVERIFY(d);
        QTRY_VERIFY_WITH_TIMEOUT(d->retentionLoaded(), kTimeoutMs);
        QCOMPARE(d->purgeTable()->item(0, TopicSettingsDialog::EndColumn)->text(),
                 QStringLiteral("5"));
        typeIntoCell(d->purgeTable(), 0, TopicSettingsDialog::PurgeColumn, QStringLiteral("2"));
        guard = d;
        QTest::mouseClick(d->buttons()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        QVERIFY(answerMessageBox(d, QStringLiteral("Purge")));
        QTRY_VERIFY_WITH_TIMEOUT(!guard || !guard->isVisible(), kTimeoutMs);
        QCOMPARE(f.broker.topics().find("orders")->partition(0)->startOffset(), std::int64_t(2));
        QTRY_COMPARE_WITH_TIMEOUT(
            cellOf(w.topicsModel(), QStringLiteral("orders"), TopicsModel::Messages),
            QStringLiteral("6"), kTimeoutMs);

        // delete: a topic holding data asks for its name
        selectTopic(w, QStringLiteral("orders"));
        QTest::keyClick(w.topicsPanel()->view(), Qt::Key_Delete);
        auto *ask = waitForDialog<DeleteTopicDialog>(&w);
        QVERIFY(ask);
        typeInto(ask->nameEdit(), QStringLiteral("orders"));
        QVERIFY(ask->deleteButton()->isEnabled());
        QTest::mouseClick(ask->deleteButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!f.broker.topics().find("orders"), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!w.topicsModel()->topicNames().contains(QStringLiteral("orders")),
                                 kTimeoutMs);
        QVERIFY(w.topicsModel()->topicNames().contains(QStringLiteral("events")));
    }
};

QTEST_MAIN(TestClusterWindow)
#include "tst_clusterwindow.moc"
