"""Parsing receipt values from text: amounts, dates and currencies.

Shared by the local receipt extractor and the remote OCR client, so both
normalise the same way: amounts to floats, dates to ISO `YYYY-MM-DD`,
currencies to ISO 4217 codes. Every parser returns None rather than guess.
`parse_*` read one value; `find_*` find every one in a line of receipt text,
with where it was and how sure the reading is.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Sequence

__all__ = [
    "DATE_ORDERS",
    "Amount",
    "DateMatch",
    "CurrencyMatch",
    "address_currency",
    "find_amounts",
    "find_currencies",
    "find_dates",
    "parse_amount",
    "parse_currency",
    "parse_date",
]

DATE_ORDERS = ("DMY", "MDY", "YMD")
MIN_YEAR = 2000
FUTURE_SLACK = timedelta(days=1)

# --- currencies -------------------------------------------------------------

# Symbols and local abbreviations, longest first so "US$" wins over "$".
CURRENCY_SYMBOLS: tuple[tuple[str, str], ...] = (
    ("US$", "USD"),
    ("USD$", "USD"),
    ("AU$", "AUD"),
    ("A$", "AUD"),
    ("NZ$", "NZD"),
    ("HK$", "HKD"),
    ("S$", "SGD"),
    ("SG$", "SGD"),
    ("C$", "CAD"),
    ("CA$", "CAD"),
    ("FJ$", "FJD"),
    ("NT$", "TWD"),
    ("R$", "BRL"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("₱", "PHP"),
    ("¥", "JPY"),
    ("₹", "INR"),
    ("₩", "KRW"),
    ("₫", "VND"),
    ("฿", "THB"),
    ("₺", "TRY"),
    ("₦", "NGN"),
    ("₽", "RUB"),
)
DOLLAR_CURRENCIES = frozenset({"USD", "AUD", "NZD", "HKD", "SGD", "CAD", "FJD", "TWD", "SBD", "BND", "XCD"})
"""Currencies written with a bare `$`: a bare `$` means the default when it is one of these."""

# Abbreviations written next to amounts; matched as whole words (digits may follow).
CURRENCY_WORDS: dict[str, str] = {
    "RM": "MYR",
    "RP": "IDR",
    "PHP": "PHP",
    "PGK": "PGK",
    "KINA": "PGK",
    "EURO": "EUR",
    "EUROS": "EUR",
    "RS": "INR",
    "CHF": "CHF",
    "DH": "MAD",
}

ISO_CODES = frozenset(
    "AED AUD BDT BND BRL CAD CHF CNY CZK DKK EUR FJD GBP HKD HUF IDR ILS INR JPY KRW KWD LKR MAD MMK MXN "
    "MYR NOK NPR NZD PGK PHP PKR PLN QAR RON RUB SAR SBD SEK SGD THB TRY TWD USD VND VUV WST XPF ZAR".split()
)
"""ISO 4217 codes recognised in text (codes that are also common English words, such as ALL, are left out)."""

_SYMBOL_RE = re.compile("|".join(re.escape(s) for s, _ in CURRENCY_SYMBOLS))
_WORD_RE = re.compile(r"(?<![A-Z])(" + "|".join(sorted(set(CURRENCY_WORDS) | ISO_CODES, key=len, reverse=True)) + r")(?![A-Z])")
_LEGAL_FORM_BEFORE_RE = re.compile(r"\bSDN\.?\s*$")
"""`SDN BND`: the Malaysian legal form (SDN BHD) misread, not Brunei dollars."""
_KINA_RE = re.compile(r"(?<![A-Z0-9])K\s?(?=\d)")
_DOLLAR_RE = re.compile(r"\$")


@dataclass(frozen=True)
class CurrencyMatch:
    """One currency mention in a text: the ISO code, where it was, and how sure the mapping is."""

    code: str
    start: int
    end: int
    strength: float
    """1.0 for an ISO code or an unambiguous symbol, lower for `$` or a bare `K`."""


def find_currencies(text: str | None, default: str = "") -> list[CurrencyMatch]:
    """Every currency mention in `text`, in order of position."""
    if not text:
        return []
    upper = text.upper()
    found: list[CurrencyMatch] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for match in _SYMBOL_RE.finditer(upper):
        code = dict(CURRENCY_SYMBOLS)[match.group()]
        found.append(CurrencyMatch(code, match.start(), match.end(), 1.0))
        taken.append(match.span())
    for match in _WORD_RE.finditer(upper):
        if not free(*match.span()) or _LEGAL_FORM_BEFORE_RE.search(upper[: match.start()]):
            continue
        word = match.group(1)
        code = CURRENCY_WORDS.get(word, word)
        strength = 1.0 if word in ISO_CODES or word in ("RM", "KINA") else 0.8
        found.append(CurrencyMatch(code, match.start(), match.end(), strength))
        taken.append(match.span())
    for match in _KINA_RE.finditer(upper):
        if free(*match.span()):
            found.append(CurrencyMatch("PGK", match.start(), match.end(), 0.7))
            taken.append(match.span())
    for match in _DOLLAR_RE.finditer(upper):
        if free(*match.span()):
            if default in DOLLAR_CURRENCIES:
                found.append(CurrencyMatch(default, match.start(), match.end(), 0.9))
            else:
                found.append(CurrencyMatch("USD", match.start(), match.end(), 0.5))
    return sorted(found, key=lambda m: m.start)


# Places an address names, and the currency spent there: countries, and the states and cities whose
# names receipts print without the country (Malaysian receipts rarely say MALAYSIA).
_PLACE_CURRENCIES: tuple[tuple[str, str, str], ...] = (
    ("MYR", "Malaysia", r"MALAYSIA|SELANGOR|KUALA\s?LUMPUR|JOHOR|PULAU\s?PINANG|PENANG|PERAK|KEDAH|KELANTAN|TERENGGANU|"
     r"PAHANG|NEGERI\s?SEMBILAN|MELAKA|PUTRAJAYA|SABAH|SARAWAK|PERLIS|LABUAN|PETALING\s?JAYA|SHAH\s?ALAM|"
     r"DARUL\s?(?:EHSAN|TAKZIM|AMAN|NAIM|KHUSUS|RIDZUAN|MAKMUR)|WILAYAH\s?PERSEKUTUAN"),
    ("SGD", "Singapore", r"SINGAPORE"),
    ("BND", "Brunei", r"BRUNEI|BANDAR\s?SERI\s?BEGAWAN"),
    ("PHP", "the Philippines", r"PHILIPPINES|METRO\s?MANILA|MANILA|MAKATI|QUEZON\s?CITY|CEBU\s?CITY|TAGUIG|PASIG"),
    ("PGK", "Papua New Guinea", r"PAPUA\s?NEW\s?GUINEA|PORT\s?MORESBY|BOROKO|WAIGANI"),
    ("IDR", "Indonesia", r"INDONESIA|JAKARTA"),
    ("THB", "Thailand", r"THAILAND|BANGKOK"),
    ("HKD", "Hong Kong", r"HONG\s?KONG|KOWLOON"),
    ("AUD", "Australia", r"AUSTRALIA"),
    ("NZD", "New Zealand", r"NEW\s?ZEALAND"),
    ("GBP", "the United Kingdom", r"UNITED\s?KINGDOM|(?<!NEW )ENGLAND|SCOTLAND"),
    ("EUR", "the euro area", r"FRANCE|DEUTSCHLAND|GERMANY|ITALIA|ESPA[NÑ]A|NEDERLAND|BELGIQUE|BELGIE|[OÖ]STERREICH|"
     r"PORTUGAL|IRELAND|SUOMI|FINLAND"),
)
_PLACE_RES = tuple((code, country, re.compile(rf"(?<![A-Z])(?:{names})(?![A-Z])")) for code, country, names in _PLACE_CURRENCIES)


def address_currency(texts: Sequence[str]) -> tuple[str, str] | None:
    """The currency of the one country `texts` (a receipt's address rows) place the shop in, and that country's name.

    None when no place is named, or places of two currencies are (a chain's
    other branches, an importer's address): then the address proves nothing.
    Give the rows above the first amount and below the last, not the items
    ("NEW ZEALAND LAMB" is no address).
    """
    found: dict[str, str] = {}
    for text in texts:
        upper = text.upper()
        for code, country, pattern in _PLACE_RES:
            if pattern.search(upper):
                found[code] = country
    return next(iter(found.items())) if len(found) == 1 else None


def parse_currency(text: str | None, default: str = "") -> str | None:
    """The ISO 4217 code named in `text` (symbols and codes: $, RM/MYR, ₱/PHP, K/PGK, €, £...).

    The strongest (then first) mention wins; a bare `$` means `default` when
    that is a dollar currency, else USD. With no mention: `default`, or None
    when it is empty.
    """
    matches = find_currencies(text, default)
    if matches:
        best = max(matches, key=lambda m: (m.strength, -m.start))
        return best.code
    return default or None


# --- amounts -----------------------------------------------------------------

_AMOUNT_CLEAN_RE = re.compile(r"^[\s:=*]*(?P<neg>-)?\s*(?P<num>[\d.,' \u00a0]+?)\s*(?P<trail>-)?[\s*]*$")


def _strip_currency(text: str) -> str:
    upper = text.upper()
    upper = _SYMBOL_RE.sub(" ", upper)
    upper = _WORD_RE.sub(" ", upper)
    upper = _KINA_RE.sub(" ", upper)
    return upper.replace("$", " ").strip()


def _number_from(digits: str) -> float | None:
    """A number from digits with `,` `.` `'` or spaces as separators, deciding which is decimal."""
    text = digits.replace("\u00a0", " ").strip()
    if not text or not any(c.isdigit() for c in text):
        return None
    if " " in text or "'" in text:
        # Spaces and apostrophes only group thousands: "1 234,50", "1'234.50".
        groups = re.split(r"[ ']", text)
        if not all(re.fullmatch(r"\d{3}([.,]\d+)?", g) for g in groups[1:]) or not re.fullmatch(r"\d{1,3}", groups[0]):
            return None
        text = "".join(groups)
    last_dot, last_comma = text.rfind("."), text.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal = "." if last_dot > last_comma else ","
        thousands = "," if decimal == "." else "."
        whole, _, frac = text.rpartition(decimal)
        if not re.fullmatch(r"\d{1,3}(" + re.escape(thousands) + r"\d{3})*", whole) or not frac.isdigit():
            return None
        return float(whole.replace(thousands, "") + "." + frac)
    sep = "." if last_dot >= 0 else "," if last_comma >= 0 else ""
    if not sep:
        return float(text) if text.isdigit() else None
    parts = text.split(sep)
    if not all(p.isdigit() for p in parts):
        return None
    if len(parts) > 2:
        # "1,234,567" or "1.234.567": grouping only.
        if len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:]):
            return float("".join(parts))
        return None
    whole, frac = parts
    if sep == "," and len(frac) == 3 and len(whole) <= 3 and whole != "0":
        return float(whole + frac)  # "1,234": a thousands comma
    return float(whole + "." + frac)


def parse_amount(value: str | float | int | None) -> float | None:
    """A money amount as a float, or None when `value` is not one.

    Accepts numbers, and strings such as "1,234.50", "RM 12.50", "12,50"
    (decimal comma), "1.234,50", "$3", "12.50-" or "(12.50)" (negative).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    text = _strip_currency(text)
    match = _AMOUNT_CLEAN_RE.match(text)
    if not match:
        return None
    number = _number_from(match.group("num"))
    if number is None or not math.isfinite(number):
        return None
    if match.group("neg") or match.group("trail"):
        negative = not negative
    return -number if negative else number


# --- amounts in a row of text -------------------------------------------------------

MAX_AMOUNT = 1_000_000.0

_NUMBER_RE = re.compile(
    r"(?<![\d.,/])(?P<sign>-\s?)?(?P<num>\d{1,3}(?:,\d{3})+\.\d{2}|\d{1,6}[.,]\d{2}|\d{1,6}(?:\. | \.)\d{2}(?=\s|$)|(?<=[ .-])\.\d{2}|(?<=-),\d{2})(?![.,]?\d)(?!\s?%)"
)
"""`48. 95` and `52 .00` count: the recogniser sometimes puts a space beside a decimal point."""
_CUR = r"RM|MYR|USD|US\$|S\$|SGD|AUD|NZD|PHP|₱|PGK|EUR|€|GBP|£|IDR|RP|THB|฿|DH|MAD|\$|K"
_CUR_BEFORE_RE = re.compile(r"(?:^|(?<=[^A-Z]))(?P<cur>" + _CUR + r")\s?:?\s?(?:-\s?)?$")
_CUR_AFTER_RE = re.compile(r"^\s?(?P<cur>RM|MYR|USD|SGD|PHP|PGK|EUR|€|GBP|£|DH|MAD)(?![A-Z])")
_WHOLE_RE = re.compile(r"(?:^|(?<=[^A-Z]))(?P<cur>RM|MYR|USD|US\$|S\$|PHP|₱|PGK|EUR|€|GBP|£|\$|K)\s?(?P<num>\d{1,6})(?![\d.,])")


@dataclass(frozen=True)
class Amount:
    """A money amount found in a row's text."""

    value: float
    start: int
    end: int
    currency: str | None = None
    """The currency symbol or code written next to it, as printed (`RM`, `$`)."""


def find_amounts(text: str) -> list[Amount]:
    """Money amounts in one row of text, left to right.

    Two decimals are required ("12.50", "1,234.50", "12,50"), except after a
    currency sign ("RM 12", "$3"). Digits glued to more digits or dots (phone
    numbers, dates, invoice numbers) and percentages are not amounts.
    """
    upper = text.upper()
    found: list[Amount] = []
    for match in _NUMBER_RE.finditer(upper):
        raw = match.group("num").replace(". ", ".").replace(" .", ".")
        value = parse_amount("0" + raw if raw[0] in ".," else raw)
        if value is None or value > MAX_AMOUNT:
            continue
        if match.group("sign"):
            value = -value
        start = match.start()
        currency = None
        before = _CUR_BEFORE_RE.search(upper[: match.start()])
        if before:
            currency, start = before.group("cur"), before.start("cur")
        else:
            after = _CUR_AFTER_RE.match(upper[match.end() :])
            if after:
                currency = after.group("cur")
        found.append(Amount(value, start, match.end(), currency))
    taken = [(a.start, a.end) for a in found]
    for match in _WHOLE_RE.finditer(upper):
        if all(match.end() <= a or match.start() >= b for a, b in taken):
            found.append(Amount(float(match.group("num")), match.start(), match.end(), match.group("cur")))
    return sorted(found, key=lambda a: a.start)


# --- dates -------------------------------------------------------------------

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("JANUARY", "JAN", "JANUARI"),
        ("FEBRUARY", "FEB", "FEBRUARI", "PEB"),
        ("MARCH", "MAR", "MAC", "MAC."),
        ("APRIL", "APR"),
        ("MAY", "MEI"),
        ("JUNE", "JUN"),
        ("JULY", "JUL", "JULAI"),
        ("AUGUST", "AUG", "OGOS", "OGO", "AGO"),
        ("SEPTEMBER", "SEPT", "SEP"),
        ("OCTOBER", "OCT", "OKT", "OKTOBER"),
        ("NOVEMBER", "NOV"),
        ("DECEMBER", "DEC", "DIS", "DISEMBER"),
    ),
    start=1,
):
    for _name in _names:
        MONTHS[_name.rstrip(".")] = _number

