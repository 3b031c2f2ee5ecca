"""Receipt fields from text rows: vendor, date, total, tax, subtotal, currency.

No images here: the input is the receipt's rows (rebuilt from OCR boxes by
`receipt_lines`, or plain strings), so every rule can be tested on text.

Each row is split into a label and its amounts, and the label is classed
(total, subtotal, tax, payment, change, rounding, discount, quantity...) with
patterns that tolerate the usual OCR slips (`Tota1`, `TOTALINCLUDES`,
`SubTatal`). The total is the strongest total-like row, then checked against
the rest of the receipt: subtotal + tax (+ rounding) = total, the items adding
up, cash - total = change. Agreement raises a field's confidence;
contradictions lower it and are listed in the record's `warnings`. What counts
as agreeing, contradicting and complete is `kiosk.ocr.receipt.rules`, shared
with the remote OCR client and the review screen.

Statuses:
- `ok`: a plausible total, a date and a vendor were found;
- `incomplete`: the text is a receipt but some of those are missing (`reason` says which);
- `no_receipt`: no text, or nothing receipt-like (no amounts, no totals): no field is filled in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple, Sequence

from kiosk.config import ReceiptSettings
from kiosk.ocr.receipt import rules
from kiosk.ocr.receipt.lines import Row
from kiosk.ocr.receipt.values import DOLLAR_CURRENCIES, Amount, address_currency, find_amounts, find_currencies, find_dates
from kiosk.status import Status
from kiosk.records import SOURCE_LOCAL, Field, ReceiptRecord

__all__ = ["STATUS_INCOMPLETE", "STATUS_NO_RECEIPT", "STATUS_OK", "Adjustments", "adjustments", "classify_label", "extract_receipt"]

STATUS_OK = Status.OK
STATUS_INCOMPLETE = Status.INCOMPLETE
STATUS_NO_RECEIPT = Status.NO_RECEIPT

CENT = 0.005
"""How near two amounts must be to raise a field's confidence; contradictions use the wider `rules.TOLERANCE`."""

# --- row labels -----------------------------------------------------------------

_TOTAL = r"(?:T[O0Q][T1I][A4S]|[LI1][O0Q]T[A4])[L1I!|]"
"""TOTAL as the recogniser reads it: TOTA1, T0TAL, TOTSL, lotal."""
_TAXWORD = r"GST|VAT|SST|TAX|PPN|IVA|TVA|HST|PST|MWST|BTW|MOMS|CUKAI"
_PATTERNS = {
    "phone": re.compile(r"(?:^|[^A-Z])(TEL|FAX|PHONE|MOBILE|H/P|HP|WHATSAPP|CONTACT)(?:[^A-Z]|$)"),
    "change": re.compile(r"CHANGE|CHNG|BAKI|KEMBALI|SUKLI|CAMBIO|RENDU"),
    "payment": re.compile(
        r"CASH|TENDER|RECEIVED|PAYM|PAID|VISA|MASTER|CARD|AMEX|DEBIT|CREDIT|EFTPOS|GCASH|ESPECE|REGLE|TUNAI|ALIPAY|WECHAT|BAYAR"
    ),
    "rounding": re.compile(r"ROUND|R[O0]UNDING|ADJ|PEMBULAT"),
    "discount": re.compile(r"DISC|COUPON|SAVING|SAVINES|VOUCHER|PROMO"),
    "less": re.compile(r"(?<![A-Z])LESS(?![A-Z])"),
    "subtotal": re.compile(r"SUBT[O0A]|SUB-?T[O0]T|SOUS-?TOTAL"),
    "qty": re.compile(r"QTY|QUANTITY|COUNT|PAX|UNITS|POINT|PTS|SUPPL|WEIGHT"),
    "qty_words": re.compile(r"ITEM\(?S?\)?\s*[:=]|ITEMS?\s*(COUNT|SOLD)|T[O0]T[A4][L1I]\s*ITEMS?|\d\s*ITEMS?\b|\bTYPE\s*:|\bPCS\b|\bKG\b"),
    "tax": re.compile(
        r"(?<![A-Z])(?:" + _TAXWORD + r")(?:(?![A-Z]{2})|(?=PAYABLE|AMOUNT|AMT|CHARGED|PAID|INCL|IN[CA]LUDED|DUE|RM|MYR))"
        r"|" + _TOTAL + r"\s*(?:GST|VAT|SST|TAX)"
    ),
    "not_tax": re.compile(r"INVOICE|INVO|SUMMARY|SUMMAY|CODE|REG|\bID\b|\bNO\b|NUMBER|\bTIN\b|EXEMPT|FREE"),
    "total": re.compile(_TOTAL + r"|JUMLAH|AMOUNTDUE|AMTDUE|BALANCEDUE|^DUE|PAYABLE|GRANDT|MONTANT|SUMME|BETRAG|TOTALE"),
    "total_tax": re.compile(_TOTAL + r"(" + _TAXWORD + r")|^(?:" + _TAXWORD + r")" + _TOTAL),
    "tax_included": re.compile(r"IN[CA]L[UV]DE[SD]"),
    "includes_tax": re.compile(r"IN[CA]L[UV]DE[SD]?(?:" + _TAXWORD + ")"),
    "total_incl": re.compile(_TOTAL + r"(?:" + _TAXWORD + r")IN[CA]L(?!UDE)"),
    "excluded": re.compile(r"EXC|EXOL|EXL|BEFORE|NETOF|WITHOUT|W/O|HT\b"),
    "final": re.compile(r"GRAND|NETT|NET" + _TOTAL + r"|PAYABLE|DUE|ROUND|AFTER|FACTURE|TTC"),
    "inclusive": re.compile(r"INC|WITH"),
}
_SUMMARY_RE = re.compile(r"SUMM?A?R?Y|SUMMAY|SUMNARY|ANALYSIS|BREAKDOWN")

