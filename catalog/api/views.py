"""Endpoints of the admin REST API. Thin: parse, call `catalog.services`, shape the answer.

Every write is a working-copy save through `record_save` (optimistic version check, audit,
review state): nothing becomes public until a full admin approves it (`POST …/approve`).
"""

import contextlib
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as fields
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.groups import sees_network_details
from audit.context import audit_context, client_ip
from audit.models import AuditAction, AuditEntry, AuditSource
from audit.services import audit_record
from catalog import selectors, services
from catalog.models import Band, Edition, Festival, Genre, LineupEntry, Member, ReviewStatus, Role
from catalog.ordering import set_ordered
from catalog.snapshots import build_snapshot

from . import ports, serializers, throttling
from .errors import ApiError, request_id
from .permissions import MANAGE, READ, WRITE


class AdminAPIView(APIView):
    """Sets the audit context (source "api", the caller, key name, IP, user agent) for the request."""

    def initial(self, request, *args, **kwargs):
        request_id(request)
        throttling.refuse_while_throttled(request)  # before any credential is looked at
        super().initial(request, *args, **kwargs)
        credential = request.auth
        user = request.user
        self._audit = contextlib.ExitStack()
        self._audit.enter_context(audit_context(
            source=AuditSource.API,
            user=user,
            actor_name=getattr(credential, "api_key_name", "") or user.get_username(),
            actor_sub=getattr(credential, "sub", ""),
            api_key_name=getattr(credential, "api_key_name", ""),
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:512],
        ))

    def handle_exception(self, exc):
        throttling.count_failure(self.request, exc)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        audit = getattr(self, "_audit", None)
        if audit is not None:
            audit.close()
            self._audit = None
        response = super().finalize_response(request, response, *args, **kwargs)
        response["X-Request-Id"] = request_id(request)
        return response


# --- helpers ------------------------------------------------------------------------------------


def _validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _expected_version(request, data) -> int | None:
    """The version the edit started from: the body's `version`, or the If-Match header."""
    if data.get("version") is not None:
        return data["version"]
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    raw = header.removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise ApiError(status_code=400, code="BAD_REQUEST", message="If-Match must hold the record's version, e.g. \"3\".")
    return int(raw)


def _text(data, name: str) -> str:
    """A free-text workflow field (a comment, a reason, a justification) with its whitespace folded."""
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(status_code=400, code="VALIDATION_ERROR", message=f"{name} must be a string.",
                       details={name: ["Not a valid string."]})
    return " ".join((value or "").split())


def _country(value) -> str:
    if not value:
        return ""
    text = str(value).strip()
    if len(text) == 2 and text.upper() in dict(countries):
        return text.upper()
    code = countries.by_name(text, insensitive=True)
    if not code:
        import pycountry  # knows common names ("United States", "Russia") besides the official ones

        try:
            code = pycountry.countries.lookup(text).alpha_2
        except LookupError:
            code = ""
    if not code:
        raise ApiError(status_code=422, code="VALIDATION_ERROR", message=f"Unknown country {text!r}.",
                       details={"country": [f"Unknown country {text!r}: use its English name or ISO code."]})
    return code


def _country_of(data: dict) -> str:
    """The country code a write sends: `countryCode` (a code, checked as such) and/or `country` (a name or a
    code); when both are sent they must name the same country."""
    by_name = _country(data["country"]) if "country" in data else None
    if "countryCode" not in data:
        return by_name
    code = str(data["countryCode"] or "").strip().upper()
    if code and code not in dict(countries):
        raise ApiError(status_code=400, code="VALIDATION_ERROR", message=f"Unknown country code {code!r}.",
                       details={"countryCode": [f"Unknown country code {code!r}: use an ISO 3166-1 alpha-2 code "
                                                "(e.g. DE) or GB-ENG, GB-SCT, GB-WLS, GB-NIR."]})
    if by_name is not None and by_name != code:
        raise ApiError(status_code=400, code="VALIDATION_ERROR",
                       message=f"country {data['country']!r} and countryCode {code!r} name different countries.",
                       details={"countryCode": ["Send one of country and countryCode, or both naming the same country."]})
    return code


