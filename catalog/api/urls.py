"""Routes of the admin REST API, mounted at /api/admin/."""

from django.urls import path, re_path
from rest_framework.authentication import SessionAuthentication

from metalfests.lazy_views import lazy_view

from . import views
from .authentication import ApiKeyAuthentication, CognitoAccessTokenAuthentication
from .errors import not_found
from .permissions import AdminGroupPermission

_DOC_AUTH = {
    # The OpenAPI document is for signed-in people (admin session) and for API callers.
    "authentication_classes": [SessionAuthentication, CognitoAccessTokenAuthentication, ApiKeyAuthentication],
    "permission_classes": [AdminGroupPermission],
}
_WORKFLOW = "<str:action>"

urlpatterns = [
    path("festivals", views.FestivalListView.as_view()),
    path("festivals/<slug:key>", views.FestivalDetailView.as_view()),
    path("festivals/<slug:key>/editions/<int:year>", views.EditionView.as_view()),
    path(f"festivals/<slug:key>/editions/<int:year>/{_WORKFLOW}", views.WorkflowView.as_view()),
    path("bands", views.BandListView.as_view()),
    path("bands/validate", views.BandValidateView.as_view()),
    path("bands/<slug:key>", views.BandDetailView.as_view()),
    path("genres", views.GenreListView.as_view()),
    path("genres/<slug:key>", views.GenreDetailView.as_view()),
    path("roles", views.RoleListView.as_view()),
    path("roles/<slug:key>", views.RoleDetailView.as_view()),
    # Releases (the releases app's views): before the workflow route, which would take releases/<id>/approve.
    path("releases", lazy_view("releases.api.ReleaseListView")),
    path("releases/<int:pk>", lazy_view("releases.api.ReleaseDetailView")),
    path("releases/<int:pk>/records", lazy_view("releases.api.ReleaseRecordsView")),
    path("releases/<int:pk>/preview", lazy_view("releases.api.ReleasePreviewView")),
    path("releases/<int:pk>/<str:step>", lazy_view("releases.api.ReleaseStepView")),
    path(f"<str:kind>/<slug:key>/{_WORKFLOW}", views.WorkflowView.as_view()),
    path("cache/invalidate", views.CacheInvalidateView.as_view()),
    path("cache/status", views.CacheStatusView.as_view()),
    path("health", views.HealthView.as_view()),
    path("stats", views.StatsView.as_view()),
    path("audit", views.AuditView.as_view()),
    # drf-spectacular's views import its schema generator (a second at every start): loaded on first use.
    path("schema", lazy_view("drf_spectacular.views.SpectacularAPIView", **_DOC_AUTH), name="admin-api-schema"),
    path(
        "docs",
        lazy_view("drf_spectacular.views.SpectacularSwaggerView", url_name="admin-api-schema", **_DOC_AUTH),
        name="admin-api-docs",
    ),
    re_path(r"^.*$", not_found),
]
