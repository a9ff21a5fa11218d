"""Scale: the catalog at ×N, and what each cost becomes there.

`python -m bench.scale` prints, side by side in one run, the import (`bench.scale_import`: per record at
×1 and ×10, against `loaddata` of the rows it writes) and publishing (`bench.scale_publish`: one band
edit, the first drain, a full republish against a bare BatchWriteItem loop, peak memory, invalidation
items) at ×1 and ×10. Each part runs in its own interpreter (each configures Django for itself), and
a part that fails fails the whole run. The admin's query counts at 1,000 to 170,000 bands are
`bench.admin`'s table.

`scale_legacy(data, times)` makes ×N of any legacy `db.json`: copy n (n ≥ 2) of every band and festival
gets the key suffix `-xn` and the name suffix ` (xn)`, and copy n's lineups point at copy n's bands, so
the catalog grows by N while its shape (lineup sizes, members per band, genres per band, festivals per
band) stays that of the source. Genres and roles are free text and stay as they are: a bigger world has
more bands per genre, not more genres.

    python -m bench.scale --generate 10 data/legacy-db.json var/legacy-x10.json
"""

import argparse
import copy
import json
import subprocess
import sys
from pathlib import Path

PARTS = ("scale_import", "scale_publish")  # run by this module (bench/__main__ leaves them to it)


def _suffix_key(key, n: int):
    return f"{key}-x{n}" if isinstance(key, str) and key and n > 1 else key


def _suffix_name(name, n: int):
    return f"{name} (x{n})" if isinstance(name, str) and name and n > 1 else name


def scale_legacy(data: dict, times: int) -> dict:
    """×`times` of a legacy export (see the module docstring). Anything not a band or festival is kept once."""
    if times < 1:
        raise ValueError("times must be 1 or more")
    scaled = {key: value for key, value in data.items() if key not in ("bands", "festivals")}
    scaled["bands"], scaled["festivals"] = [], []
    for n in range(1, times + 1):
        for band in data.get("bands") or []:
            twin = copy.deepcopy(band)
            if isinstance(twin, dict):
                twin["key"], twin["name"] = _suffix_key(twin.get("key"), n), _suffix_name(twin.get("name"), n)
            scaled["bands"].append(twin)
        for festival in data.get("festivals") or []:
            twin = copy.deepcopy(festival)
            if isinstance(twin, dict):
                twin["key"], twin["name"] = _suffix_key(twin.get("key"), n), _suffix_name(twin.get("name"), n)
                for entry in twin.get("bands") or []:
                    if isinstance(entry, dict):
                        entry["key"], entry["name"] = _suffix_key(entry.get("key"), n), _suffix_name(entry.get("name"), n)
            scaled["festivals"].append(twin)
    return scaled


def _run_parts() -> int:
    failed = []
    for part in PARTS:
        print(f"\n--- bench.{part} ---", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{part}"], cwd=Path(__file__).parent.parent).returncode:
            failed.append(part)
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--generate", type=int, metavar="N", help="write ×N of SOURCE to TARGET and exit")
    parser.add_argument("source", nargs="?")
    parser.add_argument("target", nargs="?")
    args = parser.parse_args(argv)
    if args.generate is None:
        return _run_parts()
    if not (args.source and args.target):
        parser.error("--generate needs SOURCE and TARGET")
    with open(args.source, encoding="utf-8") as handle:
        data = json.load(handle)
    scaled = scale_legacy(data, args.generate)
    with open(args.target, "w", encoding="utf-8") as handle:
        json.dump(scaled, handle, ensure_ascii=False)
    print(f"{args.target}: {len(scaled['bands'])} band records, {len(scaled['festivals'])} festivals (×{args.generate})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
