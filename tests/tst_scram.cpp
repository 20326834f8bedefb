// SCRAM and the SASL users file: RFC 7677's SCRAM-SHA-256 example byte for byte, a client
// written from RFC 5802 against the server for both mechanisms, refusals (wrong proof,
// unknown user, malformed messages), PLAIN against SCRAM credentials, and users.json:
// round trip, no password on disk, damaged files, and a running store picking up changes.
#include "security/saslserver.h"
#include "security/scram.h"
#include "security/userstore.h"

#include <QFile>
#include <QMessageAuthenticationCode>
#include <QPasswordDigestor>
#include <QTemporaryDir>
#include <QTest>

using namespace rivulet;
using scram::Mechanism;

namespace {

// The client side of RFC 5802, for driving the server.
struct Client
{
    Client(Mechanism m, QByteArray u, QByteArray p)
        : mechanism(m), user(std::move(u)), password(std::move(p))
    {
    }
    Mechanism mechanism;
    QByteArray user;
    QByteArray password;
    QByteArray nonce = "fyko+d2lbbFgONRv9qkxdawL";
    QByteArray clientFirstBare;
    QByteArray serverSignature;

    QByteArray first()
    {
        clientFirstBare = "n=" + user + ",r=" + nonce;
        return "n,," + clientFirstBare;
    }
    QByteArray final(const QByteArray &serverFirst)
    {
        const auto algo = scram::algorithm(mechanism);
        QByteArray combined, salt;
        int iterations = 0;
        for (const QByteArray &field : serverFirst.split(',')) {
            if (field.startsWith("r="))
                combined = field.mid(2);
            else if (field.startsWith("s="))
                salt = QByteArray::fromBase64(field.mid(2));
            else if (field.startsWith("i="))
                iterations = field.mid(2).toInt();
        }
        const QByteArray salted = QPasswordDigestor::deriveKeyPbkdf2(
            algo, password, salt, iterations, QCryptographicHash::hashLength(algo));
        const QByteArray clientKey = QMessageAuthenticationCode::hash("Client Key", salted, algo);
        const QByteArray storedKey = QCryptographicHash::hash(clientKey, algo);
        const QByteArray withoutProof = "c=biws,r=" + combined;
        const QByteArray authMessage = clientFirstBare + ',' + serverFirst + ',' + withoutProof;
        const QByteArray signature = QMessageAuthenticationCode::hash(authMessage, storedKey, algo);
        QByteArray proof = clientKey;
        for (qsizetype i = 0; i < proof.size(); ++i)
            proof[i] = char(proof[i] ^ signature[i]);
        const QByteArray serverKey = QMessageAuthenticationCode::hash("Server Key", salted, algo);
        serverSignature = QMessageAuthenticationCode::hash(authMessage, serverKey, algo);
        return withoutProof + ",p=" + proof.toBase64();
    }
};

scram::ServerExchange::Lookup single(const QString &name, const scram::Credential &credential)
{
    return [name, credential](const QString &user) -> std::optional<scram::Credential> {
        if (user == name)
            return credential;
        return std::nullopt;
    };
}

} // namespace

