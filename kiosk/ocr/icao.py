"""ICAO 9303 building blocks: the check digit and the TD3 (passport) line layout."""

from __future__ import annotations

WEIGHTS = (7, 3, 1)


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


def name_field(surname: str, given_names: str, width: int) -> str:
    primary = "<".join(surname.upper().split())
    secondary = "<".join(given_names.upper().split())
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
