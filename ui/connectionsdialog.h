#pragma once

#include "connectionstore.h"

#include <QDialog>

#include <cstdint>

class QLabel;
class QLineEdit;
class QListView;
class QPushButton;

namespace rivulet {

// File → Connect…: the named connections to Kafka clusters (ConnectionStore), with "This
// machine's broker" first. The user picks one, or types a new one (name, bootstrap servers,
// librdkafka properties file) and saves it; Test asks the cluster for its metadata off the
// GUI thread, within a bounded time, and says "reachable: N brokers, M topics" or what went
// wrong; Connect hands the connection on (connectRequested) and closes the dialog. What the
// form holds is what Test and Connect use, saved or not.
class ConnectionsDialog : public QDialog
{
    Q_OBJECT
public:
    static constexpr int kDefaultTestTimeoutMs = 10000;

    // local: the first entry (ConnectionStore::inProcessBroker() in a process that runs its
    // own broker, localListener() in a --connect one). The saved connections are read from
    // QSettings now and written back at each change.
    explicit ConnectionsDialog(SavedConnection local, QWidget *parent = nullptr);

    ConnectionStore &store() { return m_store; }

    // The connection the form describes now (the first entry's own when it is selected).
    SavedConnection formConnection() const;
    // Selects row and shows it in the form.
    void select(int row);
    int selectedRow() const;
    void setTestTimeoutMs(int ms) { m_testTimeoutMs = ms; }
    bool testRunning() const { return m_testSequence != m_answeredSequence; }

    QListView *list() const { return m_list; }
    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *bootstrapEdit() const { return m_bootstrap; }
    QLineEdit *configFileEdit() const { return m_configFile; }
    QPushButton *newButton() const { return m_new; }
    QPushButton *saveButton() const { return m_save; }
    QPushButton *removeButton() const { return m_remove; }
    QPushButton *testButton() const { return m_test; }
    QPushButton *connectButton() const { return m_connect; }
    // What Test found, or what is wrong with the form.
    QLabel *resultLabel() const { return m_result; }

public Q_SLOTS:
    void startNew();
    void saveForm();
    void removeSelected();
    void testConnection();
    void connectToSelected();

Q_SIGNALS:
    // The user chose to open this connection.
    void connectRequested(const rivulet::SavedConnection &connection);
    // Test finished: reachable or not, and the text shown.
    void testFinished(bool reachable, const QString &text);

private:
    void showRow(int row);
    void updateButtons();
    void browseConfigFile();
    void showResult(const QString &text, bool problem);

    ConnectionStore m_store;
    QListView *m_list;
    QLineEdit *m_name;
    QLineEdit *m_bootstrap;
    QLineEdit *m_configFile;
    QPushButton *m_browse;
    QPushButton *m_new;
    QPushButton *m_save;
    QPushButton *m_remove;
    QPushButton *m_test;
    QPushButton *m_connect;
    QLabel *m_result;
    int m_testTimeoutMs = kDefaultTestTimeoutMs;
    std::uint64_t m_testSequence = 0;
    std::uint64_t m_answeredSequence = 0;
};

} // namespace rivulet
