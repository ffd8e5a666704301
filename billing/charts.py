"""Charts drawn on the server as SVG geometry (no JavaScript): the template only places the shapes."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import formats

from .money import format_amount

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 220, 8, 28, 16


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    amount: str
    label_x: float
    is_current: bool


def month_bars(months: list, current: date) -> dict:
    """Bars for monthly totals (``.month``, ``.amount``), scaled to the largest, for ``billing/_chart.html``."""
    if not months:
        return {"bars": [], "width": WIDTH, "height": HEIGHT}
    top = max((month.amount for month in months), default=Decimal(0)) or Decimal(1)
    slot = (WIDTH - PAD_LEFT) / len(months)
    plot = HEIGHT - PAD_BOTTOM - PAD_TOP
    bars = []
    for index, month in enumerate(months):
        height = float(month.amount / top) * plot
        x = PAD_LEFT + index * slot + slot * 0.15
        bars.append(
            Bar(
                x=round(x, 1),
                y=round(HEIGHT - PAD_BOTTOM - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                label=formats.date_format(month.month, "M"),
                amount=format_amount(month.amount),
                label_x=round(x + slot * 0.35, 1),
                is_current=month.month == current,
            )
        )
    return {"bars": bars, "width": WIDTH, "height": HEIGHT, "baseline": HEIGHT - PAD_BOTTOM, "label_y": HEIGHT - 10}