def _stamp(value) -> str | None:
    return value.replace(microsecond=0).isoformat().replace("+00:00", "Z") if value else None


def _present(record, *, created: bool) -> dict:
    data = build_snapshot(record)
    data.update({
        "version": record.version,
        "reviewStatus": record.review_status,
        "published": record.published_snapshot is not None,
        "createdAt" if created else "updatedAt": _stamp(record.created_at if created else record.updated_at),
    })
    return data


def _save(request, record, data, *, created: bool, save_related=None, kind: str, extra=None):
    """Save the working copy (and submit it if asked), answer in the spec's write shape."""
    expected = None if created else _expected_version(request, data)
    since = ports.publishing.last_task_id()
    record.full_clean(exclude=["logo", "headline_image", "poster"])
    with transaction.atomic():
        services.record_save(record=record, user=request.user, expected_version=expected, save_related=save_related)
        if data.get("submitForReview"):
            services.record_submit_for_review(record=record, user=request.user)
    record.refresh_from_db()
    body = {"success": True, kind: _present(record, created=created), **(extra or {})}
    body["cacheInvalidation"] = ports.publishing.cache_invalidation_block(record, since_task_id=since)
    response = Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
    response["ETag"] = f'"{record.version}"'
    return response


def _working_copy(kind: str, record):
    """GET of a record: its working copy, with its version as the ETag (for If-Match)."""
    response = Response({kind: _present(record, created=False)})
    response["ETag"] = f'"{record.version}"'
    return response


def _refuse_key_change(data, key: str) -> None:
    if data.get("key") not in (None, key):
        raise ApiError(status_code=400, code="VALIDATION_ERROR",
                       message="Renaming a key is a deliberate action: use the admin's rename.")


def _taken(model, key: str) -> None:
    if model.objects.filter(key=key).exists():
        raise ApiError(status_code=409, code="RESOURCE_ALREADY_EXISTS",
                       message=f"A {model._meta.verbose_name} with key {key!r} exists already.", details={"key": key})


def _require_key(data) -> str:
    if not data.get("key"):
        raise ApiError(status_code=400, code="VALIDATION_ERROR", message="The request is not valid.",
                       details={"key": ["This field is required."]})
    return data["key"]


# --- festivals and editions ---------------------------------------------------------------------


def _apply_festival(festival: Festival, data: dict) -> None:
    simple = {"name": "name", "city": "city", "website": "website", "poster": "poster_url", "description": "description"}
    for field, attr in simple.items():
        if field in data:
            setattr(festival, attr, data[field] or "")
    if "country" in data or "countryCode" in data:
        festival.country = _country_of(data)
    if "coordinates" in data:
        coordinates = data["coordinates"]
        festival.latitude = coordinates["lat"] if coordinates else None
        festival.longitude = coordinates["lng"] if coordinates else None


class FestivalListView(AdminAPIView):
    @extend_schema(request=serializers.FestivalSerializer, responses={201: OpenApiTypes.OBJECT}, summary="Create a festival (draft)")
    def post(self, request):
        data = _validated(serializers.FestivalSerializer, request.data)
        key = _require_key(data)
        _taken(Festival, key)
        festival = Festival(key=key)
        _apply_festival(festival, data)
        return _save(request, festival, data, created=True, kind="festival")


class FestivalDetailView(AdminAPIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="A festival's working copy, version and review state")
    def get(self, request, key):
        return _working_copy("festival", get_object_or_404(Festival, key=key))

    @extend_schema(request=serializers.FestivalSerializer, responses={200: OpenApiTypes.OBJECT}, summary="Update a festival")
    def put(self, request, key):
        festival = get_object_or_404(Festival, key=key)
        data = _validated(serializers.FestivalSerializer, request.data)
        _refuse_key_change(data, key)
        _apply_festival(festival, data)
        return _save(request, festival, data, created=False, kind="festival")


def _band_validation(entries) -> tuple[dict, dict]:
    keys = [entry["key"] for entry in entries]
    found = {band.key: band for band in Band.objects.filter(key__in=keys)}
    invalid = [key for key in dict.fromkeys(keys) if key not in found]
    return {"valid": not invalid, "invalidBands": invalid}, found


