"""Small charts drawn as inline SVG (HTML) and Unicode sparklines (Markdown): no files, no network.

Only numbers and escaped labels go into the SVG text, so a chart cannot carry markup from data.
"""

from __future__ import annotations

from markupsafe import Markup, escape

BLOCKS = "▁▂▃▄▅▆▇█"
THIS_COLOUR = "#1f6feb"
LAST_COLOUR = "#9aa4ae"


def _present(values: list[float | None]) -> list[float]:
    return [v for v in values if v is not None]


def text_sparkline(values: list[float | None], width: int = 28) -> str:
    """A one-line Unicode sparkline of up to `width` characters (blank where data is missing)."""
    if not _present(values):
        return ""
    buckets: list[float | None] = []
    size = max(1, -(-len(values) // width))
    for start in range(0, len(values), size):
        chunk = _present(values[start : start + size])
        buckets.append(sum(chunk) / len(chunk) if chunk else None)
    present = _present(buckets)
    lo, hi = min(present), max(present)
    span = hi - lo
    return "".join(
        " " if v is None else BLOCKS[0 if span == 0 else min(7, int((v - lo) / span * 7.999))]
        for v in buckets
    )


def _paths(
    series: list[list[float | None]], width: float, height: float, pad: float, lo: float, hi: float
) -> list[str]:
    """SVG path data per series; a gap in the data breaks the line instead of bridging it."""
    span = hi - lo or 1.0
    out = []
    for values in series:
        n = max(len(values) - 1, 1)
        parts, pen_down = [], False
        for k, v in enumerate(values):
            if v is None:
                pen_down = False
                continue
            x = pad + (width - 2 * pad) * k / n
            y = height - pad - (height - 2 * pad) * (v - lo) / span
            parts.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
            pen_down = True
        out.append(" ".join(parts))
    return out


def svg_sparkline(
    values: list[float | None], label: str, width: int = 120, height: int = 24
) -> Markup:
    """A tiny line chart of one week, for a table cell."""
    present = _present(values)
    if not present:
        return Markup("")
    (d,) = _paths([values], width, height, 2, min(present), max(present))
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}"><path d="{d}" fill="none" '
        f'stroke="{THIS_COLOUR}" stroke-width="1.2"/></svg>'
    )


def svg_week_chart(
    this: list[float | None],
    last: list[float | None],
    label: str,
    low_label: str,
    high_label: str,
    width: int = 360,
    height: int = 110,
) -> Markup:
    """This week (solid) over last week (grey) on one Monday-to-Sunday axis, with day ticks."""
    present = _present(this) + _present(last)
    if not present:
        return Markup("")
    lo, hi = min(0.0, min(present)), max(present)
    plot_h = height - 16
    last_d, this_d = _paths([last, this], width, plot_h, 4, lo, hi)
    n = max(len(this), len(last), 1)
    ticks = []
    for day, name in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")):
        x = 4 + (width - 8) * (day * 24) / max(n - 1, 1)
        ticks.append(
            f'<line x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{plot_h - 4}" stroke="#eef0f2"/>'
            f'<text x="{x + 2:.1f}" y="{height - 3}" font-size="9" fill="#6b7480">{name}</text>'
        )
    return Markup(
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>{''.join(ticks)}"
        f'<text x="{width - 4}" y="11" font-size="9" fill="#6b7480" text-anchor="end">{escape(high_label)}</text>'
        f'<text x="{width - 4}" y="{plot_h - 6}" font-size="9" fill="#6b7480" text-anchor="end">{escape(low_label)}</text>'
        f'<path d="{last_d}" fill="none" stroke="{LAST_COLOUR}" stroke-width="1" stroke-dasharray="3 2"/>'
        f'<path d="{this_d}" fill="none" stroke="{THIS_COLOUR}" stroke-width="1.4"/></svg>'
    )
