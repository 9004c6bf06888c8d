"""The `essaycast` command: a thin typer layer over the stage libraries.

Heavy libraries (numpy, onnxruntime, piper, mutagen) are imported inside the commands, never at
module level, so `essaycast --help` starts fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipeline.errors import EssaycastError

if TYPE_CHECKING:
    from rich.console import Console

    from pipeline.batch.catalogue import BatchReport
    from pipeline.batch.catalogue import Progress as CatalogueProgress
    from pipeline.mix.episode import Episode
    from pipeline.mix.master import MixOptions
    from pipeline.script.model import Script
    from pipeline.synth.casting import Casting
    from pipeline.synth.render import RenderedSegment

app = typer.Typer(
    name="essaycast",
    help="Turn a written essay into a published podcast episode, offline, with open local TTS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def _warn(message: str) -> None:
    """A warning that does not stop the command, on one line of stderr."""
    _console().print(f"[yellow]warning:[/yellow] {message}", highlight=False)


@app.command()
def version() -> None:
    """Print the essaycast version."""
    from pipeline import __version__

    print(__version__)


# --- script stage -----------------------------------------------------------------------------


ReadAs = Annotated[str | None, typer.Option(
    "--as", help="Read the input as a 'script' or an 'essay' (default: told apart by its content).")]


def _cast_options(values: list[str] | None) -> tuple[bool, dict[str, str]]:
    """``--cast`` values: whether ``auto`` was asked for, and the explicit NAME[=PROFILE] ones."""
    from pipeline.script.drafting import parse_cast_options

    values = values or []
    auto = [value for value in values if value.strip().lower() == "auto"]
    return bool(auto), parse_cast_options([value for value in values if value not in auto])


def _say_castings(castings: tuple[Casting, ...], essay: Path | None = None) -> None:
    """What ``--cast auto`` chose and why, one line a character (``essay`` names it in a batch)."""
    console = _console()
    where = f" ({essay})" if essay else ""
    if not castings:
        console.print(f"cast auto{where}: nobody is quoted by name; the narrator reads everything",
                      highlight=False, soft_wrap=True)
    for casting in castings:
        console.print(f"cast auto{where}: {casting.speaker}={casting.profile} ({casting.reason})",
                      highlight=False, soft_wrap=True)


Redraft = Annotated[bool, typer.Option(
    "--redraft", help="Replace a script edited since it was drafted with a fresh draft (edits are lost).")]
CastOption = Annotated[list[str] | None, typer.Option(
    "--cast", help="A character voice: NAME (profile of that name) or NAME=PROFILE, repeatable; "
                   "'auto' casts every quoted character.")]


@app.command("script")
def script_command(
    source: Annotated[Path, typer.Argument(
        help="An essay to draft from: plain text (.txt), Markdown (.md), HTML (.html, .htm), EPUB (.epub), "
             "Word (.docx) or PDF (.pdf); or a script to convert (.md with script marks, .json, .ssml).")],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Script to write, '-' for stdout (default: INPUT.md beside INPUT, or "
                               "./script/INPUT.md for an essay outside the current folder).")] = None,
    cast: CastOption = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", help="md or json (default: from the output's suffix, else md).")] = None,
    title: Annotated[str | None, typer.Option(
        "--title", help="Episode title (default: the essay's title line, else the file name).")] = None,
    redraft: Redraft = False,
    read_as: ReadAs = None,
) -> None:
    """Draft an editable, voiced script from an essay (or convert a script between formats).

    Essays: plain text, Markdown, HTML saved from a browser, EPUB, DOCX and PDF
    (docs/inputs.md says what each keeps and drops).

    A script edited since essaycast wrote it is never overwritten (--redraft replaces it).
    """
    from pipeline.script.storage import (
        dumps,
        is_essay,
        keep_edits,
        resolve_output,
        save,
        script_from,
        stamped,
        summary,
    )

    auto, voices = _cast_options(cast)
    dest, fmt = resolve_output(source, output, fmt)
    drafting = is_essay(source, read_as)
    if drafting and dest is not None and keep_edits(dest, redraft):
        raise EssaycastError(f"{dest} was edited since it was drafted: not overwritten",
                             hint="edit it further and render it, or pass --redraft to replace it")
    if auto:
        from pipeline.batch.prepare import auto_cast, with_castings

        castings = auto_cast(source, voices, read_as)
        _say_castings(castings)
        voices = with_castings(voices, castings)
    result = script_from(source, voices, title, read_as)
    result = stamped(result) if drafting else result
    if dest is None:
        sys.stdout.write(dumps(result, fmt))
    else:
        save(result, dest, fmt)
    _console().print(f"wrote {dest or 'stdout'}: {summary(result)}", highlight=False, soft_wrap=True)


@app.command("cast")
def cast_command(
    source: Annotated[Path, typer.Argument(
        help="The essay (.txt .md .html .epub .docx .pdf) to find quoted characters in.")],
) -> None:
    """List the characters an essay quotes, with their line counts and she/he evidence (drafts nothing)."""
    from rich.console import Console
    from rich.table import Table

    from pipeline.script.storage import candidates_from
    from pipeline.synth.casting import choose

    found = candidates_from(source)
    if not found:
        print("Nobody is quoted by name: the narrator reads everything.")
        return
    voices = {casting.speaker: casting.profile for casting in choose(found)}
    table = Table()
    table.add_column("speaker", no_wrap=True)  # the id to give --cast: never cut
    for column in ("lines", "she/he", "evidence", "voice (--cast auto)", "first line"):
        table.add_column(column)
    for candidate in found:
        evidence = "; ".join([*candidate.evidence[:3], *candidate.rules[:2]])
        table.add_row(candidate.speaker, str(candidate.lines), candidate.gender or "?", evidence,
                      voices.get(candidate.speaker, ""), candidate.first_line[:60])
    Console().print(table)

# --- synth stage ------------------------------------------------------------------------------


@app.command()
def voices(
    as_json: Annotated[bool, typer.Option("--json", help="Print the profiles as a JSON list.")] = False,
    compare: Annotated[bool, typer.Option(
        "--compare", help="Have every usable voice read the same text and say which sound alike.")] = False,
    sample: Annotated[Path | None, typer.Option(
        "--sample", help="Write a sentence per usable voice into this folder, with index.html.")] = None,
) -> None:
    """List the voice profiles: engine, gender and pitch, licence, whether each can speak now.

    Which voices each is distinct from (by timbre) is shown once they have been compared
    (--compare renders a sentence per voice; later listings read it from the cache).
    """
    import json

    from rich.console import Console
    from rich.table import Table

    from pipeline.mix.check.voices import compare as compare_voices
    from pipeline.synth.voices import voice_statuses

    statuses = voice_statuses()
    usable = [status.voice for status in statuses if not status.problem]
    console = _console()
    if sample is not None:
        from pipeline.synth.audition import write_samples

        page = write_samples(usable, sample, on_sample=lambda voice, path: console.print(f"wrote {path}"))
        console.print(f"wrote {page}: open it to listen to {len(usable)} voices")
    with console.status("each voice reads the comparison text…") if compare else contextlib.nullcontext():
        comparison = compare_voices(usable, synthesize=compare)
    compared = {measure.name for measure in comparison.voices}

    def distinct(name: str) -> list[str] | None:
        return comparison.distinct_from(name) if name in compared and len(compared) > 1 else None

    if as_json:
        rows = [{
            "name": s.voice.name, "engine": s.voice.engine, "usable": not s.problem, "reason": s.problem,
            "gender": s.voice.gender, "pitch": s.voice.pitch, "description": s.voice.description,
            "license": s.voice.license, "sample_rate": s.sample_rate, "distinct_from": distinct(s.voice.name),
        } for s in statuses]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table()
    for heading in ("voice", "engine", "rate", "sounds"):
        table.add_column(heading, no_wrap=True)  # short values, never cut: other columns wrap instead
    table.add_column("licence")
    table.add_column("usable now", overflow="fold")  # fold, not cut: the reason may hold a path to fix
    table.add_column("distinct from")
    table.add_column("description")
    for status in statuses:
        rate = f"{status.sample_rate / 1000:g} kHz" if status.sample_rate else "?"
        usable_now = f"[red]no:[/red] {status.problem}" if status.problem else "[green]yes[/green]"
        voice = status.voice
        sounds = " · ".join(part for part in (voice.gender, voice.pitch) if part) or "?"
        others = distinct(voice.name)
        apart = "? (voices --compare)" if others is None else ", ".join(others) or "none"
        table.add_row(voice.name, voice.engine, rate, sounds, voice.license, usable_now,
                      "–" if status.problem else apart, voice.description)
    out = Console()
    # Piped, rich would wrap the eight columns at 80 characters; a file or grep reads long lines fine.
    (out if out.is_terminal else Console(width=160)).print(table)
    for first, second, distance in comparison.alike():
        alike = f"[yellow]{first} and {second} sound alike[/yellow] (timbre distance {distance:.2f})"
        console.print(alike, highlight=False)


@app.command()
def say(
    text: Annotated[str, typer.Argument(help="What to say.")],
    voice: Annotated[str, typer.Option("--voice", "-v", help="Voice profile (see `essaycast voices`).")] = (
        "narrator"
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="WAV file to write (default: say-VOICE.wav).")
    ] = None,
    explain: Annotated[bool, typer.Option(
        "--explain", help="Also print the text after the lexicon and the phonemes spoken.")] = False,
) -> None:
    """Audition a voice: speak TEXT into a WAV file (pronounced as the lexicon files say)."""
    from pipeline.synth.lexicon import load_lexicon
    from pipeline.synth.render import explain as explain_text
    from pipeline.synth.render import say as speak_to_file
    from pipeline.synth.voices import get_voice

    if not text.strip():
        raise EssaycastError("nothing to say", hint='give some text: essaycast say "Hello there."')
    dest = output or Path(f"say-{voice}.wav")
    _check_say_output(dest)
    profile, lexicon = get_voice(voice), load_lexicon()
    if explain:
        explanation = explain_text(profile, text, lexicon)
        print(f"text: {explanation.text}")
        for phonemes in explanation.phonemes or ("(this engine cannot show its phonemes)",):
            print(f"phonemes: {phonemes}")
        for warning in explanation.warnings:
            _console().print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    seconds = speak_to_file(profile, text, dest, lexicon)
    _console().print(f"wrote {dest} ({seconds:.1f} s, voice {voice})")


def _check_say_output(dest: Path) -> None:
    """``say`` writes WAV only: any other suffix, or a place it cannot write, is refused before speaking."""
    from pipeline.files import check_writable

    if dest.suffix.lower() != ".wav":
        raise EssaycastError(f"say writes WAV audio, not {dest.suffix or 'a file without a suffix'}: {dest}",
                             hint="name the output NAME.wav")
    check_writable(dest)


# --- mix stage --------------------------------------------------------------------------------


@app.command()
def check(
    episode: Annotated[Path, typer.Argument(help="The episode MP3 (its NAME.vtt transcript beside it).")],
    script: Annotated[
        Path | None, typer.Option("--script", help="Hold the episode against this script's text.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    no_reference: Annotated[
        bool, typer.Option("--no-reference", help="Skip the reference voice's baseline (faster).")
    ] = False,
    target: Annotated[
        float | None, typer.Option("--target", help="Loudness the episode must have, in LUFS (default -16).")
    ] = None,
) -> None:
    """Listen to an episode: intelligibility, distinct voices, loudness, clipping and clicks.

    Exits 1, printing the reasons, when a hard check fails.
    """
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.progress import Progress

    from pipeline.mix.check import check as check_episode
    from pipeline.mix.check import render_report

    if target is not None:
        from pipeline.mix.master import MixOptions

        MixOptions(target_lufs=target)  # refuses a target render would refuse, before minutes of listening
    loaded = None
    if script is not None:
        from pipeline.script import load

        loaded = load(script)
    console = _console()
    progress = Progress(console=console, transient=True, disable=not console.is_terminal)
    task = progress.add_task("listening", total=None)

    def listened(phase: str, done: int, total: int) -> None:
        progress.start()  # only once transcribing begins, so an early error stays one clean line
        progress.update(task, description=phase, completed=done, total=total)

    try:
        report = check_episode(
            episode, loaded, reference=not no_reference, target_lufs=target, on_progress=listened
        )
    finally:
        progress.stop()
    if as_json:
        print(report.to_json())
    else:
        Console().print(Markdown(render_report(report)))
    for reason in report.failures:
        print(f"essaycast: check failed: {reason}", file=sys.stderr)
    raise typer.Exit(0 if report.passed else 1)

# --- whole pipeline: render (synth + mix) and make (script → render → publish) ---------------


def _parse_voice_swaps(
    voice: list[str], section: list[str]
) -> tuple[dict[str, str], dict[int, dict[str, str]]]:
    """``--voice SPEAKER=PROFILE`` and ``--section N:SPEAKER=PROFILE`` (N counts from 1)."""
    from pipeline.script.drafting import parse_cast_options

    def pair(value: str, option: str) -> dict[str, str]:
        speaker, _, profile = value.partition("=")
        if not speaker.strip() or not profile.strip():
            raise EssaycastError(f"bad {option} {value!r}", hint=f"write {option} SPEAKER=PROFILE")
        return parse_cast_options([value])

    swaps = {}
    for value in voice:
        swaps |= pair(value, "--voice")
    sections: dict[int, dict[str, str]] = {}
    for value in section:
        number, _, rest = value.partition(":")
        if not number.strip().isdigit() or int(number) < 1 or not rest:
            raise EssaycastError(f"bad --section {value!r}", hint="write N:SPEAKER=PROFILE, N from 1")
        sections.setdefault(int(number) - 1, {}).update(pair(rest, "--section"))
    return swaps, sections


def _produce(
    script: Script, source: Path, out: Path, workers: int | None, options: MixOptions, confirmed: bool = False
) -> tuple[Episode, list[RenderedSegment], float]:
    """Render and master one script with progress bars; returns (episode, segments, seconds).

    Bars are drawn on a terminal only: in a pipe or a log, stderr carries nothing but the one-line
    error of a failed run.
    """
    import time

    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

    from pipeline.mix.estimate import check_size
    from pipeline.mix.master import EarlyParts, master, preflight
    from pipeline.synth.progress import render_progress
    from pipeline.synth.render import render

    started = time.perf_counter()
    _check_workers(workers)
    preflight(script, out, options, base_dir=source.parent)  # before minutes of synthesis, not after
    check_size(script, options.bitrate_kbps, out, confirmed)  # a pasted book asks first
    console = _console()
    try:
        # Parts whose segments are all in are mastered while the others are still being synthesized.
        with render_progress(console) if console.is_terminal else contextlib.nullcontext() as on_segment, \
                EarlyParts(script, out, options, base_dir=source.parent) as early:

            def on_progress(segment: RenderedSegment, done: int, total: int) -> None:
                early.segment_done(segment)
                if on_segment is not None:
                    on_segment(segment, done, total)

            segments = render(script, workers=workers, on_progress=on_progress, on_warning=_warn)
    except KeyboardInterrupt:
        raise Interrupted("interrupted", hint="finished segments are cached; run again to resume") \
            from None
    columns = (TextColumn("[bold]{task.description:<12}"), BarColumn(), TaskProgressColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        tasks: dict[str, int] = {}

        def mastered(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase.capitalize(), total=total)
            bar.update(tasks[phase], completed=done, total=total)

        try:
            episode = master(script, segments, out, options, base_dir=source.parent, on_progress=mastered)
        except KeyboardInterrupt:
            raise Interrupted("interrupted", hint="mastered parts are cached; run again to resume") from None
    return episode, segments, time.perf_counter() - started


class Interrupted(EssaycastError):
    """Ctrl-C during a long run: reported in one line like any error, with the shell's status for it."""


