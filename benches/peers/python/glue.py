"""What a team writes today to get RedMist car patches into a broker from Python: the
signalrcore client, one CloudEvents envelope per car patch, published with the broker's own
client. Shared by glue_nats.py and glue_kafka.py; both are benchmark peers of signalr-bridge
(benches/compare), not part of it."""

import argparse
import datetime
import json
import logging
import threading
import uuid

from signalrcore.hub_connection_builder import HubConnectionBuilder

TYPE = "racing.redmist.car.patched.v1"
SCHEMA = "urn:signalr-bridge:schema:" + TYPE


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--hub", required=True, help="hub URL (ws://.../status/event-status)")
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

    def __init__(self, url, event_id, subscriptions, publish):
        self.url, self.publish = url, publish
        self.source = url.split("?")[0]
        self.connection = uuid.uuid4().hex
        self.record = 0
        self.opened = threading.Event()
        self.hub = (HubConnectionBuilder()
                    .with_url(url, options={"skip_negotiation": True})
                    .configure_logging(logging.WARNING)
                    .build())
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
            event = patch.get("eventId") or str(self.subscribe[0])
            car = patch["number"]
            msg_id = f"{self.connection}:{self.record}:{index}"
            envelope = {
                "specversion": "1.0",
                "id": msg_id,
                "source": self.source,
                "type": TYPE,
                "subject": f"events/{event}/cars/{car}",
                "time": now(),
                "datacontenttype": "application/json",
                "dataschema": SCHEMA,
                "partitionkey": f"{event}/{car}",
                "data": patch,
            }
            self.publish(f"{event}.{car}", f"{event}/{car}", msg_id,
                         json.dumps(envelope, separators=(",", ":")).encode())


def report_ready():
    print("ready", flush=True)
