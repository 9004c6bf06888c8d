"""Attribution, rule by rule: who says each quoted passage, on sentences written for these tests.

Every rule has cases where it must fire and cases where, without its condition, it must not.
"""

from __future__ import annotations

import pytest

from pipeline.script.attribution import Characters, attribute_all, quotes
from pipeline.script.model import NARRATOR
from pipeline.script.sentences import clean

CAST = ["homer", "marge", "lisa", "karl", "maria", "peddler", "pathfinder", "odell", "mr-howard", "zoe",
        "anne-marie", "peter-ustinov", "wiseman"]


def lines(text: str, cast: list[str] = CAST) -> list[tuple[str, str]]:
    """(speaker, first words) of every character piece, paragraphs separated by blank lines."""
    paragraphs = [clean(block) for block in text.split("\n\n")]
    said = attribute_all(paragraphs, Characters(cast))
    return [(piece.speaker, piece.text[:24]) for pieces in said for piece in pieces
            if piece.speaker != NARRATOR]


def speakers(text: str, cast: list[str] = CAST) -> list[str]:
    return [speaker for speaker, _ in lines(text, cast)]


CASES = {
    # speech verbs before the quote, with or without a comma
    "verb before, no comma": ('Karl says "I have to tell myself to rest."', ["karl"]),
    "verb before, comma": ('Marge whispers, "Come home."', ["marge"]),
    "verb before, reply without comma": ('Maria replies "That is how it goes."', ["maria"]),
    "as X said": ('As Homer said "Nothing is ever simple."', ["homer"]),
    "role word between verb and name": ('"We open at nine," said owner Peter Ustinov.', ["peter-ustinov"]),
    "action just before": ('Marge came in. Homer shrugs. "I did not know."', ["homer"]),
    "exchange in one paragraph": ('Lisa asks, "Do you keep the log?" "Every night," Marge answers. '
                                  '"Even when nothing happens?" "Especially then."',
                                  ["lisa", "marge", "lisa", "marge"]),
    "credited after a dash": ('"Best pie in town." — Marge', ["marge"]),
    "according to": ('According to Karl, "The plan was sound from the start."', ["karl"]),
    "actor in brackets": ('Marge (played by Julie Kavner) says "Hello there."', ["marge"]),
    "verb with object before": ('Homer told the reporter: "We never saw it coming."', ["homer"]),
    "manner verb with comma": ('Lisa looks up from her book and chuckles, "Not again."', ["lisa"]),
    "participle": ('We see Marge at the stove, declaring firmly, "Dinner is at six."', ["marge"]),
    "thinks": ('Homer thinks "Well, that could have gone better."', ["homer"]),
    "misspelt verb": ('"Of course," anwers Homer.', ["homer"]),
    "one-letter slip": ('"Of course," Homer repiled.', ["homer"]),
    "verb phrase after": ("'Be ready to pull, lads!' cried out Pathfinder.", ["pathfinder"]),
    "inverted tag with a phrase after": ('"Late," said Marge with a smile; "always."', ["marge", "marge"]),
    # tags after the quote
    "name verb after": ('"I am here," Lisa says.', ["lisa"]),
    "verb name after": ('"Why now?" questions Homer.', ["homer"]),
    "role noun that is cast": ('"Fresh apples!" the peddler cries. "Two for a penny."',
                               ["peddler", "peddler"]),
    "question then capitalised tag": ('"Are you awake?" Marge asks.', ["marge"]),
    # colon introductions and labels
    "colon after verb": ('Mr Howard said at the press conference: "We will not give in."', ["mr-howard"]),
    "possessed speech noun": ('Homer thought it over, and this is his careful answer: "Maybe."', ["homer"]),
    "own words": ("In Maria's own words \"We were never bored.\"", ["maria"]),
    "label before quote": ('Marge: "Where were you?" Homer: "Out."', ["marge", "homer"]),
    "label inside quote": ('"LISA: I read it twice." "HOMER: I did not."', ["lisa", "homer"]),
    # split, continued and reopened quotes
    "split quote": ('"First," said Zoë, "we eat."', ["zoe", "zoe"]),
    "split with action": ('"No," said Homer, and sat down; "not today."', ["homer", "homer"]),
    "tag ends the sentence": ('"One," Lisa says. "Two."', ["lisa", "lisa"]),
    "reopened quote": ('Homer said: "We came late. "Then we left early."', ["homer", "homer"]),
    "quote over paragraphs": ('Marge said: "We came late.\n\n"Then we left early."', ["marge", "marge"]),
    # pronouns
    "pronoun after quote": ('Marge came in late. "I missed the bus," she said.', ["marge"]),
    "pronoun prefers previous subject": ('Lisa thinks Marge is wrong. She says "It was Tuesday."', ["lisa"]),
    "pronoun skips other gender": ('Mr Howard waved at Marge. "Come here," she said.', ["marge"]),
    "pronoun from paragraph before": ('Karl left the room.\n\n"I will be back," he said.', ["karl"]),
    "pronoun chain": ('Homer came home. He was tired. He sat down. "What a day," he sighed.', ["homer"]),
    "title gives gender": ('Mr Howard met Lisa. "Good morning," he told MPs.', ["mr-howard"]),
    # names
    "apostrophe name": ('"We will see," said O\'Dell.', ["odell"]),
    "accented name": ('"Merci," says Zoë.', ["zoe"]),
    "accent left out in the text": ('"Merci," says Zoe.', ["zoe"]),
    "hyphenated name": ('"Not now," says Anne-Marie.', ["anne-marie"]),
    "title before cast name": ('"Order," said Mr. Howard.', ["mr-howard"]),
    "surname alone": ('"Hush," Ustinov says.', ["peter-ustinov"]),
    "first name alone": ('"Hush," Peter says.', ["peter-ustinov"]),
    "full name": ('"Hush," said Peter Ustinov.', ["peter-ustinov"]),
    "role words before name": ('"Hush," said Professor Peter Ustinov.', ["peter-ustinov"]),
    # role nouns and appositions
    "apposition then role": ('Karl, the landlord, smiles. "Rent is due," the landlord says.', ["karl"]),
    "role then name": ('His neighbour, Karl, waved. "Nice day," said the neighbour.', ["karl"]),
    # exchanges
    "alternating turns": ('"Where?" asked Homer. "Here," Marge says. "Why?" Homer asks. "Because." "Oh."',
                          ["homer", "marge", "homer", "marge", "homer"]),
    "alternating paragraphs": ('"Hungry?" Marge asks.\n\n"Always," says Homer.\n\n"Pie?"\n\n"Yes."',
                               ["marge", "homer", "marge", "homer"]),
    "same speaker after a tag": ('"Where?" asked Homer. "Where did it go?"', ["homer", "homer"]),
    "introduced exchange": ('Homer stopped Lisa in the hall and said:\n\n"Where is the car?"\n\n"Gone."\n\n'
                            '"Gone where?"', ["homer", "lisa", "homer"]),
    "identity revealed": ('"Who are you?" I asked.\n\n"I am Wiseman," the stranger said.', ["wiseman"]),
    "line before the name": ('A man walked in. "Good evening," he said.\n\n"Evening," I replied.\n\n'
                             '"I am Karl," he said.', ["karl", "karl"]),
}


