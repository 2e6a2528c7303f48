"""What `make package` writes and `observability deploy` uploads: one layout, named here.

`build/package/` holds the template, one zip per Lambda, the package wheel (which the
Glue job installs), the Glue script, and the drift image's build context with the models
file it was built with. Uploads are content-addressed (`<prefix>/<sha256>/<name>`):
CloudFormation updates a function only when its code key changes, so a changed zip gets
a new key and an unchanged one is neither uploaded again nor redeployed.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from botocore.exceptions import ClientError

from observability.core.errors import ObservabilityError

PACKAGE_DIR: Final = Path("build/package")
TEMPLATE: Final = "cloudformation.yaml"
LAMBDAS: Final = "lambdas"
GLUE_SCRIPT: Final = "glue/compact.py"
DRIFT_CONTEXT: Final = "drift-image"
#: The models file the drift image was built with.
PACKAGED_MODELS: Final = f"{DRIFT_CONTEXT}/models.yaml"
#: The alert rules file inside the evaluator's zip (its OBSERVABILITY_ALERTS_CONFIG).
ALERTS_ENTRY: Final = "alerts.yaml"
#: Template parameter -> the function whose zip it names.
CODE_PARAMETERS: Final[Mapping[str, str]] = {
    "TransformCodeKey": "firehose_transform",
    "RegistrarCodeKey": "partition_registrar",
    "IndexerCodeKey": "s3_to_opensearch",
    "ApiCodeKey": "api",
    "AlertsCodeKey": "alerts_eval",
}
#: Key prefix of everything uploaded to the artifact bucket.
KEY_PREFIX: Final = "observability"
_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
_DIGEST_CHARS: Final = 16


class PackageError(ObservabilityError):
    """The package directory lacks something the deploy needs."""


@dataclass(frozen=True, slots=True)
class Artifact:
    """One file to upload: the parameter that names its key (if any), its name, its bytes."""

    name: str
    data: bytes
    parameter: str | None = None

    @property
    def digest(self) -> str:
        """The content's sha256 (hex)."""
        return hashlib.sha256(self.data).hexdigest()

    def key(self, prefix: str = KEY_PREFIX) -> str:
        """`<prefix>/<sha256[:16]>/<name>`: a new key exactly when the content changes."""
        return f"{prefix}/{self.digest[:_DIGEST_CHARS]}/{self.name}"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise PackageError(f"{path} is missing: run `make package` first") from None


def wheel_path(package_dir: Path) -> Path:
    """The one `observability-*.whl` of the package directory."""
    wheels = sorted(package_dir.glob("observability-*.whl"))
    if len(wheels) != 1:
        raise PackageError(
            f"{package_dir}: expected one observability-*.whl, found {len(wheels)}: "
            "run `make package`"
        )
    return wheels[0]


def with_entry(archive: bytes, name: str, data: bytes) -> bytes:
    """A copy of a zip with one more file (or that file replaced), still reproducible."""
    entries: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(archive)) as source:
        for info in source.infolist():
            entries[info.filename] = source.read(info)
    entries[name] = data
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for filename in sorted(entries):
            info = zipfile.ZipInfo(filename, _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, entries[filename])
    return out.getvalue()


def collect(package_dir: Path, alerts: bytes | None) -> list[Artifact]:
    """The artifacts of a package directory; the evaluator only when alert rules are given
    (its zip gets them as `alerts.yaml`)."""
    found: list[Artifact] = []
    for parameter, function in CODE_PARAMETERS.items():
        if function == "alerts_eval" and alerts is None:
            continue
        data = _read(package_dir / LAMBDAS / f"{function}.zip")
        if function == "alerts_eval" and alerts is not None:
            data = with_entry(data, ALERTS_ENTRY, alerts)
        found.append(Artifact(f"{function}.zip", data, parameter))
    wheel = wheel_path(package_dir)
    found.append(Artifact(wheel.name, _read(wheel), "PackageWheelKey"))
    script = package_dir / GLUE_SCRIPT
    found.append(Artifact(script.name, _read(script), "CompactScriptKey"))
    return found


def upload(s3: Any, bucket: str, artifacts: Sequence[Artifact]) -> dict[str, str]:
    """Put each artifact that is not in the bucket yet; parameter -> key."""
    keys: dict[str, str] = {}
    for artifact in artifacts:
        key = artifact.key()
        if not _exists(s3, bucket, key):
            s3.put_object(Bucket=bucket, Key=key, Body=artifact.data)
        if artifact.parameter is not None:
            keys[artifact.parameter] = key
    return keys


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True
