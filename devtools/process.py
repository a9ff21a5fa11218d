"""A local server run as a child process: start it, wait until it listens, stop it (gently, then firmly)."""

import subprocess
from pathlib import Path

from .ports import wait_for_port


def start_server(command: list[str], *, port: int, cwd: Path, env: dict | None, timeout: float,
                 unavailable: type[Exception], name: str) -> subprocess.Popen:
    """Spawn `command` and wait for `port`; on failure, stop it and raise `unavailable` with its stderr."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(port, timeout=timeout, process=process)
    except Exception as exc:
        stderr = process.stderr.read().decode(errors="replace") if process.poll() is not None else ""
        stop_server(process)
        raise unavailable(f"{name} did not start: {exc}\n{stderr}") from exc
    return process


def stop_server(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
