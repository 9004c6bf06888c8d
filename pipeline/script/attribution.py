"""Character lines: which quoted words of an essay a cast character says, and the rule that decided it.

The essay is read in order, one paragraph after another, keeping track of the people it talks about
(named, by a role noun such as "the old man", or by a pronoun). Each quoted passage is decided by the
first rule that applies (the segment's note names the rule and its evidence):

- a speaker label inside the quote (``"BOSWELL: We grow weary."``) or before it (``Smith: "Assets?"``);
- a speech tag after the quote (``"...," Molyneux asks`` / ``"...," said the old man`` / ``she tells Homer``);
- a speech verb (or a possessed speech noun, ``his answer:``) before the quote, with or without a comma
  or colon (``As Edith says "..."``, ``Mr Boyd said: "..."``, ``Ustinov ... chuckles, "..."``);
- the second half of a split quote (``"A," said X, "B."``), or a quote reopened without being closed;
- a sentence just before that introduces it (``... it was he who spoke again.`` / ``... ensue:``);
- an untagged turn in an alternating exchange (the speaker two turns back).

A pronoun means the most recent compatible person: the subject of the sentence before beats a name
merely mentioned; a he/she never means someone the text calls the other. Quotes that are titles or
scare quotes, fragments woven into the narrator's sentence, hypothetical speech ("you might say"),
the essayist's own lines ("I replied") and speech by anyone outside the cast stay with the narrator.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.script import lexicon as lx
from pipeline.script import sentences
from pipeline.script.model import NARRATOR
from pipeline.script.names import Characters, name_words, speaker_id
from pipeline.script.sentences import Span

__all__ = ["Attribution", "Characters", "Piece", "attribute", "attribute_all", "quotes", "set_apart",
           "speaker_id"]

# --- quoted passages ----------------------------------------------------------------------------

_ELISIONS = lx.words("tis twas twere em til till cause round bout cept n nuff ere")
_QUOTE_MARKS = re.compile(r"[\"“”'‘’]")
_OPENERS = " \t([{—–-/\x00\"“‘'"


@dataclass(frozen=True)
class Passage:
    """One quoted passage of a paragraph."""

    start: int
    """Offset of its opening mark."""
    end: int
    """Offset just after its closing mark (or the end of the text it runs to)."""
    closed: bool
    """False for a quote never closed: it ran to the paragraph end or to a reopened quote."""
    reopened: bool = False
    """True when it opened while the quote before it was still open (a quote continued, news style)."""

    @property
    def inner(self) -> Span:
        """The quoted words, marks excluded."""
        return self.start + 1, self.end - 1 if self.closed else self.end


def _apostrophe(text: str, at: int) -> bool:
    """Whether the single mark at ``at`` is an apostrophe: don't, Edie's, is’t, '80s, 'tis."""
    before = text[at - 1] if at else " "
    after = text[at + 1] if at + 1 < len(text) else " "
    if before.isalnum() and after.isalnum():
        return True
    word = re.match(r"[A-Za-z]*", text[at + 1:at + 7])[0].lower()
    return before in _OPENERS and (after.isdigit() or word in _ELISIONS)


def quotes(paragraph: str) -> list[Passage]:
    """The quoted passages, in order: double or single, straight or curly; nested quotes stay inside
    the outer passage, apostrophes are not quotes, a quote left open ends at the paragraph end (or where
    a new one is opened) and a single quote never closed was an apostrophe after all."""
    found: list[Passage] = []
    kind, opened, reopened = "", -1, False
    for mark in _QUOTE_MARKS.finditer(paragraph):
        at, char = mark.start(), mark[0]
        double = char in "\"“”"
        if not double and _apostrophe(paragraph, at):
            continue
        before = paragraph[at - 1] if at else " "
        after = paragraph[at + 1] if at + 1 < len(paragraph) else " "
        opening = char in "“‘" or (char in "\"'" and before in _OPENERS and not after.isspace())
        if not kind:
            if opening or (char == '"' and not after.isspace()):
                kind, opened, reopened = ("d" if double else "s"), at, False
            continue
        if (kind == "d") != double:
            continue  # a quote inside the open one
        if opening and char in "“‘\"'" and before.isspace() and not after.isspace() and char != "’":
            if kind == "d":  # reopened without closing (news style): the open one ends here
                found.append(Passage(opened, len(paragraph[:at].rstrip()), False, reopened))
                opened, reopened = at, True
            continue
        if char == "’" and before == "s" and re.match(r"’\s+[a-z]", paragraph[at:at + 3]) and \
                "’" in paragraph[at + 1:]:
            continue  # the boys’ toys: a plural possessive inside a single-quoted line
        found.append(Passage(opened, at + 1, True, reopened))
        kind = ""
    if kind == "d":
        found.append(Passage(opened, len(paragraph.rstrip()), False, reopened))
    return found


def is_title(content: str) -> bool:
    """A quote of at most four words with no punctuation at its end is a title or scare quote."""
    return len(content.split()) <= 4 and not re.search(r"[.,!?…;:—]\W*\Z", content)


# --- people in the text ---------------------------------------------------------------------------

_WORD = (r"(?:[A-Z]\.|(?:Mr|Mrs|Ms|Mx|Dr|Prof|St|Jr|Sr|Rev|Capt)\.|"
         r"[A-Z][\w]*(?:['’][A-Za-z]+)?(?:-[A-Za-z][\w]*)*)")
_PARTICLE = r"(?:de|van|von|der|den|du|da|di|del|bin|ibn|al)"
_NAME_RE = re.compile(rf"(?<![\w'’-]){_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_WORD})*")
_FUNCTION = lx.STOPWORDS | lx.words("where is was are were has had")
_DETERMINER = re.compile(r"(?<![\w'’-])(?:the|a|an|this|that|one|his|her|their|my|our|your)\s+", re.I)
_FOLLOWING_WORDS = re.compile(r"([\w’'-]+)(,?\s+)?")
ROLE_ADJECTIVES = 3
"""At most this many words between a determiner and a person noun: "a very foolish old gentleman"."""
_PRONOUN_RE = re.compile(
    r"(?<![\w'’-])(?:(?P<i>I)|(?i:(?P<p>he|she|him|her|his|me|we|us|you|they|them)))(?!\w)")
_SUBJECT_PRONOUNS = frozenset(["he", "she", "i", "we", "you", "they"])
_IDENTITY = re.compile(
    rf"(?:\bI (?:think|believe|suppose|guess) )?\b(?:he|she) (?:was|is)\s+(?P<name>{_WORD}(?:\s+{_WORD})*)")
_ASKING = re.compile(r"\b(?:ask|asks|asked|asking|inquire[sd]?|enquire[sd]?|quer(?:y|ies|ied))\b", re.I)
_OWNER = re.compile(
    r"(?P<owner>\S+)\s+(?:own\s+|[\w-]+\s+){0,2}?(?P<noun>[a-z]+)\s*(?:is|was|were)?\s*[:,]?\s*\Z")
"""An owner and a noun right before a quote: ``his majestic answer:``, ``In Maria's own words``."""
_ACCORDING = re.compile(r"\b[Aa]ccording to\s+(?P<name>[^,:]+?)\s*[,:]?\s*\Z")
"""``According to Dean Boyd, "..."``: the person named is the speaker."""
OTHER_SPEAKER = "the other speaker"
"""Label of the unnamed other party of an exchange."""
_TAG_FOLLOWERS = lx.PREPOSITIONS | lx.words("who whose and but while when after before because then again")
"""Words that may follow ``said X`` after a quote; anything else (``said she would``) is reported speech."""
_ACRONYM = re.compile(r"[A-Z]{2,4}\Z")


