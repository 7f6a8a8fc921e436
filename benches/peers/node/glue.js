// What a team writes today to get RedMist car patches into a broker from Node.js: the official
// @microsoft/signalr client (JSON or MessagePack hub protocol), one CloudEvents envelope per car
// patch, published with the broker's own client. Shared by glue_nats.js and glue_kafka.js
// (glue_hpc.js is the classic HPC Pack counterpart); benchmark peers of signalr-bridge
// (benches/compare), not part of it.
"use strict";
const crypto = require("crypto");
const signalR = require("@microsoft/signalr");
const { MessagePackHubProtocol } = require("@microsoft/signalr-protocol-msgpack");

const TYPE = "racing.redmist.car.patched.v1";
const SCHEMA = "urn:signalr-bridge:schema:" + TYPE;
// Under MessagePack, RedMist's CarPositionPatch is a positional array indexed by its [Key(n)]
// attributes (null where unchanged); these are the member names by key.
const CAR_KEYS = require("../redmist_car_keys.json");

// A car patch as an object of camelCase members: as sent under JSON, from its positional array
// under MessagePack (unchanged members left out).
function carFields(patch) {
  if (!Array.isArray(patch)) return patch;
  const out = {};
  patch.forEach((value, i) => {
    if (value !== null && value !== undefined && i < CAR_KEYS.length) out[CAR_KEYS[i]] = value;
  });
  return out;
}

function args() {
  const out = { eventId: 42, connections: 1, subscriptions: 1, frames: "json" };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "").replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    out[key] = /^\d+$/.test(argv[i + 1]) ? Number(argv[i + 1]) : argv[i + 1];
  }
  for (const required of ["hub", "broker", "destination"]) {
    if (!out[required]) throw new Error(`glue: --${required} is required`);
  }
  return out;
}

// Connects one hub; `publish(subject, key, msgId, payload)` gets every car patch. Returns when
// the subscriptions are in.
async function hub(opts, publish) {
  let builder = new signalR.HubConnectionBuilder()
    .withUrl(opts.hub, { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets })
    .configureLogging(signalR.LogLevel.Warning);
  if (opts.frames === "messagepack") builder = builder.withHubProtocol(new MessagePackHubProtocol());
  const connection = builder.build();
  const id = crypto.randomUUID().replace(/-/g, "");
  const source = opts.hub.split("?")[0];
  let record = 0;
  connection.on("ReceiveCarPatches", (patches) => {
    record += 1;
    patches.forEach((sent, index) => {
      const patch = carFields(sent);
      const event = patch.eventId || String(opts.eventId);
      const car = patch.number;
      const msgId = `${id}:${record}:${index}`;
      const envelope = {
        specversion: "1.0",
        id: msgId,
        source,
        type: TYPE,
        subject: `events/${event}/cars/${car}`,
        time: new Date().toISOString(),
        datacontenttype: "application/json",
        dataschema: SCHEMA,
        partitionkey: `${event}/${car}`,
        data: patch,
      };
      publish(`${event}.${car}`, `${event}/${car}`, msgId, JSON.stringify(envelope));
    });
  });
  await connection.start();
  for (let i = 0; i < opts.subscriptions; i++) {
    await connection.invoke("SubscribeToEventV2", opts.eventId + i);
  }
  return connection;
}

module.exports = { args, hub };
