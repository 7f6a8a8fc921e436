"""Python glue peer: signalrcore -> Kafka (confluent-kafka: idempotent, acks=all), delivery
reports served by a poll thread. Run by benches/compare."""

import threading
import time

from confluent_kafka import Producer

from glue import arguments, hubs, report_ready


def main():
    args = arguments(__doc__)
    producer = Producer({
        "bootstrap.servers": args.broker,
        "enable.idempotence": True,
        "acks": "all",
    })

    def publish(_subject, key, _msg_id, payload):
        while True:
            try:
                producer.produce(args.destination, payload, key)
                return
            except BufferError:  # the local queue is full: wait for delivery reports
                producer.poll(0.05)

    def serve_reports():
        while True:
            producer.poll(0.1)

    threading.Thread(target=serve_reports, daemon=True).start()
    for hub in hubs(args, publish):
        hub.start()
    report_ready()
    while True:
        time.sleep(3600)


main()
