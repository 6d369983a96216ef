"""config.example.toml promises nothing that is not built: every key in it — set, or
commented out as `# key = value` — is a field of its section's settings model, says
REQUIRED or OPTIONAL in the comment above it, and is read by some code of bots/, core/ or
scheduler/ other than core/config.py.

"Read" is found in the syntax tree, not by a text search: an attribute `.key` taken on an
expression that denotes the section — `….telegram`, a name or `self.x` assigned from one,
or a parameter annotated with the section's class (TelegramSettings) — within one
top-level function or class. The checker is tested on altered copies of the example, so a
key added without a reader fails here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.config import SECTIONS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"
SOURCES = ("bots", "core", "scheduler")
EXCLUDED = {ROOT / "core" / "config.py"}

# Keys someone is wiring right now, with the reason: each must turn into a reader (then
# its strict xfail fails, and its line here goes). Empty: every key is read.
NOT_READ_YET: dict[tuple[str, str], str] = {}

_SECTION = re.compile(r"^\[([a-z_]+)\]\s*$")
_KEY = re.compile(r"^(#\s?)?([a-z_][a-z0-9_]*)\s*=\s*\S")


@dataclass(frozen=True)
class ExampleKey:
    section: str
    key: str
    line: int
    comment: str  # the comment lines just above it, joined


def example_keys(text: str) -> list[ExampleKey]:
    """Every key of the example, set or commented out, with the comment block above it."""
    found, section, comment = [], "", []
    for number, line in enumerate(text.splitlines(), 1):
        header, key = _SECTION.match(line), _KEY.match(line)
        if header:
            section, comment = header[1], []
        elif key and section:
            found.append(ExampleKey(section, key[2], number, "\n".join(comment)))
            comment = []
        elif line.startswith("#"):
            comment.append(line)
        else:
            comment = []
    return found


def _class_name(section: str) -> str:
    return SECTIONS[section].__name__


def _names_class(annotation: ast.expr | None, class_name: str) -> bool:
    return annotation is not None and any(
        isinstance(node, ast.Name) and node.id == class_name for node in ast.walk(annotation))


def _aliases(scope: ast.AST, section: str) -> set[str]:
    """Expressions (as source text) that denote the section object inside `scope`."""
    class_name = _class_name(section)
    found: set[str] = set()
    for node in ast.walk(scope):
        if isinstance(node, ast.Attribute) and node.attr == section:
            found.add(ast.unparse(node))
        elif isinstance(node, ast.arg) and _names_class(node.annotation, class_name):
            found.add(node.arg)
        elif isinstance(node, ast.AnnAssign) and _names_class(node.annotation, class_name):
            found.add(ast.unparse(node.target))
    pairs = list(_assignments(scope))
    while True:  # names assigned from an alias are aliases, to a fixpoint
        more = {target for target, value in pairs if value in found} - found
        if not more:
            return found
        found |= more


def _assignments(scope: ast.AST) -> Iterator[tuple[str, str]]:
    """(target, value) source texts of every simple assignment, tuples taken pairwise."""
    for node in ast.walk(scope):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                for one, value in zip(target.elts, node.value.elts, strict=False):
                    yield ast.unparse(one), ast.unparse(value)
            else:
                yield ast.unparse(target), ast.unparse(node.value)


def _scopes(files: Iterable[Path]) -> Iterator[ast.AST]:
    """Each top-level function or class of each file (a class with all its methods)."""
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                yield node


def read_keys(files: Iterable[Path]) -> set[tuple[str, str]]:
    """(section, key) pairs some scope reads as an attribute of the section object."""
    found: set[tuple[str, str]] = set()
    for scope in _scopes(files):
        text = ast.unparse(scope)
        for section, model in SECTIONS.items():
            if section not in text and _class_name(section) not in text:
                continue
            aliases = _aliases(scope, section)
            for node in ast.walk(scope):
                if (isinstance(node, ast.Attribute) and node.attr in model.model_fields
                        and ast.unparse(node.value) in aliases):
                    found.add((section, node.attr))
    return found


def source_files() -> list[Path]:
    return [path for folder in SOURCES for path in sorted((ROOT / folder).rglob("*.py"))
            if path not in EXCLUDED]


def problems(keys: list[ExampleKey], read: set[tuple[str, str]]) -> list[str]:
    """What is wrong with each key of the example: no field, no REQUIRED/OPTIONAL, no reader."""
    found = []
    for item in keys:
        where = f"[{item.section}] {item.key} (line {item.line})"
        model = SECTIONS.get(item.section)
        if model is None or item.key not in model.model_fields:
            found.append(f"{where}: not a field of the settings model")
        if "REQUIRED" not in item.comment and "OPTIONAL" not in item.comment:
            found.append(f"{where}: its comment says neither REQUIRED nor OPTIONAL")
        if (item.section, item.key) not in read:
            found.append(f"{where}: nothing outside core/config.py reads it")
    return found


@pytest.fixture(scope="module")
def read() -> set[tuple[str, str]]:
    return read_keys(source_files())


KEYS = example_keys(EXAMPLE.read_text(encoding="utf-8"))


def _marked(item: ExampleKey) -> object:
    reason = NOT_READ_YET.get((item.section, item.key))
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(item, id=f"{item.section}.{item.key}", marks=marks)


@pytest.mark.parametrize("item", [_marked(item) for item in KEYS])
def test_every_key_of_the_example_is_a_documented_field_that_something_reads(
    item: ExampleKey, read: set[tuple[str, str]]
) -> None:
    assert problems([item], read) == []


def test_the_example_has_every_section_and_the_parser_sees_commented_keys() -> None:
    assert {item.section for item in KEYS} == set(SECTIONS)
    assert ("telegram", "webhook_secret") in {(i.section, i.key) for i in KEYS}  # commented


def test_a_key_added_without_a_reader_fails(read: set[tuple[str, str]]) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "[server]\n", "[server]\n# OPTIONAL (default 5): nothing reads this.\n# backlog = 5\n")
    added = [i for i in example_keys(text) if i.key == "backlog"]
    assert [p.split(":", 1)[1].strip() for p in problems(added, read)] == [
        "not a field of the settings model", "nothing outside core/config.py reads it"]


def test_a_field_nobody_reads_fails_and_an_undocumented_key_fails(tmp_path: Path) -> None:
    """The same keys against a tree where only one module reads settings."""
    module = tmp_path / "reader.py"
    module.write_text("def f(settings):\n    print(settings.telegram.token)\n"
                      "    token = 'x'\n    print(token.mode)\n", encoding="utf-8")
    read = read_keys([module])
    assert read == {("telegram", "token")}
    text = "[telegram]\n# REQUIRED: the token.\ntoken = \"1:a\"\nmode = \"polling\"\n"
    assert problems(example_keys(text), read) == [
        "[telegram] mode (line 4): its comment says neither REQUIRED nor OPTIONAL",
        "[telegram] mode (line 4): nothing outside core/config.py reads it"]


def test_readers_are_found_through_aliases(tmp_path: Path) -> None:
    module = tmp_path / "reader.py"
    module.write_text(
        "from core.config import SchedulerSettings\n"
        "def rules(settings: SchedulerSettings):\n    return settings.timezone\n"
        "class Suite:\n    def start(self):\n"
        "        channel, sending = self.channels, self.settings.sending\n"
        "        return sending.max_attempts\n", encoding="utf-8")
    assert read_keys([module]) == {("scheduler", "timezone"), ("sending", "max_attempts")}
