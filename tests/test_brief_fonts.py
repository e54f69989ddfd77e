"""Chinese chart labels render as Chinese: the CJK font has the glyphs and matplotlib uses it."""

from __future__ import annotations

import warnings

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font

from publishing import charts
from publishing.fonts import chart_rc, font_path, missing_glyphs, register_cjk_font


def test_the_cjk_font_has_the_glyphs_of_the_industry_names():
    font = FT2Font(str(font_path()))
    assert all(font.get_char_index(ord(c)) != 0 for c in "计算机")
    assert missing_glyphs(font_path(), "计算机银行沪深300申万市盈率") == ""


def test_matplotlib_picks_the_registered_font_for_chinese_labels():
    family = register_cjk_font()
    assert chart_rc()["font.sans-serif"][0] == family
    chosen = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    assert chosen == str(font_path())


def test_a_chart_with_chinese_labels_draws_every_glyph(recwarn):
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        with charts.mpl.rc_context(chart_rc()):
            fig = Figure()
            fig.subplots().set_title("计算机 vs 沪深300")
            png = charts._png(fig)
    assert png.startswith(b"\x89PNG")
    assert not [w for w in recwarn if "missing from font" in str(w.message)]
