// kafkajs 2.2.4 against a real Rivulet broker. Run by tests/kafka/test_kafkajs.py:
//   node scenario.js main BOOTSTRAP           admin, producer, groups, offsets
//   node scenario.js after-restart BOOTSTRAP  the group's commits survived a broker restart
// Every check is an assertion; any failure prints it and exits 1. Each step has its own
// deadline, so the script never hangs.
'use strict';

const assert = require('node:assert/strict');
const { Kafka, logLevel, CompressionTypes } = require('kafkajs');

const [mode, bootstrap] = process.argv.slice(2);
const TOPIC = 'kjs-orders';
const GROUP = 'kjs-group';
const PARTITIONS = 3;
const MESSAGES = 60;
const STEP_MS = 30000; // a group's first round alone waits 3 s

const kafka = new Kafka({
  clientId: 'rivulet-kafkajs-test',
  brokers: [bootstrap],
  logLevel: logLevel.WARN,
  retry: { retries: 3 },
});

function step(name, promise) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: no result within ${STEP_MS} ms`)), STEP_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

// Consumes with a new member of `groupId` until `want` messages arrived; returns them.
async function consumeAll(groupId, want) {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const got = [];
  await step(
    `consume ${want} with ${groupId}`,
    new Promise((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            got.push({ partition, message });
            if (got.length === want) resolve();
          },
        })
        .catch(reject);
    }),
  );
  await consumer.disconnect(); // commits what it consumed
  return got;
}

// Joins `groupId` and waits for two fetch rounds after the join; returns what arrived.
async function consumeNothingNew(groupId) {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const got = [];
  let joined = false;
  let fetchesAfterJoin = 0;
  await step(
    `rejoin ${groupId}`,
    new Promise((resolve, reject) => {
      consumer.on(consumer.events.GROUP_JOIN, () => {
        joined = true;
      });
      consumer.on(consumer.events.FETCH, () => {
        if (joined && ++fetchesAfterJoin >= 2) resolve();
      });
      consumer.run({ eachMessage: async ({ message }) => got.push(message) }).catch(reject);
    }),
  );
  await consumer.disconnect();
  return got;
}

async function committedOffsets(admin) {
  const [entry] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  assert.equal(entry.topic, TOPIC);
  const result = {};
  for (const p of entry.partitions) result[p.partition] = Number(p.offset);
  return result;
}

async function highWatermarks(admin) {
  const result = {};
  for (const p of await admin.fetchTopicOffsets(TOPIC)) {
    assert.equal(Number(p.low), 0);
    result[p.partition] = Number(p.high);
  }
  return result;
}

async function main() {
  const admin = kafka.admin();
  await admin.connect();

  // --- admin: create, a second create, metadata
  assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] }), true);
  assert.equal(
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] }),
    false,
    'creating an existing topic reports that nothing was created',
  );
  assert.ok((await admin.listTopics()).includes(TOPIC));
  const { topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  assert.equal(topics[0].partitions.length, PARTITIONS);
  const cluster = await admin.describeCluster();
  assert.equal(cluster.brokers.length, 1);
  assert.equal(cluster.controller, cluster.brokers[0].nodeId);
  console.log(`admin: ${TOPIC} with ${PARTITIONS} partitions, cluster ${cluster.clusterId}`);

  // --- producer: keys, headers, an explicit partition, and a gzip batch
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const plain = Array.from({ length: MESSAGES / 2 }, (_, i) => ({
    key: `k${i}`,
    value: JSON.stringify({ order: i }),
    headers: { source: 'kafkajs', seq: String(i) },
  }));
  const sent = await producer.send({ topic: TOPIC, messages: plain });
  for (const r of sent) assert.equal(r.errorCode, 0);
  const zipped = Array.from({ length: MESSAGES / 2 }, (_, i) => ({
    key: `z${i}`,
    value: `compressed ${i} `.repeat(10),
    partition: 1,
  }));
  const sentZipped = await producer.send({
    topic: TOPIC,
    compression: CompressionTypes.GZIP,
    messages: zipped,
  });
  assert.equal(sentZipped.length, 1);
  assert.equal(sentZipped[0].partition, 1);
  assert.equal(sentZipped[0].errorCode, 0);
  await producer.disconnect();
  const high = await highWatermarks(admin);
  assert.equal(Object.values(high).reduce((a, b) => a + b, 0), MESSAGES);
  console.log(`produced: ${MESSAGES} messages, high watermarks ${JSON.stringify(high)}`);

  // --- a group reads everything, as it was sent
  const got = await consumeAll(GROUP, MESSAGES);
  const byKey = new Map(got.map(({ partition, message }) => [message.key.toString(), { partition, message }]));
  assert.equal(byKey.size, MESSAGES, 'every message once');
  for (let i = 0; i < MESSAGES / 2; ++i) {
    const { message } = byKey.get(`k${i}`);
    assert.equal(message.value.toString(), JSON.stringify({ order: i }));
    assert.equal(message.headers.source.toString(), 'kafkajs');
    assert.equal(message.headers.seq.toString(), String(i));
    const z = byKey.get(`z${i}`);
    assert.equal(z.partition, 1);
    assert.equal(z.message.value.toString(), `compressed ${i} `.repeat(10));
  }
  // offsets within a partition count up from 0 in the order they were sent
  for (let p = 0; p < PARTITIONS; ++p) {
    const offsets = got.filter((g) => g.partition === p).map((g) => Number(g.message.offset));
    assert.deepEqual(offsets, Array.from({ length: high[p] }, (_, i) => i));
  }
  console.log(`consumed: ${got.length} messages with keys, values and headers intact`);

  // --- its commits are the high watermarks; a new member of the group gets nothing new
  assert.deepEqual(await committedOffsets(admin), high);
  const again = await consumeNothingNew(GROUP);
  assert.equal(again.length, 0, 'a rejoining member reads nothing already committed');
  const { groups } = await admin.listGroups();
  assert.ok(groups.some((g) => g.groupId === GROUP && g.protocolType === 'consumer'));
  const described = await admin.describeGroups([GROUP]);
  assert.equal(described.groups[0].groupId, GROUP);
  assert.equal(described.groups[0].state, 'Empty');
  console.log('group: commits equal the high watermarks; rejoining reads nothing new');

  // --- two members of another group split the partitions between them
  const members = [0, 1].map(() => kafka.consumer({ groupId: `${GROUP}-pair`, maxWaitTimeInMs: 200 }));
  const assigned = [null, null];
  const received = [0, 0];
  await step(
    'two members split the partitions',
    new Promise((resolve, reject) => {
      members.forEach((member, i) => {
        member.on(member.events.GROUP_JOIN, (e) => {
          assigned[i] = e.payload.memberAssignment[TOPIC] || [];
          const a = assigned[0];
          const b = assigned[1];
          if (a && b && a.length + b.length === PARTITIONS && received[0] + received[1] >= MESSAGES) resolve();
        });
      });
      Promise.all(
        members.map(async (member, i) => {
          await member.connect();
          await member.subscribe({ topic: TOPIC, fromBeginning: true });
          await member.run({
            eachMessage: async () => {
              ++received[i];
              const a = assigned[0];
              const b = assigned[1];
              if (a && b && a.length + b.length === PARTITIONS && received[0] + received[1] >= MESSAGES) resolve();
            },
          });
        }),
      ).catch(reject);
    }),
  );
  const all = [...assigned[0], ...assigned[1]].sort();
  assert.deepEqual(all, [0, 1, 2], `assignments ${JSON.stringify(assigned)} cover every partition once`);
  assert.ok(assigned[0].length > 0 && assigned[1].length > 0, 'both members got partitions');
  await Promise.all(members.map((m) => m.disconnect()));
  console.log(`pair: assignments ${JSON.stringify(assigned)}`);

  // --- an admin client sets an empty group's offsets; the group reads from there; then
  // the group is deleted (DeleteGroups), and with it its commits
  const RESET = `${GROUP}-reset`;
  await admin.setOffsets({
    groupId: RESET,
    topic: TOPIC,
    partitions: [0, 1, 2].map((partition) => ({ partition, offset: '1' })),
  });
  const [set] = await admin.fetchOffsets({ groupId: RESET, topics: [TOPIC] });
  assert.deepEqual(set.partitions.map((p) => Number(p.offset)), [1, 1, 1]);
  const fromOne = await consumeAll(RESET, MESSAGES - PARTITIONS);
  for (let p = 0; p < PARTITIONS; ++p) {
    const first = Math.min(...fromOne.filter((g) => g.partition === p).map((g) => Number(g.message.offset)));
    assert.equal(first, 1, `partition ${p} was read from the offset the admin client set`);
  }
  const deleted = await admin.deleteGroups([RESET]);
  assert.deepEqual(deleted.map((d) => [d.groupId, d.errorCode]), [[RESET, 0]]);
  assert.ok(!(await admin.listGroups()).groups.some((g) => g.groupId === RESET));
  const [gone] = await admin.fetchOffsets({ groupId: RESET, topics: [TOPIC] });
  assert.deepEqual(gone.partitions.map((p) => Number(p.offset)), [-1, -1, -1]);
  console.log('reset: setOffsets moved an empty group, deleteGroups removed it');

  // --- a topic deleted through the admin client is gone
  await admin.createTopics({ topics: [{ topic: 'kjs-doomed', numPartitions: 1 }] });
  await admin.deleteTopics({ topics: ['kjs-doomed'] });
  assert.ok(!(await admin.listTopics()).includes('kjs-doomed'));
  console.log('admin: deleted kjs-doomed');

  await admin.disconnect();
}

async function afterRestart() {
  const admin = kafka.admin();
  await admin.connect();
  const high = await highWatermarks(admin);
  assert.equal(Object.values(high).reduce((a, b) => a + b, 0), MESSAGES, 'the log survived');
  assert.deepEqual(await committedOffsets(admin), high, 'the commits survived');
  const again = await consumeNothingNew(GROUP);
  assert.equal(again.length, 0);
  await admin.disconnect();
  console.log('after restart: log and commits intact, nothing new for the group');
}

const modes = { main, 'after-restart': afterRestart };
if (!modes[mode] || !bootstrap) {
  console.error('usage: node scenario.js main|after-restart HOST:PORT');
  process.exit(2);
}
modes[mode]().then(
  () => process.exit(0),
  (e) => {
    console.error(`FAILED: ${e.stack || e}`);
    process.exit(1);
  },
);
