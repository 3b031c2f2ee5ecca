"""Country codes: ISO 3166-1 alpha-3 with its alpha-2, and the codes ICAO 9303 adds that name a country or none.

MRZ nationality and issuing-state fields carry ISO 3166-1 alpha-3 codes, plus a
few codes ICAO adds: `D` for Germany (the `D<<` of German documents), the
British variants (`GBD`, `GBN`, `GBO`, `GBP`, `GBS`), `RKS` for Kosovo, and
codes with no country at all (UN documents, stateless persons, refugees).
`alpha2()` turns any of them into the ISO alpha-2 code Odoo's
`res.country.code` holds; the MRZ reader (`kiosk.ocr.mrz.icao`) builds its
list of valid state codes from these tables plus the codes only it needs.

Core module: `kiosk.ocr` and `kiosk.sync` both use it and may not import each other.
"""

from __future__ import annotations

__all__ = ["ALPHA3_TO_ALPHA2", "ICAO_SPECIAL", "ISO_ALPHA3", "alpha2"]

_ISO_PAIRS = """
    ABWAW AFGAF AGOAO AIAAI ALAAX ALBAL ANDAD AREAE ARGAR ARMAM ASMAS ATAAQ ATFTF ATGAG AUSAU
    AUTAT AZEAZ BDIBI BELBE BENBJ BESBQ BFABF BGDBD BGRBG BHRBH BHSBS BIHBA BLMBL BLRBY BLZBZ
    BMUBM BOLBO BRABR BRBBB BRNBN BTNBT BVTBV BWABW CAFCF CANCA CCKCC CHECH CHLCL CHNCN CIVCI
    CMRCM CODCD COGCG COKCK COLCO COMKM CPVCV CRICR CUBCU CUWCW CXRCX CYMKY CYPCY CZECZ DEUDE
    DJIDJ DMADM DNKDK DOMDO DZADZ ECUEC EGYEG ERIER ESHEH ESPES ESTEE ETHET FINFI FJIFJ FLKFK
    FRAFR FROFO FSMFM GABGA GBRGB GEOGE GGYGG GHAGH GIBGI GINGN GLPGP GMBGM GNBGW GNQGQ GRCGR
    GRDGD GRLGL GTMGT GUFGF GUMGU GUYGY HKGHK HMDHM HNDHN HRVHR HTIHT HUNHU IDNID IMNIM INDIN
    IOTIO IRLIE IRNIR IRQIQ ISLIS ISRIL ITAIT JAMJM JEYJE JORJO JPNJP KAZKZ KENKE KGZKG KHMKH
    KIRKI KNAKN KORKR KWTKW LAOLA LBNLB LBRLR LBYLY LCALC LIELI LKALK LSOLS LTULT LUXLU LVALV
    MACMO MAFMF MARMA MCOMC MDAMD MDGMG MDVMV MEXMX MHLMH MKDMK MLIML MLTMT MMRMM MNEME MNGMN
    MNPMP MOZMZ MRTMR MSRMS MTQMQ MUSMU MWIMW MYSMY MYTYT NAMNA NCLNC NERNE NFKNF NGANG NICNI
    NIUNU NLDNL NORNO NPLNP NRUNR NZLNZ OMNOM PAKPK PANPA PCNPN PERPE PHLPH PLWPW PNGPG POLPL
    PRIPR PRKKP PRTPT PRYPY PSEPS PYFPF QATQA REURE ROURO RUSRU RWARW SAUSA SDNSD SENSN SGPSG
    SGSGS SHNSH SJMSJ SLBSB SLESL SLVSV SMRSM SOMSO SPMPM SRBRS SSDSS STPST SURSR SVKSK SVNSI
    SWESE SWZSZ SXMSX SYCSC SYRSY TCATC TCDTD TGOTG THATH TJKTJ TKLTK TKMTM TLSTL TONTO TTOTT
    TUNTN TURTR TUVTV TWNTW TZATZ UGAUG UKRUA UMIUM URYUY USAUS UZBUZ VATVA VCTVC VENVE VGBVG
    VIRVI VNMVN VUTVU WLFWF WSMWS YEMYE ZAFZA ZMBZM ZWEZW
"""
"""Each word is an alpha-3 code followed by its alpha-2 code (from ISO 3166-1, 249 countries)."""

ALPHA3_TO_ALPHA2: dict[str, str] = {word[:3]: word[3:] for word in _ISO_PAIRS.split()}
ISO_ALPHA3 = frozenset(ALPHA3_TO_ALPHA2)
"""The 249 ISO 3166-1 alpha-3 codes."""

ICAO_SPECIAL: dict[str, str | None] = {
    "D": "DE",
    "GBD": "GB",  # British Overseas Territories Citizen
    "GBN": "GB",  # British National (Overseas)
    "GBO": "GB",  # British Overseas Citizen
    "GBP": "GB",  # British Protected Person
    "GBS": "GB",  # British Subject
    "RKS": "XK",  # Kosovo
    "UNO": None,  # United Nations Organization official
    "UNA": None,  # United Nations specialized agency official
    "UNK": None,  # resident of Kosovo under UNMIK
    "XXA": None,  # stateless person
    "XXB": None,  # refugee (1951 Convention)
    "XXC": None,  # refugee (other)
    "XXX": None,  # unspecified nationality
    "EUE": None,  # European Union
}
"""Codes ICAO 9303 part 3 adds to ISO 3166-1, with the ISO alpha-2 code of the country they belong to (None: none)."""


def alpha2(code: str | None) -> str | None:
    """The ISO alpha-2 code for an MRZ country code, or None when it names no country."""
    if not code:
        return None
    key = code.strip("<").strip().upper()
    if key in ICAO_SPECIAL:
        return ICAO_SPECIAL[key]
    return ALPHA3_TO_ALPHA2.get(key)
