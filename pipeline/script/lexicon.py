"""Words that attribution reads: speech verbs in every form (with common misspellings), speech nouns,
nouns for people with the gender they carry, titles, and the small words that never start a name.

These are English word lists, not names: no person's name is guessed from a list here.
"""

from __future__ import annotations

import re


def words(text: str) -> frozenset[str]:
    """A word list written as one string."""
    return frozenset(text.split())

_SPEECH = (
    "say tell ask answer reply respond retort add explain continue begin shout yell cry scream whisper "
    "murmur mutter mumble exclaim declare state announce insist observe remark comment argue suggest admit "
    "confess concede protest complain grumble groan moan sigh sob plead beg demand order warn promise agree "
    "repeat recall wonder muse think question query inquire enquire interrupt interject counter object snap "
    "snarl growl hiss purr breathe gasp stammer stutter blurt tease joke quip boast brag pronounce proclaim "
    "opine roar bellow holler shriek wail howl bark drawl rasp croak chirp coo croon assure reassure "
    "advise scold chide conclude accost greet speak utter marvel lament"
)
"""Verbs that introduce speech (or thought, which an essay voices the same way)."""

_MANNER = "chuckle laugh smile grin nod shrug sniff snort frown wink sneer giggle beam"
"""Verbs that introduce a quote only right beside it (``Ustinov chuckles, "Ah."``)."""

_IRREGULAR = {
    "say": "says said saying", "tell": "tells told telling", "speak": "speaks spoke speaking",
    "think": "thinks thought thinking", "begin": "begins began beginning", "cry": "cries cried crying",
    "reply": "replies replied replying", "query": "queries queried querying", "sob": "sobs sobbed sobbing",
    "admit": "admits admitted admitting", "snap": "snaps snapped snapping", "quip": "quips quipped quipping",
    "beg": "begs begged begging", "blurt": "blurts blurted blurting", "nod": "nods nodded nodding",
    "grin": "grins grinned grinning", "brag": "brags bragged bragging", "counter": "counters countered",
    "wonder": "wonders wondered wondering", "answer": "answers answered answering",
    "stammer": "stammers stammered stammering", "stutter": "stutters stuttered stuttering",
    "holler": "hollers hollered hollering", "utter": "utters uttered uttering", "marvel": "marvels marvelled "
    "marveled marvelling", "order": "orders ordered ordering", "question": "questions questioned questioning",
}
_PHRASES = (
    "put it", "puts it", "putting it", "sum up", "sums up", "summed up", "summing up", "go on", "goes on",
    "went on", "going on", "cry out", "cries out", "cried out", "call out", "calls out", "called out",
    "shout out", "shouts out", "shouted out", "break in", "breaks in", "broke in", "chime in", "chimes in",
    "chimed in", "point out", "points out", "pointed out", "hasten to add", "hastens to add",
    "hastened to add", "fire back", "fires back", "fired back", "shoot back", "shoots back", "shot back",
)
"""Several-word speech verbs (matched before single words)."""

MISSPELLINGS = {
    "anwers": "answers", "anwered": "answered", "anwser": "answer", "anwsers": "answers",
    "anwsered": "answered",
    "answerd": "answered", "asnwers": "answers", "asnwered": "answered", "siad": "said", "sayed": "said",
    "sais": "says", "syas": "says", "replys": "replies", "replyed": "replied", "repied": "replied",
    "aksed": "asked", "askes": "asks", "exclamed": "exclaimed", "explaned": "explained",
    "whisperd": "whispered",
    "shoutted": "shouted", "declaired": "declared", "stateed": "stated", "tolds": "tells",
}
"""Common misspellings of speech verbs seen in user reviews (one-letter slips are caught anyway)."""


def _regular(verb: str) -> list[str]:
    if verb.endswith("e"):
        return [verb, verb + "s", verb + "d", verb[:-1] + "ing"]
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return [verb, verb[:-1] + "ies", verb[:-1] + "ied", verb + "ing"]
    plural = verb + "es" if verb.endswith(("sh", "ss", "ch", "x")) else verb + "s"
    return [verb, plural, verb + "ed", verb + "ing"]


