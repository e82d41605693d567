"""Crontab lines as APScheduler triggers: the daily report's `cron` setting is validated with the
same function the scheduler runs it with, so a line that loads is a line that fires."""

from __future__ import annotations

from typing import Any

from apscheduler.triggers.cron import CronTrigger

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def crontab_trigger(expr: str, tz: Any) -> CronTrigger:
    """A `CronTrigger` for a standard five-field crontab line.

    Not `CronTrigger.from_crontab` as is: APScheduler 3 numbers weekdays from Monday = 0, crontab
    from Sunday = 0 (APScheduler issue 286), so "0 9 * * 1-5" would run Tuesday to Saturday.
    The day-of-week field is rewritten as names, which both read alike.
    """
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"a crontab line has 5 fields (minute hour day month weekday), got {len(fields)}")
    fields[4] = _weekday_names(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=tz)


def _weekday_names(field: str) -> str:
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = 0, 6
        else:
            low, _, high = span.partition("-")
            first = _day(low)
            last = _day(high) if high else (6 if step_text else first)  # "1/2": from Monday on
        if first > last or step < 1:
            raise ValueError(f"weekday range '{part}' is not valid")
        days.update(d % 7 for d in range(first, last + 1, step))
    return ",".join(_DAYS[d] for d in sorted(days))


def _day(text: str) -> int:
    """0-7 (0 and 7 are Sunday; 7 is kept so that "5-7" is a range) or a day name."""
    text = text.strip()
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text)
    if text[:3] in _DAYS:
        return _DAYS.index(text[:3])
    raise ValueError(f"'{text}' is not a weekday (0-7 or sun-sat)")
