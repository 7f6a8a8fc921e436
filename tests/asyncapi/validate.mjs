// Validates an AsyncAPI 3 document with the official parser (the spec's JSON Schema plus its
// Spectral rules), then checks what the parser does not: every event schema under schemas/ is
// the payload of exactly one message named for its type, with a Kafka key binding, and every
// message example validates against its payload both as the JSON Schema 2020-12 the schemas are
// written in and as the draft-07 the document declares (the format every AsyncAPI tool reads).
// Usage: node validate.mjs ../../docs/asyncapi.yaml. Exits 1 on any error or warning.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Parser, fromFile } from "@asyncapi/parser";
import Ajv07 from "ajv";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const file = process.argv[2];
const schemasDir = path.resolve(path.dirname(file), "../schemas");
const parser = new Parser();
const { document, diagnostics } = await fromFile(parser, file).parse();

const severities = ["error", "warning", "info", "hint"];
let failed = false;
for (const d of diagnostics) {
  const where = d.path && d.path.length ? d.path.join("/") : "(document)";
  console.log(`${severities[d.severity]} ${d.code} at ${where}: ${d.message}`);
  if (d.severity <= 1) failed = true;
}
if (!document) {
  console.error("the parser produced no document");
  process.exit(1);
}

const messages = document.allMessages().all();
const byName = new Map();
for (const m of messages) byName.set(m.name(), (byName.get(m.name()) || 0) + 1);
for (const name of readdirSync(schemasDir).filter((f) => f.endsWith(".json"))) {
  const schema = JSON.parse(readFileSync(path.join(schemasDir, name), "utf8"));
  const type = schema.properties.type.const;
  const found = messages.filter((m) => m.name() === type);
  if (found.length !== 1) {
    console.error(`schemas/${name}: ${found.length} messages named ${type}, want 1`);
    failed = true;
    continue;
  }
  const payload = found[0].payload().json();
  const payloadId = (payload.schema ?? payload).$id;
  if (payloadId !== schema.$id) {
    console.error(`${type}: the message's payload is ${payloadId}, want ${schema.$id}`);
    failed = true;
  }
  if (!found[0].bindings().has("kafka")) {
    console.error(`${type}: no Kafka binding (the record key)`);
    failed = true;
  }
  const examples = found[0].examples().all();
  if (examples.length === 0) {
    console.error(`${type}: no example`);
    failed = true;
  }
  const { $schema, ...draft07 } = schema;
  for (const [dialect, ajv, s] of [
    ["2020-12", addFormats(new Ajv2020({ strict: false })), schema],
    ["draft-07", addFormats(new Ajv07({ strict: false })), draft07],
  ]) {
    const check = ajv.compile(s);
    for (const example of examples) {
      if (!check(example.payload())) {
        console.error(`${type}: example ${example.name()} fails the ${dialect} schema:`);
        console.error(JSON.stringify(check.errors));
        failed = true;
      }
    }
  }
}
const channels = document.allChannels().all();
console.log(`${channels.length} channels, ${byName.size} messages, ${diagnostics.length} diagnostics`);
if (failed) process.exit(1);
console.log("asyncapi: ok");
