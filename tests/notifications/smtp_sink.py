"""A real SMTP server on 127.0.0.1 for the delivery tests (aiosmtpd)."""

import socket
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class SMTPSink:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self):
        self.messages = []
        self.controller = None
        self.port = free_port()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 10) -> list:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
