"""sqitch.conf as sqitch 1.3 reads it (App::Sqitch::Config, a Config::GitLike): the system, user and local
files, a later file's value replacing an earlier one's, in git-config's syntax; and the settings that would
make sqitch deploy other scripts, or into another place, than teams-obs does, refused by name."""

from __future__ import annotations

import os
import re
from pathlib import Path

from teams_obs.sqitch.registry import SCHEMA, EngineError

# Config::GitLike's grammar (its non-"compatible" mode, the one sqitch uses).
_BLANK = re.compile(r"\s*")
_COMMENT = re.compile(r"[#;].*?$", re.M)
_SECTION = re.compile(r'\[([^\s\[\]"]+)(?:[\t ]*"([^\n]*?)")?\]', re.M)
_BARE_KEY = re.compile(r"([^\[=\n][^=\n]*?)[\t ]*(?:[#;].*)?$", re.M)
_KEY = re.compile(r"([^\[=\n][^=\n]*?)[\t ]*=[\t ]*", re.M)
_VALUE_END = re.compile(r"([ \t]*[#;].*?)?$", re.M)
_QUOTED = re.compile(r'"([^"\\]*(?:(?:\\\n|\\[tbn"\\])[^"\\]*)*)"', re.M)
_ESCAPES = {"\\\n": "", "\\n": "\n", "\\t": "\t", "\\b": "\b", '\\"': '"', "\\'": "'", "\\\\": "\\"}
_VALUE_TOKENS = [
    (re.compile(r"[\t ]+"), lambda _m: " "),  # a run of blanks between words is one space
    (re.compile(r"\\\r?\n|\\\\|\\['\"]|\\[ntb]"), lambda m: _ESCAPES[m[0].replace("\r", "")]),
    # Config::GitLike's substitutions, one after the other (it leaves \" within quotes as it is)
    (_QUOTED, lambda m: m[1].replace("\\\n", "").replace("\\n", "\n").replace("\\t", "\t")
     .replace("\\b", "\b").replace("\\\\", "\\")),
    (re.compile(r'[^\t \\\n"]+'), lambda m: m[0]),
]
_TRUE = re.compile(r"(?:true|yes|on|-?0*1)", re.I)
_FALSE = re.compile(r"(?:false|no|off|0*)", re.I)
_MAX_INCLUDE_DEPTH = 10
# Far beyond any sqitch.conf; the parser's time grows faster than the file.
_MAX_FILE_BYTES = 1024 * 1024

# The engine key of every URI scheme sqitch (URI::db) reads as PostgreSQL.
PG_SCHEMES = ("pg", "pgsql", "pgxc", "postgres", "postgresql", "postgresxc")


def _parse(text: str, path: Path) -> list[tuple[str, str | None]]:
    """(key, value) in file order; a key is ``section[.subsection].name`` with the section and name in lower
    case; a key without ``=`` has the value None (true)."""
    text = re.sub(r"\n*\Z", "\n", text.replace("\r\n", "\n") if "\n" in text else text.replace("\r", "\n"))
    rest, section, found = text, None, []
    while True:
        rest = rest[_BLANK.match(rest).end():]
        offset = len(text) - len(rest)
        if not rest:
            return found
        if m := _COMMENT.match(rest):
            rest = rest[m.end():]
        elif m := _SECTION.match(rest):
            section = m[1].lower()
            if m[2]:
                if re.search(r'\\|"', m[2].replace("\\\\", "").replace('\\"', "")):
                    raise _bad_line(path, text, offset)
                section += "." + m[2].replace("\\\\", "\\").replace('\\"', '"')
            rest = rest[m.end():]
        elif (m := _BARE_KEY.match(rest) or _KEY.match(rest)) and section is not None:
            rest = rest[m.end():]
            value = None
            if m.re is _KEY:
                value, rest = _value(rest, path, text, offset)
            found.append((f"{section}.{m[1].lower()}", value))
        else:
            raise _bad_line(path, text, offset)


