#include "broker.h"
#include "brokersource.h"
#include "log/partition.h"
#include "log/recordbatch.h"
#include "log/topic.h"
#include "messagebrowser.h"
#include "messagesmodel.h"
#include "monitor/recordfile.h"
#include "recordexport.h"

#include <QApplication>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace rivulet;

namespace {

constexpr int kTimeoutMs = 30000;

QList<recordfile::Record> readBack(const QString &path)
{
    QList<recordfile::Record> out;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return out;
    recordfile::JsonLinesReader reader(&file);
    recordfile::Record r;
    while (reader.next(r) == recordfile::JsonLinesReader::Status::Record)
        out.append(r);
    return out;
}

} // namespace

class TestRecordExport : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void writesDecodedRecordsAsTheCliDoes()
    {
        QTemporaryDir dir;
        RecordExport what;
        what.topic = QStringLiteral("orders");
        DecodedRecord keyed;
        keyed.partition = 3;
        keyed.offset = 7;
        keyed.timestamp = 1700000000001;
        keyed.hasKey = true;
        keyed.key = QByteArray("\x00\xff", 2);
        keyed.value = QByteArray("text");
        keyed.valueSize = keyed.value.size();
        keyed.headers = {{"h", QByteArray("\x80", 1)}};
        DecodedRecord unkeyed;
        unkeyed.partition = 3;
        unkeyed.offset = 8;
        unkeyed.timestamp = 1700000000002;
        unkeyed.value = QByteArray("v");
        unkeyed.valueSize = 1;
        what.records = {keyed, unkeyed};

        const QString path = dir.filePath(QStringLiteral("out.jsonl"));
        const RecordExportResult result = writeRecordFile(path, what);
        QVERIFY2(result.error.isEmpty(), qPrintable(result.error));
        QCOMPARE(result.written, 2);
        const QList<recordfile::Record> back = readBack(path);
        QCOMPARE(back.size(), 2);
        QCOMPARE(back[0].topic, QStringLiteral("orders"));
        QCOMPARE(back[0].partition, 3);
        QCOMPARE(back[0].offset, 7);
        QCOMPARE(back[0].timestamp, 1700000000001);
        QCOMPARE(*back[0].key, QByteArray("\x00\xff", 2));
        QCOMPARE(*back[0].value, QByteArray("text"));
        QCOMPARE(back[0].headers.size(), 1);
        QCOMPARE(*back[0].headers[0].value, QByteArray("\x80", 1));
        QVERIFY(!back[1].key); // no key stays null, not ""

        const QString csv = dir.filePath(QStringLiteral("out.csv"));
        QVERIFY(writeRecordFile(csv, what).error.isEmpty());
        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray text = file.readAll();
        QVERIFY(text.startsWith(recordfile::fileHeader(recordfile::Format::Csv)));
        QVERIFY(text.contains("orders,3,8,1700000000002,2023-11-14T22:13:20.002Z,,null,v,utf8,[]"));
    }

    void refusesValuesTheBrowserCut()
    {
        QTemporaryDir dir;
        RecordExport what;
        DecodedRecord big;
        big.offset = 12;
        big.value = QByteArray(DecodedRecord::kMaxValueBytes, 'x');
        big.valueSize = DecodedRecord::kMaxValueBytes + 1;
        what.records = {big};
        const QString path = dir.filePath(QStringLiteral("big.jsonl"));
        const RecordExportResult result = writeRecordFile(path, what);
        QVERIFY(result.error.contains(QStringLiteral("offset 12")));
        QVERIFY(result.error.contains(QStringLiteral("rivulet-cli export")));
        QVERIFY(!QFile::exists(path)); // nothing half written
    }

    void unwritablePathIsAnError()
    {
        RecordExport what;
        const RecordExportResult result =
            writeRecordFile(QStringLiteral("/nonexistent-dir/x.jsonl"), what);
        QVERIFY(result.error.startsWith(QStringLiteral("Cannot write /nonexistent-dir/x.jsonl")));
    }

    void browserExportsTheRecordsItShows()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("t", 2);
        Partition &p = *broker.topics().find("t")->partition(1);
        RecordBatchBuilder builder(1'700'000'000'000, 5);
        for (int i = 0; i < 5; ++i) {
            const QByteArray key = "key-" + QByteArray::number(i);
            const QByteArray value =
                i == 2 ? QByteArray("\xff\xfe", 2) : "value-" + QByteArray::number(i);
            const HeaderView header{"n", QByteArrayView(key)};
            builder.append(QByteArrayView(key), value, {&header, 1});
        }
        QByteArray batch = builder.finish();
        QVERIFY(p.append(batch, 1'700'000'000'000).ok);

        MessageBrowser browser(source);
        browser.setTopics({QStringLiteral("t")});
        browser.showPartition(QStringLiteral("t"), 1);
        QTRY_COMPARE_WITH_TIMEOUT(browser.model()->rowCount(), 5, kTimeoutMs);
        QVERIFY(browser.exportButton()->isEnabled());

        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("t-1.jsonl"));
        QSignalSpy finished(&browser, &MessageBrowser::exportFinished);
        browser.exportTo(path);
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.first().at(0).toLongLong(), 5);
        QCOMPARE(finished.first().at(1).toString(), QString());
        QVERIFY(browser.exportButton()->isEnabled());

        const QList<recordfile::Record> back = readBack(path);
        QCOMPARE(back.size(), 5);
        QList<std::int64_t> offsets;
        for (const recordfile::Record &r : back) {
            offsets << r.offset;
            QCOMPARE(r.topic, QStringLiteral("t"));
            QCOMPARE(r.partition, 1);
            QCOMPARE(r.timestamp, 1'700'000'000'000);
            const QByteArray key = "key-" + QByteArray::number(r.offset);
            QCOMPARE(*r.key, key);
            QCOMPARE(*r.value, r.offset == 2 ? QByteArray("\xff\xfe", 2)
                                             : "value-" + QByteArray::number(r.offset));
            QCOMPARE(r.headers.size(), 1);
            QCOMPARE(r.headers[0].key, QByteArray("n"));
            QCOMPARE(*r.headers[0].value, key);
        }
        std::sort(offsets.begin(), offsets.end());
        QCOMPARE(offsets, (QList<std::int64_t>{0, 1, 2, 3, 4}));
    }

    // A null key, value or header value is null in the file and an empty one is "", as
    // `rivulet-cli export` writes them: the browser's export of such records is, line for
    // line, what recordfile::encode() makes of the records the CLI would have read.
    void browserExportKeepsNullsApartFromEmpties()
    {
        Broker broker;
        BrokerSource source(broker);
        broker.createTopic("t", 1);
        RecordBatchBuilder builder(1'700'000'000'000, 2);
        const HeaderView nullHeader[] = {{"h", {}, false}};
        builder.appendRecord(std::nullopt, std::nullopt, nullHeader); // all null
        const HeaderView emptyHeader[] = {{"h", QByteArrayView("", 0), true}};
        builder.appendRecord(QByteArrayView("", 0), QByteArrayView("", 0), emptyHeader);
        QVERIFY(broker.produce("t", 0, builder.finish()).error == ProduceError::None);

        MessageBrowser browser(source);
        browser.setTopics({QStringLiteral("t")});
        browser.showPartition(QStringLiteral("t"), 0);
        QTRY_COMPARE_WITH_TIMEOUT(browser.model()->rowCount(), 2, kTimeoutMs);
        QVERIFY(!browser.model()->record(0)->hasValue);
        QVERIFY(browser.model()->record(1)->hasValue);
        QCOMPARE(browser.model()->data(browser.model()->index(0, MessagesModel::Value)).toString(),
                 QStringLiteral("(null)"));

        recordfile::Record tombstone;
        tombstone.topic = QStringLiteral("t");
        tombstone.partition = 0;
        tombstone.offset = 0;
        tombstone.timestamp = 1'700'000'000'000;
        tombstone.headers = {{"h", std::nullopt}};
        recordfile::Record empty = tombstone;
        empty.offset = 1;
        empty.key = QByteArray("");
        empty.value = QByteArray("");
        empty.headers = {{"h", QByteArray("")}};

        QTemporaryDir dir;
        for (const recordfile::Format format :
             {recordfile::Format::JsonLines, recordfile::Format::Csv}) {
            const QString path =
                dir.filePath(format == recordfile::Format::Csv ? QStringLiteral("t.csv")
                                                               : QStringLiteral("t.jsonl"));
            QSignalSpy finished(&browser, &MessageBrowser::exportFinished);
            browser.exportTo(path);
            QVERIFY(finished.wait(kTimeoutMs));
            QCOMPARE(finished.first().at(0).toLongLong(), 2);
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QByteArray expected = recordfile::fileHeader(format) +
                                        recordfile::encode(format, tombstone) +
                                        recordfile::encode(format, empty);
            QCOMPARE(file.readAll(), expected);
        }
        // and what that means in the JSON Lines file
        const QList<recordfile::Record> back = readBack(dir.filePath(QStringLiteral("t.jsonl")));
        QCOMPARE(back.size(), 2);
        QVERIFY(!back[0].key && !back[0].value && !back[0].headers[0].value);
        QCOMPARE(back[1].key, std::optional<QByteArray>(QByteArray("")));
        QCOMPARE(back[1].value, std::optional<QByteArray>(QByteArray("")));
        QCOMPARE(back[1].headers[0].value, std::optional<QByteArray>(QByteArray("")));
    }
};

QTEST_MAIN(TestRecordExport)
#include "tst_recordexport.moc"
