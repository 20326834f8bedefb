#include "connectionstore.h"

#include "kafkasettings.h"

#include <QSettings>

namespace rivulet {

namespace {

const QString kName = QStringLiteral("name");
const QString kBootstrap = QStringLiteral("bootstrap");
const QString kConfigFile = QStringLiteral("configFile");
const QString kList = QStringLiteral("list");

} // namespace

SavedConnection ConnectionStore::inProcessBroker()
{
    SavedConnection c;
    c.name = tr("This machine's broker");
    c.inProcess = true;
    return c;
}

SavedConnection ConnectionStore::localListener()
{
    SavedConnection c;
    c.name = tr("This machine's broker");
    c.bootstrap = QStringLiteral("127.0.0.1:9092"); // Rivulet's default Kafka port
    return c;
}

ConnectionStore::ConnectionStore(SavedConnection local, QObject *parent)
    : QAbstractListModel(parent)
{
    m_connections.append(std::move(local));
    QSettings s;
    s.beginGroup(QLatin1String(kSettingsGroup));
    const int size = s.beginReadArray(kList);
    for (int i = 0; i < size; ++i) {
        s.setArrayIndex(i);
        SavedConnection c;
        c.name = s.value(kName).toString().trimmed();
        c.bootstrap = s.value(kBootstrap).toString().trimmed();
        c.configFile = s.value(kConfigFile).toString().trimmed();
        // a hand-edited file may hold anything: keep only what could have been saved
        if (problemWith(c, -1).isEmpty())
            m_connections.append(c);
    }
    s.endArray();
    s.endGroup();
}

int ConnectionStore::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_connections.size());
}

QVariant ConnectionStore::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const SavedConnection &c = m_connections.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return c.inProcess ? c.name : QStringLiteral("%1 — %2").arg(c.name, c.bootstrap);
    case Qt::ToolTipRole:
        if (c.inProcess)
            return tr("The broker running in this process");
        return c.configFile.isEmpty() ? c.bootstrap
                                      : tr("%1, properties from %2").arg(c.bootstrap, c.configFile);
    case NameRole:
        return c.name;
    case BootstrapRole:
        return c.bootstrap;
    case ConfigFileRole:
        return c.configFile;
    case InProcessRole:
        return c.inProcess;
    default:
        return {};
    }
}

QHash<int, QByteArray> ConnectionStore::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(NameRole, "name");
    names.insert(BootstrapRole, "bootstrap");
    names.insert(ConfigFileRole, "configFile");
    names.insert(InProcessRole, "inProcess");
    return names;
}

int ConnectionStore::find(const QString &name) const
{
    for (int row = 0; row < count(); ++row)
        if (m_connections.at(row).name.compare(name.trimmed(), Qt::CaseInsensitive) == 0)
            return row;
    return -1;
}

QString ConnectionStore::problemWith(const SavedConnection &c, int exceptRow) const
{
    if (c.inProcess)
        return tr("only the first entry is this process's broker");
    if (c.name.trimmed().isEmpty())
        return tr("the connection needs a name");
    const int same = find(c.name);
    if (same >= 0 && same != exceptRow)
        return tr("there is a connection named '%1' already").arg(m_connections.at(same).name);
    return bootstrapProblem(c.bootstrap);
}

int ConnectionStore::add(const SavedConnection &connection, QString &error)
{
    SavedConnection c = connection;
    c.name = c.name.trimmed();
    c.bootstrap = c.bootstrap.trimmed();
    c.configFile = c.configFile.trimmed();
    error = problemWith(c, -1);
    if (!error.isEmpty())
        return -1;
    const int row = count();
    beginInsertRows({}, row, row);
    m_connections.append(c);
    endInsertRows();
    save();
    return row;
}

bool ConnectionStore::update(int row, const SavedConnection &connection, QString &error)
{
    if (!isEditable(row)) {
        error = tr("this entry cannot be changed");
        return false;
    }
    SavedConnection c = connection;
    c.name = c.name.trimmed();
    c.bootstrap = c.bootstrap.trimmed();
    c.configFile = c.configFile.trimmed();
    error = problemWith(c, row);
    if (!error.isEmpty())
        return false;
    m_connections[row] = c;
    Q_EMIT dataChanged(index(row), index(row));
    save();
    return true;
}

bool ConnectionStore::remove(int row)
{
    if (!isEditable(row))
        return false;
    beginRemoveRows({}, row, row);
    m_connections.removeAt(row);
    endRemoveRows();
    save();
    return true;
}

void ConnectionStore::save() const
{
    QSettings s;
    s.beginGroup(QLatin1String(kSettingsGroup));
    s.remove(QString()); // the whole group: a shorter list leaves no stale entries behind
    s.beginWriteArray(kList, count() - 1);
    for (int row = 1; row < count(); ++row) {
        const SavedConnection &c = m_connections.at(row);
        s.setArrayIndex(row - 1);
        // the path of the properties file only: its values (passwords) stay in the file
        s.setValue(kName, c.name);
        s.setValue(kBootstrap, c.bootstrap);
        s.setValue(kConfigFile, c.configFile);
    }
    s.endArray();
    s.endGroup();
}

bool kafkaSettingsFor(const SavedConnection &connection, KafkaSettings &settings, QString &error)
{
    if (connection.inProcess) {
        error =
            QObject::tr("%1 is this process's broker, not a Kafka connection").arg(connection.name);
        return false;
    }
    KafkaSettings s;
    s.bootstrap = connection.bootstrap;
    if (!connection.configFile.isEmpty() && !loadKafkaConfig(connection.configFile, s, error))
        return false;
    error = bootstrapProblem(s.bootstrap);
    if (!error.isEmpty())
        return false;
    settings = std::move(s);
    return true;
}

} // namespace rivulet
