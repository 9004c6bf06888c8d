"""Text normalised for speech: the numbers, symbols and abbreviations TTS engines stumble over, in words.

English only (American style: "640" → "six hundred forty"). Each rule is a (pattern, spell) pair in
``RULES``, applied in order; a rule sees the text as the rules before it left it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"
]
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                  "nine": "ninth", "twelve": "twelfth"}
_LARGEST = 10**15
"""Numbers from here up are read digit by digit (account numbers, not amounts)."""


def cardinal(n: int) -> str:
    """``640`` → ``six hundred forty``; ``-3`` → ``minus three``."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n >= _LARGEST:
        return digits(str(n))
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + (f"-{_ONES[n % 10]}" if n % 10 else "")
    if n < 1000:
        return f"{_ONES[n // 100]} hundred" + (f" {cardinal(n % 100)}" if n % 100 else "")
    scale, word = next((scale, word) for scale, word in _SCALES if n >= scale)
    return f"{cardinal(n // scale)} {word}" + (f" {cardinal(n % scale)}" if n % scale else "")


def ordinal(n: int) -> str:
    """``21`` → ``twenty-first``."""
    words = cardinal(n)
    head, sep, last = words.rpartition(" ") if "-" not in words.rsplit(" ", 1)[-1] else words.rpartition("-")
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def year(n: int) -> str:
    """``1999`` → ``nineteen ninety-nine``, ``1905`` → ``nineteen oh five``, ``2008`` → ``two thousand
    eight``."""
    if 2000 <= n <= 2009 or not 1000 <= n <= 2099:
        return cardinal(n)
    high, low = divmod(n, 100)
    if low == 0:
        return f"{cardinal(high)} hundred"
    return f"{cardinal(high)} {'oh ' if low < 10 else ''}{cardinal(low)}"


def digits(text: str) -> str:
    """``007`` → ``zero zero seven``."""
    return " ".join(_ONES[int(d)] for d in text if d.isdigit())


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


def _plural(words: str) -> str:
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


_NUMBER = r"\d[\d,]*(?:\.\d+)?|\.\d+"
_CURRENCIES = {"$": ("dollar", "cent"), "€": ("euro", "cent"), "£": ("pound", "penny"), "¥": ("yen", "")}
_UNITS = {"km": "kilometer", "kg": "kilogram", "cm": "centimeter", "mm": "millimeter", "mph": "mile per hour",
          "kph": "kilometer per hour", "lb": "pound", "lbs": "pound", "ft": "foot", "GB": "gigabyte",
          "MB": "megabyte", "KB": "kilobyte", "TB": "terabyte", "hrs": "hour", "mins": "minute"}
_UNIT_PLURALS = {"foot": "feet", "mile per hour": "miles per hour",
                 "kilometer per hour": "kilometers per hour", "yen": "yen", "penny": "pence"}
_YEAR_CONTEXT = (r"in|since|from|until|till|by|of|during|before|after|circa|year|around|early|late|mid|"
                 r"summer|winter|spring|autumn|fall|January|February|March|April|May|June|July|August|"
                 r"September|October|November|December")
_ABBREVIATIONS = {"Mr.": "Mister", "Mrs.": "Missus", "Dr.": "Doctor", "Prof.": "Professor", "Jr.": "Junior",
                  "Sr.": "Senior", "e.g.": "for example", "i.e.": "that is", "etc.": "et cetera",
                  "vs.": "versus", "approx.": "approximately", "Mt.": "Mount"}


def _counted(n_text: str, singular: str) -> str:
    words = number(n_text)
    many = _UNIT_PLURALS.get(singular, singular + "s") if singular else ""
    return f"{words} {singular if words == 'one' else many}".strip()


def _money(match: re.Match[str]) -> str:
    unit, sub_unit = _CURRENCIES[match["sign"]]
    amount, scale = match["amount"].replace(",", ""), match["scale"]
    if scale:
        return f"{number(amount)} {scale} {_UNIT_PLURALS.get(unit, unit + 's')}"
    whole, _, cents = amount.partition(".")
    words = _counted(whole or "0", unit)
    if len(cents) == 2 and sub_unit and int(cents):
        words += " and " + _counted(cents.lstrip("0") or "0", sub_unit)
    elif cents and len(cents) != 2:
        return f"{number(amount)} {_UNIT_PLURALS.get(unit, unit + 's')}"
    return words


def _time(match: re.Match[str]) -> str:
    hours, minutes = int(match[1]), int(match[2])
    if minutes == 0:
        return f"{cardinal(hours)} o'clock"
    return f"{cardinal(hours)} {'oh ' if minutes < 10 else ''}{cardinal(minutes)}"


