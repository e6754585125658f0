"""minimal_edits: the edits always give the new text, touch only what changed, and stay small."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dockerast.refactor.edits import apply_edits, minimal_edits

# Few distinct lines, so that texts repeat lines (no anchors) as well as have unique ones.
LINES = st.sampled_from(["FROM a\n", "RUN x\n", "\n", "# c\n", "RUN y \\\n", "  z\n", "ENV A=1", "COPY . .\n"])
UNIQUE = st.integers(0, 10**6).map(lambda n: f"RUN step {n}\n")
TEXTS = st.lists(st.one_of(LINES, UNIQUE), max_size=40).map("".join)


@settings(max_examples=300)
@given(TEXTS, TEXTS)
def test_edits_give_the_new_text(old, new):
    edits = minimal_edits(old, new)
    assert apply_edits(old, edits) == new
    assert list(edits) == sorted(edits)
    for edit in edits:
        assert edit.start < edit.end or edit.new_text  # no empty edit
        assert old[edit.start : edit.end] != edit.new_text


@given(st.lists(UNIQUE, min_size=50, max_size=200, unique=True), st.data())
def test_scattered_line_changes_stay_line_edits(lines, data):
    old = "".join(lines)
    changed = data.draw(st.sets(st.integers(0, len(lines) - 1), max_size=20))
    new = "".join(line.replace("step", "STEP") if k in changed else line for k, line in enumerate(lines))
    edits = minimal_edits(old, new)
    assert apply_edits(old, edits) == new
    assert len(edits) == len(changed)
    assert all(old[e.start : e.end] == "step" and e.new_text == "STEP" for e in edits)
