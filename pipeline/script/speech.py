"""Text normalised for speech: the numbers, dates, amounts, symbols and abbreviations TTS engines
stumble over, in words, and the dashes and ellipses they skip over, as pauses.

English only, American by default (``640`` → "six hundred forty", ``50%`` → "fifty percent").
``RULES`` is a table of named context rules applied in order, each seeing the text as the rules
before it left it; num2words does the spelling. ``spoken(text)`` also says which rules fired, so a
draft's note can name them ("spoken: year 1957, money £265m"). docs/spoken-forms.md lists the rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from num2words import num2words

_LARGEST = 10**15
"""Numbers from here up are read digit by digit (account numbers, not amounts)."""
_DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _american(words: str) -> str:
    # num2words writes British "six hundred and forty" and "one million, two hundred …"
    return words.replace(",", "").replace(" and ", " ")


def cardinal(n: int) -> str:
    """``640`` → ``six hundred forty``; ``-3`` → ``minus three``."""
    if abs(n) >= _LARGEST:
        return ("minus " if n < 0 else "") + digits(str(abs(n)))
    return _american(num2words(n))


def ordinal(n: int) -> str:
    """``21`` → ``twenty-first``."""
    return _american(num2words(n, to="ordinal"))


def year(n: int) -> str:
    """``1999`` → ``nineteen ninety-nine``, ``1905`` → ``nineteen oh five``, ``2008`` → ``two thousand
    eight``, ``2017`` → ``twenty seventeen``."""
    if not 1000 <= n <= 9999:
        return cardinal(n)
    return _american(num2words(n, to="year")).replace("oh-", "oh ")


def digits(text: str) -> str:
    """``007`` → ``zero zero seven``."""
    return " ".join(_DIGIT_NAMES[int(d)] for d in text if d.isdigit())


def number(text: str) -> str:
    """A written number (``1,000``, ``3.14``, ``.5``, ``007``) in words."""
    whole, _, fraction = text.replace(",", "").partition(".")
    if len(whole) > 1 and whole.startswith("0"):
        words = digits(whole)
    else:
        words = cardinal(int(whole)) if whole else ""
    if fraction:
        words = f"{words} point {digits(fraction)}".strip()
    return words


def _plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "x", "ch")) else "s")


@dataclass(frozen=True)
class Rule:
    """One context rule: where it applies and how it is said."""

    name: str
    """What the note calls it ("year", "money", …)."""
    pattern: re.Pattern[str]
    """Where it applies."""
    spell: Callable[[re.Match[str]], str]
    """The spoken form of one match."""


@dataclass(frozen=True)
class Spoken:
    """A text as it is said, and what was changed to say it."""

    text: str
    """The text for the voice."""
    fired: tuple[str, ...]
    """Each change as ``rule written-form`` ("year 1957"), in order, without repeats."""

    @property
    def note(self) -> str:
        """The changes as a script note ("spoken: year 1957, money £265m"), or "" if none."""
        return "spoken: " + ", ".join(self.fired) if self.fired else ""


def _ends(match: re.Match[str]) -> bool:
    """Whether nothing but closing quotes and brackets follows the match."""
    return not match.string[match.end():].strip(" \"”’')]")


def _with_stop(match: re.Match[str], words: str) -> str:
    """An abbreviation's words; its full stop stays where it also ended the text."""
    return words + "." if match[0].endswith(".") and _ends(match) else words


# --- characters -----------------------------------------------------------------------------------

def _control(match: re.Match[str]) -> str:
    char = match[0]
    if "\x80" <= char <= "\x9f":  # a Windows-1252 byte decoded as Latin-1: say what was meant
        return bytes([ord(char)]).decode("cp1252", errors="ignore")
    return "" if char in "\u00ad\u200b\u200c\u200d\u2060\ufeff" else " "


def _pause(match: re.Match[str]) -> str:
    """A dash or ellipsis as a comma-like break (engines skip the marks themselves: no pause)."""
    before = match.string[:match.start()].rstrip()
    if not before or _ends(match):
        return ""
    opening = before[-1] in "“‘(" or (before[-1] in "\"'" and before[:-1][-1:] in ("", " "))
    if opening:
        return ""
    return " " if before[-1] in ".,;:!?" else ", "


def _ellipsis(match: re.Match[str]) -> str:
    before = match.string[:match.start()].rstrip()
    if _ends(match) and before and before[-1] not in ".,;:!?":
        return "."
    return _pause(match)


