"""What a team writes today to get RedMist car patches into a broker from Python: the
signalrcore client (JSON or MessagePack hub protocol), one CloudEvents envelope per car patch,
published with the broker's own client (glue_hpc.py is the classic HPC Pack counterpart).
Shared by glue_nats.py and glue_kafka.py; both are benchmark peers of signalr-bridge
(benches/compare), not part of it."""

import argparse
import datetime
import json
import logging
import os
import threading
import uuid

from signalrcore.hub_connection_builder import HubConnectionBuilder
from signalrcore.protocol.messagepack_protocol import MessagePackHubProtocol

TYPE = "racing.redmist.car.patched.v1"
# Under MessagePack, RedMist's CarPositionPatch is a positional array indexed by its [Key(n)]
# attributes (nil where unchanged); these are the member names by key.
with open(os.path.join(os.path.dirname(__file__), "..", "redmist_car_keys.json")) as keys:
    CAR_KEYS = json.load(keys)


def car_fields(patch):
    """A car patch as a dict of camelCase members: as sent under JSON, from its positional
    array under MessagePack (unchanged members left out)."""
    if isinstance(patch, dict):
        return patch
    return {CAR_KEYS[i]: v for i, v in enumerate(patch) if v is not None and i < len(CAR_KEYS)}


def envelope(msg_id, source, kind, subject, key, data):
    """The CloudEvents JSON of one event, as the bridge writes it (structured mode)."""
    return json.dumps({
        "specversion": "1.0",
        "id": msg_id,
        "source": source,
        "type": kind,
        "subject": subject,
        "time": now(),
        "datacontenttype": "application/json",
        "dataschema": "urn:signalr-bridge:schema:" + kind,
        "partitionkey": key,
        "data": data,
    }, separators=(",", ":")).encode()


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--hub", required=True, help="hub URL (ws://.../status/event-status)")
    parser.add_argument("--frames", choices=["json", "messagepack", "hpc"], default="json",
                        help="the hub protocol, or hpc: classic SignalR HPC Pack job events")
    parser.add_argument("--user", help="HTTP Basic user (hpc)")
    parser.add_argument("--password", help="HTTP Basic password (hpc)")
    parser.add_argument("--event-id", type=int, default=42)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--subscriptions", type=int, default=1,
                        help="events subscribed per connection (event-id, event-id+1, ...)")
    parser.add_argument("--broker", required=True)
    parser.add_argument("--destination", required=True, help="subject prefix or topic")
    return parser.parse_args()


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


class Hub:
    """One hub connection; `publish(subject, key, msg_id, payload)` is called for every car
    patch, on the connection's receive thread."""

    def __init__(self, url, event_id, subscriptions, publish, frames="json"):
        self.url, self.publish = url, publish
        self.source = url.split("?")[0]
        self.connection = uuid.uuid4().hex
        self.record = 0
        self.opened = threading.Event()
        builder = (HubConnectionBuilder()
                   .with_url(url, options={"skip_negotiation": True})
                   .configure_logging(logging.WARNING))
        if frames == "messagepack":
            builder = builder.with_hub_protocol(MessagePackHubProtocol())
        self.hub = builder.build()
        self.hub.on("ReceiveCarPatches", self.on_patches)
        self.hub.on_open(self.opened.set)
        self.subscribe = [event_id + i for i in range(subscriptions)]

    def start(self):
        self.hub.start()
        if not self.opened.wait(30):
            raise SystemExit("glue: the hub did not open")
        for event in self.subscribe:
            self.hub.send("SubscribeToEventV2", [event])

    def on_patches(self, args):
        self.record += 1
        for index, patch in enumerate(args[0]):
            patch = car_fields(patch)
            event = patch.get("eventId") or str(self.subscribe[0])
            car = patch["number"]
            msg_id = f"{self.connection}:{self.record}:{index}"
            key = f"{event}/{car}"
            payload = envelope(msg_id, self.source, TYPE, f"events/{event}/cars/{car}", key, patch)
            self.publish(f"{event}.{car}", key, msg_id, payload)


def hubs(args, publish):
    """The `--connections` hub connections `args` asks for, not yet started."""
    if args.frames == "hpc":
        from glue_hpc import ClassicHub
        return [ClassicHub(args.hub, args.event_id, args.subscriptions, publish, args.user,
                           args.password) for _ in range(args.connections)]
    return [Hub(args.hub, args.event_id, args.subscriptions, publish, args.frames)
            for _ in range(args.connections)]


def report_ready():
    print("ready", flush=True)
