#include "logsettings.h"

namespace rivulet {

std::optional<FsyncPolicy> parseFsyncPolicy(const QString &text)
{
    if (text == u"never")
        return FsyncPolicy::Never;
    if (text == u"interval")
        return FsyncPolicy::Interval;
    if (text == u"always")
        return FsyncPolicy::Always;
    return std::nullopt;
}

QString fsyncPolicyName(FsyncPolicy policy)
{
    switch (policy) {
    case FsyncPolicy::Never:
        return QStringLiteral("never");
    case FsyncPolicy::Interval:
        return QStringLiteral("interval");
    case FsyncPolicy::Always:
        return QStringLiteral("always");
    }
    return {};
}

} // namespace rivulet