_MON = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?(?![A-Z])"
_SEP = r"\s?[./-]\s?"
_YEAR = r"(?P<y>(?:19|20)\d{2}|\d{2})"
_YEAR_END = r"(?:(?=\d{1,2}:\d{2})|(?<=\d{4})(?=\d[\d:]{3,7}(?![\d:]))|(?![\d]|[.,/-]\d))"
"""A year ends at a non-digit, or runs into a time printed without a space: 20/04/201819:15, or
with colons lost after a four-digit year: 17/01/201842153, 17/01/2018421:53."""
_DAY_END = r"(?:(?=\d{1,2}:\d{2})|(?!\d))"
"""A day ends at a non-digit, or runs into a time: 2016/05/0114:11:20."""
_LOOSE_MON = r"(?P<loose>[A-Z][A-Z0-9]{2})"
"""A three-letter month one letter off (`JA0`, `0CT` once its 0 is read as O), between separators."""
DATE_PATTERNS: tuple[tuple[str, re.Pattern[str], float], ...] = (
    # 2018-12-25, 2018.12.25, 2018/12/25
    ("ymd", re.compile(r"(?<![\d.])(?P<y>20\d{2})\s?(?P<s>[./-])\s?(?P<a>\d{1,2})\s?(?P=s)\s?(?P<b>\d{1,2})" + _DAY_END), 1.0),
    # 25/12/2018, 14-03-18, 25.12.2018
    ("num", re.compile(r"(?<![\d.,])(?P<a>\d{1,2})\s?(?P<s>[./-])\s?(?P<b>\d{1,2})\s?(?P=s)\s?(?P<y>20\d{2}|\d{2})" + _YEAR_END), 0.95),
    # 22 MAR 2018, 14/MAY/2017, 22-Mar-18, 22MAR18
    ("dmy", re.compile(r"(?<!\d)(?P<d>\d{1,2})(?:ST|ND|RD|TH)?(?:[\s./,-]{0,3}|[A-Z]/?)" + _MON + r"[\s./,'-]{0,3}" + _YEAR + _YEAR_END), 1.0),
    # MAR 22, 2018 / December 25 2018
    ("mdy", re.compile(r"(?<![A-Z])" + _MON + r"[\s./-]{0,3}(?P<d>\d{1,2})(?:ST|ND|RD|TH)?[\s,./-]{1,3}" + _YEAR + _YEAR_END), 1.0),
    # 2018-MAR-22, 2018 DEC 25
    ("ymon", re.compile(r"(?<!\d)(?P<y>20\d{2})[\s./-]{0,3}" + _MON + r"[\s./-]{0,3}(?P<d>\d{1,2})(?!\d)"), 1.0),
    # 02/JA0/2017: a misread month between separators, with a four-digit year
    ("loose", re.compile(r"(?<!\d)(?P<d>\d{1,2})\s?(?P<s>[/-])\s?" + _LOOSE_MON + r"\s?(?P=s)\s?(?P<y>20\d{2})" + _YEAR_END), 0.8),
)
_MONTH_ABBREVIATIONS = {name: number for name, number in MONTHS.items() if len(name) == 3}


