"""BuildKit's build checks, each under BuildKit's own name and meaning."""

from dockerast.rules.buildkit.consistent_instruction_casing import ConsistentInstructionCasing
from dockerast.rules.buildkit.copy_ignored_file import CopyIgnoredFile
from dockerast.rules.buildkit.duplicate_stage_name import DuplicateStageName
from dockerast.rules.buildkit.expose_invalid_format import ExposeInvalidFormat
from dockerast.rules.buildkit.expose_proto_casing import ExposeProtoCasing
from dockerast.rules.buildkit.from_as_casing import FromAsCasing
from dockerast.rules.buildkit.from_platform_flag_const_disallowed import FromPlatformFlagConstDisallowed
from dockerast.rules.buildkit.invalid_base_image_platform import InvalidBaseImagePlatform
from dockerast.rules.buildkit.invalid_default_arg_in_from import InvalidDefaultArgInFrom
from dockerast.rules.buildkit.invalid_definition_description import InvalidDefinitionDescription
from dockerast.rules.buildkit.json_args_recommended import JSONArgsRecommended
from dockerast.rules.buildkit.legacy_key_value_format import LegacyKeyValueFormat
from dockerast.rules.buildkit.maintainer_deprecated import MaintainerDeprecated
from dockerast.rules.buildkit.multiple_instructions_disallowed import MultipleInstructionsDisallowed
from dockerast.rules.buildkit.no_empty_continuation import NoEmptyContinuation
from dockerast.rules.buildkit.redundant_target_platform import RedundantTargetPlatform
from dockerast.rules.buildkit.reserved_stage_name import ReservedStageName
from dockerast.rules.buildkit.secrets_used_in_arg_or_env import SecretsUsedInArgOrEnv
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
    MultipleInstructionsDisallowed,
    LegacyKeyValueFormat,
    InvalidBaseImagePlatform,
    RedundantTargetPlatform,
    SecretsUsedInArgOrEnv,
    InvalidDefaultArgInFrom,
    FromPlatformFlagConstDisallowed,
    CopyIgnoredFile,
    InvalidDefinitionDescription,
    ExposeProtoCasing,
    ExposeInvalidFormat,
)