RESOURCE_TRACKER = "multiprocessing.resource_tracker"
"""The module of Python's resource tracker process, whose leak warnings `main` silences."""

INTERRUPTED_EXIT = 130
"""Exit status of a run stopped by Ctrl-C (128 + SIGINT), whichever stage it was in."""


def _check_workers(workers: int | None) -> None:
    if workers is not None and workers < 1:
        raise EssaycastError(f"--workers {workers}: needs 1 or more processes",
                             hint="or leave it out: one per core")


def _summarise(
    episode: Episode, segments: list[RenderedSegment], seconds: float, extra: list[str] | None = None
) -> None:
    """The final summary: duration, loudness, true peak, chapters, files, time, cache hits."""
    from rich.console import Console
    from rich.table import Table

    hits = sum(segment.cached for segment in segments)
    minutes, secs = divmod(episode.duration_ms / 1000, 60)
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_row("episode", episode.title)
    table.add_row("duration", f"{int(minutes)}:{secs:04.1f}")
    loudness = f"{episode.loudness_lufs:.1f} LUFS, true peak {episode.true_peak_dbtp:.1f} dBTP"
    table.add_row("loudness", loudness)
    table.add_row("chapters", f"{len(episode.chapters)}: " + " · ".join(c.title for c in episode.chapters))
    table.add_row("segments", f"{len(segments)} ({hits} from cache, {len(segments) - hits} synthesized)")
    table.add_row("time", f"{seconds:.1f} s")
    files = [episode.audio, episode.chapters_json, episode.vtt, episode.srt, episode.master, episode.cover]
    table.add_row("files", "\n".join(str(f) for f in files if f is not None))
    for line in extra or []:
        key, _, value = line.partition(": ")
        table.add_row(key, value)
    Console().print(table)


