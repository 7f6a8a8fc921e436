"""Checks the Helm chart with Helm's own engine (helm-python-sdk: Helm v4's Go SDK) and the
Kubernetes JSON Schemas (kubernetes-validate). Run by tests/ship.rs with target/venv's python.

  chart.py check             lint, render default and full values, validate every manifest,
                             check the pod's security and wiring, refuse bad values
  chart.py render VALUES     print what the bridge binary needs to start as the pod would:
                             the mounted config, the container's env, args and mounts (JSON)
  chart.py monitors VALUES   print the rendered ServiceMonitor and PodMonitor objects (JSON),
                             for tests/crds/validate.mjs

Exits non-zero with one line per failure.
"""

import copy
import hashlib
import json
import pathlib
import re
import sys

import helm_python as helm
import kubernetes_validate
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "signalr-bridge"
FULL = ROOT / "tests" / "ship" / "values-full.yaml"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest schemas.
KUBE_VERSIONS = ["1.25.0", "1.37.0"]
RELEASE, NAMESPACE = "bridge", "streaming"

failures = []


def fail(message):
    failures.append(message)


def render(values):
    """Validates values against values.schema.json, as install does, then renders."""
    with helm.Chart.load(str(CHART)) as chart:
        chart.validate_schema(values)
        rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    docs = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                docs.append((path, doc))
    return rendered, docs


def by_kind(docs):
    out = {}
    for path, doc in docs:
        out.setdefault(doc["kind"], []).append(doc)
    return out


def validate_manifests(label, docs):
    for path, doc in docs:
        api = doc.get("apiVersion", "")
        if api.startswith("monitoring.coreos.com/"):
            continue  # CRDs: checked by check_monitors and tests/crds/validate.mjs
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except Exception as e:  # ValidationError, SchemaNotFoundError
                fail(f"{label}: {path} ({doc['kind']}) invalid for Kubernetes {version}: {e}")


def container(deployment):
    return deployment["spec"]["template"]["spec"]["containers"][0]


