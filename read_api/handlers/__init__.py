"""One AWS Lambda handler module per resource, as the specification's function list has them.

`MODULES` maps the first path segment after /api/ to its module (used by the local adapter).
"""

MODULES = {
    "festivals": "read_api.handlers.festivals",
    "bands": "read_api.handlers.bands",
    "genres": "read_api.handlers.genres",
    "roles": "read_api.handlers.roles",
    "changes": "read_api.handlers.changes",
    "search": "read_api.handlers.search",
}
