"""What an import did: counts per kind and outcome, merges, placeholders and warnings, as text or JSON."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

KINDS = ("genre", "role", "genre_alias", "role_alias", "band", "festival", "festival_alias", "edition")
OUTCOMES = ("created", "updated", "unchanged", "kept")
RECORD_KINDS = ("genre", "role", "band", "festival", "edition")  # reviewable records (not aliases)
OUTCOME_HELP = {"kept": "changed by an editor since the last import; not overwritten (use --overwrite)"}


@dataclass
class ImportReport:
    dry_run: bool = False
    overwrite: bool = False
    currency: str = ""
    read: dict = field(default_factory=dict)  # what the file holds: festival entries, band entries, lineup entries
    counts: dict = field(default_factory=lambda: defaultdict(Counter))
    merged: list = field(default_factory=list)  # {kind, key, paths, detail}
    placeholders: list = field(default_factory=list)  # {key, name, paths, created}
    warnings: list = field(default_factory=list)  # {kind, path, message, ...}
    lineup_entries: Counter = field(default_factory=Counter)  # imported / merged / skipped
    seconds: float = 0.0

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        if n:
            self.counts[kind][outcome] += n

    def warn(self, kind: str, path: str, message: str, **detail) -> None:
        self.warnings.append({"kind": kind, "path": path, "message": message, **detail})

    def merge(self, kind: str, key: str, paths: list[str], detail: str = "") -> None:
        self.merged.append({"kind": kind, "key": key, "paths": paths, "detail": detail})

    def warning_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(w["kind"] for w in self.warnings).items()))

    def merged_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(m["kind"] for m in self.merged).items()))

    def totals(self, outcome: str) -> int:
        return sum(counter[outcome] for counter in self.counts.values())

    def summary(self) -> dict:
        """The figures without the detail lists (what the audit entry records)."""
        return {
            "dry_run": self.dry_run,
            "overwrite": self.overwrite,
            "currency": self.currency,
            "read": self.read,
            "counts": {kind: {o: self.counts[kind][o] for o in OUTCOMES} for kind in KINDS if kind in self.counts},
            "lineup_entries": dict(self.lineup_entries),
            "merged": self.merged_counts(),
            "placeholders": len(self.placeholders),
            "placeholders_created": sum(1 for p in self.placeholders if p["created"]),
            "warnings": self.warning_counts(),
            "seconds": round(self.seconds, 2),
        }

    def as_dict(self) -> dict:
        return {
            **self.summary(),
            "merged_records": self.merged,
            "placeholder_bands": self.placeholders,
            "warning_list": self.warnings,
        }

    def lines(self, *, verbose: bool = False) -> list[str]:
        read = self.read
        lines = [
            ("Dry run — nothing was written. " if self.dry_run else "")
            + f"Read {read.get('festivals', 0)} festival entries, {read.get('bands', 0)} band entries, "
            f"{read.get('lineup_entries', 0)} lineup entries.",
            f"{'':16}" + "".join(f"{o:>11}" for o in OUTCOMES),
        ]
        for kind in KINDS:
            if kind in self.counts:
                lines.append(f"{kind:16}" + "".join(f"{self.counts[kind][o]:>11}" for o in OUTCOMES))
        if self.totals("kept"):
            lines.append(f"kept: {OUTCOME_HELP['kept']}")
        entries = self.lineup_entries
        lines.append(
            f"Lineup entries: {entries['imported']} on lineups, {entries['merged']} repeated in a lineup (merged), "
            f"{entries['skipped']} skipped."
        )
        merged = ", ".join(f"{n} {kind}" for kind, n in self.merged_counts().items()) or "none"
        lines.append(f"Merged duplicates: {merged}.")
        created = sum(1 for p in self.placeholders if p["created"])
        lines.append(
            f"Placeholder bands (in a lineup, not in the file): {len(self.placeholders)} ({created} created, as drafts)."
        )
        counts = self.warning_counts()
        lines.append(f"Warnings: {sum(counts.values())}" + (":" if counts else "."))
        lines += [f"  {kind:28}{n:>6}" for kind, n in counts.items()]
        if verbose:
            lines += [f"  [{w['kind']}] {w['path']}: {w['message']}" for w in self.warnings]
            lines += [f"  [placeholder] {p['key']} “{p['name']}” ← {', '.join(p['paths'])}" for p in self.placeholders]
        lines.append(self.summary_line())
        return lines

    def summary_line(self) -> str:
        """Records of every kind: created, updated, unchanged, and skipped (kept as editors left them, or
        unusable in the file), with the time the import took."""
        records = [c for kind, c in self.counts.items() if kind in RECORD_KINDS]
        created, updated, unchanged, kept = (sum(c[o] for c in records) for o in OUTCOMES)
        unusable = sum(1 for w in self.warnings if w["kind"] == "record_skipped")
        return (f"{'Would import' if self.dry_run else 'Imported'} {created + updated + unchanged + kept} records "
                f"in {self.seconds:.1f} s: {created} created, {updated} updated, {unchanged} unchanged, "
                f"{kept + unusable} skipped ({kept} kept as editors left them, {unusable} unusable in the file).")
