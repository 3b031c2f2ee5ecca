"""ICAO 9303 building blocks: check digits, state codes and the TD1/TD2/TD3 line layouts."""

from __future__ import annotations

from kiosk.countries import ICAO_SPECIAL, ISO_ALPHA3

WEIGHTS = (7, 3, 1)
MRZ_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")


def char_value(char: str) -> int:
    """ICAO 9303 value of an MRZ character: digits as themselves, A-Z as 10-35, `<` as 0."""
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise ValueError(f"not an MRZ character: {char!r}")


def check_digit(field: str) -> str:
    """The check digit of `field` per ICAO 9303 part 3, 4.9."""
    return str(sum(char_value(c) * WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


def _name_part(name: str) -> str:
    """ICAO 9303-3 transliteration of the punctuation: apostrophes omitted, hyphens and spaces become fillers."""
    return "<".join(name.upper().replace("'", "").replace("-", " ").split())


def name_field(surname: str, given_names: str, width: int) -> str:
    primary = _name_part(surname)
    secondary = _name_part(given_names)
    return f"{primary}<<{secondary}".ljust(width, "<")[:width]


def td3_lines(
    *,
    document_type: str,
    issuing_state: str,
    surname: str,
    given_names: str,
    number: str,
    nationality: str,
    birth_date: str,
    sex: str,
    expiry_date: str,
    personal_number: str = "",
) -> tuple[str, str]:
    """The two 44-character lines of a passport MRZ; dates as YYMMDD."""
    line1 = f"{document_type:<<2}{issuing_state:<<3}{name_field(surname, given_names, 39)}"
    doc = number.ljust(9, "<")
    personal = personal_number.ljust(14, "<")
    personal_check = check_digit(personal) if personal_number else "<"
    body = f"{doc}{check_digit(doc)}{nationality:<<3}{birth_date}{check_digit(birth_date)}{sex}{expiry_date}{check_digit(expiry_date)}{personal}{personal_check}"
    composite = body[0:10] + body[13:20] + body[21:43]
    return line1, body + check_digit(composite)


def check_holds(data: str, check: str, *, filler_when_empty: bool = False) -> bool:
    """Whether `check` is the right check digit for `data`.

    `filler_when_empty` admits `<` as the check digit of an all-filler field:
    ICAO 9303 allows that for the TD3 personal number (part 4, 4.2.2.2).
    Characters outside the MRZ alphabet never hold.
    """
    if check == "<":
        return filler_when_empty and set(data) <= {"<"}
    if not check.isdigit() or any(c not in MRZ_CHARS for c in data):
        return False
    return check_digit(data) == check


# The state codes: ISO 3166-1 alpha-3 (249 codes) and the codes ICAO 9303 part 3
# adds for countries or none (D for Germany, the British nationality
# categories, United Nations, stateless and refugee codes, EU laissez-passer),
# both from `kiosk.countries`; then the codes only the MRZ reader needs: those
# ICAO lists for other entities, and UTO, ICAO's fictional "Utopia" used on
# every specimen document, accepted so specimens and training material read as valid.
_ICAO_ONLY = "XOM XPO XCC XES XBA XIM XDC UTO"
STATE_CODES = ISO_ALPHA3 | frozenset(ICAO_SPECIAL) | frozenset(_ICAO_ONLY.split())


def is_state_code(field: str) -> bool:
    """Whether a 3-character MRZ state field (filler-padded, e.g. `D<<`) names a known state or entity."""
    return field.rstrip("<") in STATE_CODES


def td1_lines(
    *,
    document_type: str,
    issuing_state: str,
    number: str,
    birth_date: str,
    sex: str,
    expiry_date: str,
    nationality: str,
    surname: str,
    given_names: str,
    optional_1: str = "",
    optional_2: str = "",
) -> tuple[str, str, str]:
    """The three 30-character lines of an ID card MRZ; dates as YYMMDD.

    A number longer than 9 characters uses the ICAO long-number rule: `<` in the
    check position, the rest of the number and its check digit in optional data.
    """
    head, opt1 = _number_and_optional(number, optional_1, 15)
    line1 = f"{document_type:<<2}{issuing_state:<<3}{head}{opt1}"
    opt2 = optional_2.ljust(11, "<")
    dates = f"{birth_date}{check_digit(birth_date)}{sex}{expiry_date}{check_digit(expiry_date)}"
    line2 = f"{dates}{nationality:<<3}{opt2}"
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    return line1, line2 + check_digit(composite), name_field(surname, given_names, 30)


def td2_lines(
    *,
    document_type: str,
    issuing_state: str,
    surname: str,
    given_names: str,
    number: str,
    nationality: str,
    birth_date: str,
    sex: str,
    expiry_date: str,
    optional: str = "",
) -> tuple[str, str]:
    """The two 36-character lines of a TD2 MRZ; dates as YYMMDD, long numbers as in `td1_lines`."""
    line1 = f"{document_type:<<2}{issuing_state:<<3}{name_field(surname, given_names, 31)}"
    head, opt = _number_and_optional(number, optional, 7)
    dates = f"{birth_date}{check_digit(birth_date)}{sex}{expiry_date}{check_digit(expiry_date)}"
    body = f"{head}{nationality:<<3}{dates}{opt}"
    composite = body[0:10] + body[13:20] + body[21:35]
    return line1, body + check_digit(composite)


def _number_and_optional(number: str, optional: str, width: int) -> tuple[str, str]:
    """The 10 characters (number + check) and the optional data of width `width`, long rule applied."""
    if len(number) <= 9:
        doc = number.ljust(9, "<")
        return doc + check_digit(doc), optional.ljust(width, "<")[:width]
    overflow = number[9:] + check_digit(number)
    return number[:9] + "<", (overflow + "<" + optional).ljust(width, "<")[:width]
