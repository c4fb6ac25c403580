# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fault-injecting reverse proxy between the code under test and the emulator.

Every AWS request is recorded as a ``Call`` (``service.Operation``, status, the fault injected,
and the mark of the Ansible task running at that moment), and a ``Faults`` policy decides, per
request, whether to:

* answer an error *instead of* forwarding (throttling 400, 500, 503, or a scripted error such
  as Auto Scaling's "Invalid IAM Instance Profile name"), in the error format of the service's
  protocol (query XML, EC2 XML, or JSON);
* add latency;
* forward and then answer 500 *after* the emulator committed the write (a lost response);
* SIGKILL the process group of the run once the Nth answer of an operation has been sent.

The emulator ignores EC2's ``ClientToken``; AWS does not. So that a client's retry of a lost
``CreateLaunchTemplate(Version)`` response is judged as on AWS, the proxy answers a repeated
token with the first answer, without forwarding (what AWS's idempotency does).

Tasks mark themselves through ``POST /__reliability__/mark`` (the callback plugin in
callback_plugins/), so each call is attributed to the module that made it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import http.client
import http.server
import json
import os
import random
import re
import signal
import sys
import threading
import time
import urllib.parse
import uuid

WRITE_PREFIXES = (
    "Create",
    "Put",
    "Attach",
    "Detach",
    "Delete",
    "Add",
    "Remove",
    "Update",
    "Modify",
    "Tag",
    "Untag",
    "Start",
    "Cancel",
    "Set",
    "Suspend",
    "Resume",
    "Terminate",
    "Run",
    "Enable",
    "Disable",
    "Upload",
    "Change",
)
MARK_PATH = "/__reliability__/mark"
HTTP_OK_BELOW = 300
SERVER_ERROR = 500
UNAVAILABLE = 503

# The emulator lacks two operations that amazon.aws modules call (it answers 501). For those
# only, and only on a 501, the proxy answers what AWS answers when there is nothing to do (as
# bench/proxy.py does); the call is still recorded, with fault "stub".
NOT_IMPLEMENTED = 501
STUBS = {
    "autoscaling.DisableMetricsCollection": (
        '<DisableMetricsCollectionResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">'
        "<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata></DisableMetricsCollectionResponse>"
    ),
    "ec2.DeleteLaunchTemplateVersions": (
        '<DeleteLaunchTemplateVersionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        "<requestId>{rid}</requestId><successfullyDeletedLaunchTemplateVersionSet/>"
        "<unsuccessfullyDeletedLaunchTemplateVersionSet/></DeleteLaunchTemplateVersionsResponse>"
    ),
}

_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
_QUERY_NS = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "autoscaling": "http://autoscaling.amazonaws.com/doc/2011-01-01/",
}


def is_write(operation: str) -> bool:
    """True for a mutating ``service.Operation`` (by AWS's verb naming; reads are Get/List/Describe/Simulate)."""
    return operation.split(".", 1)[-1].startswith(WRITE_PREFIXES)


def operation_of(headers, body: bytes) -> tuple[str, str]:
    """(``service.Operation``, protocol) of a signed AWS request."""
    match = _SCOPE.search(headers.get("Authorization", ""))
    service = match.group(1) if match else "unknown"
    target = headers.get("X-Amz-Target")
    if target:
        return f"{service}.{target.rsplit('.', 1)[-1]}", "json"
    action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action")
    protocol = "ec2" if service == "ec2" else "query"
    return f"{service}.{action[0] if action else 'unknown'}", protocol


def error_response(protocol: str, service: str, status: int, code: str, message: str) -> tuple[int, list, bytes]:
    """An AWS error answer as the service's protocol writes it (botocore parses each to ``code``)."""
    rid = str(uuid.uuid4())
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", rid)], body
    if protocol == "ec2":
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{code}</Code>"
            f"<Message>{message}</Message></Error></Errors><RequestID>{rid}</RequestID></Response>"
        ).encode()
        return status, [("Content-Type", "text/xml")], body
    kind = "Sender" if status < SERVER_ERROR else "Receiver"
    body = (
        f'<ErrorResponse xmlns="{_QUERY_NS.get(service, "")}"><Error><Type>{kind}</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
    ).encode()
    return status, [("Content-Type", "text/xml")], body