def _value(rest: str, path: Path, text: str, offset: int) -> tuple[str, str]:
    value = ""
    while not (end := _VALUE_END.match(rest)):
        for token, read in _VALUE_TOKENS:
            if m := token.match(rest):
                value += read(m)
                rest = rest[m.end():]
                break
        else:
            raise _bad_line(path, text, offset)
    return value, rest[end.end():]


def _bad_line(path: Path, text: str, offset: int) -> EngineError:
    # The line itself is not quoted: include.path may name any file (/proc/self/environ, a key file), and
    # a deploy job's log must not receive its contents.
    return EngineError(f"Error parsing {path} at line {text[:offset].count(chr(10)) + 1}: not a sqitch.conf line")


def config_files(top_dir: Path) -> list[Path]:
    """sqitch's system, user and local files, in the order read; the local one is in the project's directory
    (sqitch's working directory)."""
    return [Path(os.environ.get("SQITCH_SYSTEM_CONFIG") or "/etc/sqitch/sqitch.conf"),
            Path(os.environ.get("SQITCH_USER_CONFIG") or Path.home() / ".sqitch" / "sqitch.conf"),
            Path(os.environ.get("SQITCH_CONFIG") or top_dir / "sqitch.conf")]


class SqitchConfig:
    def __init__(self, top_dir: Path):
        self.top_dir = top_dir
        self.values: dict[str, list[str | None]] = {}
        self._origin: dict[str, Path] = {}
        loaded: set[Path] = set()
        for path in config_files(top_dir):
            path = path.expanduser().resolve()
            if path not in loaded:
                loaded.add(path)
                self._load(path, 0)

    def _load(self, path: Path, depth: int) -> None:
        if not path.is_file():
            return
        with path.open("rb") as file:
            raw = file.read(_MAX_FILE_BYTES + 1)
        if len(raw) > _MAX_FILE_BYTES:
            raise EngineError(f"{path}: larger than {_MAX_FILE_BYTES // 1024} kB, not a sqitch.conf")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EngineError(f"{path}: not UTF-8 (byte {exc.start}), not a sqitch.conf") from exc
        for key, value in _parse(text, path):
            if self._origin.get(key, path) == path:  # a key twice in one file has two values
                self.values.setdefault(key, []).append(value)
            else:  # a later file's value replaces an earlier file's
                self.values[key] = [value]
            self._origin[key] = path
            if key == "include.path" and value:
                if depth > _MAX_INCLUDE_DEPTH:  # Config::GitLike's test
                    raise EngineError(f"Exceeded maximum include depth ({_MAX_INCLUDE_DEPTH}) "
                                      f"while including {value} from {path}")
                self._load(path.parent / Path(value).expanduser(), depth + 1)

    def get(self, key: str) -> str | None:
        values = self.values.get(_canonical(key), [])
        if len(values) > 1:
            raise EngineError(f'More than one value for the key "{key}"')
        return values[0] if values else None

    def get_bool(self, key: str) -> bool | None:
        if _canonical(key) not in self.values:
            return None
        value = self.get(key)
        if value is None or _TRUE.fullmatch(value):  # a key without a value is true
            return True
        if _FALSE.fullmatch(value):
            return False
        raise EngineError(f"Invalid bool '{value}' for {key} in sqitch.conf")

    def section(self, section: str) -> list[str]:
        """The keys set directly in ``section`` (not in its subsections)."""
        return [key for key in self.values if key.startswith(f"{section}.") and "." not in key[len(section) + 1:]]

    def origin(self, key: str) -> Path:
        """The file that set ``key``, for a message that names where to change it."""
        return self._origin[_canonical(key)]

    def _fetch(self, name: str) -> tuple[str, str] | None:
        """sqitch's Target::_fetch for a pg target given by URI: engine.pg, then core; the first set."""
        for key in (f"engine.pg.{name}", f"core.{name}"):
            if value := self.get(key):
                return key, value
        return None

    def refuse_unsupported(self) -> None:
        """Refuses, naming it, a setting with which sqitch would run other scripts (another plan, other
        directories, psql variables) or write another registry."""
        engine = self.get("core.engine")
        if engine and engine.strip() != "pg":
            raise EngineError(f"{self.origin('core.engine')} sets core.engine = {engine}: teams-obs deploys to "
                              "PostgreSQL (pg) only")
        if (found := self._fetch("registry")) and found[1] != SCHEMA:
            raise EngineError(f"{self.origin(found[0])} sets {found[0]} = {found[1]}: teams-obs reads and writes "
                              f'the registry in schema "{SCHEMA}" only')
        if (found := self._fetch("extension")) and found[1] != "sql":
            raise self._not_default(found, "sql")
        defaults = {"top_dir": ".", "plan_file": "sqitch.plan", "reworked_dir": "."}
        for kind in ("deploy", "revert", "verify"):
            defaults |= {f"{kind}_dir": kind, f"reworked_{kind}_dir": kind}
        for name, default in defaults.items():
            found = self._fetch(name)
            # sqitch reads them from its working directory, which is the project's for teams-obs
            if found and (self.top_dir / found[1]).resolve() != (self.top_dir / default).resolve():
                raise self._not_default(found, default)
        # Variables the project's own file sets are its scripts'; those of the user's or the system's file are
        # other projects', which this plan's scripts never name (sqitch hands them to psql to no effect).
        local = config_files(self.top_dir)[-1].expanduser().resolve()
        for section in ("core.variables", "engine.pg.variables", "deploy.variables", "revert.variables",
                        "verify.variables"):
            if keys := [key for key in self.section(section) if self.origin(key) == local]:
                raise EngineError(f"{self.origin(keys[0])} sets {keys[0]}: psql variables are not supported by "
                                  "teams-obs (its scripts are run without psql)")

    def _not_default(self, found: tuple[str, str], default: str) -> EngineError:
        return EngineError(f"{self.origin(found[0])} sets {found[0]} = {found[1]}: teams-obs reads the project as "
                           f"sqitch lays it out by default ({found[0].rpartition('.')[2]} = {default})")

    def target_uri(self, name: str) -> str:
        """The URI of the target that sqitch.conf names ``name`` (``[target "name"] uri = ...``). A target that is
        not there, or that also sets what would make sqitch deploy otherwise (a registry, a plan, directories,
        variables), is refused naming it; its ``client`` (a psql that teams-obs does not run) is ignored."""
        uri = self.get(f"target.{name}.uri")
        if not uri:
            raise EngineError(f'"{name}" names no target of sqitch.conf (no target.{name}.uri in '
                              f"{', '.join(str(path) for path in config_files(self.top_dir))}); pass a URL or a "
                              "sqitch target URI (db:pg:...)")
        read = {_canonical(f"target.{name}.{key}") for key in ("uri", "client")}
        # the target's own keys and its subsections' (variables): not those of a target "<name>.<more>"
        own = [key for key in self.values
               if key.startswith(f"target.{name}.") and (key.count(".") == 2 + name.count(".")
                                                          or key.startswith(f"target.{name}.variables."))]
        if other := next((key for key in own if key not in read), None):
            raise EngineError(f"{self.origin(other)} sets {other}: teams-obs reads a named target's uri only")
        return uri

    def default_target(self) -> str | None:
        """Where the database sqitch works on when no target is given is named (its environment first), or
        None."""
        if os.environ.get("SQITCH_TARGET"):
            return "the environment sets SQITCH_TARGET"
        key = next((key for key in ("core.target", "engine.pg.target") if self.get(key)), None)
        return f"{self.origin(key)} sets {key}" if key else None


def _canonical(key: str) -> str:
    """Section and name in lower case, the subsection as written."""
    section, _, name = key.rpartition(".")
    head, dot, subsection = section.partition(".")
    return f"{head.lower()}{dot}{subsection}.{name.lower()}"
