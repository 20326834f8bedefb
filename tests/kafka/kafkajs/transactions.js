// kafkajs 2.2.4: idempotent and transactional producers against a real Rivulet broker. Run by
// tests/kafka/test_transactions.py:
//   node transactions.js BOOTSTRAP
// An idempotent producer's batches land once, in order, at dense offsets; a transactional
// producer commits, aborts and commits again, with sendOffsets in each, and a read-committed
// consumer sees only the committed records while a read-uncommitted one sees all; the group's
// offsets move only with the commits; admin.fetchOffsets({ groupId }) without topics lists
// every topic the group committed. Every check is an assertion; any failure prints it and
// exits 1. Each step has its own deadline, so the script never hangs.
'use strict';

const assert = require('node:assert/strict');
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap] = process.argv.slice(2);
const IDEM = 'kjs-idem'; // 1 partition
const TX = 'kjs-tx'; // 2 partitions
const EOS_GROUP = 'kjs-eos'; // offsets only through transactions
const MULTI_GROUP = 'kjs-multi'; // offsets on two topics, set by the admin client
const STEP_MS = 30000;

const kafka = new Kafka({
  clientId: 'rivulet-kafkajs-transactions',
  brokers: [bootstrap],
  logLevel: logLevel.ERROR,
  retry: { retries: 3 },
});

