// kafkajs 2.2.4 with SASL (and TLS): run by tests/kafka/test_security.py:
//   node sasl.js MECHANISM USER PASSWORD CA_FILE|- TOPIC BOOTSTRAP
// produces three messages to TOPIC and reads them back in a group; with a wrong password
// it prints "refused: <error name>: <message>" and exits 3. Each step has a deadline.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Kafka, logLevel } = require('kafkajs');

const [mechanism, username, password, caFile, topic, bootstrap] = process.argv.slice(2);
const STEP_MS = 30000;

const kafka = new Kafka({
  clientId: 'rivulet-kafkajs-sasl',
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING,
  retry: { retries: 0 },
  ssl: caFile === '-' ? false : { ca: [fs.readFileSync(caFile)] },
  sasl: { mechanism, username, password },
});

function step(name, promise) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: no result within ${STEP_MS} ms`)), STEP_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function main() {
  const producer = kafka.producer();
  try {
    await step('connect', producer.connect());
  } catch (e) {
    console.log(`refused: ${e.name}: ${e.message}`);
    process.exit(3);
  }
  const values = ['one', 'two', 'three'].map((v) => `${mechanism}-${v}`);
  await step('send', producer.send({ topic, messages: values.map((value) => ({ value })) }));
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `${topic}-group`, maxWaitTimeInMs: 200 });
  await step('consumer connect', consumer.connect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = [];
  await step(
    'consume',
    new Promise((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            got.push(message.value.toString());
            if (got.length === values.length) resolve();
          },
        })
        .catch(reject);
    }),
  );
  await consumer.disconnect();
  assert.deepEqual(got, values);
  console.log(`kafkajs ${mechanism}: produced and consumed ${got.length}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
