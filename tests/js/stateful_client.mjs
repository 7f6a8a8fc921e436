// Drives the official ASP.NET Core SignalR JS client with stateful reconnect against the
// simulator and prints what it saw as one JSON line.
// Usage: node stateful_client.mjs <hub url> <patch count>   (HUB_PROTOCOL=messagepack for MessagePack)
// Steps (the Rust test plays the server side and drops the connection while patches flow):
//   negotiate + withStatefulReconnect(); invoke SubscribeToEventV2(42); collect ReceiveCarPatches
//   until <patch count> arrived; invoke UnsubscribeFromEventV2(42); wait for the server's Close.
import * as signalR from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

const [hubUrl, count] = process.argv.slice(2);
const wanted = Number(count);
const protocol = process.env.HUB_PROTOCOL === "messagepack" ? "messagepack" : "json";
const out = { protocol, numbers: [], reconnecting: 0, connectionIds: [], closeError: null, error: null };

// A failure bound so a broken server cannot hang the test; not a timing assertion.
const watchdog = setTimeout(() => {
  out.error = out.error ?? `watchdog: ${out.numbers.length} of ${wanted} patches in 45 s`;
  console.log(JSON.stringify(out));
  process.exit(2);
}, 45000);

let builder = new signalR.HubConnectionBuilder()
  .withUrl(hubUrl, { transport: signalR.HttpTransportType.WebSockets })
  .withStatefulReconnect()
  .configureLogging(signalR.LogLevel.None);
if (protocol === "messagepack") {
  builder = builder.withHubProtocol(new MessagePackHubProtocol());
}
const connection = builder.build();
connection.onreconnecting(() => { out.reconnecting += 1; });

const all = new Promise((resolve) => {
  connection.on("ReceiveCarPatches", (patches) => {
    for (const car of patches) {
      // JSON: objects; MessagePack: RedMist's positional arrays (number at index 2).
      out.numbers.push(Number(Array.isArray(car) ? car[2] : car.number));
    }
    if (out.numbers.length >= wanted) resolve();
  });
});
const closed = new Promise((resolve) => connection.onclose((err) => resolve(err)));

try {
  await connection.start();
  out.connectionIds.push(connection.connectionId);
  await connection.invoke("SubscribeToEventV2", 42);
  await all;
  out.connectionIds.push(connection.connectionId);
  await connection.invoke("UnsubscribeFromEventV2", 42);
  const err = await closed;
  out.closeError = err ? String(err.message) : null;
} catch (err) {
  out.error = String(err && err.message ? err.message : err);
}
clearTimeout(watchdog);
console.log(JSON.stringify(out));