class EditionView(AdminAPIView):
    access = {"GET": READ, "PUT": WRITE, "DELETE": MANAGE}

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="An edition's working copy")
    def get(self, request, key, year):
        edition = get_object_or_404(Edition.objects.select_related("festival"), festival__key=key, year=year)
        return _working_copy("edition", edition)

    @extend_schema(request=serializers.EditionSerializer, responses={200: OpenApiTypes.OBJECT, 201: OpenApiTypes.OBJECT},
                   summary="Create or update a festival's edition and lineup (spec Example 3)")
    def put(self, request, key, year):
        festival = get_object_or_404(Festival, key=key)
        if isinstance(request.data, dict) and "key" in request.data:
            raise ApiError(status_code=400, code="VALIDATION_ERROR",
                           message="An edition has no key of its own: it is named by its festival and year. "
                                   "To rename, rename the festival's key.", details={"key": ["Not a field of an edition."]})
        data = _validated(serializers.EditionSerializer, request.data)
        lineup = data.get("bands")
        validation, found = _band_validation(lineup or [])
        if not validation["valid"]:
            raise ApiError(status_code=422, code="REFERENTIAL_INTEGRITY_ERROR",
                           message="Some bands of the lineup do not exist.", details={"bandValidation": validation})
        keys = [entry["key"] for entry in lineup or []]
        if len(keys) != len(set(keys)):
            raise ApiError(status_code=400, code="VALIDATION_ERROR", message="A band appears twice in the lineup.")
        edition = Edition.objects.filter(festival=festival, year=year).first()
        created = edition is None
        if created:
            if not (1950 <= year <= 2100):
                raise ApiError(status_code=422, code="VALIDATION_ERROR", message="The year must be between 1950 and 2100.")
            edition = Edition(festival=festival, year=year)
        edition.start_date, edition.end_date = data["dates"]["start"], data["dates"]["end"]
        if "ticketPrice" in data:
            edition.ticket_price = data["ticketPrice"]
        if "currency" in data:
            edition.currency = data["currency"] or ""
        if "status" in data:
            edition.status = data["status"]

        def save_lineup(saved):
            if lineup is None:
                return
            saved.lineup.all().delete()
            LineupEntry.objects.bulk_create([
                LineupEntry(edition=saved, band=found[entry["key"]], billing_size=entry.get("size"), order=position)
                for position, entry in enumerate(lineup)
            ])

        return _save(request, edition, data, created=created, save_related=save_lineup, kind="edition",
                     extra={"bandValidation": validation})

    @extend_schema(responses={204: None}, summary="Delete an edition (full admins)")
    def delete(self, request, key, year):
        edition = get_object_or_404(Edition.objects.select_related("festival"), festival__key=key, year=year)
        services.record_delete(record=edition, user=request.user, expected_version=_expected_version(request, {}))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- bands --------------------------------------------------------------------------------------


def _band_references(data) -> tuple[dict, dict, dict]:
    genre_keys = data.get("genreKeys") or []
    role_keys = [key for member in data.get("members") or [] for key in member.get("roleKeys", [])]
    genres = {g.key: g for g in Genre.objects.filter(key__in=genre_keys)}
    roles = {r.key: r for r in Role.objects.filter(key__in=role_keys)}
    invalid_genres = [key for key in dict.fromkeys(genre_keys) if key not in genres]
    invalid_roles = [key for key in dict.fromkeys(role_keys) if key not in roles]
    validation = {
        "genresValid": not invalid_genres, "rolesValid": not invalid_roles,
        "invalidGenres": invalid_genres, "invalidRoles": invalid_roles,
    }
    return validation, genres, roles


