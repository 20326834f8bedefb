#include "kafkasettings.h"

#include <QFile>

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
