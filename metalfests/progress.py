"""A progress bar for commands that work through many records: tqdm on a terminal, nothing in logs or pipes.

Off a terminal (a scheduled job, CI, a pipe) it draws nothing, so the log gets only the command's one-line
summary, never a line per record.
"""


class Progress:
    """`progress(done, total, label=None)` callback drawing one tqdm bar on `stream` when it is a terminal.

    A new `label` (a kind of record: "bands", "editions") starts a new bar. Used as a context manager:
    the bar closes on exit.
    """

    def __init__(self, stream, *, unit: str = "record"):
        # The terminal itself: Django's OutputWrapper (a command's stderr) ends every write with a newline.
        self.stream = getattr(stream, "_out", stream)
        self.unit, self.bar, self.label = unit, None, None
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int | None, label: str | None = None) -> None:
        if not self.enabled:
            return
        if self.bar is None or label != self.label:
            from tqdm import tqdm

            self.close()
            self.label = label
            self.bar = tqdm(total=total, desc=label, unit=f" {self.unit}s", file=self.stream, leave=False)
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