TOTAL_STRENGTH = {"final": 1.0, "inclusive": 0.95, "plain": 0.9, "other": 0.85}


def _compact(text: str) -> str:
    return re.sub(r"[^A-Z0-9%!|@]", "", text.upper())


def classify_label(label: str) -> tuple[str, float]:
    """What a row's label says its amount is, and how strongly.

    Kinds: `total`, `subtotal`, `net` (a total before tax), `tax`, `payment`,
    `change`, `rounding`, `discount`, `qty` (counts, partial totals), `phone`,
    `none` (no label: an item price or a stray number) and `other`.
    """
    upper = label.upper()
    compact = _compact(label)
    letters = re.sub(r"[^A-Z]", "", upper)
    if len(letters) < 2:
        return "none", 0.0
    p = _PATTERNS
    if p["phone"].search(upper):
        return "phone", 1.0
    if p["change"].search(compact):
        return "change", 1.0
    has_total = bool(p["total"].search(compact))
    if p["payment"].search(compact) and not (has_total and re.search(r"PAYABLE|DUE", compact)):
        return "payment", 1.0
    if p["discount"].search(compact) or p["less"].search(upper):
        return "discount", 1.0
    if p["subtotal"].search(compact):
        return "subtotal", 1.0
    if p["rounding"].search(compact) and not has_total:
        return "rounding", 1.0
    if p["qty"].search(compact) or p["qty_words"].search(upper):
        return "qty", 1.0
    has_tax = bool(p["tax"].search(upper))
    if has_tax and not re.search(_TOTAL + r"|GRANDT|JUMLAH", compact):
        # "GST payable (6%)" is tax; "Amount due incl. VAT" is the total.
        inclusive = re.search(r"(INCL|INC|INCLUSIVE|INCLUDING|WITH)(OF)?(" + _TAXWORD + ")", compact)
        if inclusive and not re.search(r"%|@", compact):
            # "Price inclusive of GST 71.00" is an amount with tax in it, not the tax.
            return ("total", TOTAL_STRENGTH["other"]) if re.search(r"DUE|PAYABLE|AMOUNT|AMT", compact) else ("other", 0.0)
        if p["not_tax"].search(upper) or p["not_tax"].search(compact):
            return "other", 0.0
        return "tax", 1.0
    if has_total:
        if p["total_incl"].search(compact):
            return "total", TOTAL_STRENGTH["inclusive"]  # "TOTAL (GST INCL)"
        if p["total_tax"].search(compact) or (has_tax and p["tax_included"].search(compact)) or p["includes_tax"].search(compact):
            return "tax", 0.95
        if p["excluded"].search(compact):
            return "net", 0.9
        if p["final"].search(compact):
            return "total", TOTAL_STRENGTH["final"]
        if p["inclusive"].search(compact):
            return "total", TOTAL_STRENGTH["inclusive"]
        rest = re.sub(_TOTAL, "", compact)
        rest = re.sub(r"RM|MYR|USD|\$|:|[0-9]", "", rest)
        return "total", TOTAL_STRENGTH["plain"] if len(rest) <= 2 else TOTAL_STRENGTH["other"]
    return "other", 0.0


# --- rows analysed ----------------------------------------------------------------

_DATE_WORD_RE = re.compile(r"DATE|TARIKH|FECHA|DATUM|\bDT\b|\bDD\b|BIZDATE|ISSUED")
_TIME_RE = re.compile(r"\d{1,2}:\d{2}")
_NOT_PURCHASE_DATE_RE = re.compile(r"EXP|VALID|BEST\s?BEFORE|USE\s?BY|DUE\s?DATE|BIRTH|\bDOB\b|MEMBER\s?SINCE")
"""Dates on a receipt that are not when it was bought: a card's expiry, a voucher's validity, a birthday."""
_ADDRESS_RE = re.compile(
    r"JALAN|JLN|\bLOT\b|\bNO\.?\s?\d|TAMAN|\bTMN\b|ROAD|\bRD\b|STREET|\bST\b|AVENUE|\bAVE\b|FLOOR|LEVEL|BLOCK|BLK|"
    r"KAWASAN|BANDAR|SEKSYEN|LORONG|PERSIARAN|SUITE|UNIT|BUILDING|PLAZA|\b\d{5}\b|\b\d{4}\s(?:[A-Z]{2,})"
)


