"""The drift vocabulary: feature types, methods and Evidently's default thresholds.

Kept apart from `stats.py` (numpy, pandas, scipy) so that reading `models.yaml` — the
worker does it at start-up, with or without the drift extra — imports none of them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class FeatureType(StrEnum):
    """How a feature is compared: as a number or as a category."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


class Method(StrEnum):
    """Drift methods we compute ourselves, named as Evidently names them."""

    PSI = "psi"
    JENSENSHANNON = "jensenshannon"
    KS = "ks"
    CHISQUARE = "chisquare"
    Z = "z"
    WASSERSTEIN = "wasserstein"


#: Evidently's default threshold per method (distances: drift when score >= threshold;
#: p-values: drift when p < threshold, `<=` for ks).
DEFAULT_THRESHOLDS: Final[dict[Method, float]] = {
    Method.PSI: 0.1,
    Method.JENSENSHANNON: 0.1,
    Method.WASSERSTEIN: 0.1,
    Method.KS: 0.05,
    Method.CHISQUARE: 0.05,
    Method.Z: 0.05,
}
P_VALUE_METHODS: Final = frozenset({Method.KS, Method.CHISQUARE, Method.Z})
NUMERIC_ONLY: Final = frozenset({Method.KS, Method.WASSERSTEIN})

__all__ = ["DEFAULT_THRESHOLDS", "NUMERIC_ONLY", "P_VALUE_METHODS", "FeatureType", "Method"]
