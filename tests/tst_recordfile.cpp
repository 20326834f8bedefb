#include "monitor/recordfile.h"

#include <QBuffer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryFile>
#include <QTest>

using namespace rivulet::recordfile;

namespace {

Record sample()
{
    Record r;
    r.topic = QStringLiteral("orders");
    r.partition = 2;
    r.offset = 41;
    r.timestamp = 1700000000123;
    r.key = QByteArrayLiteral("id-1");
    r.value = QByteArrayLiteral("{\"total\": 12}");
    r.headers = {{QByteArrayLiteral("source"), QByteArrayLiteral("web")}};
    return r;
}

void compareRecords(const Record &a, const Record &b)
{
    QCOMPARE(a.topic, b.topic);
    QCOMPARE(a.partition, b.partition);
    QCOMPARE(a.offset, b.offset);
    QCOMPARE(a.timestamp, b.timestamp);
    QCOMPARE(a.key.has_value(), b.key.has_value());
    if (a.key)
        QCOMPARE(*a.key, *b.key);
    QCOMPARE(a.value.has_value(), b.value.has_value());
    if (a.value)
        QCOMPARE(*a.value, *b.value);
    QCOMPARE(a.headers.size(), b.headers.size());
    for (qsizetype i = 0; i < a.headers.size(); ++i) {
        QCOMPARE(a.headers[i].key, b.headers[i].key);
        QCOMPARE(a.headers[i].value.has_value(), b.headers[i].value.has_value());
        if (a.headers[i].value)
            QCOMPARE(*a.headers[i].value, *b.headers[i].value);
    }
}

Record roundTrip(const Record &r)
{
    QByteArray line = encode(Format::JsonLines, r);
    [&] { QVERIFY(line.endsWith('\n')); }();
    line.chop(1);
    Record back;
    QString error;
    [&] { QVERIFY2(parseJsonLine(line, back, error), qPrintable(error)); }();
    return back;
}

} // namespace

