#pragma once

#include <QSslConfiguration>
#include <QString>

#include <optional>

namespace rivulet {

// --kafka-tls-client-auth, as Kafka's ssl.client.auth: whether a client must present a
// certificate signed by the --kafka-tls-ca authority.
enum class TlsClientAuth
{
    None,      // not asked for
    Requested, // asked for; a certificate that is given must verify
    Required   // a connection without a verified certificate is refused
};

// The TLS listeners' files (PEM).
struct TlsSettings
{
    QString certFile; // the server's certificate, optionally followed by its chain
    QString keyFile;  // its private key (RSA or EC, unencrypted)
    QString caFile;   // authorities that sign client certificates
    TlsClientAuth clientAuth = TlsClientAuth::None;

    bool isSet() const { return !certFile.isEmpty() || !keyFile.isEmpty(); }
};

QString tlsClientAuthName(TlsClientAuth a);
std::optional<TlsClientAuth> tlsClientAuthFromName(const QString &name);

// The server side configuration of QSslSocket for these settings; nullopt (error naming
// the file and what is wrong) when a file is missing or does not hold what it should.
std::optional<QSslConfiguration> makeTlsServerConfiguration(const TlsSettings &settings,
                                                            QString &error);

// "CN=client,O=Example": a certificate's subject as Kafka names an SSL principal ("User:" and this)
// (RFC 2253 order, most specific first).
QString certificateSubjectName(const QSslCertificate &certificate);

} // namespace rivulet
