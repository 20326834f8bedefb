#include "bench.h"
#include "commands.h"
#include "kafkasettings.h"
#include "server/descriptorlimit.h"

#include <QCoreApplication>
#include <QHash>

#include <cstdio>

namespace {

const char kUsage[] =
    "Usage: rivulet-cli [--host H] [--port N] COMMAND [options]\n"
    "       rivulet-cli --bootstrap HOST:PORT [--kafka-config FILE] COMMAND [options]\n"
    "\n"
    "Talks to a Rivulet broker over its native protocol (default 127.0.0.1:8080);\n"
    "export and import use its Kafka listener (--bootstrap, default 127.0.0.1:9092).\n"
    "With --bootstrap before the command, topics, consumers (consumer groups, their\n"
    "state, committed offsets, lag and members), create, delete, retention, produce,\n"
    "consume, export and import work on any Kafka cluster (Rivulet's Kafka listener,\n"
    "Kafka, Redpanda...) through librdkafka; consume then reads without a group and\n"
    "commits nothing (no --consumer). FILE holds librdkafka properties\n"
    "(security.protocol, sasl.mechanism, sasl.username, ssl.ca.location...).\n"
    "\n"
    "Commands:\n"
    "  create TOPIC [--partitions N] [--retention-ms MS] [--retention-bytes B]\n"
    "                                     create a topic (default 1 partition, keep all)\n"
    "  delete TOPIC                       delete a topic and its data\n"
    "  retention TOPIC [--ms MS] [--bytes B]\n"
    "                                     change what a topic keeps (-1: everything)\n"
    "  produce TOPIC [--partition P] [--batch B] [VALUE...]\n"
    "                                     send the VALUEs, or one message per line of stdin\n"
    "  consume TOPIC [--partition P] [--offset O] [--count N] [--follow]\n"
    "                [--consumer ID] [--format FMT]\n"
    "                                     print messages, one per line; FMT may use\n"
    "                                     %o offset, %v value, %p partition, %t topic\n"
    "                                     (default \"%v\")\n"
    "  topics                             list topics, partitions and offsets\n"
    "  consumers                          list consumer positions and lag\n"
    "  export TOPIC [--partition P] [--from-offset O | --from-timestamp MS]\n"
    "         [--count N] [--format jsonl|csv] [--output FILE] [--bootstrap HOST:PORT]\n"
    "         [--kafka-config FILE]\n"
    "                                     write records with their keys, headers and\n"
    "                                     timestamps (default: all partitions, from the\n"
    "                                     oldest to the end offsets at start, JSON Lines\n"
    "                                     to stdout)\n"
    "  import TOPIC [--partition P] [--bootstrap HOST:PORT] [--kafka-config FILE]\n"
    "         [FILE|-]\n"
    "                                     produce the records of a JSON Lines file (as\n"
    "                                     export writes it; default stdin), keys, headers\n"
    "                                     and timestamps kept, each to its partition\n"
    "                                     unless --partition; checks the whole file first\n"
    "  bench [--producers N] [--consumers N] [--partitions N] [--messages N]\n"
    "        [--size B | --seed-values] [--batch N] [--inflight N] [--limit N]\n"
    "        [--rate MSGS] [--sequential] [--seed-workload] [--in-memory]\n"
    "        [--fsync never|interval|always] [--data-dir D] [--keep-data]\n"
    "        [--idle-connections N] [--json FILE] [--recovery [--runs N]]\n"
    "        [--partition-scale N]\n"
    "                                     drive a broker with producers and consumers,\n"
    "                                     verify every message, print msgs/s, MB/s,\n"
    "                                     latency, broker CPU per message and RSS;\n"
    "                                     without --port it starts its own broker;\n"
    "                                     --idle-connections holds N silent connections\n"
    "                                     open to the broker while the load runs\n"
    "  users add NAME [--password P] [--mechanism SCRAM-SHA-256|SCRAM-SHA-512|all]\n"
    "        [--iterations N] [--data-dir DIR]\n"
    "                                     add a SASL user (or change its password) in\n"
    "                                     DIR/users.json: salted SCRAM credentials, never\n"
    "                                     the password; without --password it reads one\n"
    "                                     line of stdin (default: all mechanisms, 4096\n"
    "                                     iterations, the broker's default data dir)\n"
    "  users remove NAME [--data-dir DIR] remove a SASL user\n"
    "  users list [--data-dir DIR]        list the SASL users and their mechanisms\n"
    "  tls init DIR [--days N] [--force]  write a self-signed authority (ca.pem), a\n"
    "                                     server certificate for localhost, 127.0.0.1\n"
    "                                     and ::1 (server.pem/.key) and a client one\n"
    "                                     (client.pem/.key); prints the settings to use\n"
    "\n"
    "Exit status: 0 ok, 1 the broker refused the request, 2 bad command line (or a\n"
    "bad file to import: nothing was sent), 3 broker (or cluster) not reachable.\n";

int usageError(const QString &message)
{
    std::fprintf(stderr, "rivulet-cli: %s\nTry 'rivulet-cli --help'.\n", qPrintable(message));
    return cli::Usage;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    // the bench may hold thousands of connections (--idle-connections)
    rivulet::raiseDescriptorLimit();
    QStringList args = QCoreApplication::arguments().mid(1);
    cli::Target target;
    bool portGiven = false;
    QString bootstrap;   // --bootstrap: a Kafka cluster instead of the native protocol
    QString kafkaConfig; // --kafka-config: its librdkafka properties

    while (!args.isEmpty() && args.first().startsWith(u'-')) {
        const QString option = args.takeFirst();
        if (option == u"--help" || option == u"-h") {
            std::fputs(kUsage, stdout);
            return cli::Ok;
        }
        if (option == u"--version") {
            std::printf("rivulet-cli %s\n", RIVULET_VERSION);
            return cli::Ok;
        }
        if (option == u"--bootstrap" || option == u"--kafka-config") {
            if (args.isEmpty())
                return usageError(QStringLiteral("%1 needs a value").arg(option));
            (option == u"--bootstrap" ? bootstrap : kafkaConfig) = args.takeFirst();
            continue;
        }
        if (option != u"--host" && option != u"--port")
            return usageError(QStringLiteral("unknown option '%1'").arg(option));
        if (args.isEmpty())
            return usageError(QStringLiteral("%1 needs a value").arg(option));
        const QString value = args.takeFirst();
        if (option == u"--host") {
            target.host = value;
        } else {
            bool ok = false;
            const uint port = value.toUInt(&ok);
            if (!ok || port == 0 || port > 65535)
                return usageError(
                    QStringLiteral("--port wants a number from 1 to 65535, not '%1'").arg(value));
            target.port = quint16(port);
            portGiven = true;
        }
    }
    if (args.isEmpty()) {
        std::fputs(kUsage, stderr);
        return cli::Usage;
    }
    const QString command = args.takeFirst();
    if (!bootstrap.isEmpty() || !kafkaConfig.isEmpty()) {
        if (command == u"export" || command == u"import") {
            // their own --bootstrap and --kafka-config, given before the command
            if (!kafkaConfig.isEmpty())
                args = QStringList{QStringLiteral("--kafka-config"), kafkaConfig} + args;
            if (!bootstrap.isEmpty())
                args = QStringList{QStringLiteral("--bootstrap"), bootstrap} + args;
            return command == u"export" ? cli::exportTopic(args) : cli::importTopic(args);
        }
        using ClusterCommand = int (*)(const rivulet::KafkaSettings &, const QStringList &);
        const QHash<QString, ClusterCommand> clusterCommands = {
            {QStringLiteral("topics"), cli::clusterTopics},
            {QStringLiteral("consumers"), cli::clusterConsumers},
            {QStringLiteral("create"), cli::clusterCreate},
            {QStringLiteral("delete"), cli::clusterDelete},
            {QStringLiteral("retention"), cli::clusterRetention},
            {QStringLiteral("produce"), cli::clusterProduce},
            {QStringLiteral("consume"), cli::clusterConsume},
        };
        const ClusterCommand run = clusterCommands.value(command);
        if (!run)
            return usageError(QStringLiteral("%1 does not take --bootstrap (topics, consumers, "
                                             "create, delete, retention, produce, consume, "
                                             "export and import do)")
                                  .arg(command));
        rivulet::KafkaSettings settings;
        settings.bootstrap = bootstrap;
        if (QString error;
            !kafkaConfig.isEmpty() && !rivulet::loadKafkaConfig(kafkaConfig, settings, error))
            return usageError(error);
        if (settings.bootstrap.isEmpty())
            return usageError(QStringLiteral("--kafka-config names no bootstrap.servers; give "
                                             "--bootstrap HOST:PORT"));
        return run(settings, args);
    }
    if (command == u"create")
        return cli::create(target, args);
    if (command == u"produce")
        return cli::produce(target, args);
    if (command == u"consume")
        return cli::consume(target, args);
    if (command == u"delete")
        return cli::remove(target, args);
    if (command == u"retention")
        return cli::retention(target, args);
    if (command == u"topics")
        return cli::topics(target, args);
    if (command == u"consumers")
        return cli::consumers(target, args);
    if (command == u"export")
        return cli::exportTopic(args);
    if (command == u"import")
        return cli::importTopic(args);
    if (command == u"users")
        return cli::users(args);
    if (command == u"tls")
        return cli::tls(args);
    if (command == u"bench")
        return cli::runBench(target.host, target.port, portGiven, args);
    if (command == u"help") {
        std::fputs(kUsage, stdout);
        return cli::Ok;
    }
    return usageError(QStringLiteral("unknown command '%1'").arg(command));
}
