"""BuildKit's build checks, each under BuildKit's own name and meaning."""

from dockerast.rules.buildkit.stage_name_casing import StageNameCasing

RULES = (StageNameCasing,)
