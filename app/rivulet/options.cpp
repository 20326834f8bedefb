#include "options.h"

#include <QCommandLineParser>

namespace {

bool parseCount(const QString &text, long long min, long long max, long long &out)
{
    bool ok = false;
    out = text.toLongLong(&ok);
    return ok && out >= min && out <= max;
}

} // namespace

ParsedOptions parseOptions(const QStringList &arguments)
{
    ParsedOptions result;
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Rivulet: a local Kafka-style message broker with a live window into it.\n"
                       "Without --headless it opens the desktop window (or runs headless when "
                       "there is no display)."));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help and exit."));
    const QCommandLineOption version({QStringLiteral("v"), QStringLiteral("version")},
                                     QStringLiteral("Show the version and exit."));
    const QCommandLineOption headless(QStringLiteral("headless"),
                                      QStringLiteral("Run the broker without a window."));
    const QCommandLineOption port(
        QStringLiteral("port"),
        QStringLiteral("Native protocol port (default 8080; 0 picks a free one)."),
        QStringLiteral("N"));
    const QCommandLineOption listen(
        QStringLiteral("listen"),
        QStringLiteral("Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)."),
        QStringLiteral("ADDR"));
    const QCommandLineOption inMemory(
        QStringLiteral("in-memory"),
        QStringLiteral("Keep the log in memory only (the only storage so far)."));
    const QCommandLineOption workers(
        QStringLiteral("workers"),
        QStringLiteral("Worker threads for connections (default: one per core)."),
        QStringLiteral("N"));
    const QCommandLineOption maxRequest(
        QStringLiteral("max-request-bytes"),
        QStringLiteral("Largest request accepted (default 67108864 = 64 MiB)."),
        QStringLiteral("BYTES"));
    parser.addOptions({help, version, headless, port, listen, inMemory, workers, maxRequest});

    auto fail = [&](const QString &message) {
        result.action = ParsedOptions::Action::Exit;
        result.exitCode = 2;
        result.message = QStringLiteral("rivulet: %1\nTry 'rivulet --help' for the options.")
                             .arg(message);
        return result;
    };

    if (!parser.parse(arguments))
        return fail(parser.errorText());
    if (!parser.positionalArguments().isEmpty())
        return fail(QStringLiteral("unexpected argument '%1'")
                        .arg(parser.positionalArguments().first()));
    if (parser.isSet(help)) {
        result.action = ParsedOptions::Action::Exit;
        result.message = parser.helpText();
        return result;
    }
    if (parser.isSet(version)) {
        result.action = ParsedOptions::Action::Exit;
        result.message = QStringLiteral("rivulet %1").arg(QStringLiteral(RIVULET_VERSION));
        return result;
    }

    Options &o = result.options;
    o.headless = parser.isSet(headless);
    long long n = 0;
    if (parser.isSet(port)) {
        if (!parseCount(parser.value(port), 0, 65535, n))
            return fail(QStringLiteral("--port wants a number from 0 to 65535, not '%1'")
                            .arg(parser.value(port)));
        o.port = quint16(n);
    }
    if (parser.isSet(listen)) {
        QHostAddress address;
        const QString text = parser.value(listen);
        if (text == u"localhost")
            address = QHostAddress(QHostAddress::LocalHost);
        else if (!address.setAddress(text))
            return fail(QStringLiteral("--listen wants an IP address such as 127.0.0.1 or "
                                       "0.0.0.0, not '%1'")
                            .arg(text));
        o.listen = address;
    }
    if (parser.isSet(workers)) {
        if (!parseCount(parser.value(workers), 1, 256, n))
            return fail(QStringLiteral("--workers wants a number from 1 to 256, not '%1'")
                            .arg(parser.value(workers)));
        o.workers = int(n);
    }
    if (parser.isSet(maxRequest)) {
        if (!parseCount(parser.value(maxRequest), 1024, 1LL << 30, n))
            return fail(QStringLiteral("--max-request-bytes wants a number from 1024 to "
                                       "1073741824, not '%1'")
                            .arg(parser.value(maxRequest)));
        o.maxRequestBytes = std::size_t(n);
    }
    o.inMemory = true;
    return result;
}

bool noDisplayAvailable()
{
    return qEnvironmentVariableIsEmpty("DISPLAY") &&
           qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
           qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}
