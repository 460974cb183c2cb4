"""Plain-code repro scripts: a property's failing example as straight-line backend code.

A backend maintainer pastes a repro into their own tracker, where mpconform is not installed.
So for a property with a *template* the report writes a script that imports only the backend
and the standard library: the template's ``observe(mp, **example)`` function and the helpers it
names, copied verbatim from ``mpconform.conformance.plain_<area>`` (real code that ruff and the
meta-tests check, not text in a string), the shrunk example's arguments as literals, and the
driver :mod:`mpconform.plain_driver`. The script observes with CPython and with the backend and
exits 1 when they differ, 0 when they agree, 2 when it cannot run.

A template returns what the property compares (an exit code, the items received, the
exception's class name), so a difference the property found is a difference in what
``observe`` returns. Properties without a template, and examples whose arguments are not plain
literals, keep the replaying script of :mod:`mpconform.reports.repro`.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import pkgutil
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import plain_driver

#: Standard-library modules every script imports: templates may use these names.
IMPORTS = ("os", "signal", "sys", "threading", "time")


@dataclass(frozen=True)
class Template:
    """How to say one property in plain code."""

    feature: str  # the property's function name
    observe: Callable[..., Any]
    helpers: tuple[Callable[..., Any], ...] = ()
    # Arguments to show the template with when no run recorded any: the meta-tests run every
    # template with them on CPython, where observe() must return normally.
    sample: Mapping[str, Any] = field(default_factory=dict)

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(inspect.signature(self.observe).parameters)[1:]  # after mp

    @property
    def optional(self) -> frozenset[str]:
        """Parameters with a default: an example without them (a failure before the
        ``@given``, when creating the objects) observes with the default."""
        found = inspect.signature(self.observe).parameters.values()
        return frozenset(p.name for p in found if p.default is not inspect.Parameter.empty)


TEMPLATES: dict[str, Template] = {}


def template(
    feature: str, *helpers: Callable[..., Any], sample: Mapping[str, Any] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``observe`` as the plain-code form of property ``feature``; ``helpers`` are the
    module-level functions it calls (copied into the script before it)."""

    def register(observe: Callable[..., Any]) -> Callable[..., Any]:
        if feature in TEMPLATES:
            raise ValueError(f"two plain templates for {feature}")
        TEMPLATES[feature] = Template(feature, observe, tuple(helpers), dict(sample or {}))
        return observe

    return register


def source_of(value: Any) -> str:
    """A sample value as source text: literals by repr, exception classes and signals by name."""
    if isinstance(value, type) and issubclass(value, BaseException):
        return value.__name__
    if isinstance(value, _NAMES["signal"].Signals):
        return f"signal.{value.name}"
    return repr(value)


def load_all() -> Mapping[str, Template]:
    """Import every ``plain_*`` module of the conformance package, which fills TEMPLATES."""
    import mpconform.conformance as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("plain_"):
            importlib.import_module(f"{package.__name__}.{info.name}")
    return TEMPLATES


# -- the example --------------------------------------------------------------------------------

_HEAD = re.compile(
    r"^(?:Falsifying (?:explicit )?example|Failing (?:explicit example|test case)): ", re.MULTILINE
)
# Reprs Hypothesis prints for values that are not literals, and their source form.
_REPRS = ((re.compile(r"<Signals\.(SIG[A-Z0-9]+): -?\d+>"), r"signal.\1"),)
_NAMES = {"signal": __import__("signal")}


def example_in(text: str) -> str | None:
    """The falsifying example a failure message quotes (older results kept a failing
    ``@example`` only there), or None when it quotes none."""
    match = _HEAD.search(text or "")
    return text[match.start() :] if match else None


def example_arguments(example: str | None) -> dict[str, str] | None:
    """The keyword arguments of a falsifying example, each as Python source; None if unreadable.

    ``example`` is Hypothesis's note, ``Falsifying example: f(\\n    mp=<mp ...>,\\n    n=1,\\n)``
    (inner ``@given`` functions print their own name). A value that is neither a literal nor a
    known repr is left out: the template then cannot be given it, and only the replaying
    script is written.
    """
    if not example:
        return {}
    match = _HEAD.search(example)
    if match is None:
        return None
    call_text = example[match.end() :]
    for pattern, replacement in _REPRS:
        call_text = pattern.sub(replacement, call_text)
    call_text = re.sub(r"=<[^<>\n]*>", "=...", call_text)  # opaque reprs: mp=<mp ...>
    try:
        tree = ast.parse(call_text.strip(), mode="eval")
    except SyntaxError:
        return None
    if not isinstance(tree.body, ast.Call):
        return None
    found: dict[str, str] = {}
    for keyword in tree.body.keywords:
        if keyword.arg is None:
            continue
        source = ast.get_source_segment(call_text.strip(), keyword.value)
        if source is None or not _is_plain(keyword.value):
            continue
        found[keyword.arg] = source
    return found