def check_pod(label, kinds, rendered, values):
    deployments = kinds.get("Deployment", [])
    if len(deployments) != 1:
        return fail(f"{label}: expected one Deployment, got {len(deployments)}")
    dep = deployments[0]
    pod = dep["spec"]["template"]["spec"]
    c = container(dep)
    sc = c.get("securityContext", {})
    want = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True}
    for key, value in want.items():
        if sc.get(key) is not value:
            fail(f"{label}: container securityContext.{key} is {sc.get(key)!r}, want {value!r}")
    if sc.get("capabilities", {}).get("drop") != ["ALL"]:
        fail(f"{label}: capabilities are not all dropped: {sc.get('capabilities')}")
    for where, ctx in (("pod", pod.get("securityContext", {})), ("container", sc)):
        if ctx.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            fail(f"{label}: {where} seccompProfile is not RuntimeDefault")
    if not pod.get("securityContext", {}).get("runAsNonRoot"):
        fail(f"{label}: pod securityContext.runAsNonRoot is not set")
    port = values_port(values)
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    if ports.get("metrics") != port:
        fail(f"{label}: container port metrics is {ports.get('metrics')}, want {port}")
    for probe, path in (("livenessProbe", "/livez"), ("readinessProbe", "/readyz")):
        get = c.get(probe, {}).get("httpGet", {})
        if get.get("path") != path or get.get("port") not in ("metrics", port):
            fail(f"{label}: {probe} is {get}, want {path} on the metrics port")
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    if env.get("SIGNALR_BRIDGE__ADMIN__LISTEN") != f"0.0.0.0:{port}":
        fail(f"{label}: admin listen env is {env.get('SIGNALR_BRIDGE__ADMIN__LISTEN')!r}")
    # A read-only root filesystem needs writable mounts for the spool/file sink and /tmp.
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    for path in ("/var/lib/signalr-bridge", "/tmp"):
        if path not in mounts or mounts[path].get("readOnly"):
            fail(f"{label}: no writable mount at {path}")
    # The admin API: on only when asked, its token a file from the named Secret, its state on
    # the data volume.
    api = values.get("adminApi", {})
    if api.get("enabled"):
        token_dir = "/var/run/secrets/signalr-bridge-admin"
        token_file = f"{token_dir}/{api['tokenSecret']['key']}"
        if env.get("SIGNALR_BRIDGE__ADMIN__API__ENABLED") != "true":
            fail(f"{label}: adminApi.enabled does not turn the API on")
        if env.get("SIGNALR_BRIDGE__ADMIN__API__TOKEN_FILE") != token_file:
            fail(f"{label}: the admin API token file is not {token_file}")
        if mounts.get(token_dir, {}).get("readOnly") is not True:
            fail(f"{label}: the admin API token Secret is not mounted read-only at {token_dir}")
        secrets = [v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v]
        if api["tokenSecret"]["name"] not in secrets:
            fail(f"{label}: the admin API token Secret is not among the volumes {secrets}")
        state = env.get("SIGNALR_BRIDGE__ADMIN__API__STATE_FILE") or ""
        if not state.startswith(values["persistence"]["mountPath"] + "/"):
            fail(f"{label}: the admin API state file {state!r} is not on the data volume")
    elif any(name.startswith("SIGNALR_BRIDGE__ADMIN__API__") for name in env):
        fail(f"{label}: the admin API is configured while adminApi.enabled is false")
    if mounts.get("/etc/signalr-bridge", {}).get("readOnly") is not True:
        fail(f"{label}: the config is not mounted read-only at /etc/signalr-bridge")
    if c.get("args") != ["run", "--config", "/etc/signalr-bridge/config.yaml"]:
        fail(f"{label}: args are {c.get('args')}")
    grace = values["config"].get("shutdown", {}).get("grace_period_secs", 30)
    if pod.get("terminationGracePeriodSeconds", 30) <= grace:
        fail(f"{label}: terminationGracePeriodSeconds does not exceed the bridge's grace period")
    # Rolling on config change: the annotation is the hash of the rendered ConfigMap.
    cm_text = rendered["signalr-bridge/templates/configmap.yaml"]
    annotation = dep["spec"]["template"]["metadata"].get("annotations", {}).get("checksum/config")
    if annotation != hashlib.sha256(cm_text.encode()).hexdigest():
        fail(f"{label}: checksum/config does not match the rendered ConfigMap")
    # Credentials come from existing Secrets: the chart never renders one.
    if "Secret" in kinds:
        fail(f"{label}: the chart rendered a Secret")
    # The mounted config is the values' config, plus the simulator only while the demo is on.
    want = dict(values["config"])
    if values["demo"]["enabled"]:
        want["simulator"] = values["demo"]["simulator"]
    cms = [d for d in kinds.get("ConfigMap", []) if "config.yaml" in d.get("data", {})]
    if len(cms) != 1 or yaml.safe_load(cms[0]["data"]["config.yaml"]) != want:
        fail(f"{label}: the ConfigMap's config.yaml is not the values' config")
    # Selectors select the pod.
    labels = dep["spec"]["template"]["metadata"]["labels"]
    selected = [dep["spec"]["selector"]["matchLabels"]]
    selected += [s["spec"]["selector"] for s in kinds.get("Service", [])]
    selected += [p["spec"]["selector"]["matchLabels"] for p in kinds.get("PodDisruptionBudget", [])]
    selected += [n["spec"]["podSelector"]["matchLabels"] for n in kinds.get("NetworkPolicy", [])]
    for selector in selected:
        if any(labels.get(k) != v for k, v in selector.items()):
            fail(f"{label}: selector {selector} does not select the pod {labels}")


def values_port(values):
    return values.get("metrics", {}).get("port", 9464)


