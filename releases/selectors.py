"""Reads of releases that the admin and the admin API share: what a release would change, and where a record is."""

import difflib
import json

from django.conf import settings

from publishing import fan_view
from publishing.releases import release_preview as build_preview

from .services import proposed_snapshots


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) if value is not None else ""


def release_preview(release) -> dict:
    """Every public answer the release would change, computed from its records together.

    {"records": [{"record", "kind", "changes": [(label, text)], "fan": fan view or None, "documents": {path: body}}],
     "items": [{"pk", "sk", "change", "diff"}], "refreshed": [public URL], "live_error": str}
    """
    pairs = proposed_snapshots(release)
    proposed = dict((id(record), after) for record, after in pairs)
    result = build_preview(pairs)
    records = []
    for record, documents in result["documents"]:
        kind = record._meta.model_name
        records.append({
            "record": record, "kind": kind, "documents": documents,
            "changes": fan_view.change_list(record.published_snapshot, proposed[id(record)]),
            "fan": fan_view.fan_view(kind, documents),
        })
    changed = [item for item in result["items"] if item.change != "unchanged"]
    items = [{"pk": item.pk, "sk": item.sk, "change": item.change,
              "diff": "\n".join(difflib.unified_diff(_pretty(item.live).splitlines(), _pretty(item.proposed).splitlines(),
                                                     "live", "with the release", lineterm="", n=2))}
             for item in changed]
    base = settings.PUBLIC_API_BASE_URL.rstrip("/")
    return {"records": records, "items": items, "live_error": result["live_error"],
            "refreshed": [base + path for path in fan_view.refreshed_paths(changed)]}
