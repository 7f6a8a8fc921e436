// Node glue peer: @microsoft/signalr -> Kafka (kafkajs), one send per hub message with acks -1.
// kafkajs's idempotent producer fails against tansu, so idempotence is off (the table says so).
// Run by benches/compare.
"use strict";
const { Kafka, logLevel } = require("kafkajs");
const { args, hub: coreHub } = require("./glue");
const { hub: classicHub } = require("./glue_hpc");

(async () => {
  const opts = args();
  const hub = opts.frames === "hpc" ? classicHub : coreHub;
  const kafka = new Kafka({ brokers: [opts.broker], logLevel: logLevel.ERROR });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  // Car patches of one hub message go out in one send.
  let pending = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const messages = pending;
    pending = [];
    producer.send({ topic: opts.destination, acks: -1, messages })
      .catch((error) => console.error(`glue: send failed: ${error}`));
  };
  const publish = (_subject, key, _msgId, payload) => {
    pending.push({ key, value: payload });
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };
  for (let i = 0; i < opts.connections; i++) await hub(opts, publish);
  console.log("ready");
})().catch((error) => { console.error(error); process.exit(1); });