def _apply_band(band: Band, data: dict):
    simple = {"name": "name", "description": "description", "logo": "logo_url", "headlineImage": "headline_image_url",
              "website": "website", "spotify": "spotify"}
    for field, attr in simple.items():
        if field in data:
            setattr(band, attr, data[field] or "")
    if "country" in data or "countryCode" in data:
        band.country = _country_of(data)
    if "reviewed" in data:
        band.reviewed = data["reviewed"]
    validation, genres, roles = _band_references(data)
    if not (validation["genresValid"] and validation["rolesValid"]):
        raise ApiError(status_code=422, code="REFERENTIAL_INTEGRITY_ERROR",
                       message="Some genres or roles do not exist.", details={"validation": validation})

    def save_parts(saved):
        if "genreKeys" in data:
            set_ordered(saved.genres, [genres[key] for key in data["genreKeys"]])
        if "members" in data:
            saved.members.all().delete()
            for position, member in enumerate(data["members"]):
                row = Member.objects.create(band=saved, name=member["name"], order=position)
                set_ordered(row.roles, [roles[key] for key in member.get("roleKeys", [])])

    return validation, save_parts


class BandListView(AdminAPIView):
    @extend_schema(request=serializers.BandSerializer, responses={201: OpenApiTypes.OBJECT}, summary="Create a band (draft)")
    def post(self, request):
        data = _validated(serializers.BandSerializer, request.data)
        key = _require_key(data)
        _taken(Band, key)
        band = Band(key=key)
        validation, save_parts = _apply_band(band, data)
        return _save(request, band, data, created=True, save_related=save_parts, kind="band",
                     extra={"validation": validation})


class BandDetailView(AdminAPIView):
    access = {"GET": READ, "PUT": WRITE, "DELETE": MANAGE}

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="A band's working copy, version and review state")
    def get(self, request, key):
        return _working_copy("band", get_object_or_404(Band, key=key))

    @extend_schema(request=serializers.BandSerializer, responses={200: OpenApiTypes.OBJECT}, summary="Update a band (spec Example 4)")
    def put(self, request, key):
        band = get_object_or_404(Band, key=key)
        data = _validated(serializers.BandSerializer, request.data)
        _refuse_key_change(data, key)
        validation, save_parts = _apply_band(band, data)
        return _save(request, band, data, created=False, save_related=save_parts, kind="band",
                     extra={"validation": validation})

    @extend_schema(responses={204: None}, summary="Delete a band (full admins; 409 while a lineup lists it)")
    def delete(self, request, key):
        band = get_object_or_404(Band, key=key)
        services.record_delete(record=band, user=request.user, expected_version=_expected_version(request, {}))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BandValidateView(AdminAPIView):
    access = {"POST": READ}

    @extend_schema(request=serializers.BandValidateSerializer, responses={200: OpenApiTypes.OBJECT},
                   summary="Which of a list of band references exist")
    def post(self, request):
        data = _validated(serializers.BandValidateSerializer, request.data)
        keys = []
        for entry in data["bands"]:
            key = entry.get("key") if isinstance(entry, dict) else entry
            if not isinstance(key, str) or not key:
                raise ApiError(status_code=400, code="VALIDATION_ERROR",
                               message='Each band is a key or an object with a "key".', details={"entry": entry})
            keys.append(key)
        found = dict(Band.objects.filter(key__in=keys).values_list("key", "name"))
        invalid = [key for key in dict.fromkeys(keys) if key not in found]
        return Response({
            "valid": not invalid,
            "invalidBands": invalid,
            "validBands": [{"key": key, "name": found[key]} for key in dict.fromkeys(keys) if key in found],
        })


# --- genres and roles ---------------------------------------------------------------------------


def _simple_views(model, serializer_class, kind: str, fields: dict):
    def apply(record, data):
        for field, attr in fields.items():
            if field in data:
                setattr(record, attr, data[field])

    class ListView(AdminAPIView):
        @extend_schema(request=serializer_class, responses={201: OpenApiTypes.OBJECT}, summary=f"Create a {kind} (draft)")
        def post(self, request):
            data = _validated(serializer_class, request.data)
            key = _require_key(data)
            _taken(model, key)
            record = model(key=key)
            apply(record, data)
            return _save(request, record, data, created=True, kind=kind)

    class DetailView(AdminAPIView):
        @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary=f"A {kind}'s working copy")
        def get(self, request, key):
            return _working_copy(kind, get_object_or_404(model, key=key))

        @extend_schema(request=serializer_class, responses={200: OpenApiTypes.OBJECT}, summary=f"Update a {kind}")
        def put(self, request, key):
            record = get_object_or_404(model, key=key)
            data = _validated(serializer_class, request.data)
            _refuse_key_change(data, key)
            apply(record, data)
            return _save(request, record, data, created=False, kind=kind)

    ListView.__name__ = f"{model.__name__}ListView"
    DetailView.__name__ = f"{model.__name__}DetailView"
    return ListView, DetailView


