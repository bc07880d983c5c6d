"""Where a shell quote, substitution or here-document ends, read the way bash reads them.

`dockercli.split_commands` splits shell text into words; a quote or substitution there may hold
other quotes and substitutions (`A=$(echo "$A" | tr -d "'\\"")`, `"$(cat <<'EOF' ... EOF)"`), which
only a reader that nests them the way bash does can tell apart from the end of the construct. One
wrong end would make the rest of a script one long word and hide every build after it, so the
reader here follows the nesting of `'...'`, `$'...'`, `"..."`, backticks, `$(...)` (with comments,
`case` patterns and here-documents), `$((...))` and `${...}`, and says when a construct does not
close at all, so that the caller can recover at the end of the line instead.

Nothing is expanded or executed. Every function is linear in the text it is allowed to look at
(`limit`), and the stack of open constructs is a list, so deep nesting costs no recursion.
"""

from __future__ import annotations

import posixpath

from archmatch import lazyre

# Kinds of open constructs.
_SINGLE, _ANSI, _DOUBLE, _BACKTICK, _COMMAND, _ARITH, _BRACE = range(7)
_WORD_BREAKS = " \t\n;&|()<>"
# The next character that can matter inside each kind of construct (others are skipped at once).
_NEXT = {
    _ANSI: lazyre.compile(r"[\\']"),
    _DOUBLE: lazyre.compile(r'[\\"`$]'),
    _BACKTICK: lazyre.compile(r"[\\`]"),
    _COMMAND: lazyre.compile(r"[\\'\"`$()#\n<ce]"),
    _ARITH: lazyre.compile(r"[\\'\"`$()]"),
    _BRACE: lazyre.compile(r"[\\'\"`${}]"),
}
# Programs that read a here-document as shell commands: its body is read as commands too.
SHELLS = frozenset(["sh", "bash", "zsh", "ksh", "dash", "ash", "ssh"])


class _Frame:
    """One open construct: its kind, where its content starts, parentheses and `case` depth, and
    the here-documents whose bodies start at the next newline (inside `$(...)` only)."""

    __slots__ = ("kind", "start", "depth", "cases", "heredocs", "in_double")

    def __init__(self, kind: int, start: int, in_double: bool) -> None:
        self.kind = kind
        self.start = start
        self.depth = 2 if kind == _ARITH else 0
        self.cases = 0
        self.heredocs: list[tuple[str, bool]] = []
        self.in_double = in_double


def opener(text: str, i: int, in_double: bool = False) -> tuple[int, int] | None:
    """(kind, length) of the quote or substitution that opens at i, or None. Inside double quotes
    a single quote is a plain character and `$'`/`$"` are a `$` and a character."""
    ch = text[i]
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if ch == '"':
        return _DOUBLE, 1
    if ch == "`":
        return _BACKTICK, 1
    if ch == "$" and nxt == "{":
        return _BRACE, 2
    if ch == "$" and nxt == "(":
        return (_ARITH, 3) if text.startswith("((", i + 1) else (_COMMAND, 2)
    if in_double:
        return None
    if ch == "'":
        return _SINGLE, 1
    if ch == "$" and nxt == "'":
        return _ANSI, 2
    if ch == "$" and nxt == '"':
        return _DOUBLE, 2
    return None


_SIMPLE_PARAMETER = lazyre.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])")
# an expansion that gives a list of words even when quoted: `"$@"`, `"${args[@]}"`, `${@:2}`
_WORD_LIST = lazyre.compile(r"^\$(?:[@*]|\{[@*]|\{[A-Za-z_][A-Za-z0-9_]*\[[@*]\])")


def whole_expansion(word: str) -> bool:
    """Whether a word (quotes removed) is one parameter expansion or command substitution and nothing
    else: `$X`, `${X}`, `${X:-y}`, `${args[@]}`, `$@`, `$(cmd)`, a backquoted command, `${{ x }}`.
    What it holds is decided only when the script runs (an arithmetic `$((...))` is a number)."""
    if not word or word[0] not in "$`":
        return False
    if _SIMPLE_PARAMETER.fullmatch(word):
        return True
    first = opener(word, 0)
    if first is None or first[0] not in (_BRACE, _COMMAND, _BACKTICK):
        return False
    return construct_end(word, 0, len(word)) == len(word)


def word_list(word: str) -> bool:
    """Whether an expansion gives a list of words even when quoted (`"$@"`, `"${args[@]}"`)."""
    return bool(_WORD_LIST.match(word))


def construct_end(text: str, i: int, limit: int, in_double: bool = False) -> int | None:
    """End (exclusive) of the construct that opens at i (see `opener`), or None when it does not
    close before `limit`."""
    first = opener(text, i, in_double)
    if first is None:
        return None
    kind, length = first
    stack = [_Frame(kind, i + length, in_double)]
    j = i + length
    heredoc_budget = 2 * (limit - i) + 100_000  # characters spent looking for bodies that never end
    while j < limit:
        frame = stack[-1]
        if frame.kind == _SINGLE:
            end = text.find("'", j, limit)
            if end < 0:
                return None
            stack.pop()
            j = end + 1
        else:
            found = _NEXT[frame.kind].search(text, j, limit)
            if found is None:
                return None
            j, heredoc_budget = _step(text, found.start(), limit, stack, heredoc_budget)
        if not stack:
            return j
    return None


def _step(text: str, j: int, limit: int, stack: list[_Frame], heredoc_budget: int) -> tuple[int, int]:
    """One character that matters, at j, inside the innermost open construct (not a single quote)."""
    frame = stack[-1]
    if text[j] == "\\":
        return j + 2, heredoc_budget
    if frame.kind in (_ANSI, _BACKTICK, _DOUBLE):
        return _quoted_step(text, j, stack, frame), heredoc_budget
    return _code_step(text, j, limit, stack, frame, heredoc_budget)