@dataclass
class _Line:
    index: int
    text: str
    confidence: float
    amounts: list[Amount]
    label: str
    kind: str
    strength: float
    summary: bool = False

    def last(self) -> Amount | None:
        return self.amounts[-1] if self.amounts else None


def _analyse(rows: Sequence[Row]) -> list[_Line]:
    lines: list[_Line] = []
    in_summary = False
    for index, row in enumerate(rows):
        text = row.text
        amounts = find_amounts(text)
        label = text
        for amount in reversed(amounts):
            label = label[: amount.start] + " " + label[amount.end :]
        kind, strength = classify_label(label)
        if _SUMMARY_RE.search(_compact(label)) and (kind in ("other", "tax", "none") or not amounts):
            in_summary = True
        elif in_summary and not amounts and len(re.sub(r"[^A-Z]", "", label.upper())) > 12:
            in_summary = False  # free text after the summary table ends it
        lines.append(_Line(index, text, row.confidence, amounts, label, kind, strength, in_summary))
    return lines


# --- fields ---------------------------------------------------------------------------


@dataclass
class _Candidate:
    value: float
    line: _Line
    score: float
    confidence: float
    checks: list[str] = field(default_factory=list)


def _near(a: float, b: float, tolerance: float = CENT) -> bool:
    return abs(a - b) <= tolerance


def _amount_candidates(lines: list[_Line], kind: str) -> list[_Candidate]:
    out: list[_Candidate] = []
    for position, line in enumerate(lines):
        if line.kind != kind or line.summary:
            continue
        amount = line.last()
        strength = line.strength
        if amount is None:
            # The amount on the next row, alone: "TOTAL" above "30.30".
            nxt = lines[position + 1] if position + 1 < len(lines) else None
            if nxt is None or nxt.kind != "none" or len(nxt.amounts) != 1:
                continue
            amount, strength = nxt.amounts[0], strength * 0.85
        if len(line.amounts) >= 3:
            strength -= 0.2
        value = abs(amount.value)
        out.append(_Candidate(value, line, strength, line.confidence * strength))
    return out


@dataclass
class _Money:
    total: _Candidate | None
    subtotal: _Candidate | None
    tax: _Candidate | None
    warnings: list[str]
    competing: bool


def _payments(lines: list[_Line], kind: str) -> list[float]:
    return [abs(line.last().value) for line in lines if line.kind == kind and not line.summary and line.last() is not None]


def _items_sum(lines: list[_Line], first_total_index: int) -> float | None:
    """The sum of the rightmost amounts of unlabelled rows above the first total-like row."""
    values: list[float] = []
    for line in lines[:first_total_index]:
        if line.summary or not line.amounts:
            continue
        if line.kind in ("none", "other"):
            values.append(line.amounts[-1].value)
        elif line.kind == "discount":
            values.append(-abs(line.amounts[-1].value))
    return round(sum(values), 2) if len(values) >= 1 else None


def _summary_tax(lines: list[_Line]) -> tuple[float | None, float | None, float]:
    """(net, tax, confidence) from a tax summary table: its Total row, else the sum of its rate rows."""
    rows = [line for line in lines if line.summary and len(line.amounts) >= 2]
    if not rows:
        return None, None, 0.0
    totals = [line for line in rows if re.search(_TOTAL, _compact(line.label))]
    if totals:
        line = totals[-1]
        return abs(line.amounts[-2].value), abs(line.amounts[-1].value), line.confidence
    net = sum(abs(line.amounts[-2].value) for line in rows)
    tax = sum(abs(line.amounts[-1].value) for line in rows)
    return round(net, 2), round(tax, 2), min(line.confidence for line in rows)


class Adjustments(NamedTuple):
    """What a receipt's rows say about its amounts beyond total, tax and subtotal (see `rules.check_amounts`)."""

    rounding: float = 0.0
    """The printed rounding adjustment (the last one), 0 when none."""
    discounted: bool = False
    """Whether a discount row with an amount is printed."""


ROUNDING_LIMIT = 1.0
"""A rounding adjustment is less than this; a larger amount on a "Rounding" row is the rounded total."""


def _adjustments(lines: list[_Line]) -> Adjustments:
    roundings = [
        line.last().value
        for line in lines
        if line.kind == "rounding" and line.last() is not None and not line.summary and abs(line.last().value) < ROUNDING_LIMIT
    ]
    rounding = roundings[-1] if roundings else 0.0
    has_discount = any(line.kind == "discount" and line.amounts and line.last().value != 0 for line in lines)
    return Adjustments(rounding, has_discount)


def adjustments(lines: Sequence[Row | str]) -> Adjustments:
    """The rounding adjustment and discount a receipt's rows print, for checking amounts away from the read.

    The review screen re-checks edited amounts with these, read from the
    record's `lines`, so a discount or rounding row counts as it did here.
    """
    return _adjustments(_analyse(_as_rows(lines)))


