#pragma once

#include "scram.h"

#include <QString>

#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace rivulet {

// A user who may authenticate with SASL: SCRAM credentials per mechanism, never a password.
struct SaslUser
{
    QString name;
    std::map<scram::Mechanism, scram::Credential> credentials;
};

// DIR/users.json, the SASL users of a data directory:
//   {"version": 1, "users": {"alice": {"SCRAM-SHA-256": {"salt": B64, "iterations": 4096,
//     "stored_key": B64, "server_key": B64}, "SCRAM-SHA-512": {...}}}}
// rivulet-cli users add/remove writes it atomically; the broker reads it.
namespace userfile {
QString pathIn(const QString &dataDir);
// A missing file is no users (true); a damaged one is false with error naming the file.
bool load(const QString &path, std::vector<SaslUser> &users, QString &error);
bool save(const QString &path, const std::vector<SaslUser> &users, QString &error);
// What is wrong with a user name, for the user; empty when it is fine.
QString nameProblem(const QString &name);
} // namespace userfile

// The broker's view of the users file. Every lookup first checks (one stat) whether the
// file changed and reads it again if so, so that `rivulet-cli users add/remove` takes effect
// for the next authentication without a restart. A file that became unreadable or damaged
// keeps the last good users and is reported once. Thread-safe.
class UserStore
{
public:
    explicit UserStore(QString path);

    // Reads the file now; false (error says why) when it is damaged.
    bool load(QString &error);
    const QString &path() const { return m_path; }
    std::size_t size();
    std::optional<scram::Credential> credential(const QString &user, scram::Mechanism m);
    // PLAIN: the password against any of the user's SCRAM credentials.
    bool checkPassword(const QString &user, const QByteArray &password);

private:
    struct FileKey
    {
        bool exists = false;
        std::uint64_t inode = 0;
        std::int64_t size = 0;
        std::int64_t mtimeNs = 0;
        bool operator==(const FileKey &) const = default;
    };
    FileKey currentKey() const;
    void refreshLocked();
    std::optional<SaslUser> find(const QString &user);

    const QString m_path;
    std::mutex m_mutex;
    FileKey m_key;
    bool m_loaded = false;
    std::map<QString, SaslUser> m_users;
};

} // namespace rivulet
