"""Receipt field rules on real-looking text, traps included. No images: text rows in, record out."""

from datetime import date

import pytest

from kiosk.config import ReceiptSettings
from kiosk.ocr.receipt.extract import STATUS_INCOMPLETE, STATUS_NO_RECEIPT, STATUS_OK, classify_label, extract_receipt
from kiosk.ocr.receipt.values import find_amounts
from kiosk.records import RECEIPT_FIELDS, ReceiptRecord, record_from_json

TODAY = date(2024, 6, 1)

MALAYSIAN = """\
KEDAI RUNCIT MAJU JAYA SDN BHD
(123456-X)
NO 5-12-17, JALAN BUNGA 3/14, TAMAN MELATI
53100 KUALA LUMPUR
TEL: 03-4162 2318   FAX: 03.4162 2319
GST ID: 000123456789
TAX INVOICE
Cashier: SITI      Counter 2
Date: 25/12/2018 10:27
ITEM                QTY   AMOUNT
MILO 1KG             1    18.90
ROTI GARDENIA        2     5.60
SUB-TOTAL                 24.50
GST 6%                     1.47
ROUNDING                   0.03
TOTAL                RM   26.00
CASH                      50.00
CHANGE                    24.00
Customer Service Hotline: 1300.88.2525
THANK YOU, PLEASE COME AGAIN
"""

PHILIPPINE = """\
JOLLY BURGER PHILIPPINES INC.
VAT REG TIN: 000-123-456-000
123 Rizal Ave, Makati City
02/03/2019 7:45 PM
Cashier: JUAN
2 CHICKENJOY           PHP 198.00
1 SPAGHETTI            PHP  60.00
SUBTOTAL                   258.00
DISCOUNT                   -10.00
VATABLE SALES              221.43
VAT 12%                     26.57
GRAND TOTAL            PHP 248.00
AMOUNT TENDERED            500.00
CHANGE                     252.00
www.jollyburger.ph
"""

BRITISH = """\
THE RED LION PUB LTD
12 High Street, Oxford OX1 4AA
Tel 01865 123456
VAT No GB 123 4567 89
22 MAR 2018 13:05
2 x ALE                  £ 9.00
1 x FISH & CHIPS        £ 12.50
TOTAL INCL. VAT         £ 21.50
VAT @ 20%                  3.58
AMOUNT DUE              £ 21.50
CARD                      21.50
"""

FAST_FOOD = """\
1950
GerbangAlafRestaurantsSdnBhd
(65351-M)
formerly known as
Golden Arches RestaurantsSdnBhd
Level 6, Bangunan TH, Damansara Uptown3
TAX INVOICE
ORD#50-REG#19-18/01/2018 10:27:03
QTY ITEM                     TOTAL
2 Chic McMuffin              11.00
1 M Porridge                  5.60
1 BM 2 HotCakes              10.00
TakeOut Total(incl GST)      26.60
Total Rounded                26.60
Cash Tendered               100.00
Change                       73.40
TOTAL INCLUDES 6% GST         1.51
"""


def read(text: str, **settings) -> ReceiptRecord:
    return extract_receipt(text.splitlines(), ReceiptSettings(**settings), today=TODAY)


def test_a_full_receipt_is_read_past_its_traps():
    record = read(MALAYSIAN)
    assert record.status == STATUS_OK, record.reason
    assert record.value("vendor") == "KEDAI RUNCIT MAJU JAYA SDN BHD"
    assert record.value("date") == "2018-12-25"  # not 5-12-17 from the address
    assert record.value("total") == 26.00  # not cash 50.00, change 24.00, subtotal 24.50
    assert record.value("subtotal") == 24.50
    assert record.value("tax") == 1.47
    assert record.value("currency") == "MYR"
    assert record.warnings == ()
    total = record.field("total")
    assert total.valid and total.confidence > 0.9
    assert "subtotal + tax = total" in total.reason and "cash - total = change" in total.reason


def test_the_raw_lines_are_kept_for_the_operator():
    record = read(MALAYSIAN)
    assert record.lines[0] == "KEDAI RUNCIT MAJU JAYA SDN BHD"
    assert len(record.lines) == len(MALAYSIAN.strip().splitlines())


