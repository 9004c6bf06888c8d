"""Voice palette candidates measured: WER, median F0, timbre distance — the numbers in docs/voices.md.

    nice -n 5 .venv/bin/python bench/voice_candidates.py [--only NAME ...]

Every candidate (the shipped profiles and the Kokoro blends tried for the palette) reads the held-out
paragraph of tests/test_voices_palette.py and `COMPARE_TEXT` (through the segment cache, so a second
run synthesizes nothing). Prints per candidate: WER on each text (pocketsphinx, as `essaycast check`),
median F0, the timbre distance of the voice to itself across the two texts, and its nearest other
candidate; then the matrix of distances on the held-out paragraph. Kokoro needs about twice its audio's
length in CPU time on this machine's cores: the whole set is some ten minutes on an idle machine.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from pipeline.mix.check.listen import STEADY_SETTINGS
from pipeline.mix.check.voices import COMPARE_TEXT, compare
from pipeline.synth.voices import Voice, load_voices

# The held-out paragraph lives with the test that asserts on it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_voices_palette import HELD_OUT

BLENDS = {
    "kumo-1.0": ("jm_kumo", 1.0),
    "gongitsune50-kumo50": ("jf_gongitsune:0.5 + jm_kumo:0.5", 0.9),
    "gongitsune30-kumo70": ("jf_gongitsune:0.3 + jm_kumo:0.7", 0.9),
    "nezumi50-gongitsune50": ("jf_nezumi:0.5 + jf_gongitsune:0.5", 0.9),
    "alpha30-gongitsune70": ("jf_alpha:0.3 + jf_gongitsune:0.7", 0.9),
    "tebukuro30-kumo70": ("jf_tebukuro:0.3 + jm_kumo:0.7", 0.9),
    "alpha30-kumo70": ("jf_alpha:0.3 + jm_kumo:0.7", 0.9),
}
"""Candidate name → (Kokoro speaker, speed), besides the shipped profiles."""


def candidates() -> dict[str, Voice]:
    """The shipped usable profiles (narrator steady, as the check's reference) and the blends."""
    shipped = load_voices(local=Path("/nonexistent"))
    found = {name: shipped[name] for name in ("narrator", "samantha", "walter", "iris", "robin")}
    narrator = found["narrator"]
    found["narrator"] = replace(narrator, settings={**narrator.settings, **STEADY_SETTINGS["piper"]})
    for name, (speaker, speed) in BLENDS.items():
        found[name] = Voice(name=name, engine="kokoro", speaker=speaker, settings={"speed": speed})
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="measure only these candidates")
    chosen = candidates()
    only = parser.parse_args().only
    if only:
        chosen = {name: voice for name, voice in chosen.items() if name in only}
    held = compare(chosen, HELD_OUT, transcribe=True)
    other = compare(chosen, COMPARE_TEXT, transcribe=True)
    names = [measure.name for measure in held.voices]
    print("| candidate | WER held-out | WER 2nd text | F0 | same voice, two texts | nearest other |")
    print("|---|---|---|---|---|---|")
    for first, second in zip(held.voices, other.voices, strict=True):
        itself = first.timbre.distance(second.timbre) if first.timbre and second.timbre else float("nan")
        nearest = held.nearest(first.name)
        near = f"{nearest[0]} {nearest[1]:.2f}" if nearest else "–"
        print(f"| {first.name} | {first.wer:.2f} | {second.wer:.2f} | {first.f0_hz or 0:.0f} Hz "
              f"| {itself:.2f} | {near} |")
    print()
    print("| | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for a in names:
        cells = (f"{d:.2f}" if (d := held.distance(a, b)) is not None else "–" for b in names)
        print(f"| {a} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
