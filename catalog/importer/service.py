"""The legacy import: `legacy_import(data=...)` writes a plan into the catalog through the catalog services.

One transaction for the whole file. Records are written with `record_save` and made
public with `record_approve` (legacy data is public today), genres and roles no mapping
knows included (as terms of their own); only placeholder bands stay drafts. A band's
genres and a member's roles keep the file's order. Each record remembers the hash of the source data
it was last imported from and its version right after (`import_hash`,
`import_version`): the same data again changes nothing, and a record an editor has
saved since is kept as the editor left it unless `overwrite` is given.

New records, most of what an import writes, are inserted in bulk (`bulk.create`: the state, history,
audit entries and publish signals the services would write, in a few queries per kind and chunk);
a record the catalog has already goes through the services, one at a time, as an editor's would.
"""

import hashlib
import json
import time
from collections.abc import Callable
from datetime import date
from itertools import islice

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
from catalog.snapshots import band_snapshot_of, build_snapshot, edition_snapshot_of

from . import bulk, mapping
from .bulk import NewRecord
from .normalize import Vocabulary, fold
from .plan import BandPlan, EditionPlan, FestivalPlan, ImportPlan, build_plan
from .report import ImportReport
from .schema import validate

CHUNK = 500  # new records inserted per round: memory and SQL statements stay bounded, progress moves

OnProgress = Callable[[str, int, int], None]  # (what, done, total), called as records are written