@pytest.mark.parametrize(("text", "expected"), CASES.values(), ids=CASES.keys())
def test_character_lines(text: str, expected: list[str]) -> None:
    assert speakers(text) == expected


NARRATED = {
    "title": 'We watched "The Long Night" twice.',
    "scare quotes": 'Homer calls it "research" and Marge calls it "a nap."',
    "woven fragment": 'The price, Homer said, is "as low as it has been."',
    "woven fragment with tag": 'It offers an assurance "that someone is watching," Homer said.',
    "quoted writing": 'Homer wrote in his diary: "Rain again."',
    "hypothetical": 'You might say, "This will never work."',
    "calls it": 'Homer calls it "The Best Day Of The Year." Marge agrees.',
    "according to someone outside the cast": 'According to Bart, "The plan was sound."',
    "negated": 'Homer did not say "sorry" and Marge never said "Thank you for coming."',
    "modal": 'Homer would say "Not my fault."',
    "said nothing": 'Marge said nothing.\n\n"It is late."',
    "essayist": '"Good morning," I said.',
    "not in the cast": '"Good morning," said Bart.',
    "unnamed speaker": 'A spokesman said: "We have no comment at this time."',
    "addressee is not the speaker": 'An old man stopped Homer and said: "You dropped your hat."',
    "sign that reads": '"Keep off the grass, please," reads the sign.',
    "banner that says": '"Readers are leaders" says one banner on the wall.',
    "sign sequence": 'The signs went by. "Stop." "Slow." "Yield." "Turn."',
    "untagged after narration": 'Homer spoke to Marge. Then the rain began. "Go home."',
    "long sentence before is no action": ('Homer walked all the way down to the harbour and back again '
                                          'before dark. "Go home."'),
    "subject not at the start is no action": 'At noon the bell that Homer rang woke the town. "Go home."',
    "words between verb and name": '"Go home," said the man to Homer.',
    "reported speech after a quote": ('Marge came. A man holding a sign reading "Save Our Library," said she '
                                      'would stay.'),
    "writing is no action": 'Homer writes a note. "Back at six."',
    "credited to someone unnamed": '"Best pie in town." -- A happy customer',
    "dash and a name in the sentence": '"Pie" — Marge says it is overrated.',
    "a tag is no action": '"Why?" Bart asks. "Because."',
    "apposition without a phrase": 'A man, , Homer, waited. It rained. "Hi."',
    "apostrophes": "Homer's dog doesn't bark; 'tis the '80s' fault and the boys' toys.",
    "nested quote is part of outer": 'Lisa read "He said \'no\' twice" aloud.',
    "pronoun meaning someone outside the cast": 'Bart came in. "Hi," he said.',
    "pronoun with no antecedent": '"Hi," he said.',
    "pronoun for a speaker named at a sentence start": ('Homer left early.\n\nBart once said it was bad. '
                                                        'Later he explained: "It could never work."'),
    "unclosed quote": 'Homer sighed and wrote "Maybe later\n\nThe next day it rained.',
}


