#include "kafkasettings.h"

#include <QFile>
#include <QRegularExpression>

namespace rivulet {

bool isSecretProperty(const QByteArray &name)
{
    const QByteArray n = name.toLower();
    return n.contains("password") || n.contains("secret") || n.endsWith(".pem") ||
           n.contains("key.pem") || n == "sasl.oauthbearer.config" || n.contains("token");
}

QString KafkaSettings::describe() const
{
    QString protocol = QStringLiteral("PLAINTEXT");
    QString user;
    for (const auto &[name, value] : properties) {
        if (name == "security.protocol")
            protocol = QString::fromUtf8(value).toUpper();
        else if (name == "sasl.username")
            user = QString::fromUtf8(value);
    }
    QString text = QStringLiteral("%1 (%2").arg(bootstrap, protocol);
    if (!user.isEmpty())
        text += QStringLiteral(", user %1").arg(user);
    return text + QLatin1Char(')');
}

QString bootstrapProblem(const QString &bootstrap)
{
    const QString wants = QStringLiteral("the bootstrap wants HOST:PORT[,HOST:PORT…], not '%1'");
    if (bootstrap.trimmed().isEmpty())
        return QStringLiteral("the bootstrap wants HOST:PORT[,HOST:PORT…] (e.g. 127.0.0.1:9092)");
    for (const QString &part : bootstrap.split(u',')) {
        const QString server = part.trimmed();
        const qsizetype colon = server.lastIndexOf(u':');
        if (colon <= 0)
            return wants.arg(bootstrap) + QStringLiteral(": '%1' has no port").arg(server);
        QString host = server.left(colon);
        if (host.startsWith(u'[') && host.endsWith(u']'))
            host = host.mid(1, host.size() - 2);
        else if (host.contains(u':'))
            return wants.arg(bootstrap) +
                   QStringLiteral(": an IPv6 host goes in brackets, [%1]:PORT").arg(host);
        if (host.isEmpty() || host.contains(QRegularExpression(QStringLiteral("[\\s/@]"))))
            return wants.arg(bootstrap) + QStringLiteral(": '%1' is not a host").arg(host);
        bool ok = false;
        const uint port = server.mid(colon + 1).toUInt(&ok);
        if (!ok || port < 1 || port > 65535)
            return wants.arg(bootstrap) +
                   QStringLiteral(": the port of '%1' is not a number from 1 to 65535").arg(server);
    }
    return {};
}

bool loadKafkaConfig(const QString &path, KafkaSettings &settings, QString &error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        error = QStringLiteral("cannot read the Kafka client configuration %1: %2")
                    .arg(path, file.errorString());
        return false;
    }
    QList<std::pair<QByteArray, QByteArray>> properties;
    int lineNumber = 0;
    while (!file.atEnd()) {
        ++lineNumber;
        const QByteArray line = file.readLine().trimmed();
        if (line.isEmpty() || line.startsWith('#') || line.startsWith('!'))
            continue;
        qsizetype at = line.indexOf('=');
        const qsizetype colon = line.indexOf(':');
        if (at < 0 || (colon >= 0 && colon < at))
            at = colon;
        const QByteArray name = at < 0 ? QByteArray() : line.left(at).trimmed();
        if (name.isEmpty()) {
            error = QStringLiteral("%1 line %2: expected 'name=value' (a librdkafka property, "
                                   "such as security.protocol=SASL_SSL)")
                        .arg(path)
                        .arg(lineNumber);
            return false;
        }
        const QByteArray value = line.mid(at + 1).trimmed();
        if (name == "bootstrap.servers") {
            if (settings.bootstrap.isEmpty())
                settings.bootstrap = QString::fromUtf8(value);
            continue;
        }
        properties.append({name, value});
    }
    settings.configFile = path;
    settings.properties = properties;
    return true;
}

} // namespace rivulet
