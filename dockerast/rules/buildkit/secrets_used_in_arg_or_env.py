from __future__ import annotations

from dockerast.cst.nodes import ArgInstruction, EnvInstruction
from dockerast.rules.base import CheckContext, Rule, rule_url
from dockerast.cst.text import go_quote
from dockerast.semantic.model import SemanticModel
from dockerast.semantic.shell import ExpansionError

# validations.go, ``getSecretsRegex``: a name is suspect when one of its
# ``_``-separated parts is a secret word and none is an allowed word.
SECRET_WORDS = frozenset(
    {"apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd", "secret", "token"}
)
ALLOWED_WORDS = frozenset({"public", "file", "version"})
# Go's (?i) folds by simple case folding: besides ASCII, only the Kelvin sign
# and the long s fold onto a letter of the words above.
_FOLD = {**{chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)}, "\u212a": "k", "\u017f": "s"}


def looks_secret(name: str) -> bool:
    """BuildKit's test: a part of the name is a secret word and no part is an allowed word."""
    if name.isascii():  # folding is lower-casing there
        parts = set(name.lower().split("_"))
    else:
        parts = {"".join(_FOLD.get(c, c) for c in part) for part in name.split("_")}
    return bool(parts & SECRET_WORDS) and not parts & ALLOWED_WORDS


class SecretsUsedInArgOrEnv(Rule):
    """
    ## What it does
    Flags ``ARG`` and ``ENV`` names that look like they hold a secret: names
    with a part (between underscores, any case) ``apikey``, ``auth``,
    ``credential(s)``, ``key``, ``password``, ``pword``, ``passwd``,
    ``secret`` or ``token``, unless a part is ``public``, ``file`` or
    ``version``.  So ``GITHUB_TOKEN`` and ``db_password`` are flagged while
    ``PUBLIC_KEY``, ``PASSWORD_FILE`` and ``TOKENIZER`` are not.

    Like BuildKit, it looks at the instructions of each stage (not the meta
    ``ARG``s before the first ``FROM``), and at ``ENV`` names after variable
    expansion.

    ## Why is this bad
    ``ARG`` and ``ENV`` values stay in the image: in its configuration, its
    history or its provenance.  Anyone who can pull the image can read them.

    ## Example
    ```dockerfile
    FROM alpine
    ARG NPM_TOKEN
    RUN npm ci
    ```
    Use a secret mount instead, which is never stored:
    ``RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci``.

    ## Fix safety
    No automatic fix: moving to a secret mount also changes how the build is
    invoked.
    """

    code = "BK016"
    scope = "stage"
    name = "SecretsUsedInArgOrEnv"
    summary = "Sensitive data should not be used in the ARG or ENV commands"
    url = rule_url("SecretsUsedInArgOrEnv")
    buildkit = True
    bad_example = "FROM alpine\nARG AWS_SECRET_ACCESS_KEY\nENV DB_PASSWORD=hunter2\n"
    good_example = "FROM alpine\nARG PUBLIC_KEY\nENV PASSWORD_FILE=/run/secrets/db\nARG TOKENIZER=bpe\n"

    def check(self, ctx: CheckContext):
        model = ctx.model
        for index, ins in ctx.instructions(ArgInstruction, EnvInstruction):
            if model.stage_of(index) is None:
                continue
            if isinstance(ins, ArgInstruction):
                kind = "ARG"
                names = [(pair, pair.key) for pair in ins.pairs]
            else:
                kind = "ENV"
                try:
                    names = [(pair, model.expand(index, pair.key)) for pair in ins.pairs]
                except ExpansionError:
                    continue  # BuildKit fails the build before it checks this ENV
            secrets = [(pair, name) for pair, name in names if looks_secret(name)]
            # Its values must expand too, which is worth asking only of an ENV with a secret.
            if not secrets or (kind == "ENV" and not _values_expand(model, index, ins)):
                continue
            for pair, name in secrets:
                yield ctx.finding(
                    index,
                    pair.key_span,
                    f"Do not use ARG or ENV instructions for sensitive data ({kind} {go_quote(name)})",
                )


def _values_expand(model: SemanticModel, index: int, ins: EnvInstruction) -> bool:
    """Whether every value of the ENV at ``index`` expands."""
    try:
        for pair in ins.pairs:
            model.expand(index, pair.value or "")
    except ExpansionError:
        return False  # BuildKit fails the build before it checks this ENV
    return True
