"""The demos' sample world, defined once: three services, their routes, two models and the
distributions their features come from, clean or drifted.

Both demos draw from here: the finite one for a few minutes of history, the live one for
its traffic and for the reference files its drift jobs compare against. Drift is what a
bad release does to a feature pipeline: the fraud model suddenly sees amounts in cents and
a new market, the price model a city it was never trained on and bigger flats.
"""

from __future__ import annotations

import random
from typing import Any, Final

SERVICES: Final = ("checkout", "payments", "search")
FRAUD_MODEL: Final = "fraud-classifier"
PRICE_MODEL: Final = "price-regressor"
ROUTES: Final = {
    "checkout": ("/cart", "/cart/items", "/checkout", "/checkout/confirm"),
    "payments": ("/payments/authorize", "/payments/capture", "/refunds"),
    "search": ("/search", "/search/suggest", "/listings/{id}"),
}
UPSTREAMS: Final = ("inventory", "card-network", "tax-service", "search-index")
CITIES: Final = ("Berlin", "Lyon", "Austin", "Porto", "Pune")
COUNTRIES: Final = ("DE", "FR", "US", "BR", "IN")
#: Where a drifted model's inputs come from after the bad release.
DRIFTED_COUNTRIES: Final = ("NG", "VN", "US")
DRIFTED_CITIES: Final = ("Lisbon", "Lisbon", "Porto")

#: models.yaml `features:` of each model (what the drift job scores).
FEATURES: Final[dict[str, dict[str, str]]] = {
    FRAUD_MODEL: {
        "amount": "numeric",
        "account_age_days": "numeric",
        "device_score": "numeric",
        "country": "categorical",
        "card_present": "categorical",
    },
    PRICE_MODEL: {"area_m2": "numeric", "rooms": "numeric", "city": "categorical"},
}
TASKS: Final = {FRAUD_MODEL: "classification", PRICE_MODEL: "regression"}


def fraud_features(rng: random.Random, *, drifted: bool = False) -> dict[str, Any]:
    """A card payment's features; drifted: amounts in cents and a new market."""
    amount = round(rng.lognormvariate(4, 1), 2)
    return {
        "amount": amount * 100 if drifted else amount,
        "country": rng.choice(DRIFTED_COUNTRIES if drifted else COUNTRIES),
        "card_present": rng.random() < 0.6,
        "account_age_days": rng.randint(0, 3000),
        "device_score": None if rng.random() < 0.1 else round(rng.random(), 3),
    }


def fraud_probability(features: dict[str, Any], rng: random.Random) -> float:
    """The classifier's fraud probability for those features."""
    boost = 0.3 if features["amount"] > 400 else 0.0
    return min(0.99, max(0.01, rng.betavariate(1.2, 12) + boost))


def fraud_label(probability: float, rng: random.Random) -> str:
    """The ground truth a chargeback later reveals."""
    return "fraud" if rng.random() < probability else "legit"


def price_features(rng: random.Random, *, drifted: bool = False) -> dict[str, Any]:
    """A listing's features; drifted: bigger flats in a city the model never saw."""
    area = rng.randint(90, 260) if drifted else rng.randint(30, 200)
    return {
        "area_m2": area,
        "rooms": max(1, area // 30),
        "city": rng.choice(DRIFTED_CITIES if drifted else CITIES),
    }


def price_estimate(features: dict[str, Any], rng: random.Random) -> float:
    """The regressor's price for a listing."""
    return float(round(features["area_m2"] * rng.uniform(2500, 6000), 0))


def price_actual(estimate: float, rng: random.Random) -> float:
    """The sale price that arrives later."""
    return float(round(estimate * rng.uniform(0.85, 1.15), 0))


def reference_rows(model: str, rng: random.Random, rows: int) -> list[dict[str, Any]]:
    """Training-time rows of `model`: its features, `prediction` and `target` columns."""
    out: list[dict[str, Any]] = []
    for _ in range(rows):
        if model == FRAUD_MODEL:
            features = fraud_features(rng)
            probability = fraud_probability(features, rng)
            predicted = "fraud" if probability >= 0.5 else "legit"
            row = {**features, "prediction": predicted, "target": fraud_label(probability, rng)}
        else:
            features = price_features(rng)
            estimate = price_estimate(features, rng)
            row = {**features, "prediction": estimate, "target": price_actual(estimate, rng)}
        out.append(row)
    return out