def _loose_month(token: str) -> int | None:
    """The month a three-character token is one character away from, when only one is."""
    token = token.replace("0", "O")
    if token in _MONTH_ABBREVIATIONS:
        return _MONTH_ABBREVIATIONS[token]
    near = {number for name, number in _MONTH_ABBREVIATIONS.items() if sum(a != b for a, b in zip(name, token)) == 1}
    return near.pop() if len(near) == 1 else None


@dataclass(frozen=True)
class DateMatch:
    """One date found in a text: its ISO form, where it was, and how sure the reading is."""

    iso: str
    start: int
    end: int
    strength: float
    """1.0 for an unambiguous form (month name, 4-digit year first), lower for guessed day/month order."""


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _make(year: int, month: int, day: int, today: date) -> date | None:
    if year < MIN_YEAR:
        return None
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    if value > today + FUTURE_SLACK:
        return None
    return value


def _numeric(a: int, b: int, year: int, order: str, today: date) -> tuple[date, float] | None:
    """Day and month from two numbers: the locale's order first, the other when only it is plausible."""
    first, second = ((b, a), (a, b)) if order == "MDY" else ((a, b), (b, a))  # (day, month) candidates
    preferred = _make(year, first[1], first[0], today)
    other = _make(year, second[1], second[0], today)
    if preferred and other and preferred != other:
        return preferred, 0.85  # both plausible: trust the locale, but say it was a guess
    if preferred:
        return preferred, 1.0
    if other:
        return other, 0.85
    return None


