"""FX rates: ``fx_rates`` names a CSV ``date,from_currency,to_currency,rate`` -> fx_rate.

One unit of ``from_currency`` is ``rate`` units of ``to_currency``. Rates are
exact decimals (DECIMAL(18,8)); a rate that is not a positive number, a bad
date or currency, or a second rate for the same day and pair is rejected.
"""

from __future__ import annotations

from typing import ClassVar

from crossfoot.errors import InputError
from crossfoot.model.load import Check
from crossfoot.model.mapping import FX
from crossfoot.sources.base import LoadContext

CHECKS = {
    "fx_rate": (
        Check(
            when="rate <= 0",
            field="rate",
            value="_v_rate",
            reason="'field ''rate'': ''' || _v_rate || ''' must be greater than 0'",
        ),
    ),
}


class FxRates:
    system: ClassVar[str] = "fx"

    def load(self, ctx: LoadContext) -> None:
        if ctx.defs.fx_rates is None:
            return
        path = ctx.defs.path(ctx.defs.fx_rates)
        if not path.is_file():
            raise InputError(
                f"fx_rates: {ctx.defs.fx_rates!r} is not a file ({path})", location="fx_rates"
            )
        ctx.read_object(self.system, FX.objects[0], [path])
        stg = ctx.stage_all(FX, {}, {}, "fx_rates", "auto", CHECKS)
        ctx.write("fx_rate", f"SELECT * FROM {stg['fx_rate']}", self.system)
