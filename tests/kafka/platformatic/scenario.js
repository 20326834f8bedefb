// @platformatic/kafka against a real Rivulet broker. Run by tests/kafka/test_platformatic.py:
//   node scenario.js BOOTSTRAP
// The client implements (nearly) only flexible versions (KIP-482) and sends the highest one
// the broker offers, so this checks Rivulet's flexible encodings end to end. The clients keep
// their default configuration except where a step needs otherwise: the consumer starts from
// its group's commits and, without any, from the beginning (mode 'committed', fallbackMode
// 'earliest'; the client's default is to start at the end).
//
// The steps run in order, each with its own deadline; the first failure ends the run. The
// last line on stdout is one JSON object: every step with its result or its error (the
// error's whole chain: codes, API and version, the broker's response), the API versions
// every request used, and every request that failed at the protocol level. Exit 0 only if
// every step passed.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { Admin, Consumer, ListOffsetTimestamps, murmur2, Producer, protocolAPIsById } from '@platformatic/kafka';

// the package exports no ./package.json: read the installed one
const CLIENT_VERSION = JSON.parse(
  readFileSync(new URL('./node_modules/@platformatic/kafka/package.json', import.meta.url), 'utf8'),
).version;

const [bootstrap] = process.argv.slice(2);
if (!bootstrap) {
  console.error('usage: node scenario.js HOST:PORT');
  process.exit(2);
}

const TOPIC = 'plt-orders';
const DOOMED = 'plt-doomed';
const GROUP = 'plt-group';
const PARTITIONS = 3;
const MESSAGES = 60; // half with an explicit partition, half placed by the default partitioner
const STEP_MS = 30000; // a fetch waits up to 5 s (the client's default maxWaitTime)

// The first flexible version (KIP-482) of each API this scenario uses, from Kafka 3.9's
// message definitions (as broker/kafka/schema/*.api records them). The test insists on
// Produce and Fetch; the others are reported.
const FLEXIBLE_FROM = {
  Produce: 9,
  Fetch: 12,
  ApiVersions: 3,
  CreateTopics: 5,
  DeleteTopics: 4,
  FindCoordinator: 3,
  Heartbeat: 4,
  JoinGroup: 6,
  LeaveGroup: 4,
  ListOffsets: 6,
  Metadata: 9,
  OffsetCommit: 8,
  OffsetFetch: 6,
  SyncGroup: 4,
};

const base = { clientId: 'rivulet-platformatic-test', bootstrapBrokers: [bootstrap] };
const result = {
  client: { name: '@platformatic/kafka', version: CLIENT_VERSION, node: process.version },
  steps: [],
  apiVersions: {}, // API name -> every version a request was sent with
  requestErrors: [], // requests whose response carried an error, or that failed outright
  ok: false,
};

// --- every request the client sends, through its diagnostics channel ------------------------
const sent = new Set();
diagnostics.subscribe('tracing:plt:kafka:connections:api:start', (ctx) => {
  const name = protocolAPIsById[ctx.apiKey] ?? `api${ctx.apiKey}`;
  sent.add(`${name}\u0000${ctx.apiVersion}`);
});
diagnostics.subscribe('tracing:plt:kafka:connections:api:error', (ctx) => {
  result.requestErrors.push({
    api: protocolAPIsById[ctx.apiKey] ?? `api${ctx.apiKey}`,
    version: ctx.apiVersion,
    correlationId: ctx.correlationId,
    error: describe(ctx.error),
  });
});

function apiVersions() {
  const versions = {};
  for (const entry of sent) {
    const [name, version] = entry.split('\u0000');
    (versions[name] ??= []).push(Number(version));
  }
  for (const name of Object.keys(versions)) versions[name].sort((a, b) => a - b);
  return Object.fromEntries(Object.entries(versions).sort(([a], [b]) => a.localeCompare(b)));
}

// An error as plain JSON: message, code, the API it came from, nested errors, the response.
function describe(error, depth = 0) {
  if (error === null || error === undefined) return error;
  if (depth > 6) return '...';
  if (typeof error !== 'object') return String(error);
  const out = { message: error.message };
  for (const key of Object.keys(error)) {
    if (key === 'message' || key === 'stack') continue;
    const value = error[key];
    if (key === 'errors' && Array.isArray(value)) out.errors = value.map((e) => describe(e, depth + 1));
    else if (key === 'cause') out.cause = describe(value, depth + 1);
    else out[key] = plain(value, depth + 1);
  }
  // AggregateError keeps its errors (here: each protocol error code) non-enumerable
  if (Array.isArray(error.errors) && !out.errors) out.errors = error.errors.map((e) => describe(e, depth + 1));
  if (error.cause && !out.cause) out.cause = describe(error.cause, depth + 1);
  if (depth === 0 && error.stack) out.stack = String(error.stack).split('\n').slice(0, 8).join('\n');
  return out;
}

