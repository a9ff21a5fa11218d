"""The legacy import: `legacy_import(data=...)` writes a plan into the catalog through the catalog services.

One transaction for the whole file. Records are written with `record_save` and made
public with `record_approve` (legacy data is public today), genres and roles no mapping
knows included (as terms of their own); only placeholder bands stay drafts. A band's
genres and a member's roles keep the file's order. Each record remembers the hash of the source data
it was last imported from and its version right after (`import_hash`,
`import_version`): the same data again changes nothing, and a record an editor has
saved since is kept as the editor left it unless `overwrite` is given.
"""

import hashlib
import json
import time
from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record
from catalog.currencies import CURRENCY_CODES
from catalog.models import (
    Band,
    Edition,
    Festival,
    FestivalAlias,
    Genre,
    GenreAlias,
    LineupEntry,
    Member,
    ReviewStatus,
    Role,
    RoleAlias,
)
from catalog.ordering import set_ordered
from catalog.services import record_approve, record_save

from . import mapping
from .normalize import Vocabulary, fold
from .plan import BandPlan, EditionPlan, FestivalPlan, ImportPlan, build_plan
from .report import ImportReport
from .schema import validate

PROGRESS_EVERY = 50


def legacy_import(*, data, currency: str | None = None, dry_run: bool = False, overwrite: bool = False,
                  today: date | None = None, progress: Callable[[str], None] | None = None) -> ImportReport:
    """Import a parsed legacy `db.json`. Raises ImportFileError (nothing written) if its structure is wrong."""
    currency = (currency or settings.DEFAULT_CURRENCY).upper()
    if currency not in CURRENCY_CODES:
        raise ValueError(f"“{currency}” is not an ISO 4217 currency code.")
    validate(data)
    report = ImportReport(dry_run=dry_run, overwrite=overwrite, currency=currency)
    started = time.monotonic()
    with transaction.atomic():
        writer = _Writer(report, overwrite=overwrite, progress=progress or (lambda message: None))
        roles, genres = writer.vocabularies()
        plan = build_plan(data, roles=roles, genres=genres, currency=currency,
                          today=today or timezone.localdate(), report=report)
        writer.seed_used(plan)
        writer.apply(plan)
        report.seconds = time.monotonic() - started
        audit_record(action=AuditAction.IMPORT, detail=report.summary())
        if dry_run:
            transaction.set_rollback(True)
    report.seconds = time.monotonic() - started
    return report


