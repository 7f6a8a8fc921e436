"""What a team writes today to get HPC Pack job and task state changes into a broker from
Python: signalr-client-threads (classic ASP.NET SignalR 2.x, WebSocket transport, HTTP Basic
auth), BeginListen(jobId) on both event hubs, one CloudEvents envelope per JobStateChange /
TaskStateChange. Used by glue_nats.py and glue_kafka.py with `--frames hpc`; a benchmark peer of
signalr-bridge (benches/compare), not part of it."""

import threading
import uuid

import requests
from requests.auth import HTTPBasicAuth
from signalr import Connection

from glue import envelope

JOB_HUB = "JobEventHub"
TASK_HUB = "TaskEventHub"
JOB_TYPE = "com.microsoft.hpcpack.job.state_changed.v1"
TASK_TYPE = "com.microsoft.hpcpack.task.state_changed.v1"
TERMINAL = {"Finished", "Failed", "Canceled"}


class ClassicHub:
    """One classic connection to `<hpc>/signalr` with both event hubs; `publish(subject, key,
    msg_id, payload)` is called for every state change, on the connection's receive thread."""

    def __init__(self, url, event_id, subscriptions, publish, user, password):
        self.publish = publish
        self.source = url.rstrip("/")
        self.id = uuid.uuid4().hex
        self.message = 0
        self.lock = threading.Lock()
        session = requests.Session()
        # An auth object, not a tuple: the WebSocket transport calls it to build its headers.
        session.auth = HTTPBasicAuth(user, password)
        self.connection = Connection(f"{self.source}/signalr", session)
        self.jobs = self.connection.register_hub(JOB_HUB)
        self.tasks = self.connection.register_hub(TASK_HUB)
        self.jobs.client.on("JobStateChange", self.on_job)
        self.tasks.client.on("TaskStateChange", self.on_task)
        self.subscribe = [event_id + i for i in range(subscriptions)]

    def start(self):
        self.connection.start()
        for job in self.subscribe:
            self.jobs.server.invoke("BeginListen", job)
            self.tasks.server.invoke("BeginListen", job)

    def emit(self, kind, job, subject, data):
        with self.lock:
            self.message += 1
            msg_id = f"{self.id}:{self.message}"
        payload = envelope(msg_id, self.source, kind, subject, str(job), data)
        self.publish(f"jobs.{job}", str(job), msg_id, payload)

    def on_job(self, job, state, previous_state):
        data = {"jobId": job, "state": state, "previousState": previous_state,
                "terminal": state in TERMINAL, "reconciled": False}
        self.emit(JOB_TYPE, job, f"jobs/{job}", data)

    def on_task(self, job, task_id, instance_id, state, previous_state):
        data = {"jobId": job, "taskId": task_id, "instanceId": instance_id, "state": state,
                "previousState": previous_state, "terminal": state in TERMINAL,
                "reconciled": False}
        self.emit(TASK_TYPE, job, f"jobs/{job}/tasks/{task_id}", data)
