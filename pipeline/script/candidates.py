"""Cast candidates: the people an essay quotes, found without being told who they are.

Attribution reads the essay with every person-like name as a possible character; each named person
given at least ``MIN_LINES`` quoted lines is a candidate, with the she/he evidence the text offers
(titles such as Mr or Lady, nouns such as man or wife, pronouns that pointed back to them). People
only talked about, unnamed speakers ("a spokesman") and the essayist are never candidates.

An essay that quotes nobody may still close on a set-apart first-person line to "you" (the first
user's review does); that line goes to the essay's principal character: the person who is most often
the subject of a sentence (at least ``PRINCIPAL_SENTENCES``), ties going to the one the essay asks
"Who is …?" about.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pipeline.script import attribution, drafting, sentences
from pipeline.script.attribution import Attribution, Entity
from pipeline.script.names import Characters

MIN_LINES = 1
"""Quoted lines a person needs to be a candidate. One is enough: attribution gives a line to a named
person only on explicit evidence (measured precision 1.00 on the developers' corpus), and a character
with a single line is still a character a listener should hear."""
PRINCIPAL_SENTENCES = 3
"""Sentences a person must be the subject of to count as the essay's principal character."""


@dataclass(frozen=True)
class Candidate:
    """A person the essay quotes."""

    speaker: str
    """Speaker id for ``--cast`` (``dean-boyd``)."""
    name: str
    """The fullest name the text gives (``Dean Boyd``)."""
    lines: int
    """Quoted passages attributed to them."""
    gender: str
    """female / male from the text's evidence, '' when it gives none."""
    evidence: tuple[str, ...]
    """The she/he evidence (``title Mr``, ``pronoun she``)."""
    rules: tuple[str, ...]
    """The attribution rules that gave them lines, most used first."""
    first_line: str
    """Their first line, for recognising them."""


@dataclass
class _Tally:
    """One person's lines while counting."""

    name: str
    """The fullest name seen."""
    lines: int = 0
    """Quoted passages given to them."""
    rules: Counter[str] = field(default_factory=Counter)
    """How often each rule gave them a line."""
    first_line: str = ""
    """Their first line."""
    entities: list[Entity] = field(default_factory=list)
    """The people behind the lines (one name may have been read as several at first)."""


def _gender(entities: list[Entity]) -> tuple[str, tuple[str, ...]]:
    evidence = [why for entity in entities for why in entity.evidence]
    votes = Counter(entity.gender for entity in entities if entity.gender)
    return (votes.most_common(1)[0][0] if votes else ""), tuple(dict.fromkeys(evidence))


def _merge_names(tallies: dict[str, _Tally], names: list[str]) -> dict[str, _Tally]:
    """``smith`` is ``maggie-smith`` when the text names only one person with that word."""
    for short in [speaker for speaker in tallies if "-" not in speaker]:
        quoted = [speaker for speaker in tallies if speaker != short and short in speaker.split("-")]
        longer = quoted or [speaker for speaker in names if speaker != short and short in speaker.split("-")]
        if len(longer) == 1:
            tally = tallies.pop(short)
            into = tallies.setdefault(longer[0], _Tally(longer[0]))
            into.lines += tally.lines
            into.rules.update(tally.rules)
            into.entities += tally.entities
            into.first_line = into.first_line or tally.first_line
    return tallies


def _principal(reading: Attribution) -> str | None:
    """The person most often the subject of a sentence (ties: the one asked "Who is …?" about)."""
    subjects: Counter[str] = Counter()
    asked: set[str] = set()
    for record in reading.history:
        text = reading.masked[record.paragraph][record.start:record.end]
        for mention in record.mentions:
            entity = reading.entity(mention) if mention.kind == "name" else None
            if entity is None or entity.speaker is None:
                continue
            if mention is record.subject:
                subjects[entity.speaker] += 1
            if re.match(r"\s*Who\s+(?:is|was)\b", text) and text.rstrip().endswith("?"):
                asked.add(entity.speaker)
    ranked = sorted(subjects.items(), key=lambda item: (item[1], item[0] in asked), reverse=True)
    if not ranked or ranked[0][1] < PRINCIPAL_SENTENCES:
        return None
    if len(ranked) > 1 and [ranked[1][1], ranked[1][0] in asked] == [ranked[0][1], ranked[0][0] in asked]:
        return None  # a true tie: nobody is principal
    return ranked[0][0]


def _set_apart_lines(paragraphs: list[str], reading: Attribution) -> list[str]:
    return [paragraph for paragraph, decisions in zip(paragraphs, reading.decisions, strict=True)
            if not decisions and len(paragraph.split()) <= drafting.SET_APART_WORDS
            and len(sentences.split(paragraph)) == 1 and attribution.addresses_you(paragraph)]


def find(paragraphs: list[str]) -> list[Candidate]:
    """The candidates among the people of these cleaned paragraphs (in reading order), most lines first."""
    characters = Characters((), discover=True)
    reading = Attribution(characters, paragraphs)
    tallies: dict[str, _Tally] = {}
    for paragraph, decisions in zip(paragraphs, reading.decisions, strict=True):
        for decision in decisions:
            entity = decision.entity
            if entity is None or entity.narrator or entity.speaker is None:
                continue
            tally = tallies.setdefault(entity.speaker, _Tally(entity.label))
            tally.lines += 1
            tally.rules[decision.rule] += 1
            tally.entities.append(entity)
            tally.first_line = tally.first_line or paragraph[slice(*decision.passage.inner)].strip()
            if len(entity.label.split()) > len(tally.name.split()):
                tally.name = entity.label
    if not tallies:
        principal = _principal(reading)
        lines = _set_apart_lines(paragraphs, reading)
        if principal and lines:
            entity = reading.person(principal)
            tallies[principal] = _Tally(entity.label, len(lines), Counter(
                {"set-apart first-person line to 'you' (the essay's principal character)": len(lines)}),
                lines[0], [entity])
    candidates = []
    for speaker, tally in _merge_names(tallies, characters.speakers).items():
        if tally.lines < MIN_LINES:
            continue
        gender, evidence = _gender(tally.entities)
        candidates.append(Candidate(speaker, tally.name, tally.lines, gender, evidence,
                                    tuple(rule for rule, _ in tally.rules.most_common()), tally.first_line))
    return sorted(candidates, key=lambda candidate: -candidate.lines)


def from_text(text: str) -> list[Candidate]:
    """The cast candidates of an essay's text, read as the draft generator reads it."""
    return find(drafting.essay_paragraphs(text))
