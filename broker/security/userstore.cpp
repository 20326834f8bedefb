#include "userstore.h"

#include "log/fileio.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <sys/stat.h>

namespace rivulet {

namespace userfile {

namespace {

constexpr int kVersion = 1;
const scram::Mechanism kMechanisms[] = {scram::Mechanism::Sha256, scram::Mechanism::Sha512};

QByteArray base64Field(const QJsonObject &o, const char *key)
{
    return QByteArray::fromBase64(o.value(QLatin1String(key)).toString().toLatin1(),
                                  QByteArray::AbortOnBase64DecodingErrors);
}

} // namespace

QString pathIn(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("users.json"));
}

QString nameProblem(const QString &name)
{
    if (name.isEmpty())
        return QStringLiteral("a user name cannot be empty");
    if (name.size() > 255)
        return QStringLiteral("a user name has at most 255 characters");
    for (QChar c : name)
        if (c.category() == QChar::Other_Control)
            return QStringLiteral("a user name cannot hold control characters");
    return {};
}

bool load(const QString &path, std::vector<SaslUser> &users, QString &error)
{
    users.clear();
    if (!QFile::exists(path))
        return true;
    QByteArray bytes;
    if (!fileio::readFile(path, bytes, error))
        return false;
    const auto damaged = [&](const QString &what) {
        error = QStringLiteral("%1 is damaged (%2); fix it or remove it and add the users "
                               "again with rivulet-cli users add")
                    .arg(path, what);
        return false;
    };
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parseError);
    if (!doc.isObject())
        return damaged(parseError.errorString());
    const QJsonObject root = doc.object();
    if (root.value(QLatin1String("version")).toInt() != kVersion)
        return damaged(QStringLiteral("version %1 expected").arg(kVersion));
    const QJsonObject list = root.value(QLatin1String("users")).toObject();
    for (auto it = list.begin(); it != list.end(); ++it) {
        SaslUser user;
        user.name = it.key();
        if (!nameProblem(user.name).isEmpty())
            return damaged(QStringLiteral("bad user name '%1'").arg(user.name));
        const QJsonObject mechanisms = it.value().toObject();
        for (auto m = mechanisms.begin(); m != mechanisms.end(); ++m) {
            const auto mechanism = scram::mechanismFromName(m.key().toLatin1());
            if (!mechanism)
                return damaged(QStringLiteral("unknown mechanism %1").arg(m.key()));
            const QJsonObject o = m.value().toObject();
            scram::Credential c;
            c.salt = base64Field(o, "salt");
            c.iterations = o.value(QLatin1String("iterations")).toInt();
            c.storedKey = base64Field(o, "stored_key");
            c.serverKey = base64Field(o, "server_key");
            const int length = QCryptographicHash::hashLength(scram::algorithm(*mechanism));
            if (c.salt.isEmpty() || c.iterations < scram::kMinIterations ||
                c.iterations > scram::kMaxIterations || c.storedKey.size() != length ||
                c.serverKey.size() != length)
                return damaged(QStringLiteral("bad %1 credential of '%2'").arg(m.key(), user.name));
            user.credentials[*mechanism] = c;
        }
        if (user.credentials.empty())
            return damaged(QStringLiteral("'%1' has no credentials").arg(user.name));
        users.push_back(std::move(user));
    }
    return true;
}

bool save(const QString &path, const std::vector<SaslUser> &users, QString &error)
{
    QJsonObject list;
    for (const SaslUser &user : users) {
        QJsonObject mechanisms;
        for (const auto &[mechanism, c] : user.credentials) {
            QJsonObject o;
            o.insert(QLatin1String("salt"), QString::fromLatin1(c.salt.toBase64()));
            o.insert(QLatin1String("iterations"), c.iterations);
            o.insert(QLatin1String("stored_key"), QString::fromLatin1(c.storedKey.toBase64()));
            o.insert(QLatin1String("server_key"), QString::fromLatin1(c.serverKey.toBase64()));
            mechanisms.insert(QString::fromLatin1(scram::mechanismName(mechanism)), o);
        }
        list.insert(user.name, mechanisms);
    }
    QJsonObject root;
    root.insert(QLatin1String("version"), kVersion);
    root.insert(QLatin1String("users"), list);
    return fileio::writeFileAtomically(path, QJsonDocument(root).toJson(QJsonDocument::Indented),
                                       error);
}

} // namespace userfile

UserStore::UserStore(QString path) : m_path(std::move(path)) {}

UserStore::FileKey UserStore::currentKey() const
{
    struct stat st
    {
    };
    if (::stat(QFile::encodeName(m_path).constData(), &st) != 0)
        return {};
    return {true, std::uint64_t(st.st_ino), std::int64_t(st.st_size),
            std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

bool UserStore::load(QString &error)
{
    std::lock_guard lock(m_mutex);
    const FileKey key = currentKey();
    std::vector<SaslUser> users;
    if (!userfile::load(m_path, users, error))
        return false;
    m_users.clear();
    for (SaslUser &user : users)
        m_users[user.name] = std::move(user);
    m_key = key;
    m_loaded = true;
    return true;
}

void UserStore::refreshLocked()
{
    const FileKey key = currentKey();
    if (m_loaded && key == m_key)
        return;
    m_key = key; // a damaged file is reported once, not at every lookup
    m_loaded = true;
    std::vector<SaslUser> users;
    QString error;
    if (!userfile::load(m_path, users, error)) {
        qWarning("rivulet: %s; authenticating with the users read before", qPrintable(error));
        return;
    }
    m_users.clear();
    for (SaslUser &user : users)
        m_users[user.name] = std::move(user);
    qInfo("rivulet: read %zu SASL user%s from %s", m_users.size(), m_users.size() == 1 ? "" : "s",
          qPrintable(m_path));
}

std::size_t UserStore::size()
{
    std::lock_guard lock(m_mutex);
    refreshLocked();
    return m_users.size();
}

std::optional<SaslUser> UserStore::find(const QString &user)
{
    std::lock_guard lock(m_mutex);
    refreshLocked();
    const auto it = m_users.find(user);
    if (it == m_users.end())
        return std::nullopt;
    return it->second;
}

std::optional<scram::Credential> UserStore::credential(const QString &user, scram::Mechanism m)
{
    const auto found = find(user);
    if (!found)
        return std::nullopt;
    const auto it = found->credentials.find(m);
    if (it == found->credentials.end())
        return std::nullopt;
    return it->second;
}

bool UserStore::checkPassword(const QString &user, const QByteArray &password)
{
    // outside the lock: deriving the key takes milliseconds
    const auto found = find(user);
    if (!found || found->credentials.empty())
        return false;
    const auto &[mechanism, credential] = *found->credentials.begin();
    return scram::checkPassword(mechanism, credential, password);
}

} // namespace rivulet
