// kafkajs 2.2.4's admin.createPartitions (CreatePartitions v1) and admin.deleteTopicRecords
// (DeleteRecords v1) against a real Rivulet broker. Run by tests/kafka/test_partitions_admin.py:
//   node partitions.js BOOTSTRAP
// Every check is an assertion; any failure prints it and exits 1. Each step has its own
// deadline, so the script never hangs.
'use strict';

const assert = require('node:assert/strict');
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap] = process.argv.slice(2);
const TOPIC = 'kjs-grow';
const STEP_MS = 30000;

const kafka = new Kafka({
  clientId: 'rivulet-kafkajs-partitions',
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING, // the error cases below would log as errors
  retry: { retries: 1, initialRetryTime: 100 },
});

function step(name, promise) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: no result within ${STEP_MS} ms`)), STEP_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function rejects(name, promise, check) {
  let error = null;
  try {
    await step(name, promise);
  } catch (e) {
    error = e;
  }
  assert.ok(error, `${name}: expected an error`);
  check(error);
}

async function offsets(admin) {
  const result = {};
  for (const p of await admin.fetchTopicOffsets(TOPIC)) result[p.partition] = [Number(p.low), Number(p.high)];
  return result;
}

// Reads partition `partition` from the beginning with a new group until `want` messages came.
async function consumeFromBeginning(partition, want) {
  const consumer = kafka.consumer({ groupId: `kjs-grow-reader-${partition}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const got = [];
  await step(
    `consume ${want} from partition ${partition}`,
    new Promise((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition: p, message }) => {
            if (p !== partition) return;
            got.push(message);
            if (got.length === want) resolve();
          },
        })
        .catch(reject);
    }),
  );
  await consumer.disconnect();
  return got;
}

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] }), true);

  // --- createPartitions: validate only, then for real, then the errors
  await step('validate', admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: TOPIC, count: 3 }] }));
  let { topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  assert.equal(topics[0].partitions.length, 1, 'validate_only changes nothing');
  await step('grow', admin.createPartitions({ topicPartitions: [{ topic: TOPIC, count: 3 }] }));
  ({ topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] }));
  assert.deepEqual(topics[0].partitions.map((p) => p.partitionId).sort(), [0, 1, 2]);
  await rejects('shrink', admin.createPartitions({ topicPartitions: [{ topic: TOPIC, count: 2 }] }), (e) =>
    assert.equal(e.type, 'INVALID_PARTITIONS'),
  );
  await rejects(
    'unknown topic',
    admin.createPartitions({ topicPartitions: [{ topic: 'kjs-no-such-topic', count: 2 }] }),
    (e) => assert.equal(e.type, 'UNKNOWN_TOPIC_OR_PARTITION'),
  );
  await rejects(
    'another broker',
    admin.createPartitions({ topicPartitions: [{ topic: TOPIC, count: 4, assignments: [[42]] }] }),
    (e) => assert.equal(e.type, 'INVALID_REPLICA_ASSIGNMENT'),
  );
  const nodeId = (await admin.describeCluster()).brokers[0].nodeId;
  await step(
    'grow with assignments',
    admin.createPartitions({ topicPartitions: [{ topic: TOPIC, count: 4, assignments: [[nodeId]] }] }),
  );
  ({ topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] }));
  assert.equal(topics[0].partitions.length, 4);
  console.log('createPartitions: 1 -> 3 -> 4 partitions; shrink, unknown topic, bad assignment refused');

  // --- produce to a new partition, delete records, consume from the new low watermark
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const sent = await producer.send({
    topic: TOPIC,
    messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, partition: 3 })),
  });
  assert.equal(sent[0].partition, 3);
  assert.equal(sent[0].errorCode, 0);
  await producer.disconnect();
  assert.deepEqual((await offsets(admin))[3], [0, 10]);

  await step('delete records', admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 3, offset: '6' }] }));
  assert.deepEqual((await offsets(admin))[3], [6, 10]);
  const got = await consumeFromBeginning(3, 4);
  assert.deepEqual(
    got.map((m) => [Number(m.offset), m.value.toString()]),
    [6, 7, 8, 9].map((i) => [i, `m${i}`]),
  );
  await rejects(
    'past the high watermark',
    admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 3, offset: '11' }] }),
    (e) => {
      // the retrier wraps the broker's answer
      const answer = e.cause || e;
      assert.equal(answer.name, 'KafkaJSDeleteTopicRecordsError');
      assert.equal(answer.partitions[0].partition, 3);
      assert.equal(answer.partitions[0].error.type, 'OFFSET_OUT_OF_RANGE');
    },
  );
  await step('delete all', admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 3, offset: '-1' }] }));
  assert.deepEqual((await offsets(admin))[3], [10, 10]);
  console.log('deleteTopicRecords: low watermark 6, consumed 6-9; -1 moved it to 10');

  await admin.disconnect();
  console.log('partitions scenario ok');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
