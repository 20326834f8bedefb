// Topic management in the window, driven through the widgets as a person would: the topic
// settings dialog (retention, partitions, purge), deleting a topic that holds data, Import
// records… and the names of native producers in the Clients tab. Each test asserts on the
// broker afterwards.
#include "clientsmodel.h"
#include "deletetopicdialog.h"
#include "importdialog.h"
#include "log/recordbatch.h"
#include "native/clientcodec.h"
#include "native/nativeclient.h"
#include "support/windowfixture.h"
#include "topicsettingsdialog.h"
#include "topicsmodel.h"
#include "topicspanel.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTreeView>

#include <atomic>
#include <thread>

using namespace rivulet;
using namespace rivulet::testing;

namespace {

QAction *menuAction(MainWindow &w, const QString &text)
{
    for (QAction *menu : w.menuBar()->actions())
        if (menu->menu())
            for (QAction *a : menu->menu()->actions())
                if (a->text().remove(QLatin1Char('&')) == text)
                    return a;
    return nullptr;
}

struct Stored
{
    QByteArray key;
    bool hasKey = false;
    QByteArray value;
    std::int64_t timestamp = 0;
    QList<QPair<QByteArray, QByteArray>> headers;
};

QList<Stored> readAll(Broker &broker, const QByteArray &topic, int partition)
{
    QList<Stored> out;
    const Partition *p = broker.topics().find(topic)->partition(partition);
    p->readRecords(p->startOffset(), 100000, [&](const RecordView &r) {
        Stored s;
        s.hasKey = r.hasKey;
        s.key = r.key.toByteArray();
        s.value = r.value.toByteArray();
        s.timestamp = r.timestamp;
        forEachHeader(r, [&](const HeaderView &h) {
            s.headers.append({h.name.toByteArray(), h.value.toByteArray()});
        });
        out.append(s);
        return true;
    });
    return out;
}

} // namespace

