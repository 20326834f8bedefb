#include "tlssettings.h"

#include <QFile>
#include <QSslKey>
#include <QSslSocket>

namespace rivulet {

QString tlsClientAuthName(TlsClientAuth a)
{
    switch (a) {
    case TlsClientAuth::None:
        return QStringLiteral("none");
    case TlsClientAuth::Requested:
        return QStringLiteral("requested");
    case TlsClientAuth::Required:
        return QStringLiteral("required");
    }
    return {};
}

std::optional<TlsClientAuth> tlsClientAuthFromName(const QString &name)
{
    for (auto a : {TlsClientAuth::None, TlsClientAuth::Requested, TlsClientAuth::Required})
        if (name == tlsClientAuthName(a))
            return a;
    return std::nullopt;
}

std::optional<QSslConfiguration> makeTlsServerConfiguration(const TlsSettings &settings,
                                                            QString &error)
{
    if (!QSslSocket::supportsSsl()) {
        error = QStringLiteral("TLS is not available: Qt's OpenSSL backend (Debian's "
                               "libqt6network6) or libssl3 is missing");
        return std::nullopt;
    }
    if (settings.certFile.isEmpty() || settings.keyFile.isEmpty()) {
        error = QStringLiteral("a TLS listener needs --kafka-tls-cert and --kafka-tls-key "
                               "(rivulet-cli tls init DIR makes a pair for local use)");
        return std::nullopt;
    }
    const QList<QSslCertificate> chain = QSslCertificate::fromPath(
        settings.certFile, QSsl::Pem, QSslCertificate::PatternSyntax::FixedString);
    if (chain.isEmpty()) {
        error = QStringLiteral("--kafka-tls-cert %1 holds no PEM certificate (or cannot be read)")
                    .arg(settings.certFile);
        return std::nullopt;
    }
    QFile keyFile(settings.keyFile);
    if (!keyFile.open(QIODevice::ReadOnly)) {
        error = QStringLiteral("--kafka-tls-key %1 cannot be read: %2")
                    .arg(settings.keyFile, keyFile.errorString());
        return std::nullopt;
    }
    const QByteArray keyBytes = keyFile.read(1 << 20);
    QSslKey key;
    for (auto algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        key = QSslKey(keyBytes, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (key.isNull()) {
        error = QStringLiteral("--kafka-tls-key %1 holds no unencrypted PEM private key")
                    .arg(settings.keyFile);
        return std::nullopt;
    }
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setProtocol(QSsl::TlsV1_2OrLater);
    config.setLocalCertificateChain(chain);
    config.setPrivateKey(key);
    if (!settings.caFile.isEmpty()) {
        const QList<QSslCertificate> cas = QSslCertificate::fromPath(
            settings.caFile, QSsl::Pem, QSslCertificate::PatternSyntax::FixedString);
        if (cas.isEmpty()) {
            error = QStringLiteral("--kafka-tls-ca %1 holds no PEM certificate (or cannot be read)")
                        .arg(settings.caFile);
            return std::nullopt;
        }
        config.setCaCertificates(cas);
    } else if (settings.clientAuth != TlsClientAuth::None) {
        error = QStringLiteral("--kafka-tls-client-auth %1 needs --kafka-tls-ca, the authority "
                               "that signs client certificates")
                    .arg(tlsClientAuthName(settings.clientAuth));
        return std::nullopt;
    }
    switch (settings.clientAuth) {
    case TlsClientAuth::None:
        config.setPeerVerifyMode(QSslSocket::VerifyNone);
        break;
    case TlsClientAuth::Requested:
        // verified like required, but TlsSession lets the one error "no certificate" pass
        // (QueryPeer would accept a certificate that does not verify)
    case TlsClientAuth::Required:
        config.setPeerVerifyMode(QSslSocket::VerifyPeer);
        break;
    }
    return config;
}

QString certificateSubjectName(const QSslCertificate &certificate)
{
    static const std::pair<QSslCertificate::SubjectInfo, const char *> kParts[] = {
        {QSslCertificate::CommonName, "CN"},
        {QSslCertificate::OrganizationalUnitName, "OU"},
        {QSslCertificate::Organization, "O"},
        {QSslCertificate::LocalityName, "L"},
        {QSslCertificate::StateOrProvinceName, "ST"},
        {QSslCertificate::CountryName, "C"}};
    QStringList parts;
    for (const auto &[info, name] : kParts)
        for (const QString &value : certificate.subjectInfo(info))
            parts << QLatin1String(name) + u'=' + value;
    return parts.join(u',');
}

} // namespace rivulet
