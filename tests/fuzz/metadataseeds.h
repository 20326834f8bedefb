// Valid metadata files of a data directory, naming one topic "t" with two partitions: the
// files the metadata harness does not fuzz, and seeds for the one it does.
#pragma once

namespace rivulet::fuzz {

inline const char *const kMetadataFiles[] = {"topics.json", "consumers.json", "groups.json",
                                             "transactions.json"};

inline const char *const kValidMetadata[] = {
    R"({"version": 1, "topics": [{"name": "t", "partitions": 2, "retention.ms": -1,
        "retention.bytes": -1, "createdMs": 1700000000000,
        "id": "3f1c2b9e-5a8d-4e0f-9c61-2d7b8a4e5f10"}]})",
    R"({"version": 1, "anonymousOmitted": true, "positions": [{"consumer": "reader",
        "topic": "t", "partition": 0, "nextOffset": 0, "delivered": 0,
        "lastSeenMs": 1700000000000}]})",
    R"({"version": 1, "offsets": [{"group": "g", "topic": "t", "partition": 1, "offset": 0,
        "metadata": "", "committedMs": 1700000000000}]})",
    R"({"version": 1, "lastProducerId": 3, "transactions": [{"id": "tx", "producerId": 3,
        "epoch": 0, "lastEpoch": -1, "timeoutMs": 60000, "state": "Ongoing",
        "startMs": 1700000000000, "updatedMs": 1700000000000,
        "partitions": [{"topic": "t", "partition": 0}],
        "offsets": [{"group": "g", "offsets": [{"topic": "t", "partition": 1, "offset": 0,
        "metadata": ""}]}]}], "aborted": [{"topic": "t", "partition": 0, "producerId": 2,
        "first": 0, "last": 0}], "markers": [{"topic": "t", "partition": 0, "markers": 0}]})",
};

} // namespace rivulet::fuzz