def test_grand_total_after_discount_with_vat_and_tendered_cash():
    record = read(PHILIPPINE, date_order="MDY", currency="PHP")
    assert record.value("total") == 248.00
    assert record.value("tax") == 26.57  # not VATABLE SALES
    assert record.value("subtotal") == 258.00
    assert record.value("date") == "2019-02-03"  # month first, as the site is set up
    assert record.value("currency") == "PHP"
    assert record.value("vendor") == "JOLLY BURGER PHILIPPINES INC."
    assert "subtotal is more than the total" not in record.warnings  # the discount explains it


def test_day_first_locale_reads_the_same_date_differently():
    assert read(PHILIPPINE, date_order="DMY").value("date") == "2019-03-02"


def test_amount_due_and_total_incl_vat_in_pounds():
    record = read(BRITISH)
    assert record.value("total") == 21.50
    assert record.value("tax") == 3.58
    assert record.value("currency") == "GBP"
    assert record.value("date") == "2018-03-22"
    assert record.value("vendor") == "THE RED LION PUB LTD"


def test_total_includes_gst_is_the_tax_not_the_total():
    record = read(FAST_FOOD)
    assert record.value("total") == 26.60
    assert record.value("tax") == 1.51
    assert record.value("date") == "2018-01-18"
    assert record.value("vendor") == "GerbangAlafRestaurantsSdnBhd"  # the company, not "formerly known as"
    assert record.field("total").confidence > 0.85


@pytest.mark.parametrize(
    "label, kind",
    [
        ("TOTAL", "total"),
        ("GRAND TOTAL", "total"),
        ("Nett Total:", "total"),
        ("AMOUNT DUE", "total"),
        ("Total Sales (Inclusive of GST):", "total"),
        ("ROUNDED TOTAL", "total"),
        ("Tota1 Incl.GST@6%", "total"),  # OCR: 1 for l
        ("Totai Amt Rounded", "total"),
        ("SUB-TOTAL", "subtotal"),
        ("SubTatal:", "subtotal"),
        ("Total (Excluding GST):", "net"),
        ("Total Qty:", "qty"),
        ("TOTAL SAVINGS", "discount"),
        ("Cash Tendered", "payment"),
        ("CASH", "payment"),
        ("VISA", "payment"),
        ("CHANGE", "change"),
        ("Change Due", "change"),
        ("ROUNDING ADJ", "rounding"),
        ("GST 6%", "tax"),
        ("GST payable (6%):", "tax"),
        ("TOTALTAX", "tax"),
        ("Total GST :", "tax"),
        ("VAT @ 20%", "tax"),
        ("SST 6%", "tax"),
        ("TOTAL INCLUDES 6% GST", "tax"),
        ("GST @6% included in total", "tax"),
        ("TAX INVOICE", "other"),
        ("GST REG NO: 001335787520", "other"),
        ("SpritzerH/Vater", "other"),  # "Vater" is not VAT
        ("TEL: 03-4162 2318", "phone"),
        ("", "none"),
    ],
)
def test_labels_are_classed(label, kind):
    assert classify_label(label)[0] == kind


def test_final_totals_outrank_plain_and_partial_ones():
    assert classify_label("GRAND TOTAL")[1] > classify_label("TOTAL AMOUNT")[1]
    assert classify_label("TOTAL INCL GST")[1] > classify_label("Takeaway total")[1]


@pytest.mark.parametrize(
    "text, values",
    [
        ("TOTAL RM 26.00", [26.00]),
        ("TOTAL: $8.20", [8.20]),
        ("1 x 3.90  3.90", [3.90, 3.90]),
        ("CASH  -50.00", [-50.00]),
        ("TOTAL EUR 22,68", [22.68]),
        ("SR @ 6%  5.57  0.33", [5.57, 0.33]),
        ("TEL: 03-4162.2318", []),  # phone number
        ("Tel.:05.22.95.66.66", []),
        ("Date: 25.12.2018", []),  # a date, not 25.12
        ("SR=6.00%", []),  # a rate
        ("INV#003281900229170", []),
        ("TOTAL RM 12", [12.0]),  # whole amount after a currency
        ("GST ID 000123456789", []),
        ("TOTAL  52 .00", [52.00]),  # a space read before the decimal point, not 0.00
        ("TOTAL  48. 95", [48.95]),
    ],
)
def test_amounts_in_a_row(text, values):
    assert [a.value for a in find_amounts(text)] == values


