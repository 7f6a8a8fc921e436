// Node glue peer: @microsoft/signalr -> NATS JetStream (nats.js), every PubAck awaited (the
// client has no backpressure, so nothing bounds the publishes in flight). Run by benches/compare.
"use strict";
const { connect, headers } = require("nats");
const { args, hub: coreHub } = require("./glue");
const { hub: classicHub } = require("./glue_hpc");

(async () => {
  const opts = args();
  const hub = opts.frames === "hpc" ? classicHub : coreHub;
  const nc = await connect({ servers: opts.broker });
  const js = nc.jetstream();
  const encoder = new TextEncoder();
  const publish = (subject, _key, msgId, payload) => {
    js.publish(`${opts.destination}.${subject}`, encoder.encode(payload), { msgID: msgId })
      .catch((error) => console.error(`glue: publish failed: ${error}`));
  };
  for (let i = 0; i < opts.connections; i++) await hub(opts, publish);
  console.log("ready");
})().catch((error) => { console.error(error); process.exit(1); });