_PRINTED_TOTAL_KINDS = ("total", "net", "subtotal", "none", "other", "qty", "rounding")
"""Rows whose amount may be the total under a misread label ("TOT\"I", "Rounding RM 22.90", "Due")."""
ROUNDED = "total + rounding adjustment"
UNPROVEN_TOTAL = 0.25
"""How much a labelled total loses when the receipt's arithmetic points at another printed amount."""


def _derived_totals(
    totals: list[_Candidate], pre_tax: list[float], taxes: list[_Candidate], cash: list[float], change: list[float], rounding: float
) -> dict[float, list[str]]:
    """Totals the receipt's own arithmetic gives (paid - change, subtotal + tax, total + rounding), each with why."""
    derived: dict[float, list[str]] = {}

    def add(value: float, reason: str) -> None:
        if value > 0 and reason not in derived.setdefault(round(value, 2), []):
            derived[round(value, 2)].append(reason)

    for paid in cash:
        for given in change:
            if paid >= given:
                add(paid - given, "cash - total = change")
    if rounding:
        for candidate in totals:
            add(candidate.value + rounding, ROUNDED)
    for net in pre_tax:
        for tax in taxes:
            if tax.value > 0:
                add(net + tax.value, "subtotal + tax = total")
                if rounding:
                    add(net + tax.value + rounding, "subtotal + tax = total")
    return derived


def _arithmetic_candidates(lines: list[_Line], derived: dict[float, list[str]], totals: list[_Candidate]) -> list[_Candidate]:
    """A total for each derived amount printed on the receipt that no labelled total already holds.

    The row is the last one printing it before the payment rows: "TOT\"I RM 73.00"
    above "CASH RM 73.00" when the label was misread.
    """
    first_payment = next((line.index for line in lines if line.kind in ("payment", "change")), len(lines))
    out: list[_Candidate] = []
    for value, reasons in derived.items():
        if any(_near(c.value, value) for c in totals):
            continue
        kinds = _PRINTED_TOTAL_KINDS + (("payment",) if len(reasons) > 1 else ())  # paid, and proven twice over
        printed = [
            line for line in lines if line.kind in kinds and not line.summary and any(_near(abs(a.value), value) for a in line.amounts)
        ]
        if not printed:
            continue
        before = [line for line in printed if line.index < first_payment]
        line = (before or printed)[-1]
        score = 0.65 + 0.1 * len(reasons)
        out.append(_Candidate(value, line, score, line.confidence * 0.85, list(reasons)))
    return out


