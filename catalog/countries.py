"""Country names as people read them in English: CLDR's names, and the UK's home nations.

django-countries names countries after ISO 3166-1, mostly in their common form; where its
name differs from CLDR's English display name (CLDR 49, checked with Babel 2.19) CLDR wins:
"United States", not "United States of America". For Hong Kong, Macao and Palestine CLDR's
short form is used (its default adds "SAR China" / "Territories").

England, Scotland, Wales and Northern Ireland have no ISO 3166-1 code; a band from Scotland
is from Scotland, not from "United Kingdom". They are added under their ISO 3166-2
subdivision codes (GB-SCT, …), so the country fields hold them like any country.

`metalfests.settings.base` hands `COUNTRIES_OVERRIDE` to django-countries. No Django imports here.
"""

HOME_NATIONS = {
    "GB-ENG": "England",
    "GB-NIR": "Northern Ireland",
    "GB-SCT": "Scotland",
    "GB-WLS": "Wales",
}

CLDR_NAMES = {
    "AG": "Antigua & Barbuda",  # django-countries: Antigua and Barbuda
    "BA": "Bosnia & Herzegovina",  # django-countries: Bosnia and Herzegovina
    "BL": "St. Barthélemy",  # django-countries: Saint Barthélemy
    "BQ": "Caribbean Netherlands",  # django-countries: Bonaire, Sint Eustatius and Saba
    "BS": "Bahamas",  # django-countries: Bahamas (The)
    "CD": "Congo - Kinshasa",  # django-countries: Democratic Republic of the Congo
    "CG": "Congo - Brazzaville",  # django-countries: Congo
    "CI": "Côte d’Ivoire",  # django-countries: Côte d'Ivoire
    "CV": "Cape Verde",  # django-countries: Cabo Verde
    "FK": "Falkland Islands",  # django-countries: Falkland Islands (Malvinas)
    "GS": "South Georgia & South Sandwich Islands",  # django-countries: South Georgia
    "HK": "Hong Kong",  # CLDR short form (default: Hong Kong SAR China);  # django-countries: Hong Kong
    "HM": "Heard Island & McDonald Islands",  # django-countries: Heard Island and McDonald Islands
    "KN": "St. Kitts & Nevis",  # django-countries: Saint Kitts and Nevis
    "LC": "St. Lucia",  # django-countries: Saint Lucia
    "MF": "St. Martin",  # django-countries: Saint Martin (French part)
    "MM": "Myanmar (Burma)",  # django-countries: Myanmar
    "MO": "Macao",  # CLDR short form (default: Macao SAR China);  # django-countries: Macao
    "NR": "Nauru",  # django-countries: Naoero
    "PM": "St. Pierre & Miquelon",  # django-countries: Saint Pierre and Miquelon
    "PN": "Pitcairn Islands",  # django-countries: Pitcairn
    "PS": "Palestine",  # CLDR short form (default: Palestinian Territories);  # django-countries: Palestine
    "SH": "St. Helena, Ascension & Tristan da Cunha",  # django-countries: Saint Helena
    "SJ": "Svalbard & Jan Mayen",  # django-countries: Svalbard and Jan Mayen
    "ST": "São Tomé & Príncipe",  # django-countries: Sao Tome and Principe
    "SX": "Sint Maarten",  # django-countries: Sint Maarten (Dutch part)
    "TC": "Turks & Caicos Islands",  # django-countries: Turks and Caicos Islands
    "TF": "French Southern and Antarctic Lands",  # django-countries: French Southern Territories
    "TT": "Trinidad & Tobago",  # django-countries: Trinidad and Tobago
    "UM": "U.S. Outlying Islands",  # django-countries: United States Minor Outlying Islands
    "US": "United States",  # django-countries: United States of America
    "VC": "St. Vincent & Grenadines",  # django-countries: Saint Vincent and the Grenadines
    "VG": "British Virgin Islands",  # django-countries: Virgin Islands (British)
    "VI": "U.S. Virgin Islands",  # django-countries: Virgin Islands (U.S.)
    "WF": "Wallis & Futuna",  # django-countries: Wallis and Futuna
}

COUNTRIES_OVERRIDE = {**CLDR_NAMES, **HOME_NATIONS}
