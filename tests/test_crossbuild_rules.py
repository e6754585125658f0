"""The cross-build rules (DA101-DA105): on agentcube's PR 420 byte for byte, on small shapes, on the corpus."""

from __future__ import annotations

import collections

import pytest

import dockerast
from dockerast.cst.positions import LineIndex
from dockerast.refactor.edits import TextEdit, apply_edits
from dockerast.rules import CheckConfig, FixSafety, Severity, fix_all, run_rules
from dockerast.rules.crossbuild import (
    RULES,
    BuilderNotOnBuildPlatform,
    FinalStagePinned,
    PlatformArgBeforeDependencyStep,
    PlatformArgDefaultShadows,
    WrongArchitectureOutput,
)
from dockerast.rules.registry import ALL_RULES, rule_by_key
from tests.conftest import FIXTURES, corpus_files, require

CASE = FIXTURES / "agentcube-pr420"
FILES = ["Dockerfile", "Dockerfile.router", "Dockerfile.picod"]
CODES = frozenset(r.code for r in RULES)

# Where the PR's three files differ: the line of the go build RUN and of the go mod download RUN.
BUILD_LINE = {"Dockerfile": 24, "Dockerfile.router": 24, "Dockerfile.picod": 19}
DOWNLOAD_LINE = {"Dockerfile": 14, "Dockerfile.router": 14, "Dockerfile.picod": 13}
IMAGE = {"Dockerfile": "golang:1.26.4-alpine", "Dockerfile.router": "golang:1.26.4-alpine", "Dockerfile.picod": "golang:1.26.4"}

DA101_MESSAGE = (
    "stage 'builder' builds for the target platform (line {line} uses TARGETARCH, TARGETOS) but also runs on it, "
    "under emulation in a cross build; run it on $BUILDPLATFORM"
)
DA102_MESSAGE = (
    "ARG {name} is declared above the dependency step on line {line} (go mod download), which does not use it: "
    "every target platform re-runs that step instead of sharing its layer"
)
DA104_TARGETOS = (
    "the default of ARG TARGETOS replaces the value BuildKit sets per platform: "
    "every platform of a multi-platform build gets TARGETOS=linux"
)


def read(folder: str, name: str) -> str:
    return require(CASE / folder / name).read_text(encoding="utf-8")


def crossbuild_findings(text: str, config: CheckConfig | None = None) -> list[tuple[str, str, int, str, str]]:
    """(code, name, 1-based line, message, flagged text) of each cross-build finding, in source order."""
    lines = LineIndex(text)
    return [
        (f.code, f.name, lines.position(f.start).line + 1, f.message, text[f.start : f.end])
        for f in run_rules(dockerast.parse(text), config)
        if f.code in CODES
    ]


def only(*codes: str) -> CheckConfig:
    return CheckConfig(select=frozenset(codes))


def codes_of(text: str) -> list[str]:
    return [f[0] for f in crossbuild_findings(text)]


def fix_of(text: str, code: str):
    fixes = [f.fix for f in run_rules(dockerast.parse(text), only(code)) if f.code == code]
    assert len(fixes) == 1, fixes
    return fixes[0]


# -- registration ------------------------------------------------------------------------


def test_rules_are_registered_in_order():
    assert [r.code for r in RULES] == ["DA101", "DA102", "DA103", "DA104", "DA105"]
    assert [r.name for r in RULES] == [
        "BuilderNotOnBuildPlatform",
        "PlatformArgBeforeDependencyStep",
        "WrongArchitectureOutput",
        "PlatformArgDefaultShadows",
        "FinalStagePinned",
    ]
    for rule in RULES:
        assert rule in ALL_RULES
        assert rule_by_key(rule.code) is rule and rule_by_key(rule.name.lower()) is rule
        assert not rule.buildkit and not rule.experimental


def test_severities_and_declared_fix_safety():
    assert BuilderNotOnBuildPlatform.severity is Severity.WARNING
    assert PlatformArgBeforeDependencyStep.severity is Severity.INFO
    assert WrongArchitectureOutput.severity is Severity.ERROR
    assert PlatformArgDefaultShadows.severity is Severity.WARNING
    assert FinalStagePinned.severity is Severity.WARNING
    assert BuilderNotOnBuildPlatform.fix_safety is FixSafety.SAFE
    assert PlatformArgBeforeDependencyStep.fix_safety is FixSafety.SAFE
    assert WrongArchitectureOutput.fix_safety is None and WrongArchitectureOutput.fixed_example is None
    assert PlatformArgDefaultShadows.fix_safety is FixSafety.UNSAFE
    assert FinalStagePinned.fix_safety is FixSafety.UNSAFE