def _forms(words: str) -> frozenset[str]:
    forms: set[str] = set()
    for verb in words.split():
        forms.update([verb, *_IRREGULAR[verb].split()] if verb in _IRREGULAR else _regular(verb))
    return frozenset(forms)


SPEECH_VERBS = _forms(_SPEECH)
"""Every form of every speech verb (``say says said saying``)."""
MANNER_VERBS = _forms(_MANNER)
"""Every form of the verbs that introduce a quote only right beside it."""
_LONGEST_FIRST = sorted(_PHRASES, key=len, reverse=True)
_PHRASE_RE = re.compile(r"\b(?:" + "|".join(p.replace(" ", r"\s+") for p in _LONGEST_FIRST) + r")\b", re.I)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


_FUZZY_MIN = 6
"""Only words this long are matched with a one-letter slip: short words collide with real ones."""
_BY_DELETION = {variant: form for form in SPEECH_VERBS if len(form) >= _FUZZY_MIN - 1
                for variant in _deletions(form)}


def speech_verb(word: str) -> str:
    """The speech verb form ``word`` stands for ('' if none): exact, a known misspelling, or one slip."""
    word = word.lower()
    if word in SPEECH_VERBS:
        return word
    if word in MISSPELLINGS:
        return MISSPELLINGS[word]
    if len(word) < _FUZZY_MIN:
        return ""
    for variant in _deletions(word):  # one letter too many
        if variant in SPEECH_VERBS:
            return variant
    if word in _BY_DELETION:  # one letter missing
        return _BY_DELETION[word]
    for i in range(len(word) - 1):  # two letters swapped
        swapped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if swapped in SPEECH_VERBS:
            return swapped
    return ""


def phrase_verbs(text: str) -> list[tuple[int, int]]:
    """Spans of several-word speech verbs (``cried out``, ``summed up``) in ``text``."""
    return [match.span() for match in _PHRASE_RE.finditer(text)]


WRITING = words(
    "write writes wrote written writing read reads reading type types typed typing text texts texted post "
    "posts posted tweet tweets tweeted scribble scribbles scribbled print prints printed signs signed "
    "publish publishes published letter note diary sign banner poster headline caption"
)
"""Words of writing and reading: a quote after them is quoted writing, the narrator's."""

SPEECH_NOUNS = words(
    "answer answers reply replies response retort words comment remark question verdict explanation "
    "advice warning motto reaction rejoinder"
)
"""Nouns that, owned by a speaker, introduce their words (``his majestic answer:``, ``In Maria's words``)."""

