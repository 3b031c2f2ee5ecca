"""One record from a local and a remote read of the same document: proof first, then confidence.

A field is *proved* when a check of its own read confirms it:
- passports: the check digit covering the field holds (document number,
  birth and expiry dates, TD3's personal number; TD1/TD2 optional data by
  the composite), and for the fields no check digit covers (names,
  nationality, issuing country, sex, document type) every check digit of the
  read holds and the field itself is valid, the parser's proof of a whole MRZ
  (`kiosk.ocr.mrz.parse` keeps unproven corrections on the same terms). The
  service's answer counts only through its MRZ text, parsed and checked here
  (`passport_from_answer`), never through its `validCheckDigits`.
- receipts: the read's own amounts confirm each other by the receipt rules
  (`kiosk.ocr.receipt.rules`): subtotal + tax (+ a printed rounding) = total
  proves all three, a subtotal equal to the total proves both.

Per field the kept value is the first that wins by: edited by hand > proved
> valid > read at all > confidence; the local read wins ties. The service's
confidence never outranks a local proof: where the local read proved a
field, the service's confidence for it is capped just below the local one
(its one overall confidence is already capped below certainty when its
answer is read: `client.OVERALL_CEILING`; a per-field one is used as given).

When both sides read a field and disagree, the kept field is not valid and
its reason names both values and why one was kept (for the review screen and
the JSON only: never log a reason), and the record is `invalid`: the
operator decides. A passport's `mrz_lines` and `checks` describe the merged
values: the lines of a read whose values they all are (the one whose check
digits hold best), otherwise the best-matching read's lines with the merged
values put in their places and every check digit recomputed, as the review
screen does after an edit. A receipt's amounts are re-checked together by
the receipt rules; a side's arithmetic remarks are dropped from a field once
its partner amounts came from the other side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from kiosk.ocr.mrz.icao import MRZ_CHARS
from kiosk.ocr.mrz.parse import LAYOUTS, field_spans, parse_mrz, put_fields
from kiosk.ocr.receipt import rules
from kiosk.ocr.receipt.extract import adjustments
from kiosk.records import (
    SOURCE_EDITED,
    SOURCE_REMOTE,
    Field,
    PassportRecord,
    ReceiptRecord,
    Record,
    Value,
    same_value,
)
from kiosk.status import NOTHING_READ, Status

__all__ = ["merge", "proved_fields"]

PROOF_MARGIN = 0.01
"""How far below a locally proved field's confidence the service's value for that field is capped."""

CHECK_OF = {
    "document_number": "document_number",
    "birth_date": "birth_date",
    "expiry_date": "expiry_date",
    "personal_number": "personal_number",
    "optional_data": "composite",
}
"""The check digit that covers each passport field that has one (optional data outside TD3: the composite)."""
AMOUNTS = ("total", "tax", "subtotal")
LOCAL_NAME, REMOTE_NAME = "local read", "OCR service"


# ------------------------------------------------------------------ proof


def proved_fields(record: Record) -> frozenset[str]:
    """The fields of `record` that a check of its own read confirms (see the module's docstring)."""
    if isinstance(record, PassportRecord):
        return _passport_proof(record)
    if isinstance(record, ReceiptRecord):
        return _receipt_proof(record)
    return frozenset()


def _passport_proof(record: PassportRecord) -> frozenset[str]:
    if not record.checks:
        return frozenset()
    whole = all(record.checks.values())
    proved = set()
    for name, item in record.fields.items():
        if item.value is None or not item.valid or item.source == SOURCE_EDITED:
            continue
        check = CHECK_OF.get(name)
        if record.checks[check] if check in record.checks else whole:
            proved.add(name)
    return frozenset(proved)


def _receipt_proof(record: ReceiptRecord) -> frozenset[str]:
    def amount(name: str) -> float | None:
        item = record.fields.get(name)
        return rules.amount_of(item) if item is not None and item.valid and item.source != SOURCE_EDITED else None

    total, tax, subtotal = amount("total"), amount("tax"), amount("subtotal")
    if total is None or subtotal is None:
        return frozenset()
    rounding, _ = adjustments(record.lines)
    if tax is not None and rules.adds_up(subtotal, tax, total, rounding):
        return frozenset(AMOUNTS)
    if rules.near(subtotal, total):
        return frozenset(("total", "subtotal"))
    return frozenset()


def _proof_words(record: Record) -> str:
    return "its MRZ check digits hold" if isinstance(record, PassportRecord) else "its amounts add up"


# ------------------------------------------------------------------ choosing


def _plain(value: Value) -> Value:
    return value.replace("<", " ") if isinstance(value, str) else value


def _same(a: Value, b: Value) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return same_value(_plain(a), _plain(b))


def _shown(value: Value) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _capped(theirs: Field, mine: Field | None, mine_proved: bool) -> Field:
    """The service's field, its confidence below that of the local field when the local read proved it."""
    if theirs.source != SOURCE_REMOTE or not mine_proved or mine is None:
        return theirs
    ceiling = round(max(0.0, mine.confidence - PROOF_MARGIN), 4)
    return theirs if theirs.confidence <= ceiling else replace(theirs, confidence=ceiling)


Rank = tuple[bool, bool, bool, bool, float, bool]
"""Edited, proved, valid, read, confidence, local: the larger tuple wins."""


def _rank(item: Field, proved: bool, is_local: bool) -> Rank:
    read = item.value is not None
    return item.source == SOURCE_EDITED, proved, read and item.valid, read, item.confidence, is_local


def _why(kept: Rank, lost: Rank, side: Record) -> str:
    if kept[1] != lost[1]:
        return _proof_words(side)
    if kept[2] != lost[2]:
        return "the other value is not valid"
    both = "both are proved and " if kept[1] else ""
    if kept[4] != lost[4]:
        return f"{both}it is more confident"
    return f"{both}the local read wins a tie"


DISPUTE_OPENING = "the local read says "
"""How a disputed field's reason begins: the review screen keeps such a record from turning `ok` by itself."""


class _Choice:
    """The merged fields, which read each came from, and the fields where the two reads disagree."""

    def __init__(self, local: Record, remote: Record) -> None:
        self.fields: dict[str, Field] = {}
        self.origin: dict[str, Record] = {}
        self.disputed: dict[str, str] = {}
        local_proof, remote_proof = proved_fields(local), proved_fields(remote)
        for name in local.FIELDS:
            mine, theirs = local.fields.get(name), remote.fields.get(name)
            if theirs is not None:
                theirs = _capped(theirs, mine, name in local_proof)
            if mine is None or theirs is None:
                chosen = mine or theirs
                if chosen is not None:
                    self.fields[name], self.origin[name] = chosen, local if mine is not None else remote
                continue
            ours_rank = _rank(mine, name in local_proof, True)
            their_rank = _rank(theirs, name in remote_proof, False)
            local_wins = ours_rank >= their_rank
            self.fields[name] = mine if local_wins else theirs
            self.origin[name] = local if local_wins else remote
            if mine.value is not None and theirs.value is not None and not _same(mine.value, theirs.value):
                if self.fields[name].source != SOURCE_EDITED:
                    kept, lost = (ours_rank, their_rank) if local_wins else (their_rank, ours_rank)
                    winner = LOCAL_NAME if local_wins else REMOTE_NAME
                    self.disputed[name] = (
                        f"{DISPUTE_OPENING}{_shown(mine.value)}, the OCR service {_shown(theirs.value)}: "
                        f"kept the {winner}'s, as {_why(kept, lost, self.origin[name])}"
                    )

    def flag(self) -> None:
        """Mark every disputed field not valid, its reason naming both values."""
        for name, why in self.disputed.items():
            item = self.fields[name]
            reason = f"{why}; {item.reason}" if item.reason else why
            self.fields[name] = replace(item, valid=False, reason=reason)

    def values(self) -> dict[str, Value]:
        return {name: item.value for name, item in self.fields.items()}

    def mixed(self) -> bool:
        sources = {id(self.origin[name]) for name, item in self.fields.items() if item.value is not None}
        return len(sources) > 1

    def dispute_reason(self, what: str) -> str:
        return dispute_reason(list(self.disputed), what)


def dispute_reason(names: list[str], what: str) -> str:
    """The record's reason when the two reads disagree: the fields, never their values."""
    return f"the local read and the OCR service disagree on {', '.join(names)}: compare with the {what}"


def disputed_fields(record: Record) -> list[str]:
    """Fields where the local read and the service disagreed and the operator has not typed a value since."""
    return [
        name
        for name, item in record.fields.items()
        if item.source != SOURCE_EDITED and not item.valid and item.reason.startswith(DISPUTE_OPENING)
    ]


# ------------------------------------------------------------------ merge


def _read_something(record: Record) -> bool:
    return record.status not in NOTHING_READ and any(f.value is not None for f in record.fields.values())


def merge(local: Record | None, remote: Record | None) -> Record:
    """One record from a local and a remote read of the same document (see the module's docstring).

    A side that read nothing leaves the other as it is. The id, timestamps,
    operator and kiosk id are the local record's, since it is the same scan.
    """
    if remote is None:
        if local is None:
            raise ValueError("merge needs at least one record")
        return local
    if local is None:
        return remote
    if type(local) is not type(remote):
        raise TypeError(f"cannot merge a {local.kind} record with a {remote.kind} record")
    if not _read_something(remote):
        return local
    if not _read_something(local):
        merged = remote
    elif isinstance(local, PassportRecord):
        assert isinstance(remote, PassportRecord)
        merged = _merge_passports(local, remote)
    else:
        assert isinstance(local, ReceiptRecord) and isinstance(remote, ReceiptRecord)
        merged = _merge_receipts(local, remote)
    return replace(
        merged,
        id=local.id,
        created_at=local.created_at,
        confirmed_at=local.confirmed_at,
        operator=local.operator,
        kiosk_id=local.kiosk_id,
    )


# ------------------------------------------------------------------ passports


def _merge_passports(local: PassportRecord, remote: PassportRecord) -> PassportRecord:
    choice = _Choice(local, remote)
    fmt, lines, checks = _passport_evidence(choice.values(), local, remote)
    choice.flag()
    fields = choice.fields
    failed = [name for name, ok in checks.items() if not ok]
    invalid = [name for name, item in fields.items() if item.value is not None and not item.valid and name not in choice.disputed]
    parts = [choice.dispute_reason("document")] if choice.disputed else []
    if failed:
        parts.append("failed check digits: " + ", ".join(failed))
    if invalid:
        parts.append("invalid fields: " + ", ".join(invalid))
    if not checks:
        parts.append("no MRZ check digits for these values")
    ok = not parts
    if not ok and choice.mixed():
        parts.append("fields combined from the local read and the OCR service: check them")
    return replace(
        local,
        fields=fields,
        status=Status.OK if ok else Status.INVALID,
        reason="; ".join(parts),
        format=fmt,
        mrz_lines=lines,
        checks=checks,
    )


def _has_lines(record: PassportRecord) -> bool:
    layout = LAYOUTS.get(record.format or "")
    return layout is not None and tuple(len(line) for line in record.mrz_lines) == layout.shape


def _matching(record: PassportRecord, values: Mapping[str, Value]) -> int:
    return sum(1 for name in record.FIELDS if _same(values.get(name), record.value(name)))


def _holding(record: PassportRecord) -> int:
    return sum(1 for ok in record.checks.values() if ok)


def _passport_evidence(
    values: Mapping[str, Value], local: PassportRecord, remote: PassportRecord
) -> tuple[str | None, tuple[str, ...], dict[str, bool]]:
    """The format, MRZ lines and check results that describe the merged values."""
    sides = [r for r in (local, remote) if _has_lines(r)]
    if not sides:
        return None, (), {}
    whole = [r for r in sides if _matching(r, values) == len(r.FIELDS)]
    if whole:
        best = max(whole, key=lambda r: (_holding(r), r is local))
        return best.format, tuple(best.mrz_lines), dict(best.checks)
    base = max(sides, key=lambda r: (_matching(r, values), _holding(r), r is local))
    lines, misfits = _put_values(base, values)
    result = parse_mrz(list(lines), correct=False)
    checks = {check.name: check.ok for check in result.checks}
    for name in misfits:  # a value that cannot stand in the lines is not what they check
        check = CHECK_OF.get(name)
        if check in checks:
            checks[check] = False
            if "composite" in checks:
                checks["composite"] = False
    return base.format, tuple(lines), checks


def _mrz_form(name: str, value: Value) -> str | None:
    """A field's value as MRZ characters; None when it has characters an MRZ cannot hold."""
    if name == "sex" and value == "X":
        return "<"
    text = "<".join(str(value).upper().split())
    return text if set(text) <= MRZ_CHARS else None


def _put_values(base: PassportRecord, values: Mapping[str, Value]) -> tuple[list[str], list[str]]:
    """`base`'s MRZ lines with the merged values that differ from its own put in their places, and the misfits."""
    changed = {n: v for n, v in values.items() if v is not None and not _same(v, base.value(n))}
    misfits = [n for n, v in changed.items() if _mrz_form(n, v) is None]
    fitting = {n: v for n, v in changed.items() if n not in misfits}
    put = put_fields(base.mrz_lines, base.format, fitting)
    assert put is not None  # `base` has its format's shape
    lines, parser_misfits = list(put[0]), list(put[1])
    spans = field_spans(base.format)
    for name in ("document_type", "issuing_country", "nationality", "sex"):
        if name in fitting and not _write(lines, spans[name][0], _mrz_form(name, fitting[name]) or "", truncate=False):
            misfits.append(name)
    if "surname" in fitting or "given_names" in fitting:
        surname = _mrz_form("surname", values.get("surname") or "") or ""
        given = _mrz_form("given_names", values.get("given_names") or "") or ""
        _write(lines, spans["surname"][0], f"{surname}<<{given}", truncate=True)  # ICAO truncates long names
    return lines, misfits + parser_misfits


def _write(lines: list[str], span: tuple[int, int, int], text: str, *, truncate: bool) -> bool:
    row, start, end = span
    width = end - start
    if len(text) > width and not truncate:
        return False
    line = lines[row]
    lines[row] = line[:start] + text[:width].ljust(width, "<") + line[end:]
    return True


# ------------------------------------------------------------------ receipts


def _merge_receipts(local: ReceiptRecord, remote: ReceiptRecord) -> ReceiptRecord:
    choice = _Choice(local, remote)
    _drop_stale_arithmetic(choice)
    choice.flag()
    fields = choice.fields
    lines = local.lines or remote.lines
    rounding, discounted = adjustments(lines)
    findings = rules.check_fields(fields, rounding=rounding, discounted=discounted)
    for name in dict.fromkeys(n for finding in findings for n in finding.fields):
        item = fields[name]
        if rules.CONTRADICTED not in item.reason:
            reason = f"{item.reason}; {rules.CONTRADICTED}" if item.reason else rules.CONTRADICTED
            fields[name] = replace(item, valid=False, reason=reason)
    totals_from = choice.origin.get("total", local)
    assert isinstance(totals_from, ReceiptRecord)
    other = [w for w in totals_from.warnings if w not in rules.AMOUNT_MESSAGES]
    warnings = tuple(finding.message for finding in findings) + tuple(other)
    status, reason = rules.status_of(rules.missing(fields), warnings)
    if choice.disputed:
        status = Status.INVALID
        reason = "; ".join(filter(None, [choice.dispute_reason("receipt"), reason]))
    return replace(local, fields=fields, status=status, reason=reason, lines=lines, warnings=warnings)


def _drop_stale_arithmetic(choice: _Choice) -> None:
    """An amount whose partner amounts came from the other read loses what its own read's arithmetic said of it.

    Its reason ("subtotal + tax = total", "does not add up") described the
    amounts beside it in that read; the merged amounts are checked afresh.
    """
    for name in AMOUNTS:
        item, side = choice.fields.get(name), choice.origin.get(name)
        if item is None or side is None or item.source == SOURCE_EDITED or item.value is None:
            continue
        partners = [n for n in AMOUNTS if n != name]
        if all(_same(choice.fields[n].value if n in choice.fields else None, side.value(n)) for n in partners):
            continue
        valid = item.valid or item.reason.startswith(rules.CONTRADICTED)
        choice.fields[name] = replace(item, valid=valid, reason="")
