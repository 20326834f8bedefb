// The window's panels on a Kafka cluster (issue 13), asserted on what its models hold: a
// MainWindow on a KafkaSource attached to Rivulet's own Kafka listener started here (librdkafka
// is the real client), showing a consumer group's committed offsets and lag, browsing a
// partition, injecting messages and resetting the group's offsets through the cluster.
#include "kafkasource.h"
#include "messagebrowser.h"
#include "messagesmodel.h"
#include "support/windowfixture.h"
#include "topicsmodel.h"

#include <QComboBox>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QThreadPool>

using namespace rivulet;
using namespace rivulet::testing;

class TestClusterWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void panelsShowAndChangeACluster()
    {
        Fixture f; // the cluster: an in-process broker with a Kafka listener
        Server &kafka = f.addKafkaListener();
        QVERIFY(createFilledTopic(f.broker, QStringLiteral("orders"), {5, 3}));
        QString error;
        QCOMPARE(f.broker.resetGroupOffsets("billing", "orders", {{0, 2}}, error),
                 GroupOutcome::Done);

        KafkaSettings settings;
        settings.bootstrap = QStringLiteral("127.0.0.1:%1").arg(kafka.serverPort());
        const std::unique_ptr<KafkaSource> source =
            KafkaSource::open(settings, QStringLiteral("test cluster"), error);
        QVERIFY2(source, qPrintable(error));
        MainWindow w(*source);
        w.show();

        // topics and the group, as the cluster answers them
        QTRY_VERIFY_WITH_TIMEOUT(w.topicsModel()->topicNames().contains(QStringLiteral("orders")),
                                 kTimeoutMs);
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
        MessageInjector injector(*source, pool);
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
};

QTEST_MAIN(TestClusterWindow)
#include "tst_clusterwindow.moc"