# -- agentcube PR 420: exact findings ------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_findings_before_the_pull_request(name):
    assert crossbuild_findings(read("before", name)) == [
        ("DA101", "BuilderNotOnBuildPlatform", 2, DA101_MESSAGE.format(line=BUILD_LINE[name]), IMAGE[name]),
        ("DA104", "PlatformArgDefaultShadows", 5, DA104_TARGETOS, "TARGETOS=linux"),
    ]


@pytest.mark.parametrize("name", FILES)
def test_findings_after_the_pull_request(name):
    line = DOWNLOAD_LINE[name]
    assert crossbuild_findings(read("after", name)) == [
        ("DA102", "PlatformArgBeforeDependencyStep", 5, DA102_MESSAGE.format(name="TARGETOS", line=line), "ARG TARGETOS=linux"),
        ("DA104", "PlatformArgDefaultShadows", 5, DA104_TARGETOS, "TARGETOS=linux"),
        ("DA102", "PlatformArgBeforeDependencyStep", 6, DA102_MESSAGE.format(name="TARGETARCH", line=line), "ARG TARGETARCH"),
    ]


@pytest.mark.parametrize("name", FILES)
def test_findings_with_the_reviewers_suggestion(name):
    line = 13 if name == "Dockerfile.picod" else 14
    assert crossbuild_findings(read("args-after-download", name)) == [
        ("DA104", "PlatformArgDefaultShadows", line, DA104_TARGETOS, "TARGETOS=linux"),
    ]


@pytest.mark.parametrize("name", FILES)
def test_findings_with_args_at_first_use(name):
    line = 15 if name == "Dockerfile.picod" else 19
    assert crossbuild_findings(read("args-at-first-use", name)) == [
        ("DA104", "PlatformArgDefaultShadows", line, DA104_TARGETOS, "TARGETOS=linux"),
    ]


# -- agentcube PR 420: fixes, byte for byte ---------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_fixing_da101_reproduces_the_pull_request(name):
    before = read("before", name)
    fixed, applied = fix_all(dockerast.parse(before), only("DA101"))
    assert str(fixed) == read("after", name)
    assert [(f.code, f.fix.safety) for f in applied] == [("DA101", FixSafety.SAFE)]
    fix = applied[0].fix
    at = before.index(IMAGE[name] + " AS builder")
    assert fix.edits == (TextEdit(at, at, "--platform=$BUILDPLATFORM "),)
    assert fix.description == "run stage 'builder' on $BUILDPLATFORM"


@pytest.mark.parametrize("name", FILES)
def test_fixing_da102_applies_the_reviewers_suggestion(name):
    after = read("after", name)
    fixed, applied = fix_all(dockerast.parse(after), only("DA102"))
    assert str(fixed) == read("args-after-download", name)
    # Both ARGs carry the same fix; it is applied once.
    assert [(f.code, f.fix.safety) for f in applied] == [("DA102", FixSafety.SAFE)]
    assert applied[0].fix.description == f"move ARG TARGETOS, ARG TARGETARCH after line {DOWNLOAD_LINE[name]} (go mod download)"
    assert apply_edits(after, applied[0].fix.edits) == read("args-after-download", name)
    assert fix_all(fixed, only("DA102")) == (fixed, [])


@pytest.mark.parametrize("name", FILES)
def test_fix_all_goes_from_before_to_the_reviewers_suggestion(name):
    # Pass 1 pins the builder; only then is the ARG placement a caching problem (pass 2).
    fixed, applied = fix_all(dockerast.parse(read("before", name)))
    assert str(fixed) == read("args-after-download", name)
    assert [f.code for f in applied] == ["DA101", "DA102"]


@pytest.mark.parametrize("name", FILES)
def test_unsafe_fixes_also_drop_the_targetos_default(name):
    fixed, applied = fix_all(dockerast.parse(read("before", name)), unsafe=True)
    expected = read("args-after-download", name).replace("ARG TARGETOS=linux\n", "ARG TARGETOS\n")
    assert str(fixed) == expected
    # Pass 1: the pin and the default (they do not overlap); pass 2: the ARG move.
    assert [f.code for f in applied] == ["DA101", "DA104", "DA102"]
    assert crossbuild_findings(expected) == []


# -- DA101 BuilderNotOnBuildPlatform ------------------------------------------------------------

GO_BUILDER = """\
FROM golang:1.22 AS build
WORKDIR /src
COPY . .
ARG TARGETOS TARGETARCH
RUN {run}

FROM alpine:3.19
COPY --from=build /out/app /usr/local/bin/app
"""


