#include "topicrules.h"

namespace rivulet {

QString topicNameProblem(QByteArrayView name)
{
    if (name.isEmpty())
        return QStringLiteral("topic name is empty");
    if (name.size() > 249)
        return QStringLiteral("topic name is longer than 249 characters");
    if (name == "." || name == "..")
        return QStringLiteral("topic name cannot be \".\" or \"..\"");
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok)
            return QStringLiteral("topic name may only contain letters, digits, '.', '_' and '-'");
    }
    return {};
}

} // namespace rivulet
