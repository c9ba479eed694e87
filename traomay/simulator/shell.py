"""The phone's /system/bin/sh (mksh + toybox) for the command lines the toolkit sends.

Supports ``;``, ``&&``, ``||``, ``|``, ``( subshells )``, background jobs (``&``) and
``wait``, single/double quotes, backslash escapes, ``$?`` and a few environment variables,
and the redirections adb clients append (``2>&1``, ``2>/dev/null``, ``</dev/null``,
``> file``). Jobs run one after another here; only the simulated clock (a phone with a
latency model, latency.py) lets background jobs overlap. Commands live in commands.py / dumpsys.py /
installer.py; this module only parses and runs pipelines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from traomay.simulator.phone_api import ShellOutcome

if TYPE_CHECKING:
    from traomay.simulator.phone import Phone

# A command gets (phone, argv, stdin) and returns (stdout, stderr, exit code).
Result = tuple[bytes, bytes, int]
Command = Callable[["Phone", list[str], bytes], Result]

ENV = {"EXTERNAL_STORAGE": "/sdcard", "ANDROID_DATA": "/data", "ANDROID_ROOT": "/system",
       "HOME": "/", "USER": "shell", "HOSTNAME": "localhost", "SHELL": "/system/bin/sh",
       "TMPDIR": "/data/local/tmp", "PATH": "/product/bin:/apex/com.android.runtime/bin:"
       "/system/bin:/system/xbin:/odm/bin:/vendor/bin:/vendor/xbin"}
_VAR = "\x00"  # marks a variable reference inside a word until it is expanded
OPERATORS = (";", "&&", "||", "|")


@dataclass
class Simple:
    words: list[str] = field(default_factory=list)
    stdout_to: str | None = None  # file path, or "/dev/null"
    append: bool = False
    stderr_to_null: bool = False
    stderr_to_stdout: bool = False


@dataclass
class ForLoop:
    var: str
    words: list[str]
    body: list[tuple[str, Any]]


@dataclass
class Group:
    """``( ... )`` and the redirections after it (``> file 2>&1``)."""

    body: list[tuple[str, Any]]
    redirects: list[str] = field(default_factory=list)


@dataclass
class Background:
    """``job &``: in the simulator it runs at once, but its time overlaps what follows
    until ``wait`` (Shell.clock)."""

    node: Any


# A parsed command list: (operator before it, pipeline stages or a ForLoop).
Items = list[tuple[str, Any]]


class ShellSyntaxError(ValueError):
    pass


def lex(line: str) -> list[str | tuple[str]]:
    """Split a command line into words (str) and operators ((op,) tuples)."""
    tokens: list[str | tuple[str]] = []
    word: list[str] = []
    in_word = False
    i, n = 0, len(line)

    def end_word() -> None:
        nonlocal word, in_word
        if in_word:
            tokens.append("".join(word))
        word, in_word = [], False

    while i < n:
        c = line[i]
        if c in " \t":
            end_word()
            i += 1
        elif c == "\n":
            end_word()
            tokens.append((";",))
            i += 1
        elif c == "&" and word and word[-1] == ">" and line[i + 1:i + 2].isdigit():
            word.append(c)  # ">&1" / "2>&1" is a redirection, not a background "&"
            in_word = True
            i += 1
        elif c in ";&|":
            end_word()
            two = line[i:i + 2]
            if two in ("&&", "||"):
                tokens.append((two,))
                i += 2
            else:  # "&": the job before it runs in the background (until ``wait``)
                tokens.append((c,))
                i += 1
        elif (c == "(" and not in_word) or c == ")":
            end_word()  # a subshell: ( cmd; cmd ) > file &
            tokens.append((c,))
            i += 1
        elif c == "'":
            j = line.find("'", i + 1)
            if j < 0:
                raise ShellSyntaxError("unterminated '")
            word.append(line[i + 1:j])
            in_word = True
            i = j + 1
        elif c == '"':
            i += 1
            in_word = True
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n and line[i + 1] in '"\\$`':
                    word.append(line[i + 1])
                    i += 2
                elif line[i] == "$":
                    i = _var(line, i, word)
                else:
                    word.append(line[i])
                    i += 1
            if i >= n:
                raise ShellSyntaxError('unterminated "')
            i += 1
        elif c == "\\":
            if i + 1 < n:
                word.append(line[i + 1])
            in_word = True
            i += 2
        elif c == "$":
            in_word = True
            i = _var(line, i, word)
        else:
            word.append(c)
            in_word = True
            i += 1
    end_word()
    return tokens


def _var(line: str, i: int, word: list[str]) -> int:
    """Record a $? / $NAME / ${NAME} reference at line[i] == '$'; return the next index."""
    rest = line[i + 1:]
    if rest[:1] == "(":  # $(command): find the matching parenthesis, skipping quotes
        depth, k, quote = 0, 0, ""
        while k < len(rest):
            ch = rest[k]
            if quote:
                quote = "" if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        if depth:
            raise ShellSyntaxError("unterminated $(")
        word.append(f"{_VAR}$({rest[1:k]}{_VAR}")
        return i + 2 + k
    if rest[:1] in ("?", "$", "#"):
        word.append(f"{_VAR}{rest[0]}{_VAR}")
        return i + 2
    if rest[:1] == "{" and "}" in rest:
        name = rest[1:rest.index("}")]
        word.append(f"{_VAR}{name}{_VAR}")
        return i + 2 + len(name) + 1
    j = 0
    while j < len(rest) and (rest[j].isalnum() or rest[j] == "_"):
        j += 1
    if j == 0:
        word.append("$")
        return i + 1
    word.append(f"{_VAR}{rest[:j]}{_VAR}")
    return i + 1 + j


def _redirections(words: list[str]) -> Simple:
    cmd = Simple()
    it = iter(range(len(words)))
    for k in it:
        w = words[k]
        if w in ("2>&1", ">&2", "1>&2"):
            cmd.stderr_to_stdout = w == "2>&1"
        elif w.startswith("2>") and len(w) > 2:
            cmd.stderr_to_null = w[2:] == "/dev/null"
        elif w == "2>" and k + 1 < len(words):
            cmd.stderr_to_null = words[k + 1] == "/dev/null"
            next(it, None)
        elif w.startswith("<"):  # stdin redirection: adb appends "</dev/null"
            if w == "<":
                next(it, None)
        elif w in (">", ">>", "1>") and k + 1 < len(words):
            cmd.stdout_to, cmd.append = words[k + 1], w == ">>"
            next(it, None)
        elif w.startswith(">>") or w.startswith(">") or w.startswith("1>"):
            target = w.lstrip("1")
            cmd.append = target.startswith(">>")
            cmd.stdout_to = target.lstrip(">")
        else:
            cmd.words.append(w)
    return cmd


class Shell:
    def __init__(self, phone: Phone) -> None:
        from traomay.simulator.commands import registry

        self.phone = phone
        self.commands: dict[str, Command] = registry()
        self.status = 0
        self.variables: dict[str, str] = {}
        # False: a shell without subshells and jobs ("syntax error: '(' unexpected"), to
        # exercise the toolkit's sequential fallback.
        self.jobs = True
        # Simulated time of the command line being run (latency.py): seconds so far, and
        # when each background job ends.
        self.clock = 0.0
        self._jobs: list[float] = []
        self._depth = 0

    def _expand(self, word: str) -> str:
        if _VAR not in word:
            return word
        pieces = word.split(_VAR)
        out = []
        for idx, piece in enumerate(pieces):
            if idx % 2 == 0:
                out.append(piece)
            elif piece == "?":
                out.append(str(self.status))
            elif piece == "$":
                out.append("4242")
            elif piece == "#":
                out.append("0")
            elif piece.startswith("$("):
                status = self.status
                res = self.run(piece[2:])
                self.status = status if res.exit_code == 0 else res.exit_code
                out.append(res.stdout.decode(errors="replace").rstrip("\n"))
            else:
                out.append(self.variables.get(piece, ENV.get(piece, "")))
        return "".join(out)

    def run(self, line: str, stdin: bytes = b"") -> ShellOutcome:
        top = self._depth == 0  # $(...) and sh -c run nested lines on the same clock
        if top:
            self.clock, self._jobs = 0.0, []
        self._depth += 1
        try:
            try:
                items, _ = self._parse(lex(line), 0, frozenset())
            except ShellSyntaxError as exc:
                self.status = 2
                return ShellOutcome(b"", f"/system/bin/sh: syntax error: {exc}\n".encode(), 2)
            out, err = self._exec(items, stdin)
        finally:
            self._depth -= 1
        seconds = max([self.clock, *self._jobs]) if top else 0.0
        return ShellOutcome(out, err, self.status, seconds)

    def _parse(self, tokens: list[str | tuple[str]], i: int,
               stop: frozenset[str]) -> tuple[Items, int]:
        """Group tokens into pipelines joined by ; && || & (for-loops, ( subshells )) until
        a stop word."""
        items: Items = []
        op, stages = ";", [[]]
        node: Any = None  # a ForLoop or Group waiting for the operator after it
        while i < len(tokens):
            tok = tokens[i]
            at_start = node is None and stages == [[]]
            if isinstance(tok, str):
                if at_start and tok in stop:
                    break
                if at_start and tok == "for":
                    node, i = self._parse_for(tokens, i)
                    continue
                if isinstance(node, ForLoop):  # for ...; done </dev/null 2>&1
                    node = Group([(";", node)])
                if isinstance(node, Group):
                    node.redirects.append(tok)
                else:
                    stages[-1].append(tok)
            elif tok == ("(",) and not self.jobs:
                raise ShellSyntaxError("'(' unexpected")
            elif tok == ("(",) and at_start:
                body, i = self._parse(tokens, i + 1, stop | {")"})
                if i >= len(tokens) or tokens[i] != (")",):
                    raise ShellSyntaxError("expected ')'")
                node = Group(body)
            elif tok == (")",):
                if ")" in stop:
                    break
                stages[-1].append(")")  # a stray ')': kept as a word (lenient)
            elif tok[0] == "|":
                stages.append([])
            else:
                current = node if node is not None else (None if at_start else stages)
                if current is not None:
                    if tok[0] == "&":
                        items.append((op, Background(current)))
                        op = ";"
                    else:
                        items.append((op, current))
                        op = tok[0]
                elif tok[0] != "&":
                    op = tok[0]
                node, stages = None, [[]]
            i += 1
        if node is not None:
            items.append((op, node))
        elif stages != [[]]:
            items.append((op, stages))
        return items, i

    def _parse_for(self, tokens: list[str | tuple[str]], i: int) -> tuple[ForLoop, int]:
        """``for VAR in WORDS; do BODY; done`` starting at tokens[i] == "for"."""
        if i + 2 >= len(tokens) or not isinstance(tokens[i + 1], str) or tokens[i + 2] != "in":
            raise ShellSyntaxError("for: expected 'for NAME in ...'")
        var, j, words = str(tokens[i + 1]), i + 3, []
        while j < len(tokens) and isinstance(tokens[j], str) and tokens[j] != "do":
            words.append(str(tokens[j]))
            j += 1
        while j < len(tokens) and tokens[j] == (";",):
            j += 1
        if j >= len(tokens) or tokens[j] != "do":
            raise ShellSyntaxError("for: expected 'do'")
        body, j = self._parse(tokens, j + 1, frozenset({"done"}))
        if j >= len(tokens) or tokens[j] != "done":
            raise ShellSyntaxError("for: expected 'done'")
        return ForLoop(var, words, body), j + 1

    def _exec(self, items: Items, stdin: bytes) -> tuple[bytes, bytes]:
        out, err = bytearray(), bytearray()
        for op, node in items:
            if (op == "&&" and self.status != 0) or (op == "||" and self.status == 0):
                continue
            o, e = self._node(node, stdin)
            out += o
            err += e
            stdin = b""  # only the first command sees the stream
        return bytes(out), bytes(err)

    def _node(self, node: Any, stdin: bytes) -> tuple[bytes, bytes]:
        if isinstance(node, Background):
            # Runs now (the simulator is one thread), but on its own clock: what follows
            # starts when the job started, and ``wait`` waits for the job's end.
            started = self.clock
            o, e = self._node(node.node, b"")
            self._jobs.append(self.clock)
            self.clock = started
            self.status = 0  # "$?" after "job &" is 0
            return o, e
        if isinstance(node, ForLoop):
            out, err = bytearray(), bytearray()
            for word in [self._expand(w) for w in node.words]:
                self.variables[node.var] = word
                o, e = self._exec(node.body, b"")
                out += o
                err += e
            return bytes(out), bytes(err)
        if isinstance(node, Group):
            o, e = self._exec(node.body, stdin)
            return self._redirect(_redirections([self._expand(w) for w in node.redirects]),
                                  o, e)
        return self._pipeline(node, stdin)

    def _redirect(self, cmd: Simple, o: bytes, e: bytes) -> tuple[bytes, bytes]:
        if cmd.stderr_to_stdout:
            o, e = o + e, b""
        if cmd.stderr_to_null:
            e = b""
        if cmd.stdout_to:
            if cmd.stdout_to != "/dev/null":
                old = self.phone.read_file(cmd.stdout_to) or b"" if cmd.append else b""
                self.phone.write_file(cmd.stdout_to, old + o, 0o100666)
            o = b""
        return o, e

    def _pipeline(self, stages: list[list[str]], stdin: bytes) -> tuple[bytes, bytes]:
        err = bytearray()
        data = stdin
        for stage in stages:
            cmd = _redirections([self._expand(w) for w in stage])
            o, e, code = self._simple(cmd.words, data)
            o, e = self._redirect(cmd, o, e)
            err += e
            data = o
            self.status = code
        return data, bytes(err)

    def _simple(self, words: list[str], stdin: bytes) -> Result:
        if not words:
            return b"", b"", self.status
        if words[0] == "exec" and len(words) > 1:
            words = words[1:]
        if words[0] == "wait":  # a builtin: the clock moves to the end of every job
            self.clock = max([self.clock, *self._jobs])
            self._jobs = []
            return b"", b"", 0
        latency = getattr(self.phone, "latency", None)
        if latency is not None:
            self.clock += latency(words, len(stdin), self.phone)
        name = words[0]
        if "/" in name:  # /system/bin/getprop -> getprop
            name = name.rsplit("/", 1)[-1]
        fn = self.commands.get(name)
        if fn is None:
            return b"", f"/system/bin/sh: {words[0]}: inaccessible or not found\n".encode(), 127
        try:
            return fn(self.phone, words[1:], stdin)
        except Exception as exc:  # a simulator bug must look like a crashing tool, not kill
            return b"", f"{name}: internal error: {exc!r}\n".encode(), 1
