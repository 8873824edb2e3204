"""What a person at a terminal sees of a run: a live count, then a summary table."""

from __future__ import annotations

from collections import Counter
from types import TracebackType

from rich.console import Console
from rich.progress import Progress as Bar
from rich.progress import SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from contactengine.dispatch.run import Settled, Summary


class Progress:
    """A spinner with the running counts on stderr, when it is a terminal."""

    def __init__(self, enabled: bool, dry_run: bool = False) -> None:
        self.enabled = enabled
        self.counts: Counter[str] = Counter()
        self._bar: Bar | None = None
        self._task: TaskID | None = None
        self._label = "dry run" if dry_run else "dispatching"

    def __enter__(self) -> Progress:
        if self.enabled:
            self._bar = Bar(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=None)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, settled: Settled) -> None:
        self.counts[settled.result] += 1
        if self._bar is not None and self._task is not None:
            shown = ", ".join(f"{self.counts[r]} {r}" for r in _ORDER if self.counts[r])
            self._bar.update(self._task, description=f"{self._label}: {shown}")

    @staticmethod
    def print_summary(summary: Summary, dry_run: bool, at: str) -> None:
        title = f"{'Dry run' if dry_run else 'Dispatch'} at {at}"
        table = Table(title=title, title_justify="left")
        table.add_column("result")
        table.add_column("why")
        table.add_column("messages", justify="right")
        table.add_row("would send" if dry_run else "sent", "", str(summary.sent))
        for result, counts in (
            ("deferred", summary.deferred),
            ("closed", summary.closed),
            ("failed", summary.failed),
        ):
            for why, count in sorted(counts.items()):
                table.add_row(result, why, str(count))
        if summary.returned:
            table.add_row("given back", "", str(summary.returned))
        Console(soft_wrap=True).print(table)


_ORDER = ("sent", "deferred", "closed", "failed", "returned")
