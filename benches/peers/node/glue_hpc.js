// What a team writes today to get HPC Pack job and task state changes into a broker from
// Node.js: the node-signalr client for classic ASP.NET SignalR 2.x, BeginListen(jobId) on both
// event hubs, one CloudEvents envelope per JobStateChange / TaskStateChange, published with the
// broker's own client. Used by glue_nats.js and glue_kafka.js with `--frames hpc`; a benchmark
// peer of signalr-bridge (benches/compare), not part of it.
"use strict";
const crypto = require("crypto");
const signalr = require("node-signalr");

const JOB_HUB = "JobEventHub";
const TASK_HUB = "TaskEventHub";
const JOB_TYPE = "com.microsoft.hpcpack.job.state_changed.v1";
const TASK_TYPE = "com.microsoft.hpcpack.task.state_changed.v1";
const TERMINAL = new Set(["Finished", "Failed", "Canceled"]);

// Connects one classic hub connection (`opts.hub` is the `…/hpc` base); `publish(subject, key,
// msgId, payload)` gets every state change. Returns when BeginListen is answered on both hubs.
async function hub(opts, publish) {
  const client = new signalr.Client(`${opts.hub.replace(/\/$/, "")}/signalr`, [JOB_HUB, TASK_HUB]);
  const basic = Buffer.from(`${opts.user}:${opts.password}`).toString("base64");
  client.headers["Authorization"] = `Basic ${basic}`;
  const id = crypto.randomUUID().replace(/-/g, "");
  const source = opts.hub;
  let message = 0;
  const emit = (type, job, subject, data) => {
    message += 1;
    const msgId = `${id}:${message}`;
    const envelope = {
      specversion: "1.0",
      id: msgId,
      source,
      type,
      subject,
      time: new Date().toISOString(),
      datacontenttype: "application/json",
      dataschema: "urn:signalr-bridge:schema:" + type,
      partitionkey: String(job),
      data,
    };
    publish(`jobs.${job}`, String(job), msgId, JSON.stringify(envelope));
  };
  client.connection.hub.on(JOB_HUB, "JobStateChange", (job, state, previousState) => {
    const data = { jobId: job, state, previousState, terminal: TERMINAL.has(state),
      reconciled: false };
    emit(JOB_TYPE, job, `jobs/${job}`, data);
  });
  client.connection.hub.on(TASK_HUB, "TaskStateChange",
    (job, taskId, instanceId, state, previousState) => {
      const data = { jobId: job, taskId, instanceId, state, previousState,
        terminal: TERMINAL.has(state), reconciled: false };
      emit(TASK_TYPE, job, `jobs/${job}/tasks/${taskId}`, data);
    });
  await new Promise((resolve, reject) => {
    client.on("connected", resolve);
    client.on("error", reject);
    client.start();
  });
  for (let i = 0; i < opts.subscriptions; i++) {
    for (const name of [JOB_HUB, TASK_HUB]) {
      await client.connection.hub.call(name, "BeginListen", opts.eventId + i);
    }
  }
  return client;
}

module.exports = { hub };