def _mix_options(target: float, bitrate: int, master_format: str | None, cover: Path | None) -> MixOptions:
    from pipeline.mix.master import MixOptions

    return MixOptions(
        target_lufs=target, bitrate_kbps=bitrate, master_format=master_format or "", cover=cover
    )


Workers = Annotated[
    int | None, typer.Option("--workers", "-j", help="Synthesis processes (default: 1/core)."),
]
Target = Annotated[float, typer.Option("--target", help="Integrated loudness in LUFS.")]
Bitrate = Annotated[int, typer.Option("--bitrate", help="Constant MP3 bitrate in kbps.")]
Master = Annotated[str | None, typer.Option("--master", help="Also write a lossless master: flac or wav.")]
Cover = Annotated[Path | None, typer.Option("--cover", help="Cover image (JPEG/PNG) to embed.")]
Yes = Annotated[bool, typer.Option("--yes", help="Render even a script longer than 3 hours of audio.")]


@app.command("render")
def render_command(
    script: Annotated[Path, typer.Argument(help="The script (.md, .json or .ssml).")],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="MP3 to write (default: output/SCRIPT.mp3).")] = None,
    voice: Annotated[list[str] | None, typer.Option(
        "--voice", help="Swap a voice for the whole episode: SPEAKER=PROFILE; repeatable.")] = None,
    section: Annotated[list[str] | None, typer.Option(
        "--section", help="Swap a voice in one section: N:SPEAKER=PROFILE (N from 1); repeatable.")] = None,
    workers: Workers = None,
    target: Target = -16.0,
    bitrate: Bitrate = 96,
    master_format: Master = None,
    cover: Cover = None,
    yes: Yes = False,
) -> None:
    """Render a script to a mastered MP3 with chapters and transcripts.

    Only segments whose text, voice or settings changed since the last render are synthesized.
    """
    from pipeline.script import load

    options = _mix_options(target, bitrate, master_format, cover)
    swaps, sections = _parse_voice_swaps(voice or [], section or [])
    loaded = load(script)
    try:
        loaded = loaded.recast(swaps, sections)
    except ValueError as exc:
        raise EssaycastError(f"cannot swap voices: {exc}") from None
    out = output or Path("output") / f"{script.stem}.mp3"
    _summarise(*_produce(loaded, script, out, workers, options, yes))


