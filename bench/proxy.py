# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A recording proxy in front of the emulator: every AWS request, in order, with its time.

The benchmark points ``AWS_ENDPOINT_URL`` here. Each request is forwarded unchanged to the
emulator and recorded as ``(start, end, "service.Operation", status)`` before its response
goes back, so a count taken after a playbook ends is exact (no log flushing to wait for).

The emulator lacks a few operations that amazon.aws modules call (they answer 501 "not
implemented"). For those only, and only when the emulator answers 501, the proxy answers what
AWS answers in the case at hand, so that both sides can run the same job twice. The call is
still counted. ``STUBS`` is the whole list; the benchmark reports how often each was used.

One answer of the emulator differs from AWS's in a way that changes what a module does:
moto copies ``CreateLaunchTemplate``'s own ``TagSpecifications`` (the tags of the template)
into version 1's ``LaunchTemplateData``, where EC2 never puts them (it rejects the
``launch-template`` resource type there). amazon.aws.ec2_launch_template then sees a version
that differs from what it wants and writes a new one on the next run, on the emulator only.
``CORRECTIONS`` removes them from ``DescribeLaunchTemplateVersions`` answers; the benchmark
reports how many answers were corrected.
"""

from __future__ import annotations

import http.client
import http.server
import re
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

NOT_IMPLEMENTED = 501
OK = 200

# AWS's answers when the operation has nothing to do. Keys: "service.Operation".
STUBS = {
    # No metrics collection is ever enabled in the job, so disabling it is a no-op in AWS.
    "autoscaling.DisableMetricsCollection": (
        '<DisableMetricsCollectionResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">'
        "<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata></DisableMetricsCollectionResponse>"
    ),
    # amazon.aws calls it right before DeleteLaunchTemplate, which deletes every version anyway.
    "ec2.DeleteLaunchTemplateVersions": (
        '<DeleteLaunchTemplateVersionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        "<requestId>{rid}</requestId><successfullyDeletedLaunchTemplateVersionSet/>"
        "<unsuccessfullyDeletedLaunchTemplateVersionSet/></DeleteLaunchTemplateVersionsResponse>"
    ),
}


def _without_template_tags(payload: bytes) -> bytes | None:
    """The answer without ``launch-template`` tag specifications in version data; None if it has none."""
    if b"<resourceType>launch-template</resourceType>" not in payload:
        return None
    root = ET.fromstring(payload)  # noqa: S314 - the emulator's answer, on this machine
    ns = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""

    def q(tag: str) -> str:
        return f"{{{ns}}}{tag}" if ns else tag

    removed = False
    for data in root.iter(q("launchTemplateData")):
        for spec_set in data.findall(q("tagSpecificationSet")):
            for item in spec_set.findall(q("item")):
                if item.findtext(q("resourceType")) == "launch-template":
                    spec_set.remove(item)
                    removed = True
            if not len(spec_set):
                data.remove(spec_set)
    if not removed:
        return None
    ET.register_namespace("", ns)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# Answers the emulator gets wrong, corrected to AWS's. Keys: "service.Operation".
CORRECTIONS = {"ec2.DescribeLaunchTemplateVersions": _without_template_tags}

_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


def operation_of(headers, body: bytes) -> str:
    """``service.Operation`` of a signed AWS request (query protocol, or JSON with X-Amz-Target)."""
    match = _SCOPE.search(headers.get("Authorization", ""))
    service = match.group(1) if match else "unknown"
    target = headers.get("X-Amz-Target")
    if target:
        return f"{service}.{target.rsplit('.', 1)[-1]}"
    action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action")
    return f"{service}.{action[0] if action else 'unknown'}"


class Recorder:
    """Thread-safe list of the requests seen, with the stubbed ones counted."""

    def __init__(self):
        self._lock = threading.Lock()
        self.calls: list[tuple[float, float, str, int]] = []
        self.stubbed: dict[str, int] = {}
        self.corrected: dict[str, int] = {}

    def add(self, start, end, operation: str, status: int, *, stubbed: bool = False, corrected: bool = False) -> None:
        with self._lock:
            self.calls.append((start, end, operation, status))
            if stubbed:
                self.stubbed[operation] = self.stubbed.get(operation, 0) + 1
            if corrected:
                self.corrected[operation] = self.corrected.get(operation, 0) + 1

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int) -> list[tuple[float, float, str, int]]:
        with self._lock:
            return list(self.calls[mark:])


class Upstream:
    """One kept-alive connection to the emulator per proxy thread."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self._local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
        return conn

    def _drop(self) -> None:
        self._local.conn.close()
        self._local.conn = None

    def forward(self, method: str, path: str, headers: dict, body: bytes):
        """(status, headers, payload) of the request; retried once if the kept connection was closed."""
        try:
            return self._send(method, path, headers, body)
        except (http.client.HTTPException, OSError):
            self._drop()
        return self._send(method, path, headers, body)

    def _send(self, method, path, headers, body):
        conn = self._conn()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()


def make_handler(upstream: Upstream, recorder: Recorder):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - quiet: the recorder is the log
            pass

        def _handle(self):
            start = time.time()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            operation = operation_of(self.headers, body)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            status, out_headers, payload = upstream.forward(self.command, self.path, headers, body)
            stubbed = status == NOT_IMPLEMENTED and operation in STUBS
            if stubbed:
                status, out_headers = 200, [("Content-Type", "text/xml")]
                payload = STUBS[operation].format(rid=uuid.uuid4()).encode()
            corrected = None
            if status == OK and operation in CORRECTIONS:
                corrected = CORRECTIONS[operation](payload)
                if corrected is not None:
                    payload = corrected
            # Recorded before the answer leaves, so no caller sees a response not yet counted.
            recorder.add(start, time.time(), operation, status, stubbed=stubbed, corrected=corrected is not None)
            self.send_response(status)
            for key, value in out_headers:
                if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    return Handler


class RecordingProxy:
    """``with RecordingProxy(upstream) as proxy:`` serves on ``proxy.url`` until the block ends."""

    def __init__(self, upstream: str):
        parsed = urllib.parse.urlsplit(upstream)
        self.recorder = Recorder()
        handler = make_handler(Upstream(parsed.hostname, parsed.port or 80), self.recorder)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="recording-proxy", daemon=True)

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
