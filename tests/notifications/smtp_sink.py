"""A real SMTP server on 127.0.0.1 for the delivery tests (aiosmtpd)."""

import socket
import threading
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from tests.processes import free_port


class SMTPSink:
    """A real SMTP server on 127.0.0.1 that keeps what it receives.

    `connections` counts the clients' greetings (one EHLO a connection);
    recipients in `refuse` are answered with their code and text (as
    {"a@b.test": "550 No such user"}), the other recipients of the message go.
    """

    def __init__(self):
        self.messages = []
        self.connections = 0
        self.refuse: dict[str, str] = {}
        self.controller = None
        self.port = free_port()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

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


class FlakySMTPServer:
    """A hand-played SMTP server that misbehaves on cue, for what aiosmtpd will not do.

    `after_data="drop"` hangs up once the message is sent, before saying whether
    it took it; `on_quit="refuse"` takes the message, then answers QUIT with an error.
    """

    def __init__(self, after_data: str = "accept", on_quit: str = "bye"):
        self.after_data, self.on_quit = after_data, on_quit
        self.port = free_port()
        self.accepted = 0
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.2)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stopped.set()
        self._thread.join(timeout=5)
        self._server.close()

    def _serve(self):
        while not self._stopped.is_set():
            try:
                conn, _addr = self._server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                self._talk(conn, conn.makefile("rb"))

    def _talk(self, conn, lines):
        def say(text):
            conn.sendall(text.encode() + b"\r\n")

        say("220 flaky ESMTP")
        while line := lines.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                say("250 flaky")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                say("250 OK")
            elif verb == b"DATA":
                say("354 End data with <CR><LF>.<CR><LF>")
                while lines.readline() not in (b".\r\n", b""):
                    pass
                if self.after_data == "drop":
                    return
                self.accepted += 1
                say("250 Queued")
            elif verb == b"QUIT":
                say("554 Something odd" if self.on_quit == "refuse" else "221 Bye")
                return
            else:
                say("502 Not implemented")
