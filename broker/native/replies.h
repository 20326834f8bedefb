#pragma once

#include "protocol.h"

// Encoders for the records of a reply, as the broker sends them. Every reply ends with
// exactly one Empty record.
namespace rivulet::native {

void appendEmpty(QByteArray &out);
void appendContent(QByteArray &out, std::uint32_t offset, QByteArrayView value);
void appendOffset(QByteArray &out, std::uint32_t offset);
void appendError(QByteArray &out);
void appendErrorText(QByteArray &out, QByteArrayView text);
void appendTopicPartition(QByteArray &out, const TopicPartitionInfo &info);
void appendConsumerPosition(QByteArray &out, const ConsumerPositionInfo &info);

} // namespace rivulet::native
