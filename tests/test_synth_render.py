"""render(): order, cache hits, voice swaps, resuming, voice errors — on a counting fake engine.

The fake engine is registered in the engine table like any other, so everything but the neural
models runs for real (profiles, cache, progress). Real-engine renders are in test_synth_engines.py.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import EssaycastError
from pipeline.script.model import Cast, Script, Section, Segment
from pipeline.synth import engines
from pipeline.synth import render as render_module
from pipeline.synth.cache import SegmentCache
from pipeline.synth.render import RenderedSegment, render
from pipeline.synth.voices import Voice

RATE = 16000


@dataclass
class FakeEngine:
    """Speaks a tone as long as the text, one chunk per word; records every text it is given."""

    voice: Voice
    log: list[tuple[str, str]]
    sample_rate: int = RATE

    def synthesize(self, text: str) -> Iterator[np.ndarray]:
        self.log.append((self.voice.name, text))
        if "crash" in text:
            raise RuntimeError("engine failure")
        for word in text.split():
            if word.strip("—"):
                yield np.full(len(word) * 10, 0.25, dtype=np.float32)


@pytest.fixture
def synthesized(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Register the fake engine and profiles using it; returns the log of synthesized (voice, text)."""
    return fake_engine(tmp_path, monkeypatch)


def fake_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The fake engine registered, profiles narrator, samantha, alt (and the unusable dead) using it,
    the cache in ``tmp_path`` and the working directory there; returns the engine's log."""
    log: list[tuple[str, str]] = []
    module = types.ModuleType("fake_engine")
    module.load = lambda voice, threads=1: FakeEngine(voice, log)
    module.identity = lambda voice: "fake-model-1"
    module.availability = lambda voice: voice.description if voice.description.startswith("broken") else ""
    module.sample_rate = lambda voice: RATE
    monkeypatch.setitem(sys.modules, "fake_engine", module)
    monkeypatch.setitem(engines.ENGINES, "fake", "fake_engine")
    monkeypatch.setattr(render_module, "_LOADED", {})
    monkeypatch.setenv("ESSAYCAST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "voices"
    folder.mkdir()
    for name, speaker in (("narrator", "joe"), ("samantha", "sam"), ("alt", "alt")):
        (folder / f"{name}.toml").write_text(f'engine = "fake"\nspeaker = "{speaker}"\n', encoding="utf-8")
    (folder / "dead.toml").write_text('engine = "fake"\ndescription = "broken: no model"\n', encoding="utf-8")
    return log


def script(**section_casts: str) -> Script:
    """Two sections; narrator and Samantha speak, one line twice."""
    sections = (
        Section("One", (Segment("narrator", "It began quietly."), Segment("samantha", "Hello, Theodore."))),
        Section("Two", (Segment("narrator", "Then it grew."), Segment("samantha", "Hello, Theodore."),
                        Segment("narrator", "The end."))),
    )
    script = Script("Her", sections, cast=Cast({"narrator": "narrator", "samantha": "samantha"}))
    return script.recast(sections={int(k[1:]): {"samantha": v} for k, v in section_casts.items()})


def test_one_segment_per_line_in_order(synthesized: list[tuple[str, str]]) -> None:
    segments = render(script(), workers=1)
    assert [(s.section, s.index, s.speaker, s.voice) for s in segments] == [
        (0, 0, "narrator", "narrator"), (0, 1, "samantha", "samantha"),
        (1, 0, "narrator", "narrator"), (1, 1, "samantha", "samantha"), (1, 2, "narrator", "narrator"),
    ]
    # The repeated line is synthesized once and shared.
    assert len(synthesized) == 4 and segments[1].audio == segments[3].audio
    assert not any(s.cached for s in segments)
    first = segments[0]
    assert first.sample_rate == RATE and first.frames == len("Itbeganquietly.") * 10
    assert first.read().shape == (first.frames,) and first.duration_s == first.frames / RATE


def test_second_render_is_all_cache_hits(synthesized: list[tuple[str, str]]) -> None:
    first = render(script(), workers=1)
    synthesized.clear()
    second = render(script(), workers=1)
    assert synthesized == [] and all(s.cached for s in second)
    assert [s.audio for s in second] == [s.audio for s in first]


def test_swapping_one_sections_voice_resynthesizes_only_it(synthesized: list[tuple[str, str]]) -> None:
    render(script(), workers=1)
    synthesized.clear()
    segments = render(script(s1="alt"), workers=1)
    assert synthesized == [("alt", "Hello, Theodore.")]
    assert [s.voice for s in segments if s.speaker == "samantha"] == ["samantha", "alt"]
    assert [s.cached for s in segments] == [True, True, True, False, True]


def test_damaged_entry_is_rendered_again(synthesized: list[tuple[str, str]]) -> None:
    segments = render(script(), workers=1)
    segments[2].audio.write_bytes(b"not flac")
    synthesized.clear()
    again = render(script(), workers=1)
    assert synthesized == [("narrator", "Then it grew.")] and not again[2].cached
    assert again[2].read().size == again[2].frames


def test_interrupted_render_resumes(synthesized: list[tuple[str, str]]) -> None:
    broken = script()
    sections = list(broken.sections)
    sections[1] = Section("Two", (*sections[1].segments, Segment("narrator", "This will crash.")))
    broken = Script(broken.title, tuple(sections), cast=broken.cast)
    with pytest.raises(RuntimeError, match="engine failure"):
        render(broken, workers=1)
    done_before = {text for _, text in synthesized if "crash" not in text}
    synthesized.clear()
    render(script(), workers=1)
    assert not {text for _, text in synthesized} & done_before


def test_progress_reports_every_segment(synthesized: list[tuple[str, str]]) -> None:
    render(script(), workers=1)
    seen: list[tuple[RenderedSegment, int, int]] = []
    segments = render(script(s1="alt"), workers=1, on_progress=lambda *args: seen.append(args))
    assert [(done, total) for _, done, total in seen] == [(n, 5) for n in range(1, 6)]
    assert sorted((s.section, s.index) for s, _, _ in seen) == [(s.section, s.index) for s in segments]
    assert [s.cached for s, _, _ in seen] == [True] * 4 + [False]  # hits are reported first


def test_sections_start_in_order_the_longest_work_first(synthesized: list[tuple[str, str]]) -> None:
    """A section is done early (and can be mastered while the next ones are synthesized); inside it,
    the longest lines start first, so that the last to finish is a short one."""
    render(script(), workers=1)
    texts = [text for _, text in synthesized]
    first = ["It began quietly.", "Hello, Theodore."]
    assert texts[:2] == first
    assert texts[2:] == sorted(texts[2:], key=len, reverse=True) == ["Then it grew.", "The end."]


def test_nothing_pronounceable_still_gives_audio(synthesized: list[tuple[str, str]]) -> None:
    silent = Script("Dash", (Section("", (Segment("narrator", "—"),)),))
    (segment,) = render(silent, workers=1)
    assert segment.frames == 1 and segment.read().shape == (1,)


def test_unknown_voice_fails_before_synthesis(synthesized: list[tuple[str, str]]) -> None:
    with pytest.raises(EssaycastError) as caught:
        render(script(s0="nobody"), workers=1)
    message = str(caught.value)
    assert message.startswith("unknown voice 'nobody' (available: alt, dead, ")
    assert "iris, narrator, robin, samantha, slt, walter" in message and "voices/nobody.toml" in message
    assert synthesized == []


def test_unusable_voice_fails_before_synthesis(synthesized: list[tuple[str, str]]) -> None:
    with pytest.raises(EssaycastError) as caught:
        render(script(s1="dead"), workers=1)
    message = str(caught.value)
    assert message.startswith("voice 'dead' cannot speak: broken: no model")
    assert "(fix it or cast a usable voice: alt, iris, narrator, robin, samantha, walter" in message
    assert "dead," not in message.split("usable voice:")[1]
    assert synthesized == []


def test_explicit_cache_is_used(synthesized: list[tuple[str, str]], tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path / "mine")
    segments = render(script(), workers=1, cache=cache)
    assert all(s.audio.is_relative_to(tmp_path / "mine") for s in segments)


def test_progress_bar_counts_hits_and_synthesis(synthesized: list[tuple[str, str]]) -> None:
    import io

    from rich.console import Console

    from pipeline.synth.progress import render_progress

    render(script(), workers=1)
    out = io.StringIO()
    with render_progress(Console(file=out, width=100, force_terminal=False)) as on_progress:
        render(script(s1="alt"), workers=1, on_progress=on_progress)
    assert "5/5" in out.getvalue() and "4 cached" in out.getvalue()


def handed_out(jobs: list[render_module.Job], workers: int, finishing: list[int]) -> list[set[str]]:
    """Which voices each worker was given when jobs are handed out as `LocalPool` does: `IN_FLIGHT` to
    each worker first, then one more to whichever worker finishes next (``finishing``, cycled). Every
    job is handed out once, and none later than a worker's look-ahead past its place in the order."""
    dispatch = render_module.Dispatch(jobs, workers)
    given: list[list[render_module.Job]] = [[] for _ in range(workers)]
    order: list[render_module.Job] = []

    def hand_out(worker: int) -> None:
        job = dispatch.next(worker)
        assert job is not None
        given[worker].append(job)
        order.append(job)

    for _ in range(render_module.IN_FLIGHT):
        for worker in range(workers):
            hand_out(worker)
    turn = 0
    while dispatch.pending:
        hand_out(finishing[turn % len(finishing)])
        turn += 1
    assert dispatch.next(0) is None
    assert sorted(job.key for job in order) == sorted(job.key for job in jobs)
    late = max(order.index(job) - place for place, job in enumerate(jobs))
    assert late <= render_module.LOOK_AHEAD * workers
    return [{job.voice.name for job in jobs_} for jobs_ in given]


NARRATOR, SAMANTHA = Voice("narrator", "piper"), Voice("samantha", "kokoro")


@pytest.mark.parametrize("first", [1, 6])
@pytest.mark.parametrize("finishing", [[0, 1], [1, 0], [1, 1, 0], [0, 0, 0, 1]])
def test_a_voice_with_few_lines_is_loaded_by_one_worker(finishing: list[int], first: int) -> None:
    """Three of Samantha's lines among sixty of the narrator's, the first before either worker has
    started or after both have: one worker speaks them all, so the other never loads her model,
    whichever worker happens to finish first, and her lines are not put off to the end."""
    jobs = [render_module.Job(f"n{i}", NARRATOR, "line") for i in range(60)]
    for at in (45, 20, first):
        jobs.insert(at, render_module.Job(f"s{at}", SAMANTHA, "line"))
    voices = handed_out(jobs, 2, finishing)
    assert sorted(map(len, voices)) == [1, 2] and all("narrator" in v for v in voices)


def test_a_voice_with_many_lines_spreads_over_every_worker() -> None:
    """When one voice's lines fill what a worker may look ahead, it takes them rather than idle."""
    jobs = [render_module.Job(f"n{i}", NARRATOR, "line") for i in range(3)]
    jobs += [render_module.Job(f"s{i}", SAMANTHA, "line") for i in range(40)]
    assert all("samantha" in voices for voices in handed_out(jobs, 2, [0, 1]))
