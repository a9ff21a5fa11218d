"""The admin API's endpoints with API keys: shapes of spec Examples 3–5, status codes, workflow, groups."""

import pytest
from django.contrib.staticfiles import finders

from audit.models import AuditAction, AuditEntry
from catalog.models import Band, Edition, ReviewStatus
from tests import factories

from .conftest import assert_envelope

pytestmark = pytest.mark.django_db

BAND_BODY = {  # spec Example 4
    "name": "Metallica",
    "country": "United States",
    "description": "Updated description with more details...",
    "logo": "https://example.com/metallica-logo.png",
    "headlineImage": "https://example.com/metallica-headline.jpg",
    "website": "https://www.metallica.com",
    "spotify": "https://open.spotify.com/artist/2ye2Wgw4gimLv2eAKyk1NB",
    "genreKeys": ["heavy-metal", "thrash-metal"],
    "members": [{"name": "James Hetfield", "roleKeys": ["vocals", "rhythm-guitar"]}, {"name": "Lars Ulrich", "roleKeys": ["drums"]}],
    "reviewed": True,
}


@pytest.fixture
def references(db):
    genres = [factories.genre(key=k, name=k.replace("-", " ").title()) for k in ("heavy-metal", "thrash-metal")]
    roles = [factories.role(key=k, name=k.replace("-", " ").title()) for k in ("vocals", "rhythm-guitar", "drums")]
    return genres, roles


def test_editor_updates_a_band_as_in_example_4(key_client, references):
    band = factories.approved(factories.band(key="metallica", name="Metallica"))
    editor = key_client("AdminEditor")
    response = editor.put("/api/admin/bands/metallica", BAND_BODY, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["success"] is True
    assert body["band"]["genreKeys"] == ["heavy-metal", "thrash-metal"]
    # in the order given (issue 11: the editors' order is data), not alphabetically
    assert body["band"]["members"][0] == {"name": "James Hetfield", "roleKeys": ["vocals", "rhythm-guitar"]}
    assert body["band"]["countryCode"] == "US" and body["band"]["reviewed"] is True
    assert body["validation"] == {"genresValid": True, "rolesValid": True, "invalidGenres": [], "invalidRoles": []}
    # Not public until approved: the public snapshot is unchanged and nothing is invalidated.
    assert body["band"]["reviewStatus"] == ReviewStatus.DRAFT
    assert body["cacheInvalidation"]["status"] == "NotRequired"
    band.refresh_from_db()
    assert band.published_snapshot["description"] == "" and band.description.startswith("Updated")
    assert response["ETag"] == f'"{band.version}"'
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_pk=str(band.pk)).latest("id")
    assert (entry.source, entry.api_key_name, entry.actor_name) == ("api", "test-admineditor", "apikey-test-admineditor")
    assert entry.changes["description"] == ["", "Updated description with more details..."]
    assert entry.user_agent == "pytest-automation/1.0" and entry.ip == "127.0.0.1"


def test_unknown_genres_and_roles_are_422_with_the_validation_block(key_client, references):
    factories.band(key="metallica")
    body = {**BAND_BODY, "genreKeys": ["heavy-metal", "nu-polka"], "members": [{"name": "X", "roleKeys": ["kazoo"]}]}
    error = assert_envelope(key_client("AdminEditor").put("/api/admin/bands/metallica", body, format="json"),
                            422, "REFERENTIAL_INTEGRITY_ERROR")
    assert error["details"]["validation"]["invalidGenres"] == ["nu-polka"]
    assert error["details"]["validation"]["invalidRoles"] == ["kazoo"]


def test_stale_version_is_409_and_nothing_is_overwritten(key_client, references):
    band = factories.band(key="metallica", name="Metallica")
    editor = key_client("AdminEditor")
    first = editor.put("/api/admin/bands/metallica", {"name": "Metallica!", "version": band.version}, format="json")
    assert first.status_code == 200
    stale = editor.put("/api/admin/bands/metallica", {"name": "Metallicka", "version": band.version}, format="json")
    assert_envelope(stale, 409, "CONCURRENT_EDIT")
    via_header = editor.put("/api/admin/bands/metallica", {"name": "Metallicka"}, format="json", HTTP_IF_MATCH=f'"{band.version}"')
    assert_envelope(via_header, 409, "CONCURRENT_EDIT")
    band.refresh_from_db()
    assert band.name == "Metallica!"