@dataclass
class Entity:
    """A person the essay talks about."""

    speaker: str | None
    """Their character id in the cast; None for someone outside it (or not yet named)."""
    label: str
    """How the text first named them, for notes."""
    gender: str = ""
    """female / male from titles, role nouns and the pronouns used about them ('' unknown)."""
    heads: set[str] = field(default_factory=set)
    """Role nouns used for them (man, bishop)."""
    adjectives: set[str] = field(default_factory=set)
    """Words used with those nouns (old, burly)."""
    narrator: bool = False
    """The essayist ("I")."""
    evidence: list[str] = field(default_factory=list)
    """She/he evidence, for casting: "Mr", "pronoun she", "noun man"."""
    named: bool = False
    """Whether the text named them (a name is never replaced by another one the text gives later)."""

    def accepts(self, gender: str) -> bool:
        """Whether a pronoun of ``gender`` can mean this person."""
        return not self.narrator and (not self.gender or self.gender == gender)

    def learn(self, gender: str, why: str) -> None:
        """Record she/he evidence (the first evidence sets the gender)."""
        if gender:
            self.evidence.append(why)
            self.gender = self.gender or gender


@dataclass
class Mention:
    """A person mentioned outside quotes: a name, a role noun phrase or a pronoun."""

    start: int
    end: int
    kind: str
    """name, role or pronoun."""
    text: str
    word: str = ""
    """The pronoun (lowercase) or the role's head noun."""
    possessive: bool = False
    """Edie's, his: an owner, not a speaker."""
    after_preposition: bool = False
    """to Homer, as the boss: an object, not a speaker."""
    definite: bool = True
    """False for "a man": someone new."""
    adjectives: tuple[str, ...] = ()
    sentence: int = 0
    """Index of its sentence among all sentences read."""
    entity: Entity | None = None
    """Who it means, once resolved."""
    resolved: bool = False

    @property
    def can_speak(self) -> bool:
        """Whether it can be the subject of a speech verb."""
        if self.after_preposition or (self.possessive and self.kind != "role"):
            return False
        return self.kind != "pronoun" or self.word in _SUBJECT_PRONOUNS


BEAT_WORDS = 12
"""A sentence this short whose subject acts just before a quote standing alone gives the quote to them."""
PRONOUN_CHAIN = 20
"""Pronouns followed back through at most this many sentences that start with another pronoun."""
RECENT_ROLES = 50
"""How many of the latest people known by a role noun "the old man" may mean (keeps reading linear)."""
SPEAKER_WINDOW = 3
"""A pronoun with no person around it may mean whoever spoke last, up to this many paragraphs back."""


def _inside(spans: list[Span], at: int) -> bool:
    """Whether ``at`` lies in one of ``spans`` (sorted, not overlapping)."""
    index = bisect.bisect_right(spans, at, key=lambda span: span[0]) - 1
    return index >= 0 and spans[index][0] <= at < spans[index][1]


def _role_after(masked: str, determiner: re.Match[str]) -> Mention | None:
    """The role noun phrase a determiner opens (``the old man``, ``his lawyer``), if it names a person."""
    adjectives: list[str] = []
    at = determiner.end()
    for _ in range(ROLE_ADJECTIVES + 1):
        word = _FOLLOWING_WORDS.match(masked, at)
        if not word:
            return None
        lower = word[1].lower()
        if lower in lx.PERSON_NOUNS:
            det = determiner[0].strip().lower()
            start = determiner.start()
            return Mention(start, word.end(1), "role", masked[start:word.end(1)], lower,
                           possessive=det in lx.POSSESSIVES, definite=det not in ("a", "an", "one"),
                           adjectives=tuple(adjectives),
                           after_preposition=_previous_word(masked, determiner.start()) in lx.PREPOSITIONS)
        if lower in _FUNCTION or not word[2]:
            return None
        adjectives.append(lower)
        at = word.end()
    return None


def _apposed(between: str) -> bool:
    """Whether a role noun and a name with ``between`` them are one person (``A spokesman for US
    Customs, Dean Boyd``): only a comma, after an optional phrase of capitalised words."""
    if not re.search(r",\s*\Z", between):
        return False
    phrase = between.rstrip()[:-1]
    if not phrase.strip():
        return True
    words = re.findall(r"[\w.&'’-]+", phrase)
    return bool(words) and words[0] in ("for", "of", "at", "from", "with", "in") and all(
        word[0].isupper() or word in ("the", "and", "of", "for") for word in words[1:])


def _object_like(text: str, at: int) -> bool:
    """A name after a preposition or an article and an adjective (to Homer, a nervous Molyneux)."""
    before = text[max(0, at - 40):at]
    return _previous_word(text, at) in lx.PREPOSITIONS or bool(
        re.search(r"(?<![\w'’])(?:a|an|the)\s+[\w-]+\s+\Z", before, re.I))


def _previous_word(text: str, at: int) -> str:
    # a quote or a sentence end between: no previous word
    found = re.search(r"([A-Za-z’']+)[^\w\x00.!?;:]*\Z", text[max(0, at - 30):at])
    return found[1].lower() if found else ""


@dataclass
class Sentence:
    """A sentence already read, for resolving pronouns."""

    paragraph: int
    start: int
    end: int
    mentions: list[Mention]
    subject: Mention | None


@dataclass
class Decision:
    """Who says one passage, and why."""

    passage: Passage
    """The quoted passage."""
    entity: Entity | None = None
    """Who says it (None: nobody, the narrator reads it)."""
    rule: str = ""
    """The rule that decided it."""
    evidence: str = ""
    """The words the rule went by."""
    speech: bool = False
    """Whether it is someone's speech at all (a turn in an exchange), even if nobody in the cast."""
    label_end: int = 0
    """Where the spoken words start when a speaker label inside the quote is left out."""
    tag_end: int = 0
    """End of the speech tag after the quote, if one named the speaker."""
    asks: bool = False
    """Whether the line is a question (it ends with "?" or its tag says "asked"): the next line may answer."""


