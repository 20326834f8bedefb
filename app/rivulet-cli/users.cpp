// rivulet-cli users add|remove|list: the SASL users of a data directory (DIR/users.json).
// Works on the files directly, with the broker running or not: a running broker reads the
// file again at the next authentication after it changes.
#include "args.h"
#include "commands.h"
#include "security/userstore.h"

#include <QFile>
#include <QStandardPaths>
#include <QTextStream>

#include <cstdio>
#include <sys/stat.h>

namespace cli {

namespace {

QString defaultDataDir()
{
    // the broker's default (app/rivulet/options.cpp)
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
           QStringLiteral("/rivulet");
}

// Without --password: one line of stdin (so a password never has to be on a command line).
bool readPassword(const Args &args, QByteArray &password, QString &error)
{
    if (args.values.contains(QStringLiteral("password"))) {
        password = args.values.value(QStringLiteral("password")).toUtf8();
    } else {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly)) {
            error = QStringLiteral("cannot read the password from stdin");
            return false;
        }
        password = in.readLine(64 << 10);
        while (password.endsWith('\n') || password.endsWith('\r'))
            password.chop(1);
    }
    if (password.isEmpty()) {
        error = QStringLiteral("the password is empty (give --password P or one line on stdin)");
        return false;
    }
    return true;
}

bool saveUsers(const QString &path, const std::vector<rivulet::SaslUser> &users, QString &error)
{
    // only the owner may read the credentials (they allow a dictionary attack)
    const mode_t old = ::umask(077);
    const bool ok = rivulet::userfile::save(path, users, error);
    ::umask(old);
    if (ok)
        QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner);
    return ok;
}

} // namespace

int users(const QStringList &arguments)
{
    const QString command = QStringLiteral("users");
    const Args args = parseArgs(arguments, {"data-dir", "password", "mechanism", "iterations"}, {});
    if (!args.error.isEmpty())
        return usage(command, args.error);
    if (args.positional.isEmpty())
        return usage(command, QStringLiteral("add, remove or list expected"));
    const QString action = args.positional.first();
    const QString dataDir = args.values.value(QStringLiteral("data-dir"), defaultDataDir());
    const QString path = rivulet::userfile::pathIn(dataDir);

    std::vector<rivulet::SaslUser> list;
    QString error;
    if (!rivulet::userfile::load(path, list, error)) {
        std::fprintf(stderr, "rivulet-cli users: %s\n", qPrintable(error));
        return BrokerError;
    }
    const auto find = [&](const QString &name) {
        return std::find_if(list.begin(), list.end(),
                            [&](const rivulet::SaslUser &u) { return u.name == name; });
    };

    if (action == u"list") {
        if (args.positional.size() != 1)
            return usage(command, QStringLiteral("list takes no names"));
        for (const rivulet::SaslUser &user : list) {
            QStringList mechanisms;
            for (const auto &[m, c] : user.credentials)
                mechanisms << QStringLiteral("%1 (%2 iterations)")
                                  .arg(QString::fromLatin1(rivulet::scram::mechanismName(m)))
                                  .arg(c.iterations);
            std::printf("%s\t%s\n", qPrintable(user.name), qPrintable(mechanisms.join(", ")));
        }
        return Ok;
    }
    if (args.positional.size() != 2)
        return usage(command, QStringLiteral("%1 wants one user name").arg(action));
    const QString name = args.positional[1];

    if (action == u"remove") {
        const auto it = find(name);
        if (it == list.end()) {
            std::fprintf(stderr, "rivulet-cli users: no user '%s' in %s\n", qPrintable(name),
                         qPrintable(path));
            return BrokerError;
        }
        list.erase(it);
        if (!saveUsers(path, list, error)) {
            std::fprintf(stderr, "rivulet-cli users: %s\n", qPrintable(error));
            return BrokerError;
        }
        std::printf("removed user %s from %s\n", qPrintable(name), qPrintable(path));
        return Ok;
    }
    if (action != u"add")
        return usage(command,
                     QStringLiteral("unknown action '%1' (add, remove, list)").arg(action));

    if (const QString problem = rivulet::userfile::nameProblem(name); !problem.isEmpty())
        return usage(command, problem);
    std::vector<rivulet::scram::Mechanism> mechanisms;
    const QString mechanism = args.values.value(QStringLiteral("mechanism"), QStringLiteral("all"));
    if (mechanism == u"all") {
        mechanisms = {rivulet::scram::Mechanism::Sha256, rivulet::scram::Mechanism::Sha512};
    } else if (const auto m = rivulet::scram::mechanismFromName(mechanism.toUpper().toLatin1())) {
        mechanisms = {*m};
    } else {
        return usage(command, QStringLiteral("--mechanism wants SCRAM-SHA-256, SCRAM-SHA-512 or "
                                             "all, not '%1'")
                                  .arg(mechanism));
    }
    qint64 iterations = rivulet::scram::kDefaultIterations;
    if (!number(args, QStringLiteral("iterations"), rivulet::scram::kMinIterations,
                rivulet::scram::kMaxIterations, iterations, error))
        return usage(command, error);
    if (!QFile::exists(dataDir)) {
        std::fprintf(stderr,
                     "rivulet-cli users: %s does not exist (start the broker on it once, "
                     "or create it)\n",
                     qPrintable(dataDir));
        return BrokerError;
    }
    QByteArray password;
    if (!readPassword(args, password, error))
        return usage(command, error);

    rivulet::SaslUser user;
    user.name = name;
    // PLAIN logins check against these too, so any one mechanism is enough
    for (const auto m : mechanisms)
        user.credentials[m] = rivulet::scram::makeCredential(m, password, int(iterations));
    const auto it = find(name);
    const bool existed = it != list.end();
    if (existed)
        *it = std::move(user);
    else
        list.push_back(std::move(user));
    if (!saveUsers(path, list, error)) {
        std::fprintf(stderr, "rivulet-cli users: %s\n", qPrintable(error));
        return BrokerError;
    }
    std::printf("%s user %s in %s\n", existed ? "updated" : "added", qPrintable(name),
                qPrintable(path));
    return Ok;
}

} // namespace cli
