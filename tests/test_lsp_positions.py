"""Offsets <-> LSP positions in UTF-8, UTF-16 and UTF-32, against an independent conversion."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types

pytest.register_assert_rewrite("lsp_client")
from lsp_client import to_offset, to_position  # noqa: E402
from lsp_server.positions import UTF16, Positions  # noqa: E402

ENCODINGS = ["utf-8", "utf-16", "utf-32"]
TEXT = st.lists(st.sampled_from(["a", " ", "\n", "\r\n", "\r", "é", "€", "🐳", "\t", "\u2028", "\x85", "#"]), max_size=30).map("".join)


@given(text=TEXT, data=st.data())
def test_round_trip(text, data):
    for encoding in ENCODINGS:
        pos = Positions(text, encoding)
        offset = data.draw(st.integers(0, len(text)))
        lsp = pos.position(offset)
        assert lsp == to_position(text, offset, encoding)
        back = pos.offset(lsp)
        assert back == to_offset(text, lsp, encoding)
        if not (text[offset - 1 : offset] == "\r" and text[offset : offset + 1] == "\n"):
            assert back == offset


@given(text=TEXT, line=st.integers(0, 40), character=st.integers(0, 80))
def test_any_position_maps_like_the_client(text, line, character):
    for encoding in ENCODINGS:
        position = types.Position(line=line, character=character)
        assert Positions(text, encoding).offset(position) == to_offset(text, position, encoding)


def test_known_columns():
    text = "a🐳b\nx"
    assert Positions(text, "utf-16").position(2) == types.Position(line=0, character=3)
    assert Positions(text, "utf-8").position(2) == types.Position(line=0, character=5)
    assert Positions(text, "utf-32").position(2) == types.Position(line=0, character=2)
    # Inside the whale: rounds down to its start.
    assert Positions(text, "utf-16").offset(types.Position(line=0, character=2)) == 1
    # Past the end of a line: its end; past the last line: the end of the text.
    assert Positions(text, "utf-16").offset(types.Position(line=0, character=99)) == 3
    assert Positions(text, "utf-16").offset(types.Position(line=9, character=0)) == len(text)


@given(text=TEXT, data=st.data())
def test_position_map_agrees_with_position(text, data):
    offsets = data.draw(st.lists(st.integers(-2, len(text) + 2), max_size=12))
    for encoding in ENCODINGS:
        pos = Positions(text, encoding)
        found = pos.position_map(offsets)
        assert found == {offset: pos.position(offset) for offset in offsets}
        for offset in offsets:
            if 0 <= offset <= len(text):
                assert found[offset] == to_position(text, offset, encoding)


@given(st.text(alphabet="ab\n\r\u00e9\U0001f433", max_size=40), st.data())
def test_edited_positions_equal_fresh_ones(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    insert = data.draw(st.text(alphabet="xy\n\u00e9", max_size=6))
    for encoding in (UTF16, "utf-8", "utf-32"):
        edited = Positions(text, encoding).edited(start, end, insert)
        fresh = Positions(text[:start] + insert + text[end:], encoding)
        assert edited.text == fresh.text
        for offset in range(len(fresh.text) + 1):
            assert edited.position(offset) == fresh.position(offset)