@dataclass
class _Quote:
    """What the rules look at for one quoted passage."""

    index: int
    """The paragraph's index."""
    paragraph: str
    """The paragraph's text."""
    masked: str
    """The paragraph with every quoted passage blanked out."""
    passage: Passage
    """The quoted passage."""
    spans: list[Span]
    """The paragraph's sentences."""
    sentence: int
    """The passage's sentence, as an index among all sentences read."""
    local: int
    """The passage's sentence, as an index in ``spans``."""
    previous: Decision | None
    """The decision for the passage before it in the paragraph."""
    limit: int
    """Where its sentence (or the next passage) begins."""
    later: list[Passage]
    """The passages after it in the paragraph."""
    content: str
    """Its words, stripped."""
    continued: bool = False
    """Whether it goes on from the passage before (split, reopened, or after a bare tag)."""

    @property
    def fragment(self) -> bool:
        """A quote starting in lowercase (or with an ellipsis, first in its paragraph) is woven in."""
        return self.content[0].islower() or (self.content[0] in "…." and self.previous is None)


def _clip(text: str, limit: int = 60) -> str:
    """Evidence for a note: one line, at most ``limit`` characters."""
    text = " ".join(text.replace("\x00", " ").split()).strip(" ,:;")
    return text if len(text) <= limit else text[:limit - 1].rsplit(" ", 1)[0] + "…"


Tag = tuple["Mention", str, str, int]
"""A speech tag found after a quote: who it names, the rule, the evidence, and where the tag ends."""
_AFTER = "speech verb after the quote"
Verb = tuple[int, int, bool]
"""A speech verb found in a text: start, end, and whether it is a manner verb (chuckles)."""


def _in_brackets(text: str, start: int, end: int) -> bool:
    """Whether ``start`` lies inside brackets that close before ``end``."""
    return text.rfind("(", 0, start) > text.rfind(")", 0, start) and ")" in text[start:end]


def _only_adverbs(words: list[str]) -> bool:
    """Whether words between a speaker and a verb keep them together (``too``, ``softly``, ``hastened``)."""
    return all(word in lx.BETWEEN or word.endswith("ly") or re.fullmatch(r"\w+ed|to", word) for word in words)


def _verbs(text: str, start: int, end: int) -> list[Verb]:
    """Speech verbs in ``text[start:end]`` as (start, end, manner-only)."""
    found = [(start + a, start + b, False) for a, b in lx.phrase_verbs(text[start:end])]
    for word in re.finditer(r"[A-Za-z]+", text[start:end]):
        a, b = start + word.start(), start + word.end()
        if any(x <= a < y for x, y, _ in found):
            continue
        lower = word[0].lower()
        if lx.speech_verb(lower):
            found.append((a, b, False))
        elif lower in lx.MANNER_VERBS:
            found.append((a, b, True))
    return sorted(found)


