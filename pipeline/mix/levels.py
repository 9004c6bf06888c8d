"""Voice levels: one gain per level group, chosen on what the listener hears after the limiter.

The assembly measures each level group (a speaker, the intro, the outro) on its own audio, and a
gain to the target loudness follows from that. That is not yet what comes out of mastering: the
true-peak limiter pulls every peak down to the ceiling, so a voice whose peaks stand far above its
loudness loses loudness there while a smooth voice loses none. Piper's joe at -16 LUFS peaks near
+4.5 dBTP and comes out of a -1.3 dBTP ceiling 1.4 LU quieter; Kokoro's voice peaks under the
ceiling and comes out as it went in. The whole-mix gain that then brings the episode back to
target lifts both alike, so the voices end up 2 LU apart.

``balance`` therefore levels each group on the limited mix: it mixes, gains and limits the episode
as mastering will (without encoding), measures each group over its own spans, as `essaycast check`
does, and corrects each group's gain until every group is within `BALANCE_AIM_LU` of the level the
episode needs. Limiting makes a group's loudness grow slower than its gain, so each correction is a
secant step on that group's own measured response (the first one guesses the slope from how much
the limiter took), and no group is pushed more than `MAX_PUSH_DB`
into the limiter: a voice that still falls short holds the others to its level (voices matched come
before the loudness target). The whole mix then gets one gain (never one per sentence).

"Episode" below means the timeline ``balance`` is given: ``master`` gives it one part at a time (a
section, or several when the breaks between them are too short to cut at), so every section is
levelled to the target on its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from pipeline.errors import EssaycastError
from pipeline.mix.loudness import LoudnessMeter

if TYPE_CHECKING:
    import numpy as np

    from pipeline.mix.assemble import Timeline

Mix = Callable[[Mapping[str, float]], Iterator["np.ndarray"]]
"""``mix(gains)``: the assembled voice with each level group's linear gain applied, plus the music
bed, block by block from the start of the episode."""
Listen = Callable[[Mapping[str, float], Callable[[int], None]], dict[str, float]]
"""``listen(gains_db, on_frames)``: the loudness of the episode limited at the ceiling with each group
at its gain in dB: of each group over its own spans, of all speech (`SPEECH`) and of the whole
(`EPISODE`); ``on_frames(done)`` reports the frames mixed so far. `streamed` and `modelled` make one."""

SPEECH = "<speech>"
"""Meter key of all speech spans together (angle brackets cannot occur in speaker names)."""
EPISODE = "<episode>"
"""Meter key of the whole episode."""
BALANCE_AIM_LU = 0.25
"""Balancing stops when every group, limited, is this close to the level aimed at."""
BALANCE_PASSES = 5
"""Limited mixing passes at most; each reads the whole episode once."""
MAX_PUSH_DB = 6.0
"""Most a group is gained beyond its own loudness's worth to make up what the limiter takes: Piper's
joe needs about 3 dB; a voice that needs more would only be squashed flatter without getting louder."""
TAKEN_FOR_HALF_SLOPE_DB = 1.7
"""The first step's slope is 1 / (1 + taken / this), ``taken`` being the loudness the limiter took from the
group at its first gain: Piper's joe loses 1.7 LU at -16 LUFS, and half of the next dB comes through
(0.5 measured on the seed; 0.4 after 2.6 LU taken). Later steps use the group's measured secant."""
SLOPE_RANGE: tuple[float, float] = (0.2, 1.0)
"""Loudness gained per dB of gain that a group is taken to have: at most 1 (nothing limited), at
least 0.2 (hard limiting), which bounds a step to five times the miss."""


@dataclass(frozen=True)
class Levels:
    """The gains that put every level group, and the episode as a whole, at one loudness."""

    groups_db: dict[str, float]
    """Gain of each level group (speaker, intro, outro) in dB."""
    mix_db: float
    """Gain of the whole mix in dB, on top of the groups' gains."""
    lufs: float
    """Loudness every voice is levelled to, and the episode is mastered to: the target, or less when
    a voice cannot get that loud under the ceiling."""

    @property
    def groups(self) -> dict[str, float]:
        """The group gains as linear factors, as ``Mix`` takes them."""
        return {group: 10 ** (db / 20) for group, db in self.groups_db.items()}


def streamed(mix: Mix, timeline: Timeline, ceiling_dbtp: float) -> Listen:
    """Listening to ``mix`` itself: it is mixed, limited at ``ceiling_dbtp`` and metered, all of it,
    on every call (what a music bed under the voices needs, and a part too long to model)."""
    return partial(_limited_pass, mix, timeline, ceiling_dbtp=ceiling_dbtp)


