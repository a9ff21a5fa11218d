"""URLs of the notifications app (included at /notifications/)."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [path("preferences/", views.preferences, name="preferences")]