class TestScram : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void rfc7677Example()
    {
        // RFC 7677 section 3: user "user", password "pencil"
        const scram::Credential credential = scram::makeCredential(
            Mechanism::Sha256, "pencil", 4096, QByteArray::fromBase64("W22ZaJ0SNY7soEsUEjb6gQ=="));
        scram::ServerExchange server(Mechanism::Sha256, single(QStringLiteral("user"), credential),
                                     "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
        QByteArray reply;
        QCOMPARE(server.step("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", reply),
                 scram::ServerExchange::State::Continue);
        QCOMPARE(reply, QByteArray("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                                   "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
        QCOMPARE(server.step("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                             "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                             reply),
                 scram::ServerExchange::State::Done);
        QCOMPARE(reply, QByteArray("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="));
        QCOMPARE(server.user(), QStringLiteral("user"));
    }

    void wrongProofIsRefused()
    {
        const scram::Credential credential = scram::makeCredential(
            Mechanism::Sha256, "pencil", 4096, QByteArray::fromBase64("W22ZaJ0SNY7soEsUEjb6gQ=="));
        scram::ServerExchange server(Mechanism::Sha256, single(QStringLiteral("user"), credential),
                                     "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
        QByteArray reply;
        server.step("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", reply);
        // the example's proof with one character changed
        QCOMPARE(server.step("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                             "p=dHzcZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                             reply),
                 scram::ServerExchange::State::Failed);
        QVERIFY(reply.isEmpty());
        QVERIFY(!server.error().isEmpty());
    }

    void clientAgainstServer_data()
    {
        QTest::addColumn<int>("mechanism");
        QTest::addColumn<QByteArray>("password");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("sha256 right") << int(Mechanism::Sha256) << QByteArray("s3cret") << true;
        QTest::newRow("sha256 wrong") << int(Mechanism::Sha256) << QByteArray("s3cres") << false;
        QTest::newRow("sha512 right") << int(Mechanism::Sha512) << QByteArray("s3cret") << true;
        QTest::newRow("sha512 wrong") << int(Mechanism::Sha512) << QByteArray("") << false;
    }
    void clientAgainstServer()
    {
        QFETCH(int, mechanism);
        QFETCH(QByteArray, password);
        QFETCH(bool, accepted);
        const auto m = Mechanism(mechanism);
        const scram::Credential credential = scram::makeCredential(m, "s3cret", 4096);
        scram::ServerExchange server(m, single(QStringLiteral("alice"), credential));
        Client client(m, "alice", password);
        QByteArray serverFirst, serverFinal;
        QCOMPARE(server.step(client.first(), serverFirst), scram::ServerExchange::State::Continue);
        QVERIFY(serverFirst.startsWith("r=" + client.nonce));
        const auto state = server.step(client.final(serverFirst), serverFinal);
        QCOMPARE(state == scram::ServerExchange::State::Done, accepted);
        if (accepted)
            QCOMPARE(serverFinal, "v=" + client.serverSignature.toBase64());
    }

    void badClientMessages_data()
    {
        QTest::addColumn<QByteArray>("first");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("no gs2 header") << QByteArray("n=alice,r=abc");
        QTest::newRow("channel binding") << QByteArray("p=tls-unique,,n=alice,r=abc");
        QTest::newRow("bad flag") << QByteArray("x,,n=alice,r=abc");
        QTest::newRow("no nonce") << QByteArray("n,,n=alice");
        QTest::newRow("empty nonce") << QByteArray("n,,n=alice,r=");
        QTest::newRow("bad escape") << QByteArray("n,,n=al=2Xice,r=abc");
        QTest::newRow("other authzid") << QByteArray("n,a=bob,n=alice,r=abc");
        QTest::newRow("unknown user") << QByteArray("n,,n=mallory,r=abc");
        QTest::newRow("token auth") << QByteArray("n,,n=alice,r=abc,tokenauth=true");
        QTest::newRow("binary") << QByteArray("n,,n=alice,r=\x01\x02", 15);
    }
    void badClientMessages()
    {
        QFETCH(QByteArray, first);
        scram::ServerExchange server(
            Mechanism::Sha256,
            single(QStringLiteral("alice"), scram::makeCredential(Mechanism::Sha256, "pw", 4096)));
        QByteArray reply;
        QCOMPARE(server.step(first, reply), scram::ServerExchange::State::Failed);
        QVERIFY(!server.error().isEmpty());
        // nothing more is accepted after a failure
        QCOMPARE(server.step("c=biws,r=x,p=AAAA", reply), scram::ServerExchange::State::Failed);
    }

    void badFinalMessages_data()
    {
        QTest::addColumn<QByteArray>("final");
        QTest::newRow("no proof") << QByteArray("c=biws,r=NONCE");
        QTest::newRow("other nonce") << QByteArray("c=biws,r=abcX,p=AAAA");
        QTest::newRow("other binding") << QByteArray("c=eSws,r=NONCE,p=AAAA");
        QTest::newRow("short proof") << QByteArray("c=biws,r=NONCE,p=AAAA");
        QTest::newRow("garbage") << QByteArray("\xff\xfe,p=", 5);
    }
    void badFinalMessages()
    {
        QFETCH(QByteArray, final);
        scram::ServerExchange server(
            Mechanism::Sha256,
            single(QStringLiteral("alice"), scram::makeCredential(Mechanism::Sha256, "pw", 4096)),
            "SERVER");
        QByteArray reply;
        QCOMPARE(server.step("n,,n=alice,r=abc", reply), scram::ServerExchange::State::Continue);
        final.replace("NONCE", "abcSERVER");
        QCOMPARE(server.step(final, reply), scram::ServerExchange::State::Failed);
    }

    void usersFileHoldsNoPassword()
    {
        QTemporaryDir dir;
        const QString path = userfile::pathIn(dir.path());
        SaslUser alice{QStringLiteral("alice"), {}};
        alice.credentials[Mechanism::Sha256] =
            scram::makeCredential(Mechanism::Sha256, "correct-horse", 4096);
        alice.credentials[Mechanism::Sha512] =
            scram::makeCredential(Mechanism::Sha512, "correct-horse", 8192);
        QString error;
        QVERIFY2(userfile::save(path, {alice}, error), qPrintable(error));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        QVERIFY(!bytes.contains("correct-horse"));
        QVERIFY(!bytes.contains(QByteArray("correct-horse").toBase64()));
        QVERIFY(bytes.contains("stored_key"));

        std::vector<SaslUser> loaded;
        QVERIFY2(userfile::load(path, loaded, error), qPrintable(error));
        QCOMPARE(loaded.size(), std::size_t(1));
        QCOMPARE(loaded[0].name, QStringLiteral("alice"));
        QCOMPARE(loaded[0].credentials.size(), std::size_t(2));
        QCOMPARE(loaded[0].credentials[Mechanism::Sha512].iterations, 8192);
        QCOMPARE(loaded[0].credentials[Mechanism::Sha256].storedKey,
                 alice.credentials[Mechanism::Sha256].storedKey);
        QVERIFY(scram::checkPassword(Mechanism::Sha512, loaded[0].credentials[Mechanism::Sha512],
                                     "correct-horse"));
        QVERIFY(!scram::checkPassword(Mechanism::Sha512, loaded[0].credentials[Mechanism::Sha512],
                                      "correct-hors"));
    }

    void damagedUsersFile_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::newRow("not json") << QByteArray("{\"version\": 1, \"users\": ");
        QTest::newRow("wrong version") << QByteArray("{\"version\": 7, \"users\": {}}");
        QTest::newRow("no credentials") << QByteArray("{\"version\": 1, \"users\": {\"a\": {}}}");
        QTest::newRow("unknown mechanism")
            << QByteArray("{\"version\": 1, \"users\": {\"a\": {\"MD5\": {}}}}");
        QTest::newRow("short key") << QByteArray(
            "{\"version\": 1, \"users\": {\"a\": {\"SCRAM-SHA-256\": {\"salt\": \"AAAA\", "
            "\"iterations\": 4096, \"stored_key\": \"AAAA\", \"server_key\": \"AAAA\"}}}}");
        QTest::newRow("few iterations") << QByteArray(
            "{\"version\": 1, \"users\": {\"a\": {\"SCRAM-SHA-256\": {\"salt\": \"AAAA\", "
            "\"iterations\": 10, \"stored_key\": "
            "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\", \"server_key\": "
            "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}}}}");
    }
    void damagedUsersFile()
    {
        QFETCH(QByteArray, content);
        QTemporaryDir dir;
        const QString path = userfile::pathIn(dir.path());
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(content);
        file.close();
        std::vector<SaslUser> users;
        QString error;
        QVERIFY(!userfile::load(path, users, error));
        QVERIFY2(error.contains(path), qPrintable(error));
        UserStore store(path);
        QVERIFY(!store.load(error));
    }

    void storeSeesChangesAndPlainChecksThem()
    {
        QTemporaryDir dir;
        const QString path = userfile::pathIn(dir.path());
        auto store = std::make_shared<UserStore>(path);
        QString error;
        QVERIFY(store->load(error)); // no file yet: no users
        QCOMPARE(store->size(), std::size_t(0));

        SaslUser bob{QStringLiteral("bob"), {}};
        bob.credentials[Mechanism::Sha512] = scram::makeCredential(Mechanism::Sha512, "one", 4096);
        QVERIFY(userfile::save(path, {bob}, error));
        QVERIFY(store->checkPassword(QStringLiteral("bob"), "one"));
        QVERIFY(!store->checkPassword(QStringLiteral("bob"), "two"));
        QVERIFY(!store->credential(QStringLiteral("bob"), Mechanism::Sha256));

        // a new password, written as the CLI does (a new file renamed over the old one)
        bob.credentials[Mechanism::Sha512] = scram::makeCredential(Mechanism::Sha512, "two", 4096);
        QVERIFY(userfile::save(path, {bob}, error));
        QVERIFY(store->checkPassword(QStringLiteral("bob"), "two"));
        QVERIFY(!store->checkPassword(QStringLiteral("bob"), "one"));

        SaslServer plain(store);
        QVERIFY(plain.begin("PLAIN"));
        QByteArray reply;
        QCOMPARE(plain.step(QByteArray("\0bob\0two", 8), reply), SaslServer::Result::Authenticated);
        QCOMPARE(plain.user(), QStringLiteral("bob"));

        SaslServer wrong(store);
        QVERIFY(wrong.begin("PLAIN"));
        QCOMPARE(wrong.step(QByteArray("\0bob\0one", 8), reply), SaslServer::Result::Failed);
        QCOMPARE(wrong.error(),
                 QStringLiteral("Authentication failed: Invalid username or password"));

        SaslServer malformed(store);
        QVERIFY(malformed.begin("PLAIN"));
        QCOMPARE(malformed.step("bob", reply), SaslServer::Result::Failed);

        SaslServer other(store);
        QVERIFY(!other.begin("GSSAPI"));
        QVERIFY(other.begin("SCRAM-SHA-512"));

        // removed from the file: refused from then on
        QVERIFY(userfile::save(path, {}, error));
        QVERIFY(!store->checkPassword(QStringLiteral("bob"), "two"));
    }
};

QTEST_GUILESS_MAIN(TestScram)
#include "tst_scram.moc"
