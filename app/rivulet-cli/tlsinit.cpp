// rivulet-cli tls init DIR: a self-signed authority and, signed by it, a server certificate
// for localhost/127.0.0.1/::1 and a client certificate, for trying TLS listeners locally.
// OpenSSL's libcrypto makes them (the broker itself uses Qt's TLS).
#include "args.h"
#include "commands.h"

#include <QDir>
#include <QFile>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <sys/stat.h>

namespace cli {

namespace {

struct Free
{
    void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
    void operator()(X509 *p) const { X509_free(p); }
    void operator()(BIO *p) const { BIO_free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Cert = std::unique_ptr<X509, Free>;

bool addExtension(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext)
        return false;
    const bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

// A certificate for key, named commonName, signed by issuerKey (issuer null: self-signed).
Cert makeCertificate(EVP_PKEY *key, const char *commonName, X509 *issuer, EVP_PKEY *issuerKey,
                     int days, const std::vector<std::pair<int, const char *>> &extensions)
{
    Cert cert(X509_new());
    if (!cert)
        return nullptr;
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1)
        return nullptr;
    serial[0] &= 0x7f; // positive
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, nullptr);
    const bool serialOk = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_NAME *name = X509_get_subject_name(cert.get());
    if (!serialOk || X509_set_version(cert.get(), 2) != 1 ||
        !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(cert.get()), long(days) * 24 * 3600) ||
        X509_set_pubkey(cert.get(), key) != 1 ||
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char *>("Rivulet"), -1, -1,
                                   0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char *>(commonName), -1, -1,
                                   0) != 1 ||
        X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name) != 1)
        return nullptr;
    X509 *signer = issuer ? issuer : cert.get();
    for (const auto &[nid, value] : extensions)
        if (!addExtension(cert.get(), signer, nid, value))
            return nullptr;
    if (X509_sign(cert.get(), issuer ? issuerKey : key, EVP_sha256()) == 0)
        return nullptr;
    return cert;
}

bool writePem(const QString &path, EVP_PKEY *key, X509 *cert, QString &error)
{
    // private keys: owner only, from the start
    const mode_t old = ::umask(key ? 077 : 022);
    std::unique_ptr<BIO, Free> bio(BIO_new_file(QFile::encodeName(path).constData(), "w"));
    ::umask(old);
    bool ok = bio != nullptr;
    if (ok && key)
        ok = PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (ok && cert)
        ok = PEM_write_bio_X509(bio.get(), cert) == 1;
    if (!ok)
        error = QStringLiteral("cannot write %1").arg(path);
    return ok;
}

} // namespace

