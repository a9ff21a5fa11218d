"""The admin API's release endpoints (mounted under /api/admin/releases by catalog.api.urls).

Thin like the rest of the admin API: parse, call `releases.services`, shape the answer, in the same
error envelope. A release's ETag is its fingerprint (its version and every record's version): an
approval sends it back as If-Match (428 without, 409 if anything changed since).
"""

from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from catalog.api.errors import ApiError
from catalog.api.permissions import MANAGE, READ, WRITE
from catalog.api.views import KINDS, AdminAPIView
from catalog.models import Edition

from . import selectors, services
from .models import Release

STEPS = {"approve", "reschedule", "unschedule", "cancel"}


def _stamp(value) -> str | None:
    return value.replace(microsecond=0).isoformat().replace("+00:00", "Z") if value else None


def _present(release) -> dict:
    local = services.local_time(release)
    return {
        "id": release.pk,
        "name": release.name,
        "description": release.description,
        "state": release.state,
        "version": release.version,
        "etag": services.release_fingerprint(release),
        "publishAt": _stamp(release.publish_at),
        "publishAtLocal": local.isoformat() if local else None,
        "timeZone": release.time_zone,
        "wentLiveAt": _stamp(release.went_live_at),
        "lastError": release.last_error or None,
        "records": [
            {"itemId": item.pk, "kind": item.content_type.model, "label": str(record or item.label),
             "key": _key_of(record), "version": record.version if record else None,
             "reviewStatus": record.review_status if record else None,
             "approvedVersion": item.approved_version, "published": bool(record and record.published_snapshot)}
            for item, record in services.release_records(release)
        ],
    }


def _key_of(record) -> str | None:
    if record is None:
        return None
    if isinstance(record, Edition):
        return f"{record.festival.key}/{record.year}"
    return record.key


def _answer(release, *, code=status.HTTP_200_OK) -> Response:
    release.refresh_from_db()
    response = Response({"release": _present(release)}, status=code)
    response["ETag"] = f'"{services.release_fingerprint(release)}"'
    return response


def _if_match(request) -> str:
    return request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')


def _moment(data):
    raw = data.get("publishAt")
    if raw in (None, ""):
        return None
    moment = parse_datetime(str(raw))
    if moment is None:
        raise ApiError(status_code=400, code="VALIDATION_ERROR", message=f"publishAt {raw!r} is not an ISO 8601 date-time.",
                       details={"publishAt": ["e.g. 2027-01-15T10:00:00+01:00, or 2027-01-15T10:00 with timeZone"]})
    return moment


def _call(step, **kwargs):
    """Run a service; its refusals become the API's statuses (409 changed meanwhile, 428 no version, 422 invalid)."""
    try:
        return step(**kwargs)
    except services.ReleaseChangedError as exc:
        raise ApiError(status_code=409, code="CONCURRENT_EDIT", message=" ".join(exc.messages),
                       details={"expected": exc.expected, "current": exc.current}) from exc
    except services.FingerprintRequiredError as exc:
        raise ApiError(status_code=428, code="PRECONDITION_REQUIRED", message=" ".join(exc.messages),
                       details={"current": exc.current}) from exc
    except services.ReleaseInvalidError as exc:
        raise ApiError(status_code=422, code="VALIDATION_ERROR", message="The release cannot be approved as it is.",
                       details={"problems": exc.problems}) from exc


class ReleaseListView(AdminAPIView):
    access = {"GET": READ, "POST": WRITE}

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="Releases, newest first")
    def get(self, request):
        releases = Release.objects.order_by("-id")[:100]
        return Response({"releases": [
            {"id": r.pk, "name": r.name, "state": r.state, "publishAt": _stamp(r.publish_at), "timeZone": r.time_zone}
            for r in releases]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT}, summary="Create a release (draft)")
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        release = services.release_create(name=str(data.get("name") or ""), description=str(data.get("description") or ""),
                                           user=request.user)
        return _answer(release, code=status.HTTP_201_CREATED)


