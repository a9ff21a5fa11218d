"""The legacy `db.json` import: validation, normalisation, the import service and its report."""