def test_currency_written_apart_is_kept_with_its_amount():
    (amount,) = find_amounts("Total Sales (Inclusive GST) RM  9.90")
    assert amount.currency == "RM" and amount.value == 9.90


def test_phone_numbers_are_never_the_total():
    record = read("SHOP\nTEL: 012.345 6789\nHotline 1300.88.2525\nDate: 01/02/2019\nITEM A  4.50\nTHANK YOU")
    assert record.value("total") is None
    assert record.status in (STATUS_INCOMPLETE, STATUS_NO_RECEIPT)


def test_a_receipt_without_a_total_says_so_and_invents_none():
    record = read("BEST CAFE\nDate: 01/02/2019\nLATTE  4.50\nSCONE  2.00\nCASH  10.00\nCHANGE  5.00")
    assert record.status == STATUS_INCOMPLETE
    assert record.value("total") is None
    assert "total" in record.reason
    assert record.value("date") == "2019-02-01"


@pytest.mark.parametrize(
    "text, total, why",
    [
        # the total's label misread: the paid amount less the change is printed above the payment
        ("BEST CAFE\nDate: 01/02/2019\nLATTE  4.50\nSCONE  2.00\nTOT\"I  6.50\nCASH  10.00\nCHANGE  3.50", 6.50, "cash - total = change"),
        # "Rounding RM 22.90" is the rounded total, not a 22.90 adjustment: 22.91 - 0.01 is what was paid
        (
            "99 SPEED MART S/B\n13-05-18\nKNORR STOCK  RM16.85\nHYGIENIC  RM6.06\nTotal Sales (Inclusive GST) RM 22.91\n"
            "Rounding Adjustment RM -,01\nRounding RM 22.90\nCASH RM 50.00\nCHANGE RM 27.10",
            22.90,
            "total + rounding adjustment",
        ),
        # a labelled total nothing proves loses to the amount paid with no change given
        ("KING'S CONFECTIONERY S/B\n11/03/18\nKAYA PUFF 4 1.60  6.40\nSLICE CAKE  18.75\nQty 2  25.15\nCash  25.15\nChange  0.00\n"
         "(Total Included GST 6%: 1.42)", 25.15, "cash - total = change"),
        # the total's amount misread ("52-00"): subtotal + tax and paid - change agree on what was paid
        ("SHOP SDN BHD\nDATE: 24/05/2018\nSUB-TOTAL  49.06\nROUNDING  0.00\nTOTAL  52-00\nCASH  52.00\nCHANGE  0.00\nTAX TOTAL:  2.94",
         52.00, "subtotal + tax = total"),
    ],
)
def test_the_receipts_own_arithmetic_chooses_the_total(text, total, why):
    record = read(text)
    assert record.value("total") == total
    assert why in record.field("total").reason


def test_a_misread_total_is_not_taken_from_arithmetic_that_does_not_add_up():
    record = read("BEST CAFE\nDate: 01/02/2019\nLATTE  4.50\nTOTAL  4.50\nCASH  10.00\nCHANGE  5.00")
    assert record.value("total") == 4.50  # the labelled total stands: 10.00 - 5.00 is printed nowhere


def test_dates_in_addresses_lose_to_the_printed_date():
    record = read("ACME SDN BHD\nNO. 3-12-17 JALAN 5/12\nDATE 14-03-18\nTOTAL 5.00")
    assert record.value("date") == "2018-03-14"


def test_vendor_is_not_the_invoice_title_website_phone_or_cashier():
    record = read(
        "*** TAX INVOICE ***\nwww.bestmart.com.my\nBEST MART TRADING\nLot 12, Jalan Ipoh\nTel: 03-1234 5678\n"
        "Cashier: AMIN\nDate: 02/03/2018\nTOTAL 12.00"
    )
    assert record.value("vendor") == "BEST MART TRADING"