@app.command("make")
def make_command(
    source: Annotated[Path, typer.Argument(
        help="The essay (.txt .md .html .epub .docx .pdf) or an edited script (.md, .json).")],
    cast: CastOption = None,
    site: Annotated[Path, typer.Option("--site", help="The site folder to publish into.")] = Path("output"),
    title: Annotated[str | None, typer.Option("--title", help="Episode title.")] = None,
    redraft: Redraft = False,
    read_as: ReadAs = None,
    workers: Workers = None,
    target: Target = -16.0,
    bitrate: Bitrate = 96,
    yes: Yes = False,
) -> None:
    """Essay → script → episode → feed in one go: draft (or reuse) the script, render it, publish it.

    The script is kept where ``essaycast script`` writes it; one edited since it was drafted is used
    as it is (--redraft replaces it).
    """
    from pipeline.batch.prepare import prepare
    from pipeline.mix.estimate import check_size
    from pipeline.publish import publish
    from pipeline.publish.publisher import check_site, episode_slug

    options = _mix_options(target, bitrate, None, None)
    _check_workers(workers)
    check_site(site, episode_slug(Path(f"{source.stem}.mp3")))  # a broken site costs no render
    out = _made_episode(site, source.stem)
    auto, voices = _cast_options(cast)
    prepared = prepare(source, voices, title, read_as=read_as, redraft=redraft, auto=auto,
                       vet=lambda draft: check_size(draft, bitrate, out, yes))
    if prepared.castings is not None:
        _say_castings(prepared.castings)
    script, script_file = prepared.script, prepared.path
    notes = [prepared.note] if prepared.note else []
    episode, segments, seconds = _produce(script, script_file, out, workers, options, yes)
    done = publish(episode, site)
    for warning in done.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    notes += [f"feed: {done.feed}", f"page: {done.page}"]
    if done.settings_created:
        notes.append(f"settings: {site / 'podcast.toml'} (defaults: set base_url before hosting)")
    _summarise(episode, segments, seconds, notes)