class ReleaseDetailView(AdminAPIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="A release: state, time, records, problems; ETag to approve")
    def get(self, request, pk):
        release = get_object_or_404(Release, pk=pk)
        response = _answer(release)
        response.data["problems"] = services.release_problems(release, frozen=release.state != "draft") \
            if release.state in ("draft", "scheduled") else []
        return response


def _record(reference: dict):
    """A record named as the rest of the API names it: {"kind": "bands", "key"} or {"kind": "editions", "festivalKey", "year"}."""
    kind = str(reference.get("kind", ""))
    if kind in ("editions", "edition"):
        return get_object_or_404(Edition.objects.select_related("festival"),
                                 festival__key=reference.get("festivalKey"), year=reference.get("year"))
    model = KINDS.get(kind) or KINDS.get(kind + "s")
    if model is None:
        raise ApiError(status_code=400, code="VALIDATION_ERROR", message=f"No records of kind {kind!r}.",
                       details={"kind": ["festivals, editions, bands, genres or roles"]})
    return get_object_or_404(model, key=reference.get("key"))


class ReleaseRecordsView(AdminAPIView):
    access = {"POST": WRITE}

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT},
                   summary="Add records to a draft release")
    def post(self, request, pk):
        release = get_object_or_404(Release, pk=pk)
        data = request.data if isinstance(request.data, dict) else {}
        references = data.get("records")
        if not isinstance(references, list) or not references:
            raise ApiError(status_code=400, code="VALIDATION_ERROR", message="Send the records to add.",
                           details={"records": ['e.g. [{"kind": "bands", "key": "x"}, '
                                                '{"kind": "editions", "festivalKey": "hellfest", "year": 2027}]']})
        records = [_record(reference if isinstance(reference, dict) else {}) for reference in references]
        version = data.get("version")
        _call(services.release_add_records, release=release, records=records, user=request.user,
              expected_version=int(version) if isinstance(version, int) else None)
        return _answer(release)


class ReleasePreviewView(AdminAPIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT},
                   summary="Every public answer the release changes, computed from its records together")
    def get(self, request, pk):
        release = get_object_or_404(Release, pk=pk)
        preview = selectors.release_preview(release)
        return Response({
            "release": _present(release),
            "records": [{"kind": row["kind"], "label": str(row["record"]), "key": _key_of(row["record"]),
                         "changes": [{"field": label, "change": text} for label, text in row["changes"]],
                         "documents": row["documents"], "fanView": row["fan"]} for row in preview["records"]],
            "changedItems": [{"pk": i["pk"], "sk": i["sk"], "change": i["change"]} for i in preview["items"]],
            "refreshedUrls": preview["refreshed"],
            "liveError": preview["live_error"] or None,
        })


class ReleaseStepView(AdminAPIView):
    """POST /releases/{id}/approve (If-Match: the ETag), /reschedule, /unschedule, /cancel: full admins."""

    access = {"POST": MANAGE}

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT},
                   summary="Approve (now or at publishAt), reschedule, unschedule or cancel a release")
    def post(self, request, pk, step):
        if step not in STEPS:
            raise ApiError(status_code=404, code="RESOURCE_NOT_FOUND", message=f"No release step {step!r}.")
        release = get_object_or_404(Release, pk=pk)
        data = request.data if isinstance(request.data, dict) else {}
        zone = str(data.get("timeZone") or "") or None
        if step == "approve":
            _call(services.release_approve, release=release, user=request.user, fingerprint=_if_match(request) or
                  str(data.get("etag") or ""), publish_at=_moment(data), time_zone=zone or "UTC",
                  comment=str(data.get("comment") or ""))
        elif step == "reschedule":
            if _moment(data) is None:
                raise ApiError(status_code=400, code="VALIDATION_ERROR", message="Send the new publishAt.")
            _call(services.release_reschedule, release=release, user=request.user, publish_at=_moment(data),
                  time_zone=zone)
        elif step == "unschedule":
            _call(services.release_unschedule, release=release, user=request.user)
        else:
            _call(services.release_cancel, release=release, user=request.user)
        return _answer(release)