int tls(const QStringList &arguments)
{
    const QString command = QStringLiteral("tls");
    const Args args = parseArgs(arguments, {"days"}, {"force"});
    if (!args.error.isEmpty())
        return usage(command, args.error);
    if (args.positional.size() != 2 || args.positional[0] != u"init")
        return usage(command, QStringLiteral("tls init DIR expected"));
    qint64 days = 825;
    QString error;
    if (!number(args, QStringLiteral("days"), 1, 36500, days, error))
        return usage(command, error);
    const QDir dir(args.positional[1]);
    if (!QDir().mkpath(dir.path())) {
        std::fprintf(stderr, "rivulet-cli tls: cannot create %s\n", qPrintable(dir.path()));
        return BrokerError;
    }
    const QStringList files{"ca.pem",     "ca.key",     "server.pem",
                            "server.key", "client.pem", "client.key"};
    if (!args.flags.contains(QStringLiteral("force")))
        for (const QString &file : files)
            if (dir.exists(file)) {
                std::fprintf(stderr, "rivulet-cli tls: %s exists; --force replaces it\n",
                             qPrintable(dir.filePath(file)));
                return BrokerError;
            }

    const Key caKey(EVP_RSA_gen(2048));
    const Key serverKey(EVP_RSA_gen(2048));
    const Key clientKey(EVP_RSA_gen(2048));
    if (!caKey || !serverKey || !clientKey) {
        std::fprintf(stderr, "rivulet-cli tls: cannot generate RSA keys\n");
        return BrokerError;
    }
    const Cert ca = makeCertificate(caKey.get(), "Rivulet local CA", nullptr, nullptr, int(days),
                                    {{NID_basic_constraints, "critical,CA:TRUE"},
                                     {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                     {NID_subject_key_identifier, "hash"}});
    const Cert server =
        ca ? makeCertificate(serverKey.get(), "localhost", ca.get(), caKey.get(), int(days),
                             {{NID_basic_constraints, "critical,CA:FALSE"},
                              {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                              {NID_ext_key_usage, "serverAuth"},
                              {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"},
                              {NID_authority_key_identifier, "keyid"}})
           : nullptr;
    const Cert client =
        ca ? makeCertificate(clientKey.get(), "rivulet-client", ca.get(), caKey.get(), int(days),
                             {{NID_basic_constraints, "critical,CA:FALSE"},
                              {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                              {NID_ext_key_usage, "clientAuth"},
                              {NID_authority_key_identifier, "keyid"}})
           : nullptr;
    if (!server || !client) {
        std::fprintf(stderr, "rivulet-cli tls: cannot make the certificates\n");
        return BrokerError;
    }
    const QString d = QDir::cleanPath(dir.absolutePath());
    if (!writePem(d + "/ca.pem", nullptr, ca.get(), error) ||
        !writePem(d + "/ca.key", caKey.get(), nullptr, error) ||
        !writePem(d + "/server.pem", nullptr, server.get(), error) ||
        !writePem(d + "/server.key", serverKey.get(), nullptr, error) ||
        !writePem(d + "/client.pem", nullptr, client.get(), error) ||
        !writePem(d + "/client.key", clientKey.get(), nullptr, error)) {
        std::fprintf(stderr, "rivulet-cli tls: %s\n", qPrintable(error));
        return BrokerError;
    }
    // QString::arg, since ISO C++ printf has no positional arguments
    const QString settings =
        QStringLiteral(
            "wrote %1/ca.pem (authority), server.pem/server.key (localhost, 127.0.0.1, ::1) and\n"
            "client.pem/client.key (CN=rivulet-client), valid %2 days; keep ca.key private\n"
            "\n"
            "Broker:\n"
            "  rivulet --kafka-listener SSL://127.0.0.1:9093 --kafka-tls-cert %1/server.pem \\\n"
            "          --kafka-tls-key %1/server.key\n"
            "  with client certificates: --kafka-tls-ca %1/ca.pem --kafka-tls-client-auth "
            "required\n"
            "\n"
            "Clients (add the certificate lines only with client certificates):\n"
            "  kcat / librdkafka: -X security.protocol=ssl -X ssl.ca.location=%1/ca.pem\n"
            "      -X ssl.certificate.location=%1/client.pem -X ssl.key.location=%1/client.key\n"
            "  confluent-kafka: {'security.protocol': 'SSL', 'ssl.ca.location': '%1/ca.pem',\n"
            "      'ssl.certificate.location': '%1/client.pem', 'ssl.key.location': "
            "'%1/client.key'}\n"
            "  kafkajs: ssl: { ca: [fs.readFileSync('%1/ca.pem')],\n"
            "      cert: fs.readFileSync('%1/client.pem'), key: "
            "fs.readFileSync('%1/client.key') }\n"
            "  Java: security.protocol=SSL ssl.truststore.type=PEM "
            "ssl.truststore.location=%1/ca.pem\n"
            "      ssl.keystore.type=PEM ssl.keystore.location=<client.key and client.pem in one "
            "file>\n")
            .arg(d, QString::number(days));
    std::fputs(qPrintable(settings), stdout);
    return Ok;
}

} // namespace cli