def throttling(protocol: str, service: str):
    code = {"json": "ThrottlingException", "ec2": "RequestLimitExceeded"}.get(protocol, "Throttling")
    return error_response(protocol, service, 400, code, "Rate exceeded")


def server_error(protocol: str, service: str, status: int):
    if status == UNAVAILABLE:
        return error_response(protocol, service, 503, "ServiceUnavailable", "Service is unavailable, try again")
    code = "InternalError" if protocol == "ec2" else "InternalFailure"
    return error_response(protocol, service, 500, code, "We encountered an internal error. Please try again.")


@dataclasses.dataclass
class Call:
    start: float
    end: float
    operation: str
    status: int
    fault: str  # "" when the emulator's answer went back unchanged
    mark: str  # the task (module) running when the call came
    write: bool


class Faults:
    """What to do to each request. The base policy does nothing; set fields to inject faults.

    fault_rate       share of requests answered with a throttling 400, a 500 or a 503 instead
                     of being forwarded (never more than ``max_consecutive`` times in a row for
                     one identical request, so the client's retries end; all seeded).
    latency_rate     share of requests delayed by ``latency`` seconds (uniform range).
    post_commit_once operations whose first successful answer is replaced by a 500 after the
                     emulator committed it (the client sees a lost response and retries).
    scripted         operation -> list of (status, code, message) answered in order, before
                     forwarding, then the emulator answers.
    kill_after       (operation, n): SIGKILL the run's process group once the nth successful
                     answer of that operation has been sent.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        fault_rate: float = 0.0,
        latency_rate: float = 0.0,
        latency: tuple[float, float] = (0.2, 0.8),
        max_consecutive: int = 2,
        post_commit_once: tuple[str, ...] = (),
        scripted: dict[str, list[tuple[int, str, str]]] | None = None,
        kill_after: tuple[str, int] | None = None,
    ):
        self.rng = random.Random(seed)
        self.fault_rate = fault_rate
        self.latency_rate = latency_rate
        self.latency = latency
        self.max_consecutive = max_consecutive
        self.post_commit_pending = set(post_commit_once)
        self.scripted = {op: list(answers) for op, answers in (scripted or {}).items()}
        self.kill_after = kill_after
        self.kill_pgid: int | None = None
        self.killed = False
        self._streak: dict[str, int] = {}
        self._ok: dict[str, int] = {}
        self._lock = threading.Lock()

    def before(self, operation: str, protocol: str, key: str):
        """(delay, answer or None, fault name): answer is sent instead of forwarding."""
        service = operation.split(".", 1)[0]
        with self._lock:
            delay = self.rng.uniform(*self.latency) if self.rng.random() < self.latency_rate else 0.0
            queue = self.scripted.get(operation)
            if queue:
                status, code, message = queue.pop(0)
                return delay, error_response(protocol, service, status, code, message), f"scripted:{code}"
            streak = self._streak.get(key, 0)
            if self.fault_rate and streak < self.max_consecutive and self.rng.random() < self.fault_rate:
                self._streak[key] = streak + 1
                kind = self.rng.choice(("throttle", "throttle", "500", "503"))
                if kind == "throttle":
                    return delay, throttling(protocol, service), "throttle"
                return delay, server_error(protocol, service, int(kind)), kind
            self._streak.pop(key, None)
        return delay, None, "latency" if delay else ""

    def after(self, operation: str, protocol: str, status: int, answer):
        """The answer to send back for a forwarded request, and the fault name."""
        if status < HTTP_OK_BELOW and operation in self.post_commit_pending:
            with self._lock:
                if operation in self.post_commit_pending:
                    self.post_commit_pending.discard(operation)
                    return server_error(protocol, operation.split(".", 1)[0], 500), "post-commit-500"
        return answer, ""

    def sent(self, operation: str, status: int) -> None:
        """After an answer left: count it, and kill the run when its crash point is reached."""
        if status >= HTTP_OK_BELOW or not self.kill_after:
            return
        with self._lock:
            self._ok[operation] = self._ok.get(operation, 0) + 1
            op, nth = self.kill_after
            if operation == op and self._ok[operation] == nth and self.kill_pgid and not self.killed:
                self.killed = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.kill_pgid, signal.SIGKILL)


class _Upstream:
    """One kept-alive connection to the emulator per proxy thread."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self._local = threading.local()

    def forward(self, method: str, path: str, headers: dict, body: bytes):
        for attempt in (1, 2):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                return response.status, response.getheaders(), response.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self._local.conn = None
                if attempt == 2:  # noqa: PLR2004 - the one retry of a stale kept-alive connection
                    raise
        raise AssertionError("unreachable")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A run killed on purpose leaves its kept-alive connections reset: not an error.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class FaultProxy:
    """``with FaultProxy(upstream, faults) as proxy:`` serves on ``proxy.url`` until the block ends."""

    def __init__(self, upstream: str, faults: Faults | None = None):
        parsed = urllib.parse.urlsplit(upstream)
        self.faults = faults or Faults()
        self.calls: list[Call] = []
        self.mark = ""
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], tuple[int, list, bytes]] = {}
        self._upstream = _Upstream(parsed.hostname, parsed.port or 80)
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="fault-proxy", daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what the suite reads --------------------------------------------------------------
    def snapshot(self) -> list[Call]:
        with self._lock:
            return list(self.calls)

    def writes(self) -> list[Call]:
        """Mutating calls that reached the emulator (injected errors answered instead do not count)."""
        return [
            c
            for c in self.snapshot()
            if c.write and not c.fault.startswith(("throttle", "5", "scripted", "idempotent"))
        ]

    def faults_injected(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in self.snapshot():
            if call.fault:
                counts[call.fault] = counts.get(call.fault, 0) + 1
        return counts

    # --- serving ---------------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _idempotent(self, operation: str, body: bytes):
        """Key of an EC2 request carrying a ClientToken (AWS answers a repeat with the first answer)."""
        if not operation.startswith("ec2."):
            return None
        token = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("ClientToken")
        return (operation, token[0]) if token else None

    def _exchange(self, method: str, path: str, headers, body: bytes):
        """(status, headers, payload, operation, fault) for one request."""
        operation, protocol = operation_of(headers, body)
        key = hashlib.sha256(body).hexdigest() + operation
        delay, answer, fault = self.faults.before(operation, protocol, key)
        if delay:
            time.sleep(delay)
        if answer is not None:
            return (*answer, operation, fault)
        token_key = self._idempotent(operation, body)
        with self._lock:
            cached = self._tokens.get(token_key) if token_key else None
        if cached:
            return (*cached, operation, fault or "idempotent-replay")
        clean = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
        status, out_headers, payload = self._upstream.forward(method, path, clean, body)
        if status == NOT_IMPLEMENTED and operation in STUBS:
            stub = STUBS[operation].format(rid=uuid.uuid4()).encode()
            return 200, [("Content-Type", "text/xml")], stub, operation, "stub"
        if token_key and status < HTTP_OK_BELOW:
            with self._lock:
                self._tokens[token_key] = (status, out_headers, payload)
        (status, out_headers, payload), late = self.faults.after(
            operation, protocol, status, (status, out_headers, payload)
        )
        return status, out_headers, payload, operation, late or fault

    def _handler(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 - the call list is the log
                pass

            def _send(self, status, headers, payload):
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()

            def _handle(self):
                start = time.time()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path == MARK_PATH:
                    proxy.mark = json.loads(body or b"{}").get("mark", "")
                    self._send(204, [], b"")
                    return
                mark = proxy.mark
                status, headers, payload, operation, fault = proxy._exchange(
                    self.command, self.path, self.headers, body
                )
                # Recorded before the answer leaves: a count taken when a run ends is exact.
                proxy._record(Call(start, time.time(), operation, status, fault, mark, is_write(operation)))
                try:
                    self._send(status, headers, payload)
                finally:
                    proxy.faults.sent(operation, status)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        return Handler
