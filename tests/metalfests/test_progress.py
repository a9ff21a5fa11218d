"""The progress bar of commands over many records: on a terminal only."""

import io
import os

from metalfests.progress import Progress


def test_progress_bar_on_a_terminal_only():
    reader, writer = os.openpty()
    with os.fdopen(writer, "w") as terminal:
        with Progress(terminal) as bar:
            for done in (1, 2, 3):
                bar(done, 3, "bands")
            bar(1, 1, "editions")
    shown = os.read(reader, 10_000).decode()
    os.close(reader)
    assert "bands:" in shown and "/3 [" in shown and "editions:" in shown  # tqdm redraws at most 10 times a second
    not_a_terminal = io.StringIO()
    with Progress(not_a_terminal) as bar:
        bar(1, 1, "bands")
    assert not_a_terminal.getvalue() == ""