def test_da101_cgo_default_makes_the_fix_unsafe():
    text = GO_BUILDER.format(run="GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .")
    fix = fix_of(text, "DA101")
    assert fix.safety is FixSafety.UNSAFE
    assert "CGO_ENABLED=0 is not set" in fix.description
    assert fix_all(dockerast.parse(text), only("DA101"))[1] == []
    fixed, _ = fix_all(dockerast.parse(text), only("DA101"), unsafe=True)
    assert str(fixed).startswith("FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n")


def test_da101_with_cgo_disabled_is_safe():
    text = GO_BUILDER.format(run="CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .")
    assert fix_of(text, "DA101").safety is FixSafety.SAFE


def test_da101_warm_up_build_without_target_makes_the_fix_unsafe():
    # tailscale's shape: a cache warm-up `go install` before the real cross build.
    text = GO_BUILDER.replace(
        "RUN {run}\n",
        "RUN go install golang.org/x/crypto/ssh\nRUN CGO_ENABLED=0 GOARCH=$TARGETARCH go build -o /out/app .\n",
    )
    fix = fix_of(text, "DA101")
    assert fix.safety is FixSafety.UNSAFE and "name no target" in fix.description


def test_da101_download_only_is_flagged_with_an_unsafe_fix():
    # denoland/deno_docker's tini stage: curl ...-${TARGETARCH}.
    text = (
        "FROM buildpack-deps:20.04-curl AS tini\n"
        "ARG TARGETARCH\n"
        "RUN curl -fsSL https://github.com/krallin/tini/releases/download/v0.19.0/tini-${TARGETARCH} --output /tini\n"
        "FROM gcr.io/distroless/cc\n"
        "COPY --from=tini /tini /tini\n"
    )
    assert crossbuild_findings(text) == [
        (
            "DA101",
            "BuilderNotOnBuildPlatform",
            1,
            "stage 'tini' builds for the target platform (line 3 uses TARGETARCH) but also runs on it, "
            "under emulation in a cross build; run it on $BUILDPLATFORM",
            "buildpack-deps:20.04-curl",
        )
    ]
    fix = fix_of(text, "DA101")
    assert fix.safety is FixSafety.UNSAFE and "compiles nothing" in fix.description


@pytest.mark.parametrize(
    "run",
    [
        "xx-go build -o /out/app .",
        "CGO_ENABLED=0 xx-go build -o /out/app . && xx-verify /out/app",
    ],
)
def test_da101_xx_helpers_are_safe(run):
    text = (
        "FROM --platform=$BUILDPLATFORM tonistiigi/xx AS xx\n"
        "FROM golang:1.22-alpine AS build\n"
        "COPY --from=xx / /\n"
        "ARG TARGETPLATFORM\n"
        f"RUN {run}\n"
        "FROM scratch\n"
        "COPY --from=build /out/app /app\n"
    )
    assert codes_of(text) == ["DA101"]
    assert fix_of(text, "DA101").safety is FixSafety.SAFE


def test_da101_cargo_target_is_safe():
    text = (
        "FROM rust:1.79 AS build\n"
        "ARG TARGETARCH\n"
        "RUN cargo build --release --target $(cat /target-$TARGETARCH)\n"
        "FROM debian:bookworm-slim\n"
        "COPY --from=build /src/target/release/app /app\n"
    )
    assert codes_of(text) == ["DA101"]
    assert fix_of(text, "DA101").safety is FixSafety.SAFE


@pytest.mark.parametrize(
    "text",
    [
        # istio's samples: GOOS=linux sets no architecture, so the build follows the machine.
        GO_BUILDER.format(run="CGO_ENABLED=0 GOOS=linux go build -o /out/app ."),
        # docker-library/golang: the script asks the machine for its architecture.
        GO_BUILDER.format(run='arch="$(dpkg --print-architecture)"; GOARCH="$arch" go build -o /out/app .'),
        # home-assistant/docker-base: the whole filesystem, base image included, is the output.
        GO_BUILDER.replace("COPY --from=build /out/app /usr/local/bin/app", "COPY --from=build / /").format(
            run='echo "$TARGETARCH" > /arch'
        ),
        # Already pinned, to either platform.
        GO_BUILDER.replace("FROM golang", "FROM --platform=$TARGETPLATFORM golang").format(run="GOARCH=$TARGETARCH go build"),
        GO_BUILDER.replace("FROM golang", "FROM --platform=$BUILDPLATFORM golang").format(
            run="CGO_ENABLED=0 GOARCH=$TARGETARCH go build -o /out/app ."
        ),
        # Nothing cross-compiles.
        "FROM node:20 AS assets\nRUN npm ci && npm run build\nFROM nginx\nCOPY --from=assets /dist /srv\n",
        # The final stage itself.
        "FROM golang:1.22\nARG TARGETARCH\nRUN GOARCH=$TARGETARCH go build -o /app .\n",
    ],
    ids=["goos-only", "dpkg-arch", "root-copy", "target-pinned", "build-pinned", "no-cross", "final"],
)
def test_da101_not_flagged(text):
    assert "DA101" not in codes_of(text)