class TestTopicSettings : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // What the import builds its batches with: a timestamp per record, nulls kept as -1.
    void batchesKeepEachRecordsTimestampAndNulls()
    {
        RecordBatchBuilder builder(1000, 3);
        const HeaderView headers[] = {{"h", {}, false}, {"e", QByteArrayView(""), true}};
        QVERIFY(builder.append(1000, QByteArrayView("k"), QByteArrayView("v"), {}));
        QVERIFY(builder.append(1250, std::nullopt, std::nullopt, headers));
        QVERIFY(!builder.append(999, std::nullopt, QByteArrayView("older"), {}));
        QCOMPARE(builder.count(), 2);
        const QByteArray bytes = builder.finish();
        const RecordBatchView batch(bytes);
        QCOMPARE(batch.validate(true), RecordBatchView::Check::Ok);
        QCOMPARE(batch.baseTimestamp(), std::int64_t(1000));
        QCOMPARE(batch.maxTimestamp(), std::int64_t(1250));
        QList<std::int64_t> times;
        batch.forEachRecord(0, [&](const RecordView &r) {
            times << r.timestamp;
            return true;
        });
        QCOMPARE(times, (QList<std::int64_t>{1000, 1250}));
        // the second record's value and first header's value are null (length -1, zigzag 1),
        // the empty header value is empty (length 0): "h" then 01, "e" then 00
        QVERIFY(bytes.contains(QByteArray("\x02h\x01\x02"
                                          "e\x00",
                                          6)));
        // a null value: key -1, value -1, then two headers
        QVERIFY(bytes.contains(QByteArray("\x01\x01\x04\x02h", 5)));
    }

    void settingsShowCurrentValuesAndChangeRetentionAndPartitions()
    {
        Fixture f;
        MainWindow &w = *f.window;
        QVERIFY(createFilledTopic(f.broker, QStringLiteral("orders"), {5, 3}));
        w.refresh();
        // Enter on a topic row opens its settings
        selectTopic(w, QStringLiteral("orders"));
        QTest::keyClick(w.topicsPanel()->view(), Qt::Key_Return);
        auto *d = waitForDialog<TopicSettingsDialog>(&w);
        QTRY_VERIFY(d->retentionLoaded()); // read off the GUI thread
        QVERIFY(d);
        QTRY_VERIFY(d->isVisible());
        QPushButton *ok = d->buttons()->button(QDialogButtonBox::Ok);

        // the current values
        QVERIFY(d->unlimitedTimeCheck()->isChecked());
        QVERIFY(!d->retentionMsEdit()->isEnabled());
        QVERIFY(d->unlimitedSizeCheck()->isChecked());
        QCOMPARE(d->partitionsEdit()->text(), QStringLiteral("2"));
        QTableWidget *table = d->purgeTable();
        QCOMPARE(table->rowCount(), 2);
        QCOMPARE(table->item(0, TopicSettingsDialog::EndColumn)->text(), QStringLiteral("5"));
        QCOMPARE(table->item(1, TopicSettingsDialog::EndColumn)->text(), QStringLiteral("3"));
        QCOMPARE(table->item(1, TopicSettingsDialog::StartColumn)->text(), QStringLiteral("0"));
        QVERIFY(ok->isEnabled());

        // time: unlimited off, a number; an empty field is named and OK waits
        QTest::mouseClick(d->unlimitedTimeCheck(), Qt::LeftButton);
        QVERIFY(d->retentionMsEdit()->isEnabled());
        QVERIFY(!ok->isEnabled());
        QVERIFY2(d->problemLabel()->text().contains(QLatin1String("milliseconds")),
                 qPrintable(d->problemLabel()->text()));
        typeInto(d->retentionMsEdit(), QStringLiteral("3600000"));
        QVERIFY(ok->isEnabled());
        // size
        QTest::mouseClick(d->unlimitedSizeCheck(), Qt::LeftButton);
        typeInto(d->retentionBytesEdit(), QStringLiteral("1048576"));
        // partitions: fewer is refused, as typed
        typeInto(d->partitionsEdit(), QStringLiteral("1"));
        QCOMPARE(d->partitionsEdit()->text(), QStringLiteral("1"));
        QVERIFY(!ok->isEnabled());
        QVERIFY2(d->problemLabel()->text().contains(QLatin1String("only be added")),
                 qPrintable(d->problemLabel()->text()));
        typeInto(d->partitionsEdit(), QStringLiteral("10001"));
        QVERIFY(!ok->isEnabled());
        QVERIFY2(d->problemLabel()->text().contains(QLatin1String("10,000")),
                 qPrintable(d->problemLabel()->text()));
        typeInto(d->partitionsEdit(), QStringLiteral("4"));
        QVERIFY(ok->isEnabled());
        QVERIFY(d->problemLabel()->text().isEmpty());

        QPointer<TopicSettingsDialog> guard(d);
        QTest::mouseClick(ok, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!guard || !guard->isVisible(), kTimeoutMs);
        const auto topic = f.broker.topics().find("orders");
        QCOMPARE(topic->partitionCount(), 4);
        QCOMPARE(topic->retention().retentionMs, std::int64_t(3600000));
        QCOMPARE(topic->retention().retentionBytes, std::int64_t(1048576));
        // the tree shows the new count at once
        QCOMPARE(cellOf(w.topicsModel(), QStringLiteral("orders"), TopicsModel::Partitions),
                 QStringLiteral("4"));
        QCOMPARE(w.topicsModel()->rowCount(w.topicsModel()->topicIndex(QStringLiteral("orders"))),
                 4);

        // back to unlimited from the Topic menu
        selectTopic(w, QStringLiteral("orders"));
        QAction *settings = menuAction(w, QStringLiteral("Topic settings…"));
        QVERIFY(settings);
        settings->trigger();
        d = waitForDialog<TopicSettingsDialog>(&w);
        QTRY_VERIFY(d->retentionLoaded());
        QVERIFY(d);
        QVERIFY(!d->unlimitedTimeCheck()->isChecked());
        QCOMPARE(d->retentionMsEdit()->text(), QStringLiteral("3600000"));
        QCOMPARE(d->partitionsEdit()->text(), QStringLiteral("4"));
        QTest::mouseClick(d->unlimitedTimeCheck(), Qt::LeftButton);
        QTest::mouseClick(d->unlimitedSizeCheck(), Qt::LeftButton);
        guard = d;
        QTest::mouseClick(d->buttons()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!guard || !guard->isVisible(), kTimeoutMs);
        QVERIFY(f.broker.topics().find("orders")->retention().keepsEverything());
    }

    void purgesBeforeAnOffsetAndAll()
    {
        Fixture f;
        MainWindow &w = *f.window;
        QVERIFY(createFilledTopic(f.broker, QStringLiteral("orders"), {5, 3}));
        w.refresh();
        TopicSettingsDialog *d = w.openTopicSettings(QStringLiteral("orders"));
        QVERIFY(d);
        QTRY_VERIFY(d->retentionLoaded());
        QPushButton *ok = d->buttons()->button(QDialogButtonBox::Ok);
        QTableWidget *table = d->purgeTable();

        // past the end, below the start and words are refused as typed
        typeIntoCell(table, 1, TopicSettingsDialog::PurgeColumn, QStringLiteral("9"));
        QVERIFY(!ok->isEnabled());
        QVERIFY2(d->problemLabel()->text().contains(QLatin1String("past its end")),
                 qPrintable(d->problemLabel()->text()));
        typeIntoCell(table, 1, TopicSettingsDialog::PurgeColumn, QStringLiteral("soon"));
        QVERIFY(!ok->isEnabled());
        typeIntoCell(table, 1, TopicSettingsDialog::PurgeColumn, QString());
        QVERIFY(ok->isEnabled());
        // partition 0 before offset 3; asked first, and Cancel changes nothing
        typeIntoCell(table, 0, TopicSettingsDialog::PurgeColumn, QStringLiteral("3"));
        QVERIFY(ok->isEnabled());
        QTest::mouseClick(ok, Qt::LeftButton);
        QVERIFY(answerMessageBox(d, QStringLiteral("Cancel")));
        QCOMPARE(f.broker.topics().find("orders")->partition(0)->startOffset(), std::int64_t(0));
        QPointer<TopicSettingsDialog> guard(d);
        QTest::mouseClick(ok, Qt::LeftButton);
        QVERIFY(answerMessageBox(d, QStringLiteral("Purge")));
        QTRY_VERIFY_WITH_TIMEOUT(!guard || !guard->isVisible(), kTimeoutMs);
        const auto topic = f.broker.topics().find("orders");
        QCOMPARE(topic->partition(0)->startOffset(), std::int64_t(3));
        QCOMPARE(topic->partition(0)->endOffset(), std::int64_t(5));
        QCOMPARE(topic->partition(1)->startOffset(), std::int64_t(0));
        QCOMPARE(cellOf(w.topicsModel(), QStringLiteral("orders"), TopicsModel::Messages),
                 QStringLiteral("5"));

        // Purge all: every partition up to its end
        d = w.openTopicSettings(QStringLiteral("orders"));
        QVERIFY(d);
        QTRY_VERIFY(d->retentionLoaded());
        QCOMPARE(d->purgeTable()->item(0, TopicSettingsDialog::StartColumn)->text(),
                 QStringLiteral("3"));
        QTest::mouseClick(d->purgeAllButton(), Qt::LeftButton);
        QCOMPARE(d->purgeTable()->item(1, TopicSettingsDialog::PurgeColumn)->text(),
                 QStringLiteral("end"));
        guard = d;
        QTest::mouseClick(d->buttons()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        QVERIFY(answerMessageBox(d, QStringLiteral("Purge")));
        QTRY_VERIFY_WITH_TIMEOUT(!guard || !guard->isVisible(), kTimeoutMs);
        QCOMPARE(topic->partition(0)->startOffset(), std::int64_t(5));
        QCOMPARE(topic->partition(1)->startOffset(), std::int64_t(3));
        QCOMPARE(cellOf(w.topicsModel(), QStringLiteral("orders"), TopicsModel::Messages),
                 QStringLiteral("0"));
    }

    void aFailedApplyShowsWhyAndChangesNothing()
    {
        Fixture f;
        MainWindow &w = *f.window;
        QVERIFY(createFilledTopic(f.broker, QStringLiteral("gone"), {2}));
        w.refresh();
        TopicSettingsDialog *d = w.openTopicSettings(QStringLiteral("gone"));
        QVERIFY(d);
        QTRY_VERIFY(d->retentionLoaded());
        QTest::mouseClick(d->unlimitedTimeCheck(), Qt::LeftButton);
        typeInto(d->retentionMsEdit(), QStringLiteral("1000"));
        typeInto(d->partitionsEdit(), QStringLiteral("3"));
        // the topic goes while the dialog is open (another tool deleted it)
        QString error;
        QVERIFY(f.broker.deleteTopic("gone", error));
        QTest::mouseClick(d->buttons()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(d->problemLabel()->text().contains(QLatin1String("no longer")),
                                  qPrintable(d->problemLabel()->text()), kTimeoutMs);
        QVERIFY(d->isVisible());
        QVERIFY(d->problemLabel()->text().startsWith(QLatin1String("Nothing was changed")));
        QVERIFY(!f.broker.topics().find("gone"));
    }

    void deletingATopicWithDataAsksForItsName()
    {
        Fixture f;
        MainWindow &w = *f.window;
        QVERIFY(createFilledTopic(f.broker, QStringLiteral("orders"), {4}));
        f.broker.createTopic("empty", 1);
        w.refresh();
        selectTopic(w, QStringLiteral("orders"));
        QTest::keyClick(w.topicsPanel()->view(), Qt::Key_Delete);
        auto *ask = waitForDialog<DeleteTopicDialog>(&w);
        QVERIFY(ask);
        QTRY_VERIFY(ask->isVisible());
        QVERIFY(!ask->deleteButton()->isEnabled());
        // a near miss leaves Delete off, and Enter does nothing
        typeInto(ask->nameEdit(), QStringLiteral("order"));
        QVERIFY(!ask->deleteButton()->isEnabled());
        QTest::keyClick(ask->nameEdit(), Qt::Key_Return);
        QVERIFY(ask->isVisible());
        typeInto(ask->nameEdit(), QStringLiteral("Orders"));
        QVERIFY(!ask->deleteButton()->isEnabled());
        typeInto(ask->nameEdit(), QStringLiteral("orders"));
        QVERIFY(ask->deleteButton()->isEnabled());
        QTest::mouseClick(ask->deleteButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!f.broker.topics().find("orders"), kTimeoutMs);
        QTRY_COMPARE(w.topicsModel()->rowCount(), 1);

        // an empty topic only asks to confirm
        selectTopic(w, QStringLiteral("empty"));
        QTest::keyClick(w.topicsPanel()->view(), Qt::Key_Delete);
        QVERIFY(!w.findChild<DeleteTopicDialog *>());
        QVERIFY(answerMessageBox(&w, QStringLiteral("Delete")));
        QTRY_VERIFY_WITH_TIMEOUT(!f.broker.topics().find("empty"), kTimeoutMs);
    }

    void importsJsonLinesSkippingAndListingBadLines()
    {
        Fixture f;
        MainWindow &w = *f.window;
        f.broker.createTopic("imp", 2);
        w.refresh();
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("records.jsonl"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(
            R"({"partition":1,"timestamp":1700000000123,"key":"id-1","value":"first","headers":[{"key":"source","value":"web"}]})"
            "\n"
            R"({"partition":0,"timestamp":1700000000456,"key":null,"value":"AP8=","valueEncoding":"base64","headers":[]})"
            "\n"
            R"({"timestmap":1,"value":"typo"})"
            "\n"
            "\n"
            R"({"partition":7,"value":"nowhere"})"
            "\n"
            R"({"partition":1,"timestamp":1700000000789,"value":"third"})"
            "\n");
        file.close();

        selectTopic(w, QStringLiteral("imp"));
        QAction *import = menuAction(w, QStringLiteral("Import records…"));
        QVERIFY(import);
        import->trigger();
        auto *d = waitForDialog<ImportDialog>(&w);
        QVERIFY(d);
        QCOMPARE(d->topicBox()->currentText(), QStringLiteral("imp"));
        typeInto(d->fileEdit(), path);
        QTest::mouseClick(d->importButton(), Qt::LeftButton);
        // bad lines: listed with their numbers, nothing written yet
        QTRY_VERIFY_WITH_TIMEOUT(!d->isRunning() && d->badLinesView()->isVisible(), kTimeoutMs);
        const QString bad = d->badLinesView()->toPlainText();
        QVERIFY2(bad.contains(QLatin1String("line 3: ")) &&
                     bad.contains(QLatin1String("timestmap")),
                 qPrintable(bad));
        QVERIFY2(bad.contains(QLatin1String("line 5: partition 7")), qPrintable(bad));
        QVERIFY2(d->resultLabel()->text().contains(QLatin1String("Nothing was imported")),
                 qPrintable(d->resultLabel()->text()));
        QCOMPARE(f.broker.topics().find("imp")->partition(1)->endOffset(), std::int64_t(0));
        QCOMPARE(d->importButton()->text().remove(QLatin1Char('&')),
                 QStringLiteral("Import 3 records, skip 2 bad lines"));

        // the good ones go in, with keys, headers and timestamps
        QSignalSpy imported(d, &ImportDialog::imported);
        QTest::mouseClick(d->importButton(), Qt::LeftButton);
        QVERIFY(imported.wait(kTimeoutMs));
        QCOMPARE(imported.at(0).at(1).toLongLong(), 3);
        QVERIFY2(d->resultLabel()->text().contains(QLatin1String("Imported 3 records into imp")),
                 qPrintable(d->resultLabel()->text()));
        QVERIFY2(d->resultLabel()->text().contains(QLatin1String("Skipped 2 bad lines")),
                 qPrintable(d->resultLabel()->text()));
        const QList<Stored> p1 = readAll(f.broker, "imp", 1);
        QCOMPARE(p1.size(), 2);
        QCOMPARE(p1[0].key, QByteArray("id-1"));
        QVERIFY(p1[0].hasKey);
        QCOMPARE(p1[0].value, QByteArray("first"));
        QCOMPARE(p1[0].timestamp, std::int64_t(1700000000123));
        QCOMPARE(p1[0].headers.size(), 1);
        QCOMPARE(p1[0].headers[0].first, QByteArray("source"));
        QCOMPARE(p1[0].headers[0].second, QByteArray("web"));
        QCOMPARE(p1[1].value, QByteArray("third"));
        QCOMPARE(p1[1].timestamp, std::int64_t(1700000000789));
        const QList<Stored> p0 = readAll(f.broker, "imp", 0);
        QCOMPARE(p0.size(), 1);
        QVERIFY(!p0[0].hasKey);
        QCOMPARE(p0[0].value, QByteArray("\x00\xff", 2));
        QCOMPARE(p0[0].timestamp, std::int64_t(1700000000456));
        // the tree counts them
        QTRY_COMPARE(cellOf(w.topicsModel(), QStringLiteral("imp"), TopicsModel::Messages),
                     QStringLiteral("3"));

        // a clean file, everything to one partition: imported at the first click
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        for (int i = 0; i < 2500; ++i)
            file.write(QStringLiteral("{\"partition\":1,\"value\":\"v%1\"}\n").arg(i).toUtf8());
        file.close();
        d->partitionBox()->setCurrentIndex(d->partitionBox()->findData(0));
        QCOMPARE(d->importButton()->text().remove(QLatin1Char('&')), QStringLiteral("Import"));
        QTest::mouseClick(d->importButton(), Qt::LeftButton);
        QVERIFY(imported.wait(kTimeoutMs));
        QCOMPARE(imported.at(1).at(1).toLongLong(), 2500);
        QVERIFY(!d->badLinesView()->isVisible());
        QCOMPARE(f.broker.topics().find("imp")->partition(0)->endOffset(), std::int64_t(2501));
        QCOMPARE(f.broker.topics().find("imp")->partition(1)->endOffset(), std::int64_t(2));
    }

    void nativeProducersHaveANameInTheClientsTab()
    {
        Fixture f;
        MainWindow &w = *f.window;
        f.broker.createTopic("feed", 1);
        // two producers on their own thread (the blocking client is not for the GUI thread):
        // one gives a consumer_id, one gives none
        std::atomic<int> produced{0};
        std::atomic<bool> done{false};
        const quint16 port = f.port();
        std::thread clients([&] {
            native::NativeClient named, anonymous;
            native::Reply reply;
            if (named.connectTo(QStringLiteral("127.0.0.1"), port) &&
                named.call(native::encodeProduce("feed", 0, {"a"}, "billing-feed"), reply) &&
                !reply.error)
                ++produced;
            if (anonymous.connectTo(QStringLiteral("127.0.0.1"), port) &&
                anonymous.call(native::encodeProduce("feed", 0, {"b"}), reply) && !reply.error)
                ++produced;
            while (!done.load())
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
        });
        auto finish = qScopeGuard([&] {
            done.store(true);
            clients.join();
        });
        QTRY_COMPARE_WITH_TIMEOUT(produced.load(), 2, kTimeoutMs);
        const QAbstractItemModel *m = w.clientsView()->model();
        QTRY_COMPARE_WITH_TIMEOUT(m->rowCount(), 2, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (int row = 0; row < m->rowCount(); ++row)
                    if (cell(m, row, ClientsModel::Produces).isEmpty())
                        return false;
                return true;
            }(),
            kTimeoutMs);
        QStringList names;
        int byAddress = 0;
        for (int row = 0; row < m->rowCount(); ++row) {
            const QString name = cell(m, row, ClientsModel::Name);
            QVERIFY(!name.isEmpty());
            names << name;
            if (name == cell(m, row, ClientsModel::Address)) {
                ++byAddress;
                QVERIFY(!m->data(m->index(row, ClientsModel::Name), Qt::ToolTipRole)
                             .toString()
                             .isEmpty());
            }
        }
        QVERIFY2(names.contains(QStringLiteral("billing-feed")), qPrintable(names.join(", ")));
        QCOMPARE(byAddress, 1);
    }
};

QTEST_MAIN(TestTopicSettings)
#include "tst_topicsettings.moc"
