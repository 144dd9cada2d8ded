"""Reading ``sqitch.plan`` files and computing change and tag ids exactly as sqitch 1.3 does.

Grammar and hashing follow App::Sqitch::Plan, Plan::Change, Plan::Tag and Plan::Depend
(see shared/reference/anchor-notes.md §1.1 and §1.5).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

_PUNCT = re.escape("-!\"#$%&'()*+,./:;<=>?@[\\]^`{|}~")
NAME_RE = (
    rf"(?![{_PUNCT}])"
    rf"(?:(?![~/=%^][0-9]+(?:$|[ \t]))[^ \t:@#\\])+"
    rf"(?<![{_PUNCT}])\b"
)
_TS_RE = r"(?P<ts>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)"
_LINE_RE = re.compile(
    rf"^[ \t]*(?:(?P<tag>@)|[ \t]*(?P<operator>[+-])[ \t]*)?"
    rf"(?P<name>{NAME_RE})[ \t]*"
    rf"(?:\[(?P<deps>[^\]]+)\][ \t]*)?"
    rf"(?:{_TS_RE}[ \t]*)?"
    rf"(?:(?P<planner_name>[^<]+)[ \t]+<(?P<planner_email>[^>]+)>)?$"
)
_DEPEND_RE = re.compile(
    rf"^(?P<conflict>!?)(?:(?P<project>{NAME_RE}):)?"
    rf"(?:(?P<id>[0-9a-f]{{40}})|(?P<change>{NAME_RE})(?:@(?P<ctag>{NAME_RE}))?|@(?P<tag>{NAME_RE}))$"
)
_PRAGMA_RE = re.compile(r"^[ \t]*%[ \t]*(?P<name>[^ \t=]+?)(?:[ \t]*=[ \t]*(?P<value>.+))?$")
_BLANK_RE = re.compile(r"^[ \t]*(?:#.*)?$")
_NOTE_RE = re.compile(r"[ \t]*(?:#[ \t]*(?P<note>.*))?$")
_ESCAPES = {"\\n": "\n", "\\r": "\r", "\\\\": "\\"}
# A change spec may end in an offset: "^", "^^" or "^N" changes earlier, "~", "~~" or "~N" later. As in
# sqitch, never right after punctuation, so that no name is cut short.
_OFFSET_RE = re.compile(rf"(?<![{_PUNCT}])([~^])(?:(\1)|([0-9]+))?\Z")
CHANGE_ID_RE = re.compile(r"[0-9a-f]{40}")


class PlanError(Exception):
    """A plan that sqitch would refuse (the message names the file and line), or a change spec that names
    no single change of it."""


def split_offset(spec: str) -> tuple[str, int]:
    """``spec`` without its offset, and the offset in changes, negative for earlier (sqitch's _offset)."""
    m = _OFFSET_RE.search(spec)
    if m is None:
        return spec, 0
    steps = int(m[3]) if m[3] else 2 if m[2] else 1
    return spec[: m.start()], -steps if m[1] == "^" else steps


def ambiguity(name: str, qualified_names: list[str], failure: str) -> str:
    """sqitch's refusal of a reworked change named without a tag: the instances, newest first."""
    return "\n".join([f'Change "{name}" is ambiguous. Please specify a tag-qualified change:',
                      *(f"  * {qualified}" for qualified in qualified_names), failure])


def _unescape_note(note: str) -> str:
    return re.sub(r"\\[nr\\]", lambda m: _ESCAPES[m.group(0)], note.strip())


def _sha1_object(kind: str, info: str) -> str:
    data = info.encode("utf-8")
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


@dataclass(frozen=True)
class Depend:
    conflicts: bool
    project: str | None
    change: str | None
    tag: str | None
    id: str | None

    @property
    def key_name(self) -> str:
        key = (self.change or "") + (f"@{self.tag}" if self.tag else "")
        return key or (self.id or "")

    def as_string(self, plan_project: str) -> str:
        if self.project and self.project != plan_project:
            return f"{self.project}:{self.key_name}"
        return self.key_name

    def is_external(self, plan_project: str) -> bool:
        return self.project is not None and self.project != plan_project


@dataclass
class Tag:
    name: str
    note: str
    planned_at: datetime
    planner_name: str
    planner_email: str
    change: Change
    id: str = ""

    @property
    def format_name(self) -> str:
        return f"@{self.name}"


@dataclass
class Change:
    name: str
    note: str
    planned_at: datetime
    planner_name: str
    planner_email: str
    requires: list[Depend]
    conflicts: list[Depend]
    parent: Change | None
    tags: list[Tag] = field(default_factory=list)
    rework_tags: list[Tag] = field(default_factory=list)
    id: str = ""

    @property
    def format_name_with_tags(self) -> str:
        return " ".join([self.name, *(t.format_name for t in self.tags)])

    @property
    def tag_qualified_name(self) -> str:
        """``name@tag`` by its first tag, else the first tag of its rework, else ``name@HEAD`` (sqitch's)."""
        tag = next(iter(self.tags or self.rework_tags), None)
        return self.name + (tag.format_name if tag else "@HEAD")


def _timestamp(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _raw(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Plan:
    path: Path
    project: str
    uri: str | None
    changes: list[Change]
    top_dir: Path

    # -- lookups (App::Sqitch::Plan::ChangeList) ---------------------------------------------------
    @cached_property
    def _lookup(self) -> dict[str, list[int]]:
        """Every index of a change name; the one index of a change id, ``@tag``, tag id, ``HEAD`` and
        ``@HEAD`` (the last change), ``ROOT`` and ``@ROOT`` (the first)."""
        lookup: dict[str, list[int]] = {}
        for index, change in enumerate(self.changes):
            lookup.setdefault(change.name, []).append(index)
            lookup[change.id] = [index]
            for tag in change.tags:
                lookup[tag.format_name] = lookup[tag.id] = [index]
        if self.changes:
            last = len(self.changes) - 1
            lookup |= {"HEAD": [last], "@HEAD": [last], "ROOT": [0], "@ROOT": [0]}
        return lookup

    def _shifted(self, index: int | None, offset: int) -> int | None:
        if index is None or not 0 <= index + offset < len(self.changes):
            return None
        return index + offset

    def index_of(self, spec: str) -> int | None:
        """Index of the change ``spec`` names, as sqitch's index_of reads it: a change name (refused when
        reworked: which instance?), ``@tag``, ``name@tag`` (the instance as of the tag), a change or tag id,
        ``HEAD`` or ``ROOT``; any of them followed by an offset (``^``, ``~2``, ...)."""
        key, offset = split_offset(spec)
        name, at, tag = key.partition("@")
        if not name:
            return self._shifted(self._lookup.get(f"@{tag}", [None])[0], offset)
        indexes = self._lookup.get(name)
        if indexes is None:
            return None
        if at:
            tag_indexes = self._lookup.get(f"@{tag}")
            if tag_indexes is None:
                raise PlanError(f'Unknown tag "@{tag}"')
            return self._shifted(next((i for i in reversed(indexes) if i <= tag_indexes[0]), None), offset)
        if len(indexes) > 1:
            qualified = [self.changes[i].tag_qualified_name for i in reversed(indexes)]
            raise PlanError(ambiguity(key, qualified, "Change lookup failed"))
        return self._shifted(indexes[0], offset)

    def first_index_of(self, spec: str) -> int | None:
        """Like ``index_of`` for a spec without ``@``, but a reworked change's first instance."""
        key, offset = split_offset(spec)
        indexes = self._lookup.get(key)
        return self._shifted(indexes[0] if indexes else None, offset)

    def find(self, spec: str) -> Change | None:
        """The change ``spec`` names as sqitch's find reads it: a bare name is its first instance."""
        index = self.index_of(spec) if "@" in spec else self.first_index_of(spec)
        return None if index is None else self.changes[index]

    # -- files -----------------------------------------------------------------------------------
    def script(self, change: Change, kind: str) -> Path:
        """deploy/revert/verify file; a reworked older instance uses ``name@tag.sql``."""
        directory = self.top_dir / kind
        if not change.rework_tags:
            return directory / f"{change.name}.sql"
        candidates = [directory / f"{change.name}{t.format_name}.sql" for t in change.rework_tags]
        return next((p for p in candidates if p.exists()), candidates[0])

    def script_hash(self, change: Change) -> str | None:
        path = self.script(change, "deploy")
        return hashlib.sha1(path.read_bytes()).hexdigest() if path.is_file() else None

    def info(self, change: Change) -> str:
        lines = [f"project {self.project}"]
        if self.uri:
            lines.append(f"uri {self.uri}")
        lines.append(f"change {change.name}")
        if change.parent:
            lines.append(f"parent {change.parent.id}")
        lines.append(f"planner {change.planner_name} <{change.planner_email}>")
        lines.append(f"date {_raw(change.planned_at)}")
        if change.requires:
            lines.append("requires\n  + " + "\n  + ".join(d.as_string(self.project) for d in change.requires))
        if change.conflicts:
            lines.append(
                "conflicts\n  - " + "\n  - ".join(d.as_string(self.project) for d in change.conflicts)
            )
        if change.note:
            lines += ["", change.note]
        return "\n".join(lines)

    def tag_info(self, tag: Tag) -> str:
        lines = [f"project {self.project}"]
        if self.uri:
            lines.append(f"uri {self.uri}")
        lines += [
            f"tag {tag.format_name}",
            f"change {tag.change.id}",
            f"planner {tag.planner_name} <{tag.planner_email}>",
            f"date {_raw(tag.planned_at)}",
        ]
        if tag.note:
            lines += ["", tag.note]
        return "\n".join(lines)


def load_plan(path: Path | str, top_dir: Path | str | None = None) -> Plan:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise PlanError(f"Cannot read plan file {path}: {exc.strerror}") from exc
    return parse_plan(text, path, Path(top_dir) if top_dir else path.parent)


class _Lines:
    """A plan's lines, and its syntax errors as sqitch words them."""

    def __init__(self, text: str, path: Path):
        self.path = path
        self.lines = [line.rstrip("\r") for line in text.split("\n")]
        if self.lines and self.lines[-1] == "":
            self.lines.pop()

    def error(self, lineno: int, message: str) -> PlanError:
        return PlanError(f"Syntax error in {self.path} at line {lineno}: {message}")

    def header(self) -> tuple[dict[str, str], int]:
        """The pragmas, and the number of the blank line that ends them (the last line when none does)."""
        pragmas: dict[str, str] = {}
        for lineno, line in enumerate(self.lines, 1):
            if _BLANK_RE.match(line):
                if not line.strip():
                    return pragmas, lineno
                continue
            m = _PRAGMA_RE.match(_NOTE_RE.sub("", line, count=1))
            if not m:
                raise self.error(lineno, "Invalid pragma; a blank line must come between pragmas and changes")
            pragmas[m["name"]] = m["value"] if m["value"] is not None else "1"
        return pragmas, len(self.lines)

    def entry(self, lineno: int, line: str) -> tuple[re.Match, str]:
        """A change's or tag's line, checked as sqitch checks it, and its note."""
        note_match = _NOTE_RE.search(line)
        note = _unescape_note(note_match["note"] or "") if note_match else ""
        body = line[: note_match.start()] if note_match else line
        m = _LINE_RE.match(body)
        if not m or not m["name"] or (not m["ts"] and re.search(_TS_RE, body)):
            raise self.error(
                lineno,
                'Invalid name; names must not begin with punctuation, contain "@", ":", "#", "\\", '
                "or blanks, or end in punctuation or digits following punctuation",
            )
        if not m["ts"] and not m["planner_name"]:
            raise self.error(lineno, "Missing timestamp and planner name and email")
        if not m["ts"]:
            raise self.error(lineno, "Missing timestamp")
        if not m["planner_name"]:
            raise self.error(lineno, "Missing planner name and email")
        name = m["name"]
        if name in ("HEAD", "ROOT"):
            raise self.error(lineno, f'"{"@" if m["tag"] else ""}{name}" is a reserved name')
        if re.match(r"^[0-9a-f]{40}", name):
            raise self.error(lineno, f'"{name}" is invalid because it could be confused with a SHA1 ID')
        return m, note

    def dependencies(self, lineno: int, deps: str | None) -> tuple[list[Depend], list[Depend]]:
        """A change's required and conflicting changes."""
        requires, conflicts, seen = [], [], set()
        for spec in (deps or "").split():
            d = _DEPEND_RE.match(spec)
            if not d:
                raise self.error(lineno, f'"{spec}" is not a valid dependency specification')
            if spec in seen:
                raise self.error(lineno, f'Duplicate dependency "{spec}"')
            seen.add(spec)
            dep = Depend(bool(d["conflict"]), d["project"], d["change"], d["ctag"] or d["tag"], d["id"])
            (conflicts if dep.conflicts else requires).append(dep)
        return requires, conflicts


# sqitch hashes a change's %uri in its URI module's canonical form, teams-obs as written: the two agree on a
# %uri already in that form. The form is computed here for http(s) URIs of plain ASCII characters, the only
# ones taken; a %uri in another form is refused, naming the one to write.
_URI_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]+")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _sqitch_uri(uri: str) -> str | None:
    """``uri`` as sqitch hashes it (lowercase scheme and host, no default port, "/" for an empty path), or
    None for a URI whose form teams-obs does not compute."""
    scheme, _, rest = uri.partition(":")
    if scheme.lower() not in _DEFAULT_PORTS or not rest.startswith("//") or not _URI_CHARACTERS.fullmatch(uri):
        return None
    authority = re.match(r"[^/?#]*", rest[2:])[0]
    remainder = rest[2 + len(authority):]
    userinfo, at, host_port = authority.rpartition("@")
    host, colon, port = host_port.rpartition(":") if re.search(r":[0-9]*\Z", host_port) else (host_port, "", "")
    if port == "" or int(port) == int(_DEFAULT_PORTS[scheme.lower()]):  # compared as numbers, as URI.pm does
        colon = port = ""
    if not remainder.startswith(("/", "?")):
        remainder = "/" + remainder
    return f"{scheme.lower()}://{userinfo}{at}{host.lower()}{colon}{port}{remainder}"


def parse_plan(text: str, path: Path, top_dir: Path) -> Plan:
    lines = _Lines(text, path)
    pragmas, header_end = lines.header()
    project = pragmas.get("project")
    if not project:
        raise PlanError(f"Missing %project pragma in {path}")
    if not re.fullmatch(NAME_RE, project):
        raise lines.error(1, f'invalid project name "{project}"')
    if (uri := pragmas.get("uri")) is not None and _sqitch_uri(uri) != uri:
        canonical = _sqitch_uri(uri)
        raise PlanError(f"%uri {uri} in {path}: " + (
            f"sqitch hashes it as {canonical}, which is what to write" if canonical else
            "teams-obs takes an http:// or https:// URI of unescaped ASCII characters (it hashes the URI as "
            "written, sqitch in its URI module's canonical form, which teams-obs computes for those alone)"))

    changes: list[Change] = []
    by_name: dict[str, Change] = {}
    since_tag: dict[str, int] = {}
    tag_lines: dict[str, int] = {}
    for lineno, line in enumerate(lines.lines[header_end:], header_end + 1):
        if _BLANK_RE.match(line):
            continue
        m, note = lines.entry(lineno, line)
        name = m["name"]
        planned_at, planner = _timestamp(m["ts"]), (m["planner_name"], m["planner_email"])
        if m["tag"]:
            if "/" in name:
                raise lines.error(lineno, f'Tag "{name}" contains illegal character /')
            if not changes:
                raise lines.error(lineno, f'Tag "{name}" declared without a preceding change')
            if name in tag_lines:
                raise lines.error(lineno, f'Tag "{name}" duplicates earlier declaration on line {tag_lines[name]}')
            tag_lines[name] = lineno
            if m["deps"]:
                raise lines.error(lineno, "Tags may not specify dependencies")
            changes[-1].tags.append(Tag(name, note, planned_at, *planner, change=changes[-1]))
            since_tag.clear()
            continue
        if name in since_tag:
            raise lines.error(lineno, f'Change "{name}" duplicates earlier declaration on line {since_tag[name]}')
        change = Change(name, note, planned_at, *planner, *lines.dependencies(lineno, m["deps"]),
                        changes[-1] if changes else None)
        if name in by_name:  # a rework: the older instance's files carry a tag suffix
            older = by_name[name]
            later = changes[changes.index(older) + 1:]
            older.rework_tags = [t for c in reversed(later) for t in c.tags] + older.tags
        since_tag[name] = lineno
        by_name[name] = change
        changes.append(change)

    plan = Plan(path, project, pragmas.get("uri"), changes, top_dir)
    for change in changes:
        change.id = _sha1_object("change", plan.info(change))
        for tag in change.tags:
            tag.id = _sha1_object("tag", plan.tag_info(tag))
    _check_dependencies(plan)  # after the ids: its lookups index them
    return plan


def _check_dependencies(plan: Plan) -> None:
    """Each change must require only changes planned before it: sqitch's check, with its messages, every
    error at once. Conflicts are not checked here: as sqitch, a deploy refuses one naming no change."""
    errors: list[str] = []
    for index, change in enumerate(plan.changes):
        furthest = 0
        for dep in change.requires:
            if dep.is_external(plan.project) or (dep.id and not dep.project):
                continue
            tag = dep.key_name.partition("@")[2]
            if tag:  # the tag must come before the change too
                declared = plan.index_of(f"@{tag}")
                target = None if declared is None else plan.index_of(dep.key_name)
            else:
                declared = target = plan.first_index_of(dep.key_name)
            if target is not None and declared is not None and declared < index:
                continue
            if dep.key_name == change.name:
                errors.append(f'Change "{change.name}" cannot require itself')
            elif target is None or "@" in dep.key_name:
                errors.append(f'Unknown change "{dep.key_name}" required by change "{change.name}"')
            else:
                furthest = max(furthest, target - index)
                errors.append(f'Change "{change.name}" planned {_counted(target - index, "change")} before '
                              f'required change "{dep.key_name}"')
        if furthest:
            errors[-1] += f'\n    HINT: move "{change.name}" down {_counted(furthest, "line")} in {plan.path}'
    if errors:
        heading = "Dependency error detected:" if len(errors) == 1 else "Dependency errors detected:"
        raise PlanError("\n  ".join([heading, *errors]))


def _counted(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