def source_hash(source: dict) -> str:
    return hashlib.sha256(json.dumps(source, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class _Writer:
    def __init__(self, report: ImportReport, *, overwrite: bool, progress: Callable[[str], None]):
        self.report, self.overwrite, self.progress = report, overwrite, progress
        self.role_ids: dict[str, int] = {}
        self.genre_ids: dict[str, int] = {}
        self.band_ids: dict[str, int] = {}

    # --- one record -------------------------------------------------------------------------

    def sync(self, kind: str, record, source: dict, *, path: str, approve: bool, assign=None, save_related=None):
        """Create or update one reviewable record from its source data; returns what was decided."""
        digest = source_hash(source)
        is_new = record.pk is None
        if not is_new:
            if record.import_hash == digest:
                self.report.count(kind, "unchanged")
                return "unchanged"
            if not self.overwrite and (record.import_version is None or record.version != record.import_version):
                self._warn_kept(kind, record, path)
                return "kept"
        if assign is not None:
            assign(record)
        record_save(record=record, user=None, expected_version=None if is_new else record.version,
                    save_related=save_related)
        if approve and record.review_status != ReviewStatus.APPROVED:
            record_approve(record=record, user=None, skip_review=True)
        type(record).objects.filter(pk=record.pk).update(import_hash=digest, import_version=record.version)
        outcome = "created" if is_new else "updated"
        self.report.count(kind, outcome)
        return outcome

    def _warn_kept(self, kind: str, record, path: str) -> None:
        self.report.count(kind, "kept")
        if record.import_version is None:
            self.report.warn("kept_not_imported", path,
                             f"{kind} “{record.key if hasattr(record, 'key') else record}” exists in the catalog and "
                             "was not made by an import: left as it is (--overwrite replaces it)")
        else:
            self.report.warn("kept_editor_change", path,
                             f"{kind} “{record}” was changed by an editor since the last import (version "
                             f"{record.version}, imported as {record.import_version}): not overwritten "
                             "(--overwrite replaces it)")

    # --- vocabulary -------------------------------------------------------------------------

    def vocabularies(self) -> tuple[Vocabulary, Vocabulary]:
        """The tables' roles, genres and aliases, completed by the shipped mapping where the tables lack it.

        The tables win: an editor's alias or name overrides the mapping's. Canonical
        terms are only written when the file uses them (`seed_used`).
        """
        role_aliases = {a.text: _alias_order([r.key for r in a.roles.all()], mapping.ROLE_ALIASES.get(a.text))
                        for a in RoleAlias.objects.prefetch_related("roles")}
        genre_aliases = {a.text: [a.genre.key] for a in GenreAlias.objects.select_related("genre")}
        roles = _vocabulary(Role, {k: n for k, (n, _) in mapping.ROLES.items()}, mapping.ROLE_ALIASES, role_aliases)
        genres = _vocabulary(Genre, mapping.GENRES, {t: [k] for t, k in mapping.GENRE_ALIASES.items()}, genre_aliases)
        return roles, genres

    def seed_used(self, plan: ImportPlan) -> None:
        """Create the canonical roles and genres the plan uses and lacks (approved), then the missing aliases."""
        used_roles = {key for band in plan.bands.values() for m in band.members for key in m.role_keys}
        used_genres = {key for band in plan.bands.values() for key in band.genre_keys}
        for model, kind, used, new_terms, canonical in (
            (Role, "role", used_roles, plan.new_roles,
             {k: {"name": n, "category": c} for k, (n, c) in mapping.ROLES.items()}),
            (Genre, "genre", used_genres, plan.new_genres, {k: {"name": n} for k, n in mapping.GENRES.items()}),
        ):
            existing = model.objects.in_bulk(field_name="key")
            for key in sorted(used - set(new_terms)):
                if key in existing:
                    self._make_public(kind, existing[key])
                else:
                    fields = canonical[key]
                    self.sync(kind, model(key=key, **fields), fields, path=f"mapping.{kind}.{key}", approve=True)
        role_ids = dict(Role.objects.values_list("key", "id"))
        existing = {fold(text) for text in RoleAlias.objects.values_list("text", flat=True)}
        for text, keys in mapping.ROLE_ALIASES.items():
            if fold(text) not in existing and all(key in role_ids for key in keys):
                RoleAlias.objects.create(text=text).roles.set([role_ids[key] for key in keys])
                self.report.count("role_alias", "created")
        genre_ids = dict(Genre.objects.values_list("key", "id"))
        existing = {fold(text) for text in GenreAlias.objects.values_list("text", flat=True)}
        for text, key in mapping.GENRE_ALIASES.items():
            if fold(text) not in existing and key in genre_ids:
                GenreAlias.objects.create(text=text, genre_id=genre_ids[key])
                self.report.count("genre_alias", "created")

    def _make_public(self, kind: str, term) -> None:
        """A term the file uses: an earlier import's draft (unknown terms were drafts then) is approved now,
        unless an editor has changed it since; an editor's draft stays theirs."""
        made_by_import = term.import_version is not None and term.version == term.import_version
        if term.review_status == ReviewStatus.DRAFT and made_by_import:
            record_approve(record=term, user=None, skip_review=True)
            type(term).objects.filter(pk=term.pk).update(import_version=term.version)
            self.report.count(kind, "updated")
        else:
            self.report.count(kind, "unchanged")

    # --- the plan ---------------------------------------------------------------------------

    def apply(self, plan: ImportPlan) -> None:
        for model, kind, terms in ((Role, "role", plan.new_roles), (Genre, "genre", plan.new_genres)):
            for term in terms.values():
                fields = {"name": term.name, **({"category": term.category} if kind == "role" else {})}
                self.sync(kind, model(key=term.key, **fields), fields, path=term.paths[0], approve=True)
        self.role_ids = dict(Role.objects.values_list("key", "id"))
        self.genre_ids = dict(Genre.objects.values_list("key", "id"))
        self._bands(plan)
        festivals = self._festivals(plan)
        self._editions(plan, festivals)

    def _step(self, label: str, done: int, total: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            self.progress(f"{label}: {done}/{total}")

    def _bands(self, plan: ImportPlan) -> None:
        existing = Band.objects.in_bulk(field_name="key")
        placeholders = {p["key"]: p for p in self.report.placeholders}
        for done, band_plan in enumerate(plan.bands.values(), 1):
            band = existing.get(band_plan.key)
            if band_plan.placeholder and band is not None:
                self.report.count("band", "unchanged")  # a band the catalog has: never turned into a placeholder
            else:
                outcome = self.sync(
                    "band", band or Band(key=band_plan.key), band_plan.source(), path=band_plan.paths[0],
                    approve=not band_plan.placeholder,
                    assign=lambda record, p=band_plan: self._assign_band(record, p),
                    save_related=lambda record, p=band_plan: self._save_band_parts(record, p),
                )
                if band_plan.placeholder:
                    placeholders[band_plan.key]["created"] = outcome == "created"
            self._step("bands", done, len(plan.bands))
        self.band_ids = dict(Band.objects.values_list("key", "id"))

    @staticmethod
    def _assign_band(band: Band, plan: BandPlan) -> None:
        for name in BandPlan.SCALARS:
            setattr(band, name, getattr(plan, name))
        band.reviewed = plan.reviewed

    def _save_band_parts(self, band: Band, plan: BandPlan) -> None:
        set_ordered(band.genres, [self.genre_ids[key] for key in plan.genre_keys])
        members = list(band.members.order_by("order", "id"))
        for order, member_plan in enumerate(plan.members):
            role_ids = [self.role_ids[key] for key in member_plan.role_keys]
            if order < len(members):
                member = members[order]
                if (member.name, member.order) != (member_plan.name, order):
                    member.name, member.order = member_plan.name, order
                    member.save()
            else:
                member = Member.objects.create(band=band, name=member_plan.name, order=order)
            set_ordered(member.roles, role_ids)
        for member in members[len(plan.members):]:
            member.delete()

    def _festivals(self, plan: ImportPlan) -> dict[str, Festival]:
        existing = Festival.objects.in_bulk(field_name="key")
        for done, festival_plan in enumerate(plan.festivals.values(), 1):
            festival = existing.get(festival_plan.key) or Festival(key=festival_plan.key)
            self.sync("festival", festival, festival_plan.source(), path=festival_plan.paths[0], approve=True,
                      assign=lambda record, p=festival_plan: _assign(record, p, FestivalPlan.SCALARS))
            existing[festival.key] = festival
            self._aliases(festival, festival_plan)
            self._step("festivals", done, len(plan.festivals))
        return existing

    def _aliases(self, festival: Festival, plan: FestivalPlan) -> None:
        for key in plan.aliases:
            alias = FestivalAlias.objects.filter(key=key).select_related("festival").first()
            if alias is not None and alias.festival_id == festival.pk:
                self.report.count("festival_alias", "unchanged")
            elif alias is not None or Festival.objects.filter(key=key).exists():
                owner = alias.festival.key if alias is not None else key
                self.report.count("festival_alias", "kept")
                self.report.warn("alias_conflict", plan.paths[0],
                                 f"old key “{key}” already names festival “{owner}”: no alias to “{festival.key}”")
            else:
                FestivalAlias.objects.create(key=key, festival=festival)
                self.report.count("festival_alias", "created")

    def _editions(self, plan: ImportPlan, festivals: dict[str, Festival]) -> None:
        existing = {(e.festival.key, e.year): e for e in Edition.objects.select_related("festival")}
        for done, edition_plan in enumerate(plan.editions.values(), 1):
            festival = festivals[edition_plan.festival_key]
            edition = existing.get((festival.key, edition_plan.year)) or Edition(festival=festival)
            self.sync("edition", edition, edition_plan.source(), path=edition_plan.paths[0], approve=True,
                      assign=lambda record, p=edition_plan: _assign(
                          record, p, ("year", "start_date", "end_date", "ticket_price", "currency", "status")),
                      save_related=lambda record, p=edition_plan: self._save_lineup(record, p))
            self._step("editions", done, len(plan.editions))

    def _save_lineup(self, edition: Edition, plan: EditionPlan) -> None:
        current = {entry.band_id: entry for entry in edition.lineup.all()}
        wanted = set()
        for order, entry_plan in enumerate(plan.lineup):
            band_id = self.band_ids[entry_plan.band_key]
            wanted.add(band_id)
            entry = current.get(band_id)
            if entry is None:
                LineupEntry.objects.create(edition=edition, band_id=band_id, billing_size=entry_plan.size, order=order)
            elif (entry.billing_size, entry.order) != (entry_plan.size, order):
                entry.billing_size, entry.order = entry_plan.size, order
                entry.save()
        for band_id, entry in current.items():
            if band_id not in wanted:
                entry.delete()


def _vocabulary(model, canonical: dict[str, str], shipped_aliases: dict, table_aliases: dict) -> Vocabulary:
    """Keys and names from the table and the mapping; a mapping term whose name the table gives another key
    resolves to that key, so no second term with the same name is ever created."""
    rows = dict(model.objects.values_list("key", "name"))
    taken = {fold(name): key for key, name in rows.items()}
    redirect = {key: taken[fold(name)] for key, name in canonical.items()
                if key not in rows and fold(name) in taken}
    keys = set(rows) | (set(canonical) - set(redirect))
    names = {**{n: k for k, n in canonical.items() if k not in redirect}, **{n: k for k, n in rows.items()}}
    aliases = {text: [redirect.get(k, k) for k in targets] for text, targets in shipped_aliases.items()}
    return Vocabulary(keys=keys, names=names, aliases={**aliases, **table_aliases})


def _alias_order(keys: list[str], shipped: list[str] | None) -> list[str]:
    """A role alias's roles in the mapping's order ("Lead and backing vocals": vocals first) when the table
    holds the same roles (an alias row keeps no order); an editor's own alias: as the table lists them."""
    return list(shipped) if shipped is not None and set(shipped) == set(keys) else keys


def _assign(record, plan, names) -> None:
    for name in names:
        setattr(record, name, getattr(plan, name))
