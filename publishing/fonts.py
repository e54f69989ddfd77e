"""A CJK font for chart labels, registered with matplotlib explicitly.

matplotlib ships no CJK glyphs: without this, 计算机 renders as boxes. `make install` installs
Debian's fonts-wqy-microhei (5 MB, Simplified Chinese first, one face, so matplotlib cannot pick
a Japanese face of a collection); SECTORPULSE_CJK_FONT points at another font file instead.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from ingestion.settings import settings

CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # fonts-wqy-microhei
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),  # fonts-noto-cjk
)
# Asked of the font before it is used: the characters of the industry names and labels.
REQUIRED_GLYPHS = "计算机银行食品饮料沪深300申万行业市盈率"
INSTALL_HINT = "run `make install` (apt-get install fonts-wqy-microhei) or set SECTORPULSE_CJK_FONT"


def missing_glyphs(path: Path, text: str = REQUIRED_GLYPHS) -> str:
    font = FT2Font(str(path))
    return "".join(c for c in dict.fromkeys(text) if font.get_char_index(ord(c)) == 0)


def font_path() -> Path:
    override = settings().cjk_font
    paths = [override] if override else list(CANDIDATES)
    for path in paths:
        if path.is_file():
            return path
    raise FileNotFoundError(f"no CJK font at {', '.join(map(str, paths))}: {INSTALL_HINT}")


@cache
def register_cjk_font() -> str:
    """Add the CJK font to matplotlib and return its family name (once per process)."""
    path = font_path()
    if missing := missing_glyphs(path):
        raise ValueError(f"{path} lacks the glyphs {missing!r}: {INSTALL_HINT}")
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def chart_rc() -> dict[str, object]:
    """matplotlib settings for every chart: the CJK font first, DejaVu Sans for the rest."""
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [register_cjk_font(), "DejaVu Sans"],
        "axes.unicode_minus": False,  # an ASCII minus: not every CJK font has U+2212
    }