function plain(value, depth) {
  if (depth > 8) return '...';
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return { hex: value.toString('hex') };
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v, depth + 1)]));
  if (value instanceof Error) return describe(value, depth);
  if (Array.isArray(value)) return value.map((v) => plain(v, depth + 1));
  if (value && typeof value === 'object') {
    // connections, sockets and clients carry cycles and nothing useful here
    if (value.constructor && !['Object', 'Array'].includes(value.constructor.name)) return `[${value.constructor.name}]`;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v, depth + 1)]));
  }
  return value;
}

function deadline(name, promise, ms = STEP_MS) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// Runs one step; records what it returned or how it failed. A failure ends the scenario.
async function step(name, body) {
  const started = Date.now();
  try {
    const details = await deadline(name, body());
    result.steps.push({ name, ok: true, ms: Date.now() - started, details: plain(details ?? {}, 0) });
    return details;
  } catch (error) {
    result.steps.push({ name, ok: false, ms: Date.now() - started, error: describe(error) });
    throw error;
  }
}

// --- the messages: binary, UTF-8 and empty keys/values/headers, all exact Buffers -----------
function message(i) {
  const key = Buffer.from(`key-${i}-ключ-🔑`);
  let value;
  if (i % 10 === 3) value = Buffer.alloc(0); // an empty value is not a null one
  else if (i % 5 === 0) value = Buffer.concat([Buffer.from([0, 255, 0x80, i & 0xff]), randomBytes(200 + i)]);
  else value = Buffer.from(JSON.stringify({ order: i, text: 'ünïcødé ✓', pad: 'x'.repeat(i) }));
  const headers = new Map([
    [Buffer.from('source'), Buffer.from('platformatic')],
    [Buffer.from('seq'), Buffer.from(String(i))],
    [Buffer.from('bin'), Buffer.from([0, 1, 0xfe, 0xff, i & 0xff])],
    [Buffer.from('empty'), Buffer.alloc(0)],
    [Buffer.from('ünï-ключ'), Buffer.from('✓ værdi')],
  ]);
  // the first half names its partition; the second half is placed by the default partitioner
  return i < MESSAGES / 2 ? { topic: TOPIC, key, value, headers, partition: i % PARTITIONS } : { topic: TOPIC, key, value, headers };
}