def _made_episode(site: Path, stem: str) -> Path:
    """Where `make` renders before publishing: outside the served site (a failed run leaves nothing in
    it), kept in the cache per site so an unchanged essay is not mastered again."""
    import hashlib

    from pipeline.synth.cache import cache_root

    site_key = hashlib.sha256(str(site.resolve()).encode()).hexdigest()[:16]
    return cache_root() / "made" / site_key / f"{stem}.mp3"


SOME_FAILED = 3
"""Exit code of ``batch`` when some essays failed and the others were published (1: the whole run
failed before any essay was published, as for every command)."""


@app.command("batch")
def batch_command(
    sources: Annotated[list[Path], typer.Argument(
        help="Essays or edited scripts, files or folders (a folder gives its essays, see --glob).")],
    site: Annotated[Path, typer.Option("--site", help="The site folder to publish into.")] = Path("output"),
    glob: Annotated[str | None, typer.Option(
        "--glob", help="Files a folder gives: '*.txt', '**/*.md' (default: every essay or script).")] = None,
    order: Annotated[str, typer.Option(
        "--order", help="Episode order: name, mtime (oldest first), date (front matter's).")] = "name",
    cast: CastOption = None,
    voice: Annotated[list[str] | None, typer.Option(
        "--voice", help="Swap a voice in every episode: SPEAKER=PROFILE; repeatable.")] = None,
    section: Annotated[list[str] | None, typer.Option(
        "--section", help="Swap a voice in section N of every episode: N:SPEAKER=PROFILE.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write a JSON report of the run.")] = None,
    cluster: Annotated[str | None, typer.Option(
        "--cluster", help="Synthesize and master on Dask: local:N (N local workers) or tcp://HOST:PORT "
                          "(a running `dask scheduler`; pip install 'essaycast\\[cluster]').")] = None,
    workers: Workers = None,
    target: Target = -16.0,
    bitrate: Bitrate = 96,
) -> None:
    """Make a whole catalogue into one podcast: every essay drafted (or its edited script reused),
    rendered, mastered and published into one site, in a stable order.

    Identical lines are synthesized once and the longest go first across all essays. An essay that
    fails is reported with its error and the others are still published; the exit code is then 3.
    Running again resumes from the caches and leaves up-to-date episodes alone.
    """
    from pipeline.batch.catalogue import MAX_AT_ONCE, BatchOptions, make_catalogue
    from pipeline.batch.sources import collect, ordered
    from pipeline.files import write_text
    from pipeline.synth.render import LocalPool

    swaps, sections = _parse_voice_swaps(voice or [], section or [])
    auto, voices = _cast_options(cast)
    options = BatchOptions(cast=voices, auto_cast=auto, voices=swaps, sections=sections,
                           mix=_mix_options(target, bitrate, None, None))
    essays = ordered(collect(sources, glob), order)
    with contextlib.ExitStack() as stack:
        executor, part_master, at_once = LocalPool(workers), None, 1
        if cluster:
            from pipeline.mix.parts import RemoteParts
            from pipeline.synth.cluster import dask_executor

            executor = stack.enter_context(dask_executor(cluster))
            part_master, at_once = RemoteParts(executor.call), min(MAX_AT_ONCE, executor.slots)
        with _batch_progress(len(essays)) as on_progress:
            try:
                done = make_catalogue(essays, site, options, executor=executor, part_master=part_master,
                                      essays_at_once=at_once, on_progress=on_progress, on_warning=_warn)
            except KeyboardInterrupt:
                raise EssaycastError("interrupted", hint="finished work is cached; run again to resume") \
                    from None
    if report is not None:
        write_text(report, done.to_json())
    for essay in done.essays:
        for line in essay.cast_auto:
            _console().print(f"cast auto ({essay.source}): {line}", highlight=False, soft_wrap=True)
    _batch_summary(done)
    for essay in done.failed:
        where = "" if essay.source in essay.error else f"{essay.source}: "
        print(f"essaycast: error: {where}{essay.error}", file=sys.stderr)
    if done.failed:
        raise typer.Exit(SOME_FAILED)


