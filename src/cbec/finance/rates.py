"""Exchange rates as dated data (issue 17, part 2): every CNY figure of the finance area says the
rate it used, the rate's own date and its source.

Two sources, in this order:

1. the zone's table (``CBEC_FX_RATES_FILE``, ``kit.fx``): where a figure must use customs'
   monthly rate (海关月度汇率) or the PBOC central parity, the operator publishes it there;
2. the euro foreign exchange reference rates of the European Central Bank, as the
   ``currencyconverter`` package ships them offline (history since 1999, CNY since 2005): the
   cross rate via EUR of the last ECB business day on or before the wanted day, at most
   ``STALE_DAYS`` earlier (weekends and TARGET holidays have no rate); for a day past the end of
   the package's history, its last rate for up to ``LATEST_WITHIN_DAYS``, with that rate's own
   date shown (updating the package brings newer rates).

No rate at all (a currency neither knows, or a day past the package's history by more than
``STALE_DAYS``) gives ``None``: the figure is shown unconverted and says why, never converted at
an invented rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from currency_converter import CurrencyConverter, RateNotFoundError

from cbec.kit.fx import fx_table

#: how many days back an ECB rate may be taken from (a long weekend with a holiday is 4)
STALE_DAYS = 7
#: past the end of the package's history, its last rate serves this many days (dated as its own day)
LATEST_WITHIN_DAYS = 62
ECB_SOURCE = "ECB euro reference rates, cross rate via EUR (currencyconverter package)"
RATE_PLACES = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    cny_per_unit: Decimal
    day: date  # the rate's own date
    source: str

    def to_cny(self, value: Decimal) -> Decimal:
        """``value`` in CNY to the fen, rounded half up (四舍五入)."""
        return (value * self.cny_per_unit).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def as_dict(self) -> dict[str, str]:
        return {
            "currency": self.currency,
            "rate": str(self.cny_per_unit),
            "date": self.day.isoformat(),
            "source": self.source,
        }


@lru_cache(maxsize=1)
def _ecb() -> Any:
    """The shipped ECB history, loaded once (about half a second) on first use."""
    return CurrencyConverter(fallback_on_missing_rate=False, fallback_on_wrong_date=False)


@lru_cache(maxsize=50_000)
def _ecb_quote(currency: str, on: date) -> Quote | None:
    converter = _ecb()
    if currency not in converter.currencies or "CNY" not in converter.currencies:
        return None
    for back in range(STALE_DAYS + 1):
        wanted = on - timedelta(days=back)
        try:
            rate = converter.convert(1, currency, "CNY", date=wanted)
        except RateNotFoundError:  # no ECB fixing that day (weekend, holiday, outside the history)
            rate = None
        if rate is not None:
            return Quote(currency, Decimal(str(rate)).quantize(RATE_PLACES), wanted, ECB_SOURCE)
    last = min(converter.bounds[currency].last_date, converter.bounds["CNY"].last_date)
    if last < on and (on - last).days <= LATEST_WITHIN_DAYS:
        # past the shipped history (the package is updated monthly): its last rate, dated as such
        rate = converter.convert(1, currency, "CNY", date=last)
        return Quote(currency, Decimal(str(rate)).quantize(RATE_PLACES), last, f"{ECB_SOURCE}; latest in the package")
    return None


def cny_quote(currency: str, on: date) -> Quote | None:
    """CNY per unit of ``currency`` for a figure of day ``on`` (module notes)."""
    currency = currency.upper()
    if currency == "CNY":
        return Quote("CNY", Decimal(1), on, "identity")
    zone = fx_table().rate_on(currency, on)
    if zone is not None:
        return Quote(currency, zone.cny_per_unit, zone.valid_from, zone.source)
    return _ecb_quote(currency, on)
