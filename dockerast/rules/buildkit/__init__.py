"""BuildKit's build checks, each under BuildKit's own name and meaning."""

from dockerast.rules.buildkit.consistent_instruction_casing import ConsistentInstructionCasing
from dockerast.rules.buildkit.duplicate_stage_name import DuplicateStageName
from dockerast.rules.buildkit.from_as_casing import FromAsCasing
from dockerast.rules.buildkit.json_args_recommended import JSONArgsRecommended
from dockerast.rules.buildkit.maintainer_deprecated import MaintainerDeprecated
from dockerast.rules.buildkit.no_empty_continuation import NoEmptyContinuation
from dockerast.rules.buildkit.reserved_stage_name import ReservedStageName
from dockerast.rules.buildkit.stage_name_casing import StageNameCasing
from dockerast.rules.buildkit.undefined_arg_in_from import UndefinedArgInFrom
from dockerast.rules.buildkit.undefined_var import UndefinedVar
from dockerast.rules.buildkit.workdir_relative_path import WorkdirRelativePath

RULES = (
    StageNameCasing,
    FromAsCasing,
    NoEmptyContinuation,
    ConsistentInstructionCasing,
    DuplicateStageName,
    ReservedStageName,
    JSONArgsRecommended,
    MaintainerDeprecated,
    UndefinedArgInFrom,
    WorkdirRelativePath,
    UndefinedVar,
)
