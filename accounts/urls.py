"""Sign-in related pages that are not the admin's own."""

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("refused/", views.refused, name="refused"),
    path("logout/", views.logout, name="logout"),
]