def test_create_band_then_submit_and_full_admin_approves(key_client, references, settings):
    editor, full = key_client("AdminEditor"), key_client("AdminFull")
    created = editor.post("/api/admin/bands", {"key": "gojira", "name": "Gojira", "country": "FR", "submitForReview": True}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["band"]["reviewStatus"] == ReviewStatus.IN_REVIEW
    assert_envelope(editor.post("/api/admin/bands", {"key": "gojira", "name": "Again"}, format="json"), 409, "RESOURCE_ALREADY_EXISTS")
    assert_envelope(editor.post("/api/admin/bands/gojira/approve"), 403, "FORBIDDEN")
    unversioned = full.post("/api/admin/bands/gojira/approve")
    assert_envelope(unversioned, 428, "PRECONDITION_REQUIRED")
    assert Band.objects.get(key="gojira").review_status == ReviewStatus.IN_REVIEW
    version = created.json()["band"]["version"]
    approved = full.post("/api/admin/bands/gojira/approve", HTTP_IF_MATCH=f'"{version}"')
    assert approved.status_code == 200, approved.json()
    assert approved.json()["band"]["reviewStatus"] == ReviewStatus.APPROVED and approved.json()["band"]["published"]
    assert approved.json()["cacheInvalidation"]["publishTaskId"]  # publishing got its task
    assert Band.objects.get(key="gojira").published_snapshot["name"] == "Gojira"


def test_edition_put_as_in_example_3(key_client):
    festival = factories.festival(key="hellfest", name="Hellfest")
    factories.band(key="metallica", name="Metallica")
    factories.band(key="iron-maiden", name="Iron Maiden")
    body = {
        "dates": {"start": "2027-06-17", "end": "2027-06-20"},
        "bands": [{"key": "metallica", "name": "Metallica", "size": 0}, {"key": "iron-maiden", "name": "Iron Maiden", "size": 0}],
        "ticketPrice": 269.00, "currency": "EUR", "status": "announced",
    }
    editor = key_client("AdminEditor")
    response = editor.put("/api/admin/festivals/hellfest/editions/2027", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["edition"]["festivalKey"] == "hellfest" and data["edition"]["year"] == 2027
    assert data["edition"]["bands"] == body["bands"] and data["edition"]["ticketPrice"] == 269.0
    assert data["edition"]["createdAt"].endswith("Z")
    assert data["bandValidation"] == {"valid": True, "invalidBands": []}
    assert data["cacheInvalidation"]["status"] == "NotRequired"
    again = editor.put("/api/admin/festivals/hellfest/editions/2027", {**body, "bands": body["bands"][:1]}, format="json")
    assert again.status_code == 200 and len(again.json()["edition"]["bands"]) == 1
    assert Edition.objects.get(festival=festival, year=2027).lineup.count() == 1

    bad = editor.put("/api/admin/festivals/hellfest/editions/2028", {**body, "bands": [{"key": "ghost-band"}]}, format="json")
    error = assert_envelope(bad, 422, "REFERENTIAL_INTEGRITY_ERROR")
    assert error["details"]["bandValidation"] == {"valid": False, "invalidBands": ["ghost-band"]}
    backwards = editor.put("/api/admin/festivals/hellfest/editions/2029",
                           {**body, "dates": {"start": "2029-06-20", "end": "2029-06-17"}}, format="json")
    assert_envelope(backwards, 422, "VALIDATION_ERROR")
    assert_envelope(editor.put("/api/admin/festivals/nope/editions/2027", body, format="json"), 404, "RESOURCE_NOT_FOUND")
    assert_envelope(editor.delete("/api/admin/festivals/hellfest/editions/2027"), 403, "FORBIDDEN")
    assert key_client("AdminFull").delete("/api/admin/festivals/hellfest/editions/2027").status_code == 204


def test_deleting_a_band_on_a_lineup_is_409(key_client):
    band = factories.band(key="metallica")
    factories.edition(factories.festival(key="hellfest"), bands=[band])
    full = key_client("AdminFull")
    assert_envelope(full.delete("/api/admin/bands/metallica"), 409, "REFERENTIAL_INTEGRITY_ERROR")
    assert_envelope(key_client("AdminEditor").delete("/api/admin/bands/metallica"), 403, "FORBIDDEN")
    factories.band(key="loner")
    assert full.delete("/api/admin/bands/loner").status_code == 204
    assert not Band.objects.filter(key="loner").exists()
    assert AuditEntry.objects.filter(action=AuditAction.DELETE, api_key_name="test-adminfull").exists()


def test_validate_band_references(key_client):
    factories.band(key="metallica", name="Metallica")
    response = key_client("AdminViewer").post(
        "/api/admin/bands/validate", {"bands": ["metallica", {"key": "ghost"}, "ghost"]}, format="json")
    assert response.json() == {"valid": False, "invalidBands": ["ghost"], "validBands": [{"key": "metallica", "name": "Metallica"}]}
    assert_envelope(key_client("AdminViewer", "v2").post("/api/admin/bands/validate", {"bands": []}, format="json"),
                    400, "VALIDATION_ERROR")


def test_festivals_genres_and_roles(key_client):
    editor = key_client("AdminEditor")
    festival = editor.post("/api/admin/festivals", {"key": "wacken", "name": "Wacken Open Air", "country": "Germany",
                                                     "coordinates": {"lat": 54.03, "lng": 9.37}}, format="json")
    assert festival.status_code == 201, festival.json()
    assert festival.json()["festival"]["coordinates"] == {"lat": 54.03, "lng": 9.37}
    updated = editor.put("/api/admin/festivals/wacken", {"name": "W:O:A", "version": festival.json()["festival"]["version"]}, format="json")
    assert updated.json()["festival"]["name"] == "W:O:A"
    assert_envelope(editor.post("/api/admin/festivals", {"key": "Bad Key", "name": "x"}, format="json"), 400, "VALIDATION_ERROR")
    assert_envelope(editor.put("/api/admin/festivals/wacken", {"name": "x", "country": "Atlantis"}, format="json"),
                    422, "VALIDATION_ERROR")
    assert editor.post("/api/admin/genres", {"key": "doom-metal", "name": "Doom Metal"}, format="json").status_code == 201
    assert editor.put("/api/admin/genres/doom-metal", {"name": "Doom"}, format="json").json()["genre"]["name"] == "Doom"
    role = editor.post("/api/admin/roles", {"key": "bass", "name": "Bass", "category": "string"}, format="json")
    assert role.status_code == 201 and role.json()["role"]["category"] == "string"
    assert_envelope(editor.put("/api/admin/roles/nope", {"name": "x"}, format="json"), 404, "RESOURCE_NOT_FOUND")


def test_viewer_reads_but_cannot_write(key_client):
    factories.band(key="metallica")
    viewer = key_client("AdminViewer")
    assert viewer.get("/api/admin/bands/metallica").status_code == 200
    assert_envelope(viewer.put("/api/admin/bands/metallica", {"name": "x"}, format="json"), 403, "FORBIDDEN")
    assert_envelope(viewer.post("/api/admin/genres", {"key": "x", "name": "x"}, format="json"), 403, "FORBIDDEN")
    assert viewer.get("/api/admin/stats").status_code == 200


def test_missing_bad_and_revoked_keys_are_401(api_client, key_client):
    from accounts.services import api_key_revoke

    assert_envelope(api_client.get("/api/admin/stats"), 401, "UNAUTHORIZED")
    api_client.credentials(HTTP_X_API_KEY="mf_not-a-real-key")
    assert_envelope(api_client.get("/api/admin/stats"), 401, "UNAUTHORIZED")
    client = key_client("AdminFull")
    assert client.get("/api/admin/stats").status_code == 200
    api_key_revoke(key=client.api_key)
    assert_envelope(client.get("/api/admin/stats"), 401, "UNAUTHORIZED")


def test_unknown_endpoint_is_404_in_the_envelope(key_client):
    assert_envelope(key_client("AdminViewer").get("/api/admin/nothing/here"), 404, "RESOURCE_NOT_FOUND")


def test_cache_invalidate_as_in_example_5(key_client):
    paths = ["/api/festivals/*", "/api/bands/metallica"]
    assert_envelope(key_client("AdminEditor").post("/api/admin/cache/invalidate", {"paths": paths}, format="json"),
                    403, "FORBIDDEN")
    full = key_client("AdminFull")
    response = full.post("/api/admin/cache/invalidate", {"paths": paths}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["success"] is True and body["paths"] == sorted(paths) and body["invalidationId"]
    assert body["status"] == "Recorded"  # no distribution configured in tests: the recording backend
    assert body["estimatedCompletion"]
    assert AuditEntry.objects.filter(action=AuditAction.INVALIDATE, api_key_name="test-adminfull").exists()
    status = full.get("/api/admin/cache/status").json()
    assert status["backend"] == "RecordingBackend"
    assert status["recentInvalidations"][0]["invalidationId"] == body["invalidationId"]
    assert_envelope(full.post("/api/admin/cache/invalidate", {"paths": ["etc/passwd"]}, format="json"), 400, "VALIDATION_ERROR")
    assert_envelope(full.post("/api/admin/cache/invalidate", {"paths": []}, format="json"), 400, "VALIDATION_ERROR")
    assert_envelope(full.post("/api/admin/cache/invalidate", {"paths": ["#not a tag!"]}, format="json"), 400, "VALIDATION_ERROR")


def test_health_reports_each_dependency_with_latency(key_client, settings):
    settings.AWS_ENDPOINT_URL_DYNAMODB = "http://127.0.0.1:9"  # nothing listens: DynamoDB is down
    response = key_client("AdminViewer").get("/api/admin/health")
    body = response.json()
    assert response.status_code == 503 and body["status"] == "degraded"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["dynamodb"]["status"] == "error"
    assert body["checks"]["cloudfront"]["mode"] == "recording"
    assert all(isinstance(check["latencyMs"], float) for check in body["checks"].values())


def test_stats_counts_per_kind_and_status(key_client):
    factories.approved(factories.band())
    factories.band()
    stats = key_client("AdminViewer").get("/api/admin/stats").json()
    assert stats["counts"]["band"]["draft"] == 1 and stats["counts"]["band"]["approved"] == 1
    assert stats["recentActivity"] and stats["recentActivity"][0]["action"]


def test_openapi_document_for_signed_in_people_and_api_callers(client, key_client):
    assert client.get("/api/admin/schema").status_code in (401, 403)
    user = factories.user_in("AdminViewer")
    client.force_login(user)
    schema = client.get("/api/admin/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = schema.json()
    assert "/api/admin/bands/{key}" in document["paths"] and "/api/admin/cache/invalidate" in document["paths"]
    assert {"ApiKey", "CognitoBearer"} <= set(document["components"]["securitySchemes"])
    assert key_client("AdminViewer").get("/api/admin/schema").status_code == 200
    outsider = factories.user_in(None)
    client.force_login(outsider)
    assert client.get("/api/admin/schema").status_code == 403


def test_swagger_ui_is_served_from_our_static_files(client):
    assert client.get("/api/admin/docs").status_code in (401, 403)
    client.force_login(factories.user_in("AdminViewer"))
    page = client.get("/api/admin/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    # collectstatic (and so WhiteNoise in production) picks the bundle up from the installed app.
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    bundle = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and b"SwaggerUIBundle" in b"".join(bundle.streaming_content)


def test_a_band_takes_its_country_as_a_code_and_refuses_an_unknown_one(key_client):
    editor = key_client("AdminEditor")
    created = editor.post("/api/admin/bands", {"key": "code-band", "name": "Code Band", "countryCode": "no"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["band"]["countryCode"] == "NO" and created.json()["band"]["country"] == "Norway"
    scot = editor.post("/api/admin/bands", {"key": "scot-band", "name": "Scot Band", "countryCode": "GB-SCT"},
                       format="json")
    assert scot.status_code == 201 and scot.json()["band"]["countryCode"] == "GB-SCT"
    error = assert_envelope(editor.post("/api/admin/bands", {"key": "x-band", "name": "X", "countryCode": "XX"},
                                        format="json"), 400, "VALIDATION_ERROR")
    assert "countryCode" in error["details"]
    assert_envelope(editor.post("/api/admin/bands", {"key": "y-band", "name": "Y", "country": "Sweden",
                                                     "countryCode": "NO"}, format="json"), 400, "VALIDATION_ERROR")
    both = editor.post("/api/admin/festivals", {"key": "both-fest", "name": "Both", "country": "Norway",
                                                "countryCode": "NO"}, format="json")
    assert both.status_code == 201 and both.json()["festival"]["countryCode"] == "NO"
    assert not Band.objects.filter(key__in=["x-band", "y-band"]).exists()
