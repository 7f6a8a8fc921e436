// Drives the official ASP.NET Core SignalR JS client against the simulator and prints what it
// saw as one JSON line. Usage: node core_client.mjs <hub url> <skip|negotiate|unauthorized> [token]
// With HUB_PROTOCOL=messagepack it speaks the MessagePack hub protocol
// (@microsoft/signalr-protocol-msgpack) instead of JSON.
// Steps (the Rust test drives the server side in lockstep by watching invocations):
//   start; invoke SubscribeToControlLogs with 1 argument (arity error) and NoSuchMethod (unknown);
//   invoke SubscribeToEventV2(42); wait for ReceiveCarPatches; invoke UnsubscribeFromEventV2(42);
//   wait for the server's Close; print.
import * as signalR from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

const [hubUrl, mode, token] = process.argv.slice(2);
const protocol = process.env.HUB_PROTOCOL === "messagepack" ? "messagepack" : "json";
const out = { mode, protocol, connectionId: null, errors: {}, patches: null, closeError: null, startError: null };

// A failure bound so a broken server cannot hang the test; not a timing assertion.
const watchdog = setTimeout(() => {
  out.startError = out.startError ?? "watchdog: no progress in 30 s";
  console.log(JSON.stringify(out));
  process.exit(2);
}, 30000);

const options = { transport: signalR.HttpTransportType.WebSockets, skipNegotiation: mode === "skip" };
if (token) {
  options.accessTokenFactory = () => token;
}
let builder = new signalR.HubConnectionBuilder()
  .withUrl(hubUrl, options)
  .configureLogging(signalR.LogLevel.None);
if (protocol === "messagepack") {
  builder = builder.withHubProtocol(new MessagePackHubProtocol());
}
const connection = builder.build();

const patches = new Promise((resolve) => connection.on("ReceiveCarPatches", (p) => resolve(p)));
const closed = new Promise((resolve) => connection.onclose((err) => resolve(err)));

async function errorOf(promise) {
  try {
    await promise;
    return null;
  } catch (err) {
    return String(err && err.message ? err.message : err);
  }
}

try {
  await connection.start();
} catch (err) {
  out.startError = String(err && err.message ? err.message : err);
  console.log(JSON.stringify(out));
  clearTimeout(watchdog);
  process.exit(0);
}
out.connectionId = connection.connectionId;
out.errors.arity = await errorOf(connection.invoke("SubscribeToControlLogs", 42));
out.errors.unknown = await errorOf(connection.invoke("NoSuchMethod", 1));
out.errors.subscribe = await errorOf(connection.invoke("SubscribeToEventV2", 42));
out.patches = await patches;
out.errors.unsubscribe = await errorOf(connection.invoke("UnsubscribeFromEventV2", 42));
const closeErr = await closed;
out.closeError = closeErr ? String(closeErr.message) : null;
clearTimeout(watchdog);
console.log(JSON.stringify(out));
