#pragma once

#include <QHash>
#include <QSet>
#include <QStringList>

// The command line of one rivulet-cli command: its options and positional arguments.
namespace cli {

struct Args
{
    QStringList positional;
    QHash<QString, QString> values;
    QSet<QString> flags;
    QString error;
};

// --name VALUE, --name=VALUE, --flag, and "--" to end options (for values that start with '-').
Args parseArgs(const QStringList &args, const QStringList &valueOptions,
               const QStringList &flagOptions);

// Prints "rivulet-cli COMMAND: MESSAGE" and the hint to --help; returns the Usage exit code.
int usage(const QString &command, const QString &message);

// Reads a whole number option within [min, max] into out; false (with message) otherwise.
bool number(const Args &args, const QString &name, qint64 min, qint64 max, qint64 &out,
            QString &error);

} // namespace cli