_MALE = (
    "man men gentleman boy guy fellow chap father dad son husband brother uncle nephew grandfather king "
    "prince lord sir monk priest spokesman fisherman waiter actor hero landlord widower bridegroom groom "
    "councilman congressman duke baron emperor "
    "policeman salesman chairman businessman nobleman gent lad boyfriend"
)
_FEMALE = (
    "woman women lady girl mother mum mom daughter wife sister aunt niece grandmother queen princess nun "
    "spokeswoman waitress actress heroine landlady widow bride maid policewoman saleswoman chairwoman "
    "businesswoman girlfriend madam councilwoman congresswoman duchess baroness empress"
)
_PEOPLE = (
    "person child kid baby friend stranger bishop professor teacher student boss secretary peddler pedlar "
    "official lawyer attorney officer captain soldier sailor farmer owner president director analyst "
    "customer clerk shopkeeper driver host neighbour neighbor visitor guest reporter critic author writer "
    "poet hero villain killer murderer detective inspector butler cook nurse judge mayor minister senator "
    "doctor spokesperson chairperson figure cousin partner colleague manager worker employee buyer seller "
    "merchant trader servant master mistress stranger traveller traveler pilgrim youth elder teen teenager "
    "scientist expert economist engineer banker executive founder chief chef artist singer dancer pupil "
    "interviewer interviewee narrator protagonist character hostess resident source aide insider "
    "commentator fan viewer reader witness passenger patient voter candidate lawmaker legislator councillor "
    "councilor member leader representative activist protester organizer organiser volunteer campaigner "
    "researcher historian biographer journalist editor producer star coach player athlete skipper "
    "pilot agent investigator prosecutor defendant plaintiff victim suspect survivor consultant strategist "
    "adviser advisor counselor counsellor therapist physician surgeon parent grandparent relative spouse "
    "sibling twin toddler veteran sergeant lieutenant colonel admiral monarch emperor knight squire "
    "cashier barber baker butcher grocer supervisor tenant homeowner shopper client tourist passerby "
    "bystander onlooker reviewer novelist playwright composer musician painter photographer filmmaker "
    "governor chancellor official",
)
PERSON_NOUNS: dict[str, str] = {
    **{word: "" for word in " ".join(_PEOPLE).split()},
    **{word: "male" for word in _MALE.split()},
    **{word: "female" for word in _FEMALE.split()},
}
"""Nouns for a person, each with the gender it says ('' when it says none)."""

KIN = {"man": "man", "gentleman": "man", "fellow": "man", "guy": "man", "chap": "man", "gent": "man",
       "woman": "woman", "lady": "woman"}
"""Nouns that name the same person in turn (``the old man`` … ``the old gentleman``)."""

TITLES: dict[str, str] = {
    "mr": "male", "mister": "male", "sir": "male", "lord": "male", "father": "male", "king": "male",
    "prince": "male", "master": "male", "mrs": "female", "ms": "female", "miss": "female", "missus": "female",
    "lady": "female", "dame": "female", "madam": "female", "queen": "female", "princess": "female",
    "mother": "female", "sister": "female", "mx": "", "dr": "", "doctor": "", "prof": "", "professor": "",
    "rev": "", "reverend": "", "st": "", "saint": "", "capt": "", "captain": "",
}
"""Titles before a name, with the gender they say (names.ID_TITLES says which are left out of ids)."""

PRONOUNS: dict[str, str] = {"he": "male", "she": "female", "him": "male", "her": "female"}
"""Third-person pronouns with their gender."""
FIRST_PERSON = frozenset(["i", "me", "we", "us"])
"""The essayist speaking: their lines are the narrator's."""

POSSESSIVES = frozenset(["his", "her", "their", "its", "my", "our", "your"])
"""Determiners that own a noun (``his lawyer``, ``her answer``)."""

PREPOSITIONS = words(
    "to at with for of from about by into onto toward towards like than as against upon among between "
    "behind beside under in on near across through during inside outside around without within"
)
"""A person named right after one of these is an object, not the one speaking."""

MODALS = words("would could might may should must can will shall wouldn't couldn't can't won't")
"""A modal before a speech verb makes the speech hypothetical (``you might say``)."""
NEGATIONS = words("not never don't doesn't didn't won't wouldn't cannot nobody")
"""A negated speech verb says that nothing was said."""
BETWEEN = words(
    "then too also just finally again once later now quickly slowly softly quietly simply only still "
    "suddenly even had has have was is were be been being"
)
"""Words that may stand between a speaker and their verb (``Landlord chuckles too``)."""

STOPWORDS = words(
    "the a an and but or so as when while if then than that this these those there here it its he she "
    "they we you i his her their our my your what why how who whom which where once after before since "
    "until because though although yet still also now later finally suddenly again early in on at to "
    "for of from by with about into over under between after one no not nor all some many most every "
    "each both such only even just well oh ah yes why to which whose among during meanwhile perhaps "
    "maybe indeed however instead otherwise anyway besides today tomorrow yesterday tonight"
)
"""Capitalised at a sentence start these are ordinary words, never the start of a name."""