def _money(lines: list[_Line]) -> _Money:
    warnings: list[str] = []
    totals = _amount_candidates(lines, "total")
    subtotals = _amount_candidates(lines, "subtotal") or _amount_candidates(lines, "net")
    nets = _amount_candidates(lines, "net")
    taxes = _amount_candidates(lines, "tax")
    cash = _payments(lines, "payment")
    change = _payments(lines, "change")
    rounding, has_discount = _adjustments(lines)
    summary_net, summary_tax, summary_conf = _summary_tax(lines)

    if not taxes and summary_tax is not None and summary_tax >= 0:
        anchor = next(line for line in lines if line.summary)
        taxes = [_Candidate(summary_tax, anchor, 0.8, summary_conf * 0.8)]

    rounding_rows = [line.index for line in lines if line.kind == "rounding"]
    pre_tax = [c.value for c in subtotals + nets]
    for candidate in totals:
        value = candidate.value
        if value <= 0:
            candidate.score -= 0.5
            continue
        if rounding_rows and candidate.line.index > rounding_rows[0]:
            candidate.score += 0.08
        if any(paid > value and _near(paid - value, given) for paid in cash for given in change):
            candidate.score += 0.15
            candidate.checks.append("cash - total = change")
        elif any(_near(paid, value) for paid in cash):
            candidate.score += 0.05
            candidate.checks.append("paid = total")
        if any(_near(s + t.value + rounding, value) or _near(s + t.value, value) for s in pre_tax for t in taxes):
            candidate.score += 0.1
            candidate.checks.append("subtotal + tax = total")
        if summary_net is not None and summary_tax is not None and _near(summary_net + summary_tax, value, 0.05):
            candidate.score += 0.03
            candidate.checks.append("tax summary adds up")

    derived = _derived_totals(totals, pre_tax, taxes, cash, change, rounding)
    alternatives = _arithmetic_candidates(lines, derived, totals)
    if alternatives:
        rounded = [c.value for c in alternatives if ROUNDED in c.checks and len(c.checks) > 1]
        for candidate in totals:
            if not candidate.checks or any(_near(candidate.value + rounding, value) for value in rounded):
                candidate.score -= UNPROVEN_TOTAL  # nothing proves it, or its rounded amount is printed and paid
        totals = totals + alternatives

    total: _Candidate | None = None
    competing = False
    if totals:
        ranked = sorted(totals, key=lambda c: (c.score, c.line.index), reverse=True)
        total = ranked[0]
        rivals = [c for c in ranked[1:] if not _near(c.value, total.value) and c.score > total.score - 0.05]
        competing = bool(rivals)
        if total.score <= 0.3:
            total = None

    subtotal = None
    if subtotals:
        subtotal = subtotals[0]
        if total is not None:
            for candidate in subtotals:
                if any(rules.adds_up(candidate.value, t.value, total.value, rounding) for t in taxes) or rules.near(candidate.value, total.value):
                    subtotal = candidate
                    break

    tax = None
    if taxes:
        ordered = sorted(taxes, key=lambda c: (c.value == 0, -c.score, c.line.index))
        tax = ordered[0]
        if total is not None:
            sums = [c.value for c in subtotals + nets] + ([summary_net] if summary_net is not None else [])
            for candidate in ordered:
                if any(rules.adds_up(s, candidate.value, total.value, rounding) for s in sums):
                    tax = candidate
                    tax.checks.append("subtotal + tax = total")
                    break

    # Checks and contradictions.
    if total is not None:
        findings = rules.check_amounts(
            total.value,
            tax.value if tax is not None else None,
            subtotal.value if subtotal is not None else None,
            rounding=rounding,
            discounted=has_discount,
        )
        for finding in findings:
            warnings.append(finding.message)
            if "tax" in finding.fields and tax is not None:
                tax.confidence *= 0.5
            for name, candidate in (("tax", tax), ("subtotal", subtotal), ("total", total)):
                if name in finding.fields and candidate is not None:
                    candidate.checks.append("contradiction")
        if subtotal is not None and rules.subtotal_consistent(
            subtotal.value, total.value, tax.value if tax is not None else None, rounding
        ):
            subtotal.checks.append("consistent with total")
        if cash and change and not any("change" in c for c in total.checks):
            if rules.change_contradicts(max(cash), total.value, change[-1]):
                warnings.append(rules.CHANGE_WRONG)
                total.checks.append("contradiction")
        first_index = min(c.line.index for c in totals + subtotals + nets + taxes) if (totals + subtotals + nets + taxes) else len(lines)
        items = _items_sum(lines, first_index)
        if items is not None and items > 0:
            if _near(items, total.value, CENT) or (subtotal is not None and _near(items, subtotal.value, CENT)):
                total.checks.append("items add up")
        if competing:
            warnings.append("several different totals on the receipt")
    return _Money(total, subtotal, tax, warnings, competing)


def _confidence(candidate: _Candidate, competing: bool = False) -> float:
    confidence = candidate.confidence * 0.85
    for check in candidate.checks:
        if check == "contradiction":
            confidence *= 0.6
        else:
            confidence = 1 - (1 - confidence) * 0.6
    if competing:
        confidence *= 0.8
    return max(0.0, min(1.0, confidence))


def _amount_field(candidate: _Candidate | None, competing: bool = False) -> Field | None:
    if candidate is None:
        return None
    checks = [c for c in candidate.checks if c != "contradiction"]
    reason = "; ".join(dict.fromkeys(checks))
    if "contradiction" in candidate.checks:
        reason = (rules.CONTRADICTED + "; " + reason).rstrip("; ")
    return Field(
        round(candidate.value, 2),
        round(_confidence(candidate, competing), 4),
        SOURCE_LOCAL,
        valid="contradiction" not in candidate.checks,
        reason=reason,
    )


def _date_field(lines: list[_Line], order: str, today: date | None) -> Field | None:
    scored: list[tuple[float, str, float]] = []
    for line in lines:
        matches = find_dates(line.text, order, today)
        if not matches:
            continue
        upper = line.text.upper()
        bonus = 0.0
        if _DATE_WORD_RE.search(upper):
            bonus += 0.15
        if _TIME_RE.search(upper):
            bonus += 0.1
        if _ADDRESS_RE.search(upper) and not bonus:
            bonus -= 0.3
        if _NOT_PURCHASE_DATE_RE.search(upper):
            bonus -= 0.5
        for match in matches:
            scored.append((match.strength + bonus, match.iso, match.strength * line.confidence))
    if not scored:
        return None
    votes: dict[str, float] = {}
    for score, iso, _ in scored:
        votes[iso] = votes.get(iso, 0.0) + score
    ranked = sorted(range(len(scored)), key=lambda i: (scored[i][0] + 0.1 * (votes[scored[i][1]] - scored[i][0]), -i))
    best_score, best_iso, base = scored[ranked[-1]]
    confidence = base * (0.95 if best_score >= 1.0 else 0.85)
    others = {iso for _, iso, _ in scored if iso != best_iso}
    agreeing = sum(1 for _, iso, _ in scored if iso == best_iso)
    reasons = []
    if agreeing > 1:
        confidence = 1 - (1 - confidence) * 0.7
        reasons.append(f"printed {agreeing} times")
    if others:
        confidence *= 0.9
        reasons.append("other dates on the receipt")
    return Field(best_iso, round(min(confidence, 1.0), 4), SOURCE_LOCAL, True, "; ".join(reasons))


