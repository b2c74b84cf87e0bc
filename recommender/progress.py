"""A progress display that only appears when work takes longer than a second."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class Stages:
    """Named stages of a long job; shown as a spinner line on a terminal after ``delay``."""

    def __init__(self, title: str, delay: float = 1.0):
        self.title = title
        self.delay = delay
        self._stage = "starting"
        self._progress: Progress | None = None
        self._task = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def _show(self) -> None:
        with self._lock:
            console = Console(stderr=True)
            if not console.is_terminal:
                return
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(f"{self.title}: {self._stage}", total=None)

    def stage(self, name: str) -> None:
        with self._lock:
            self._stage = name
            if self._progress is not None:
                self._progress.update(self._task, description=f"{self.title}: {name}")

    def start(self) -> None:
        self._timer = threading.Timer(self.delay, self._show)
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None
        sys.stderr.flush()


@contextmanager
def stages(title: str, delay: float = 1.0) -> Iterator[Stages]:
    tracker = Stages(title, delay)
    tracker.start()
    try:
        yield tracker
    finally:
        tracker.stop()
