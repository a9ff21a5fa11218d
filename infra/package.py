"""Build the read tier's Lambda artifact, `dist/read-api.zip`, and API Gateway's view of the OpenAPI document.

Run as `python -m infra.package` (`make package`). The zip holds the `read_api`
modules the Lambda handlers import at run time (`read_api/handlers/*` and what
they reach: not the local HTTP adapter or the table command) and the
distributions those import, with their own dependencies, found from source and
installed distribution metadata rather than a hand-kept list:

1. the imports of the reachable `read_api` modules are followed inside the
   package; their top-level third-party imports are mapped to installed
   distributions (a data file ships when a reachable module names it);
2. their requirements are followed transitively, with markers evaluated for
   the Lambda target (CPython 3.11, Linux, arm64);
3. what the Lambda Python runtime already provides — boto3 and everything it
   requires (botocore, s3transfer, jmespath, python-dateutil, six, urllib3) —
   is left out: shipping botocore alone would add ~20 MB unzipped to every
   cold start for a library the runtime loads anyway, and pynamodb only asks
   for botocore>=1.12.54;
4. Django (and anything depending on it) must never be reachable: the build
   fails if it is;
5. a distribution's own test suite, and tzdata (which icalendar requires for
   named time zones the calendars never use), are left out.

Each module is shipped with its bytecode compiled for CPython 3.11 in
`__pycache__` (unchecked-hash .pyc: no timestamps, and no stat of the source on
the read-only /var/task). The zip is reproducible: entries sorted, fixed
timestamps and permissions, no absolute paths. Distributions with compiled
extensions are refused: they would be built for this machine, not arm64 Lambda.
"""

from __future__ import annotations

import argparse
import ast
import base64
import importlib.metadata as metadata
import importlib.util
import io
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
SOURCE_PACKAGE = "read_api"
ARTIFACT = ROOT / "dist" / "read-api.zip"
OPENAPI_SOURCE = ROOT / SOURCE_PACKAGE / "openapi.yaml"
OPENAPI_GATEWAY_VIEW = ROOT / "dist" / "openapi.apigw.yaml"
OPENAPI_PARTNER_VIEW = ROOT / "dist" / "openapi.partner.yaml"  # the same API, API keys required (PartnerApi)

TARGET_PYTHON = (3, 11)
# The Lambda runtime puts boto3 and its requirements on sys.path (/var/runtime).
RUNTIME_PROVIDED_ROOTS = ("boto3",)
# Required by a shipped distribution but never used by the read tier: icalendar requires tzdata for
# named time zones, and the calendars (read_api.calendars) hold dates and a UTC DTSTAMP only, so no
# zone is ever looked up (the import test renders a calendar without it). 2.7 MB unzipped, 650 files.
NOT_NEEDED_AT_RUN_TIME = ("tzdata",)
# A distribution's own test suite (icalendar ships 500 files of one) never runs on Lambda.
TEST_DIRECTORIES = ("tests", "test")
FORBIDDEN = ("django",)
LAMBDA_TASK_ROOT = "/var/task"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
# Metadata that names this machine or its installer rather than the distribution.
SKIPPED_DIST_INFO = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json", "uv_build.json", "uv_cache.json"}
TARGET_MARKERS = {
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
    "os_name": "posix",
}


class PackagingError(RuntimeError):
    """The artifact cannot be built as promised."""


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Artifact:
    path: Path
    size: int
    entries: int
    shipped: dict[str, str] = field(default_factory=dict)  # distribution → version
    runtime_provided: list[str] = field(default_factory=list)

    def summary(self) -> str:
        shipped = ", ".join(f"{name} {version}" for name, version in sorted(self.shipped.items())) or "nothing"
        try:
            where = self.path.relative_to(ROOT)
        except ValueError:
            where = self.path
        return (
            f"{where}: {self.size:,} bytes ({self.size / 1024:.1f} KiB), {self.entries} entries\n"
            f"  shipped: {SOURCE_PACKAGE} + {shipped}\n"
            f"  left to the Lambda runtime: {', '.join(self.runtime_provided)}"
        )


# ------------------------------------------------------------------ what read_api imports