# --- abbreviations --------------------------------------------------------------------------------

TITLES = {"Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Dr": "Doctor", "Prof": "Professor",
          "Rev": "Reverend", "Capt": "Captain", "Sgt": "Sergeant", "Lt": "Lieutenant", "Gen": "General",
          "Col": "Colonel", "Gov": "Governor", "Sen": "Senator", "Rep": "Representative", "Hon": "Honorable",
          "Mt": "Mount", "Ft": "Fort"}
"""Titles before a name. The first five are also written without a full stop (British ``Mr Brown``)."""
_BARE_TITLES = ("Mr", "Mrs", "Ms", "Dr", "Prof")
ABBREVIATIONS = {"e.g": "for example", "i.e": "that is", "etc": "et cetera", "vs": "versus",
                 "approx": "approximately", "cf": "compare", "et al": "and others", "viz": "namely",
                 "Jr": "Junior", "Sr": "Senior", "Bros": "Brothers", "Inc": "Incorporated",
                 "Ltd": "Limited", "Corp": "Corporation", "Co": "Company", "Dept": "Department"}
"""Abbreviations said in full, with or without their full stop."""
_COUNTED = {"No": "number", "Nos": "numbers", "p": "page", "pp": "pages", "Fig": "figure", "fig": "figure",
            "Vol": "volume", "vol": "volume", "Ch": "chapter", "ch": "chapter", "Ep": "episode", "c": "circa",
            "ca": "circa", "est": "established"}
"""Abbreviations that name what the number after them counts (``No. 5``, ``p. 12``)."""
_STOPLESS_RISKY = frozenset({"Co", "Inc", "Ltd", "Corp", "Dept", "Bros"})
"""Said in full only with their full stop (``Co`` alone may be a word or a prefix)."""


def _saint_or_street(match: re.Match[str]) -> str:
    """``St. Louis`` → Saint (a name follows); ``Baker St.``, ``42nd St. Mary`` → Street."""
    after_number = re.search(r"\d\w*\s+\Z", match.string[:match.start()]) is not None
    if not after_number and match.string[match.end():].lstrip()[:1].isupper():
        return "Saint"
    return _with_stop(match, "Street")


def _counted(match: re.Match[str]) -> str:
    word = _COUNTED[match["abbr"]]
    return (word.capitalize() if match.start() == 0 else word) + " "


# --- Roman numerals -------------------------------------------------------------------------------

_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_ROMAN = r"(?=[IVXLCDM])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_COUNTING_WORDS = ("Chapter|Part|Book|Volume|Vol\\.|Act|Scene|Section|Article|Appendix|Canto|Psalm|Phase|"
                   "Step|Stage|Level|Round|Episode|Season|Series|Tome|Letter|Lecture|Essay|Stanza|Plate|"
                   "Table|Figure|War|Bowl|Apollo|Vatican Council|Class|Type|Title|Schedule|Annex|Amendment")
"""Words after which a Roman numeral is a plain count: Chapter IV → "Chapter four"."""
_PROPER_COUNTS = frozenset({"War", "Bowl", "Apollo", "Vatican Council"})
"""Names whose number is part of the name: World War II → "World War Two"."""
REGNAL_LIMIT = 39
"""A numeral after a name (Louis XIV, John Paul II) is a regnal ordinal up to this value."""


def roman(text: str) -> int:
    """``XIV`` → 14 (``text`` must be a valid numeral, either case)."""
    values = [_ROMAN_VALUES[c] for c in text.upper()]
    return sum(-v if v < w else v for v, w in zip(values, [*values[1:], 0], strict=True))


def _counting_numeral(match: re.Match[str]) -> str:
    words = cardinal(roman(match["numeral"]))
    if match["word"] in _PROPER_COUNTS:
        words = words.title()
    return f"{match['word']} {words}" + ("." if match["stop"] and _ends(match) else "")


def _regnal(match: re.Match[str]) -> str:
    return f"{match['name']} the {ordinal(roman(match['numeral'])).title()}"


_LISTED = re.compile(r"(?<![\w'’])(?P<numeral>" + _ROMAN + r")\.?(?=\s+[A-Z\"“])")
LISTED_MIN = 3
"""Numerals before titles are list numbers when at least this many run in sequence (a table of contents)."""