def test_da101_skips_a_stage_built_from_another_stage():
    # --platform on `FROM base` is ignored by BuildKit (dispatchState.init: the base stage's
    # platform wins), so pinning that stage would do nothing; pinning `base` would move `other` too.
    text = (
        "FROM golang:1.22 AS base\n"
        "RUN go mod download\n"
        "FROM base AS build\n"
        "ARG TARGETARCH\n"
        "RUN CGO_ENABLED=0 GOARCH=$TARGETARCH go build -o /out/app .\n"
        "FROM base AS other\n"
        "FROM alpine\n"
        "COPY --from=build /out/app /app\n"
    )
    assert "DA101" not in codes_of(text)


def test_da101_can_be_suppressed_by_pragma():
    text = "# dockerast: ignore[DA101] -- emulation is fine here\n" + GO_BUILDER.format(run="GOARCH=$TARGETARCH go build")
    assert codes_of(text) == []
    assert "UnusedSuppression" not in [f.name for f in run_rules(dockerast.parse(text))]


# -- DA102 PlatformArgBeforeDependencyStep -------------------------------------------------------

DEPS_STAGE = """\
FROM --platform=$BUILDPLATFORM {image} AS build
ARG TARGETARCH
{copy}
RUN {deps}
COPY . .
RUN echo building for $TARGETARCH > /out

FROM alpine
COPY --from=build /out /out
"""


@pytest.mark.parametrize(
    ("image", "copy", "deps", "label"),
    [
        ("golang:1.22", "COPY go.mod go.sum ./", "go mod download", "go mod download"),
        ("node:20", "COPY package.json package-lock.json ./", "npm ci --omit=dev", "npm ci"),
        ("node:20", "COPY package.json yarn.lock ./", "yarn install --frozen-lockfile", "yarn install"),
        ("node:20", "COPY package.json pnpm-lock.yaml ./", "pnpm install --frozen-lockfile", "pnpm install"),
        ("python:3.12", "COPY requirements.txt .", "pip install --no-cache-dir -r requirements.txt", "pip install"),
        ("python:3.12", "COPY requirements.txt .", "python -m pip install -r requirements.txt", "pip install"),
        ("python:3.12", "COPY pyproject.toml uv.lock ./", "uv sync --frozen", "uv sync"),
        ("python:3.12", "COPY pyproject.toml poetry.lock ./", "poetry install --no-root", "poetry install"),
        ("rust:1.79", "COPY Cargo.toml Cargo.lock ./", "cargo fetch", "cargo fetch"),
        ("debian:bookworm", "COPY sources.list /etc/apt/", "apt-get update && apt-get install -y gcc", "apt-get install"),
        ("alpine:3.19", "COPY repositories /etc/apk/", "apk add --no-cache git make", "apk add"),
        ("fedora:40", "COPY f.repo /etc/yum.repos.d/", "dnf -y install gcc", "dnf install"),
        ("ruby:3.3", "COPY Gemfile Gemfile.lock ./", "bundle install", "bundle install"),
        ("composer:2", "COPY composer.json composer.lock ./", "composer install --no-dev", "composer install"),
        ("maven:3.9", "COPY pom.xml .", "mvn -B dependency:go-offline", "mvn dependency:go-offline"),
        ("mcr.microsoft.com/dotnet/sdk:8.0", "COPY app.csproj .", "dotnet restore", "dotnet restore"),
    ],
)
def test_da102_dependency_steps(image, copy, deps, label):
    text = DEPS_STAGE.format(image=image, copy=copy, deps=deps)
    assert crossbuild_findings(text) == [
        (
            "DA102",
            "PlatformArgBeforeDependencyStep",
            2,
            f"ARG TARGETARCH is declared above the dependency step on line 4 ({label}), which does not use it: "
            "every target platform re-runs that step instead of sharing its layer",
            "ARG TARGETARCH",
        )
    ]
    fixed, applied = fix_all(dockerast.parse(text), only("DA102"))
    assert [f.fix.safety for f in applied] == [FixSafety.SAFE]
    lines = text.splitlines(keepends=True)
    assert str(fixed) == "".join([lines[0], lines[2], lines[3], lines[1], *lines[4:]])


