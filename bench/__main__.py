"""`python -m bench`: run every benchmark module in this package (each exposes `main()`), one after the other."""

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_"))
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "main"):
            print(f"\n=== bench.{name} ===", flush=True)
            module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