def _listed_numeral(match: re.Match[str]) -> str:
    """XXIX Humanity … XXX The Little Birds …: one of a run of numbered titles is a count."""
    values = {roman(m["numeral"]) for m in _LISTED.finditer(match.string)}
    value = low = high = roman(match["numeral"])
    while low - 1 in values:
        low -= 1
    while high + 1 in values:
        high += 1
    return cardinal(value) if high - low + 1 >= LISTED_MIN else match[0]


def _heading_numeral(match: re.Match[str]) -> str:
    return cardinal(roman(match["numeral"])).capitalize() + "."


# --- numbers in context ---------------------------------------------------------------------------

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_MONTH_ABBREVIATIONS = {m[:3]: m for m in _MONTHS} | {"Sept": "September"}
_MONTH = ("(?P<month>(?:" + "|".join(_MONTHS) + "|" + "|".join(_MONTH_ABBREVIATIONS) + r")\b\.?)")
_YEAR = r"(?:1[0-9]|20)\d\d"
_COUNTED_NOUN = (r"\s+(?:(?!(?:was|is|has|as|his|its|this|thus|us|yes|less|unless|plus|across|always|does|"
                 r"goes|says|sees|saw|gets|makes|takes|comes|seems|means|marks|brings|begins|ends)\b)[a-z]+s"
                 r"|people|men|women|children|feet|sheep|fish|times)\b")
"""A plural noun after a four-digit number makes it a count (1500 votes), not a year (1957 was)."""


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _name_number(match: re.Match[str]) -> str:
    """A number that is part of a name is read in pairs: Boeing 747 → "seven forty-seven", Mr 2940 →
    "twenty-nine forty", Room 101 → "one oh one" (a round Top 100 stays "one hundred")."""
    value = match["n"]
    if len(value) == 3 and value[1:] != "00":
        spoken = f"{cardinal(int(value[0]))} {'oh ' if value[1] == '0' else ''}{cardinal(int(value[1:]))}"
    else:
        spoken = year(int(value))
    return f"{match['name']} {spoken}"


def _month(match: re.Match[str]) -> str:
    name = match["month"].rstrip(".")
    return _MONTH_ABBREVIATIONS.get(name, name)


def _month_day_year(match: re.Match[str]) -> str:
    spoken = f"{_month(match)} {ordinal(int(match['day']))}"
    return spoken + (f"{match['sep'] or ' '}{year(int(match['year']))}" if match["year"] else "")


def _day_month_year(match: re.Match[str]) -> str:
    the = "" if re.search(r"\bthe\s+\Z", match.string[:match.start()], re.I) else "the "
    spoken = f"{the}{ordinal(int(match['day']))} of {_month(match)}"
    return spoken + (f" {year(int(match['year']))}" if match["year"] else "")


def _numeric_date(match: re.Match[str]) -> str:
    """``2020-01-01`` and American ``7/4/1776`` (month first) as "July fourth, seventeen seventy-six"."""
    month = _MONTHS[int(match["m"]) - 1]
    return f"{month} {ordinal(int(match['d']))}, {year(int(match['y']))}"


def _year_range(match: re.Match[str]) -> str:
    first, second = match["first"], match["second"]
    if len(second) == 2:  # 1990-95: the century carries over
        return f"{year(int(first))} to {'oh ' if second[0] == '0' else ''}{cardinal(int(second))}"
    return f"{year(int(first))} to {year(int(second))}"


def _decade(match: re.Match[str]) -> str:
    value = match["decade"]
    words = year(int(value)) if len(value) == 4 else cardinal(int(value[-2:]))
    return _plural(words)


def _clock(match: re.Match[str]) -> str:
    minutes = int(match["minutes"] or 0)
    spoken = cardinal(int(match["hours"]))
    if minutes:
        spoken += f" {'oh ' if minutes < 10 else ''}{cardinal(minutes)}"
    return f"{spoken} {match['half'].upper()} M" + ("." if match[0].endswith(".") and _ends(match) else "")


def _time(match: re.Match[str]) -> str:
    hours, minutes = int(match["hours"]), int(match["minutes"])
    if minutes == 0:
        return f"{cardinal(hours)} hundred" if hours > 12 or match["hours"].startswith("0") else \
            f"{cardinal(hours)} o'clock"
    return f"{cardinal(hours)} {'oh ' if minutes < 10 else ''}{cardinal(minutes)}"


def _ratio(match: re.Match[str]) -> str:
    first, second = int(match["first"]), int(match["second"])
    if first == second == 1 and match["noun"]:
        return "one-on-one" + match["noun"]  # a 1:1 meeting
    return f"{cardinal(first)} to {cardinal(second)}{match['noun'] or ''}"


