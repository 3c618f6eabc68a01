"""Load tenant specs from YAML files, reporting every problem as ``FILE:LINE: key.path: message``.

YAML is composed into nodes first (like octoDNS's ContextLoader, but keyed by path), so the line
of every mapping key and sequence item is known when pydantic later complains about a value.
Nothing stops at the first problem: syntax aside, every problem of every file is collected and
raised as one :class:`SpecError`. The module reads files but has no other side effects.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from supertenant.errors import SpecError
from supertenant.spec.models import (
    ENGINES,
    BigQueryWarehouse,
    Branding,
    DuckDBWarehouse,
    Features,
    Loc,
    TemplateRef,
    TenantSpec,
    UserSpec,
)

SPEC_SUFFIXES = (".yaml", ".yml")

_STR_TAG = "tag:yaml.org,2002:str"
_SECRET_ADJACENT_KEYS = frozenset({"password_env"})
"""Keys whose value is never echoed back: an author may have pasted the secret instead of its name."""

_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): TenantSpec,
    ("warehouse", "duckdb"): DuckDBWarehouse,
    ("warehouse", "bigquery"): BigQueryWarehouse,
    ("users", "*"): UserSpec,
    ("branding",): Branding,
    ("features",): Features,
    ("templates", "*"): TemplateRef,
}
"""Which model sits at a (pydantic) location, to list the keys it knows when one is unknown."""

_SENTENCES = {
    "missing": "missing required key",
    "string_type": "must be text, got {got}",
    "bool_type": "must be true or false, got {got}",
    "int_type": "must be a whole number, got {got}",
    "list_type": "must be a list, got {got}",
    "dict_type": "must be a mapping of keys to values, got {got}",
    "model_type": "must be a mapping of keys to values, got {got}",
    "model_attributes_type": "must be a mapping of keys to values, got {got}",
    "literal_error": "must be {expected}, got {got}",
    "string_too_long": "must be at most {max_length} characters",
    "too_long": "must have at most {max_length} items",
    "value_error": "{error}",
}
"""Short sentences for the pydantic errors a YAML author meets; others fall back to pydantic's msg."""


# --- problems ---------------------------------------------------------------------------------


