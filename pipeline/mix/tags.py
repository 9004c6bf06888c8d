"""ID3v2 tags of an episode MP3: text frames, cover art and ID3 chapters (CHAP frames + a CTOC).

Written with mutagen as ID3v2.3, the version every podcast app reads; chapter times are in
milliseconds, as the ID3 chapter addendum defines them. ``read_tags`` is the inverse used by
``Episode.load``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import EssaycastError
from pipeline.mix.episode import Chapter

ISO_639_2: dict[str, str] = {
    "ar": "ara", "bg": "bul", "ca": "cat", "cs": "cze", "cy": "wel", "da": "dan", "de": "ger",
    "el": "gre", "en": "eng", "es": "spa", "eu": "baq", "fa": "per", "fi": "fin", "fr": "fre",
    "ga": "gle", "he": "heb", "hi": "hin", "hr": "hrv", "hu": "hun", "id": "ind", "is": "ice",
    "it": "ita", "ja": "jpn", "ka": "geo", "kk": "kaz", "ko": "kor", "lb": "ltz", "lt": "lit",
    "lv": "lav", "ml": "mal", "ne": "nep", "nl": "dut", "no": "nor", "nb": "nob", "pl": "pol",
    "pt": "por", "ro": "rum", "ru": "rus", "sk": "slo", "sl": "slv", "sr": "srp", "sv": "swe",
    "sw": "swa", "te": "tel", "tr": "tur", "uk": "ukr", "ur": "urd", "vi": "vie", "zh": "chi",
}
"""ISO 639-1 → ISO 639-2/B codes (ID3's TLAN and COMM use three letters) for the languages the
local voices speak; any other language is tagged ``und`` and kept exactly in ``LANGUAGE_DESC``."""

LANGUAGE_DESC = "ESSAYCAST_LANGUAGE"
"""TXXX frame with the exact BCP 47 tag (TLAN can only hold the three-letter language)."""
LOUDNESS_DESC = "ESSAYCAST_LOUDNESS_LUFS"
"""TXXX frame with the measured integrated loudness."""
TRUE_PEAK_DESC = "ESSAYCAST_TRUE_PEAK_DBTP"
"""TXXX frame with the measured true peak."""
FINGERPRINT_DESC = "essaycast:fingerprint"
"""TXXX frame with the digest of everything the MP3 was mastered from (see ``master.fingerprint``)."""
TOC_ID = "toc"
"""Element id of the top-level table of contents."""

_IMAGE_MIME: dict[bytes, str] = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
"""File signature → MIME type of the cover formats podcast apps show."""


@dataclass(frozen=True)
class Tags:
    """What an episode MP3 says about itself."""

    title: str
    """TIT2: episode title."""
    artist: str = ""
    """TPE1: author."""
    album: str = ""
    """TALB: podcast (or essay) title."""
    date: str = ""
    """TDRC: recording date, ISO 8601 (``2024-05-01``)."""
    description: str = ""
    """COMM: episode description."""
    language: str = "en"
    """BCP 47 language tag."""
    chapters: tuple[Chapter, ...] = ()
    """ID3 chapters in table-of-contents order."""
    loudness_lufs: float | None = None
    """Measured integrated loudness."""
    true_peak_dbtp: float | None = None
    """Measured true peak."""
    has_cover: bool = False
    """Whether an APIC front cover is embedded."""
    fingerprint: str = ""
    """Digest of the inputs and settings the audio was mastered from (empty when unknown)."""


def image_mime(path: Path) -> str:
    """MIME type of a JPEG or PNG cover; anything else is a user error."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise EssaycastError(f"cover image not found: {path}", hint="fix the cover path") from None
    except OSError as exc:
        raise EssaycastError(f"cannot read cover image {path}: {exc.strerror or exc}") from None
    for magic, mime in _IMAGE_MIME.items():
        if head.startswith(magic):
            return mime
    raise EssaycastError(f"cover image {path} is neither JPEG nor PNG", hint="convert it to JPEG or PNG")


def iso_639_2(language: str) -> str:
    """The three-letter ID3 language code for a BCP 47 tag (``und`` when unknown)."""
    primary = language.split("-")[0].lower()
    if len(primary) == 3 and primary.isalpha():
        return primary
    return ISO_639_2.get(primary, "und")


def write_tags(mp3: Path, tags: Tags, cover: Path | None = None) -> None:
    """Replace the ID3 tag of ``mp3`` (a file just written by the encoder) with ``tags``."""
    from mutagen.id3 import (
        APIC,
        CHAP,
        COMM,
        CTOC,
        ID3,
        TALB,
        TDRC,
        TIT2,
        TLAN,
        TPE1,
        TXXX,
        CTOCFlags,
        PictureType,
    )

    lang = iso_639_2(tags.language)
    id3 = _chapters_in_order(ID3)()
    id3.add(TIT2(encoding=3, text=[tags.title]))
    if tags.artist:
        id3.add(TPE1(encoding=3, text=[tags.artist]))
    if tags.album:
        id3.add(TALB(encoding=3, text=[tags.album]))
    if tags.date:
        id3.add(TDRC(encoding=3, text=[tags.date]))
    if tags.description:
        id3.add(COMM(encoding=3, lang=lang, desc="", text=[tags.description]))
    id3.add(TLAN(encoding=3, text=[lang]))
    id3.add(TXXX(encoding=3, desc=LANGUAGE_DESC, text=[tags.language]))
    for desc, value in ((LOUDNESS_DESC, tags.loudness_lufs), (TRUE_PEAK_DESC, tags.true_peak_dbtp)):
        if value is not None:
            id3.add(TXXX(encoding=3, desc=desc, text=[f"{value:.2f}"]))
    if tags.fingerprint:
        id3.add(TXXX(encoding=3, desc=FINGERPRINT_DESC, text=[tags.fingerprint]))
    if cover is not None:
        id3.add(APIC(encoding=3, mime=image_mime(cover), type=PictureType.COVER_FRONT, desc="Cover",
                     data=Path(cover).read_bytes()))
    ids = [f"chp{i}" for i in range(len(tags.chapters))]
    for element_id, chapter in zip(ids, tags.chapters, strict=True):
        id3.add(CHAP(element_id=element_id, start_time=chapter.start_ms, end_time=chapter.end_ms,
                     sub_frames=[TIT2(encoding=3, text=[chapter.title])]))
    if ids:
        id3.add(CTOC(element_id=TOC_ID, flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                     child_element_ids=ids, sub_frames=[TIT2(encoding=3, text=["Chapters"])]))
    id3.save(mp3, v2_version=3, v1=0)


def _chapters_in_order(id3_class: type) -> type:
    """``id3_class`` writing its chapters as players that ignore the CTOC need them: the CTOC, then
    the CHAP frames in time order (mutagen sorts frames by size, which scatters chapters)."""

    class ChapterOrderedID3(id3_class):
        def _write(self, config) -> bytearray:
            frames = _split_frames(bytes(super()._write(config)), config.v2_version)
            chapters = sorted((frame for frame in frames if frame[:4] == b"CHAP"), key=_chapter_start)
            toc = [frame for frame in frames if frame[:4] == b"CTOC"]
            rest = [frame for frame in frames if frame[:4] not in (b"CHAP", b"CTOC")]
            pictures = [frame for frame in rest if frame[:4] == b"APIC"]  # large: kept at the end
            head = [frame for frame in rest if frame[:4] != b"APIC"]
            return bytearray().join([*head, *toc, *chapters, *pictures])

    return ChapterOrderedID3


def _split_frames(data: bytes, version: int) -> list[bytes]:
    """The frames (header included) of an ID3v2.3/2.4 frame area, in order."""
    frames, at = [], 0
    while at + 10 <= len(data) and data[at:at + 4].strip(b"\0"):
        raw = data[at + 4:at + 8]
        size = (int.from_bytes(raw, "big") if version == 3
                else sum(byte << (7 * (3 - i)) for i, byte in enumerate(raw)))  # 2.4: syncsafe
        frames.append(data[at:at + 10 + size])
        at += 10 + size
    return frames


def _chapter_start(frame: bytes) -> int:
    """A CHAP frame's start time (ms): after the header and the element id's terminating NUL."""
    body = frame[10:]
    at = body.index(b"\0") + 1
    return int.from_bytes(body[at:at + 4], "big")


def read_tags(mp3: Path) -> Tags:
    """The tags of an episode MP3; a missing file or one that is not an MP3 is a user error."""
    from mutagen import MutagenError
    from mutagen.mp3 import MP3

    try:
        audio = MP3(mp3)
    except MutagenError as exc:
        cause = exc.__context__ or exc
        if isinstance(cause, FileNotFoundError):
            raise EssaycastError(f"episode audio not found: {mp3}") from None
        why = f" ({cause})" if str(cause) else ""
        raise EssaycastError(f"{mp3} is not an MP3 file{why}", hint="render the episode again") from None
    id3 = audio.tags
    if id3 is None:
        return Tags(title=Path(mp3).stem)

    def text(key: str) -> str:
        frame = id3.get(key)
        return str(frame.text[0]) if frame is not None and frame.text else ""

    def number(desc: str) -> float | None:
        value = text(f"TXXX:{desc}")
        try:
            return float(value) if value else None
        except ValueError:
            return None

    comments = id3.getall("COMM")
    tlan = text("TLAN")
    reverse = {three: two for two, three in ISO_639_2.items()}
    return Tags(
        title=text("TIT2") or Path(mp3).stem,
        artist=text("TPE1"),
        album=text("TALB"),
        date=text("TDRC"),
        description=str(comments[0].text[0]) if comments and comments[0].text else "",
        language=text(f"TXXX:{LANGUAGE_DESC}") or reverse.get(tlan, tlan or "en"),
        chapters=_read_chapters(id3, audio.info.length),
        loudness_lufs=number(LOUDNESS_DESC),
        true_peak_dbtp=number(TRUE_PEAK_DESC),
        has_cover=bool(id3.getall("APIC")),
        fingerprint=text(f"TXXX:{FINGERPRINT_DESC}"),
    )


def _read_chapters(id3, length_s: float) -> tuple[Chapter, ...]:
    """CHAP frames in the order of the top-level CTOC (by start time when there is none)."""
    from mutagen.id3 import CTOCFlags

    chaps = {frame.element_id: frame for frame in id3.getall("CHAP")}
    tocs = [toc for toc in id3.getall("CTOC") if toc.flags & CTOCFlags.TOP_LEVEL] or id3.getall("CTOC")
    order: Sequence[str] = (
        [cid for cid in tocs[0].child_element_ids if cid in chaps] if tocs
        else sorted(chaps, key=lambda cid: chaps[cid].start_time)
    )
    chapters = []
    for cid in order:
        frame = chaps[cid]
        titles = frame.sub_frames.getall("TIT2") if frame.sub_frames else []
        title = str(titles[0].text[0]) if titles and titles[0].text else cid
        end = frame.end_time if frame.end_time else round(length_s * 1000)
        chapters.append(Chapter(title=title, start_ms=frame.start_time, end_ms=end))
    return tuple(chapters)
