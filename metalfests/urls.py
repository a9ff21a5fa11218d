"""Root URLs: the admin, sign-in, and the admin REST API."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views

urlpatterns = [
    # Before the admin's own: SSO-aware login, and a logout that ends the provider's session too.
    path("admin/login/", accounts_views.admin_login, name="admin_login"),
    path("admin/logout/", accounts_views.logout, name="admin_logout"),
    path("admin/", admin.site.urls),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("accounts/", include("accounts.urls")),
    path("api/admin/", include("catalog.api.urls")),
    path("publishing/", include("publishing.urls")),
    path("notifications/", include("notifications.urls")),
]

if settings.DEBUG and not settings.AWS_STORAGE_BUCKET_NAME:
    # Uploaded images, served by runserver locally (S3 serves them in production).
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