@pytest.mark.parametrize(
    "text",
    [
        # On the target platform the base image differs per platform: nothing to share.
        DEPS_STAGE.format(image="golang:1.22", copy="COPY go.mod ./", deps="go mod download").replace(
            "--platform=$BUILDPLATFORM ", ""
        ),
        # The step uses the ARG.
        DEPS_STAGE.format(
            image="debian", copy="COPY x .", deps="dpkg --add-architecture $TARGETARCH && apt-get install -y libc6:$TARGETARCH"
        ),
        # xx helpers read TARGETPLATFORM from the environment: a use.
        DEPS_STAGE.format(image="alpine", copy="COPY --from=xx / /", deps="xx-apk add --no-cache musl-dev gcc").replace(
            "ARG TARGETARCH", "ARG TARGETPLATFORM"
        ),
        # Not a platform ARG.
        DEPS_STAGE.format(image="golang:1.22", copy="COPY go.mod ./", deps="go mod download").replace(
            "ARG TARGETARCH", "ARG VERSION"
        ),
        # Not a dependency step.
        DEPS_STAGE.format(image="golang:1.22", copy="COPY go.mod ./", deps="go generate ./..."),
        # Already below it.
        "FROM --platform=$BUILDPLATFORM golang AS b\nRUN go mod download\nARG TARGETARCH\nRUN GOARCH=$TARGETARCH go build\n",
    ],
    ids=["target-stage", "step-uses-it", "xx-helper", "not-platform", "no-dependency-step", "in-place"],
)
def test_da102_not_flagged(text):
    assert "DA102" not in codes_of(text)


def test_da102_flags_a_stage_pinned_to_a_constant_platform():
    text = DEPS_STAGE.format(image="golang:1.22", copy="COPY go.mod ./", deps="go mod download").replace(
        "$BUILDPLATFORM", "linux/amd64"
    )
    assert codes_of(text)[0] == "DA102"


def test_da102_moving_past_another_run_is_unsafe():
    text = (
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
        "ARG TARGETOS TARGETARCH\n"
        "RUN ./scripts/prepare.sh\n"
        "RUN go mod download\n"
        "RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .\n"
        "FROM alpine\n"
        "COPY --from=build /out/app /app\n"
    )
    fix = fix_of(text, "DA102")
    assert fix.safety is FixSafety.UNSAFE
    assert fix_all(dockerast.parse(text), only("DA102"))[1] == []
    fixed, applied = fix_all(dockerast.parse(text), only("DA102"), unsafe=True)
    assert str(fixed).splitlines()[1:4] == ["RUN ./scripts/prepare.sh", "RUN go mod download", "ARG TARGETOS TARGETARCH"]


@pytest.mark.parametrize(
    ("deps", "safety"),
    [
        ("apt-get update && apt-get install -y --no-install-recommends gcc && rm -rf /var/lib/apt/lists/*", FixSafety.SAFE),
        ("set -eux; DEBIAN_FRONTEND=noninteractive apt-get install -y gcc", FixSafety.SAFE),
        ("go mod download && ./hack/generate.sh", FixSafety.UNSAFE),
        ("npm ci && npm run build", FixSafety.UNSAFE),
    ],
)
def test_da102_safe_only_past_pure_dependency_commands(deps, safety):
    text = DEPS_STAGE.format(image="golang:1.22", copy="COPY go.mod ./", deps=deps)
    assert fix_of(text, "DA102").safety is safety


def test_da102_moves_after_the_last_dependency_step_before_the_first_use():
    text = (
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
        "# the target\n"
        "ARG TARGETARCH\n"
        "RUN apk add --no-cache git\n"
        "COPY go.mod go.sum ./\n"
        "RUN go mod download\n"
        "COPY . .\n"
        "RUN GOARCH=$TARGETARCH go build -o /out/app .\n"
        "RUN go mod verify\n"
        "FROM alpine\n"
        "COPY --from=build /out/app /app\n"
    )
    findings = crossbuild_findings(text)
    assert [(f[0], f[2]) for f in findings] == [("DA102", 3)]
    assert "line 6 (go mod download)" in findings[0][3]
    fixed, _ = fix_all(dockerast.parse(text), only("DA102"))
    assert str(fixed).splitlines()[1:7] == [
        "RUN apk add --no-cache git",
        "COPY go.mod go.sum ./",
        "RUN go mod download",
        "# the target",
        "ARG TARGETARCH",
        "COPY . .",
    ]


def test_da102_exec_form_and_heredoc_steps():
    exec_form = DEPS_STAGE.format(image="node:20", copy="COPY package.json .", deps='["npm", "ci"]')
    heredoc = DEPS_STAGE.format(image="debian", copy="COPY x .", deps="<<EOF\napt-get update\napt-get install -y gcc\nEOF")
    assert codes_of(exec_form) == ["DA102"]
    assert codes_of(heredoc) == ["DA102"]


# -- DA103 WrongArchitectureOutput ---------------------------------------------------------------