def legacy_import(*, data, currency: str | None = None, dry_run: bool = False, overwrite: bool = False,
                  today: date | None = None, progress: OnProgress | None = None) -> ImportReport:
    """Import a parsed legacy `db.json`. Raises ImportFileError (nothing written) if its structure is wrong."""
    currency = (currency or settings.DEFAULT_CURRENCY).upper()
    if currency not in CURRENCY_CODES:
        raise ValueError(f"“{currency}” is not an ISO 4217 currency code.")
    validate(data)
    report = ImportReport(dry_run=dry_run, overwrite=overwrite, currency=currency)
    started = time.monotonic()
    with transaction.atomic():
        writer = _Writer(report, overwrite=overwrite, progress=progress or (lambda label, done, total: None))
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
    def __init__(self, report: ImportReport, *, overwrite: bool, progress: OnProgress):
        self.report, self.overwrite, self.progress = report, overwrite, progress
        self.role_ids: dict[str, int] = {}
        self.genre_ids: dict[str, int] = {}
        self.band_ids: dict[str, int] = {}
        self.band_names: dict[str, str] = {}

    # --- one record -------------------------------------------------------------------------

    def sync(self, kind: str, record, source: dict, *, path: str, approve: bool, assign=None, save_related=None):
        """Update one reviewable record the catalog has from its source data; returns what was decided."""
        digest = source_hash(source)
        if record.import_hash == digest:
            self.report.count(kind, "unchanged")
            return "unchanged"
        if not self.overwrite and (record.import_version is None or record.version != record.import_version):
            self._warn_kept(kind, record, path)
            return "kept"
        if assign is not None:
            assign(record)
        record_save(record=record, user=None, expected_version=record.version, save_related=save_related)
        if approve and record.review_status != ReviewStatus.APPROVED:
            record_approve(record=record, user=None, skip_review=True)
        type(record).objects.filter(pk=record.pk).update(import_hash=digest, import_version=record.version)
        self.report.count(kind, "updated")
        return "updated"

    def create(self, kind: str, model, news: list[NewRecord], *, label: str | None = None, done: int = 0,
               total: int = 0) -> None:
        """Insert new records in chunks (see `bulk`), counting them and moving the progress as they go."""
        batch = iter(news)
        while chunk := list(islice(batch, CHUNK)):
            bulk.create(model, chunk)
            self.report.count(kind, "created", len(chunk))
            done += len(chunk)
            if label:
                self.progress(label, done, total)

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
            news = []
            for key in sorted(used - set(new_terms)):
                if key in existing:
                    self._make_public(kind, existing[key])
                else:
                    news.append(_new_term(model(key=key, **canonical[key]), canonical[key]))
            self.create(kind, model, news)
        role_ids = dict(Role.objects.values_list("key", "id"))
        existing = {fold(text) for text in RoleAlias.objects.values_list("text", flat=True)}
        role_aliases = [(RoleAlias(text=text), keys) for text, keys in mapping.ROLE_ALIASES.items()
                        if fold(text) not in existing and all(key in role_ids for key in keys)]
        RoleAlias.objects.bulk_create([alias for alias, _keys in role_aliases])
        RoleAlias.roles.through.objects.bulk_create([
            RoleAlias.roles.through(rolealias_id=alias.pk, role_id=role_ids[key])
            for alias, keys in role_aliases for key in keys
        ])
        self.report.count("role_alias", "created", len(role_aliases))
        genre_ids = dict(Genre.objects.values_list("key", "id"))
        existing = {fold(text) for text in GenreAlias.objects.values_list("text", flat=True)}
        genre_aliases = GenreAlias.objects.bulk_create([
            GenreAlias(text=text, genre_id=genre_ids[key]) for text, key in mapping.GENRE_ALIASES.items()
            if fold(text) not in existing and key in genre_ids
        ])
        self.report.count("genre_alias", "created", len(genre_aliases))

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
            self.create(kind, model, [
                _new_term(model(key=term.key, **fields), fields)
                for term in terms.values()
                for fields in [{"name": term.name, **({"category": term.category} if kind == "role" else {})}]
            ])
        self.role_ids = dict(Role.objects.values_list("key", "id"))
        self.genre_ids = dict(Genre.objects.values_list("key", "id"))
        self._bands(plan)
        festivals = self._festivals(plan)
        self._editions(plan, festivals)

    def _bands(self, plan: ImportPlan) -> None:
        existing = Band.objects.in_bulk(field_name="key")
        placeholders = {p["key"]: p for p in self.report.placeholders}
        news, done, total = [], 0, len(plan.bands)
        for band_plan in plan.bands.values():
            band = existing.get(band_plan.key)
            if band is None:
                news.append(self._new_band(band_plan))
                if band_plan.placeholder:
                    placeholders[band_plan.key]["created"] = True
                continue
            if band_plan.placeholder:
                self.report.count("band", "unchanged")  # a band the catalog has: never turned into a placeholder
            else:
                self.sync("band", band, band_plan.source(), path=band_plan.paths[0], approve=True,
                          assign=lambda record, p=band_plan: self._assign_band(record, p),
                          save_related=lambda record, p=band_plan: self._save_band_parts(record, p))
            done += 1
            self.progress("bands", done, total)
        self.create("band", Band, news, label="bands", done=done, total=total)
        for key, pk, name in Band.objects.values_list("key", "id", "name"):
            self.band_ids[key], self.band_names[key] = pk, name

    def _new_band(self, plan: BandPlan) -> NewRecord:
        band = Band(key=plan.key)
        self._assign_band(band, plan)
        genre_keys = list(dict.fromkeys(plan.genre_keys))
        members = [(m.name, list(dict.fromkeys(m.role_keys))) for m in plan.members]
        return NewRecord(
            band, source_hash(plan.source()), approve=not plan.placeholder,
            snapshot=band_snapshot_of(band, genre_keys=genre_keys, members=members),
            genre_ids=[self.genre_ids[key] for key in genre_keys],
            members=[(name, [self.role_ids[key] for key in keys]) for name, keys in members],
        )

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
        taken = set(existing)
        news, done, total = [], 0, len(plan.festivals)
        for festival_plan in plan.festivals.values():
            festival = existing.get(festival_plan.key)
            if festival is None:
                festival = existing[festival_plan.key] = Festival(key=festival_plan.key)
                _assign(festival, festival_plan, FestivalPlan.SCALARS)
                news.append(NewRecord(festival, source_hash(festival_plan.source()),
                                      snapshot=build_snapshot(festival)))
                continue
            self.sync("festival", festival, festival_plan.source(), path=festival_plan.paths[0], approve=True,
                      assign=lambda record, p=festival_plan: _assign(record, p, FestivalPlan.SCALARS))
            done += 1
            self.progress("festivals", done, total)
        self.create("festival", Festival, news, label="festivals", done=done, total=total)
        self._aliases(plan, existing, taken)
        return existing

    def _aliases(self, plan: ImportPlan, festivals: dict[str, Festival], taken: set[str]) -> None:
        """The festivals' old keys, in the file's order: a key another festival (or its alias) holds is reported.

        Created one by one: publishing hears of each (its redirect is published with the festival).
        """
        aliases = dict(FestivalAlias.objects.values_list("key", "festival__key"))
        for festival_plan in plan.festivals.values():
            festival = festivals[festival_plan.key]
            taken.add(festival.key)  # the festivals of the file so far, as when each was written in turn
            for key in festival_plan.aliases:
                owner = aliases.get(key)
                if owner == festival.key:
                    self.report.count("festival_alias", "unchanged")
                elif owner is not None or key in taken:
                    self.report.count("festival_alias", "kept")
                    self.report.warn("alias_conflict", festival_plan.paths[0],
                                     f"old key “{key}” already names festival “{owner or key}”: "
                                     f"no alias to “{festival.key}”")
                else:
                    FestivalAlias.objects.create(key=key, festival=festival)
                    aliases[key] = festival.key
                    self.report.count("festival_alias", "created")

    def _editions(self, plan: ImportPlan, festivals: dict[str, Festival]) -> None:
        existing = {(e.festival.key, e.year): e for e in Edition.objects.select_related("festival")}
        news, done, total = [], 0, len(plan.editions)
        for edition_plan in plan.editions.values():
            festival = festivals[edition_plan.festival_key]
            edition = existing.get((festival.key, edition_plan.year))
            if edition is None:
                news.append(self._new_edition(Edition(festival=festival), edition_plan))
                continue
            self.sync("edition", edition, edition_plan.source(), path=edition_plan.paths[0], approve=True,
                      assign=lambda record, p=edition_plan: _assign(record, p, EDITION_SCALARS),
                      save_related=lambda record, p=edition_plan: self._save_lineup(record, p))
            done += 1
            self.progress("editions", done, total)
        self.create("edition", Edition, news, label="editions", done=done, total=total)

    def _new_edition(self, edition: Edition, plan: EditionPlan) -> NewRecord:
        _assign(edition, plan, EDITION_SCALARS)
        lineup = [(entry.band_key, self.band_names[entry.band_key], entry.size) for entry in plan.lineup]
        return NewRecord(edition, source_hash(plan.source()), snapshot=edition_snapshot_of(edition, lineup=lineup),
                         lineup=[(self.band_ids[key], size) for key, _name, size in lineup])

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


EDITION_SCALARS = ("year", "start_date", "end_date", "ticket_price", "currency", "status")


def _new_term(term, fields: dict) -> NewRecord:
    """A genre or role no table holds yet: public at once (the legacy site showed it)."""
    return NewRecord(term, source_hash(fields), snapshot=build_snapshot(term))


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
