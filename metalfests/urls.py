"""Root URLs: the admin, sign-in, and the admin REST API."""

from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]
