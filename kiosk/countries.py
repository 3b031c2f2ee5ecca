"""Country codes: ISO 3166-1 alpha-3 with its alpha-2, and the codes ICAO 9303 adds that name a country or none.

MRZ nationality and issuing-state fields carry ISO 3166-1 alpha-3 codes, plus a
few codes ICAO adds: `D` for Germany (the `D<<` of German documents), the
British variants (`GBD`, `GBN`, `GBO`, `GBP`, `GBS`), `RKS` for Kosovo, and
codes with no country at all (UN documents, stateless persons, refugees).
`alpha2()` turns any of them into the ISO alpha-2 code Odoo's
`res.country.code` holds, `country_name()` into the English name shown beside
the code on review; the MRZ reader (`kiosk.ocr.mrz.icao`) builds its
list of valid state codes from these tables plus the codes only it needs.

Core module: `kiosk.ocr` and `kiosk.sync` both use it and may not import each other.
"""

from __future__ import annotations

__all__ = ["ALPHA3_TO_ALPHA2", "COUNTRY_NAMES", "ICAO_SPECIAL", "ISO_ALPHA3", "alpha2", "country_name"]

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


_ISO_NAMES = """
    ABW Aruba; AFG Afghanistan; AGO Angola; AIA Anguilla; ALA Åland Islands; ALB Albania; AND Andorra;
    ARE United Arab Emirates; ARG Argentina; ARM Armenia; ASM American Samoa; ATA Antarctica;
    ATF French Southern Territories; ATG Antigua and Barbuda; AUS Australia; AUT Austria; AZE Azerbaijan;
    BDI Burundi; BEL Belgium; BEN Benin; BES Caribbean Netherlands; BFA Burkina Faso; BGD Bangladesh; BGR Bulgaria;
    BHR Bahrain; BHS Bahamas; BIH Bosnia and Herzegovina; BLM Saint Barthélemy; BLR Belarus; BLZ Belize;
    BMU Bermuda; BOL Bolivia; BRA Brazil; BRB Barbados; BRN Brunei; BTN Bhutan; BVT Bouvet Island; BWA Botswana;
    CAF Central African Republic; CAN Canada; CCK Cocos (Keeling) Islands; CHE Switzerland; CHL Chile; CHN China;
    CIV Côte d'Ivoire; CMR Cameroon; COD DR Congo; COG Congo; COK Cook Islands; COL Colombia; COM Comoros;
    CPV Cabo Verde; CRI Costa Rica; CUB Cuba; CUW Curaçao; CXR Christmas Island; CYM Cayman Islands; CYP Cyprus;
    CZE Czechia; DEU Germany; DJI Djibouti; DMA Dominica; DNK Denmark; DOM Dominican Republic; DZA Algeria;
    ECU Ecuador; EGY Egypt; ERI Eritrea; ESH Western Sahara; ESP Spain; EST Estonia; ETH Ethiopia; FIN Finland;
    FJI Fiji; FLK Falkland Islands; FRA France; FRO Faroe Islands; FSM Micronesia; GAB Gabon; GBR United Kingdom;
    GEO Georgia; GGY Guernsey; GHA Ghana; GIB Gibraltar; GIN Guinea; GLP Guadeloupe; GMB Gambia; GNB Guinea-Bissau;
    GNQ Equatorial Guinea; GRC Greece; GRD Grenada; GRL Greenland; GTM Guatemala; GUF French Guiana; GUM Guam;
    GUY Guyana; HKG Hong Kong; HMD Heard and McDonald Islands; HND Honduras; HRV Croatia; HTI Haiti; HUN Hungary;
    IDN Indonesia; IMN Isle of Man; IND India; IOT British Indian Ocean Territory; IRL Ireland; IRN Iran; IRQ Iraq;
    ISL Iceland; ISR Israel; ITA Italy; JAM Jamaica; JEY Jersey; JOR Jordan; JPN Japan; KAZ Kazakhstan; KEN Kenya;
    KGZ Kyrgyzstan; KHM Cambodia; KIR Kiribati; KNA Saint Kitts and Nevis; KOR South Korea; KWT Kuwait; LAO Laos;
    LBN Lebanon; LBR Liberia; LBY Libya; LCA Saint Lucia; LIE Liechtenstein; LKA Sri Lanka; LSO Lesotho;
    LTU Lithuania; LUX Luxembourg; LVA Latvia; MAC Macao; MAF Saint Martin; MAR Morocco; MCO Monaco; MDA Moldova;
    MDG Madagascar; MDV Maldives; MEX Mexico; MHL Marshall Islands; MKD North Macedonia; MLI Mali; MLT Malta;
    MMR Myanmar; MNE Montenegro; MNG Mongolia; MNP Northern Mariana Islands; MOZ Mozambique; MRT Mauritania;
    MSR Montserrat; MTQ Martinique; MUS Mauritius; MWI Malawi; MYS Malaysia; MYT Mayotte; NAM Namibia;
    NCL New Caledonia; NER Niger; NFK Norfolk Island; NGA Nigeria; NIC Nicaragua; NIU Niue; NLD Netherlands;
    NOR Norway; NPL Nepal; NRU Nauru; NZL New Zealand; OMN Oman; PAK Pakistan; PAN Panama; PCN Pitcairn; PER Peru;
    PHL Philippines; PLW Palau; PNG Papua New Guinea; POL Poland; PRI Puerto Rico; PRK North Korea; PRT Portugal;
    PRY Paraguay; PSE Palestine; PYF French Polynesia; QAT Qatar; REU Réunion; ROU Romania; RUS Russia; RWA Rwanda;
    SAU Saudi Arabia; SDN Sudan; SEN Senegal; SGP Singapore; SGS South Georgia; SHN Saint Helena;
    SJM Svalbard and Jan Mayen; SLB Solomon Islands; SLE Sierra Leone; SLV El Salvador; SMR San Marino;
    SOM Somalia; SPM Saint Pierre and Miquelon; SRB Serbia; SSD South Sudan; STP Sao Tome and Principe;
    SUR Suriname; SVK Slovakia; SVN Slovenia; SWE Sweden; SWZ Eswatini; SXM Sint Maarten; SYC Seychelles;
    SYR Syria; TCA Turks and Caicos Islands; TCD Chad; TGO Togo; THA Thailand; TJK Tajikistan; TKL Tokelau;
    TKM Turkmenistan; TLS Timor-Leste; TON Tonga; TTO Trinidad and Tobago; TUN Tunisia; TUR Türkiye; TUV Tuvalu;
    TWN Taiwan; TZA Tanzania; UGA Uganda; UKR Ukraine; UMI US Minor Outlying Islands; URY Uruguay;
    USA United States; UZB Uzbekistan; VAT Vatican City; VCT Saint Vincent and the Grenadines; VEN Venezuela;
    VGB British Virgin Islands; VIR US Virgin Islands; VNM Vietnam; VUT Vanuatu; WLF Wallis and Futuna; WSM Samoa;
    YEM Yemen; ZAF South Africa; ZMB Zambia; ZWE Zimbabwe
"""
"""Each entry is an alpha-3 code and the country's short English name (ISO 3166-1, as Debian's iso-codes has it)."""

