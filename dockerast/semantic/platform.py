"""Platforms (``linux/arm64/v8``) and BuildKit's automatic platform ARGs.

A platform string is read the way BuildKit reads ``--platform`` values: with
containerd's ``platforms.Parse``, which also normalises it
(vendor/github.com/containerd/platforms/platforms.go ``Parse`` and
database.go ``normalizeArch``).  So ``linux/x86_64`` is ``linux/amd64``,
``linux/arm64/v8`` keeps its ``v8`` while ``linux/arm64`` has no variant, and
``linux/arm`` means ARM v7 but reports an empty variant.

A one-word platform (``linux`` or ``arm64``) is completed by containerd with
the architecture or OS of the machine running BuildKit; this module cannot
know that machine and completes it with ``amd64`` / ``linux``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote

__all__ = [
    "PLATFORM_ARG_NAMES",
    "Platform",
    "automatic_platform_args",
    "parse_platform",
]

# What the builder fills in for a one-word platform (containerd uses the
# host's runtime.GOOS / runtime.GOARCH there).
_HOST_OS = "linux"
_HOST_ARCH = "amd64"

_KNOWN_OS = frozenset(
    "aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris "
    "windows zos".split()
)
_KNOWN_ARCH = frozenset(
    "386 amd64 amd64p32 arm armbe arm64 arm64be ppc64 ppc64le loong64 mips mipsle mips64 mips64le "
    "mips64p32 mips64p32le ppc riscv riscv64 s390 s390x sparc sparc64 wasm".split()
)
_COMPONENT = re.compile(r"[A-Za-z0-9_.-]+\Z")
_OS_PART = re.compile(r"([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?\Z")

# The ARGs BuildKit defines in the global scope, in its order
# (frontend/dockerfile/dockerfile2llb/platform.go, ``defaultArgs``).
PLATFORM_ARG_NAMES = (
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDOSVERSION",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETOSVERSION",
    "TARGETARCH",
    "TARGETVARIANT",
    "TARGETSTAGE",
)


@dataclass(frozen=True, slots=True)
class Platform:
    """An OS, an architecture, a variant and, for Windows, an OS version."""

    os: str
    architecture: str
    variant: str = ""
    os_version: str = ""
    os_features: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.format()

    def format(self) -> str:
        """``os/arch[/variant]``, as BuildKit shows ``BUILDPLATFORM``."""
        if not self.os:
            return "unknown"
        return "/".join(part for part in (self.os, self.architecture, self.variant) if part)

    def format_all(self) -> str:
        """Like :meth:`format` with the OS version and features, ``windows(10.0.17763)/amd64``,
        as BuildKit shows ``TARGETPLATFORM``."""
        if not self.os:
            return "unknown"
        options = _encode_option(self.os_version)
        features = "+".join(_encode_option(f) for f in sorted(set(self.os_features)) if f)
        if features:
            options += "+" + features
        head = f"{self.os}({options})" if options else self.os
        return "/".join(part for part in (head, self.architecture, self.variant) if part)


@functools.lru_cache(maxsize=1024)  # FROM lines and probes parse the same few platforms again and again
def parse_platform(specifier: str) -> Platform:
    """Read and normalise a platform such as ``linux/arm/v7``; ValueError if it is not one."""
    if "*" in specifier:
        raise ValueError(f"{specifier!r}: wildcards not yet supported")
    parts = specifier.split("/", 3)
    match = _OS_PART.match(parts[0])
    if match is None:
        raise ValueError(f"{parts[0]!r} is an invalid OS component of {specifier!r}")
    os = _normalize_os(match.group(1))
    os_version = unquote(match.group(2) or "")
    os_features = tuple(unquote(f) for f in (match.group(3) or "").split("+") if f)
    for part in parts[1:]:
        if not _COMPONENT.match(part):
            raise ValueError(f"{part!r} is an invalid component of {specifier!r}")
    if len(parts) == 1:
        if os in _KNOWN_OS:
            return Platform(os, _HOST_ARCH, "", os_version, os_features)
        arch, variant = normalize_arch(parts[0], "")
        if arch == "arm" and variant == "v7":
            variant = ""
        if arch in _KNOWN_ARCH:
            return Platform(_HOST_OS, arch, variant)
        raise ValueError(f"{specifier!r}: unknown operating system or architecture")
    if len(parts) == 2:
        arch, variant = normalize_arch(parts[1], "")
        if arch == "arm" and variant == "v7":
            variant = ""
        return Platform(os, arch, variant, os_version, os_features)
    if len(parts) == 3:
        arch, variant = normalize_arch(parts[1], parts[2])
        if arch == "arm64" and not variant:
            variant = "v8"
        return Platform(os, arch, variant, os_version, os_features)
    raise ValueError(f"{specifier!r}: cannot parse platform specifier")


def automatic_platform_args(target: Platform, build: Platform, target_stage: str) -> dict[str, str]:
    """The ARGs BuildKit defines in the global scope, before any build argument overrides them.

    ``target_stage`` is the name of the stage being built (``TARGETSTAGE``);
    BuildKit uses ``default`` when that stage has no name.
    """
    return {
        "BUILDPLATFORM": build.format(),
        "BUILDOS": build.os,
        "BUILDOSVERSION": build.os_version,
        "BUILDARCH": build.architecture,
        "BUILDVARIANT": build.variant,
        "TARGETPLATFORM": target.format_all(),
        "TARGETOS": target.os,
        "TARGETOSVERSION": target.os_version,
        "TARGETARCH": target.architecture,
        "TARGETVARIANT": target.variant,
        "TARGETSTAGE": target_stage or "default",
    }


def _normalize_os(os: str) -> str:
    os = os.lower()
    return "darwin" if os == "macos" else os


def normalize_arch(arch: str, variant: str) -> tuple[str, str]:
    arch, variant = arch.lower(), variant.lower()
    if arch == "i386":
        return "386", ""
    if arch in ("x86_64", "x86-64", "amd64"):
        return "amd64", "" if variant == "v1" else variant
    if arch in ("aarch64", "arm64"):
        if variant in ("8", "v8", "v8.0"):
            variant = ""
        elif variant in ("9", "9.0", "v9.0"):
            variant = "v9"
        return "arm64", variant
    if arch == "armhf":
        return "arm", "v7"
    if arch == "armel":
        return "arm", "v6"
    if arch == "arm":
        if variant in ("", "7"):
            variant = "v7"
        elif variant in ("5", "6", "8"):
            variant = "v" + variant
        return "arm", variant
    return arch, variant


def _encode_option(value: str) -> str:
    for old, new in (("%", "%25"), ("+", "%2B"), ("(", "%28"), (")", "%29"), ("/", "%2F")):
        value = value.replace(old, new)
    return value