def check_monitors(label, kinds, dep_labels):
    service_ports = {p["name"] for s in kinds.get("Service", []) for p in s["spec"]["ports"]}
    service_labels = [s["metadata"]["labels"] for s in kinds.get("Service", [])]
    for sm in kinds.get("ServiceMonitor", []):
        sel = sm["spec"]["selector"]["matchLabels"]
        if not any(all(lbl.get(k) == v for k, v in sel.items()) for lbl in service_labels):
            fail(f"{label}: ServiceMonitor selects no Service")
        for ep in sm["spec"]["endpoints"]:
            if ep["port"] not in service_ports or ep["path"] != "/metrics":
                fail(f"{label}: ServiceMonitor endpoint {ep} is not the Service's metrics port")
    for pm in kinds.get("PodMonitor", []):
        sel = pm["spec"]["selector"]["matchLabels"]
        if any(dep_labels.get(k) != v for k, v in sel.items()):
            fail(f"{label}: PodMonitor selects no bridge pod")
        for ep in pm["spec"]["podMetricsEndpoints"]:
            if ep["port"] != "metrics" or ep["path"] != "/metrics":
                fail(f"{label}: PodMonitor endpoint {ep} is not the pod's metrics port")


def check_dashboard(kinds):
    maps = [d for d in kinds.get("ConfigMap", []) if "signalr-bridge.json" in d.get("data", {})]
    if len(maps) != 1:
        return fail("full: the dashboard ConfigMap is missing")
    dashboard = json.loads(maps[0]["data"]["signalr-bridge.json"])
    telemetry = "".join(p.read_text() for p in sorted((ROOT / "src" / "telemetry").glob("*.rs")))
    known = set(re.findall(r'"(signalr_bridge_[a-z_]+)"', telemetry))
    known |= {"signalr_bridge_" + n
              for n in re.findall(r'(?:counter|gauge)\(\s*&?r,\s*"([a-z_]+)"', telemetry)}
    used = set()
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            used |= set(re.findall(r"signalr_bridge_[a-z_]+", target["expr"]))
    for name in sorted(used):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if base not in known:
            fail(f"dashboard: {name} is not a metric src/telemetry/ defines")
    if len(used) < 10:
        fail(f"dashboard: only {len(used)} metrics shown")


def load_values(path=None):
    with helm.Chart.load(str(CHART)) as chart:
        defaults = chart.values
    if path is None:
        return {}, defaults
    overrides = yaml.safe_load(pathlib.Path(path).read_text())
    with helm.Chart.load(str(CHART)) as chart:
        return overrides, chart.merge_values(overrides)


def check_release(label, path):
    overrides, values = load_values(path)
    try:
        rendered, docs = render(overrides)
    except Exception as e:
        return fail(f"{label}: values refused or render failed: {e}")
    kinds = by_kind(docs)
    print(f"{label}: {len(docs)} manifests: {sorted(k for k in kinds)}")
    validate_manifests(label, docs)
    check_pod(label, kinds, rendered, values)
    dep = kinds["Deployment"][0]
    check_monitors(label, kinds, dep["spec"]["template"]["metadata"]["labels"])
    return overrides, kinds, rendered