def test_da103_awesome_compose_shape():
    text = (
        "FROM --platform=$BUILDPLATFORM golang:1.18 AS build\n"
        "WORKDIR /compose/hello-docker\n"
        "COPY main.go main.go\n"
        "RUN CGO_ENABLED=0 go build -o backend main.go\n"
        "\n"
        "FROM build as dev-envs\n"
        'CMD ["go", "run", "main.go"]\n'
        "\n"
        "FROM scratch\n"
        "COPY --from=build /compose/hello-docker/backend /usr/local/bin/backend\n"
        'CMD ["/usr/local/bin/backend"]\n'
    )
    assert crossbuild_findings(text) == [
        (
            "DA103",
            "WrongArchitectureOutput",
            4,
            "stage 'build' runs on $BUILDPLATFORM and builds with go build for the build machine (no GOOS/GOARCH, "
            "--target or xx- helper), but line 10 copies its output into stage #2, which is built for the target "
            "platform: the image gets binaries of the wrong architecture",
            "go build",
        )
    ]
    finding = [f for f in run_rules(dockerast.parse(text)) if f.code == "DA103"][0]
    assert finding.severity is Severity.ERROR and finding.fix is None


def test_da103_compile_step_in_a_base_stage():
    text = (
        "FROM --platform=$BUILDPLATFORM rust:1.79 AS base\n"
        "RUN cargo build --release\n"
        "FROM base AS out\n"
        "RUN strip target/release/app\n"
        "FROM debian:bookworm-slim\n"
        "COPY --from=out /src/target/release/app /app\n"
    )
    assert [(f[0], f[2], f[4]) for f in crossbuild_findings(text)] == [("DA103", 2, "cargo build")]


@pytest.mark.parametrize(
    "text",
    [
        # Cross-compiled for the target.
        "FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETOS TARGETARCH\n"
        "RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /app\nFROM scratch\nCOPY --from=b /app /app\n",
        "FROM --platform=$BUILDPLATFORM golang AS b\nARG TARGETARCH\nENV GOARCH=$TARGETARCH\n"
        "RUN go build -o /app\nFROM scratch\nCOPY --from=b /app /app\n",
        # WebAssembly is the same for every platform (awesome-compose's wasmedge samples).
        "FROM --platform=$BUILDPLATFORM rust:1.64 AS b\nRUN cargo build --target wasm32-wasi --release\n"
        "FROM scratch\nCOPY --from=b /src/target/wasm32-wasi/release/app.wasm /app.wasm\n",
        # Platform-independent output: a JavaScript bundle.
        "FROM --platform=$BUILDPLATFORM node:20 AS b\nRUN npm ci && npm run build\n"
        "FROM nginx\nCOPY --from=b /app/dist /usr/share/nginx/html\n",
        # The consumer runs on $BUILDPLATFORM too: a tool for a lint stage, through a scratch relay.
        "FROM --platform=$BUILDPLATFORM golang AS tool\nRUN go build -o /out/golangci-lint ./cmd/golangci-lint\n"
        "FROM scratch AS tool-binary\nCOPY --from=tool /out/golangci-lint golangci-lint\n"
        "FROM --platform=$BUILDPLATFORM golang AS lint\nCOPY --from=tool-binary / /usr/bin/\nRUN golangci-lint run\n",
        # Not on $BUILDPLATFORM.
        "FROM golang AS b\nRUN go build -o /app\nFROM scratch\nCOPY --from=b /app /app\n",
    ],
    ids=["goarch", "env-goarch", "wasm", "js-bundle", "lint-relay", "target-stage"],
)
def test_da103_not_flagged(text):
    assert "DA103" not in codes_of(text)


def test_da103_through_a_final_scratch_relay():
    text = (
        "FROM --platform=$BUILDPLATFORM golang AS tool\nRUN go build -o /out/app .\n"
        "FROM scratch AS bin\nCOPY --from=tool /out/app /app\n"
        "FROM bin\n"
    )
    assert codes_of(text) == ["DA103"]


# -- DA104 PlatformArgDefaultShadows --------------------------------------------------------------