function step(name, promise) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: no result within ${STEP_MS} ms`)), STEP_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

// Reads `topic` from the beginning with a new group until done(got) holds; returns
// [partition, offset, value] sorted by partition and offset.
async function readUntil(topic, readUncommitted, groupId, done) {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, readUncommitted });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = [];
  try {
    await step(
      `read ${topic} (readUncommitted ${readUncommitted})`,
      new Promise((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ partition, message }) => {
              got.push([partition, Number(message.offset), message.value.toString()]);
              if (done(got)) resolve();
            },
          })
          .catch(reject);
      }),
    );
  } catch (e) {
    throw new Error(`${e.message}; got so far ${JSON.stringify(got)}`);
  } finally {
    await consumer.disconnect();
  }
  return got.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

function sortedOffsets(entries) {
  return entries
    .map(({ topic, partitions }) => ({
      topic,
      partitions: partitions
        .map(({ partition, offset, metadata }) => ({ partition, offset, metadata }))
        .sort((a, b) => a.partition - b.partition),
    }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}

async function idempotentProducer() {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    retry: { retries: 5 },
  });
  await producer.connect();
  const bases = [];
  for (let b = 0; b < 3; ++b) {
    const sent = await step(
      `idempotent send ${b}`,
      producer.send({
        topic: IDEM,
        acks: -1,
        messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `idem-${b * 10 + i}` })),
      }),
    );
    assert.equal(sent.length, 1);
    assert.equal(sent[0].errorCode, 0);
    bases.push(Number(sent[0].baseOffset));
  }
  await producer.disconnect();
  assert.deepEqual(bases, [0, 10, 20], 'each batch of 10 lands right after the previous one');
  const got = await readUntil(IDEM, false, 'kjs-idem-reader', (g) => g.length >= 30);
  assert.deepEqual(
    got,
    Array.from({ length: 30 }, (_, i) => [0, i, `idem-${i}`]),
    'every message once, in order, at offsets 0..29',
  );
  console.log('idempotent: 3 batches at offsets 0, 10, 20; read back 30 messages once, in order');
}

async function transactionalProducer(admin) {
  const producer = kafka.producer({
    transactionalId: 'kjs-txn',
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    transactionTimeout: 30000,
    retry: { retries: 5 },
  });
  await producer.connect();
  const eosOffsets = async () =>
    sortedOffsets(await admin.fetchOffsets({ groupId: EOS_GROUP, topics: [TX] }));
  async function transaction(name, values, offsets, commit) {
    const txn = await step(`${name}: begin`, producer.transaction());
    const sent = await step(
      `${name}: send`,
      txn.send({ topic: TX, messages: values.map((value, partition) => ({ partition, value })) }),
    );
    for (const r of sent) assert.equal(r.errorCode, 0);
    await step(
      `${name}: sendOffsets`,
      txn.sendOffsets({ consumerGroupId: EOS_GROUP, topics: [{ topic: TX, partitions: offsets }] }),
    );
    await step(`${name}: ${commit ? 'commit' : 'abort'}`, commit ? txn.commit() : txn.abort());
  }

  // p0 and p1 each: committed @0, marker @1, aborted @2, marker @3, committed @4, marker @5
  await transaction('first', ['c0', 'c1'], [{ partition: 0, offset: '1' }], true);
  assert.deepEqual(await eosOffsets(), [
    {
      topic: TX,
      partitions: [
        { partition: 0, offset: '1', metadata: null },
        { partition: 1, offset: '-1', metadata: null },
      ],
    },
  ]);
  await transaction(
    'second',
    ['a0', 'a1'],
    [
      { partition: 0, offset: '3' },
      { partition: 1, offset: '3' },
    ],
    false,
  );
  assert.deepEqual(
    (await eosOffsets())[0].partitions.map((p) => p.offset),
    ['1', '-1'],
    'an aborted transaction commits no offsets',
  );
  await transaction('third', ['c2', 'c3'], [{ partition: 1, offset: '2' }], true);
  assert.deepEqual(
    (await eosOffsets())[0].partitions.map((p) => p.offset),
    ['1', '2'],
    'a committed transaction commits its offsets',
  );
  await producer.disconnect();
  console.log('transactions: committed, aborted, committed; group offsets moved with the commits only');

  const committed = await readUntil(TX, false, 'kjs-tx-committed', (g) =>
    ['c2', 'c3'].every((v) => g.some((m) => m[2] === v)),
  );
  assert.deepEqual(committed, [
    [0, 0, 'c0'],
    [0, 4, 'c2'],
    [1, 0, 'c1'],
    [1, 4, 'c3'],
  ]);
  console.log('read committed: only the committed records');
  const everything = await readUntil(TX, true, 'kjs-tx-uncommitted', (g) => g.length >= 6);
  assert.deepEqual(everything, [
    [0, 0, 'c0'],
    [0, 2, 'a0'],
    [0, 4, 'c2'],
    [1, 0, 'c1'],
    [1, 2, 'a1'],
    [1, 4, 'c3'],
  ]);
  console.log('read uncommitted: the aborted records too');
}

async function fetchOffsetsWithoutTopics(admin) {
  // the transactional group: only its topic, with what its commits left
  assert.deepEqual(sortedOffsets(await admin.fetchOffsets({ groupId: EOS_GROUP })), [
    {
      topic: TX,
      partitions: [
        { partition: 0, offset: '1', metadata: null },
        { partition: 1, offset: '2', metadata: null },
      ],
    },
  ]);
  // a group with offsets on two topics
  await admin.setOffsets({
    groupId: MULTI_GROUP,
    topic: TX,
    partitions: [
      { partition: 0, offset: '4' },
      { partition: 1, offset: '5' },
    ],
  });
  await admin.setOffsets({ groupId: MULTI_GROUP, topic: IDEM, partitions: [{ partition: 0, offset: '30' }] });
  assert.deepEqual(sortedOffsets(await admin.fetchOffsets({ groupId: MULTI_GROUP })), [
    { topic: IDEM, partitions: [{ partition: 0, offset: '30', metadata: null }] },
    {
      topic: TX,
      partitions: [
        { partition: 0, offset: '4', metadata: null },
        { partition: 1, offset: '5', metadata: null },
      ],
    },
  ]);
  // a group that committed nothing: no topics
  assert.deepEqual(await admin.fetchOffsets({ groupId: 'kjs-never-committed' }), []);
  console.log('fetchOffsets without topics: every topic the group committed');
}

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  try {
    assert.equal(
      await admin.createTopics({
        topics: [
          { topic: IDEM, numPartitions: 1 },
          { topic: TX, numPartitions: 2 },
        ],
      }),
      true,
    );
    await idempotentProducer();
    await transactionalProducer(admin);
    await fetchOffsetsWithoutTopics(admin);
  } finally {
    await admin.disconnect();
  }
}

if (!bootstrap) {
  console.error('usage: node transactions.js HOST:PORT');
  process.exit(2);
}
main().then(
  () => process.exit(0),
  (e) => {
    console.error(`FAILED: ${e.stack || e}`);
    process.exit(1);
  },
);
