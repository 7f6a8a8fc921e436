// Validates ServiceMonitor and PodMonitor objects (a JSON array in the file named by the first
// argument) against the prometheus-operator CRD schemas that @kubernetes-models ships.
// Exits 1 when any object is invalid or of another kind.
import { readFileSync } from "node:fs";
import { PodMonitor, ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const kinds = { ServiceMonitor, PodMonitor };
let failed = false;
for (const object of JSON.parse(readFileSync(process.argv[2], "utf8"))) {
  const Model = kinds[object.kind];
  if (!Model || object.apiVersion !== "monitoring.coreos.com/v1") {
    console.error(`${object.apiVersion} ${object.kind}: not a monitoring.coreos.com/v1 monitor`);
    failed = true;
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`${object.kind} ${object.metadata.name}: valid`);
  } catch (e) {
    console.error(`${object.kind} ${object.metadata.name}: ${e.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
