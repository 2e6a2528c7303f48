"""`make package`: every artifact the stack needs, for x86_64, under one directory.

    python -m scripts.package build/package --models models.yaml

Writes (layout named in `observability.deploy.artifacts`): the template, one zip per
Lambda with exactly its dependencies (`scripts/build_lambdas.py`), the package wheel (the
Glue job installs it), the Glue script, and the drift image's build context with the
given models file. `observability deploy` uploads from there.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from observability.analyze.config import load_models
from observability.core.errors import ObservabilityError
from observability.deploy.artifacts import (
    DRIFT_CONTEXT,
    GLUE_SCRIPT,
    LAMBDAS,
    PACKAGED_MODELS,
    TEMPLATE,
)
from scripts.build_lambdas import ROOT, build

DOCKERFILE: Final = ROOT / "deploy" / "drift-image.Dockerfile"


def build_wheel(out: Path, root: Path = ROOT) -> Path:
    """`pip wheel --no-deps` of the project into `out`; returns the wheel."""
    for stale in out.glob("observability-*.whl"):
        stale.unlink()
    with tempfile.TemporaryDirectory(prefix="wheel-build-") as scratch:
        # Our own interpreter's pip on our own project directory.
        subprocess.run(  # noqa: S603
            [
                sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                "--disable-pip-version-check", "--wheel-dir", scratch, str(root),
            ],
            check=True,
        )  # fmt: skip
        [wheel] = Path(scratch).glob("observability-*.whl")
        return Path(shutil.copy2(wheel, out / wheel.name))


def package(out: Path, models: Path, *, with_deps: bool = True, root: Path = ROOT) -> list[Path]:
    """Build everything into `out`; returns the files written."""
    load_models(models)  # a broken models file stops the build, not the drift job
    out.mkdir(parents=True, exist_ok=True)
    written = build(out / LAMBDAS, with_deps=with_deps, root=root)
    wheel = build_wheel(out, root)
    written.append(wheel)
    script = out / GLUE_SCRIPT
    script.parent.mkdir(parents=True, exist_ok=True)
    written.append(Path(shutil.copy2(root / "glue" / "jobs" / "compact.py", script)))
    written.append(Path(shutil.copy2(root / "deploy" / "cloudformation.yaml", out / TEMPLATE)))
    context = out / DRIFT_CONTEXT
    shutil.rmtree(context, ignore_errors=True)
    context.mkdir()
    shutil.copy2(DOCKERFILE, context / "Dockerfile")
    shutil.copy2(wheel, context / wheel.name)
    shutil.copy2(root / "lambdas" / "drift_job" / "handler.py", context / "handler.py")
    shutil.copy2(models, out / PACKAGED_MODELS)
    written += sorted(context.iterdir())
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: the output directory and the models file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory to write (e.g. build/package)")
    parser.add_argument("--models", type=Path, required=True, help="the models.yaml to ship")
    parser.add_argument("--no-deps", action="store_true", help="skip the Lambdas' pip step")
    args = parser.parse_args(argv)
    try:
        for path in package(args.out, args.models, with_deps=not args.no_deps):
            print(path)
    except ObservabilityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"error: pip failed ({exc.returncode})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
