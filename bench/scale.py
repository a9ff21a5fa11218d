"""Scale: the catalog at ×N, and (in time) what each cost becomes there.

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
import sys


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--generate", type=int, metavar="N", help="write ×N of SOURCE to TARGET and exit")
    parser.add_argument("source", nargs="?")
    parser.add_argument("target", nargs="?")
    args = parser.parse_args(argv)
    if args.generate is None:
        print("The scale benchmark tables are not built yet; `--generate N SOURCE TARGET` makes ×N data.")
        return 0
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
