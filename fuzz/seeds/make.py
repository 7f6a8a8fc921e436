"""Regenerates the committed seed corpora of both fuzz crates (this one and the protocol crate's,
crates/signalr-proto/fuzz) from the repo's real inputs (tests/fixtures/inputs/) and the test
vectors of the SignalR protocol notes. Run from fuzz/: python3 seeds/make.py. Each seed is
small; the fuzzer grows its own corpus in <fuzz dir>/corpus/."""
import base64, gzip, json, os, struct, zlib

RS = "\x1e"
HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "..", "..", "tests", "fixtures", "inputs")


# Targets of the protocol crate's fuzz crate; the others are this crate's.
PROTO_SEEDS = os.path.join(HERE, "..", "..", "crates", "signalr-proto", "fuzz", "seeds")
PROTO_TARGETS = {"core_json", "core_msgpack", "msgpack_roundtrip", "classic_frame", "negotiate"}


def put(target, name, data):
    where = os.path.join(PROTO_SEEDS if target in PROTO_TARGETS else HERE, target)
    os.makedirs(where, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(where, name), "wb") as f:
        f.write(data)


def fixture(name):
    with open(os.path.join(INPUTS, name + ".json")) as f:
        return json.load(f)


# Core JSON: a frame-size byte, then records.
put("core_json", "handshake_and_reset", b"\x05" + ("{}" + RS + '{"type":1,"target":"ReceiveReset","arguments":[]}' + RS).encode())
put("core_json", "vectors", b"\x00" + (RS.join([
    '{"type":1,"headers":{"Foo":"Bar"},"invocationId":"123","target":"Send","arguments":[42,"Test Message"]}',
    '{"type":3,"invocationId":"123","result":42}', '{"type":3,"invocationId":"123","error":"It didn\'t work!"}',
    '{"type":3,"invocationId":"123","result":42,"error":"It didn\'t work!"}', '{"type":6}',
    '{"type":7,"error":"Connection closed with an error!","allowReconnect":true}',
    '{"type":8,"sequenceId":1394}', '{"type":9,"sequenceId":1234}', '{"type":99}']) + RS).encode())
patch = fixture("racing.redmist.car.patched.v1")
put("core_json", "car_patches", b"\x11" + (json.dumps({"type": 1, "target": patch["target"], "arguments": patch["arguments"]}) + RS).encode())

# Core MessagePack: a frame-size byte, then (optionally) the handshake and framed records.
mp = lambda h: bytes.fromhex(h.replace(" ", ""))
def framed(body):
    out, n = b"", len(body)
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80]); n >>= 7
    return out + bytes([n]) + body
put("core_msgpack", "handshake_and_reset", b"\x03" + b"{}" + RS.encode() + mp("13 96 01 80 c0 ac 52 65 63 65 69 76 65 52 65 73 65 74 90 90"))
put("core_msgpack", "vectors", b"\x00" + b"".join(framed(mp(h)) for h in [
    "96 01 80 a3 78 79 7a a6 6d 65 74 68 6f 64 91 2a 90", "96 01 82 a1 78 a1 79 a1 7a a1 7a a3 78 79 7a a6 6d 65 74 68 6f 64 91 2a 90",
    "95 03 80 a3 78 79 7a 01 a5 45 72 72 6f 72", "94 03 80 a3 78 79 7a 02", "95 03 80 a3 78 79 7a 03 2a", "91 06",
    "93 07 a3 78 79 7a c3", "93 07 c0 c2", "92 08 cc 24", "92 09 cc 13"]))
# An invocation whose argument holds every value family: map, array, str, bin, ints, floats, timestamp ext.
arg = mp("88 a1 6e a1 37 a1 61 93 01 d0 80 cb 3f f8 00 00 00 00 00 00 a1 62 c4 02 01 02 a1 74 d6 ff 5f 5e 10 00"
         "a1 75 cd 01 00 a1 66 ca 3f c0 00 00 a1 78 c7 03 05 61 62 63 a1 79 c0")
put("core_msgpack", "all_values", b"\x07" + framed(mp("96 01 80 a1 31 a4 53 65 6e 64 91") + arg + mp("90")))
put("core_msgpack", "stream_of_frames", b"\x02" + mp("0b 68 65 6c 6c 6f 0a 77 6f 72 6c 64 02 01 02"))

# MessagePack round trip: target, id, JSON arguments (as subscriptions are configured).
put("msgpack_roundtrip", "subscribe", "SubscribeToEventV2\n0\n[123, null]")
put("msgpack_roundtrip", "nested", 'SubscribeToCarControlLogs\n18446744073709551615\n[-1, 1.5, "7", {"a": [true, false, {}]}, -9223372036854775808, 1e300]')

