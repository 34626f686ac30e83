"""``torch.utils.benchmark.Compare``: measurements side by side, one table per ``label``; rows are
``sub_label`` (or the statement) grouped by thread count, columns are ``description``; cells are
medians in one unit. The layout follows PyTorch's (centred cells joined by ``  |  ``, a
``N threads:`` line per thread group, the unit named under the table).

Example:
    >>> Compare([m1, m2]).print()
"""
import math

from .common import Measurement, ordered_unique, select_unit, trim_sigfig, unit_to_english

__all__ = ["Compare"]

_BEST, _GOOD, _BAD, _VERY_BAD = "\033[92m", "\033[34m", "\033[2m\033[91m", "\033[31m"
_BOLD, _END = "\033[1m", "\033[0m"


def _color(cell, value, best):
    if value <= best * 1.01 or value <= best + 100e-9:
        return _BEST + _BOLD + cell + _END * 2
    if value <= best * 1.1:
        return _GOOD + _BOLD + cell + _END * 2
    if value >= best * 5:
        return _VERY_BAD + _BOLD + cell + _END * 2
    if value >= best * 2:
        return _BAD + cell + _END * 2
    return cell


class Compare:
    """A table of many Measurements (``print()`` or ``str()``)."""

    def __init__(self, results):
        self._results = []
        self.extend_results(results)
        self._trim = False
        self._colorize = None        # None, "columnwise" or "rowwise"
        self._highlight = False

    def extend_results(self, results):
        for r in results:
            if not isinstance(r, Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self):
        self._trim = True

    def colorize(self, rowwise=False):
        self._colorize = "rowwise" if rowwise else "columnwise"

    def highlight_warnings(self):
        self._highlight = True

    def print(self):
        print(str(self))

    def __str__(self):
        merged = Measurement.merge(self._results)
        labels = ordered_unique(m.label for m in merged)
        return "\n".join(self._table([m for m in merged if m.label == label]) for label in labels)

    def _table(self, results):
        unit, scale = select_unit(min(r.median for r in results))
        row_keys = ordered_unique((r.num_threads, r.env, r.as_row_name) for r in results)
        row_keys.sort(key=lambda k: k[:2])
        col_keys = ordered_unique(r.description for r in results)
        grid = {(r.num_threads, r.env, r.as_row_name, r.description): r for r in results}
        rows = [[grid.get((*k, c)) for c in col_keys] for k in row_keys]
        envs = {r.env for r in results}
        render_env = len(envs) > 1
        env_width = max(len(e) for e in envs) if render_env else 0
        formats = [self._column_format(col, scale) for col in zip(*rows)]

        text_rows = [[""] + [c or "" for c in col_keys]]
        for key, row in zip(row_keys, rows):
            env = f"({key[1] or 'Unspecified env'})" if render_env else ""
            cells = ["  " + env.ljust(env_width + 4) + key[2]]
            for m, fmt in zip(row, formats):
                cells.append(fmt(None if m is None else m))
            text_rows.append(cells)
        widths = [max(len(r[i]) for r in text_rows) for i in range(len(text_rows[0]))]
        lines = ["  |  ".join(c.center(w) for c, w in zip(text_rows[0], widths))]
        width = len(lines[0])
        prior_threads = None
        for key, row, cells in zip(row_keys, rows, text_rows[1:]):
            if key[0] != prior_threads:
                lines.append(f"{key[0]} threads: ".ljust(width, "-"))
                prior_threads = key[0]
            out = [cells[0].ljust(widths[0])]
            best = self._best(row, rows, row_keys, key)
            for cell, w, m, b in zip(cells[1:], widths[1:], row, best):
                cell = cell.center(w)
                if self._colorize and m is not None and b is not None:
                    cell = _color(cell, m.median, b)
                out.append(cell)
            lines.append("  |  ".join(out))
        label = results[0].label or ""
        warn = self._highlight and any(r.has_warnings for r in results)
        return (f"[{(' ' + label + ' ').center(width - 2, '-')}]\n" + "\n".join(lines) +
                f"\n\nTimes are in {unit_to_english(unit)}s ({unit}).\n" +
                ("(! XX%) Measurement has high variance, where XX is the IQR / median * 100.\n" if warn else ""))

    def _best(self, row, rows, row_keys, key):
        if self._colorize == "rowwise":
            low = min(m.median for m in row if m is not None)
            return [low] * len(row)
        if self._colorize == "columnwise":
            group = [r for r, k in zip(rows, row_keys) if k[0] == key[0]]
            return [min((r[i].median for r in group if r[i] is not None), default=None) for i in range(len(row))]
        return [None] * len(row)

    def _column_format(self, column, scale):
        present = [m for m in column if m is not None]
        leading = [int(math.ceil(math.log10(m.median / scale))) for m in present]
        unit_digits = max(leading)
        decimals = (min(max(m.significant_figures - d, 0) for d, m in zip(leading, present))
                    if self._trim else 1)
        length = unit_digits + decimals + (1 if decimals else 0)
        highlight = self._highlight and any(m.has_warnings for m in present)

        def fmt(m):
            if m is None:
                return " " * len(fmt_value(1.0, 1, None))
            spread = m.iqr / m.median if m.has_warnings else None
            return fmt_value(m.median / scale, m.significant_figures, spread)

        def fmt_value(value, sigfigs, spread):
            if self._trim:
                value = trim_sigfig(value, sigfigs)
            extra = f" (! {spread * 100:.0f}%)" if highlight and spread is not None else ""
            return f"{value:>{length}.{decimals}f}" + f"{extra:>{7 if highlight else 0}}"
        return fmt
