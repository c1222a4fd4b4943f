"""A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe``.

Why a pipe: it needs no Python dependency (no Selenium, no websocket library), no
browser download and no TCP port, so it works on closed networks and in parallel test runs.
Chromium reads NUL-terminated JSON commands from its fd 3 and writes replies and events to fd
4; we hand it those descriptors through a three-line Python trampoline that moves them into
place and ``exec``s the browser (a ``preexec_fn`` would be unsafe in threaded programs, and
``sh`` cannot address descriptors above 9).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = ["CDPError", "PipeBrowser"]

# Descriptors are first moved at or above this number so that moving them to 3 and 4 in the
# trampoline can never overwrite one another.
_HIGH_FD = 10
_TRAMPOLINE = (
    "import os, sys\n"
    "os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4)\n"
    "os.close(int(sys.argv[1])); os.close(int(sys.argv[2]))\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


class CDPError(RuntimeError):
    """The browser died, timed out, or answered a command with an error."""


def _high(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, _HIGH_FD)
    os.close(fd)
    return moved


class PipeBrowser:
    """A running browser and its DevTools pipe; use as a context manager so it always exits."""

    def __init__(self, binary: str, args: Sequence[str], *, stderr: IO[bytes]) -> None:
        command_read, command_write = (_high(fd) for fd in os.pipe())
        reply_read, reply_write = (_high(fd) for fd in os.pipe())
        fds = (str(command_read), str(reply_write))
        flags = [*args, "--remote-debugging-pipe"]
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _TRAMPOLINE, *fds, binary, *flags],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                pass_fds=(command_read, reply_write),
                start_new_session=True,  # so a hung browser's helpers can be killed as a group
            )
        finally:
            os.close(command_read)
            os.close(reply_write)
        self._write_fd, self._read_fd = command_write, reply_read
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        # Called on every event as it arrives, e.g. to dismiss a dialog that would block the page.
        self.on_event: Callable[[dict[str, Any]], None] | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> PipeBrowser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Ask the browser to quit, then make sure it and its helper processes are gone."""
        if self._process.returncode is None:
            with contextlib.suppress(CDPError, OSError):
                self.send("Browser.close")
            self._await_exit(timeout=5.0)
            # Until it is reaped below, the exited leader keeps its process-group id reserved,
            # so this reaches our own helpers (renderer, GPU, zygote) and nothing else.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=5)
        for fd in (self._write_fd, self._read_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._write_fd = self._read_fd = -1

    def _await_exit(self, timeout: float) -> None:
        """Wait for the browser to exit *without reaping it* (``WNOWAIT``)."""
        deadline = time.monotonic() + timeout
        flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
        while time.monotonic() < deadline:
            try:
                if os.waitid(os.P_PID, self._process.pid, flags) is not None:
                    return
            except ChildProcessError:
                return
            time.sleep(0.02)

    # -- protocol --------------------------------------------------------------------------
    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> int:
        """Send one command without waiting; return its id."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        data = json.dumps(message).encode("utf-8") + b"\0"
        try:
            while data:
                data = data[os.write(self._write_fd, data) :]
        except BrokenPipeError as error:
            raise CDPError("the browser closed its DevTools pipe") from error
        return self._next_id

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        *,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """Send a command and wait for its result; events that arrive meanwhile are kept."""
        wanted = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline, waiting_for=method)
            if message.get("id") == wanted:
                if "error" in message:
                    raise CDPError(f"{method} failed: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def wait_for_event(self, method: str, session: str | None, *, timeout: float) -> dict[str, Any]:
        """Wait for an event (already received or new) and return its params."""
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event["method"] == method and event.get("sessionId") == session:
                return dict(event.get("params", {}))
        while True:
            message = self._receive(deadline, waiting_for=method)
            if message.get("method") == method and message.get("sessionId") == session:
                return dict(message.get("params", {}))

    def drain(self, seconds: float) -> None:
        """Collect events for a while (late console errors after the load event)."""
        deadline = time.monotonic() + seconds
        with contextlib.suppress(TimeoutError):
            while True:
                self._receive(deadline, waiting_for="events")

    def _receive(self, deadline: float, *, waiting_for: str) -> dict[str, Any]:
        """The next message; events are also appended to :attr:`events`."""
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer from the browser while waiting for {waiting_for}")
            ready, _, _ = select.select([self._read_fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._read_fd, 1 << 20)
            if not chunk:
                raise CDPError(
                    f"the browser closed its DevTools pipe while waiting for {waiting_for}"
                )
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        if "method" in message:
            self.events.append(message)
            if self.on_event is not None:
                self.on_event(message)
        return message


def read_tail(path: Path, limit: int = 2000) -> str:
    """The end of the browser's own log, for error messages."""
    try:
        return path.read_bytes()[-limit:].decode("utf-8", "replace")
    except OSError:
        return ""
