#pragma once

// How the broker's changing operations went, shared by Broker and the window's ClusterSource
// (in-process or a Kafka cluster) so that the window names them without the broker's internals.

namespace rivulet {

// How addPartitions() and deleteRecordsBefore() (Broker, ClusterSource) went; unless Done,
// error says why.
enum class ChangeOutcome
{
    Done,
    UnknownTopic,
    UnknownPartition,
    Invalid,      // addPartitions: a count not above the current one, or too many
    OutOfRange,   // deleteRecordsBefore: an offset past the end
    StorageError, // the change could not be recorded: nothing changed
    Unavailable,  // a Kafka cluster could not be reached or failed the request (error says)
};

// How the operations on a Kafka consumer group went; unless Done, error says why.
enum class GroupOutcome
{
    Done,
    InvalidGroup,     // a group needs a name
    UnknownGroup,     // deleteGroup: no such group
    HasMembers,       // Kafka changes only an empty group: its consumers must stop first
    UnknownTopic,     // resetGroupOffsets
    UnknownPartition, // resetGroupOffsets: a partition the topic does not have
    StorageError,     // the change could not be journaled: nothing changed
    Unavailable,      // a Kafka cluster could not be reached or failed the request
};

// Where resetGroupOffsets() moves a group: each partition's start, its end, or an offset
// (clamped to what the partition holds).
enum class ResetTo
{
    Earliest,
    Latest,
    Offset
};

} // namespace rivulet