# (what is wrong, where values.schema.json must say it is, the values)
BAD_VALUES = [
    ("an inline hub password", "/config/hubs/0/auth", {"config": {"hubs": [
        {"name": "h", "url": "https://h.example/hpc", "auth": {"password": "hunter2"}}]}}),
    ("an inline bearer token", "/config/hubs/0/auth", {"config": {"hubs": [
        {"name": "h", "url": "https://h.example/hub", "auth": {"bearer_token": "t"}}]}}),
    ("an inline Kafka SASL password", "/config/sink/kafka/sasl", {"config": {"sink": {"kind": "kafka", "kafka": {
        "brokers": "k:9092", "sasl": {"mechanism": "plain", "username": "u",
                                      "password": "p"}}}}}),
    ("an inline OAuth2 client secret", "/config/hubs/0/auth/oauth2", {"config": {"hubs": [
        {"name": "h", "url": "https://h.example/hub", "auth": {"oauth2": {
            "token_url": "https://auth.example/token", "client_id": "c", "client_secret": "s"}}}]}}),
    ("an inline NATS token", "/config/sink/nats", {"config": {"sink": {"kind": "nats", "nats": {"token": "t"}}}}),
    ("a real hub while the demo simulator runs", "/config/hubs/0/url", {"config": {"hubs": [
        {"name": "h", "url": "https://h.example/hub"}]}}),
    ("the simulator set in config", "/config", {"config": {"simulator": {"cars": 3}}}),
    ("no hubs", "/config/hubs", {"config": {"hubs": []}}),
    ("an unknown sink kind", "/config/sink/kind", {"config": {"sink": {"kind": "rabbitmq"}}}),
    ("an admin.listen the chart owns", "/config/admin", {"config": {"admin": {"listen": "127.0.0.1:9464"}}}),
    ("a writable root filesystem", "/securityContext/readOnlyRootFilesystem", {"securityContext": {"readOnlyRootFilesystem": False}}),
    ("privilege escalation", "/securityContext/allowPrivilegeEscalation", {"securityContext": {"allowPrivilegeEscalation": True}}),
    ("root", "/podSecurityContext/runAsNonRoot", {"podSecurityContext": {"runAsNonRoot": False}}),
    ("an added capability", "/securityContext/capabilities/add", {"securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}),
    ("a misspelt top-level key", "", {"replicas": 2}),
    ("a replica count as text", "/replicaCount", {"replicaCount": "two"}),
    ("an unknown update strategy", "/updateStrategy/type", {"updateStrategy": {"type": "BlueGreen"}}),
    ("a rolling update block with Recreate", "/updateStrategy",
     {"updateStrategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}}),
    ("a port out of range", "/metrics/port", {"metrics": {"port": 70000}}),
    ("an unknown pull policy", "/image/pullPolicy", {"image": {"pullPolicy": "Sometimes"}}),
    ("a spool size without a quantity", "/persistence/size", {"persistence": {"size": "lots"}}),
    ("a scrape interval without a unit", "/metrics/serviceMonitor/interval", {"metrics": {"serviceMonitor": {"interval": "30"}}}),
    ("a secret mount without a path", "/secretMounts/0", {"secretMounts": [{"name": "x", "secretName": "x"}]}),
    ("an enabled admin API without its token Secret", "/adminApi/tokenSecret/name",
     {"adminApi": {"enabled": True, "tokenSecret": {"name": "", "key": "token"}}}),
    ("an inline admin API token", "/config/admin/api",
     {"config": {"admin": {"api": {"enabled": True, "token": "t"}}}}),
    ("an env override of the admin listen address", "/env/0",
     {"env": [{"name": "SIGNALR_BRIDGE__ADMIN__LISTEN", "value": "127.0.0.1:1"}]}),
]


def check_bad_values():
    for label, pointer, overrides in BAD_VALUES:
        with helm.Chart.load(str(CHART)) as chart:
            try:
                chart.validate_schema(copy.deepcopy(overrides))
            except helm.HelmError as e:
                where = f"at '{pointer}'"
                if where not in str(e):
                    fail(f"values.schema.json refused {label} but not {where}: {e}")
                print(f"refused {label} {where}")
                continue
        fail(f"values.schema.json accepted {label}: {overrides}")


def check_validator_catches_a_typo():
    """The manifest validation can fail: a misspelt field in the pod spec is reported."""
    _, docs = render({})
    dep = copy.deepcopy(by_kind(docs)["Deployment"][0])
    container(dep)["securityContext"]["readOnlyRootFileSystem"] = True
    try:
        kubernetes_validate.validate(dep, KUBE_VERSIONS[-1], strict=True)
    except kubernetes_validate.ValidationError:
        print("manifest validation refuses a misspelt field: ok")
        return
    fail("kubernetes-validate accepted a Deployment with a misspelt securityContext field")


def check_lint():
    report = helm.lint(str(CHART), strict=True, namespace=NAMESPACE)
    for message in report["messages"]:
        if message["severity"] >= 2:
            fail(f"helm lint: {message['path']}: {message['error']}")
    for error in report["errors"]:
        fail(f"helm lint: {error}")
    full = yaml.safe_load(FULL.read_text())
    report = helm.lint(str(CHART), full, strict=True, namespace=NAMESPACE)
    for message in report["messages"]:
        if message["severity"] >= 2:
            fail(f"helm lint (full values): {message['path']}: {message['error']}")


def check_readme_example():
    """The values example in the chart's README installs."""
    text = (CHART / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    if not blocks:
        return fail("README.md: no values example")
    try:
        _, docs = render(yaml.safe_load(blocks[0]))
    except Exception as e:
        return fail(f"README.md: its values example is refused: {e}")
    validate_manifests("readme", docs)
    print(f"readme example: {len(docs)} manifests")


def strategy(docs):
    return by_kind(docs)["Deployment"][0]["spec"]["strategy"]


def check_update_strategy():
    """An overlap without persistence, the old pod first with it (RWO volume, spool lock),
    and whatever the values say when they say it."""
    cases = [
        ("default", {}, {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}),
        ("persistence", {"persistence": {"enabled": True}}, {"type": "Recreate"}),
        ("given", {"persistence": {"enabled": True}, "updateStrategy": {
            "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}},
         {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}),
    ]
    for label, overrides, want in cases:
        got = strategy(render(overrides)[1])
        if got != want:
            fail(f"update strategy ({label}): {got}, wanted {want}")
        else:
            print(f"update strategy ({label}): {got['type']}")


def check():
    print(f"helm engine: helm-c {helm.helm_c_version()}, Helm SDK {helm.helm_sdk_version()}")
    check_lint()
    check_release("default", None)
    check_update_strategy()
    full = check_release("full", FULL)
    if full:
        _, kinds, rendered = full
        want = {"ConfigMap", "Deployment", "Service", "ServiceAccount", "PodDisruptionBudget",
                "ServiceMonitor", "PodMonitor", "NetworkPolicy", "PersistentVolumeClaim"}
        if not want <= set(kinds):
            fail(f"full: missing kinds {sorted(want - set(kinds))}")
        check_dashboard(kinds)
        # A config change changes the pod template, so pods roll.
        overrides = yaml.safe_load(FULL.read_text())
        overrides["config"]["log"]["level"] = "debug"
        _, docs = render(overrides)
        changed = by_kind(docs)["Deployment"][0]["spec"]["template"]["metadata"]["annotations"]
        before = kinds["Deployment"][0]["spec"]["template"]["metadata"]["annotations"]
        if changed["checksum/config"] == before["checksum/config"]:
            fail("full: checksum/config did not change with the config")
    check_readme_example()
    check_bad_values()
    check_validator_catches_a_typo()
    if failures:
        print("\n".join(f"FAIL {f}" for f in failures), file=sys.stderr)
        sys.exit(1)
    print("chart: ok")


def render_for_binary(path):
    """The config file the pod mounts and the container's env, args and volume mounts."""
    overrides = yaml.safe_load(pathlib.Path(path).read_text()) if path != "-" else {}
    _, docs = render(overrides)
    kinds = by_kind(docs)
    dep = kinds["Deployment"][0]
    c = container(dep)
    cm = [d for d in kinds["ConfigMap"] if "config.yaml" in d.get("data", {})][0]
    print(json.dumps({
        "config_yaml": cm["data"]["config.yaml"],
        "env": [e for e in c.get("env", []) if "value" in e],
        "args": c["args"],
        "mounts": [m["mountPath"] for m in c["volumeMounts"]],
    }))


def monitors(path):
    _, docs = render(yaml.safe_load(pathlib.Path(path).read_text()))
    found = [d for _, d in docs if d["apiVersion"].startswith("monitoring.coreos.com/")]
    print(json.dumps(found))


if __name__ == "__main__":
    if sys.argv[1:2] == ["check"]:
        check()
    elif sys.argv[1:2] == ["monitors"] and len(sys.argv) == 3:
        monitors(sys.argv[2])
    elif sys.argv[1:2] == ["render"] and len(sys.argv) == 3:
        render_for_binary(sys.argv[2])
    else:
        sys.exit(__doc__)
