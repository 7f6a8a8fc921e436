// Drives the official classic ASP.NET SignalR 2.x jQuery client (npm `signalr` 2.4.3 with
// jQuery 3, inside jsdom) against the classic simulator and prints what it saw as one JSON line.
// Usage: node classic_client.cjs <base url, e.g. http://127.0.0.1:1234/hpc> <user> <password> <jobId> <jobs to finish>
// Steps: start (WebSockets) with JobEventHub and TaskEventHub; call BeginListen(jobId) on both;
// call BeginListen() without arguments and NoSuchMethod (errors); collect events until the job's
// JobStateChange reaches a terminal state and every task has too; stop; print.
// Auth: XHRs (negotiate/start/abort) carry Basic via $.signalR.ajaxDefaults.headers; the WebSocket
// upgrade carries it because the page's WebSocket gets user:password in the URL (see below), which
// jsdom's `ws` turns into an Authorization: Basic header. No query-string auth is used.
"use strict";
const fs = require("fs");
const { JSDOM, VirtualConsole } = require("jsdom");

const [baseUrl, user, password, jobArg] = process.argv.slice(2);
const jobId = Number(jobArg);
const base = new URL(baseUrl);
const out = { jobEvents: [], taskEvents: [], errors: {}, states: [], startError: null, transport: null };

const watchdog = setTimeout(() => {
  out.startError = out.startError || "watchdog: no progress in 60 s";
  console.log(JSON.stringify(out));
  process.exit(2);
}, 60000);

const dom = new JSDOM("<!doctype html><html><body></body></html>", {
  url: base.origin + "/",
  runScripts: "outside-only",
  // The client's log (on with CLASSIC_CLIENT_LOG=1) goes to stderr; stdout is the report.
  virtualConsole: ["log", "debug", "error", "warn", "jsdomError"].reduce(
    (vc, level) => vc.on(level, (m) => process.stderr.write(String(m) + "\n")),
    new VirtualConsole(),
  ),
});
const { window } = dom;
window.eval(fs.readFileSync(require.resolve("jquery/dist/jquery.js"), "utf8"));
window.eval(fs.readFileSync(require.resolve("signalr/jquery.signalR.js"), "utf8"));
const $ = window.jQuery;

// A browser that knows the origin's Basic credentials sends them on the WebSocket upgrade too;
// the jQuery client has no way to set upgrade headers, so give jsdom's WebSocket the same
// knowledge: user:password in the URL, which its `ws` turns into an Authorization header.
const PlainWebSocket = window.WebSocket;
window.WebSocket = class extends PlainWebSocket {
  constructor(url, protocols) {
    const withCredentials = new URL(url);
    withCredentials.username = user;
    withCredentials.password = password;
    super(withCredentials.href, protocols);
  }
};

const basic = "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
$.signalR.ajaxDefaults.headers = { Authorization: basic };

// HPC's documented URL is .../hpc; the client appends /signalr itself.
const connection = $.hubConnection(baseUrl);
connection.logging = process.env.CLASSIC_CLIENT_LOG === "1";
const jobs = connection.createHubProxy("JobEventHub");
const tasks = connection.createHubProxy("TaskEventHub");
connection.stateChanged((change) => out.states.push(change.newState));

const terminal = ["Finished", "Failed", "Canceled"];
let resolveDone;
const done = new Promise((resolve) => (resolveDone = resolve));
function check() {
  const jobDone = out.jobEvents.some((e) => e[0] === jobId && terminal.includes(e[1]));
  const last = new Map();
  for (const e of out.taskEvents) last.set(e[1], e[3]);
  const tasksDone = last.size > 0 && [...last.values()].every((s) => terminal.includes(s));
  if (jobDone && tasksDone) resolveDone();
}
jobs.on("JobStateChange", (id, state, previous) => {
  out.jobEvents.push([id, state, previous]);
  check();
});
tasks.on("TaskStateChange", (id, taskId, instanceId, state, previous) => {
  out.taskEvents.push([id, taskId, instanceId, state, previous]);
  check();
});

function errorOf(deferred) {
  return new Promise((resolve) => {
    deferred.done(() => resolve(null)).fail((err) => resolve(String(err && err.message ? err.message : err)));
  });
}

(async () => {
  try {
    await new Promise((resolve, reject) => {
      connection.start({ transport: "webSockets" }).done(resolve).fail(reject);
    });
  } catch (err) {
    out.startError = String(err && err.message ? err.message : err);
    console.log(JSON.stringify(out));
    clearTimeout(watchdog);
    process.exit(0);
  }
  out.transport = connection.transport && connection.transport.name;
  out.errors.arity = await errorOf(tasks.invoke("BeginListen"));
  out.errors.unknown = await errorOf(jobs.invoke("NoSuchMethod", 1));
  out.errors.jobs = await errorOf(jobs.invoke("BeginListen", jobId));
  out.errors.tasks = await errorOf(tasks.invoke("BeginListen", jobId));
  await done;
  connection.stop();
  clearTimeout(watchdog);
  console.log(JSON.stringify(out));
  window.close();
  process.exit(0);
})();
