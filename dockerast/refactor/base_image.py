"""Rewrite the parts of a FROM image reference: name, tag, digest.

A reference is ``[registry[:port]/]path[:tag][@digest]``.  Parts are found in
the text as written, so a name built from ARGs (``${REGISTRY}/app:${TAG}``)
keeps every part that is not being replaced, and flags and ``AS name`` are
never touched.  :func:`pin_digests` asks a resolver supplied by the caller
(a mapping or a callable, for example read from a lock file); dockerast
itself reaches no network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping

from dockerast.cst.nodes import Dockerfile, FromInstruction
from dockerast.refactor.edits import TextEdit, apply_edits
from dockerast.refactor.result import RefactorError, RefactorResult, finish, require_valid
from dockerast.refactor.selectors import stage_index
from dockerast.semantic.model import SemanticModel, analyze

# Docker's reference grammar for the name part (lowercase path components,
# optional registry host with port); variables are allowed as written.
_IMAGE_NAME = re.compile(r"(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*\Z")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[+._-][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}\Z")
_TAG = re.compile(r"[\w][\w.-]{0,127}\Z")


@dataclass(frozen=True, slots=True)
class ImageReference:
    """Where the parts of an image reference stand in its text.

    ``text[:name_end]`` is the name; a tag, when present, is
    ``text[name_end + 1 : tag_end]`` (``name_end`` is its ``:``); a digest,
    when present, follows the ``@`` at ``digest_at``.
    """

    text: str
    name_end: int
    tag_end: int
    digest_at: int  # -1 without digest

    @classmethod
    def parse(cls, text: str) -> ImageReference:
        at = _outside_braces(text, "@")
        name_and_tag = text if at < 0 else text[:at]
        slash = _outside_braces(name_and_tag, "/", last=True)
        colon = _outside_braces(name_and_tag[slash + 1 :], ":", last=True)
        name_end = colon + slash + 1 if colon >= 0 else len(name_and_tag)
        return cls(text, name_end, len(name_and_tag), at)

    @property
    def name(self) -> str:
        return self.text[: self.name_end]

    @property
    def tag(self) -> str | None:
        return self.text[self.name_end + 1 : self.tag_end] if self.name_end < self.tag_end else None

    @property
    def digest(self) -> str | None:
        return self.text[self.digest_at + 1 :] if self.digest_at >= 0 else None


def _outside_braces(text: str, char: str, last: bool = False) -> int:
    """Index of ``char`` not inside ``${...}``, first or last; -1 when absent."""
    depth = 0
    found = -1
    i = 0
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        ch = text[i]
        if ch == "}" and depth:
            depth -= 1
        elif ch == char and not depth:
            found = i
            if not last:
                return i
        i += 1
    return found


def set_base_image(
    tree: Dockerfile,
    stage: str | int,
    *,
    image: str | None = None,
    tag: str | None = None,
    digest: str | None = None,
) -> RefactorResult:
    """Replace the name, tag and/or digest of a stage's base image; other parts stay as written.

    ``tag=""`` or ``digest=""`` removes that part.
    """
    require_valid(tree, "set_base_image")
    if image is None and tag is None and digest is None:
        raise RefactorError("set_base_image: give at least one of image=, tag=, digest=")
    if tag and not _TAG.match(tag):
        raise RefactorError(f"set_base_image: {tag!r} is not a valid tag")
    if digest and not _DIGEST.match(digest):
        raise RefactorError(f"set_base_image: {digest!r} is not a digest (algorithm:hex, e.g. sha256:...)")
    model = analyze(tree)
    if image is not None:
        if not _IMAGE_NAME.match(image):
            raise RefactorError(
                f"set_base_image: {image!r} is not an image name (lowercase, no tag or digest: pass those as tag= and digest=)"
            )
        if model.stage_by_name(image) is not None:
            raise RefactorError(f"set_base_image: {image!r} is the name of a stage; FROM would build on that stage instead")
    index = stage_index(model, stage, "set_base_image")

    def plan(t: Dockerfile) -> list[TextEdit]:
        return _reference_edits(t, analyze(t), index, image, tag, digest)

    edits = plan(tree)
    return finish(
        tree,
        apply_edits(str(tree), edits),
        f"set the base image of stage {stage!r}",
        operation="set_base_image",
        again=lambda t: apply_edits(str(t), plan(t)),
        edits=edits,
    )


def pin_digests(tree: Dockerfile, resolver: Mapping[str, str] | Callable[[str], str | None]) -> RefactorResult:
    """Add ``@digest`` to every external base image the resolver knows, keeping tags.

    The resolver is asked with the expanded reference without digest
    (``golang:1.22``); it returns a digest or None to leave the image alone.
    Images that already have a digest, stages used as bases and references
    that cannot be expanded are skipped.
    """
    require_valid(tree, "pin_digests")
    lookup = resolver.get if isinstance(resolver, Mapping) else resolver

    def plan(t: Dockerfile) -> list[TextEdit]:
        model = analyze(t)
        edits = []
        for stage in model.stages:
            if stage.base_stage is not None or not stage.expanded_base_name or stage.expanded_base_name == "scratch":
                continue
            ref = ImageReference.parse(stage.base_name)
            expanded = ImageReference.parse(stage.expanded_base_name)
            if ref.digest is not None:
                continue
            if not expanded.name or expanded.name.endswith("/") or expanded.tag == "":
                continue  # a variable expanded to nothing: no image to ask about
            found = lookup(stage.expanded_base_name)
            if not found:
                continue
            if not _DIGEST.match(found):
                raise RefactorError(f"pin_digests: the resolver gave {found!r} for {stage.expanded_base_name!r}, which is not a digest")
            edits.extend(_reference_edits(t, model, stage.index, None, None, found))
        return edits

    edits = plan(tree)
    return finish(
        tree,
        apply_edits(str(tree), edits),
        "pinned base images to digests",
        operation="pin_digests",
        again=lambda t: apply_edits(str(t), plan(t)),
        edits=edits,
    )


def _reference_edits(
    tree: Dockerfile, model: SemanticModel, index: int, image: str | None, tag: str | None, digest: str | None
) -> list[TextEdit]:
    stage = model.stages[index]
    ins = tree.instructions[stage.from_index]
    assert isinstance(ins, FromInstruction)
    span = ins.image_span
    if span is None:
        raise RefactorError(f"stage {index} has no base image")
    base = tree.instruction_offsets()[stage.from_index] + span.start
    ref = ImageReference.parse(ins.image)
    parts = (ref.name, ref.tag or "", ref.digest or "")
    if any((part.count('"') % 2) or (part.count("'") % 2) for part in parts):
        raise RefactorError(f"the quotes of the image reference {ins.image} span its parts; rewrite it by hand")
    if len(span) != len(ins.image):
        raise RefactorError("the image reference is split across lines; rewrite it by hand")
    edits = []
    if image is not None and image != ref.name:
        edits.append(TextEdit(base, base + ref.name_end, image))
    if tag is not None and tag != (ref.tag or ""):
        edits.append(TextEdit(base + ref.name_end, base + ref.tag_end, f":{tag}" if tag else ""))
    if digest is not None and digest != (ref.digest or ""):
        start = ref.digest_at if ref.digest_at >= 0 else len(ref.text)
        edits.append(TextEdit(base + start, base + len(ref.text), f"@{digest}" if digest else ""))
    return [e for e in edits if e.start != e.end or e.new_text]
