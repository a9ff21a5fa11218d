"""The admin REST API (Django REST framework) under /api/admin/: writes through the catalog services."""