def _overlapping(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """Every match of `pattern`, including ones starting inside an earlier match."""
    matches: list[re.Match[str]] = []
    position = 0
    while position < len(text):
        match = pattern.search(text, position)
        if match is None:
            break
        matches.append(match)
        position = match.start() + 1
    return matches


def find_dates(text: str | None, order: str = "DMY", today: date | None = None) -> list[DateMatch]:
    """Every plausible date in `text`, in order of position (overlaps resolved by strength)."""
    if not text:
        return []
    if order not in DATE_ORDERS:
        raise ValueError(f"date order must be one of {', '.join(DATE_ORDERS)}, not {order!r}")
    today = today or date.today()
    upper = re.sub(r"(?<![0-9])0(?=[A-Z]{2})", "O", text.upper())  # 0CT: a month's O read as a zero
    found: list[DateMatch] = []
    for kind, pattern, base in DATE_PATTERNS:
        for match in _overlapping(pattern, upper):
            groups = match.groupdict()
            strength = base
            value: date | None = None
            if kind == "ymd":
                value = _make(int(groups["y"]), int(groups["a"]), int(groups["b"]), today)
                if value is None:  # 2018-25-12: year, day, month
                    value, strength = _make(int(groups["y"]), int(groups["b"]), int(groups["a"]), today), 0.7
            elif kind == "num":
                a, b, y = int(groups["a"]), int(groups["b"]), groups["y"]
                if order == "YMD" and len(y) == 2:
                    # 18-03-14 in a year-first locale: year, month, day.
                    value = _make(_year(groups["a"]), b, int(y), today)
                    if value is None:
                        found_pair = _numeric(a, b, _year(y), "DMY", today)
                        value, strength = (found_pair[0], 0.6) if found_pair else (None, 0.0)
                else:
                    pair = _numeric(a, b, _year(y), order, today)
                    if pair:
                        value, factor = pair
                        strength = base * factor * (1.0 if len(y) == 4 else 0.9)
            elif kind == "loose":
                month = _loose_month(groups["loose"])
                value = None if month is None else _make(int(groups["y"]), month, int(groups["d"]), today)
            else:
                year = _year(groups["y"])
                value = _make(year, MONTHS[groups["mon"]], int(groups["d"]), today)
            if value is not None:
                found.append(DateMatch(value.isoformat(), match.start(), match.end(), round(strength, 3)))
    # Keep the strongest of overlapping matches.
    kept: list[DateMatch] = []
    for candidate in sorted(found, key=lambda m: (-m.strength, m.start)):
        if all(candidate.end <= k.start or candidate.start >= k.end for k in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda m: m.start)


def parse_date(value: str | None, order: str = "DMY", today: date | None = None) -> str | None:
    """The date in `value` as ISO `YYYY-MM-DD`, or None when there is no plausible one.

    Reads `25/12/2018`, `14-03-18`, `22 MAR 2018`, `14/MAY/2017`, `2018.12.25`,
    `Mar 22, 2018`... An ambiguous day/month is read in the `order` given
    (DMY, MDY or YMD) unless only the other reading is a real date. Dates
    before 2000 or more than a day after `today` are not plausible. When the
    text holds several dates, the strongest (then the first) is returned.
    """
    if not isinstance(value, str):
        return None
    matches = find_dates(value, order, today)
    if not matches:
        return None
    return max(matches, key=lambda m: (m.strength, -m.start)).iso
