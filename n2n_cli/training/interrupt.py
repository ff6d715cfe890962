"""Ctrl-C and SIGTERM during training: while steps run, a stop is put off to the end of the step in progress, where
the trainer saves its state (state.py) and stops; elsewhere, and at a second signal, the run stops at once
(KeyboardInterrupt). Handlers are installed only in the main thread, and restored afterwards."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = tuple(s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None)


class StopRequests:
    """`with stops.deferred():` a signal sets `pending` instead of raising; the caller checks it between steps."""

    def __init__(self) -> None:
        self.pending = False
        self._deferring = False

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self._deferring and not self.pending:
            self.pending = True
            return
        raise KeyboardInterrupt

    @contextmanager
    def installed(self) -> Iterator[StopRequests]:
        """Catch SIGINT and SIGTERM (a no-op outside the main thread, where handlers cannot be set)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        before: dict[int, Any] = {s: signal.signal(s, self._handler) for s in SIGNALS}
        try:
            yield self
        finally:
            for s, h in before.items():
                signal.signal(s, h)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
