#pragma once

// What the window tests share: a broker with a native listener on a free port and the
// window onto it, and helpers to find the dialogs it opens.

#include "broker.h"
#include "brokersource.h"
#include "consumersmodel.h"
#include "consumerspanel.h"
#include "mainwindow.h"
#include "messageinjector.h"
#include "server/server.h"
#include "timeouts.h"
#include "topicsmodel.h"
#include "topicspanel.h"

#include <QAbstractButton>
#include <QAbstractItemModel>
#include <QApplication>
#include <QElapsedTimer>
#include <QMessageBox>
#include <QTableWidget>
#include <QTest>
#include <QTreeView>

#include <memory>

namespace rivulet::testing {

using testsupport::kTimeoutMs; // how long a test waits for anything

struct Fixture
{
    explicit Fixture(BrokerConfig config = {})
        : broker(std::move(config)), source(broker), server(broker, 2)
    {
        broker.startHousekeeping();
        if (!server.start(QHostAddress::LocalHost, 0))
            qFatal("cannot listen: %s", qPrintable(server.errorString()));
        address = QStringLiteral("127.0.0.1:%1").arg(server.serverPort());
        window = std::make_unique<MainWindow>(source);
        window->addListener(server, broker.config().seedCompat);
        window->show();
    }
    ~Fixture()
    {
        window.reset();
        if (kafkaServer)
            kafkaServer->stop();
        server.stop();
        broker.shutdown();
    }
    quint16 port() const { return server.serverPort(); }

    // A Kafka listener on a free port too, shown by the window.
    Server &addKafkaListener()
    {
        kafka::KafkaConfig config;
        config.port = 0;
        kafkaServer = std::make_unique<Server>(broker, 1, config);
        if (!kafkaServer->start(QHostAddress::LocalHost, 0))
            qFatal("cannot listen: %s", qPrintable(kafkaServer->errorString()));
        window->addListener(*kafkaServer);
        return *kafkaServer;
    }

    Broker broker;
    BrokerSource source; // what the window shows
    Server server;
    QString address;
    std::unique_ptr<MainWindow> window;
    std::unique_ptr<Server> kafkaServer; // addKafkaListener()
};

// Creates topic with one partition per count and writes that many values ("x") to each;
// false if any did not take them all.
inline bool createFilledTopic(Broker &broker, const QString &topic, const QList<int> &counts)
{
    BrokerSource source(broker);
    if (!broker.createTopic(topic.toUtf8(), counts.size()).topic)
        return false;
    InjectRequest request;
    request.topic = topic;
    request.values = {"x"};
    InjectProgress progress;
    for (int partition = 0; partition < counts.size(); ++partition) {
        request.partition = partition;
        request.repeat = counts[partition];
        if (injectMessages(source, request, progress).written != counts[partition])
            return false;
    }
    return true;
}

// Types text over what field holds, as a user does: select all, then type (or delete).
inline void typeInto(QWidget *field, const QString &text)
{
    field->setFocus();
    QTest::keyClick(field, Qt::Key_A, Qt::ControlModifier);
    if (text.isEmpty())
        QTest::keyClick(field, Qt::Key_Delete);
    else
        QTest::keyClicks(field, text);
}

inline QString cell(const QAbstractItemModel *model, int row, int column,
                    const QModelIndex &parent = {})
{
    return model->data(model->index(row, column, parent)).toString();
}

// The topic's row's text in column of the topics model; empty when the topic is not there.
inline QString cellOf(const QAbstractItemModel *model, const QString &topic, int column)
{
    for (int row = 0; row < model->rowCount(); ++row)
        if (cell(model, row, TopicsModel::Name) == topic)
            return cell(model, row, column);
    return {};
}

// Selects the topic's row in the tree, as a click would.
inline void selectTopic(MainWindow &w, const QString &topic)
{
    QVERIFY(w.topicsPanel()->select(topic, -1));
    // shortcuts (Delete) reach only the active window
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    w.topicsPanel()->view()->setFocus();
}

// Opens the cell's editor with F2, types text over what it held and presses Enter.
inline void typeIntoCell(QTableWidget *table, int row, int column, const QString &text)
{
    table->window()->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(table->window()));
    table->setFocus();
    table->setCurrentCell(row, column);
    QTest::keyClick(table, Qt::Key_F2);
    QWidget *editor = QApplication::focusWidget();
    QVERIFY(editor && editor != table && table->isAncestorOf(editor));
    typeInto(editor, text);
    QTest::keyClick(editor, Qt::Key_Return);
    // the delegate commits by a queued call
    QTRY_COMPARE(table->item(row, column)->text(), text);
}

// The consumers row of consumer/topic/partition in the view's (sorted) model, or -1.
inline int consumerRow(const QAbstractItemModel *m, const QString &consumer, const QString &topic,
                       int partition)
{
    for (int row = 0; row < m->rowCount(); ++row)
        if (cell(m, row, ConsumersModel::Consumer) == consumer &&
            cell(m, row, ConsumersModel::Topic) == topic &&
            cell(m, row, ConsumersModel::Partition) == QString::number(partition))
            return row;
    return -1;
}

template <typename T> T *waitForDialog(QWidget *parent)
{
    T *dialog = nullptr;
    QElapsedTimer timer;
    timer.start();
    while (!(dialog = parent->findChild<T *>()) && timer.elapsed() < kTimeoutMs)
        QTest::qWait(10);
    return dialog;
}

// Waits for a message box on parent and clicks its button with that text; false if either
// never shows up.
inline bool answerMessageBox(QWidget *parent, const QString &button)
{
    auto *box = waitForDialog<QMessageBox>(parent);
    if (!box)
        return false;
    for (QAbstractButton *b : box->buttons())
        if (b->text() == button) {
            QTest::mouseClick(b, Qt::LeftButton);
            return true;
        }
    return false;
}

} // namespace rivulet::testing
