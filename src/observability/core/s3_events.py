"""New-object events from S3, in either shape they arrive: the one reader of both.

S3 notifications carry `Records[]` (`s3.bucket.name`, `s3.object.key`); EventBridge's
`Object Created` event carries one object in `detail` (`bucket.name`, `object.key`), which
is how the deployed template fans S3 events out to the partition registrar and the
indexer. Notification keys are URL-encoded (`dt%3D2026-11-23`, `+` for a space); keys are
decoded in both shapes, as Powertools does (store keys hold no `+` or `%`, so the two
readings agree for them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import unquote_plus

#: EventBridge's detail-type for a new S3 object.
OBJECT_CREATED: Final = "Object Created"


def created_objects(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(bucket, decoded key) of each object the event names; records without a key are
    skipped, an event of neither shape names none."""
    if event.get("detail-type") == OBJECT_CREATED:
        detail = event.get("detail") or {}
        pairs = [(detail.get("bucket"), detail.get("object"))]
    else:
        records = event.get("Records") or []
        pairs = [
            ((record.get("s3") or {}).get("bucket"), (record.get("s3") or {}).get("object"))
            for record in records
            if isinstance(record, Mapping)
        ]
    found = []
    for bucket, item in pairs:
        name = (bucket or {}).get("name", "") if isinstance(bucket, Mapping) else ""
        key = item.get("key") if isinstance(item, Mapping) else None
        if isinstance(key, str) and key:
            found.append((str(name or ""), unquote_plus(key)))
    return found