@contextlib.contextmanager
def _batch_progress(essays: int) -> Iterator[CatalogueProgress]:
    """One display for the whole run: essays finished and segments rendered, with the time left."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = _console()
    columns = (TextColumn("[bold]{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        tasks = {"essays": bar.add_task("Essays", total=essays),
                 "segments": bar.add_task("Segments", total=None)}

        def on_progress(what: str, done: int, total: int) -> None:
            bar.update(tasks[what], completed=done, total=total)

        yield on_progress


def _batch_summary(done: BatchReport) -> None:
    """Per essay: episode, duration, segments synthesized and cached, loudness, status."""
    from rich.console import Console
    from rich.table import Table

    from pipeline.batch.catalogue import FAILED

    table = Table("#", "episode", "duration", "synthesized", "cached", "loudness", "status",
                  title=f"{len(done.essays)} essays into {done.site} in {done.seconds:.1f} s "
                        f"({done.jobs} distinct segments synthesized)")
    for essay in done.essays:
        minutes, secs = divmod(essay.duration_s, 60)
        failed = essay.status == FAILED
        table.add_row(str(essay.number or ""), essay.title or Path(essay.source).name,
                      "" if failed else f"{int(minutes)}:{secs:04.1f}",
                      "" if failed else str(essay.synthesized), "" if failed else str(essay.cached),
                      "" if essay.loudness_lufs is None else f"{essay.loudness_lufs:.1f} LUFS",
                      f"[red]failed[/red]: {essay.error}" if failed else essay.status)
    Console().print(table)


# --- publish stage ----------------------------------------------------------------------------


@app.command("publish")
def publish_command(
    episode: Annotated[
        Path | None, typer.Argument(help="The episode MP3 (its .chapters.json, .vtt and .srt beside it).")
    ] = None,
    site: Annotated[Path, typer.Option("--site", help="The site folder.")] = Path("output"),
    title: Annotated[str | None, typer.Option("--title", help="Episode title (default: the MP3's).")] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="Episode summary (default: the MP3's).")
    ] = None,
    init: Annotated[
        bool, typer.Option("--init", help="Create the site's podcast.toml with defaults, to edit.")
    ] = False,
) -> None:
    """Add an episode to the site's podcast feed and web pages (again: update it in place)."""
    from pipeline.mix.episode import Episode
    from pipeline.publish import init_site, publish

    if init:
        init_site(site)
        print(f"Created {site / 'podcast.toml'}: edit the title, author, owner e-mail and base_url.")
    if episode is None:
        if not init:
            raise EssaycastError("no episode given", hint="essaycast publish EPISODE.mp3, or --init")
        return
    done = publish(Episode.load(episode), site, title=title, description=description)
    if done.settings_created:
        print(f"Created {site / 'podcast.toml'} with defaults: edit it, then publish again.")
    for warning in done.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    action = "Added" if done.added else "Updated"
    print(f"{action} episode {done.item.number}: {done.item.title}")
    print(f"Page: {done.page}")
    print(f"Feed: {done.feed_url}")