@pytest.mark.parametrize(
    "header, vendor",
    [
        # a name written on the slip by hand above the printed one
        ("ahmad bin ali\nSOON HUAT MACHINERY ENTERPRISE\n(JM0352019-K)\nNO.53 JALAN PUTRA 1,", "SOON HUAT MACHINERY ENTERPRISE"),
        # a stamp printed large over the header, and a slogan
        ("POSTED\nGoods sold are not refundable.\nMAJU JAYA BOOKSTORES\nLOT F21, CITTA MALL", "MAJU JAYA BOOKSTORES"),
        # a registration number and branch code glued to the name
        ("KING'S CONFECTIONERY S/B 273500-U (KSB)\nNO.41 JALAN SERI BINTANG 2", "KING'S CONFECTIONERY S/B"),
        # the name goes on after "&" and inside an open bracket
        ("HOME MASTER HARDWARE &\nELECTRICAL\nNO.113G JALAN SETIA", "HOME MASTER HARDWARE & ELECTRICAL"),
        ("AIK HUAT HARDWARE\nENTERPRISE (SETIA\nALAM) SDN BHD\n822737-X\nNO. 17-G, JALAN SETIA INDAH", "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD"),
        # a legal form outweighs words that elsewhere mean "not the name" (CASH, TAMAN)
        ("Segi Cash & Carry Sdn. Bhd.\nPt17920 Sek U9, Shah Alam\nGST Reg No : 001951645696", "Segi Cash & Carry Sdn. Bhd."),
        ("BOOK TA.K (TAMAN DAYA) SDN BHD\n789417-W\nNO.5 JALAN SAGU 18", "BOOK TA.K (TAMAN DAYA) SDN BHD"),
        # labels the recogniser ran together, a state's title and an outlet in brackets are not the name
        ("3180201\nLIM SENG THO HARDWARE TRADING\nCompany RegNo.(002231061-T)\nSELANGOR DARUL EHSAN", "LIM SENG THO HARDWARE TRADING"),
        ("TONYMOLY VIVA CITY\n(TONYMOLY SHOP(95874))\nJALAN WAN ALWI", "TONYMOLY VIVA CITY"),
        # a capital I inside a small-letter word is an l
        ("Geoventure\nTaste Of The WorId Sdn Bhd\n965857-A", "Taste Of The World Sdn Bhd"),

        # the shop's name, not the company introduced as its owner under it
        ("SANYU STATIONERY SHOP\n40170 SETIA ALAM\nOwned By :\nSANYU SUPPLY SDN BHD (1135772-K)", "SANYU STATIONERY SHOP"),
        ("MAJU MINI MART\nOperated by\nMAJU RUNCIT ENTERPRISE SDN BHD", "MAJU MINI MART"),
    ],
)
def test_the_vendor_is_the_line_that_names_the_business(header, vendor):
    record = read(header + "\nDate: 02/03/2018\nTEA  12.00\nTOTAL 12.00")
    assert record.value("vendor") == vendor


def test_vendor_continues_on_the_next_line_and_drops_its_registration_number():
    record = read("3-1708032\nPOPULAR BOOK\nCO. (M) SDN BHD\n(C).NO.113825-W)\nKSL CITY\nDate 06/02/18\nTotal RM 14.65")
    assert record.value("vendor") == "POPULAR BOOK CO. (M) SDN BHD"
    record = read("AEON C0. (M) BHD. (126926-H)\n22/03/2018\nTotal 5.90")
    assert record.value("vendor") == "AEON CO. (M) BHD."


def test_ocr_digits_inside_a_vendor_name_become_letters():
    assert read("Mr.Dakga1bi Solaris\n2018-01-05 22:55\nTOTAL 71.00").value("vendor") == "Mr.Dakgalbi Solaris"
    assert read("MR.D.1.Y.(M) SDN BHD\n18-03-18\nTOTAL RM10.60").value("vendor") == "MR.D.I.Y.(M) SDN BHD"
    assert read("7-ELEVEN 1 STOP\n18-03-18\nTOTAL 3.00").value("vendor") == "7-ELEVEN 1 STOP"