@pytest.mark.parametrize("text", NARRATED.values(), ids=NARRATED.keys())
def test_stays_with_the_narrator(text: str) -> None:
    assert lines(text) == []


def test_nested_and_split_quotes_are_passages() -> None:
    text = '"You said \'maybe,\' so I waited," Lisa says, "and waited."'
    assert [text[p.start:p.end][:10] for p in quotes(text)] == ['"You said ', '"and waite']
    assert lines(text) == [("lisa", "You said 'maybe,' so I w"), ("lisa", "and waited.")]


def test_curly_and_single_quotes() -> None:
    assert speakers("“Stay,” Marge says. ‘Please,’ Homer says.") == ["marge", "homer"]
    assert speakers("'Stay,' Marge says.") == ["marge"]


def test_unclosed_quote_ends_at_the_paragraph_end() -> None:
    text = 'Early on she says "France fell but I did not.\n\nNarration goes on here.'
    assert lines("Marge was there. " + text) == [("marge", "France fell but I did no")]


def test_multi_word_names_are_unambiguous_only() -> None:
    cast = ["peter-ustinov", "peter-sellers"]
    assert speakers('"Hush," Peter says.', cast) == []  # two Peters
    assert speakers('"Hush," Sellers says.', cast) == ["peter-sellers"]
    assert speakers('"Hush," said Margaret Ustinov.', cast) == []  # another first name: someone else


def test_notes_say_rule_and_evidence() -> None:
    paragraphs = [clean('Marge came in late. "I missed the bus," she said.')]
    piece = next(p for p in attribute_all(paragraphs, Characters(["marge"]))[0] if p.speaker == "marge")
    assert piece.note.startswith("marge by speech verb after the quote")
    assert "'she' is marge" in piece.note


def test_a_speech_tag_is_never_a_segment_of_its_own_when_narration_follows() -> None:
    from pipeline.script.drafting import draft

    script = draft('They argued. "Go," says Homer. He points at the door.\n\nNext day.', ["homer"])
    said = [(segment.speaker, segment.text) for _, _, _, segment in script.segments()]
    assert said[:3] == [(NARRATOR, "They argued."), ("homer", "Go."),
                        (NARRATOR, "says Homer. He points at the door.")]


def test_speech_tag_is_read_with_the_narration_after_it() -> None:
    paragraphs = [clean('"Go," says Homer. He points at the door. Marge waits.')]
    narration = next(p for p in attribute_all(paragraphs, Characters(["homer"]))[0] if p.speaker == NARRATOR)
    assert narration.text.startswith("says Homer.")
    assert narration.keep_whole == ((0, len("says Homer. He points at the door.")),)


def test_a_long_chain_of_pronouns_is_followed_only_so_far() -> None:
    text = "Homer came home. " + "He walked. " * 800 + '"Hi," he said.'
    assert lines(text) == []  # far too far to be sure, and no recursion error
    assert speakers("Homer came home. " + "He walked. " * 5 + '"Hi," he said.') == ["homer"]
