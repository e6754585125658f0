"""The ARG and ENV values in force at a point of a Dockerfile, and how ARG and ENV change them.

BuildKit keeps one list of variables per stage (its LLB state's environment):
``ENV`` and ``ARG`` both write into it, the last write of a name wins, and
every expansion in the stage reads it.  :class:`Scope` keeps that list as
``values`` and, beside it, which ARGs were declared (``args``) and which ENV
values were set (``env``), because editors and refactors need to tell them
apart.

The functions here are the rules of ``dispatchArg`` / ``dispatchEnv`` and of
``buildMetaArgs`` in frontend/dockerfile/dockerfile2llb/convert.go.  They
never raise: a word BuildKit cannot expand (which fails the build) comes back
as an :class:`~dockerast.semantic.shell.ExpansionError` in the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import NamedTuple

from dockerast.cst.nodes import KeyValue
from dockerast.semantic.shell import ExpansionError, ShellLex

__all__ = ["EMPTY_SCOPE", "Scope", "declare_meta_args", "declare_stage_args", "set_env"]

# ARGs BuildKit reads itself and never puts into the environment
# (convert.go, ``nonEnvArgs``).
NON_ENV_ARGS = frozenset({"BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"})


def _dict(mapping: Mapping) -> dict:
    """``dict(mapping)``.  A scope made here holds read-only views of dicts,
    which copy several times faster through the view."""
    if type(mapping) is MappingProxyType:
        try:
            copied = mapping.copy()
        except AttributeError:  # the view of a mapping without copy()
            copied = None
        if type(copied) is dict:
            return copied
    return dict(mapping)


def _frozen(mapping: Mapping) -> Mapping:
    """A read-only copy of ``mapping``.  The functions below wrap the dicts they
    build without copying them: nothing else holds those, so they never change."""
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, eq=False)
class Scope:
    """Variables in force at one point of a Dockerfile.

    * ``args``: the ARGs declared so far (in a stage: by the stage, by the stage
      it is built FROM, or by ONBUILD triggers of that stage; in the global
      scope: the automatic platform ARGs and the meta ARGs), each with the
      value it was given, or None when it was declared without a value and
      none came from a build argument or the global scope;
    * ``env``: the values set by ENV (only those written in this Dockerfile:
      the base image's own environment is unknown here);
    * ``values``: what ``$name`` expands to: BuildKit's single list, where
      the later of an ENV and an ARG of the same name wins.
    """

    args: Mapping[str, str | None]
    env: Mapping[str, str]
    values: Mapping[str, str]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scope):
            return NotImplemented
        return dict(self.args) == dict(other.args) and dict(self.env) == dict(other.env) and (
            dict(self.values) == dict(other.values)
        )

    __hash__ = None  # type: ignore[assignment]

    def get(self, name: str) -> str | None:
        """The value ``$name`` expands to here, or None when it is unset."""
        return self.values.get(name)

    @classmethod
    def of(
        cls,
        args: Mapping[str, str | None] = MappingProxyType({}),
        env: Mapping[str, str] = MappingProxyType({}),
        values: Mapping[str, str] | None = None,
    ) -> Scope:
        """A scope from plain mappings; ``values`` defaults to the ARG values overlaid with ``env``."""
        if values is None:
            values = {k: v for k, v in args.items() if v is not None}
            values.update(env)
        return cls(_frozen(args), _frozen(env), _frozen(values))


EMPTY_SCOPE = Scope.of()


class Declared(NamedTuple):
    """What one ``name[=default]`` of an ARG resolved to: ``value`` is None when it has none.

    A named tuple: the analysis makes one per name of every ARG and ENV.
    """

    name: str
    value: str | None
    error: ExpansionError | None = None


# The functions below make a Scope and a Declared per ARG or ENV.  A Scope is
# a frozen dataclass, whose generated __init__ sets each field through
# object.__setattr__: filling the instance's __dict__ directly makes the same
# object faster.  A Declared is a named tuple: ``_new_declared((name, value,
# error))`` builds it by tuple.__new__, in C, without the Python-level __new__
# of its class (as dockerast.cst.nodes builds the nodes that are named tuples).
_new = object.__new__
_new_declared = partial(tuple.__new__, Declared)


def _new_scope(args: Mapping[str, str | None], env: Mapping[str, str], values: Mapping[str, str]) -> Scope:
    """``Scope(args, env, values)``."""
    scope = _new(Scope)
    fields = scope.__dict__
    fields["args"] = args
    fields["env"] = env
    fields["values"] = values
    return scope


def declare_meta_args(
    scope: Scope, pairs: Iterable[KeyValue], build_args: Mapping[str, str], lex: ShellLex
) -> tuple[Scope, tuple[Declared, ...]]:
    """ARGs before the first FROM (BuildKit's ``buildMetaArgs``).

    A build argument replaces the default; otherwise the default is expanded
    with the global scope as it stands, earlier names of the same ARG
    included.  An ARG without a value leaves an automatic platform ARG of that
    name as it was.
    """
    args = _dict(scope.args)
    values = _dict(scope.values)
    declared = []
    for pair in pairs:
        value, error = _resolve_default(pair, build_args, values, lex)
        if value is not None:
            values[pair.key] = value
        args[pair.key] = values.get(pair.key) if value is None else value
        declared.append(_new_declared((pair.key, value, error)))
    return _new_scope(MappingProxyType(args), scope.env, MappingProxyType(values)), tuple(declared)


def declare_stage_args(
    scope: Scope,
    pairs: Iterable[KeyValue],
    build_args: Mapping[str, str],
    global_values: Mapping[str, str],
    lex: ShellLex,
) -> tuple[Scope, tuple[Declared, ...]]:
    """An ARG inside a stage (BuildKit's ``dispatchArg``).

    For each ``name[=default]``, in order:

    1. a build argument of that name gives the value;
    2. otherwise the default, expanded with the stage's variables (ENV,
       earlier ARGs, earlier names of this ARG);
    3. otherwise, with no default, the global scope's value: a meta ARG's or an
       automatic platform ARG's.  So ``ARG TARGETARCH=amd64`` in a stage is
       ``amd64`` whatever platform is built, and only a build argument named
       ``TARGETARCH`` changes it.

    A name with a value is written into ``values`` (over an ENV of the same
    name); a name left without one changes nothing there, and keeps the value
    an earlier declaration gave it in ``args``.
    """
    args = _dict(scope.args)
    values = _dict(scope.values)
    declared = []
    for pair in pairs:
        name = pair.key
        if pair.value is None and name not in build_args:
            value, error = global_values.get(name), None
        else:
            value, error = _resolve_default(pair, build_args, values, lex)
        if value is not None and name not in NON_ENV_ARGS:
            values[name] = value
        args[name] = args.get(name) if value is None else value
        declared.append(_new_declared((name, value, error)))
    return _new_scope(MappingProxyType(args), scope.env, MappingProxyType(values)), tuple(declared)


def set_env(scope: Scope, pairs: Iterable[KeyValue], lex: ShellLex) -> tuple[Scope, tuple[Declared, ...]]:
    """An ENV instruction (BuildKit's ``EnvCommand.Expand`` then ``dispatchEnv``).

    Keys and values are expanded with the variables as they were *before*
    the instruction: in ``ENV A=1 B=$A``, ``B`` sees the previous ``A``.
    A pair that cannot be expanded is skipped and reported.
    """
    env = _dict(scope.env)
    values = _dict(scope.values)
    before = scope.values
    declared = []
    for pair in pairs:
        try:
            key = lex.expand(pair.key, before)
            value = lex.expand(pair.value or "", before)
        except ExpansionError as error:
            declared.append(_new_declared((pair.key, None, error)))
            continue
        env[key] = value
        values[key] = value
        declared.append(_new_declared((key, value, None)))
    return _new_scope(scope.args, MappingProxyType(env), MappingProxyType(values)), tuple(declared)


def _resolve_default(
    pair: KeyValue, build_args: Mapping[str, str], values: Mapping[str, str], lex: ShellLex
) -> tuple[str | None, ExpansionError | None]:
    if pair.key in build_args:
        return build_args[pair.key], None
    if pair.value is None:
        return None, None
    try:
        return lex.expand(pair.value, values), None
    except ExpansionError as error:
        return None, error