@pytest.mark.parametrize(
    "printed, misread",
    [
        ("99 SPEED MART S/B", "99 SPEED MART 5/8"),
        ("KING'S CONFECTIONERY S/B", "KING'S CONFECTIONERY S/8"),
        ("SUBANG HEALTHCARE SDN BHD", "SUBANG HEALTHCARE SIN BHD"),
        ("AIK HUAT HARDWARE (SETIA ALAM) SDN BHD", "AIK HUAT HARDWARE (SETIA ALAM) SUN 8HD"),
        ("Taste Of The World Sdn. Bhd.", "Taste Of The World Son. Bh0."),
    ],
)
def test_a_misread_legal_form_is_read_as_printed(printed, misread):
    assert read(f"{misread}\nNO. 5 JALAN SAGU\nDate: 02/03/2018\nTEA  12.00\nTOTAL 12.00").value("vendor") == printed


def test_words_that_only_look_like_a_legal_form_stay():
    assert read("SUN MOON CAFE\nDate: 02/03/2018\nTEA  12.00\nTOTAL 12.00").value("vendor") == "SUN MOON CAFE"
    assert read("BAKERY 5/8 KG\nDate: 02/03/2018\nTEA  12.00\nTOTAL 12.00").value("vendor") == "BAKERY 5/8 KG"


def test_totals_that_add_up_are_trusted_more_than_totals_that_do_not():
    good = read("ACME STORE\nDate: 01/02/2019\nITEM A  10.00\nSUBTOTAL  10.00\nTAX  1.00\nTOTAL  11.00\nCASH  20.00\nCHANGE  9.00")
    bad = read("ACME STORE\nDate: 01/02/2019\nITEM A  10.00\nSUBTOTAL  10.00\nTAX  1.00\nTOTAL  15.00\nCASH  20.00\nCHANGE  9.00")
    assert good.value("total") == 11.00 and bad.value("total") == 15.00
    assert good.warnings == ()
    assert "subtotal + tax does not equal the total" in bad.warnings
    assert "cash - total does not equal the change" in bad.warnings
    assert not bad.field("total").valid
    assert bad.field("total").confidence < 0.6 < good.field("total").confidence
    assert bad.reason  # the operator is told


def test_tax_larger_than_total_is_a_contradiction():
    record = read("ACME STORE\nDate: 01/02/2019\nTAX  12.00\nTOTAL  10.00")
    assert "tax is not less than the total" in record.warnings
    assert not record.field("tax").valid


def test_a_long_receipt_whose_items_add_up():
    items = [f"ITEM NUMBER {i:02d}  {i * 1.25:.2f}" for i in range(1, 61)]
    total = sum(i * 1.25 for i in range(1, 61))
    text = "\n".join(["MEGA HARDWARE SDN BHD", "Date: 05/01/2018", *items, f"TOTAL  {total:.2f}", "THANK YOU"])
    record = read(text)
    assert record.value("total") == pytest.approx(total)
    assert "items add up" in record.field("total").reason


def test_the_amount_under_its_label():
    record = read("CAFE ONE\nDate: 01/02/2019\nLATTE  4.50\nTOTAL:\n4.50")
    assert record.value("total") == 4.50


def test_a_dollar_sign_on_a_local_dollar_receipt():
    record = read("KOPI HOUSE PTE LTD\nDate: 01/02/2019\nTOTAL $8.20", currency="SGD")
    assert record.value("currency") == "SGD"


def test_default_currency_when_none_is_printed_is_marked_as_such():
    record = read("ACME STORE\nDate: 01/02/2019\nTOTAL 10.00", currency="PGK")
    assert record.value("currency") == "PGK"
    assert record.field("currency").confidence <= 0.5 and "default" in record.field("currency").reason
    assert read("ACME STORE\nDate: 01/02/2019\nTOTAL 10.00").value("currency") is None


