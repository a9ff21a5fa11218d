"""URLs of publishing's admin pages (included at /publishing/)."""

from django.urls import path

from . import views

app_name = "publishing"

urlpatterns = [
    path("preview/<str:model_name>/<int:pk>/", views.preview, name="preview"),
    path("state/<str:model_name>/<int:pk>/", views.state, name="state"),
    path("tasks/<int:task_id>/retry/", views.retry, name="retry"),
]
