"""Cover art: the generated cover meets Apple's rules; a given cover is checked against them."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from pipeline.errors import EssaycastError
from pipeline.publish.cover import check_cover, draw_cover


@pytest.mark.parametrize("title", [
    "Essays",
    "On the Extraordinary Persistence of Very Long Titles in Contemporary Essay Writing, and Why It Matters",
    "Pneumonoultramicroscopicsilicovolcanoconiosisandotherunbreakablewords",
])
def test_generated_cover_is_a_3000px_square_png_with_the_title_drawn(tmp_path: Path, title: str) -> None:
    dest = tmp_path / "cover.png"
    draw_cover(dest, title, "Author")
    assert check_cover(dest) == ".png"
    with Image.open(dest) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (3000, 3000), "RGB")
        colours = image.getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 2  # background plus drawn text, not a blank square
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_the_same_title_gives_the_same_cover(tmp_path: Path) -> None:
    draw_cover(tmp_path / "a.png", "Same title")
    draw_cover(tmp_path / "b.png", "Same title")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


@pytest.mark.parametrize(("size", "fmt", "message"), [
    ((1400, 1400), "JPEG", None),
    ((3000, 3000), "PNG", None),
    ((1400, 1500), "PNG", "1400×1500 px"),
    ((1000, 1000), "PNG", "1000×1000 px"),
    ((3200, 3200), "JPEG", "3200×3200 px"),
    ((1400, 1400), "GIF", "GIF, not JPEG or PNG"),
])
def test_given_covers_are_checked_against_apples_rules(tmp_path: Path, size: tuple[int, int], fmt: str,
                                                        message: str | None) -> None:
    path = tmp_path / f"art.{fmt.lower()}"
    Image.new("RGB", size, "navy").save(path, format=fmt)
    if message is None:
        assert check_cover(path) == {"JPEG": ".jpg", "PNG": ".png"}[fmt]
    else:
        with pytest.raises(EssaycastError, match=message):
            check_cover(path)


def test_missing_or_unreadable_cover_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EssaycastError, match="not found"):
        check_cover(tmp_path / "nope.png")
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(EssaycastError, match="not a readable image"):
        check_cover(tmp_path / "text.png")
