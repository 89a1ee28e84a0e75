"""A real SMTP server for the tests (aiosmtpd), on a loopback port.

Usage: python3 smtp_server.py PORT DIR

Each message it accepts is written to DIR as NNNN.json: the envelope (sender, recipients),
the headers the tests read, the decoded plain-text and HTML parts and the raw message. A file
appears whole (written aside, then renamed). The server prints "ready" once it accepts
connections and stops when its standard input closes (the test ended) or on SIGTERM.
"""

import json
import os
import signal
import sys
import threading
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)

        def part(kind):
            body = message.get_body(preferencelist=(kind,))
            return body.get_content().replace("\r\n", "\n") if body is not None else None

        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "date": str(message["Date"]),
            "message_id": str(message["Message-ID"]),
            "content_type": message.get_content_type(),
            "text": part("plain"),
            "html": part("html"),
            "raw": raw.decode("utf-8", "replace"),
        }
        with self.lock:
            self.count += 1
            name = "%04d.json" % self.count
        aside = os.path.join(self.directory, "." + name)
        with open(aside, "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.rename(aside, os.path.join(self.directory, name))
        return "250 Message accepted for delivery"


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Recorder(directory), hostname="127.0.0.1", port=port)
    controller.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stopped.set()), daemon=True).start()
    print("ready", flush=True)
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