class Attribution:
    """Reads an essay's paragraphs in order and decides who says each quoted passage."""

    def __init__(self, characters: Characters, paragraphs: list[str]) -> None:
        self.characters = characters
        self.paragraphs = paragraphs
        self.narrator = Entity(None, "I", narrator=True)
        self._cast: dict[str, Entity] = {}
        self._others: dict[str, Entity] = {}
        self._aliases: dict[str, Entity] = {}
        self._roles: list[Entity] = []
        self._history: list[Sentence] = []
        self._turns: list[Entity | None] = []
        self._speakers: list[tuple[int, Entity]] = []
        self._partner: Entity | None = None
        self._paragraph_decisions: list[Decision] = []
        self._last: Decision | None = None
        self._chain = 0
        self._name_words = self._capitalised_inside(paragraphs)
        self.decisions: list[list[Decision]] = []
        """Per paragraph, the decision for each quoted passage."""
        self.masked: list[str] = []
        for index, paragraph in enumerate(paragraphs):
            self._read(index, paragraph)

    # -- people --

    @property
    def history(self) -> list[Sentence]:
        """Every sentence read, in order, with the people it mentions."""
        return self._history

    def person(self, speaker: str) -> Entity:
        """The person behind a character id (found in the text, or new)."""
        return self._cast.setdefault(speaker, Entity(speaker, speaker))

    @staticmethod
    def _capitalised_inside(paragraphs: list[str]) -> frozenset[str]:
        """Words written capitalised somewhere other than a sentence start: names, not sentence openers."""
        words: set[str] = set()
        for paragraph in paragraphs:
            for match in re.finditer(r"(?<=[a-z,;] )([A-Z][\w'’-]*)", paragraph):
                words.add(match[1].lower())
        return frozenset(words)

    def _person(self, name: str) -> Entity | None:
        speaker = self.characters.speaker(name)
        if speaker:
            entity = self._cast.setdefault(speaker, Entity(speaker, name))
        else:
            words = name_words(name)
            if not words:
                return None
            # one person outside the cast per surname: "Mr Griffiths" is "Hew Raymond Griffiths"
            entity = self._others.setdefault(words[-1], Entity(None, name, named=True))
        title = name.split()[0].rstrip(".")
        if len(name.split()) > 1 and lx.TITLES.get(title.lower()):  # Mr Boyd, Lady Anne, Father Christmas
            entity.learn(lx.TITLES[title.lower()], f"title {title}")
        return entity

    def _role(self, mention: Mention) -> Entity:
        head = mention.word
        kin = lx.KIN.get(head, head)
        gender = lx.PERSON_NOUNS.get(head, "")
        if mention.definite:
            if kin in self._aliases:
                return self._aliases[kin]
            speaker = self.characters.speaker(head) if not self.characters.discover else None
            if speaker:
                return self._cast.setdefault(speaker, Entity(speaker, mention.text))
            same = [entity for entity in self._roles[-RECENT_ROLES:] if kin in entity.heads]
            liked = [entity for entity in same if entity.adjectives & set(mention.adjectives)]
            if liked or same:
                entity = (liked or same)[-1]
                entity.adjectives.update(mention.adjectives)
                return entity
        entity = Entity(None, mention.text, heads={kin}, adjectives=set(mention.adjectives))
        entity.learn(gender, f"noun {head}")
        self._roles.append(entity)
        return entity

    def entity(self, mention: Mention) -> Entity | None:
        """Who ``mention`` means."""
        if mention.resolved:
            return mention.entity
        mention.resolved = True
        if mention.kind == "name":
            mention.entity = self._person(mention.text)
        elif mention.kind == "role":
            mention.entity = self._role(mention)
        elif mention.word in lx.FIRST_PERSON or mention.word == "i":
            mention.entity = self.narrator
        elif mention.word in lx.PRONOUNS:
            mention.entity = self._pronoun(mention)
        return mention.entity

    def _through(self, pronoun: Mention) -> Entity | None:
        """Who an earlier pronoun means, following a chain of pronouns at most ``PRONOUN_CHAIN`` long."""
        if self._chain >= PRONOUN_CHAIN:
            return None  # "He … He … He …" for pages: too far to be sure
        self._chain += 1
        try:
            return self.entity(pronoun)
        finally:
            self._chain -= 1

    def _pronoun(self, mention: Mention) -> Entity | None:
        gender, sentence = lx.PRONOUNS[mention.word], mention.sentence
        here = self._history[sentence]
        for earlier in here.mentions:
            if earlier.start >= mention.start:
                break
            if earlier.can_speak and earlier.kind != "pronoun":
                entity = self.entity(earlier)
                if entity and entity.accepts(gender):
                    entity.learn(gender, f"pronoun {mention.word}")
                    return entity
        window = here.paragraph - 1
        for index in range(sentence - 1, -1, -1):
            before = self._history[index]
            if before.paragraph < window:
                break
            subject = before.subject
            if subject is None:
                continue
            if subject.kind == "pronoun":
                if lx.PRONOUNS.get(subject.word) == gender:
                    return self._through(subject)  # the chain goes on through that pronoun
                continue
            entity = self.entity(subject)
            if entity is not None and entity.accepts(gender):
                entity.learn(gender, f"pronoun {mention.word}")
                return entity
        # no subject fits: a person merely mentioned, then the last person to speak who could be meant
        for index in range(sentence, -1, -1):
            before = self._history[index]
            if before.paragraph < window:
                break
            for other in reversed(before.mentions):
                if (other.kind in ("name", "role") and not other.possessive and other.start < mention.start) \
                        or (index < sentence and other.kind in ("name", "role") and not other.possessive):
                    entity = self.entity(other)
                    if entity is not None and entity.accepts(gender):
                        return entity
        for paragraph, speaker in reversed(self._speakers):
            if paragraph < here.paragraph - SPEAKER_WINDOW:
                break
            if speaker.accepts(gender):
                return speaker
        return None

    # -- reading --

    def _mentions(self, masked: str, spans: list[Span]) -> list[Mention]:
        roles = [role for role in (_role_after(masked, det) for det in _DETERMINER.finditer(masked)) if role]
        taken = [(m.start, m.end) for m in roles]
        found = list(roles)
        starts = {start for start, _ in spans}
        for match in _NAME_RE.finditer(masked):
            start, text = match.start(), match[0]
            words = text.split()
            while words and (words[0].lower().strip(".") in lx.STOPWORDS or words[0] == "I"):
                start = masked.index(words[1], start + len(words[0])) if len(words) > 1 else -1
                words.pop(0)
            if not words or _inside(taken, start):
                continue
            text = " ".join(words)
            window = masked[max(0, start - 4):start]  # a short look back keeps reading linear
            sentence_start = start in starts or (start <= 4 and not window.strip()) or \
                re.search(r"[.!?…:;\"”’]\s*\Z", window) is not None
            if len(words) == 1 and _ACRONYM.match(text) and not self.characters.known(text):
                continue
            # a capitalised sentence opener is an ordinary word unless written capitalised elsewhere too,
            # or it is someone speaking ("Coppola once said")
            opener = sentence_start and words[0].lower() not in self._name_words
            speaking = len(words) == 1 and re.match(r"\s+(?:\w+ly\s+|once\s+|then\s+|also\s+)?(\w+)",
                                                    masked[start + len(text):start + len(text) + 40])
            if speaking and lx.speech_verb(speaking[1]):
                opener = False
            if opener and not self.characters.known(text):
                if len(words) == 1:
                    continue
                start = masked.index(words[1], start + len(words[0]))  # "Hereupon Mr. Wiseman"
                words.pop(0)
                text = " ".join(words)
            possessive = bool(re.search(r"['’]s?\Z", text))
            text = re.sub(r"['’]s?\Z", "", text)
            previous = _previous_word(masked, start)
            if previous in ("the", "a", "an"):
                continue  # the BBC, a Bishop: not a person's name
            found.append(Mention(start, start + len(text), "name", text, possessive=possessive,
                                 after_preposition=_object_like(masked, start)))
        for match in _PRONOUN_RE.finditer(masked):
            if _inside(taken, match.start()):
                continue
            word = (match["i"] or match["p"]).lower()
            found.append(Mention(match.start(), match.end(), "pronoun", match[0], word,
                                 possessive=word in ("his", "her"),
                                 after_preposition=_previous_word(masked, match.start()) in lx.PREPOSITIONS))
        found.sort(key=lambda m: m.start)
        return found

    def _appositions(self, masked: str, mentions: list[Mention]) -> None:
        """``his lawyer, Antony Townsden,`` / ``Archibald Soper, the Bishop of Bedford`` / ``Malden as the
        boss`` / ``Barrault ... as William Kramps``: the role noun (or the actor) means that person."""
        for index, mention in enumerate(mentions):
            if mention.kind != "name" or mention.possessive:
                continue
            after = masked[mention.end:mention.end + 3]
            for role in reversed(mentions[:index]):
                if role.kind != "role":
                    continue
                between = masked[role.end:mention.start]
                if _apposed(between) and re.match(r"\s*[,(]", after):
                    self._link(role, mention)
                break
            if _previous_word(masked, mention.start) == "as" and index:
                played, actor = self.entity(mention), self._subject(mentions[:index])
                if played is not None and played.speaker and actor is not None and actor.kind == "name":
                    person = self.entity(actor)
                    if person is not None and (person.speaker is None or self.characters.discover):
                        actor.entity = played  # an actor "as" the character they play
            following = mentions[index + 1] if index + 1 < len(mentions) else None
            if following is None:
                continue
            between = masked[mention.end:following.start]
            if following.kind == "role" and (re.fullmatch(r"\s+as\s+", between) or (
                    re.fullmatch(r"\s*,\s*", between) and following.definite)):
                self._link(following, mention)

    def _link(self, role: Mention, name: Mention) -> None:
        person = self.entity(name)
        if person is None:
            return
        role.entity, role.resolved = person, True
        person.learn(lx.PERSON_NOUNS.get(role.word, ""), f"noun {role.word}")
        self._aliases[lx.KIN.get(role.word, role.word)] = person

    def _subject(self, mentions: list[Mention]) -> Mention | None:
        return next((m for m in mentions if m.can_speak), None)

    def _read(self, index: int, paragraph: str) -> None:
        passages = quotes(paragraph)
        masked = list(paragraph)
        for passage in passages:
            masked[passage.start:passage.end] = "\x00" * (passage.end - passage.start)
        text = "".join(masked)
        self.masked.append(text)
        spans = sentences.split(paragraph, [(p.start, p.end) for p in passages])
        mentions = self._mentions(text, spans)
        if self.characters.discover:  # every named person is known from their first mention on
            for mention in mentions:
                if mention.kind == "name" and not mention.after_preposition:
                    self.characters.speaker(mention.text)
        first = len(self._history)
        for start, end in spans:
            inside = [m for m in mentions if start <= m.start < end]
            for mention in inside:
                mention.sentence = len(self._history)
            self._history.append(Sentence(index, start, end, inside, self._subject(inside)))
            self._appositions(text, inside)
        decisions: list[Decision] = []
        self._paragraph_decisions = decisions
        for number, passage in enumerate(passages):
            local = next(i for i, (a, b) in enumerate(spans) if a <= passage.start < b or i == len(spans) - 1)
            decision = self._decide(index, paragraph, text, passage, spans, first + local, decisions,
                                    passages[number + 1:])
            decisions.append(decision)
            self._record(decision, paragraph)
        self._after = text[decisions[-1].tag_end or decisions[-1].passage.end:] if decisions else text
        self.decisions.append(decisions)

    # -- deciding --

    def _record(self, decision: Decision, paragraph: str) -> None:
        if decision.speech:
            self._turns.append(decision.entity)
            if decision.entity is not None and not decision.entity.narrator:
                self._speakers.append((len(self.decisions), decision.entity))
            content = paragraph[slice(*decision.passage.inner)]
            self._named_in_line(decision, content)
        else:
            self._turns, self._partner = [], None
        self._last = decision

    def _named_in_line(self, decision: Decision, content: str) -> None:
        """``"I am Father Christmas"`` names its speaker; ``"..., Mr. Dickens"`` names the one spoken to."""
        entity = decision.entity
        said = re.search(rf"\b(?:I am|I['’]m|my name is)\s+(?P<name>{_WORD}(?:\s+{_WORD})*)", content)
        if said and entity is not None and entity.speaker is None and not (entity.narrator or entity.named):
            speaker = self.characters.speaker(said["name"])  # "I am …" names a person, even a new one
            if speaker:
                entity.speaker = speaker
                decision.evidence += f"; says \"{said[0]}\""
        called = re.search(rf"(?:\A|,\s+)(?P<name>{_WORD}(?:\s+{_WORD})*)\s*(?:[,!.?]\W*\Z|,)", content)
        if called and len(self._turns) >= 2:
            other = self._turns[-2]
            speaker = self.characters.known(called["name"])
            unnamed = other is not None and other.speaker is None and not (other.named or other.narrator)
            if speaker and unnamed and other is not entity and (entity is None or entity.speaker != speaker):
                other.speaker = speaker

    def _subject_of_verb(self, masked: str, verb: Verb, mentions: list[Mention]) -> Mention | None:
        """Who a speech verb's subject is: the person right before it, the clause's subject after "and",
        else the nearest person before it who can speak, else a name right after it."""
        # a name in brackets before the verb is an aside: Lisa (played by Yeardley Smith) says
        before = [m for m in mentions if m.end <= verb[0] and not _in_brackets(masked, m.start, verb[0])]
        if before:
            last = before[-1]
            between = masked[last.end:verb[0]].lower().split()
            if "," not in masked[last.end:verb[0]] and _only_adverbs(between):
                # right before its verb a name is its subject, even after "as" (As Edith says)
                speaks = not last.possessive and (last.kind != "pronoun" or last.word in _SUBJECT_PRONOUNS)
                return last if speaks else None
        if re.search(r"\band\s+(?:\w+ly\s+)?\Z", masked[:verb[0]]):
            # "Homer stopped Lisa and said": the subject of the clause, not the person last named
            starts = [0, *(m.end() for m in re.finditer(r",\s|;\s|\bbut\s", masked[:verb[0]]))]
            for start in reversed(starts):
                found = next((m for m in before if m.start >= start and m.can_speak), None)
                if found is not None:
                    return found
        for mention in reversed(before):
            if mention.can_speak:
                return mention
        after = [m for m in mentions if m.start >= verb[1]]
        if after and after[0].kind == "name" and re.fullmatch(r"\s*(?:\w+ly\s+)?",
                                                             masked[verb[1]:after[0].start]):
            return after[0]  # "cried out Pathfinder"
        return None

    @staticmethod
    def _hypothetical(masked: str, verb: Verb) -> bool:
        """Whether a speech verb says nothing was said: a modal or a negation before it (you might say,
        never said), or "nothing" after it (said nothing)."""
        words = re.findall(r"[\w'’]+", masked[max(0, verb[0] - 40):verb[0]].lower())[-3:]
        if re.match(r"\s+(?:nothing|not a word)\b", masked[verb[1]:verb[1] + 12]):
            return True
        return any(word.replace("’", "'") in lx.MODALS | lx.NEGATIONS for word in words)

    def _credit(self, masked: str, passage: Passage, first: int,
                count: int) -> Tag | None:
        """``"Best pie in town." — Marge``: a name alone after a dash, ending the paragraph, credits it."""
        credit = re.match(r"\s*(?:—|–|--?)\s*", masked[passage.end:])
        if not credit:
            return None
        at = passage.end + credit.end()
        for record in self._history[first:first + count]:
            for mention in record.mentions:
                ends = not masked[mention.end:].strip(" .\x00")
                if mention.start == at and mention.kind == "name" and ends:
                    return mention, "name after a dash", masked[passage.end:mention.end].strip(), mention.end
        return None

    def _tag_after(self, masked: str, passage: Passage, limit: int, mentions: list[Mention],
                   crossing: bool) -> Tag | None:
        """The speaker named by a tag right after the quote; ``crossing``: the tag would open a new sentence
        (after a question), so only a true speech verb counts."""
        region = masked[passage.end:limit]
        lead = re.match(r"[\s,;:—–-]*", region).end()
        at = passage.end + lead
        verbs = [v for v in _verbs(masked, at, min(limit, at + 80)) if not v[2]]
        here = [m for m in mentions if at <= m.start < limit]
        if verbs and verbs[0][0] == at:
            verb = verbs[0]
            # said Homer / said softly Homer / said owner Rosa Delgado / said City councilman Frank Osei
            subject = next((m for m in here if m.start >= verb[1]), None)
            skipped = masked[verb[1]:subject.start].lower().split() if subject is not None else []
            if len(skipped) > 3 or any(word in lx.STOPWORDS or word in lx.PREPOSITIONS or not word.isalpha()
                                       for word in skipped):
                return None
            following = re.match(r"\s*([\w’']+)", masked[subject.end:limit]) if subject is not None else None
            if following and not (following[1].lower() in _TAG_FOLLOWERS or following[1].endswith("ly")):
                return None  # "said she would keep fighting" reports speech, it tags no quote
            if subject is not None and subject.kind in ("name", "role", "pronoun") and subject.can_speak:
                return subject, _AFTER, masked[passage.end:subject.end].strip(" ,;:"), subject.end
            return None
        subject = here[0] if here and here[0].start == at else None
        if subject is None or not subject.can_speak:
            return None
        rest = masked[subject.end:limit]
        verb = re.match(r"\s*((?:[\w’'-]+\s+){0,2}?)([\w’'-]+(?:\s+(?:out|up|on|in|back))?)", rest)
        if not verb:
            return None
        words = verb[1].lower().split()
        if any(w.replace("’", "'") in lx.MODALS | lx.NEGATIONS for w in words):
            return None
        if not all(w in lx.BETWEEN or w.endswith("ly") or re.fullmatch(r"\w+ed|to", w) for w in words):
            return None
        span = _verbs(masked, subject.end + verb.start(2), subject.end + verb.end(2))
        if not span or span[0][0] != subject.end + verb.start(2) or (crossing and span[0][2]):
            return None
        end = span[0][1]
        return subject, _AFTER, masked[passage.end:end].strip(" ,;:"), end

    def _before(self, masked: str, start: int, passage: Passage,
                mentions: list[Mention]) -> tuple[Mention | None, str, str] | None:
        """(speaker mention or None for hypothetical, rule, evidence) from the words before the quote."""
        region = masked[start:passage.start]
        if not region.strip():
            return None
        here = [m for m in mentions if start <= m.start < passage.start]
        label = re.fullmatch(r"\s*(?P<name>[^:]+?)(?:\s+to\s+[^:]+)?\s*:\s*", region)
        if label and here and here[0].kind == "name" and here[0].start == start + label.start("name") \
                and here[0].end == start + label.end("name"):
            return here[0], "speaker label", label[0].strip()
        according = _ACCORDING.search(region)
        if according:
            found = next((m for m in here if m.start == start + according.start("name")), None)
            if found is not None and found.kind in ("name", "role"):
                return found, "speech verb before the quote", according[0].strip(" ,:")
        ends_colon = region.rstrip().endswith((":", ":—", ":-"))
        for verb in reversed(_verbs(masked, start, passage.start)):
            tail = masked[verb[1]:passage.start]
            if re.search(r"[.!?;]", tail) or (not ends_colon and len(tail.split()) > 8):
                continue
            if verb[2] and not re.fullmatch(r"\s*(?:too\s*|\w+ly\s*)?[,:]\s*", tail):
                continue
            if re.fullmatch(r"\s*that\s*", tail) is None and tail.strip().startswith("that "):
                continue  # "said that the ..." reports speech in the narrator's words
            evidence = masked[max(start, verb[0] - 40):passage.start].strip(" ,:\x00")
            if self._hypothetical(masked, verb):
                return None, "hypothetical speech", evidence
            subject = self._subject_of_verb(masked, verb, here)
            if subject is not None:
                evidence = _clip(masked[min(subject.start, verb[0]):passage.start])
                return subject, "speech verb before the quote", evidence
            return None
        owner = _OWNER.search(region)
        if owner and owner["noun"] in lx.SPEECH_NOUNS:
            at = start + owner.start("owner")
            found = next((m for m in here if m.start == at and (m.possessive or m.word in ("his", "her"))),
                         None)
            if found is not None:
                found.possessive, found.after_preposition = False, False
                found.kind = "pronoun" if found.word in ("his", "her") else found.kind
                if found.kind == "pronoun":
                    found.word = "he" if found.word == "his" else "she"
                return found, "owner of the words before the quote", owner[0].strip()
        return None

    def _introduced(self, sentence: int) -> tuple[Mention, int, str] | None:
        """The person a sentence introduces a quote with: a speech verb whose subject it names."""
        record = self._history[sentence]
        masked = self.masked[record.paragraph]
        for verb in reversed(_verbs(masked, record.start, record.end)):
            if verb[2]:
                continue
            if self._hypothetical(masked, verb):
                return None
            subject = self._subject_of_verb(masked, verb, record.mentions)
            evidence = masked[max(record.start, verb[0] - 40):min(record.end, verb[1] + 40)].strip()
            return (subject, sentence, evidence) if subject is not None else None
        return None

    def _decide(self, index: int, paragraph: str, masked: str, passage: Passage, spans: list[Span],
                sentence: int, done: list[Decision], later: list[Passage]) -> Decision:
        local = sentence - (len(self._history) - len(spans))
        here = _Quote(index, paragraph, masked, passage, spans, sentence, local, done[-1] if done else None,
                      min([spans[local][1], *(p.start for p in later)]), later,
                      paragraph[slice(*passage.inner)].strip())
        # narration (not a tag) between this passage and the last one said breaks a run of turns
        if here.previous is not None:
            gap = masked[here.previous.tag_end or here.previous.passage.end:passage.start]
        else:
            gap = (self._after if index and self._last is not None else "x") + masked[:passage.start]
        if re.search(r"\w", gap):
            self._turns, self._partner = [], None
        here.continued = here.previous is not None and here.previous.speech and (
            passage.reopened or bool(here.previous.tag_end and self._continues(masked, here.previous,
                                                                               passage.start)))
        for rule in self._rules:
            decision = rule(here)
            if decision is not None:
                return decision
        return Decision(passage)

    @property
    def _rules(self) -> tuple[Callable[[_Quote], Decision | None], ...]:
        """The rules in the order they are tried; each decides the quote (returns a Decision) or passes."""
        return (self._label_inside, self._not_speech, self._tagged_after, self._continued,
                self._reopened_paragraph, self._fragment, self._tagged_before, self._introduced_before,
                self._action_before, self._alternating)

    def _label_inside(self, here: _Quote) -> Decision | None:
        label = re.match(rf"(?P<name>{_WORD}(?:\s+{_WORD}){{0,2}})\s*:\s+(?=\S)", here.content)
        name = label["name"] if label else ""
        # a label in capitals (BOSWELL:) names someone new; otherwise only a known name is a label
        if not label:
            return None
        if not (self.characters.known(name) or (name.isupper() and self.characters.speaker(name))):
            return None
        decision = Decision(here.passage, self._person(name), "speaker label inside the quote", name, True)
        raw = here.paragraph[slice(*here.passage.inner)]
        decision.label_end = here.passage.inner[0] + len(raw) - len(raw.lstrip()) + label.end()
        return decision

    @staticmethod
    def _not_speech(here: _Quote) -> Decision | None:
        return Decision(here.passage) if not here.content or is_title(here.content) else None

    def _tagged_after(self, here: _Quote) -> Decision | None:
        tag_limit, mentions = here.limit, self._history[here.sentence].mentions
        ends_sentence = not here.masked[here.passage.end:here.spans[here.local][1]].strip()
        if here.content[-1] in "?!…,—" and here.local + 1 < len(here.spans) and ends_sentence:
            # "Are you awake?" Samantha asks. — the tag may begin with a capital after a question
            tag_limit = min([here.spans[here.local + 1][1], *(p.start for p in here.later)])
            mentions = mentions + self._history[here.sentence + 1].mentions
        tag = self._tag_after(here.masked, here.passage, tag_limit, mentions, tag_limit != here.limit) or \
            self._credit(here.masked, here.passage, here.sentence - here.local, len(here.spans))
        if tag is None or (here.continued and here.fragment):
            return None
        mention, rule, evidence, end = tag
        if here.fragment and not self._full_sentence_inside(here.content):
            return Decision(here.passage, rule="a fragment woven into the sentence")
        decision = Decision(here.passage, tag_end=end)
        decision.asks = here.content.endswith("?") or bool(_ASKING.search(evidence))
        return self._speaker(decision, mention, rule, evidence)

    def _continued(self, here: _Quote) -> Decision | None:
        previous = here.previous
        if not here.continued or previous is None:
            return None
        named = _IDENTITY.search(here.masked[previous.tag_end or previous.passage.end:here.passage.start])
        if named and previous.entity is not None and previous.entity.speaker is None \
                and not previous.entity.named:
            speaker = self.characters.known(named["name"])
            if speaker:
                previous.entity.speaker = speaker
                previous.evidence += f"; '{named[0]}'"
        rule = "a quote reopened" if here.passage.reopened else "second half of a split quote"
        return Decision(here.passage, previous.entity, rule, previous.evidence, True)

    def _reopened_paragraph(self, here: _Quote) -> Decision | None:
        last = self._last
        if not here.index or here.previous is not None or last is None or last.passage.closed \
                or here.masked[:here.passage.start].strip() or not last.speech:
            return None
        rule = "a quote continued from the paragraph before"
        return Decision(here.passage, last.entity, rule, last.evidence, True)

    @staticmethod
    def _fragment(here: _Quote) -> Decision | None:
        return Decision(here.passage) if here.fragment else None

    def _tagged_before(self, here: _Quote) -> Decision | None:
        previous, s_start = here.previous, here.spans[here.local][0]
        start = max(s_start, previous.tag_end or previous.passage.end) if previous else s_start
        before = self._before(here.masked, start, here.passage, self._history[here.sentence].mentions)
        if before is not None:
            mention, rule, evidence = before
            if mention is None:
                return Decision(here.passage, rule=rule, evidence=evidence)
            return self._speaker(Decision(here.passage), mention, rule, evidence)
        if here.masked[s_start:here.passage.start].strip(" \x00") or \
                re.search(r"\w", here.masked[here.passage.end:here.limit]):
            return Decision(here.passage)  # the quote is part of a narrator's sentence with no speech verb
        return None

    def _introduced_before(self, here: _Quote) -> Decision | None:
        """A quote standing alone, introduced by the sentence before (with a colon, or as a paragraph)."""
        prior, masked = here.sentence - 1, here.masked
        own_paragraph = not masked[:here.passage.start].strip() and not masked[here.passage.end:].strip()
        if prior < 0 or self._quoted(prior) or not (own_paragraph or self._colon(prior)):
            return None
        introduced = self._introduced(prior)
        if introduced is None:
            return Decision(here.passage)
        mention, where, evidence = introduced
        others = [m for m in self._history[where].mentions
                  if m.kind in ("name", "role") and not m.possessive and m is not mention]
        self._partner = self.entity(others[0]) if len(others) == 1 else None
        return self._speaker(Decision(here.passage), mention, "introduced by the sentence before", evidence)

    def _action_before(self, here: _Quote) -> Decision | None:
        """He shrugs. "I didn't know." — the person acting just before a quote says it."""
        prior = here.sentence - 1
        if prior < 0 or self._quoted(prior) or self._history[prior].paragraph != here.index:
            return None
        beat = self._history[prior]
        text = here.masked[beat.start:beat.end]
        tag = here.previous is not None and here.previous.tag_end > beat.start  # "Why?" Homer asks.
        # an action, not speech or writing: "Samantha whispers something." leaves what she said untold
        told = any(word in lx.WRITING for word in re.findall(r"[a-z]+", text.lower())) or any(
            not verb[2] for verb in _verbs(text, 0, len(text)))
        if beat.subject is None or tag or told or len(text.split()) > BEAT_WORDS \
                or text[:beat.subject.start - beat.start].strip():
            return None
        rule = "action in the sentence before"
        return self._speaker(Decision(here.passage), beat.subject, rule, _clip(text))

    def _alternating(self, here: _Quote) -> Decision | None:
        """An untagged line right after another: the other party's turn."""
        previous = here.previous
        if not self._turns or not (previous is None or not previous.tag_end or self._exchange()):
            return None
        last = self._describe(self._turns[-1])
        other = self._other_turn()
        if other is not None:
            return Decision(here.passage, other, "turns alternate", f"after {last}", True)
        partner = self._partner
        if partner is None or self._same(partner, self._turns[-1]):
            partner = Entity(None, OTHER_SPEAKER)
        return Decision(here.passage, partner, "turns alternate", f"a reply to {last}", True)

    def _continues(self, masked: str, previous: Decision, start: int) -> bool:
        """Whether a quote after a tagged one is the same speaker's: ``"A," said X, "B."``; ``"A," said X,
        and sat down. "B."``; ``"A," X says. "B."`` unless it answers a question in a running exchange."""
        between = _IDENTITY.sub("", masked[previous.tag_end:start])
        if any(not verb[2] for verb in _verbs(between, 0, len(between))):
            return False  # a speech verb of its own: the words before this quote decide
        if not re.search(r"[.!?…]", between):
            return True
        sentences_between = re.split(r"[.!?…]\W*\s", between)
        if any(re.search(r"\w", text) for text in sentences_between[1:]):
            return False  # a sentence of the narrator's between, or the quote woven into one
        if re.search(r"\w", between):  # the speaker's action in the tag's sentence: "…," said X, and sat.
            mentions = self._mentions(between, [])
            return not any(m.can_speak and m.kind == "name" for m in mentions)
        # a tag that ends the sentence: the same speaker goes on, unless they asked a question in a running
        # exchange or the paragraph already trades lines between two people ("A," X asks. "B," Y says. "C?")
        return not ((previous.asks and self._exchange()) or self._mixed(previous))

    def _mixed(self, previous: Decision) -> bool:
        """Whether the paragraph of ``previous`` has lines by two different people up to it."""
        said = [d.entity for d in self._paragraph_decisions if d.speech]
        return any(not self._same(entity, previous.entity) for entity in said)

    @staticmethod
    def _same(one: Entity | None, two: Entity | None) -> bool:
        return one is two or (one is not None and two is not None and one.speaker is not None
                              and one.speaker == two.speaker)

    def _other_turn(self) -> Entity | None:
        """Who spoke last before the one who spoke last (an exchange's other party)."""
        last = self._turns[-1]
        return next((turn for turn in reversed(self._turns) if not self._same(turn, last)), None)

    def _exchange(self) -> bool:
        """Whether two people are trading lines right now."""
        return len(self._turns) >= 2 and self._other_turn() is not None

    def _colon(self, sentence: int) -> bool:
        record = self._history[sentence]
        return bool(re.search(r"[:—]\W*\Z", self.masked[record.paragraph][record.start:record.end].rstrip()))

    def _quoted(self, sentence: int) -> bool:
        record = self._history[sentence]
        return "\x00" in self.masked[record.paragraph][record.start:record.end]

    @staticmethod
    def _full_sentence_inside(content: str) -> bool:
        return len(sentences.split(content)) > 1

    @staticmethod
    def _describe(entity: Entity | None) -> str:
        if entity is None:
            return "someone"
        return entity.speaker or entity.label

    def _speaker(self, decision: Decision, mention: Mention, rule: str, evidence: str) -> Decision:
        entity = self.entity(mention)
        decision.rule, decision.evidence, decision.speech = rule, evidence, True
        decision.entity = entity
        if mention.kind == "pronoun" and mention.word in lx.PRONOUNS and entity is not None:
            decision.evidence += f"; '{mention.text}' is {self._describe(entity)}"
        elif mention.kind == "role" and entity is not None and entity.speaker:
            decision.evidence += f"; '{mention.text}' is {entity.speaker}"
        return decision