def modelled(timeline: Timeline, ceiling_dbtp: float) -> Listen:
    """Listening modelled from the timeline's piece statistics (`pipeline.mix.stats`): arithmetic on a
    few numbers per 2.5 ms, no audio read; for voices alone (no music bed), in parts of up to 30 minutes."""
    from pipeline.mix.stats import Listening

    listening = Listening(timeline.spans, timeline.stats, timeline.frames, timeline.rate, ceiling_dbtp)

    def listen(gains_db: Mapping[str, float], on_frames: Callable[[int], None]) -> dict[str, float]:
        heard = listening.heard(gains_db)
        on_frames(timeline.frames)
        return {**heard.groups, SPEECH: heard.speech, EPISODE: heard.whole}

    return listen


def balance(
    listen: Listen,
    timeline: Timeline,
    target_lufs: float,
    on_frames: Callable[[int, int], None] | None = None,
) -> Levels:
    """Gains that bring every level group to ``target_lufs`` as heard through ``listen``'s limiter.

    No group is pushed more than `MAX_PUSH_DB` into the limiter. A voice that still falls short
    sets the level for all (``Levels.lufs``): voices matched to each other come before the loudness
    target. Raises EssaycastError for a silent episode. ``on_frames(done, total)`` reports progress
    over the most passes balancing can take (it jumps to the end when it settles sooner).
    """
    report = on_frames or (lambda done, total: None)
    total = BALANCE_PASSES * timeline.frames
    audible = [group for group, lufs in timeline.loudness.items() if math.isfinite(lufs)]
    if not audible:
        raise EssaycastError("the episode is silent", hint="check the rendered voices")
    # A silent group (a segment of nothing but silence) keeps its level: there is nothing to gain.
    gains = {group: target_lufs - lufs if group in audible else 0.0
             for group, lufs in timeline.loudness.items()}
    most = {group: gains[group] + MAX_PUSH_DB for group in audible}
    speakers = {span.group for span in timeline.speech}.intersection(audible)
    slopes = dict.fromkeys(audible, SLOPE_RANGE[1])
    tried: dict[str, tuple[float, float]] = {}  # group → (gain dB, loudness heard) of the previous pass
    for done in range(BALANCE_PASSES):
        heard = listen(gains, lambda frames, done=done: report(done * timeline.frames + frames, total))
        # Voices measured over their own spans sound a little louder than the episode with its pauses;
        # they aim that much over the target so that the episode lands on it. A voice pushed as far as
        # it may go holds the others down to its level; intro and outro music falling short does not.
        gap = heard[SPEECH] - heard[EPISODE]
        held = [heard[group] for group in speakers if gains[group] >= most[group]]
        aim = min([target_lufs + gap, *held])
        misses = {group: aim - heard[group] for group in audible}
        if done == BALANCE_PASSES - 1 or all(abs(miss) <= BALANCE_AIM_LU for miss in misses.values()):
            break
        for group, miss in misses.items():
            if group in tried and abs(gains[group] - tried[group][0]) > 1e-3:  # a secant needs two gains
                slope = (heard[group] - tried[group][1]) / (gains[group] - tried[group][0])
            else:  # first step: the more the limiter already takes, the less of another dB comes through
                taken = timeline.loudness[group] + gains[group] - heard[group]
                slope = 1 / (1 + max(taken, 0.0) / TAKEN_FOR_HALF_SLOPE_DB)
            slopes[group] = min(max(slope, SLOPE_RANGE[0]), SLOPE_RANGE[1])
            tried[group] = gains[group], heard[group]
            gains[group] = min(gains[group] + miss / slopes[group], most[group])
    report(total, total)
    return Levels(groups_db=gains, mix_db=aim - heard[SPEECH], lufs=aim - gap)


def _limited_pass(
    mix: Mix,
    timeline: Timeline,
    gains_db: Mapping[str, float],
    on_frames: Callable[[int], None],
    *,
    ceiling_dbtp: float,
) -> dict[str, float]:
    """Loudness of the limited mix at ``gains_db``: of each group over its own spans, of all speech
    spans together (`SPEECH`) and of the whole episode (`EPISODE`)."""
    from pipeline.mix.limiter import TruePeakLimiter

    limiter = TruePeakLimiter(timeline.rate, ceiling_dbtp)
    meters = {group: LoudnessMeter(timeline.rate) for group in (*gains_db, SPEECH, EPISODE)}
    heard = 0

    def listen(block: np.ndarray) -> None:
        nonlocal heard
        meters[EPISODE].feed(block)
        for span, a, b in timeline.overlapping(heard, len(block)):
            meters[span.group].feed(block[a:b])
            if span.is_speech:
                meters[SPEECH].feed(block[a:b])
        heard += len(block)

    mixed = 0
    for block in mix({group: 10 ** (db / 20) for group, db in gains_db.items()}):
        listen(limiter.process(block))
        mixed += len(block)
        on_frames(mixed)
    listen(limiter.flush())
    return {group: meter.integrated() for group, meter in meters.items()}
