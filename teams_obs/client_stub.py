"""What the typed stubs of the clients' methods (teams_obs/client_methods.pyi, rendered) are made of: the
SqlFunction declarations of teams_obs/client.py, and the imports their annotations need."""

from __future__ import annotations

import ast
import builtins
import inspect
import sys
import types
import typing
from dataclasses import dataclass

from teams_obs import client
from teams_obs.sql_function import SqlFunction


@dataclass(frozen=True)
class ClientMethod:
    """A client method as _with_calls makes it, for the stubs: a SqlFunction declaration's signature, whose
    annotations are the text written in teams_obs/client.py (it postpones their evaluation)."""

    name: str
    signature: inspect.Signature
    doc: str
    returns: str

    @property
    def parameters(self) -> list[str]:
        """``self``, then each parameter as written (``name: annotation = default``), the bare ``*`` in place."""
        parameters = ["self"]
        for parameter in self.signature.parameters.values():
            # SqlFunction binds SQL parameters by name; other kinds would need Signature.__str__'s "/" too.
            if parameter.kind not in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
                raise TypeError(f"{self.name}({parameter}): declare SQL parameters plain or keyword-only")
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY and "*" not in parameters:
                parameters.append("*")
            default = "" if parameter.default is inspect.Parameter.empty else f" = {parameter.default!r}"
            parameters.append(f"{parameter.name}: {parameter.annotation}{default}")
        return parameters

    @property
    def annotations(self) -> list[str]:
        return [*(parameter.annotation for parameter in self.signature.parameters.values()),
                self.signature.return_annotation]


def _returns(name: str, function: SqlFunction) -> str:
    """The stub's return type: the declared one, or with ``| Neutral`` where a failed call under never_raise
    returns None (Neutral is None for a never_raise client, nothing for another). Any other neutral result
    must be of the declared type, which then says it already."""
    declared: str = function.signature.return_annotation
    neutral = client.neutral_result(name)
    if neutral is None:
        return f"{declared} | Neutral"
    hint = typing.get_type_hints(function)["return"]
    if not isinstance(neutral, typing.get_origin(hint) or hint):
        raise TypeError(f"{name}: its neutral result {neutral!r} under never_raise is not a {declared}")
    return declared


def client_methods() -> list[ClientMethod]:
    """The methods _with_calls gives both clients, in declaration order."""
    return [ClientMethod(name, function.signature, inspect.cleandoc(function.__doc__ or ""),
                         _returns(name, function))
            for name, function in client.CALLS.items()]


def _bound_from(module: types.ModuleType) -> dict[str, str]:
    """The module each top-level name of ``module`` is imported from, or its own for what it defines."""
    bound: dict[str, str] = {}
    for statement in ast.parse(inspect.getsource(module)).body:
        if isinstance(statement, ast.ImportFrom) and statement.module:
            bound |= {alias.asname or alias.name: statement.module for alias in statement.names}
        elif isinstance(statement, ast.ClassDef | ast.FunctionDef):
            bound[statement.name] = module.__name__
        elif isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            bound |= {node.id: module.__name__ for target in targets for node in ast.walk(target)
                      if isinstance(node, ast.Name)}
    return bound


def client_imports(methods: list[ClientMethod], **stub_own: str) -> list[list[str]]:
    """The imports the methods' annotations need and ``stub_own`` (name=module: what the stub's own lines
    use), grouped and ordered as isort wants them. Each name comes from the module teams_obs/client.py has
    it from, not through client.py: a strict checker hides a name a module only imports (mypy's
    no_implicit_reexport)."""
    bound_from = _bound_from(client)
    by_module: dict[str, list[str]] = {}
    for name in sorted({node.id for method in methods for annotation in method.annotations
                        for node in ast.walk(ast.parse(annotation, mode="eval"))
                        if isinstance(node, ast.Name) and not hasattr(builtins, node.id)} | stub_own.keys()):
        by_module.setdefault(stub_own.get(name) or bound_from[name], []).append(name)
    sections: dict[int, list[str]] = {}  # standard library, third party, this package
    for module in sorted(by_module):
        top = module.partition(".")[0]
        section = 0 if top in sys.stdlib_module_names else 2 if top == __package__ else 1
        sections.setdefault(section, []).append(f"from {module} import {', '.join(by_module[module])}")
    return [sections[section] for section in sorted(sections)]
