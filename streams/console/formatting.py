"""How the console writes what it shows: days, money, shares, and ids in links and spreadsheets."""

from __future__ import annotations

from urllib.parse import quote

from alerts.events import as_utc


def day(at: float | None) -> str:
    return as_utc(at).date().isoformat() if at is not None else "-"


def money(amount: float | None, currency: str = "") -> str:
    """An amount as the team reads it: whole units, thousands separated, in the currency.

    >>> money(15798.861, "€"), money(None), money(12.4)
    ('€15,799', '-', '12')
    """
    return "-" if amount is None else f"{currency}{amount:,.0f}"


def path_part(identifier: str) -> str:
    """An id from the stream as one part of a link's path: ``/``, ``?``, ``#`` and the rest
    escaped, so any id leads to its own page.

    >>> path_part("C1/2?x#y")
    'C1%2F2%3Fx%23y'
    """
    return quote(identifier, safe="")


def spreadsheet_safe(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP's CSV injection advice:
    a leading =, +, -, @, tab or carriage return gets a leading quote).

    >>> spreadsheet_safe("=HYPERLINK(1)"), spreadsheet_safe("C000001"), spreadsheet_safe("-5")
    ("'=HYPERLINK(1)", 'C000001', "'-5")
    """
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def percent(share: float | None) -> str:
    """A share as the KPI pages show it: ``0.1628`` is ``16%``; none yet is ``-``.

    >>> percent(0.1628), percent(1.0), percent(None)
    ('16%', '100%', '-')
    """
    return f"{100 * share:.0f}%" if share is not None else "-"
