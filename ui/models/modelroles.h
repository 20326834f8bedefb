#pragma once

#include <Qt>

namespace rivulet {

// Item data roles the Rivulet models answer besides the standard ones. The models are Qt
// Core only, so they describe states (lag, gone) and leave the colours to the widgets.
enum ModelRole
{
    // The raw value behind a formatted cell (numbers as qlonglong/double), for sorting.
    SortRole = Qt::UserRole + 1,
    // Consumers: records behind (qlonglong), and that lag as a share of the partition (0..1).
    LagRole,
    LagFractionRole,
    // Consumers: whether an open connection carries this consumer's name or address (bool).
    ConnectedRole,
    // Topics: the topic name of a topic or partition row (QString); partition index or -1.
    // Consumers answer them too, for the row's topic and partition.
    TopicNameRole,
    PartitionRole,
    // Consumers: the consumer's name as the broker keys it (QByteArray), and whether the row
    // is a Kafka consumer group's (bool).
    ConsumerKeyRole,
    KafkaGroupRole,
    // Consumers: a Kafka group's state (int of GroupState); none for a native consumer.
    GroupStateRole,
};

} // namespace rivulet