@app.command("serve")
def serve_command(
    site: Annotated[Path, typer.Argument(help="The site folder to serve.")] = Path("output"),
    port: Annotated[int, typer.Option("--port", help="TCP port (0: any free port).")] = 8000,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; 0.0.0.0 lets phones on your network in.")
    ] = "127.0.0.1",
) -> None:
    """Serve the site for previewing and for subscribing from a podcast app (Ctrl-C stops)."""
    from pipeline.publish import serve

    serve(site, host=host, port=port)


def main() -> None:
    """Console entry point: user errors (usage errors too) become one line on stderr and a non-zero exit."""
    try:  # the click typer runs on: its own copy in newer typer releases
        from typer._click.exceptions import NoArgsIsHelpError, UsageError
    except ImportError:
        from click.exceptions import NoArgsIsHelpError, UsageError

    # Child interpreters get these flags. Python's resource tracker is one: after a kill -9 of this
    # process it frees the worker pool's semaphores, which is right, and would warn of "leaked
    # semaphore objects" on the user's terminal, which is noise.
    sys.warnoptions.append(f"ignore:resource_tracker:UserWarning:{RESOURCE_TRACKER}")
    try:
        # Not standalone: usage errors come here instead of becoming typer's boxed panel.
        code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:  # a bare `essaycast`: typer has shown the help already
        sys.exit(exc.exit_code)
    except UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else "essaycast"
        print(f"essaycast: error: {exc.format_message()} (see {command} --help)", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # Ctrl-C outside the long stages
            print("essaycast: error: interrupted", file=sys.stderr)
            sys.exit(INTERRUPTED_EXIT)
        print("essaycast: aborted", file=sys.stderr)
        sys.exit(1)
    except EssaycastError as exc:
        print(f"essaycast: error: {exc}", file=sys.stderr)
        sys.exit(INTERRUPTED_EXIT if isinstance(exc, Interrupted) else 1)
    except Exception as exc:  # last line of defence: never show a traceback
        if os.environ.get("ESSAYCAST_DEBUG"):
            raise
        print(f"essaycast: internal error: {type(exc).__name__}: {exc} "
              "(set ESSAYCAST_DEBUG=1 for a traceback and please report it)", file=sys.stderr)
        sys.exit(70)
    if isinstance(code, int) and code:  # --help and the like return their exit status
        sys.exit(code)


if __name__ == "__main__":
    main()
