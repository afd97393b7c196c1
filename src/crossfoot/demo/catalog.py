"""What the demo company sells, who sells it, and the FX rates it uses."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from crossfoot.demo.names import salesforce_id

SUBSCRIPTION = "Subscription"
SUPPORT = "Support"
HARDWARE = "Hardware"
SERVICES = "Services"
DATA_ADD_ON = "Data Add-on"

#: product lines in NetSuite classification order (ids 1..5)
PRODUCT_LINES = (SUBSCRIPTION, SUPPORT, HARDWARE, SERVICES, DATA_ADD_ON)


@dataclass(frozen=True, slots=True)
class Product:
    sf_id: str
    ns_id: int
    code: str
    name: str
    family: str
    item_type: str  # NetSuite item type
    price_cents: tuple[int, int]  # unit price range
    quantity: tuple[int, int]

    @property
    def ns_ref(self) -> str:
        return str(self.ns_id)

    def line(self, rng: random.Random) -> tuple[int, Decimal]:
        """A random (quantity, unit price) for one deal line."""
        unit = Decimal(rng.randint(*self.price_cents)).scaleb(-2)
        return rng.randint(*self.quantity), unit


_PRODUCTS = (
    ("SUB-FLEET", "Fleet OS Subscription", SUBSCRIPTION, "NonInvtPart", (90_000, 480_000), (3, 40)),
    (
        "SUB-VISION",
        "Vision Analytics Subscription",
        SUBSCRIPTION,
        "NonInvtPart",
        (45_000, 240_000),
        (5, 60),
    ),
    ("SUP-PREM", "Premier Support", SUPPORT, "Service", (600_000, 2_400_000), (1, 1)),
    ("SUP-STD", "Standard Support", SUPPORT, "Service", (150_000, 800_000), (1, 1)),
    ("HW-AR200", "AR-200 Picking Arm", HARDWARE, "InvtPart", (1_800_000, 4_500_000), (1, 8)),
    ("HW-AMR50", "AMR-50 Mobile Robot", HARDWARE, "InvtPart", (950_000, 2_800_000), (1, 12)),
    ("HW-DOCK", "Charging Dock", HARDWARE, "InvtPart", (120_000, 350_000), (2, 10)),
    ("SVC-IMPL", "Implementation Services", SERVICES, "Service", (800_000, 6_000_000), (1, 1)),
    ("SVC-TRAIN", "Training Day", SERVICES, "Service", (150_000, 250_000), (1, 10)),
    ("DATA-FEED", "Telemetry Data Feed", DATA_ADD_ON, "NonInvtPart", (300_000, 2_000_000), (1, 1)),
)

PRODUCTS: tuple[Product, ...] = tuple(
    Product(salesforce_id("01t", i), 101 + i, code, name, family, kind, price, qty)
    for i, (code, name, family, kind, price, qty) in enumerate(_PRODUCTS)
)


def products_of(family: str) -> tuple[Product, ...]:
    return _BY_FAMILY[family]


_BY_FAMILY = {f: tuple(p for p in PRODUCTS if p.family == f) for f in PRODUCT_LINES}


@dataclass(frozen=True, slots=True)
class User:
    sf_id: str
    name: str
    email: str


USERS: tuple[User, ...] = tuple(
    User(salesforce_id("005", i), name, name.lower().replace(" ", ".") + "@acme-robotics.example")
    for i, name in enumerate(
        (
            "Dana Whitfield",
            "Marco Bellini",
            "Priya Raman",
            "Tom Okafor",
            "Lena Hoffmann",
            "Sam Carter",
        )
    )
)

FX_FIRST = date(2025, 12, 1)
FX_LAST = date(2027, 1, 31)
_FX_START_MICROS = {"EUR": 1_084_000, "GBP": 1_268_000}


class FxRates:
    """Daily EUR→USD and GBP→USD rates: a smooth, mean-reverting seeded walk, 6 decimals."""

    def __init__(self, rng: random.Random) -> None:
        self.rates: dict[tuple[str, date], Decimal] = {}
        self.rows: list[tuple[str, str, str, str]] = []
        for ccy, start in _FX_START_MICROS.items():
            micros, drift = start, 0
            d = FX_FIRST
            while d <= FX_LAST:
                rate = Decimal(micros).scaleb(-6)
                self.rates[ccy, d] = rate
                self.rows.append((d.isoformat(), ccy, "USD", f"{rate:.6f}"))
                # momentum plus noise gives a smooth path; the pull keeps it near its start
                drift = (drift * 8) // 10 + rng.randint(-900, 900)
                micros += drift + (start - micros) // 60
                d += timedelta(days=1)
        self.rows.sort()

    def rate(self, currency: str, on: date) -> Decimal:
        """One unit of ``currency`` in USD on ``on`` (1 for USD)."""
        if currency == "USD":
            return Decimal(1)
        return self.rates[currency, on]