# --- pieces ------------------------------------------------------------------------------------------

_DIALOGUE = re.compile(rf"(?P<name>{_WORD}(?:\s+{_WORD}){{0,2}})\s*:\s+(?P<line>\S.*)\Z", re.S)
_WRAPPING_QUOTES = re.compile(r"\A[\"“](?P<inner>[^\"“”]*)[\"”]\Z")
_FIRST_PERSON = re.compile(r"\b(?:I|I['’](?:m|d|ll|ve)|[Mm]e|[Mm]y|[Mm]ine|[Mm]yself)\b")
_SECOND_PERSON = re.compile(r"\byou(?:r|rs|rself|['’](?:re|ll|d|ve))?\b", re.I)
TAG_WORDS = 8
"""A narration that opens with a speech tag this short is read together with the sentence after it."""


@dataclass(frozen=True)
class Piece:
    """A stretch of one paragraph said by one speaker."""

    speaker: str
    """Who says it."""
    text: str
    """What is said (cleaned prose, not yet split into sentences)."""
    note: str = ""
    """Why a character says it (for the first segment made from the piece)."""
    keep_whole: tuple[Span, ...] = ()
    """Stretches never split into separate sentences: quotes left in narration, a speech tag and the
    sentence after it."""
    notes_at: tuple[tuple[int, str], ...] = ()
    """Notes for the sentence that contains a given offset (unvoiced speech by someone outside the cast)."""


