"""Numbers, dates and deadlines written the way the current locale writes them (Babel's CLDR data)."""

from __future__ import annotations

from datetime import UTC, datetime

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from conversations.i18n.translate import current_locale


def number(value: float, pattern: str | None = None) -> str:
    """`value` with the locale's digit grouping and decimal sign (`pattern`: CLDR, e.g. '0.00')."""
    return format_decimal(value, format=pattern, locale=current_locale())


def moment(when: datetime) -> str:
    """A date and time (a team deadline) in UTC, with its zone: 'Dec 2, 2026 18:00 UTC',
    '02.12.2026 18:00 UTC'. Always 24-hour: the zone makes it a time to compare, not to read aloud."""
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    locale = current_locale()
    day = format_date(aware.astimezone(UTC), "medium", locale=locale)
    return f"{day} {format_time(aware, 'HH:mm', tzinfo=UTC, locale=locale)} UTC"