# --- amounts --------------------------------------------------------------------------------------

CURRENCIES = {"$": ("dollar", "cent"), "US$": ("dollar", "cent"), "€": ("euro", "cent"),
              "£": ("pound", "penny"), "¥": ("yen", "")}
"""Sign → (unit, hundredth)."""
_CENTS_WITH_AND = frozenset({"$", "US$"})
"""Currencies said "three dollars and fifty cents"; the others "three pounds fifty"."""
MAGNITUDES = {"k": "thousand", "K": "thousand", "thousand": "thousand", "m": "million", "M": "million",
              "mn": "million", "mln": "million", "million": "million", "b": "billion", "bn": "billion",
              "B": "billion", "billion": "billion", "t": "trillion", "tn": "trillion", "trillion": "trillion"}
_MAGNITUDE = "|".join(sorted(map(re.escape, MAGNITUDES), key=len, reverse=True))
_IRREGULAR = {"penny": "pence", "yen": "yen", "foot": "feet", "inch": "inches",
              "mile per hour": "miles per hour", "kilometer per hour": "kilometers per hour"}


def _many(unit: str, count_words: str, attributive: bool) -> str:
    if attributive or count_words in ("one", "minus one"):
        return unit
    return _IRREGULAR.get(unit) or _plural(unit)


_APPROXIMATE = re.compile(r"-(?:something|odd|ish|plus)\b")
"""A hyphen that makes an amount vague ($16-something), not an adjective."""
_UNIT_PRICE = re.compile(r"\s+(?:a|an|per|each)\b")
"""After a price with cents the units are left out: $16.99 a pound → "sixteen ninety-nine a pound"."""


_AFTER_ARTICLE = re.compile(r"\b[Aa]n?\s+\Z")


def _attributive(match: re.Match[str]) -> bool:
    """A counted unit used as an adjective: after "a"/"an" (a $800 bill) or joined by a hyphen."""
    rest = match.string[match.end():]
    after_article = _AFTER_ARTICLE.search(match.string, 0, match.start()) is not None
    return after_article or (rest.startswith("-") and not _APPROXIMATE.match(rest))


def amount(sign: str, written: str, magnitude: str | None = None, attributive: bool = False,
           unit_price: bool = False) -> str:
    """``$3.50`` → ``three dollars and fifty cents``, ``£265`` + ``m`` → ``two hundred sixty-five million
    pounds``, ``€12.50`` → ``twelve euros fifty``; ``attributive``: ``eight hundred dollar`` (bill)."""
    unit, hundredth = CURRENCIES[sign]
    written = written.replace(",", "")
    if magnitude:
        return f"{number(written)} {MAGNITUDES[magnitude]} {_many(unit, '', attributive)}"
    whole, _, cents = written.partition(".")
    count = number(whole or "0")
    if cents and (len(cents) != 2 or not hundredth):
        return f"{number(written)} {_many(unit, '', attributive)}"
    if cents and int(cents) and unit_price and int(whole or 0):
        return f"{count} {cardinal(int(cents))}"
    words = f"{count} {_many(unit, count, attributive)}"
    if cents and int(cents):
        cents_words = cardinal(int(cents))
        if not int(whole or 0):  # $0.99: the cents alone
            return f"{cents_words} {_many(hundredth, cents_words, attributive)}"
        if sign in _CENTS_WITH_AND:
            words += f" and {cents_words} {_many(hundredth, cents_words, False)}"
        else:
            words += f" {cents_words}"
    return words


def _money(match: re.Match[str]) -> str:
    unit_price = _UNIT_PRICE.match(match.string, match.end()) is not None
    return amount(match["sign"], match["amount"], match["magnitude"], _attributive(match), unit_price)


def _money_range(match: re.Match[str]) -> str:
    """``$24 to $28`` → ``twenty-four to twenty-eight dollars``: the unit is said once, at the end."""
    first = number(match["first"]) if "." not in match["first"] else amount(match["sign"], match["first"])
    return f"{first} to {amount(match['sign'], match['amount'], match['magnitude'], _attributive(match))}"


def _pence(match: re.Match[str]) -> str:
    count = number(match["amount"])
    return f"{count} {'penny' if count == 'one' else 'pence'}"


def _cents(match: re.Match[str]) -> str:
    count = number(match["amount"])
    return f"{count} {'cent' if count == 'one' else 'cents'}"


