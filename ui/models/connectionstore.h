#pragma once

#include <QAbstractListModel>
#include <QList>
#include <QString>

namespace rivulet {

struct KafkaSettings;

// A named way to reach a Kafka cluster, as the Connections dialog keeps it: its bootstrap
// servers and the path of a librdkafka properties file (security.protocol, sasl.*, ssl.*).
// Only the path is kept: the file itself holds sasl.password and the like, and is read when
// the connection is used.
struct SavedConnection
{
    QString name;
    QString bootstrap;  // HOST:PORT[,HOST:PORT…]; empty for the broker in this process
    QString configFile; // empty: no properties (PLAINTEXT)
    // "This machine's broker" when it is this process's own broker: no bootstrap, the window
    // already shows it.
    bool inProcess = false;

    friend bool operator==(const SavedConnection &, const SavedConnection &) = default;
};

// The connections the user keeps, in QSettings (group "connections": name, bootstrap and
// config file path of each; never a property's value), behind a fixed first entry,
// "This machine's broker". In a process that runs the embedded broker that entry is that
// broker (inProcess); in a `rivulet --connect` process, which runs none, it is the Kafka
// listener a Rivulet started on this machine would have: 127.0.0.1:9092. The first entry
// cannot be edited or removed. Names are unique (case-insensitively) and not empty.
class ConnectionStore : public QAbstractListModel
{
    Q_OBJECT
public:
    static constexpr const char *kSettingsGroup = "connections";
    static constexpr int kLocalRow = 0;

    enum Role
    {
        NameRole = Qt::UserRole + 1,
        BootstrapRole,
        ConfigFileRole,
        InProcessRole
    };

    // The first entry for a process that runs its own broker, and for one that does not.
    static SavedConnection inProcessBroker();
    static SavedConnection localListener();

    // Reads the kept connections from QSettings; local is the first entry.
    explicit ConnectionStore(SavedConnection local, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    const SavedConnection &at(int row) const { return m_connections.at(row); }
    int count() const { return int(m_connections.size()); }
    // The row of the connection with that name (case-insensitive), or -1.
    int find(const QString &name) const;
    bool isEditable(int row) const { return row > kLocalRow && row < count(); }

    // Adds a connection (saved at once) and gives its row, or -1 with error saying what is
    // wrong (no name, a name taken, a malformed bootstrap).
    int add(const SavedConnection &connection, QString &error);
    // Replaces the connection at row (not the first one) and saves.
    bool update(int row, const SavedConnection &connection, QString &error);
    // Removes the connection at row (not the first one) and saves.
    bool remove(int row);

private:
    QString problemWith(const SavedConnection &connection, int exceptRow) const;
    void save() const;

    QList<SavedConnection> m_connections; // the first is the local one, never saved
};

// The librdkafka settings for a connection: its bootstrap and the properties of its config
// file, read now (this reads a file: off the GUI thread). False with error when the file
// cannot be read or parsed; the error never quotes a property's value.
bool kafkaSettingsFor(const SavedConnection &connection, KafkaSettings &settings, QString &error);

} // namespace rivulet