def _spoken(content: str) -> str:
    """A quote's words as a segment: a comma that handed over to the attribution becomes a period."""
    content = content.strip()
    if content[-1] in ",;:—–-":
        return content[:-1].rstrip() + "."
    return content if content[-1] in ".!?…" else content + "."


def _merged(spans: list[Span]) -> tuple[Span, ...]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _narration(paragraph: str, start: int, end: int, keep: list[Span], notes: list[tuple[int, str]],
               after_quote: bool) -> Piece | None:
    text = paragraph[start:end]
    lead = len(text) - len(text.lstrip(" ,;:—–-" if start else " "))
    text = text[lead:].rstrip()
    if not any(char.isalnum() for char in text):
        return None
    base = start + lead
    kept = [(a - base, b - base) for a, b in keep if a >= base]
    if after_quote:
        # a speech tag ("says Homer.") is read with the sentence after it, never on its own
        spans = sentences.split(text, _merged(kept))
        if len(spans) > 1 and len(text[slice(*spans[0])].split()) <= TAG_WORDS:
            kept.append((0, spans[1][1]))
    return Piece(NARRATOR, text, keep_whole=_merged(kept),
                 notes_at=tuple((at - base, note) for at, note in notes if at >= base))


def _note(decision: Decision, speaker: str) -> str:
    evidence = f" ('{decision.evidence.strip()}')" if decision.evidence.strip() else ""
    return f"{speaker} by {decision.rule}{evidence}".replace("\x00", "")