def _is_plain(node: ast.AST) -> bool:
    """A literal, or an attribute of a module the scripts import (signal.SIGTERM)."""
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        return False  # what an opaque repr (mp=<mp billiard-fork>) was turned into
    try:
        ast.literal_eval(node)
        return True
    except ValueError:
        pass
    if isinstance(node, ast.Name):  # a builtin exception class: exc_type=ValueError
        found = getattr(builtins, node.id, None)
        return isinstance(found, type) and issubclass(found, BaseException)
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in _NAMES
        and hasattr(_NAMES[node.value.id], node.attr)
    )


def arguments_for(found: Template, example: str | None, variant: str = "") -> dict[str, str] | None:
    """The template's arguments from ``example``; None when one it needs is missing.

    A parameter with a default may be missing: the script then observes with the default.

    A parameter named ``variant`` receives the test's own pytest parameter id (the ``Value``
    of ``test_x[billiard-fork-Value]``), which the Hypothesis example does not show.
    """
    given = example_arguments(example)
    if given is None:  # unreadable: fine for a template that takes nothing from it
        given = {}
    if "variant" in found.parameters:
        given = {**given, "variant": repr(variant)}
    needed = found.parameters
    if any(name not in given and name not in found.optional for name in needed):
        return None
    return {name: given[name] for name in needed if name in given}


# -- the script ---------------------------------------------------------------------------------

_SCRIPT = '''#!/usr/bin/env python3
"""{headline}

{about}

Run it with any Python that has the backend installed: python {filename} [MODULE]
It observes with CPython's multiprocessing and with MODULE (default {backend}), each in a fresh
interpreter, prints both, and exits 1 when they differ, 0 when they agree, 2 when it cannot run.
`python {filename} multiprocessing` runs it against CPython alone (it then exits 0).
"""

{imports}

BACKEND = {backend!r}
START_METHOD = {start_method!r}
ARGS = dict({args})


# -- the property, in plain code ----------------------------------------------------------------

{code}


# -- the driver (observes each side in a fresh interpreter and compares) -----------------------

{driver}

if __name__ == "__main__":
    sys.exit(main(os.path.abspath(__file__), BACKEND, START_METHOD, observe, ARGS))
'''


def render(
    found: Template,
    args: Mapping[str, str],
    *,
    backend: str,
    start_method: str,
    headline: str,
    about: str = "",
    filename: str = "repro.py",
) -> str:
    """The script's text. ``backend`` is the importable module (``billiard``,
    ``multiprocessing.dummy``); ``args`` maps the template's parameters to source text."""
    code = [_constants(found.observe)] if _constants(found.observe) else []
    code += [_source(helper) for helper in found.helpers]
    code.append(_source(found.observe, rename="observe"))
    imports = sorted(set(IMPORTS) | set(_driver_imports()))
    return _SCRIPT.format(
        headline=_docstring_safe(headline),
        about=_docstring_safe(about.strip()),
        filename=filename,
        backend=backend,
        start_method=start_method,
        imports="\n".join(f"import {name}" for name in imports),
        args=", ".join(f"{name}={source}" for name, source in args.items()),
        code="\n\n\n".join(code),
        driver=_driver_source(),
    )


def _source(function: Callable[..., Any], rename: str | None = None) -> str:
    text = textwrap.dedent(inspect.getsource(function))
    definition = ast.parse(text).body[0]
    text = "\n".join(text.splitlines()[definition.lineno - 1 :])  # without the registration
    if rename is not None:
        text = re.sub(rf"^def {re.escape(function.__name__)}\(", f"def {rename}(", text, count=1)
    return text


def _constants(observe: Callable[..., Any]) -> str:
    """The template module's UPPER_CASE literal constants (PATIENCE_S = 10.0), as source."""
    module = inspect.getmodule(observe)
    if module is None:
        return ""
    text = inspect.getsource(module)
    lines = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value  # STARTED: list = []
        else:
            continue
        if isinstance(target, ast.Name) and target.id.isupper() and _is_plain(value):
            lines.append(ast.get_source_segment(text, node) or "")
    return "\n".join(lines)


def _driver_source() -> str:
    """The driver module after its docstring and imports (the script has its own imports)."""
    text = inspect.getsource(plain_driver)
    tree = ast.parse(text)
    last_import = max(
        node.end_lineno or node.lineno
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
    )
    return "\n".join(text.splitlines()[last_import:]).strip("\n")


def _driver_imports() -> list[str]:
    tree = ast.parse(inspect.getsource(plain_driver))
    return [a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names]


def _docstring_safe(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