# --- vendor -------------------------------------------------------------------------------

_REG_NUMBER_RE = re.compile(
    r"\(\s*[A-Z0-9.:\s]*\d{4,}[A-Z0-9.\-\s]*\)|\b(?:CO\.?\s?REG|ROC|BRN|SSM)\b.*$|(?<=\s)[A-Z]{0,2}\d{5,8}\s?-\s?[A-Z]\b.*$", re.I
)
"""A registration number glued to the name, and what follows it: "KING'S CONFECTIONERY S/B 273500-U (KSB)"."""
_COMPANY_RE = re.compile(
    r"SDN|BHD|BND\b|S/B|PTE|LTD|LIMITED|\bINC\b|\bLLC\b|CORP|\bCO\b\.?|COMPANY|ENTERPRISE|TRADING|RESTAURANT|RESTORAN|"
    r"CAFE|KAFE|MART|STORE|SHOP|KEDAI|PHARMACY|FARMASI|BAKER|HARDWARE|STATIONERY|SUPERMARKET|MINIMARKET|HOTEL|PIZZA|"
    r"BOOK|FOOD|RESOURCES|INDUSTRIES|HOLDINGS|GROUP|SERVICES|PHARMA|BISTRO|KITCHEN|BAR\b|PUB\b|BAKERY|MARKET|PASARAYA|"
    r"SYARIKAT|PERNIAGAAN|ENTERPRIS",
    re.I,
)
_LEGAL_RE = re.compile(r"SDN|BHD|BND\b|S/B|PTE|LTD|LIMITED|\bINC\b|\bLLC\b|CORP|\bCO\b\.?|COMPANY|GMBH|\bS\.?A\b|\bPLC\b", re.I)
_SUFFIX_ONLY_RE = re.compile(r"^[\s(]*(CO\.?|COMPANY)?\s*(\(\s*M\s*\))?\s*(SDN\.?\s*BHD\.?|BHD\.?|S/B|PTE\.?\s*LTD\.?|LTD\.?|LIMITED|INC\.?)\s*[).]*$", re.I)
_NOT_VENDOR_RE = re.compile(
    r"INVOICE|RECEIPT|RECIEPT|\bBILL\b|CASH|CASHIER|\bTEL\b|\bFAX\b|PHONE|GST|\bVAT\b|\bTAX\b|\bREG\b|\bNO\s?[.:]|\bDATE\b|\bTIME\b|"
    r"WWW|HTTP|\.COM|@|WELCOME|THANK|FORMERLY|LICENSEE|OWNED|HOURS|TABLE|MEMBER|ORDER|SERVER|SLIP|TRANS|COPY|"
    r"OPERATOR|COUNTER|POS\b|TERMINAL|STAFF|CUSTOMER|DUPLICATE|REPRINT|ADDRESS|EMAIL|E-MAIL|OPEN|CLOSED|"
    r"GOODS\s?SOLD|REFUND|RETURNABLE|EXCHANGE|^\W*(?:POSTED|PAID|APPROVED|VOID|CANCELL?ED|ENTERED|CHECKED)\W*$|"
    r"DARUL\s?(?:EHSAN|TAKZIM|AMAN|NAIM|KHUSUS|RIDZUAN|MAKMUR|HANA|SALAM)|WILAYAH\s?PERSEKUTUAN",
    re.I,
)
"""Header lines that are not the vendor: titles, contacts, slogans, stamps, state names."""
_NOT_VENDOR_COMPACT_RE = re.compile(r"REGNO|COMPANYNO|CONO[.:]|GSTID|TAXID|VATNO|BUSINESSNO")
"""The same, for labels the recogniser ran together ("Company RegNo.")."""


_OWNER_LEAD_RE = re.compile(
    r"\b(?:OWNED|OPERATED|MANAGED|RUN)\s*BY\W*$|\b(?:SUBSIDIARY|DIVISION|MEMBER|UNIT)\s*OF\W*$|^\W*(?:LICENSEE|FRANCHISEE|OWNER)\W*$", re.I
)
"""A line introducing the next one as the shop's owner ("Owned By :"): the name above it is the vendor's."""
_CONTINUES_RE = re.compile(r"(?:&|\bAND|\([^)]*)\s*$", re.I)
"""A name that goes on on the next line: "HOME MASTER HARDWARE &", "AIK HUAT HARDWARE ENTERPRISE (SETIA"."""


_LEGAL_FORM_RE = re.compile(r"\b(?:SDN|BHD|S/B|PTE|LTD|LIMITED|INC|LLC|CORP|GMBH|PLC)\b", re.I)
"""A legal form that makes a line a company's name whatever else it says ("SEGI CASH & CARRY SDN BHD")."""
_COMPANY_FIRST_RE = re.compile(r"^(?:ENTERPRISE|TRADING|HARDWARE|MARKETING|DISTRIBUTOR|INDUSTRIES|HOLDINGS|RESOURCES|SERVICES)\b", re.I)
"""The company form starting a line: the second line of a name."""