UNITS = {"km": "kilometer", "kg": "kilogram", "g": "gram", "mg": "milligram", "cm": "centimeter",
         "mm": "millimeter", "ml": "milliliter", "mph": "mile per hour", "kph": "kilometer per hour",
         "km/h": "kilometer per hour", "lb": "pound", "lbs": "pound", "oz": "ounce", "ft": "foot",
         "sq ft": "square foot", "GB": "gigabyte", "MB": "megabyte", "KB": "kilobyte", "TB": "terabyte",
         "GHz": "gigahertz", "MHz": "megahertz", "kHz": "kilohertz", "Hz": "hertz", "kW": "kilowatt",
         "kWh": "kilowatt hour", "hr": "hour", "hrs": "hour", "min": "minute", "mins": "minute",
         "sec": "second", "secs": "second", "ms": "millisecond", "yd": "yard", "yds": "yard",
         "mi": "mile", "m²": "square meter", "km²": "square kilometer"}
"""Unit abbreviations after a number (letters-only symbols such as ``m`` or ``s`` are too ambiguous)."""
_UNIT = "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))


def _unit(match: re.Match[str]) -> str:
    count = number(match["amount"])
    return f"{count} {_many(UNITS[match['unit']], count, _attributive(match))}"


def _degrees(match: re.Match[str]) -> str:
    count = number(match["amount"])
    scale = {"C": " Celsius", "F": " Fahrenheit", "K": " kelvin"}.get(match["scale"] or "", "")
    return f"{count} {'degree' if count == 'one' else 'degrees'}{scale}"


_FRACTIONS = {"½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅛": (1, 8),
              "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8)}
_DENOMINATORS = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def fraction(numerator: int, denominator: int) -> str:
    """``3/4`` → ``three quarters``, ``5/8`` → ``five eighths``."""
    one, many = _DENOMINATORS.get(denominator) or (ordinal(denominator), _plural(ordinal(denominator)))
    return f"{cardinal(numerator)} {one if numerator == 1 else many}"


def _fraction(match: re.Match[str]) -> str:
    whole = match["whole"]
    if match["glyph"]:
        numerator, denominator = _FRACTIONS[match["glyph"]]
    else:
        numerator, denominator = int(match["num"]), int(match["den"])
    words = fraction(numerator, denominator)
    if numerator == 1:
        words = "a " + words.split(" ", 1)[1]  # two and a half
        words = words if whole else "one " + words[2:]
    return f"{cardinal(int(whole))} and {words}" if whole else words


def _scientific(match: re.Match[str]) -> str:
    exponent = int(match["exponent"])
    power = ordinal(abs(exponent)) if exponent > 0 else "minus " + cardinal(-exponent)
    return f"{number(match['mantissa'])} times ten to the {power}" if exponent > 0 else \
        f"{number(match['mantissa'])} times ten to the power of {power}"


def _ordinal(match: re.Match[str]) -> str:
    words = ordinal(int(match["n"]))
    return _plural(words) if match["plural"] else words


_GLUED_WORDS = {"x": "times", "k": "thousand", "bn": "billion", "tn": "trillion"}
_COUNTED_AFTER = re.compile(r"\s+[a-z]+s\b")


def _glued(match: re.Match[str]) -> str:
    """A number joined to a word (1010data, 3D, 4K, 10x, 1.5m euros): a four-digit name is read in pairs."""
    value, word = match["n"], match["word"]
    spoken = year(int(value)) if len(value) == 4 and value.isdigit() else number(value)
    if word == "s":
        return _plural(spoken)  # the 100s
    if word == "m":  # 1.5m euros, but a 5m wall
        word = "million" if _COUNTED_AFTER.match(match.string, match.end()) else "meters"
    return f"{spoken} {_GLUED_WORDS.get(word, word)}"


def _height(match: re.Match[str]) -> str:
    return f"{cardinal(int(match['feet']))} foot {cardinal(int(match['inches']))}"


def _short_year(match: re.Match[str]) -> str:
    value = match["yy"]
    return ("oh " if value[0] == "0" else "") + cardinal(int(value))


PHONE_DIGITS = 7
"""A run of digit groups starting with 0 or + is a phone number from this many digits up."""


def _phone(match: re.Match[str]) -> str:
    groups = re.findall(r"\d+", match[0])
    if sum(map(len, groups)) < PHONE_DIGITS:
        return match[0]
    return ("plus " if match[0].startswith("+") else "") + ", ".join(digits(group) for group in groups)


_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff]"
"""Control characters, Windows-1252 bytes read as Latin-1 (U+0080–U+009F), soft hyphens, zero widths."""