def _clock(match: re.Match[str]) -> str:
    minutes = int(match[2] or 0)
    spoken = cardinal(int(match[1]))
    if minutes:
        spoken += f" {'oh ' if minutes < 10 else ''}{cardinal(minutes)}"
    ends_sentence = match.end() == len(match.string) and match[0].endswith(".")
    return f"{spoken} {match[3].upper()} M" + ("." if ends_sentence else "")


def _decade(match: re.Match[str]) -> str:
    value = match[1]
    return _plural(year(int(value)) if len(value) == 4 else cardinal(int(value[-2:])))


def _abbreviation(match: re.Match[str]) -> str:
    words = _ABBREVIATIONS[match[0]]
    # an abbreviation's period that also ended the sentence must stay
    return words + "." if match.end() == len(match.string) else words


RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"(?<!\w)(?:" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + r")(?=\s|$|[,;:)])"),
     _abbreviation),
    (re.compile(r"\bNo\.\s?(?=\d)"), lambda m: "Number " if m.start() == 0 else "number "),
    (re.compile(r"#(?=\d)"), lambda m: "number "),
    (re.compile(r"\s*&\s*"), lambda m: " and "),
    (re.compile(rf"(?P<sign>[$€£¥])\s?(?P<amount>{_NUMBER})(?:\s(?P<scale>thousand|million|billion|trillion)\b)?"),
     _money),
    (re.compile(r"(" + _NUMBER + r")\s?%"), lambda m: f"{number(m[1])} percent"),
    (re.compile(r"(" + _NUMBER + r")\s?°\s?([CF])\b"),
     lambda m: f"{number(m[1])} degrees {'Celsius' if m[2] == 'C' else 'Fahrenheit'}"),
    (re.compile(r"(" + _NUMBER + r")\s?°"), lambda m: f"{number(m[1])} degrees"),
    (re.compile(r"\b(\d+)\s?(" + "|".join(_UNITS) + r")\b"), lambda m: _counted(m[1], _UNITS[m[2]])),
    (re.compile(r"\b(\d+)(?:st|nd|rd|th)\b"), lambda m: ordinal(int(m[1]))),
    (re.compile(r"(?:\b|')(1\d{2}0|20\d0|\d0)s\b"), _decade),
    (re.compile(r"\b(1[0-2]|0?\d)(?::([0-5]\d))?\s?([ap])\.?m\b\.?", re.I), _clock),
    (re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b"), _time),
    (re.compile(r"\b(1\d{3}|20\d{2})\s?[–-]\s?(1\d{3}|20\d{2})\b"),
     lambda m: f"{year(int(m[1]))} to {year(int(m[2]))}"),
    (re.compile(rf"\b({_YEAR_CONTEXT})\s+(1\d{{3}}|20\d{{2}})\b(?![,.]?\d)"),
     lambda m: f"{m[1]} {year(int(m[2]))}"),
    (re.compile(r"\b(1\d{3}|20\d{2})\s?(AD|BC|BCE|CE)\b"), lambda m: f"{year(int(m[1]))} {' '.join(m[2])}"),
    (re.compile(r"(\d+)\s?[–—]\s?(\d+)"), lambda m: f"{cardinal(int(m[1]))} to {cardinal(int(m[2]))}"),
    (re.compile(r"(?<![\w.-])-(?=\d)"), lambda m: "minus "),
    (re.compile(r"\b\d+(?:\.\d+){2,}\b"), lambda m: " point ".join(number(part) for part in m[0].split("."))),
    (re.compile(r"(?<![A-Za-z])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+\.\d+|(?<![\w.])\.\d+|\d+)(?![A-Za-z])"),
     lambda m: number(m[0])),
    (re.compile(r"(?<=\w)\s?\+\s?(?=\w)"), lambda m: " plus "),
    (re.compile(r"\s[×x]\s(?=\w)"), lambda m: " times "),
    (re.compile(r"\s=\s"), lambda m: " equals "),
    (re.compile(r"~(?=\w)"), lambda m: "about "),
)
"""(pattern, spell) pairs in order: abbreviations and symbols first, then amounts, then plain numbers."""


_ANY_RULE = re.compile(r"[\d&#$€£¥%°+=~×]|\sx\s|(?<!\w)(?:" + "|".join(map(re.escape, _ABBREVIATIONS)) + ")")
"""Text without any of these needs no rule (most sentences): skipping them keeps drafting fast."""


def for_speech(text: str) -> str:
    """``text`` with numbers, symbols and abbreviations written out as words."""
    if not _ANY_RULE.search(text):
        return " ".join(text.split())
    for pattern, spell in RULES:
        text = pattern.sub(spell, text)
    return " ".join(text.split())