class TestRecordFile : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void jsonLineHasTheDocumentedFieldsInOrder()
    {
        const QByteArray line = encode(Format::JsonLines, sample());
        QCOMPARE(line,
                 QByteArrayLiteral("{\"topic\":\"orders\",\"partition\":2,\"offset\":41,"
                                   "\"timestamp\":1700000000123,\"key\":\"id-1\","
                                   "\"value\":\"{\\\"total\\\": 12}\","
                                   "\"headers\":[{\"key\":\"source\",\"value\":\"web\"}]}\n"));
        // and it is JSON any parser reads
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(doc.object().value(QStringLiteral("value")).toString(),
                 QStringLiteral("{\"total\": 12}"));
    }

    void textRoundTrips()
    {
        Record r = sample();
        r.value =
            QByteArrayLiteral("line 1\nline 2\t\"quoted\" \\ back \x01\x1f and \xc3\xa9t\xc3\xa9 "
                              "\xe2\x82\xac \xf0\x9f\x98\x80");
        const QByteArray line = encode(Format::JsonLines, r);
        QVERIFY(!line.contains("valueEncoding")); // valid UTF-8 stays a string
        QCOMPARE(line.count('\n'), 1);            // one record, one line
        compareRecords(roundTrip(r), r);
    }

    void binaryRoundTripsAsBase64()
    {
        Record r = sample();
        QByteArray all;
        for (int i = 0; i < 256; ++i)
            all += char(i);
        r.key = QByteArray("\x00\xff\xfe", 3);
        r.value = all;
        r.headers = {{QByteArrayLiteral("trace"), QByteArray("\x80\x81", 2)},
                     {QByteArray("\xc0\xaf", 2), QByteArrayLiteral("overlong key")},
                     {QByteArrayLiteral("nul"), QByteArray("a\0b", 3)},
                     {QByteArrayLiteral("null value"), std::nullopt},
                     {QByteArrayLiteral("empty"), QByteArray("")}};
        const QByteArray line = encode(Format::JsonLines, r);
        QVERIFY(line.contains("\"keyEncoding\":\"base64\""));
        QVERIFY(line.contains("\"valueEncoding\":\"base64\""));
        QVERIFY(line.contains("\"value\":\"gIE=\",\"valueEncoding\":\"base64\""));
        QVERIFY(line.contains("\"key\":\"wK8=\",\"keyEncoding\":\"base64\""));
        QVERIFY(line.contains("\"value\":\"a\\u0000b\"")); // NUL is valid UTF-8: escaped
        QVERIFY(line.contains("{\"key\":\"null value\",\"value\":null}"));
        compareRecords(roundTrip(r), r);
    }

    void surrogatesAndInvalidSequencesAreBase64()
    {
        // CESU-style surrogate, truncated sequence, lone continuation byte: not exact UTF-8
        for (const QByteArray &bytes :
             {QByteArray("\xed\xa0\x80"), QByteArray("ab\xe2\x82"), QByteArray("\x80")}) {
            Record r;
            r.value = bytes;
            QVERIFY(encode(Format::JsonLines, r).contains("valueEncoding"));
            compareRecords(roundTrip(r), r);
        }
    }

    void nullKeyAndTombstone()
    {
        Record r;
        r.timestamp = 0;
        const QByteArray line = encode(Format::JsonLines, r);
        QCOMPARE(line, QByteArrayLiteral(
                           "{\"timestamp\":0,\"key\":null,\"value\":null,\"headers\":[]}\n"));
        compareRecords(roundTrip(r), r);
        // an empty key is not a null key
        r.key = QByteArray("");
        QVERIFY(encode(Format::JsonLines, r).contains("\"key\":\"\""));
        const Record back = roundTrip(r);
        QVERIFY(back.key.has_value());
        QVERIFY(back.key->isEmpty());
    }

    void largeNumbersKeepTheirPrecision()
    {
        Record r;
        r.value = QByteArray("v");
        r.offset = (qint64(1) << 53) + 1; // not representable as a double
        r.timestamp = 253402300799999;    // 9999-12-31
        r.partition = 2147483647;
        compareRecords(roundTrip(r), r);
    }

    void minimalLinesAreAccepted()
    {
        Record r;
        QString error;
        QVERIFY2(parseJsonLine("{\"value\":\"v\"}", r, error), qPrintable(error));
        QCOMPARE(*r.value, QByteArray("v"));
        QVERIFY(!r.key);
        QCOMPARE(r.partition, -1);
        QCOMPARE(r.timestamp, -1);
        QVERIFY(r.headers.isEmpty());
        QVERIFY2(parseJsonLine("{\"value\":\"djE=\",\"valueEncoding\":\"base64\",\"key\":\"k\","
                               "\"keyEncoding\":\"utf8\",\"headers\":null,\"partition\":null}",
                               r, error),
                 qPrintable(error));
        QCOMPARE(*r.value, QByteArray("v1"));
        QCOMPARE(*r.key, QByteArray("k"));
    }

    void malformedLines_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not json") << QByteArray("{\"value\":") << QStringLiteral("not JSON");
        QTest::newRow("array") << QByteArray("[1,2]") << QStringLiteral("not a JSON object");
        QTest::newRow("no value") << QByteArray("{\"key\":\"k\"}")
                                  << QStringLiteral("no \"value\"");
        QTest::newRow("misspelt field") << QByteArray("{\"value\":\"v\",\"timestmap\":1}")
                                        << QStringLiteral("unknown field \"timestmap\"");
        QTest::newRow("value number")
            << QByteArray("{\"value\":12}") << QStringLiteral("value must be a string or null");
        QTest::newRow("bad base64")
            << QByteArray("{\"value\":\"!!!\",\"valueEncoding\":\"base64\"}")
            << QStringLiteral("value is not valid base64");
        QTest::newRow("bad encoding") << QByteArray("{\"value\":\"v\",\"valueEncoding\":\"hex\"}")
                                      << QStringLiteral("valueEncoding must be");
        QTest::newRow("encoding of null")
            << QByteArray("{\"value\":null,\"valueEncoding\":\"base64\"}")
            << QStringLiteral("value is null but valueEncoding is given");
        QTest::newRow("negative partition") << QByteArray("{\"value\":\"v\",\"partition\":-1}")
                                            << QStringLiteral("partition must be a whole number");
        QTest::newRow("fractional timestamp") << QByteArray("{\"value\":\"v\",\"timestamp\":1.5}")
                                              << QStringLiteral("timestamp must be a whole number");
        QTest::newRow("timestamp text") << QByteArray("{\"value\":\"v\",\"timestamp\":\"now\"}")
                                        << QStringLiteral("timestamp must be a whole number");
        QTest::newRow("partition too big")
            << QByteArray("{\"value\":\"v\",\"partition\":2147483648}")
            << QStringLiteral("partition must be a whole number from 0 to 2147483647");
        QTest::newRow("headers object") << QByteArray("{\"value\":\"v\",\"headers\":{\"a\":\"b\"}}")
                                        << QStringLiteral("headers must be an array");
        QTest::newRow("header not object") << QByteArray("{\"value\":\"v\",\"headers\":[\"a\"]}")
                                           << QStringLiteral("header 1 must be an object");
        QTest::newRow("header null key")
            << QByteArray("{\"value\":\"v\",\"headers\":[{\"key\":null,\"value\":\"b\"}]}")
            << QStringLiteral("key must be a string in header 1");
        QTest::newRow("header unknown field")
            << QByteArray("{\"value\":\"v\",\"headers\":[{\"key\":\"a\",\"value\":\"b\",\"x\":1}]}")
            << QStringLiteral("unknown field \"x\" in header 1");
        QTest::newRow("header bad base64")
            << QByteArray("{\"value\":\"v\",\"headers\":[{\"key\":\"a\",\"value\":\"%\","
                          "\"valueEncoding\":\"base64\"}]}")
            << QStringLiteral("value is not valid base64 (valueEncoding says it is) in header 1");
        QTest::newRow("topic number") << QByteArray("{\"value\":\"v\",\"topic\":1}")
                                      << QStringLiteral("topic must be a string");
    }

    void malformedLines()
    {
        QFETCH(QByteArray, line);
        QFETCH(QString, expected);
        Record r;
        QString error;
        QVERIFY(!parseJsonLine(line, r, error));
        QVERIFY2(error.startsWith(expected), qPrintable(error));
    }

    void tooManyHeaders()
    {
        Limits limits;
        limits.maxHeaders = 2;
        Record r;
        QString error;
        QVERIFY(parseJsonLine("{\"value\":\"v\",\"headers\":[{\"key\":\"a\",\"value\":\"1\"},"
                              "{\"key\":\"b\",\"value\":\"2\"}]}",
                              r, error, limits));
        QVERIFY(!parseJsonLine("{\"value\":\"v\",\"headers\":[{\"key\":\"a\",\"value\":\"1\"},"
                               "{\"key\":\"b\",\"value\":\"2\"},{\"key\":\"c\",\"value\":\"3\"}]}",
                               r, error, limits));
        QCOMPARE(error, QStringLiteral("3 headers, more than the limit of 2"));
    }

    void readerCountsLinesAndSkipsBlankOnes()
    {
        QByteArray file = encode(Format::JsonLines, sample());
        file += "\r\n   \n";
        Record second = sample();
        second.offset = 42;
        QByteArray secondLine = encode(Format::JsonLines, second);
        secondLine.chop(1);
        file += secondLine + "\r\n";
        file += "{\"value\":\"last, no line end\"}";
        QBuffer buffer(&file);
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        JsonLinesReader reader(&buffer);
        Record r;
        QCOMPARE(reader.next(r), JsonLinesReader::Status::Record);
        QCOMPARE(reader.lineNumber(), 1);
        compareRecords(r, sample());
        QCOMPARE(reader.next(r), JsonLinesReader::Status::Record);
        QCOMPARE(reader.lineNumber(), 4);
        compareRecords(r, second);
        QCOMPARE(reader.next(r), JsonLinesReader::Status::Record);
        QCOMPARE(reader.lineNumber(), 5);
        QCOMPARE(*r.value, QByteArray("last, no line end"));
        QCOMPARE(reader.next(r), JsonLinesReader::Status::End);
    }

    void readerNamesTheBadLine()
    {
        QByteArray file =
            "{\"value\":\"a\"}\n{\"value\":\"b\"}\n{\"value\":\"c\",}\n{\"value\":\"d\"}\n";
        QBuffer buffer(&file);
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        JsonLinesReader reader(&buffer);
        Record r;
        QCOMPARE(reader.next(r), JsonLinesReader::Status::Record);
        QCOMPARE(reader.next(r), JsonLinesReader::Status::Record);
        QCOMPARE(reader.next(r), JsonLinesReader::Status::Error);
        QVERIFY2(reader.errorString().startsWith(QStringLiteral("line 3: not JSON: ")),
                 qPrintable(reader.errorString()));
        QCOMPARE(reader.next(r), JsonLinesReader::Status::Error); // reading stops there
    }

    void readerReadsLinesAcrossItsReadAhead()
    {
        // lines shorter and longer than the reader's 64 KiB chunks, from a file on disk
        QList<Record> written;
        QTemporaryFile file;
        QVERIFY(file.open());
        for (int i = 0; i < 40; ++i) {
            Record r;
            r.offset = i;
            r.value = QByteArray((i * 7919) % 150000 + 1, char('a' + i % 26));
            if (i % 5 == 0)
                r.key = QByteArray(3, char(0xff)); // base64
            written.append(r);
            file.write(encode(Format::JsonLines, r));
        }
        QVERIFY(file.seek(0));
        JsonLinesReader reader(&file);
        Record r;
        for (const Record &expected : written) {
            QCOMPARE(reader.next(r), JsonLinesReader::Status::Record);
            compareRecords(r, expected);
            QCOMPARE(reader.lineNumber(), expected.offset + 1);
        }
        QCOMPARE(reader.next(r), JsonLinesReader::Status::End);
    }

    void readerBoundsTheLineLength()
    {
        Limits limits;
        limits.maxLineBytes = 32;
        QByteArray fits = "{\"value\":\"" + QByteArray(20, 'x') + "\"}"; // 32 bytes
        QCOMPARE(fits.size(), 32);
        QByteArray file = fits + "\r\n" + "{\"value\":\"" + QByteArray(1000, 'y') + "\"}\n";
        QBuffer buffer(&file);
        QVERIFY(buffer.open(QIODevice::ReadOnly));
        JsonLinesReader reader(&buffer, limits);
        Record r;
        QCOMPARE(reader.next(r), JsonLinesReader::Status::Record);
        QCOMPARE(reader.next(r), JsonLinesReader::Status::Error);
        QCOMPARE(reader.errorString(), QStringLiteral("line 2: longer than the limit of 32 bytes"));
    }

    void csvQuotesPerRfc4180()
    {
        QCOMPARE(fileHeader(Format::Csv),
                 QByteArrayLiteral("topic,partition,offset,timestamp,time,key,keyEncoding,value,"
                                   "valueEncoding,headers\r\n"));
        QCOMPARE(fileHeader(Format::JsonLines), QByteArray());
        Record r = sample();
        r.value = QByteArrayLiteral("say \"hi\", then\r\nleave");
        QCOMPARE(
            encode(Format::Csv, r),
            QByteArrayLiteral("orders,2,41,1700000000123,2023-11-14T22:13:20.123Z,id-1,utf8,"
                              "\"say \"\"hi\"\", then\r\nleave\",utf8,"
                              "\"[{\"\"key\"\":\"\"source\"\",\"\"value\"\":\"\"web\"\"}]\"\r\n"));
        r.key.reset();
        r.value = QByteArray("\xff\x00", 2);
        r.headers.clear();
        QCOMPARE(encode(Format::Csv, r),
                 QByteArrayLiteral("orders,2,41,1700000000123,2023-11-14T22:13:20.123Z,,null,/wA=,"
                                   "base64,[]\r\n"));
    }

    void formatNames()
    {
        QCOMPARE(formatFromName(u"jsonl"), Format::JsonLines);
        QCOMPARE(formatFromName(u"csv"), Format::Csv);
        QVERIFY(!formatFromName(u"xml"));
    }
};

QTEST_GUILESS_MAIN(TestRecordFile)
#include "tst_recordfile.moc"
