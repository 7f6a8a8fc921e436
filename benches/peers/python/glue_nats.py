"""Python glue peer: signalrcore -> NATS JetStream (nats-py), one PubAck awaited per event,
at most --window publishes in flight. Run by benches/compare."""

import asyncio
import sys

import nats

from glue import arguments, hubs, report_ready


async def main():
    args = arguments(__doc__)
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()
    client = await nats.connect(args.broker)
    js = client.jetstream()
    window = asyncio.Semaphore(1024)

    def publish(subject, _key, msg_id, payload):
        # Called on signalrcore's receive thread: hand over to the event loop.
        loop.call_soon_threadsafe(queue.put_nowait, (subject, msg_id, payload))

    async def one(subject, msg_id, payload):
        try:
            await js.publish(f"{args.destination}.{subject}", payload,
                             headers={"Nats-Msg-Id": msg_id})
        except Exception as error:  # a glue logs and goes on
            print(f"glue: publish failed: {error}", file=sys.stderr)
        finally:
            window.release()

    for hub in hubs(args, publish):
        await loop.run_in_executor(None, hub.start)
    report_ready()
    while True:
        subject, msg_id, payload = await queue.get()
        await window.acquire()
        loop.create_task(one(subject, msg_id, payload))


asyncio.run(main())