const headersAsPairs = (headers) => [...headers].map(([k, v]) => [Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex')]);
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

async function committedOffsets(admin) {
  const groups = await admin.listConsumerGroupOffsets({ groups: [GROUP] });
  assert.equal(groups.length, 1);
  assert.equal(groups[0].groupId, GROUP);
  const topic = groups[0].topics.find((t) => t.name === TOPIC);
  assert.ok(topic, `${GROUP} has commits on ${TOPIC}: ${JSON.stringify(plain(groups, 0))}`);
  return Object.fromEntries(topic.partitions.map((p) => [p.partitionIndex, Number(p.committedOffset)]));
}

// One member of GROUP from its committed offsets (the beginning when there are none), with
// the default autocommit (after every fetch, and on close). Collects messages until
// done(got, fetchesAfterJoin) is true, then leaves; returns what arrived and what it committed.
async function runGroupMember(label, done) {
  const consumer = new Consumer({ ...base, groupId: GROUP });
  let stream;
  const got = [];
  const commits = [];
  let joined = 0;
  let fetchesAfterJoin = 0;
  consumer.on('consumer:group:join', () => {
    ++joined;
  });
  try {
    await deadline(
      label,
      new Promise((resolve, reject) => {
        consumer
          .consume({ topics: [TOPIC], mode: 'committed', fallbackMode: 'earliest' })
          .then((s) => {
            stream = s;
            s.on('error', reject);
            s.on('autocommit', (error, offsets) => {
              if (error) reject(error);
              else commits.push(...offsets.map((o) => ({ partition: o.partition, offset: Number(o.offset) })));
            });
            s.on('fetch', () => {
              if (joined > 0) ++fetchesAfterJoin;
              if (done(got, fetchesAfterJoin)) resolve();
            });
            s.on('data', (m) => {
              got.push(m);
              if (done(got, fetchesAfterJoin)) resolve();
            });
          }, reject);
      }),
    );
  } finally {
    if (stream) await deadline(`${label}: close the stream`, stream.close());
    await deadline(`${label}: close the consumer`, consumer.close());
  }
  return { got, commits, joined, fetchesAfterJoin };
}

async function main() {
  const admin = new Admin(base);
  const sentMessages = Array.from({ length: MESSAGES }, (_, i) => message(i));
  let high; // the high watermarks once everything was produced: { partition: offset }
  try {
    // --- admin ------------------------------------------------------------------------------
    await step('admin: create topics', async () => {
      const created = await admin.createTopics({ topics: [TOPIC], partitions: PARTITIONS, replicas: 1 });
      const doomed = await admin.createTopics({ topics: [DOOMED], partitions: 1, replicas: 1 });
      const all = [...created, ...doomed];
      assert.deepEqual(all.map((t) => [t.name, t.partitions]), [[TOPIC, PARTITIONS], [DOOMED, 1]]);
      for (const t of all) assert.match(t.id, /^[0-9a-f-]{36}$/, `${t.name} has a topic id`);
      assert.notEqual(all[0].id, all[1].id);
      return { created: all.map(({ name, id, partitions, replicas }) => ({ name, id, partitions, replicas })) };
    });

    await step('admin: creating an existing topic fails with TOPIC_ALREADY_EXISTS', async () => {
      const error = await admin.createTopics({ topics: [TOPIC], partitions: PARTITIONS }).then(
        () => null,
        (e) => e,
      );
      assert.ok(error, 'a second create of the same topic is refused');
      const codes = JSON.stringify(describe(error));
      assert.match(codes, /TOPIC_ALREADY_EXISTS|"apiCode":36\b|"errorCode":36\b/, codes);
      return { error: error.message };
    });

    await step('admin: list topics and their metadata', async () => {
      const topics = await admin.listTopics();
      assert.ok(topics.includes(TOPIC) && topics.includes(DOOMED), `listTopics: ${topics}`);
      const metadata = await admin.metadata({ topics: [TOPIC] });
      const topic = metadata.topics.get(TOPIC);
      assert.equal(topic.partitionsCount, PARTITIONS);
      assert.equal(metadata.brokers.size, 1);
      return { topics, partitions: topic.partitionsCount, brokers: [...metadata.brokers.values()] };
    });

    await step('admin: delete a topic', async () => {
      await admin.deleteTopics({ topics: [DOOMED] });
      const topics = await admin.listTopics();
      assert.ok(!topics.includes(DOOMED), `${DOOMED} is gone: ${topics}`);
      assert.ok(topics.includes(TOPIC));
      return { topics };
    });

    // --- producer ---------------------------------------------------------------------------
    await step('producer: keyed messages with headers to several partitions', async () => {
      const producer = new Producer(base);
      try {
        const first = await producer.send({ messages: sentMessages.slice(0, MESSAGES / 2) });
        const second = await producer.send({ messages: sentMessages.slice(MESSAGES / 2) });
        const reported = [...(first.offsets ?? []), ...(second.offsets ?? [])];
        for (const o of reported) assert.equal(o.topic, TOPIC);
        // the first send wrote PARTITIONS batches, each at the start of its partition
        assert.deepEqual(
          (first.offsets ?? []).map((o) => [o.partition, Number(o.offset)]).sort(),
          Array.from({ length: PARTITIONS }, (_, p) => [p, 0]),
          'the first send reports base offset 0 in every partition',
        );
        high = await listedOffsets(admin, ListOffsetTimestamps.LATEST);
        const low = await listedOffsets(admin, ListOffsetTimestamps.EARLIEST);
        assert.deepEqual(low, Object.fromEntries(Array.from({ length: PARTITIONS }, (_, p) => [p, 0])));
        assert.equal(sum(Object.values(high)), MESSAGES, `high watermarks ${JSON.stringify(high)}`);
        const used = Object.values(high).filter((n) => n > 0).length;
        assert.equal(used, PARTITIONS, 'every partition received messages');
        return { reported: reported.map((o) => ({ partition: o.partition, baseOffset: Number(o.offset) })), high, low };
      } finally {
        await producer.close();
      }
    });

    // --- consumer group ---------------------------------------------------------------------
    await step('consumer: a group reads everything from the beginning, exactly as sent', async () => {
      const run = await runGroupMember('first member', (got) => got.length >= MESSAGES);
      const { got } = run;
      assert.equal(got.length, MESSAGES, 'every message once');
      const byKey = new Map(got.map((m) => [m.key.toString('hex'), m]));
      assert.equal(byKey.size, MESSAGES, 'no duplicates');
      let checked = 0;
      for (const [i, want] of sentMessages.entries()) {
        const m = byKey.get(want.key.toString('hex'));
        assert.ok(m, `message ${i} arrived`);
        assert.equal(m.topic, TOPIC);
        assert.ok(Buffer.isBuffer(m.key) && m.key.equals(want.key), `key ${i}`);
        assert.ok(Buffer.isBuffer(m.value), `value ${i} is a Buffer (not null)`);
        assert.ok(m.value.equals(want.value), `value ${i}: got ${m.value.toString('hex')}`);
        assert.deepEqual(headersAsPairs(m.headers), headersAsPairs(want.headers), `headers ${i}, in order`);
        const partition = want.partition ?? (murmur2(want.key) >>> 0) % PARTITIONS;
        assert.equal(m.partition, partition, `message ${i} is in partition ${partition}`);
        ++checked;
      }
      // within a partition, offsets count up from 0 in the order the messages were sent
      for (let p = 0; p < PARTITIONS; ++p) {
        const inP = got.filter((m) => m.partition === p);
        assert.deepEqual(inP.map((m) => Number(m.offset)), Array.from({ length: high[p] }, (_, i) => i), `offsets in ${p}`);
        const order = sentMessages.filter((m) => (m.partition ?? (murmur2(m.key) >>> 0) % PARTITIONS) === p);
        assert.deepEqual(inP.map((m) => m.key.toString('hex')), order.map((m) => m.key.toString('hex')), `order in ${p}`);
      }
      return {
        consumed: got.length,
        checked,
        perPartition: Object.fromEntries(Array.from({ length: PARTITIONS }, (_, p) => [p, got.filter((m) => m.partition === p).length])),
        joins: run.joined,
        autocommits: run.commits.length,
      };
    });

    await step('consumer: the group committed the high watermarks', async () => {
      const committed = await committedOffsets(admin);
      assert.deepEqual(committed, high);
      return { committed };
    });

    await step('consumer: a second run of the group gets nothing new', async () => {
      // a member of the same group, from its commits: two fetch rounds after it joined, empty
      const run = await runGroupMember('second member', (got, fetches) => got.length > 0 || fetches >= 2);
      assert.equal(run.joined, 1, 'the second member joined the group');
      assert.deepEqual(
        run.got.map((m) => [m.partition, Number(m.offset)]),
        [],
        'a rejoining member reads nothing already committed',
      );
      assert.deepEqual(await committedOffsets(admin), high, 'and the commits stay where they were');
      return { consumed: run.got.length, fetchesAfterJoin: run.fetchesAfterJoin };
    });
  } finally {
    await admin.close().catch(() => {});
  }
}

async function listedOffsets(admin, timestamp) {
  const [topic] = await admin.listOffsets({
    topics: [{ name: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, timestamp })) }],
  });
  assert.equal(topic.name, TOPIC);
  return Object.fromEntries(topic.partitions.map((p) => [p.partitionIndex, Number(p.offset)]).sort((a, b) => a[0] - b[0]));
}

function versionsCheck() {
  const versions = apiVersions();
  const flexible = {};
  for (const [api, used] of Object.entries(versions)) {
    const from = FLEXIBLE_FROM[api] ?? null; // null: an API this table does not know
    flexible[api] = { used, flexibleFrom: from, allFlexible: from !== null && used.every((v) => v >= from) };
  }
  return { versions, flexible };
}

let failed = null;
try {
  await main();
} catch (error) {
  failed = error;
}
const { versions, flexible } = versionsCheck();
result.apiVersions = versions;
result.flexible = flexible;
result.versionsExposed = true; // through the client's diagnostics channel plt:kafka:connections:api
result.ok = failed === null && result.steps.every((s) => s.ok);
for (const s of result.steps) console.log(`${s.ok ? 'ok  ' : 'FAIL'} ${s.name} (${s.ms} ms)`);
if (failed) console.error(`FAILED: ${failed.stack || failed}`);
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