def _not_vendor(text: str) -> bool:
    """Whether a header line is something other than the vendor's name: a title, contact, slogan, stamp or address."""
    if _NOT_VENDOR_COMPACT_RE.search(re.sub(r"\s", "", text.upper())):
        return True
    if _LEGAL_FORM_RE.search(text):
        return False
    return bool(_NOT_VENDOR_RE.search(text) or _ADDRESS_RE.search(text.upper()))


_MISREAD_SDN_BHD_RE = re.compile(r"\b[S5][A-Za-z0-9][NnMm](\.?\s*)[B8][Hh][DdOo0]\b")
_MISREAD_S_B_RE = re.compile(r"(?<=[A-Za-z.)]\s)[S5]\s?/\s?[B8](?=[\s.]*(?:$|\())")


def _repair_legal_form(text: str) -> str:
    """The Malaysian legal forms as printed when the recogniser misread a letter: "SIN BHD", "Sdn Bh0", "5/8".

    BHD only ever follows SDN (or stands alone), and "S/B" after a name is
    its short form where it ends the name, so a three-letter word like S?N
    before a B?H? word is SDN, and 5/8 ending a name is S/B.
    """

    def sdn_bhd(match: re.Match[str]) -> str:
        small = match.group(0)[1].islower()
        return ("Sdn" if small else "SDN") + match.group(1) + ("Bhd" if small else "BHD")

    return _MISREAD_S_B_RE.sub("S/B", _MISREAD_SDN_BHD_RE.sub(sdn_bhd, text))


def _clean_vendor(text: str) -> str:
    text = _repair_legal_form(_REG_NUMBER_RE.sub(" ", text))
    # OCR digits inside words are letters: "C0." -> "CO.", "Dakga1bi" -> "Dakgalbi", "D.1.Y." -> "D.I.Y.".
    text = re.sub(r"(?<=[A-Za-z])0|0(?=[A-Za-z]{2})", "O", text)
    text = re.sub(r"(?<=[a-z])1(?=[a-z])", "l", text)
    text = re.sub(r"(?<=[a-z])I(?=[a-z])", "l", text)  # "WorId": a capital I inside a small-letter word is an l
    text = re.sub(r"(?<=[A-Z]\.)1(?=\.)|(?<=[A-Z])1(?=[A-Z])", "I", text)
    return re.sub(r"\s+", " ", text).strip(" -,:;*#")