def test_da104_microservices_demo_shape():
    text = (
        "ARG BUILDPLATFORM=linux/amd64\n"
        "FROM --platform=$BUILDPLATFORM golang:1.22-alpine AS builder\n"
        "ARG TARGETOS=linux\n"
        "ARG TARGETARCH=amd64\n"
        "RUN GOOS=${TARGETOS} GOARCH=${TARGETARCH} CGO_ENABLED=0 go build -o /svc .\n"
        "FROM gcr.io/distroless/static\n"
        "COPY --from=builder /svc /svc\n"
    )
    found = [(f[0], f[2], f[4]) for f in crossbuild_findings(text)]
    assert found == [
        ("DA104", 1, "BUILDPLATFORM=linux/amd64"),
        ("DA104", 3, "TARGETOS=linux"),
        ("DA104", 4, "TARGETARCH=amd64"),
    ]
    fixed, applied = fix_all(dockerast.parse(text), only("DA104"))
    assert applied == []  # unsafe only
    fixed, applied = fix_all(dockerast.parse(text), only("DA104"), unsafe=True)
    assert str(fixed) == text.replace("=linux/amd64\n", "\n").replace("=linux\n", "\n").replace("=amd64\n", "\n")
    assert len(applied) == 3


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        ("ARG VERSION=1 TARGETARCH=amd64 GOPROXY=direct", "ARG VERSION=1 TARGETARCH GOPROXY=direct"),
        ('ARG TARGETARCH="amd64"', "ARG TARGETARCH"),
        ("ARG TARGETVARIANT=", "ARG TARGETVARIANT"),
        ("ARG TARGETPLATFORM=linux/arm64", "ARG TARGETPLATFORM"),
        ("ARG TARGETARCH=${TARGETARCH}", "ARG TARGETARCH"),  # in a stage TARGETARCH is not set yet: ''
        ("ARG TARGETARCH=${TARGETARCH:-amd64}", "ARG TARGETARCH"),
    ],
)
def test_da104_stage_defaults(line, fixed):
    text = f"FROM alpine\n{line}\nRUN echo $TARGETARCH\n"
    assert codes_of(text) == ["DA104"]
    result, _ = fix_all(dockerast.parse(text), only("DA104"), unsafe=True)
    assert str(result) == f"FROM alpine\n{fixed}\nRUN echo $TARGETARCH\n"


@pytest.mark.parametrize(
    "text",
    [
        # Before the first FROM a self-reference keeps BuildKit's value (buildMetaArgs expands with it).
        "ARG TARGETARCH=${TARGETARCH}\nFROM alpine\nARG TARGETARCH\n",
        "ARG TARGETPLATFORM=$TARGETPLATFORM\nFROM --platform=$TARGETPLATFORM alpine\n",
        # Inside a stage, after the ARG has taken the global value.
        "FROM alpine\nARG TARGETARCH\nARG TARGETARCH=${TARGETARCH}\n",
        # No default, or not a platform ARG, or TARGETSTAGE.
        "FROM alpine\nARG TARGETOS TARGETARCH\nARG ARCH=amd64\n",
        "FROM alpine AS release\nARG TARGETSTAGE=release\n",
    ],
)
def test_da104_not_flagged(text):
    assert "DA104" not in codes_of(text)


# -- DA105 FinalStagePinned -----------------------------------------------------------------------


def test_da105_final_on_build_platform():
    text = (
        "FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:6.0 AS builder\n"
        "RUN dotnet publish -c release -o /build\n"
        "FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/aspnet:6.0\n"
        "COPY --from=builder /build .\n"
    )
    assert crossbuild_findings(text) == [
        (
            "DA105",
            "FinalStagePinned",
            3,
            "the final stage runs on $BUILDPLATFORM: the image gets the build machine's platform instead of the target's",
            "--platform=$BUILDPLATFORM",
        )
    ]
    fix = fix_of(text, "DA105")
    assert fix.safety is FixSafety.UNSAFE
    fixed, _ = fix_all(dockerast.parse(text), only("DA105"), unsafe=True)
    assert str(fixed) == text.replace("FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/aspnet", "FROM mcr.microsoft.com/dotnet/aspnet")


def test_da105_constant_platform_and_continuation():
    text = "FROM --platform=linux/arm/v7 \\\n    mcr.microsoft.com/powershell:ubuntu-22.04-arm32v7\nRUN pwsh -v\n"
    assert crossbuild_findings(text) == [
        (
            "DA105",
            "FinalStagePinned",
            1,
            "the final stage runs on linux/arm/v7: a build for any other platform still produces a linux/arm/v7 image",
            "--platform=linux/arm/v7",
        )
    ]
    fixed, _ = fix_all(dockerast.parse(text), only("DA105"), unsafe=True)
    assert str(fixed) == "FROM mcr.microsoft.com/powershell:ubuntu-22.04-arm32v7\nRUN pwsh -v\n"


def test_da105_inherited_has_no_fix():
    # awesome-compose's dev-envs targets.
    text = (
        "FROM --platform=$BUILDPLATFORM python:3.10-alpine AS builder\n"
        "RUN pip3 install -r requirements.txt\n"
        "FROM builder as dev-envs\n"
        "RUN apk add git\n"
    )
    assert crossbuild_findings(text) == [
        (
            "DA105",
            "FinalStagePinned",
            3,
            "the final stage is built FROM stage 'builder', which runs on $BUILDPLATFORM: the image gets the build "
            "machine's platform instead of the target's",
            "builder",
        )
    ]
    assert fix_of(text, "DA105") is None


