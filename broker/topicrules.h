#pragma once

// What makes a topic acceptable: shared by the broker, both protocols and the window, which
// checks what is typed whatever it shows (the in-process broker or a Kafka cluster).

#include <QByteArrayView>
#include <QString>

namespace rivulet {

// The most partitions a topic may have, and may be given in one request.
inline constexpr int kMaxPartitions = 10000;

// Kafka's topic-name rules, which Rivulet applies to every protocol so that any topic can
// be reached from any client: 1-249 characters of [a-zA-Z0-9._-], not "." or "..".
// Returns an empty string when the name is valid, otherwise why it is not.
QString topicNameProblem(QByteArrayView name);

} // namespace rivulet