def module_name(path: Path, package_dir: Path) -> str:
    relative = path.relative_to(package_dir.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_path(name: str, package_dir: Path) -> Path | None:
    base = package_dir.parent.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(tree: ast.AST, this: str, is_package: bool) -> list[tuple[str, ast.stmt]]:
    """Absolute names imported by a module, relative imports resolved (with `from X import y`, X.y too)."""
    found: list[tuple[str, ast.stmt]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = this.split(".")
                if not is_package:
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.append((base, node))
            found.extend((f"{base}.{alias.name}", node) for alias in node.names if alias.name != "*")
    return found


def _guarded(tree: ast.AST) -> set[int]:
    """Nodes inside a `try` body: the optional-dependency idiom."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            for inner in node.body:
                guarded.update(id(child) for child in ast.walk(inner))
    return guarded


def entry_modules(package_dir: Path) -> list[Path]:
    return sorted((package_dir / "handlers").glob("*.py"))


def reachable(package_dir: Path) -> tuple[list[Path], dict[str, bool]]:
    """The package's modules reachable from the handlers, and their external top-level imports.

    The second value maps a top-level module name to True when some import of
    it is unconditional; an import inside a `try` block is shipped when
    installed and ignored when not.
    """
    package = package_dir.name
    pending = list(entry_modules(package_dir))
    if not pending:
        raise PackagingError(f"No handler modules in {package_dir / 'handlers'}.")
    seen: set[Path] = set()
    external: dict[str, bool] = {}
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        name = module_name(path, package_dir)
        # A module's packages are imported before it.
        parts = name.split(".")
        for depth in range(1, len(parts)):
            parent = module_path(".".join(parts[:depth]), package_dir)
            if parent:
                pending.append(parent)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        guarded = _guarded(tree)
        for imported, node in _imports(tree, name, path.name == "__init__.py"):
            top = imported.split(".")[0]
            if top == package:
                target = module_path(imported, package_dir)
                if target:
                    pending.append(target)
            elif top and top != "__future__" and top not in sys.stdlib_module_names:
                if imported.split(".")[:-1] and isinstance(node, ast.ImportFrom) and imported != node.module:
                    continue  # `from pkg import name`: pkg itself is recorded
                external[top] = external.get(top, False) or id(node) not in guarded
    return sorted(seen), external


def data_files(package_dir: Path, modules: list[Path]) -> list[Path]:
    """Non-Python files of the package that a reachable module names (e.g. a JSON it opens)."""
    sources = "\n".join(path.read_text(encoding="utf-8") for path in modules)
    return sorted(
        path
        for path in package_dir.rglob("*")
        if path.is_file()
        and path.suffix not in (".py", ".pyc", ".pyo")
        and "__pycache__" not in path.parts
        and path.name in sources
    )


def third_party_distributions(package_dir: Path) -> set[str]:
    """Distributions providing the reachable modules' third-party imports."""
    providers = metadata.packages_distributions()
    distributions: set[str] = set()
    for module, required in sorted(reachable(package_dir)[1].items()):
        owners = providers.get(module)
        if not owners:
            if required:
                raise PackagingError(
                    f"{package_dir.name} imports {module!r}, which no installed distribution provides."
                )
            continue
        distributions.update(normalize(owner) for owner in owners)
    return distributions


def dependency_closure(roots: Iterable[str]) -> set[str]:
    """The distributions `roots` need at run time on the Lambda target, roots included."""
    environment = {**default_environment(), **TARGET_MARKERS}
    pending = [(normalize(root), frozenset()) for root in roots]
    seen: set[tuple[str, frozenset[str]]] = set()
    closure: set[str] = set()
    while pending:
        name, extras = pending.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        closure.add(name)
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not any(
                requirement.marker.evaluate({**environment, "extra": extra}) for extra in (extras or {""})
            ):
                continue
            pending.append((normalize(requirement.name), frozenset(requirement.extras)))
    return closure


def plan(package_dir: Path) -> tuple[set[str], set[str]]:
    """(distributions to ship, distributions left to the runtime)."""
    runtime = dependency_closure(RUNTIME_PROVIDED_ROOTS)
    needed = dependency_closure(third_party_distributions(package_dir))
    forbidden = sorted(name for name in needed if name in FORBIDDEN)
    if forbidden:
        raise PackagingError(f"{package_dir.name} would ship {', '.join(forbidden)}: the read tier never imports Django.")
    return needed - runtime - set(NOT_NEEDED_AT_RUN_TIME), runtime


# ------------------------------------------------------------------ files and bytecode


# Compiles in a fresh interpreter with nothing but a fixed hash seed in its environment:
# marshal's output depends on the compiling process (it writes back-references only for
# objects referenced elsewhere) and on the hash seed (the order of frozenset constants), so
# compiling in this process, or with a random seed, would make the bytecode vary between runs.
_COMPILER = """
import base64, json, pathlib, py_compile, sys, tempfile
jobs = json.load(sys.stdin)
results = []
with tempfile.TemporaryDirectory() as scratch:
    source = pathlib.Path(scratch) / "module.py"
    target = pathlib.Path(scratch) / "module.pyc"
    for arcname, text in jobs:
        source.write_bytes(base64.b64decode(text))
        py_compile.compile(str(source), cfile=str(target), dfile=%r + "/" + arcname, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        results.append(base64.b64encode(target.read_bytes()).decode())
json.dump(results, sys.stdout)
""" % LAMBDA_TASK_ROOT


def compile_sources(sources: list[tuple[str, bytes]]) -> list[bytes]:
    """CPython 3.11 unchecked-hash .pyc of each (arcname, source), code objects naming /var/task/<arcname>."""
    if not sources:
        return []
    jobs = [(arcname, base64.b64encode(text).decode()) for arcname, text in sources]
    result = subprocess.run(
        [sys.executable, "-S", "-c", _COMPILER],
        input=json.dumps(jobs),
        env={"PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PackagingError(f"Compiling failed:\n{result.stderr}")
    return [base64.b64decode(item) for item in json.loads(result.stdout)]


def with_bytecode(entries: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The entries plus, for each Python source, its bytecode in __pycache__."""
    sources = [(arcname, content) for arcname, content in entries if arcname.endswith(".py")]
    compiled = compile_sources(sources)
    return entries + [
        (importlib.util.cache_from_source(arcname), bytecode)
        for (arcname, _), bytecode in zip(sources, compiled, strict=True)
    ]


def source_package_files(package_dir: Path) -> list[tuple[str, bytes]]:
    modules, _ = reachable(package_dir)
    entries: list[tuple[str, bytes]] = []
    for path in modules + data_files(package_dir, modules):
        entries.append((path.relative_to(package_dir.parent).as_posix(), path.read_bytes()))
    return entries


def distribution_files(name: str) -> list[tuple[str, bytes]]:
    distribution = metadata.distribution(name)
    entries: list[tuple[str, bytes]] = []
    for file in distribution.files or []:
        parts = file.parts
        if not parts or parts[0] == ".." or "__pycache__" in parts or file.suffix in (".pyc", ".pyo"):
            continue  # console scripts live outside site-packages; bytecode is rebuilt below
        if parts[0].endswith(".dist-info") and parts[-1] in SKIPPED_DIST_INFO:
            continue
        if len(parts) > 2 and parts[1] in TEST_DIRECTORIES:
            continue
        if file.suffix in (".so", ".pyd", ".dylib"):
            raise PackagingError(
                f"{name} contains the compiled extension {file}: it would be built for this machine, "
                "not for arm64 Lambda. Ship it as a Lambda layer built for arm64 instead."
            )
        located = Path(file.locate())
        if located.is_file():
            entries.append((file.as_posix(), located.read_bytes()))
    return entries


def write_zip(target: Path, entries: list[tuple[str, bytes]]) -> None:
    names = [name for name, _ in entries]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PackagingError(f"Two sources for {', '.join(duplicates[:5])}.")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.external_attr = 0o100644 << 16
            info.create_system = 3  # Unix, whatever machine builds it
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content, compresslevel=9)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buffer.getvalue())


def build(target: Path = ARTIFACT, package_dir: Path = ROOT / SOURCE_PACKAGE) -> Artifact:
    """Build the artifact at `target` and describe it."""
    if sys.version_info[:2] != TARGET_PYTHON:
        raise PackagingError(
            f"Build with Python {'.'.join(map(str, TARGET_PYTHON))} (the Lambda runtime): "
            f"this is {sys.version.split()[0]}, whose bytecode Lambda cannot use."
        )
    if not package_dir.is_dir():
        raise PackagingError(f"{package_dir} does not exist.")
    shipped, runtime = plan(package_dir)
    entries = source_package_files(package_dir)
    for name in sorted(shipped):
        entries.extend(distribution_files(name))
    entries = with_bytecode(entries)
    write_zip(target, entries)
    return Artifact(
        path=target,
        size=target.stat().st_size,
        entries=len(entries),
        shipped={name: metadata.version(name) for name in shipped},
        runtime_provided=sorted(runtime),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ARTIFACT, help="where to write the zip (default: %(default)s)")
    parser.add_argument(
        "--openapi-output",
        type=Path,
        default=OPENAPI_GATEWAY_VIEW,
        help="where to write API Gateway's definition (default: %(default)s)",
    )
    parser.add_argument(
        "--partner-openapi-output",
        type=Path,
        default=OPENAPI_PARTNER_VIEW,
        help="where to write the partner API's definition, keys required (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        artifact = build(args.output)
    except PackagingError as error:
        print(f"package: {error}", file=sys.stderr)
        return 1
    print(artifact.summary())

    from infra.openapi_overlay import OverlayError, write_gateway_view

    if not OPENAPI_SOURCE.is_file():
        print(f"package: {OPENAPI_SOURCE} is missing: no API Gateway definition written.", file=sys.stderr)
        return 1
    try:
        view = write_gateway_view(OPENAPI_SOURCE, args.openapi_output)
        write_gateway_view(OPENAPI_SOURCE, args.partner_openapi_output, partner=True)
    except OverlayError as error:
        print(f"package: {error}", file=sys.stderr)
        return 1
    print(f"{args.openapi_output}: API Gateway definition, {len(view['paths'])} paths")
    print(f"{args.partner_openapi_output}: the partner API's definition (x-api-key required), same paths")
    return 0


if __name__ == "__main__":
    sys.exit(main())
