#include "args.h"

#include "commands.h"

#include <cstdio>

namespace cli {

// --name VALUE, --name=VALUE, --flag, and "--" to end options (for values that start with '-').
Args parseArgs(const QStringList &args, const QStringList &valueOptions,
               const QStringList &flagOptions)
{
    Args out;
    bool optionsEnded = false;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &arg = args[i];
        if (optionsEnded || !arg.startsWith(u"--")) {
            out.positional << arg;
            continue;
        }
        if (arg == u"--") {
            optionsEnded = true;
            continue;
        }
        QString name = arg.mid(2);
        QString value;
        const qsizetype eq = name.indexOf(u'=');
        const bool inlineValue = eq >= 0;
        if (inlineValue) {
            value = name.mid(eq + 1);
            name = name.left(eq);
        }
        if (flagOptions.contains(name) && !inlineValue) {
            out.flags.insert(name);
        } else if (valueOptions.contains(name)) {
            if (!inlineValue) {
                if (i + 1 >= args.size()) {
                    out.error = QStringLiteral("--%1 needs a value").arg(name);
                    return out;
                }
                value = args[++i];
            }
            out.values.insert(name, value);
        } else {
            out.error = QStringLiteral("unknown option '--%1'").arg(name);
            return out;
        }
    }
    return out;
}

int usage(const QString &command, const QString &message)
{
    std::fprintf(stderr, "rivulet-cli %s: %s\nTry 'rivulet-cli --help'.\n", qPrintable(command),
                 qPrintable(message));
    return Usage;
}

// Reads a whole number option within [min, max] into out; false (with message) otherwise.
bool number(const Args &args, const QString &name, qint64 min, qint64 max, qint64 &out,
            QString &error)
{
    if (!args.values.contains(name))
        return true;
    bool ok = false;
    const qint64 v = args.values.value(name).toLongLong(&ok);
    if (!ok || v < min || v > max) {
        error = QStringLiteral("--%1 wants a whole number from %2 to %3, not '%4'")
                    .arg(name)
                    .arg(min)
                    .arg(max)
                    .arg(args.values.value(name));
        return false;
    }
    out = v;
    return true;
}

} // namespace cli