RULES: tuple[Rule, ...] = (
    Rule("control character", re.compile(_CONTROL), _control),
    Rule("ellipsis", re.compile(r"\s*(?:…|\.\s?\.\s?\.)\s*"), _ellipsis),
    Rule("dash", re.compile(r"\s*(?:-{2,}|[—―])\s*|(?<!\d)\s+[-–]\s+|\s+[-–]\s+(?!\d)"
                            r"|(?<!\d)–|–(?!\d)"), _pause),
    Rule("title", re.compile(r"(?<!\d )\b(?:(?P<title>" + "|".join(TITLES) + r")\.(?=\s+(?:[A-Z\d]|and\b|&))"
                             r"|(?P<bare>" + "|".join(_BARE_TITLES) + r")(?=\s+[A-Z\d]))"),
         lambda m: TITLES[m["title"] or m["bare"]]),
    Rule("saint or street", re.compile(r"\bSt\b\.?(?=\s|[,;:)]|$)"), _saint_or_street),
    Rule("abbreviation", re.compile(
        r"(?<![\w.])(?P<abbr>" + "|".join(re.escape(a) for a in ABBREVIATIONS if a not in _STOPLESS_RISKY)
        + r")(?:\.|\b)(?=\s|[,;:)\]\"”’']|$)|(?<![\w.])(?P<risky>"
        + "|".join(_STOPLESS_RISKY) + r")\.(?=\s|[,;:)]|$)"),
         lambda m: _with_stop(m, ABBREVIATIONS[m["abbr"] or m["risky"]])),
    Rule("number sign", re.compile(r"\b(?P<abbr>" + "|".join(_COUNTED) + r")\.\s?(?=\d)|#(?=\d)"),
         lambda m: _counted(m) if m["abbr"] else "number "),
    Rule("and", re.compile(r"\s*&\s*"), lambda m: " and "),
    Rule("numeral", re.compile(r"\b(?P<word>" + _COUNTING_WORDS + r")\s+(?P<numeral>" + _ROMAN + "|"
                               + _ROMAN.lower()
                               + r")\b(?P<stop>\.)?(?![\w'])"), _counting_numeral),
    Rule("listed numeral", _LISTED, _listed_numeral),
    Rule("regnal numeral", re.compile(r"\b(?P<name>[A-Z][a-z]+)\s+(?P<numeral>"
                                      r"(?=[IVX])(?!I\b|V\b|X\b)X{0,3}(?:IX|IV|V?I{0,3})"
                                      r"|I(?=\s+of\b)|V(?=\s+of\b|[,;:)]|\.?$))\b(?![\w'’-]|\s+[A-Z])"),
         lambda m: _regnal(m) if 0 < roman(m["numeral"]) <= REGNAL_LIMIT else m[0]),
    Rule("numeral", re.compile(r"\A\s*(?P<numeral>" + _ROMAN + r")\.(?:\s*\Z|(?=\s+[A-Z][a-z]))"),
         _heading_numeral),
    Rule("scientific", re.compile(r"\b(?P<mantissa>\d+(?:\.\d+)?)[eE](?P<exponent>[+-]?\d+)\b"), _scientific),
    Rule("phone", re.compile(r"(?<![\w.,])(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}\b"
                             r"|(?<![\w.,+])(?:\+\d{1,3}|0\d{1,4})(?:[ .-]\d{2,}){1,4}\b(?![.,]\d)"),
         _phone),
    Rule("sign", re.compile(r"(?<![\w.+−-])[-+−](?=\d)"), lambda m: "plus " if m[0] == "+" else "minus "),
    Rule("date", re.compile(r"\b" + _MONTH + r"\s+(?P<day>[12]?\d|3[01])(?:st|nd|rd|th)?\b(?!:)"
                            r"(?:(?P<sep>,?\s+)(?P<year>" + _YEAR + r")\b)?"), _month_day_year),
    Rule("date", re.compile(r"\b(?P<day>[12]?\d|3[01])(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH
                            + r"(?:,?\s+(?P<year>" + _YEAR + r")\b)?"), _day_month_year),
    Rule("date", re.compile(r"\b(?P<y>" + _YEAR + r")-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])\b"),
         _numeric_date),
    Rule("date", re.compile(r"\b(?P<m>1[0-2]|0?[1-9])/(?P<d>[12]\d|3[01]|0?[1-9])/(?P<y>" + _YEAR + r")\b"),
         _numeric_date),
    Rule("time", re.compile(r"\b(?P<hours>1[0-2]|0?\d)(?::(?P<minutes>[0-5]\d))?\s?(?P<half>[ap])\.?m\b\.?",
                            re.I), _clock),
    Rule("time", re.compile(r"\b(?P<hours>[01]?\d|2[0-3]):(?P<minutes>[0-5]\d)\b(?!:)"), _time),
    Rule("ratio", re.compile(r"\b(?P<first>\d+):(?P<second>\d+)\b(?P<noun>\s+[a-z]+)?"), _ratio),
    Rule("money range", re.compile(r"(?P<sign>US\$|[$€£¥])(?P<first>" + _NUMBER + r")\s?(?:to|-|–)\s?"
                                   r"(?:US\$|[$€£¥])?(?P<amount>" + _NUMBER + r")"
                                   r"(?:\s?(?P<magnitude>" + _MAGNITUDE + r")\b)?"),
         _money_range),
    Rule("money", re.compile(r"(?P<sign>US\$|[$€£¥])\s?(?P<amount>" + _NUMBER
                             + r")(?:\s?(?P<magnitude>" + _MAGNITUDE + r")\b)?"), _money),
    Rule("money", re.compile(r"(?<![\w.,])(?P<amount>\d+(?:\.\d+)?)p\b(?![\w'])"), _pence),
    Rule("money", re.compile(r"(?<![\w.,])(?P<amount>\d+)\s?¢"), _cents),
    Rule("per", re.compile(r"(?<=\w)/(?=(?:month|year|week|day|hour|night|person|head|mo|yr|wk|hr)\b)"),
         lambda m: " a "),
    Rule("percent", re.compile(r"(?:(?P<first>" + _NUMBER + r")\s?%?\s?(?:[-–]|to)\s?)?(?P<amount>" + _NUMBER
                               + r")\s?(?:%|per ?cent\b)"),
         lambda m: (f"{number(m['first'])} to " if m["first"] else "") + f"{number(m['amount'])} percent"),
    Rule("duration", re.compile(r"\b(?P<hours>\d+)\s?(?:h|hrs?)\s?(?P<minutes>\d+)\s?(?:m|mins?)\b"),
         lambda m: f"{cardinal(int(m['hours']))} {_many('hour', cardinal(int(m['hours'])), False)} "
                   f"{cardinal(int(m['minutes']))} {_many('minute', cardinal(int(m['minutes'])), False)}"),
    Rule("degrees", re.compile(r"(?P<amount>" + _NUMBER + r")\s?°\s?(?P<scale>[CFK]\b)?"), _degrees),
    Rule("unit", re.compile(r"\b(?P<amount>" + _NUMBER + r")[\s-]?(?P<unit>" + _UNIT
                            + r")(?![\w²/])(?:\.(?=\s+[a-z]))?"), _unit),
    Rule("out of", re.compile(r"(?<![\w/.])(?P<score>\d+(?:\.\d)?)/(?P<scale>5|10|100)(?![\w/]|\s+of\b)"),
         lambda m: f"{number(m['score'])} out of {cardinal(int(m['scale']))}"),
    Rule("fraction", re.compile(r"(?:\b(?P<whole>\d+)\s?)?(?:(?P<glyph>[" + "".join(_FRACTIONS)
                                + r"])|(?<![\w/])(?P<num>\d{1,2})/(?P<den>[2-68]|10|16|32|64|100)(?![\w/]))"),
         lambda m: _fraction(m) if m["glyph"] or int(m["num"]) < int(m["den"]) else m[0]),
    Rule("number pair", re.compile(r"(?<![\w/.])(?P<first>\d+)/(?P<second>\d+)(?![\w/])"),
         lambda m: f"{number(m['first'])} {number(m['second'])}"),
    Rule("ordinal", re.compile(r"\b(?P<n>\d+)(?:st|nd|rd|th)(?P<plural>s)?\b"), _ordinal),
    Rule("short year", re.compile(r"(?<![\w'’])['‘’](?P<yy>\d\d)\b(?!['’]?s\b|\d)"), _short_year),
    Rule("height", re.compile(r"\b(?P<feet>[1-9])(?:'|’|ft)\s?(?P<inches>1[01]|\d)(?:\"|”|''|in\b)"),
         _height),
    Rule("decade", re.compile(r"(?:['‘’](?=\d0s)|\b)(?P<decade>1\d{2}0|20\d0|\d0)['’]?s\b"), _decade),
    Rule("year range", re.compile(r"\b(?P<first>" + _YEAR + r")\s?[–-]\s?(?P<second>" + _YEAR
                                  + r"|\d\d)\b(?![-–]\d)"),
         _year_range),
    Rule("name number", re.compile(r"(?<=[a-z,;] )(?!(?:" + "|".join(_MONTHS + _WEEKDAYS) + r")\b)"
                                   r"(?P<name>[A-Z][a-z]+) (?P<n>[1-9]\d{2,3})\b"
                                   r"(?![,.]\d|" + _COUNTED_NOUN + ")"),
         _name_number),
    Rule("number", re.compile(r"(?<![\w.,$£€])(?:1[1-9]|20)\d\d(?=" + _COUNTED_NOUN + ")"),
         lambda m: cardinal(int(m[0]))),
    Rule("year", re.compile(r"(?<![\w.,$£€])(?<!\d[-–])(?:1[1-9]|20)\d\d(?!\w|[.,]\d)"),
         lambda m: year(int(m[0]))),
    Rule("range", re.compile(r"(?<![\w.,-])(?P<first>\d+)\s?[–-]\s?(?P<second>\d+)(?![\w.,-]\d|[–-])"),
         lambda m: f"{number(m['first'])} to {number(m['second'])}"),
    Rule("version", re.compile(r"\b\d+(?:\.\d+){2,}\b"),
         lambda m: " point ".join(number(part) for part in m[0].split("."))),
    Rule("times", re.compile(r"(?<=\d)\s?[×x]\s?(?=\d)|\s×\s(?=\w)"), lambda m: " times "),
    Rule("number", re.compile(r"(?<![A-Za-z\d.,])(?P<n>\d+(?:\.\d+)?)(?P<word>[a-z]{2,}|[A-Za-z])\b"),
         _glued),
    Rule("number", re.compile(r"(?<![A-Za-z\d])(?P<amount>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)"
                              r"|\d+\.\d+|(?<![\w.])\.\d+|\d+)(?![A-Za-z])"), lambda m: number(m["amount"])),
    Rule("article", re.compile(r"\b(?P<a>[Aa])(?= (?:eight|eleven)\w*\b)"), lambda m: m["a"] + "n"),
    Rule("plus", re.compile(r"(?<=\w)\s?\+\s?(?=\w)"), lambda m: " plus "),
    Rule("equals", re.compile(r"\s=\s"), lambda m: " equals "),
    Rule("about", re.compile(r"~(?=\w)"), lambda m: "about "),
)
"""Named rules in order: characters and pauses, abbreviations and numerals, then numbers in context
(dates, times, amounts, units, ordinals, years), then plain numbers and symbols."""