def test_da105_through_a_meta_arg():
    # GoogleCloudPlatform/microservices-demo: ARG BUILDPLATFORM=linux/amd64 turns $BUILDPLATFORM into a constant.
    text = "ARG BUILDPLATFORM=linux/amd64\nFROM --platform=$BUILDPLATFORM python:3.12 AS base\nFROM base\n"
    found = crossbuild_findings(text)
    assert [(f[0], f[2]) for f in found] == [("DA104", 1), ("DA105", 3)]
    assert found[1][3].startswith("the final stage is built FROM stage 'base', which runs on linux/amd64")
    via_arg = "ARG P=$BUILDPLATFORM\nFROM --platform=$P alpine\n"
    assert codes_of(via_arg) == ["DA105"]


@pytest.mark.parametrize(
    "text",
    [
        "FROM --platform=$TARGETPLATFORM alpine\n",
        "FROM --platform=$BUILDPLATFORM golang AS build\nFROM alpine\n",
        "FROM --platform=$BUILDOS/$TARGETARCH alpine\n",
    ],
)
def test_da105_not_flagged(text):
    assert "DA105" not in codes_of(text)


# -- the corpus -----------------------------------------------------------------------------------

CORPUS_FILES = corpus_files()

# Findings of each rule over corpus/real; a change here is a change of behaviour, so say why.
EXPECTED_CORPUS_COUNTS = {"DA101": 8, "DA102": 8, "DA103": 3, "DA104": 21, "DA105": 26}


def test_corpus_no_crash_and_counts():
    if not CORPUS_FILES:
        require(FIXTURES.parent / "corpus" / "real")
    counts: collections.Counter[str] = collections.Counter()
    for path in CORPUS_FILES:
        tree = dockerast.parse_bytes(path.read_bytes())
        for finding in run_rules(tree, only(*CODES)):
            if finding.code in CODES:
                counts[finding.code] += 1
                if finding.fix is not None:
                    new_text = apply_edits(str(tree), finding.fix.edits)
                    assert not dockerast.parse(new_text).errors, (path, finding)
    assert dict(counts) == EXPECTED_CORPUS_COUNTS


def test_corpus_fix_all_is_stable():
    for path in CORPUS_FILES:
        tree = dockerast.parse_bytes(path.read_bytes())
        fixed, applied = fix_all(tree, only(*CODES), unsafe=True)
        assert not fixed.errors or fixed is tree, path
        if applied:
            again, more = fix_all(fixed, only(*CODES), unsafe=True)
            assert more == [] and str(again) == str(fixed), path


@pytest.mark.parametrize(
    "text",
    [
        "FROM alpine\nARG TARGETOS\nRUN echo '$TARGETOS'\n",
        "FROM alpine\nRUN echo \\$TARGETARCH\n",
        "FROM alpine\nRUN echo $TAR\\\nGETOS\n",
        "FROM alpine\nRUN echo ${TARGETPLATFORM:-x}\n",
        "FROM alpine\nRUN xx-go build\n",
        "FROM alpine\nRUN a-xx-go build\n",
        "FROM alpine\nRUN <<EOF\necho $TARGETARCH\nEOF\n",
        "FROM alpine\nCOPY <<'EOF' /x\n$TARGETOS\nEOF\n",
        "FROM alpine\nONBUILD RUN echo $TARGETOS\n",
        'FROM alpine\nRUN ["sh", "-c", "echo $TARGETOS"]\n',
        "FROM alpine\nARG TARGETOS\nENV GOOS=linux\n",
    ],
)
def test_cross_compiles_answers_as_cross_compile_step(text):
    _assert_cross_compiles_agrees(dockerast.parse(text))


def test_cross_compiles_answers_as_cross_compile_step_on_the_corpus():
    for path in CORPUS_FILES:
        _assert_cross_compiles_agrees(dockerast.parse_bytes(path.read_bytes()))


def _assert_cross_compiles_agrees(tree: dockerast.Dockerfile) -> None:
    """The rules read the evidence of cross-compiling their own, cheaper way (see ``cross_compiles``)."""
    from dockerast.refactor.pin_build_platform import cross_compile_step  # noqa: PLC0415
    from dockerast.rules.base import CheckContext  # noqa: PLC0415
    from dockerast.rules.crossbuild._common import cross_compiles  # noqa: PLC0415

    ctx = CheckContext(tree)
    for stage in ctx.model.stages:
        expected = cross_compile_step(tree, ctx.model, stage.index) is not None
        assert cross_compiles(ctx, stage.index) == expected, (str(tree), stage.index)