def _pieces(paragraph: str, decisions: list[Decision], characters: Characters) -> list[Piece]:
    dialogue = _DIALOGUE.match(paragraph)
    speaker = characters.speaker(dialogue["name"]) if dialogue and not decisions else None
    if dialogue and speaker:
        line = dialogue["line"].strip()
        wrapped = _WRAPPING_QUOTES.match(line)
        text = wrapped["inner"].strip() if wrapped else line
        return [Piece(speaker, text, note=f"{speaker} by dialogue line '{dialogue['name']}:'")]
    pieces: list[Piece] = []
    cursor, keep, notes, after_quote = 0, [], [], False
    for decision in decisions:
        passage, entity = decision.passage, decision.entity
        speaker = entity.speaker if entity is not None and not entity.narrator else None
        if speaker is None:
            keep.append((passage.start, passage.end))
            unvoiced = entity is not None and not entity.narrator and entity.label != OTHER_SPEAKER
            if decision.speech and unvoiced:
                notes.append((passage.start, f"speech by {entity.label} stays with the narrator "
                                             f"({entity.label} is not in the cast)"))
            continue
        narration = _narration(paragraph, cursor, passage.start, keep, notes, after_quote)
        pieces += [narration] if narration else []
        start, end = passage.inner
        words = paragraph[max(start, decision.label_end):end].strip()
        if not any(char.isalnum() for char in words):
            continue
        pieces.append(Piece(speaker, _spoken(words), note=_note(decision, speaker)))
        cursor, keep, notes, after_quote = passage.end, [], [], True
    narration = _narration(paragraph, cursor, len(paragraph), keep, notes, after_quote)
    return pieces + ([narration] if narration else [])


def attribute_all(paragraphs: list[str], characters: Characters) -> list[list[Piece]]:
    """Every cleaned paragraph of an essay, in reading order, split into pieces by speaker."""
    reading = Attribution(characters, paragraphs)
    return [_pieces(paragraph, decisions, characters)
            for paragraph, decisions in zip(paragraphs, reading.decisions, strict=True)]


def attribute(paragraph: str, characters: Characters) -> list[Piece]:
    """One cleaned paragraph on its own, split into pieces by speaker."""
    return attribute_all([paragraph], characters)[0]


def addresses_you(line: str) -> bool:
    """Whether a line speaks in the first person to "you" (``I'm lonely, touch me if you can.``)."""
    return bool(_FIRST_PERSON.search(line) and _SECOND_PERSON.search(line))


def set_apart(line: str, characters: Characters) -> Piece | None:
    """A set-apart first-person line addressed to "you" goes to the only character, if there is one."""
    speaker = characters.single
    if speaker is None or not addresses_you(line):
        return None
    wrapped = _WRAPPING_QUOTES.match(line)
    text = wrapped["inner"].strip() if wrapped else line
    return Piece(speaker, text, note=f"{speaker} by set-apart first-person line to 'you' "
                                     "(the only character voice)")
