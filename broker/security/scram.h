#pragma once

#include <QByteArray>
#include <QCryptographicHash>
#include <QString>

#include <functional>
#include <optional>

// SCRAM (RFC 5802, with SHA-256/SHA-512 as RFC 7677 and Kafka's KIP-84 use them): the
// stored credential of a user and the server side of one exchange.
namespace rivulet::scram {

enum class Mechanism
{
    Sha256,
    Sha512
};

// "SCRAM-SHA-256" / "SCRAM-SHA-512".
QByteArray mechanismName(Mechanism m);
std::optional<Mechanism> mechanismFromName(QByteArrayView name);
QCryptographicHash::Algorithm algorithm(Mechanism m);

// Kafka's bounds on the iteration count (ScramMechanism.minIterations/maxIterations).
constexpr int kMinIterations = 4096;
constexpr int kMaxIterations = 16384;
constexpr int kDefaultIterations = 4096;

// What is stored for a user: never the password, only what verifies a proof of it.
struct Credential
{
    QByteArray salt;
    int iterations = 0;
    QByteArray storedKey; // H(HMAC(SaltedPassword, "Client Key"))
    QByteArray serverKey; // HMAC(SaltedPassword, "Server Key")
};

// The credential for password with the given salt (a fresh random one when empty).
Credential makeCredential(Mechanism m, const QByteArray &password, int iterations,
                          QByteArray salt = {});
// True when password is the one credential was made from (PLAIN uses this).
bool checkPassword(Mechanism m, const Credential &credential, const QByteArray &password);
// Equal contents, in time that does not depend on where they differ.
bool equalConstantTime(const QByteArray &a, const QByteArray &b);
// Random bytes from the system's cryptographic source.
QByteArray randomBytes(int n);

// The server side of one SCRAM exchange: client-first -> server-first, client-final ->
// server-final. Any failure ends the exchange; error() says why, for the client.
class ServerExchange
{
public:
    // Finds a user's credential for this mechanism; nullopt when there is none.
    using Lookup = std::function<std::optional<Credential>(const QString &user)>;

    // serverNonce: for tests (RFC 7677's example); empty means a random one.
    ServerExchange(Mechanism m, Lookup lookup, QByteArray serverNonce = {});

    enum class State
    {
        Continue, // send the reply, expect the client's next message
        Done,     // send the reply; the client is authenticated as user()
        Failed    // refuse with error()
    };
    State step(const QByteArray &clientMessage, QByteArray &reply);
    const QString &user() const { return m_user; }
    const QString &error() const { return m_error; }

private:
    State clientFirst(const QByteArray &message, QByteArray &reply);
    State clientFinal(const QByteArray &message, QByteArray &reply);
    State fail(const QString &why);

    Mechanism m_mechanism;
    Lookup m_lookup;
    QByteArray m_serverNonce;
    int m_stage = 0;
    QString m_user;
    QString m_error;
    Credential m_credential;
    QByteArray m_gs2Header;
    QByteArray m_nonce; // client's + server's
    QByteArray m_clientFirstBare;
    QByteArray m_serverFirst;
};

} // namespace rivulet::scram