GenreListView, GenreDetailView = _simple_views(Genre, serializers.GenreSerializer, "genre",
                                               {"name": "name", "description": "description"})
RoleListView, RoleDetailView = _simple_views(Role, serializers.RoleSerializer, "role",
                                             {"name": "name", "category": "category", "description": "description"})


# --- review workflow ----------------------------------------------------------------------------

WORKFLOW = {
    "submit": (services.record_submit_for_review, WRITE),
    "approve": (services.record_approve, MANAGE),
    "return-to-draft": (services.record_return_to_draft, MANAGE),
    "unpublish": (services.record_unpublish, MANAGE),
}
KINDS = {"festivals": Festival, "bands": Band, "genres": Genre, "roles": Role}


class WorkflowView(AdminAPIView):
    """POST /{kind}/{key}/{action} or /festivals/{key}/editions/{year}/{action}: submit, approve, …"""

    @property
    def access(self):
        return {"POST": WORKFLOW.get(self.kwargs.get("action"), (None, MANAGE))[1]}

    @extend_schema(request=inline_serializer("WorkflowStep", {
        "version": fields.IntegerField(required=False, help_text="The version you reviewed (or send If-Match); "
                                       "required to approve"),
        "comment": fields.CharField(required=False, help_text="approve: a comment kept in the record's history"),
        "reason": fields.CharField(required=False, help_text="return-to-draft: required; the editors read it"),
        "overrideJustification": fields.CharField(
            required=False, help_text="approve, full admins only: approve your own change under the two-pairs-of-"
            "eyes rule (403 FOUR_EYES without it); audited"),
    }), responses={200: OpenApiTypes.OBJECT},
                   summary="Review workflow: submit (editors), approve / return-to-draft / unpublish (full admins)")
    def post(self, request, action, key, kind="editions", year=None):
        if action not in WORKFLOW:
            raise ApiError(status_code=404, code="RESOURCE_NOT_FOUND", message=f"No workflow action {action!r}.")
        if year is not None:
            record = get_object_or_404(Edition.objects.select_related("festival"), festival__key=key, year=year)
        elif kind in KINDS:
            record = get_object_or_404(KINDS[kind], key=key)
        else:
            raise ApiError(status_code=404, code="RESOURCE_NOT_FOUND", message=f"No records of kind {kind!r}.")
        data = request.data if isinstance(request.data, dict) else {}
        # The version the caller reviewed (If-Match or the body's `version`): the step applies to it only.
        # An approval without one is refused with 428 by the service.
        options = {"expected_version": _expected_version(request, data)}
        if action == "approve":
            options["comment"] = _text(data, "comment")
            # Break glass on the two-pairs-of-eyes rule: full admins approving their own change say why.
            options["override_justification"] = _text(data, "overrideJustification")
        if action == "return-to-draft":
            options["reason"] = _text(data, "reason")
            if not options["reason"]:
                raise ApiError(status_code=400, code="VALIDATION_ERROR",
                               message="Returning to draft needs a reason: the editors read it on the record.",
                               details={"reason": ["This field is required."]})
        since = ports.publishing.last_task_id()
        WORKFLOW[action][0](record=record, user=request.user, **options)
        record.refresh_from_db()
        response = Response({
            "success": True,
            record._meta.model_name: _present(record, created=False),
            "cacheInvalidation": ports.publishing.cache_invalidation_block(record, since_task_id=since),
        })
        response["ETag"] = f'"{record.version}"'  # every step moves the version
        return response


# --- cache and system ---------------------------------------------------------------------------


