"""Cross-build rules of our own: platform pinning, ARG placement, wrong-architecture outputs."""

from dockerast.rules.crossbuild.builder_not_on_build_platform import BuilderNotOnBuildPlatform
from dockerast.rules.crossbuild.final_stage_pinned import FinalStagePinned
from dockerast.rules.crossbuild.platform_arg_before_dependency_step import PlatformArgBeforeDependencyStep
from dockerast.rules.crossbuild.platform_arg_default_shadows import PlatformArgDefaultShadows
from dockerast.rules.crossbuild.wrong_architecture_output import WrongArchitectureOutput

RULES = (
    BuilderNotOnBuildPlatform,
    PlatformArgBeforeDependencyStep,
    WrongArchitectureOutput,
    PlatformArgDefaultShadows,
    FinalStagePinned,
)
