"""`python -m bench`: run every benchmark module in this package (each exposes `main()`), one after the other.

Each module runs in its own interpreter: a benchmark configures Django (or the read tier) for itself, and
one configured before it in the same process would silently measure the wrong database. A benchmark that
fails (a baseline erroring included) fails the whole run, loudly.
"""

import pkgutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def modules() -> list[str]:
    from bench.scale import PARTS  # run by bench.scale, side by side

    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_") and m.name not in PARTS)


def main(names: list[str] | None = None) -> int:
    failed = []
    for name in names or modules():
        print(f"\n=== bench.{name} ===", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=HERE.parent).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nFAILED: {', '.join(failed)} (see above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
