"""A progress bar for publishing's commands: tqdm on a terminal's stderr, nothing in logs or pipes."""


class Progress:
    """`progress(done, total)` callback drawing one tqdm bar on `stream` when it is a terminal.

    Used as a context manager (the bar closes on exit); off a terminal it draws nothing, so a
    scheduled job's log gets only the command's one-line summary, never one line per record.
    """

    def __init__(self, stream, *, unit: str):
        self.stream, self.unit, self.bar = stream, unit, None
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=self.unit, file=self.stream, leave=False, dynamic_ncols=True)
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