# Classic frames, one per line.
job = fixture("com.microsoft.hpcpack.job.state_changed.v1")["frame"]
task = fixture("com.microsoft.hpcpack.task.state_changed.v1")["frame"]
put("classic_frame", "session", "\n".join([
    '{"C":"d-7F2E11C0-B,0|C,0","S":1,"M":[]}', json.dumps(job), json.dumps(dict(task, G="grp+/=&x")),
    '{}', '{"I":"0"}', '{"I":"1","E":"There was an error invoking Hub method \'TaskEventHub.BeginListen\'."}',
    '{"C":"x","M":[{"I":"P|2","P":{"I":"2","D":50}}]}', '{"C":"x","T":1,"M":[]}', '{"Response":"started"}']))

# Negotiate answers: Core v1, v0, redirect, refusal; classic HPC; a classic server seen by Core.
put("negotiate", "core_v1", '{"connectionId":"abc","connectionToken":"d+e/f=","negotiateVersion":1,"availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]}]}')
put("negotiate", "core_v0", '{"connectionId":"abc","availableTransports":[{"transport":"ServerSentEvents"},{"transport":"LongPolling"}]}')
put("negotiate", "core_redirect", '{"url":"https://other.example/hub?x=1#frag","accessToken":"t0k"}')
put("negotiate", "core_error", '{"error":"Negotiate refused"}')
put("negotiate", "classic_hpc", '{"Url":"/hpc/signalr","ConnectionToken":"AQAAANCMnd8B+/=","ConnectionId":"6a1d2a8e-0000-4000-8000-000000000001","KeepAliveTimeout":20.0,"DisconnectTimeout":30.0,"ConnectionTimeout":110.0,"TryWebSockets":true,"ProtocolVersion":"1.5","TransportConnectTimeout":5.0,"LongPollDelay":0.0}')

# RedMist: target line, then the arguments (every fixture), the legacy gzip modes, a snapshot.
for name in os.listdir(INPUTS):
    if name.startswith("racing.redmist."):
        f = fixture(name[:-5])
        if name.startswith("racing.redmist.session.snapshot"):
            put("redmist", "snapshot", "snapshot\n" + json.dumps(f["snapshot"]))
            continue
        put("redmist", name[len("racing.redmist."):-len(".v1.json")], f["target"] + "\n" + json.dumps(f["arguments"]))
legacy = fixture("racing.redmist.legacy.status.v1")["arguments"][0]
put("redmist", "legacy_gzip_mode", "ReceiveMessage+gzip\n" + legacy)
put("redmist", "legacy_patch_gzip_mode", 'ReceiveMessage+gzip\n{"t":"patch","e":42,"patches":[{"n":"7","ovp":2},{"number":"8"}]}')
put("redmist", "legacy_base64_mode", b"ReceiveMessage+base64\n" + gzip.compress(b'{"r":true}', mtime=0))
put("redmist", "legacy_vector", 'ReceiveMessage\n["H4sIAAAAAAAC/6tWKlKyKikqTa0FAG8w8vsKAAAA"]')

# HPC Pack: hub line, target line, arguments.
for name, item in [("job", job["M"][0]), ("task", task["M"][1])]:
    put("hpcpack", name, item["H"] + "\n" + item["M"] + "\n" + json.dumps(item["A"]))
put("hpcpack", "core_path_unknown_state", "\nJobStateChange\n[17, \"Exploding\", \"running\"]")

# Spool: records as the spool writes them (event JSON after the hub name).
event = {"specversion": "1.0", "id": "conn:7", "source": "http://127.0.0.1/hub", "type": "com.microsoft.hpcpack.job.state_changed.v1",
         "subject": "jobs/17", "time": "2026-11-30T12:00:00.25Z", "datacontenttype": "application/json",
         "dataschema": "urn:signalr-bridge:schema:com.microsoft.hpcpack.job.state_changed.v1", "partitionkey": "17",
         "data": {"jobId": 17, "state": "Queued", "previousState": "Validating", "terminal": False, "reconciled": False}}
payload = struct.pack("<H", 3) + b"hpc" + json.dumps(event, separators=(",", ":")).encode()
record = struct.pack("<II", len(payload), zlib.crc32(payload)) + payload
put("spool_record", "two_records_raw", b"\x00" + record + record[:-5])
put("spool_record", "payloads_mode", b"\x01" + struct.pack("<H", len(payload)) + payload)
put("spool_open", "good_then_torn", struct.pack("<I", 5) + b"\x00" + record + record[:20])
put("spool_open", "payloads_mode", struct.pack("<I", 0) + b"\x01" + struct.pack("<H", len(payload)) + payload * 1)
put("spool_open", "torn_header", struct.pack("<I", 9) + bytes([2 | (5 << 2)]))