def _loc_text(loc: Loc) -> str:
    """Render a location the way a YAML author reads it: ``warehouse.account_ids[1]``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True)
class _Problem:
    """One reason a spec is invalid, already located in a file."""

    source: str
    line: int | None
    loc: Loc
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        path = _loc_text(self.loc)
        return f"{where}: {path}: {self.message}" if path else f"{where}: {self.message}"


def _raise_if_any(problems: list[_Problem], source: str) -> None:
    """Raise one SpecError with every problem, in file and line order."""
    if problems:
        ordered = sorted(problems, key=lambda p: (p.source, p.line or 0))
        unique = dict.fromkeys(str(p) for p in ordered)  # an aliased node is walked once per alias
        raise SpecError(list(unique), source=source)


# --- YAML → plain data plus the line of every key and item ------------------------------------


@dataclass
class _Tree:
    """Plain data composed from one YAML document, with the 1-based line of each key and item."""

    source: str
    data: Any = None
    root_line: int = 1
    lines: dict[Loc, int] = field(default_factory=dict)
    problems: list[_Problem] = field(default_factory=list)

    def line(self, loc: Loc) -> int:
        """Line of the deepest part of ``loc`` that is written in the file (a missing key's parent)."""
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return self.root_line

    def problem(self, loc: Loc, message: str, line: int | None = None) -> None:
        """Record a problem at ``loc`` (or at an explicit line)."""
        self.problems.append(_Problem(self.source, self.line(loc) if line is None else line, loc, message))


class _TreeBuilder:
    """Walk composed YAML nodes into dicts, lists and scalars, recording lines and duplicate keys."""

    def __init__(self, loader: yaml.SafeLoader, tree: _Tree) -> None:
        self._loader = loader
        self._tree = tree
        self._active: set[int] = set()
        self._checked: set[int] = set()

    def value(self, node: yaml.Node, loc: Loc) -> Any:
        """Convert one node; collections recurse, with a guard against recursive aliases."""
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, loc)
        if id(node) in self._active:
            self._tree.problem(loc, "recursive YAML alias", _line(node))
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, loc)
            return [self.value(item, self._item(loc, i, item)) for i, item in enumerate(node.value)]
        finally:
            self._active.discard(id(node))

    def _item(self, loc: Loc, index: int, node: yaml.Node) -> Loc:
        """Record the line of a sequence item and return its location."""
        item_loc = (*loc, index)
        self._tree.lines[item_loc] = _line(node)
        return item_loc

    def _scalar(self, node: yaml.ScalarNode, loc: Loc) -> Any:
        """Construct a scalar with YAML's safe rules; an unknown tag keeps the text and is reported."""
        try:
            return self._loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            self._tree.problem(loc, f"YAML error: {exc.problem}", _line(node))
            return node.value

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        """Build a dict; later keys win like in YAML, but a repeated key is reported."""
        self._report_duplicate_keys(node, loc)
        try:
            self._loader.flatten_mapping(node)  # resolves `<<: *anchor` merges
        except yaml.MarkedYAMLError as exc:
            self._tree.problem(loc, f"YAML error: {exc.problem}", _line(node))
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, loc)
            if key is not None:
                self._tree.lines[(*loc, key)] = _line(key_node)
                result[key] = self.value(value_node, (*loc, key))
        return result

    def _key(self, node: yaml.Node, loc: Loc) -> str | None:
        """Return a mapping key as text, or report it: every key of the spec is a plain word."""
        if not isinstance(node, yaml.ScalarNode):
            kind = "a mapping" if isinstance(node, yaml.MappingNode) else "a list"
            self._tree.problem(loc, f"keys must be plain words, got {kind}", _line(node))
            return None
        key = self._scalar(node, loc)
        if isinstance(key, str):
            return key
        self._tree.problem(loc, f"keys must be plain words, got {_show(key)}", _line(node))
        return None

    def _report_duplicate_keys(self, node: yaml.MappingNode, loc: Loc) -> None:
        """YAML silently keeps the last of two equal keys; for a spec that hides a mistake."""
        if id(node) in self._checked:  # an aliased mapping, already checked (and merged) once
            return
        self._checked.add(id(node))
        first_line: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR_TAG:
                continue
            key = str(key_node.value)
            if key in first_line:
                message = f"duplicate key {key!r} (first given on line {first_line[key]})"
                self._tree.problem((*loc, key), message, _line(key_node))
            else:
                first_line[key] = _line(key_node)


def _syntax_error(exc: yaml.MarkedYAMLError) -> str:
    """Say what the parser expected and, for an unclosed construct, the line where it began."""
    problem, context = exc.problem, exc.context
    start = _mark_line(exc.context_mark)
    if context and context.startswith("while") and start != _mark_line(exc.problem_mark):
        return f"YAML syntax error: {problem} ({context} that starts on line {start})"
    if context and context.startswith("while"):
        return f"YAML syntax error: {problem} ({context})"
    return f"YAML syntax error: {context}, {problem}" if context else f"YAML syntax error: {problem}"


def _mark_line(mark: yaml.Mark | None) -> int | None:
    """1-based line of a parser mark."""
    return None if mark is None else int(mark.line) + 1


def _line(node: yaml.Node) -> int:
    """1-based line where a node starts."""
    return int(node.start_mark.line) + 1


def _compose(text: str, source: str) -> _Tree:
    """Parse YAML text into a tree; syntax errors, an empty file or a non-mapping are problems."""
    tree = _Tree(source)
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            tree.problem((), "the file is empty; a tenant spec needs at least slug, name and warehouse")
        elif not isinstance(root, yaml.MappingNode):
            got = "a list" if isinstance(root, yaml.SequenceNode) else f"{root.value!r}"
            tree.problem((), f"the top level must be a mapping (slug: …, name: …), got {got}", _line(root))
        else:
            tree.root_line = _line(root)
            tree.data = _TreeBuilder(loader, tree).value(root, ())
    except yaml.MarkedYAMLError as exc:
        tree.problem((), _syntax_error(exc), _mark_line(exc.problem_mark or exc.context_mark))
    except yaml.YAMLError as exc:
        tree.problem((), f"YAML error: {exc}")
    finally:
        loader.dispose()
    return tree