@pytest.mark.parametrize(
    "address, default, currency, country",
    [
        ("NO. 5 JALAN SAGU\n43300 SERI KEMBANGAN, SELANGOR", "", "MYR", "Malaysia"),
        ("1 Orchard Road\nSingapore 238824", "MYR", "SGD", "Singapore"),  # the address outweighs the site's default
        ("Section 54, Waigani Drive\nPort Moresby, NCD", "", "PGK", "Papua New Guinea"),
        ("12 Ayala Avenue, Makati City\nMetro Manila", "", "PHP", "the Philippines"),
    ],
)
def test_no_currency_printed_is_the_currency_of_the_address(address, default, currency, country):
    record = read(f"CORNER SHOP\n{address}\nDate: 01/02/2019\nTEA  10.00\nTOTAL 10.00", currency=default)
    assert record.value("currency") == currency
    field = record.field("currency")
    assert field.reason == f"none printed: the address is in {country}" and 0.5 < field.confidence <= 0.6


def test_a_bare_dollar_is_the_dollar_of_the_address():
    record = read("KOPI HOUSE\n1 Orchard Road, Singapore 238824\nDate: 01/02/2019\nTOTAL $8.20")
    assert record.value("currency") == "SGD" and record.field("currency").reason == "printed on the receipt"


def test_a_bare_dollar_where_the_money_is_not_dollars_is_the_local_currency():
    record = read("KOPI HOUSE SDN BHD\nJalan SS2, Petaling Jaya, Selangor\nDate: 01/02/2019\nTEA  $5.50\nTotal Amount: $5.50")
    assert record.value("currency") == "MYR" and record.field("currency").confidence <= 0.6
    assert record.field("currency").reason == "$ printed, the address is in Malaysia"
    assert read("KOPI HOUSE SDN BHD\nDate: 01/02/2019\nTotal Amount: $5.50").value("currency") == "USD"  # no address


def test_a_misread_sdn_bhd_is_no_currency():
    assert read("Golden Arches Restaurants Sdn Bnd\nDate: 01/02/2019\nTOTAL 10.00").value("currency") is None


def test_printed_currency_and_mixed_places_are_not_overruled_by_an_address():
    assert read("SHOP\nKuala Lumpur\nDate: 01/02/2019\nTOTAL SGD 10.00").value("currency") == "SGD"
    mixed = read("SHOP\nBranches: Kuala Lumpur, Singapore\nDate: 01/02/2019\nTOTAL 10.00")
    assert mixed.value("currency") is None  # two countries named: the address proves nothing
    items = read("FRESH MART\nDate: 01/02/2019\nAPPLE  2.00\nNEW ZEALAND LAMB  8.00\nTOTAL 10.00")
    assert items.value("currency") is None  # where the goods come from is not where the shop is


def test_kina_receipt():
    record = read("BIG ROOSTER LIMITED\nPort Moresby\n22 MAR 2018 14:32\nCHICKEN  K 12.00\nTOTAL  PGK 12.00\nincl. GST 10%  1.09")
    assert record.value("currency") == "PGK" and record.value("total") == 12.00 and record.value("tax") == 1.09


@pytest.mark.parametrize(
    "lines",
    [
        [],
        ["", "   "],
        ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"],
        ["The quick brown fox", "jumps over the lazy dog", "Meeting at 10:30 on 12/03/2019"],
        ["EXIT", "FIRE DOOR KEEP SHUT"],
    ],
)
def test_text_that_is_no_receipt_gives_no_fields(lines):
    record = extract_receipt(lines, today=TODAY)
    assert record.status == STATUS_NO_RECEIPT
    assert record.reason
    assert all(record.value(name) is None for name in RECEIPT_FIELDS)
    assert record.confidence == 0.0


def test_the_record_survives_its_json_form():
    record = read(MALAYSIAN)
    again = record_from_json(record.to_json())
    assert isinstance(again, ReceiptRecord)
    assert again.value("total") == 26.00 and again.lines == record.lines and again.status == STATUS_OK
    for name in RECEIPT_FIELDS:
        assert 0.0 <= record.field(name).confidence <= 1.0