_ICAO_NAMES = {
    "D": "Germany",
    "GBD": "United Kingdom (overseas territories citizen)",
    "GBN": "United Kingdom (national, overseas)",
    "GBO": "United Kingdom (overseas citizen)",
    "GBP": "United Kingdom (protected person)",
    "GBS": "United Kingdom (subject)",
    "RKS": "Kosovo",
    "UNO": "United Nations",
    "UNA": "United Nations agency",
    "UNK": "Kosovo (UNMIK)",
    "XXA": "Stateless",
    "XXB": "Refugee",
    "XXC": "Refugee (other)",
    "XXX": "Unspecified",
    "EUE": "European Union",
    "XOM": "Sovereign Military Order of Malta",
    "XPO": "Interpol",
    "XCC": "Caribbean Community",
    "XES": "Organisation of Eastern Caribbean States",
    "XBA": "African Development Bank",
    "XIM": "African Export-Import Bank",
    "XDC": "Southern African Development Community",
    "UTO": "Utopia (specimen)",
}
"""Names for the codes ICAO 9303 part 3 adds (`ICAO_SPECIAL`, the organisations, and specimens' Utopia)."""

COUNTRY_NAMES: dict[str, str] = {
    **{entry.strip()[:3]: entry.strip()[4:] for entry in _ISO_NAMES.split(";") if entry.strip()},
    **_ICAO_NAMES,
}
"""MRZ country code -> English name."""


def country_name(code: str | None) -> str | None:
    """The English name of an MRZ nationality or issuing-state code (`D<<` too), or None for an unknown code."""
    if not code:
        return None
    return COUNTRY_NAMES.get(code.strip("<").strip().upper())