# --- pydantic errors → sentences --------------------------------------------------------------


def _show(value: Any) -> str:
    """Render a value the way it looks in YAML, shortened."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime.date):
        return f"a date ({value.isoformat()}); quote it to make it text"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _without_union_tags(loc: Loc) -> Loc:
    """Pydantic puts the union tag in locations (warehouse.duckdb.path); the YAML has no such key."""
    if len(loc) > 1 and loc[0] == "warehouse" and loc[1] in ENGINES:
        return (loc[0], *loc[2:])
    return loc


def _unknown_key(raw_loc: Loc) -> str:
    """Name the unknown key and suggest the closest known one, or list them all."""
    key = str(raw_loc[-1])
    pattern = tuple("*" if isinstance(part, int) else part for part in raw_loc[:-1])
    model = _MODELS.get(pattern)
    if model is None:
        return f"unknown key {key!r}"
    known = [info.alias or name for name, info in model.model_fields.items()]
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"unknown key {key!r}; did you mean {close[0]!r}?"
    return f"unknown key {key!r}; expected one of: {', '.join(known)}"


def _sentence(error: ErrorDetails, loc: Loc) -> str:
    """A short sentence for one pydantic error; never echoes a value next to a secret."""
    kind = error["type"]
    ctx = dict(error.get("ctx") or {})
    if kind in ("too_short", "string_too_short"):
        return "must not be empty"
    template = _SENTENCES.get(kind)
    if template is None:
        return error["msg"]
    secret = any(part in _SECRET_ADJACENT_KEYS for part in loc)
    got = "a value of the wrong type" if secret else _show(error.get("input"))
    try:
        return template.format_map({**ctx, "got": got})
    except KeyError:  # a pydantic version with different ctx keys: its own message is still fine
        return error["msg"]


def _reason(error: ErrorDetails) -> tuple[Loc, str]:
    """Turn one pydantic error into a located sentence; union-tag errors point at ``engine``."""
    raw_loc = tuple(error["loc"])
    loc = _without_union_tags(raw_loc)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "union_tag_invalid":
        return (*loc, "engine"), f"must be one of {ctx['expected_tags']}, got {ctx['tag']!r}"
    if kind == "union_tag_not_found":
        engines = ", ".join(repr(engine) for engine in ENGINES)
        return (*loc, "engine"), f"missing required key; must be one of {engines}"
    if kind == "extra_forbidden":
        return loc, _unknown_key(raw_loc)
    return loc, _sentence(error, loc)


# --- parsing one document ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Parsed:
    """A valid spec with the tree it came from, for checks across files."""

    spec: TenantSpec
    tree: _Tree

    def where(self, loc: Loc) -> str:
        """``FILE:LINE`` of a key in this spec's file."""
        return f"{self.tree.source}:{self.tree.line(loc)}"

    def problem(self, loc: Loc, message: str) -> _Problem:
        """A problem at a key of this spec's file."""
        return _Problem(self.tree.source, self.tree.line(loc), loc, message)


def _parse(text: str, source: str) -> tuple[_Parsed | None, list[_Problem]]:
    """Parse and validate one document, returning the spec or every problem found."""
    tree = _compose(text, source)
    if tree.data is None:
        return None, tree.problems
    try:
        spec = TenantSpec.model_validate(tree.data)
    except ValidationError as exc:
        for error in exc.errors():
            tree.problem(*_reason(error))
        return None, tree.problems
    if tree.problems:  # e.g. duplicate keys: the model is valid but the file is not
        return None, tree.problems
    return _Parsed(spec, tree), []


