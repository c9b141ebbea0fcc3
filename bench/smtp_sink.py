"""SMTP capture server of the pipeline benchmark (bench/pipeline.py): accepts every message
and appends its Message-ID to a file, one line per message received.

    .venv/bin/python bench/smtp_sink.py --port 2525 --out /tmp/received.txt

It listens on 127.0.0.1 only (aiosmtpd in a thread, as tests/notifications/servers.py runs it)
and, once it accepts connections, writes "ready" to `<out>.ready`. The benchmark compares the
Message-IDs (derived from each outbox row's idempotency key) with the notification rows: a
Message-ID received twice is a double send. The message itself is not parsed, only its header
block searched, so the sink costs the machine as little as it can.
"""

from __future__ import annotations

import argparse
import re
import signal
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


class Sink:
    def __init__(self, out: Path) -> None:
        # Line-buffered: every accepted message is on disk before the 250 reply.
        self._file = out.open("a", buffering=1, encoding="ascii")
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        headers = content.split(b"\r\n\r\n", 1)[0]
        match = MESSAGE_ID.search(headers)
        message_id = match.group(1).decode("ascii", "replace") if match else "<none>"
        with self._lock:
            self._file.write(f"{message_id}\n")
        return "250 Message accepted for delivery"

    def close(self) -> None:
        with self._lock:
            self._file.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    sink = Sink(args.out)
    controller = Controller(sink, hostname="127.0.0.1", port=args.port, ready_timeout=10)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    controller.start()
    Path(f"{args.out}.ready").write_text("ready\n")
    try:
        stop.wait()
    finally:
        controller.stop()
        sink.close()


if __name__ == "__main__":
    main()
