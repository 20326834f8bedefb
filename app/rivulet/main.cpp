#include "aboutdialog.h"
#include "appidentity.h"
#include "broker.h"
#include "brokersource.h"
#include "clusterwindows.h"
#include "mainwindow.h"
#include "options.h"
#include "security/userstore.h"
#include "server/descriptorlimit.h"
#include "server/server.h"
#include "unixsignals.h"

#include <QApplication>
#include <QCoreApplication>
#include <QCryptographicHash>
#include <QHostInfo>
#include <QMessageBox>

#include <csignal>
#include <cstdio>
#include <memory>

using namespace rivulet;

namespace {

// Stable for a data directory, so Kafka clients see the same cluster after a restart.
QByteArray clusterIdFor(const Broker &broker)
{
    if (!broker.isDurable())
        return QByteArrayLiteral("rivulet-in-memory");
    const QByteArray hash =
        QCryptographicHash::hash(broker.dataPath().toUtf8(), QCryptographicHash::Sha256);
    return "rivulet-" +
           hash.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals).left(16);
}

// The name a --connect window goes by: the saved connection with that bootstrap, if any.
QString connectionName(const QString &bootstrap)
{
    const ConnectionStore saved(ConnectionStore::localListener());
    for (int row = 1; row < saved.count(); ++row)
        if (saved.at(row).bootstrap == bootstrap)
            return saved.at(row).name;
    return bootstrap;
}

} // namespace