_ANY_RULE = re.compile(
    r"[\d&#$€£¥%°+=~×½⅓⅔¼¾⅕⅛⅜⅝⅞…—―–−]|" + _CONTROL + r"|--|\.\.|\s-\s"
    r"|\b(?:" + "|".join(map(re.escape, [*TITLES, *ABBREVIATIONS, "St"])) + r")\b"
    r"|\b[IVXLCDM]{2,}\b|\b[A-Z][a-z]+\s+V\b|\bI\s+of\b|\b(?:" + _COUNTING_WORDS + r")\s+[IVXLCDMivxlcdm]+\b")
"""Text without any of these needs no rule (most sentences): skipping them keeps drafting fast."""


def spoken(text: str) -> Spoken:
    """``text`` as it is said, and which rules changed it (``year 1957``, ``money £265m``)."""
    if not _ANY_RULE.search(text):
        return Spoken(" ".join(text.split()), ())
    fired: dict[str, None] = {}
    for rule in RULES:
        def spell(match: re.Match[str], rule: Rule = rule) -> str:
            words = rule.spell(match)
            if words != match[0]:
                written = "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in match[0].strip())
                if not any(c.isalnum() for c in written):
                    written = f"'{written}'"  # a bare mark, quoted so the note shows it whole ('-')
                fired[f"{rule.name} {written}"] = None
            return words
        text = rule.pattern.sub(spell, text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", " ".join(text.split()))
    return Spoken(re.sub(r"([,;:])\1+", r"\1", text).lstrip(" ,;").rstrip(), tuple(fired))


def for_speech(text: str) -> str:
    """``text`` with numbers, symbols and abbreviations written out as words."""
    return spoken(text).text