def _quoted_step(text: str, j: int, stack: list[_Frame], frame: _Frame) -> int:
    ch = text[j]
    closer = {_ANSI: "'", _BACKTICK: "`", _DOUBLE: '"'}[frame.kind]
    if ch == closer:
        stack.pop()
        return j + 1
    if frame.kind == _DOUBLE:
        inner = opener(text, j, in_double=True)
        if inner is not None:
            stack.append(_Frame(inner[0], j + inner[1], True))
            return j + inner[1]
    return j + 1


def _code_step(
    text: str, j: int, limit: int, stack: list[_Frame], frame: _Frame, heredoc_budget: int
) -> tuple[int, int]:
    """One step inside `$(...)`, `$((...))` or `${...}`: the next index and the budget left."""
    ch = text[j]
    inner = opener(text, j, in_double=frame.in_double and frame.kind == _BRACE)
    if inner is not None:
        stack.append(_Frame(inner[0], j + inner[1], frame.in_double and frame.kind == _BRACE))
        return j + inner[1], heredoc_budget
    if frame.kind == _BRACE:
        return _brace_step(ch, j, stack, frame), heredoc_budget
    if frame.kind == _ARITH:
        return _arith_step(ch, j, stack, frame), heredoc_budget
    at_word_start = j == frame.start or text[j - 1] in _WORD_BREAKS
    if ch == "#" and at_word_start:
        end = text.find("\n", j, limit)
        return (limit if end < 0 else end), heredoc_budget
    if ch == "\n" and frame.heredocs:
        return _skip_bodies(text, j + 1, limit, frame, heredoc_budget)
    if ch == "<" and text.startswith("<<", j) and not text.startswith("<<<", j):
        found = heredoc_delimiter(text, j + 2, limit)
        if found is not None:
            frame.heredocs.append(found[:2])
        return j + 2, heredoc_budget
    if at_word_start and _keyword(text, j, limit, "case"):
        frame.cases += 1
    elif at_word_start and _keyword(text, j, limit, "esac"):
        frame.cases = max(0, frame.cases - 1)
    elif ch == "(":
        frame.depth += 1
    elif ch == ")":
        _close_paren(stack, frame)
    return j + 1, heredoc_budget


def _brace_step(ch: str, j: int, stack: list[_Frame], frame: _Frame) -> int:
    if ch == "{":
        frame.depth += 1
    elif ch == "}":
        if frame.depth == 0:
            stack.pop()
        else:
            frame.depth -= 1
    return j + 1


def _arith_step(ch: str, j: int, stack: list[_Frame], frame: _Frame) -> int:
    if ch == "(":
        frame.depth += 1
    elif ch == ")":
        frame.depth -= 1
        if frame.depth == 0:
            stack.pop()
    return j + 1


def _close_paren(stack: list[_Frame], frame: _Frame) -> None:
    """`)` inside `$(...)`: closes a subshell, ends a `case` pattern, or closes the substitution."""
    if frame.depth > 0:
        frame.depth -= 1
    elif frame.cases == 0:
        stack.pop()


def _keyword(text: str, j: int, limit: int, word: str) -> bool:
    end = j + len(word)
    return text.startswith(word, j) and (end >= limit or text[end] in _WORD_BREAKS)


def _skip_bodies(text: str, j: int, limit: int, frame: _Frame, budget: int) -> tuple[int, int]:
    """Past the bodies of the here-documents opened on the line that just ended (an unterminated
    one is taken as no here-document: the text after it is read as code)."""
    for delimiter, strip_tabs in frame.heredocs:
        if budget <= 0:
            break
        end = heredoc_body_end(text, j, delimiter, strip_tabs, limit)
        if end is None:
            budget -= limit - j
        else:
            j = end
    frame.heredocs.clear()
    return j, budget


def heredoc_delimiter(text: str, j: int, limit: int) -> tuple[str, bool, int] | None:
    """At j just after `<<`: (delimiter with its quotes removed, whether `<<-` strips leading tabs,
    index after the delimiter word), or None when no word follows."""
    strip_tabs = text.startswith("-", j)
    j += 1 if strip_tabs else 0
    while j < limit and text[j] in " \t":
        j += 1
    out: list[str] = []
    while j < limit and text[j] not in _WORD_BREAKS:
        ch = text[j]
        if ch in "'\"":
            end = text.find(ch, j + 1, limit)
            if end < 0:
                return None
            out.append(text[j + 1 : end])
            j = end + 1
        elif ch == "\\" and j + 1 < limit:
            out.append(text[j + 1])
            j += 2
        else:
            out.append(ch)
            j += 1
    delimiter = "".join(out)
    return (delimiter, strip_tabs, j) if delimiter else None


def heredoc_body_end(text: str, j: int, delimiter: str, strip_tabs: bool, limit: int) -> int | None:
    """j at the start of a here-document's body: the index after its delimiter line, or None when
    no line before `limit` is the delimiter."""
    while j < limit:
        eol = text.find("\n", j, limit)
        line_end = limit if eol < 0 else eol
        line = text[j:line_end].rstrip("\r")
        if (line.lstrip("\t") if strip_tabs else line) == delimiter:
            return line_end + 1 if eol >= 0 else limit
        if eol < 0:
            return None
        j = eol + 1
    return None


def feeds_a_shell(line: str) -> bool:
    """Whether a command line hands its here-document to a shell (`bash <<EOF`, `ssh host <<EOF`,
    `cat <<EOF | sh`): the body is then commands, not data."""
    return any(posixpath.basename(word.strip("'\"")) in SHELLS for word in line.split())