def _vendor_field(lines: list[_Line], rows: Sequence[Row]) -> Field | None:
    limit = max(6, min(12, len(lines) // 3))
    heights = sorted(row.height for row in rows if row.height)
    median_height = heights[len(heights) // 2] if heights else 0.0
    candidates: list[tuple[float, int, str, float]] = []
    rank = 0
    for position, line in enumerate(lines[:limit]):
        if line.amounts or find_dates(line.text):
            if position > 2:
                break  # the header is over once prices or dates start
            continue
        text = _clean_vendor(line.text)
        letters = re.sub(r"[^A-Za-z]", "", text)
        if len(letters) < 3 or len(letters) < 0.5 * len(text.replace(" ", "")):
            continue
        if _not_vendor(text):
            continue
        if _CONTINUES_RE.search(text) and position + 1 < len(lines):
            following = _clean_vendor(lines[position + 1].text)
            if following and not (_not_vendor(following) or lines[position + 1].amounts):
                text = f"{text} {following}"
        if candidates and candidates[-1][1] == position - 1 and _COMPANY_FIRST_RE.match(text) and not _LEGAL_RE.search(candidates[-1][2]):
            score, index, previous, conf = candidates[-1]  # "AIK HUAT HARDWARE" over "ENTERPRISE (SETIA ALAM) SDN BHD"
            candidates[-1] = (score + 0.6, position, f"{previous} {text}", min(conf, line.confidence))
            continue
        if _SUFFIX_ONLY_RE.match(text):
            if candidates and candidates[-1][1] == position - 1:
                score, index, previous, conf = candidates[-1]
                candidates[-1] = (score + 0.4, position, f"{previous} {text}", min(conf, line.confidence))
            continue
        score = 1.0 - 0.1 * rank
        if position and _OWNER_LEAD_RE.search(lines[position - 1].text):
            score -= 0.8  # the company that owns the shop, under the shop's own name
        if not re.search(r"[A-Z]", text):
            score -= 0.5  # a name written by hand or a slogan in small letters; printed names are capitalised
        if text.startswith("(") and text.rstrip(" .").endswith(")"):
            score -= 0.3  # a branch or outlet in brackets under the name
        if _LEGAL_RE.search(text):
            score += 0.6
        elif _COMPANY_RE.search(text):
            score += 0.2
        if median_height and rows[position].height > 1.25 * median_height:
            score += 0.2
        candidates.append((score, position, text, line.confidence))
        rank += 1
    if not candidates:
        return None
    score, _, text, confidence = max(candidates, key=lambda c: (c[0], -c[1]))
    value = confidence * min(0.95, 0.45 + 0.35 * score)
    reason = "company name" if _COMPANY_RE.search(text) else "first line of the header"
    return Field(text, round(value, 4), SOURCE_LOCAL, True, reason)


def _currency_field(lines: list[_Line], total: _Candidate | None, default: str) -> Field | None:
    """The currency printed by the amounts or their labels; else the one of the country in the address; else the
    site's default. A bare `$` is the address's dollar (SGD in Singapore), or, where the money is not dollars, the
    till's money sign for the local currency (MYR in Malaysia, confidence at most 0.6)."""
    priced = [i for i, line in enumerate(lines) if line.amounts]
    outside_items = [line.text for i, line in enumerate(lines) if not priced or i < priced[0] or i > priced[-1]]
    place = address_currency(outside_items)
    local = place[0] if place else default
    votes: dict[str, float] = {}
    dollar_signs = 0.0

    def vote(text: str, weight: float, in_label: bool) -> None:
        nonlocal dollar_signs
        for match in find_currencies(text, local):
            code, strength = match.code, match.strength
            if in_label and code == "PGK" and strength < 1.0:
                continue  # a bare K in a label is a letter, not kina
            if place and place[0] not in DOLLAR_CURRENCIES and text[match.start : match.end] == "$":
                code, strength = place[0], 0.6  # the till's money sign where the money is not dollars (RM in Malaysia)
                dollar_signs += weight * strength
            votes[code] = votes.get(code, 0.0) + weight * strength

    for line in lines:
        weight = 2.0 if total is not None and line is total.line else 1.0
        for amount in line.amounts:
            if amount.currency:
                vote(f"{amount.currency}0", weight, in_label=False)  # "K" counts as kina before a digit
        vote(line.label, 0.5 * weight, in_label=True)
    if votes:
        code, weight = max(votes.items(), key=lambda kv: kv[1])
        share = weight / sum(votes.values())
        confidence = min(0.95, 0.6 + 0.1 * weight) * share
        if code == "USD" and local not in ("", "USD"):
            confidence *= 0.7  # "$" on a receipt from a non-dollar locale
        if place and code == place[0] and votes[code] == dollar_signs:
            return Field(code, min(0.6, round(confidence, 4)), SOURCE_LOCAL, True, f"$ printed, the address is in {place[1]}")
        return Field(code, round(confidence, 4), SOURCE_LOCAL, True, "printed on the receipt")
    if place:
        return Field(place[0], 0.6, SOURCE_LOCAL, True, f"none printed: the address is in {place[1]}")
    if default:
        return Field(default, 0.5, SOURCE_LOCAL, True, "none printed: the default from settings")
    return None


# --- the record ------------------------------------------------------------------------------


def _as_rows(lines: Sequence[Row | str]) -> list[Row]:
    rows: list[Row] = []
    for line in lines:
        row = Row.from_text(line) if isinstance(line, str) else line
        if row.text.strip():
            rows.append(row)
    return rows


def extract_receipt(
    lines: Sequence[Row | str],
    settings: ReceiptSettings | None = None,
    today: date | None = None,
) -> ReceiptRecord:
    """The receipt record read from its rows (top to bottom), with a confidence per field.

    `lines` are `Row`s from `receipt_lines.build_rows`, or plain strings (read
    with full OCR confidence). Never invents a value: a field not found is
    left out, and text that is not a receipt gives status `no_receipt`.
    """
    settings = settings or ReceiptSettings()
    rows = _as_rows(lines)
    texts = tuple(row.text for row in rows)
    if not rows:
        return ReceiptRecord(status=STATUS_NO_RECEIPT, reason="no text found", lines=texts)
    analysed = _analyse(rows)
    money = _money(analysed)
    has_amounts = any(line.amounts for line in analysed)
    keywords = any(line.kind in ("total", "subtotal", "tax", "payment", "change", "net") for line in analysed)
    if not has_amounts or (money.total is None and not keywords):
        return ReceiptRecord(
            status=STATUS_NO_RECEIPT,
            reason="no receipt found: no amounts or totals in the text",
            lines=texts,
        )
    fields: dict[str, Field] = {}
    vendor = _vendor_field(analysed, rows)
    found_date = _date_field(analysed, settings.date_order, today)
    for name, value in (
        ("vendor", vendor),
        ("date", found_date),
        ("total", _amount_field(money.total, money.competing)),
        ("tax", _amount_field(money.tax)),
        ("subtotal", _amount_field(money.subtotal)),
        ("currency", _currency_field(analysed, money.total, settings.currency)),
    ):
        if value is not None:
            fields[name] = value
    status, reason = rules.status_of(rules.missing(fields), money.warnings)
    return ReceiptRecord(fields=fields, status=status, reason=reason, lines=texts, warnings=tuple(money.warnings))
