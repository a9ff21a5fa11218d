"""Routes of the admin REST API."""

urlpatterns = []