class CacheInvalidateView(AdminAPIView):
    access = {"POST": MANAGE}

    @extend_schema(request=serializers.CacheInvalidateSerializer, responses={200: OpenApiTypes.OBJECT},
                   summary="Invalidate CDN paths or cache tags (spec Example 5; full admins)")
    def post(self, request):
        data = _validated(serializers.CacheInvalidateSerializer, request.data)
        try:
            body = ports.publishing.invalidate_paths(data["paths"], request_id=request_id(request))
        except ValueError as exc:
            raise ApiError(status_code=400, code="VALIDATION_ERROR", message=str(exc)) from exc
        audit_record(action=AuditAction.INVALIDATE, detail={"paths": body["paths"], "invalidationId": body["invalidationId"]})
        return Response(body)


class CacheStatusView(AdminAPIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="Publish queue and recent CDN invalidations")
    def get(self, request):
        return Response(ports.publishing.cache_status())


class HealthView(AdminAPIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT},
                   summary="Database, DynamoDB and CloudFront, with latencies")
    def get(self, request):
        body = ports.publishing.health()
        return Response(body, status=200 if body["status"] == "healthy" else 503)


def _audit_entry(entry: AuditEntry, *, network: bool) -> dict:
    """An audit entry as the API shows it; `network` (full admins): with the client's address and user agent."""
    return {
        "id": entry.pk,
        "timestamp": _stamp(entry.at),
        "action": entry.action,
        "source": entry.source,
        "user": entry.actor_name,
        "sub": entry.actor_sub or None,
        "apiKey": entry.api_key_name or None,
        "object": {
            "type": entry.content_type.model if entry.content_type_id else None,
            "id": entry.object_pk or None,
            "repr": entry.object_repr or None,
        },
        "changes": entry.changes,
        "detail": entry.detail,
        "ip": entry.ip if network else None,
        "userAgent": (entry.user_agent or None) if network else None,
    }


class StatsView(AdminAPIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="Counts per kind and review status, recent activity")
    def get(self, request):
        counts = {
            row["model_name"]: {
                "total": row["draft"] + row["in_review"] + row["approved"],
                ReviewStatus.DRAFT: row["draft"], ReviewStatus.IN_REVIEW: row["in_review"],
                ReviewStatus.APPROVED: row["approved"], "published": row["published"],
                "publishedWithPendingChanges": row["pending_changes"],
            }
            for row in selectors.review_counts()
        }
        since = timezone.now() - timedelta(days=7)
        recent = AuditEntry.objects.select_related("content_type").order_by("-at", "-id")[:20]
        return Response({
            "counts": counts,
            "recentActivity": [_audit_entry(entry, network=sees_network_details(request.user)) for entry in recent],
            "changesLast7Days": AuditEntry.objects.filter(at__gte=since).count(),
        })


class AuditView(AdminAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("startDate", str, description="From this date or date-time (inclusive)."),
            OpenApiParameter("endDate", str, description="Until this date (the whole day) or date-time."),
            OpenApiParameter("user", str, description="Username, OpenID subject or API key name."),
            OpenApiParameter("action", str, enum=AuditAction.values),
            OpenApiParameter("limit", int, description="1–1000, default 100."),
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="The audit trail, newest first",
    )
    def get(self, request):
        query = _validated(serializers.AuditQuerySerializer, request.query_params)
        entries = AuditEntry.objects.select_related("content_type").order_by("-at", "-id")
        if "startDate" in query:
            entries = entries.filter(at__gte=_moment(query["startDate"]))
        if "endDate" in query:
            end = query["endDate"]
            entries = entries.filter(at__lt=_moment(end) + timedelta(days=1)) if not isinstance(end, datetime) \
                else entries.filter(at__lte=end)
        if "user" in query:
            who = query["user"]
            entries = entries.filter(Q(actor_name__iexact=who) | Q(actor_sub=who) | Q(api_key_name__iexact=who))
        if "action" in query:
            if query["action"] not in AuditAction.values:
                raise ApiError(status_code=400, code="VALIDATION_ERROR", message=f"Unknown action {query['action']!r}.",
                               details={"action": AuditAction.values})
            entries = entries.filter(action=query["action"])
        limit = query.get("limit", 100)
        network = sees_network_details(request.user)
        rows = [_audit_entry(entry, network=network) for entry in entries[:limit]]
        return Response({"entries": rows, "count": len(rows), "limit": limit})


def _moment(value) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(datetime.combine(value, time.min))