int main(int argc, char **argv)
{
    // Descriptors are for sockets and the segment pool (sized from this limit when first
    // used): take all the hard limit allows.
    raiseDescriptorLimit();
    // The window needs a QApplication before the command line can be parsed with Qt, so
    // decide on headless from the raw arguments first.
    bool headless = false;
    bool connect = false; // --connect: a window on a cluster, never headless
    for (int i = 1; i < argc; ++i) {
        headless |= qstrcmp(argv[i], "--headless") == 0;
        connect |= qstrcmp(argv[i], "--connect") == 0 || qstrncmp(argv[i], "--connect=", 10) == 0;
    }
    if (connect && !headless && noDisplayAvailable()) {
        std::fprintf(stderr, "rivulet: --connect opens a window, and there is no display "
                             "(DISPLAY and WAYLAND_DISPLAY are unset); rivulet-cli --bootstrap "
                             "works without one\n");
        return 2;
    }
    const bool fellBackToHeadless = !headless && !connect && noDisplayAvailable();
    headless |= fellBackToHeadless;

    std::unique_ptr<QCoreApplication> app = headless
                                                ? std::make_unique<QCoreApplication>(argc, argv)
                                                : std::make_unique<QApplication>(argc, argv);
    // settings in ~/.config/rivulet/rivulet.conf; data in ~/.local/share/rivulet (options.cpp)
    setApplicationIdentity();

    // before anything can print "ready": a SIGTERM right after it must stop us cleanly
    UnixSignals signals;
    QObject::connect(&signals, &UnixSignals::terminationRequested, app.get(),
                     [](int) { QCoreApplication::quit(); });

    const ParsedOptions parsed = parseOptions(QCoreApplication::arguments());
    if (parsed.action == ParsedOptions::Action::Exit) {
        std::fprintf(parsed.exitCode == 0 ? stdout : stderr, "%s\n", qPrintable(parsed.message));
        return parsed.exitCode;
    }
    const Options &options = parsed.options;
    if (fellBackToHeadless)
        std::fprintf(stderr, "rivulet: no display found (DISPLAY and WAYLAND_DISPLAY are unset); "
                             "running headless\n");

    if (options.connect) {
        // a window on another cluster: no broker, no listeners, no data directory here
        std::fprintf(
            stderr, "rivulet: connecting to %s%s\n", qPrintable(options.cluster.describe()),
            options.cluster.configFile.isEmpty()
                ? ""
                : qPrintable(
                      QStringLiteral(", properties from %1").arg(options.cluster.configFile)));
        const QString moved = migrateOldSettings();
        if (!moved.isEmpty())
            std::fprintf(stderr, "rivulet: %s\n", qPrintable(moved));
        QApplication::setWindowIcon(applicationIcon());
        ClusterWindows windows(ConnectionStore::localListener());
        QString error;
        if (!windows.open(options.cluster, connectionName(options.cluster.bootstrap), error)) {
            std::fprintf(stderr, "rivulet: %s\n", qPrintable(error));
            return 2;
        }
        const int rc = app->exec();
        std::fprintf(stderr, "rivulet: stopped\n");
        return rc;
    }

    // a write past RLIMIT_FSIZE must fail with EFBIG like a full disk, not kill the broker
    std::signal(SIGXFSZ, SIG_IGN);

    BrokerConfig config;
    if (options.maxRequestBytes > 0)
        config.maxRequestBytes = options.maxRequestBytes;
    config.log = options.log;
    config.maxConnections = options.maxConnections;
    if (options.maxMessageBytes > 0)
        config.maxMessageBytes = qsizetype(options.maxMessageBytes);
    config.defaultRetention = options.retention;
    config.seedCompat = options.seedCompat;
    config.requestTimeoutMs = options.requestTimeoutMs;
    config.idleTimeoutMs = options.idleTimeoutMs;
    config.maxQueuedReplyBytes = options.maxQueuedReplyBytes;
    config.maxBufferedBytes = options.maxBufferedBytes;
    config.fetchMaxBytes = std::int32_t(options.fetchMaxBytes);
    Broker broker(config);
    if (!options.inMemory) {
        QStringList notes;
        QString error;
        const bool opened = broker.openDataDir(options.dataDir, notes, error);
        for (const QString &note : notes)
            std::fprintf(stderr, "rivulet: %s\n", qPrintable(note));
        if (!opened) {
            std::fprintf(stderr, "rivulet: %s\n", qPrintable(error));
            // started from a desktop, nobody reads stderr: say it in a dialog too (not on
            // the offscreen and minimal platforms, which tests and scripts use)
            const QString platform = QGuiApplication::platformName();
            if (!headless && platform != u"offscreen" && platform != u"minimal")
                QMessageBox::critical(nullptr, QStringLiteral("Rivulet cannot start"), error);
            return 1;
        }
    }
    broker.startHousekeeping();
    for (const QString &note : options.notes)
        std::fprintf(stderr, "rivulet: %s\n", qPrintable(note));

    // what the SASL and TLS listeners need, checked before anything listens
    bool anySasl = false, anyTls = false;
    for (const KafkaListener &l : options.kafkaListeners) {
        anySasl |= usesSasl(l.security);
        anyTls |= usesTls(l.security);
    }
    std::shared_ptr<UserStore> users;
    if (anySasl) {
        users = std::make_shared<UserStore>(userfile::pathIn(broker.dataPath()));
        QString error;
        if (!users->load(error)) {
            std::fprintf(stderr, "rivulet: %s\n", qPrintable(error));
            return 1;
        }
        if (users->size() == 0)
            std::fprintf(stderr,
                         "rivulet: no SASL users in %s yet: nobody can log in to the SASL "
                         "listeners until 'rivulet-cli users add NAME --data-dir %s'\n",
                         qPrintable(users->path()), qPrintable(broker.dataPath()));
    }
    std::shared_ptr<const QSslConfiguration> tls;
    if (anyTls) {
        QString error;
        const auto config = makeTlsServerConfiguration(options.tls, error);
        if (!config) {
            std::fprintf(stderr, "rivulet: %s\n", qPrintable(error));
            return 1;
        }
        tls = std::make_shared<const QSslConfiguration>(*config);
    }

    Server server(broker, options.workers);
    const bool nativeUp = server.start(options.nativeListen, options.port);
    if (!nativeUp) {
        std::fprintf(stderr,
                     "rivulet: cannot listen on %s:%u: %s\n"
                     "Is another broker running there? Pick another port with --port N "
                     "(--port 0 picks a free one)%s.\n",
                     qPrintable(options.nativeListen.toString()), unsigned(options.port),
                     qPrintable(server.errorString()),
                     headless ? "" : ", or from the window's status bar");
        // the window says what is wrong and lets the user pick another port
        if (headless)
            return 1;
    }
    if (nativeUp && !options.nativeListen.isLoopback())
        std::fprintf(stderr,
                     "rivulet: WARNING: the native protocol listens on %s, open to anyone who "
                     "can reach it: it has no authentication (only the Kafka listeners have "
                     "SASL and TLS)\n",
                     qPrintable(options.nativeListen.toString()));

    // one Server per Kafka listener: each advertises its own address in Metadata
    std::vector<std::unique_ptr<Server>> kafkaServers;
    QStringList listenerNames;
    bool kafkaUp = true;
    for (const KafkaListener &listener : options.kafkaListeners) {
        kafka::KafkaConfig kafkaConfig;
        kafkaConfig.port = listener.port;
        kafkaConfig.autoCreateTopics = options.autoCreateTopics;
        kafkaConfig.defaultPartitions = options.defaultPartitions;
        kafkaConfig.advertisedHost = !options.advertisedHost.isEmpty() ? options.advertisedHost
                                     : listener.address == QHostAddress::Any ||
                                             listener.address == QHostAddress::AnyIPv4 ||
                                             listener.address == QHostAddress::AnyIPv6
                                         ? QHostInfo::localHostName()
                                         : listener.address.toString();
        kafkaConfig.clusterId = clusterIdFor(broker);
        kafkaConfig.security = listener.security;
        if (usesSasl(listener.security))
            kafkaConfig.users = users;
        if (usesTls(listener.security)) {
            kafkaConfig.tls = tls;
            kafkaConfig.tlsClientAuth = options.tls.clientAuth;
        }
        auto kafkaServer = std::make_unique<Server>(broker, options.workers, kafkaConfig);
        const QString name = securityProtocolName(listener.security);
        if (!kafkaServer->start(listener.address, listener.port)) {
            std::fprintf(stderr,
                         "rivulet: cannot listen for Kafka clients (%s) on %s:%u: %s\n"
                         "Is a Kafka broker running there? Pick another port with %s "
                         "(port 0 picks a free one).\n",
                         qPrintable(name), qPrintable(listener.address.toString()),
                         unsigned(listener.port), qPrintable(kafkaServer->errorString()),
                         listener.security == SecurityProtocol::Plaintext && kafkaServers.empty()
                             ? "--kafka-port N"
                             : "--kafka-listener");
            if (headless)
                return 1;
            kafkaUp = false;
        }
        listenerNames << QStringLiteral("%1://%2:%3")
                             .arg(name, kafkaServer->serverAddress().toString())
                             .arg(kafkaServer->serverPort());
        kafkaServers.push_back(std::move(kafkaServer));
    }
    const QString address =
        QStringLiteral("%1:%2").arg(server.serverAddress().toString()).arg(server.serverPort());
    const Server &firstKafka = *kafkaServers.front();
    const QString kafkaAddress = QStringLiteral("%1:%2")
                                     .arg(firstKafka.serverAddress().toString())
                                     .arg(firstKafka.serverPort());
    const QString storage = broker.isDurable()
                                ? QStringLiteral("data %1, fsync %2")
                                      .arg(broker.dataPath(), fsyncPolicyName(options.log.fsync))
                                : QStringLiteral("in-memory");
    if (nativeUp && kafkaUp) {
        // "kafka HOST:PORT" is the first listener; "listeners" names each with its security
        std::printf("rivulet %s ready: native %s kafka %s (%s, %d workers, cluster %s%s) "
                    "listeners %s\n",
                    RIVULET_VERSION, qPrintable(address), qPrintable(kafkaAddress),
                    qPrintable(storage), server.workerCount(), clusterIdFor(broker).constData(),
                    options.seedCompat ? ", seed-compat" : "",
                    qPrintable(listenerNames.join(u' ')));
        std::fflush(stdout);
    }

    BrokerSource source(broker);
    std::unique_ptr<MainWindow> window;
    std::unique_ptr<ClusterWindows> clusterWindows;
    if (!headless) {
        const QString moved = migrateOldSettings();
        if (!moved.isEmpty())
            std::fprintf(stderr, "rivulet: %s\n", qPrintable(moved));
        QApplication::setWindowIcon(applicationIcon());
        window = std::make_unique<MainWindow>(source);
        window->addListener(server, options.seedCompat);
        for (const auto &kafkaServer : kafkaServers)
            window->addListener(*kafkaServer);
        window->show();
        // Broker → Connect… opens each chosen cluster in a window of its own
        clusterWindows =
            std::make_unique<ClusterWindows>(ConnectionStore::inProcessBroker(), window.get());
    }
    const int rc = app->exec();
    clusterWindows.reset();
    window.reset();
    for (const auto &kafkaServer : kafkaServers)
        kafkaServer->stop();
    server.stop();
    broker.shutdown();
    std::fprintf(stderr, "rivulet: stopped\n");
    return rc;
}