def _read(path: Path) -> tuple[str | None, list[_Problem]]:
    """Read a spec file as UTF-8 text; an unreadable file is a problem, not a traceback."""
    source = str(path)
    try:
        return path.read_bytes().decode("utf-8"), []
    except FileNotFoundError:
        message = "no such file"
    except IsADirectoryError:
        message = "is a directory, not a spec file"
    except PermissionError:
        message = "cannot be read: permission denied"
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 text (invalid byte at offset {exc.start})"
    except OSError as exc:
        message = f"cannot be read: {exc.strerror or exc}"
    return None, [_Problem(source, None, (), message)]


def _load(path: Path) -> tuple[_Parsed | None, list[_Problem]]:
    """Read and parse one file."""
    text, problems = _read(path)
    if text is None:
        return None, problems
    return _parse(text, str(path))


# --- checks across tenants --------------------------------------------------------------------


def _cross_tenant_problems(parsed: Iterable[_Parsed]) -> list[_Problem]:
    """Two tenants may not share a slug (it names every object) or a hostname (it selects the tenant)."""
    problems: list[_Problem] = []
    slugs: dict[str, _Parsed] = {}
    hostnames: dict[str, tuple[_Parsed, Loc]] = {}
    for current in parsed:
        first = slugs.setdefault(current.spec.slug, current)
        if first is not current:
            message = f"{current.spec.slug!r} is already the slug of {first.where(('slug',))}"
            problems.append(current.problem(("slug",), message + "; every tenant needs its own slug"))
        for index, host in enumerate(current.spec.branding.hostnames):
            loc: Loc = ("branding", "hostnames", index)
            owner, owner_loc = hostnames.setdefault(host, (current, loc))
            if owner is not current:
                message = (
                    f"{host!r} is already claimed by tenant {owner.spec.slug!r} ({owner.where(owner_loc)})"
                )
                problems.append(current.problem(loc, message))
    return problems


def _spec_files(directory: Path) -> list[Path]:
    """Every ``*.yaml``/``*.yml`` file directly in ``directory``, sorted; dot files skipped like a glob."""
    return sorted(
        p
        for p in directory.iterdir()
        if p.suffix in SPEC_SUFFIXES and p.is_file() and not p.name.startswith(".")
    )


# --- public API -------------------------------------------------------------------------------


def _spec_or_raise(parsed: _Parsed | None, problems: list[_Problem], source: str) -> TenantSpec:
    """Return the parsed spec, or raise SpecError with every problem."""
    _raise_if_any(problems, source)
    assert parsed is not None  # no problems means the spec validated
    return parsed.spec


def parse_spec(text: str, *, source: str = "<string>") -> TenantSpec:
    """Validate a spec given as YAML text; ``source`` names it in error messages."""
    parsed, problems = _parse(text, source)
    return _spec_or_raise(parsed, problems, source)


def load_spec(path: Path | str) -> TenantSpec:
    """Load one tenant spec file; raises SpecError listing every problem with FILE:LINE."""
    path = Path(path)
    parsed, problems = _load(path)
    return _spec_or_raise(parsed, problems, str(path))


def load_specs(path: Path | str) -> list[TenantSpec]:
    """Load a spec file, or every ``*.yaml``/``*.yml`` in a directory (sorted by file name).

    All files are checked before anything is returned, including that no two tenants share
    a slug or a hostname, so a caller never acts on half of a directory.
    """
    path = Path(path)
    if not path.is_dir():
        return [load_spec(path)]
    files = _spec_files(path)
    if not files:
        raise SpecError([f"{path}: no *.yaml or *.yml files in this directory"], source=str(path))
    problems: list[_Problem] = []
    parsed: list[_Parsed] = []
    for file in files:
        one, file_problems = _load(file)
        problems.extend(file_problems)
        if one is not None:
            parsed.append(one)
    problems.extend(_cross_tenant_problems(parsed))
    _raise_if_any(problems, str(path))
    return [one.spec for one in parsed]
