"""Parse `docker build` / `docker buildx build` / `docker image build` command lines.

A small shell word splitter (quotes, escapes, `$(...)`, `${...}`, backticks, `\\`-newline
continuations, `&&`/`;`/`|` separators) finds every docker build in a piece of shell text and
keeps the character span of every word, so a command can be re-rendered with a new
`--platform` (for fixes) or with its `--build-arg` values masked (for labels). Nothing is
expanded or executed; variables stay as written. Unknown flags are tolerated: `--flag=value`
is skipped whole, a bare unknown `--flag` is taken as boolean.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from archmatch import lazyre, shellsyntax
from archmatch.fixrender.docker_cli import apply_edits, pinned_command
from archmatch.model import CommandFlags
from archmatch.safetext import mask_secrets

# Flags of `docker build` and `docker buildx build` that take a value (docker CLI reference).
_VALUE_FLAGS = frozenset(
    [
        "--add-host",
        "--allow",
        "--annotation",
        "--attest",
        "--build-arg",
        "--build-context",
        "--builder",
        "--cache-from",
        "--cache-to",
        "--call",
        "--cgroup-parent",
        "--cpu-period",
        "--cpu-quota",
        "--cpu-shares",
        "-c",
        "--cpuset-cpus",
        "--cpuset-mems",
        "--file",
        "-f",
        "--iidfile",
        "--isolation",
        "--label",
        "--memory",
        "-m",
        "--memory-swap",
        "--metadata-file",
        "--network",
        "--no-cache-filter",
        "--output",
        "-o",
        "--platform",
        "--progress",
        "--provenance",
        "--sbom",
        "--secret",
        "--security-opt",
        "--shm-size",
        "--ssh",
        "--tag",
        "-t",
        "--target",
        "--ulimit",
        "--policy",
    ]
)
# `docker` global options that take a value, before the subcommand.
_DOCKER_GLOBAL_VALUE_FLAGS = frozenset(
    [
        "--context",
        "-c",
        "--host",
        "-H",
        "--config",
        "--log-level",
        "-l",
        "--tlscacert",
        "--tlscert",
        "--tlskey",
    ]
)
WRAPPERS = frozenset(["sudo", "env", "cross-env", "command", "exec", "time", "nohup", "xargs"])
_RESERVED = frozenset(["if", "then", "else", "elif", "do", "while", "until", "!", "{", "}"])
_ASSIGNMENT = lazyre.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SEPARATORS = ("&&", "||", ";;", ";", "&", "|", "(", ")", "\n")
MASK = "***"
_DOUBLE_QUOTED_SPECIAL = lazyre.compile(r"[\\$`]")
_PLAIN_RUN = lazyre.compile(r"[^ \t\n\\#;&|()<>'\"`$]+")  # characters that are only part of a word
# environment variables whose values are harmless to show in a label
_PUBLIC_ENV = lazyre.compile(r"^(DOCKER_[A-Z_]+|BUILDX_[A-Z_]+|BUILDKIT_[A-Z_]+|COMPOSE_[A-Z_]+)$")


@dataclass(frozen=True)
class Word:
    """One shell word of a command line, with its span in the original text."""

    text: str  # the word with quotes removed and escapes applied; $-expressions kept as written
    start: int  # span in the original text
    end: int
    redirect: bool = False  # a `>`/`<` operator: the next word is its target


def split_commands(text: str) -> list[list[Word]]:
    """Simple commands (lists of words) in shell text, in order. Never raises.

    Quotes and substitutions nest as in bash (`archmatch.shellsyntax`); one that never closes ends
    at the end of its line, so a line this reader gets wrong costs that line, not the rest of the
    text. Here-document bodies are skipped (read as commands when a shell reads them)."""
    return _Splitter(text).run()


class _Splitter:
    """The state of `split_commands`: the words of the command being read, and where."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.commands: list[list[Word]] = []
        self.words: list[Word] = []
        self.buf: list[str] = []
        self.start = -1
        self.heredocs: list[tuple[str, bool, int]] = []  # delimiter, strip tabs, line start
        # characters spent on constructs and here-documents that never closed; past twice the text,
        # they may no longer span lines (hostile text would otherwise cost quadratic time)
        self.failed = 0

    def run(self) -> list[list[Word]]:
        i = 0
        while i < self.n:
            i = self.step(i)
        self.end_word(self.n)
        self.end_command()
        return self.commands

    def end_word(self, at: int) -> None:
        if self.start >= 0:
            self.words.append(Word("".join(self.buf), self.start, at))
        self.buf.clear()
        self.start = -1

    def end_command(self) -> None:
        if self.words:
            self.commands.append(list(self.words))
        self.words.clear()

    def step(self, i: int) -> int:
        text, ch = self.text, self.text[i]
        run = _PLAIN_RUN.match(text, i)
        if run is not None:
            if self.start < 0:
                self.start = i
            self.buf.append(run.group())
            return run.end()
        if ch == "\\" and i + 1 < self.n and text[i + 1] == "\n":
            return i + 2  # line continuation
        if ch in " \t":
            self.end_word(i)
            return i + 1
        if ch == "#" and self.start < 0:
            nl = text.find("\n", i)
            return self.n if nl < 0 else nl
        sep = next((s for s in _SEPARATORS if text.startswith(s, i)), None)
        if sep is not None and not (sep == "(" and self.start >= 0):
            self.end_word(i)
            self.end_command()
            return self.heredoc_bodies(i + 1) if sep == "\n" else i + len(sep)
        if ch in "<>":
            return self.redirect(i)
        if self.start < 0:
            self.start = i
        if ch == "\\" and i + 1 < self.n:
            self.buf.append(text[i + 1])
            return i + 2
        if shellsyntax.opener(text, i) is not None:
            return self.construct(i)
        self.buf.append(ch)
        return i + 1

    def redirect(self, i: int) -> int:
        text = self.text
        if self.start >= 0 and "".join(self.buf).isdigit():  # 2>&1: the fd number belongs to the redirect
            self.buf.clear()
            self.start = -1
        self.end_word(i)
        j = i
        while j < self.n and text[j] in "<>&":
            j += 1
        self.words.append(Word(text[i:j], i, j, redirect=True))
        if text[i:j] == "<<":
            found = shellsyntax.heredoc_delimiter(text, j, self.n)
            if found is not None:
                self.heredocs.append((found[0], found[1], text.rfind("\n", 0, i) + 1))
        return j

    def heredoc_bodies(self, i: int) -> int:
        """Past the bodies of the here-documents opened on the line that ended before i."""
        pending, self.heredocs = self.heredocs, []
        for delimiter, strip_tabs, line_start in pending:
            if shellsyntax.feeds_a_shell(self.text[line_start:i]):
                continue
            limit = self.n if self.failed <= 2 * self.n else i
            end = shellsyntax.heredoc_body_end(self.text, i, delimiter, strip_tabs, limit)
            if end is None:  # never terminated: read on as commands
                self.failed += limit - i
            else:
                i = end
        return i

    def construct(self, i: int) -> int:
        """A quote or substitution (one that never closes ends at the end of its line); its text
        joins the current word: quotes removed and escapes applied, substitutions as written."""
        text = self.text
        eol = text.find("\n", i)
        eol = self.n if eol < 0 else eol
        limit = self.n if self.failed <= 2 * self.n else eol
        end = shellsyntax.construct_end(text, i, limit)
        closed = end is not None
        if end is None:
            self.failed += limit - i
            end = eol
        _, length = shellsyntax.opener(text, i) or (0, 1)
        inner_end = end - 1 if closed else end
        if text[i] == "'" or text.startswith("$'", i):
            self.buf.append(text[i + length : inner_end])
        elif text[i] == '"' or text.startswith('$"', i):
            self.buf.append(_double_quoted(text, i + length, inner_end))
        else:
            self.buf.append(text[i:end])
        return end


def _double_quoted(text: str, start: int, end: int) -> str:
    """The content of a double-quoted string: escapes applied, substitutions kept as written."""
    out: list[str] = []
    j = start
    while j < end:
        special = _DOUBLE_QUOTED_SPECIAL.search(text, j, end)
        if special is None:
            out.append(text[j:end])
            break
        out.append(text[j : special.start()])
        j = special.start()
        ch = text[j]
        if ch == "\\" and j + 1 < end:
            if text[j + 1] != "\n":
                out.append(text[j + 1] if text[j + 1] in '"\\$`' else text[j : j + 2])
            j += 2
            continue
        inner = shellsyntax.opener(text, j, in_double=True) if ch in "$`" else None
        if inner is None:
            out.append(ch)
            j += 1
            continue
        close = shellsyntax.construct_end(text, j, end, in_double=True)
        close = end if close is None else close
        out.append(text[j:close])
        j = close
    return "".join(out)


@dataclass(frozen=True)
class Span:
    """A region of a command line, by character offsets."""

    start: int
    end: int


@dataclass
class BuildCommand:
    """One docker build invocation, as written (values not expanded unless an expander was given)."""

    start: int  # span of the whole simple command (env prefix included) in the parsed text
    end: int
    is_buildx: bool
    context: str | None = None
    file: str | None = None
    platforms: list[str] = field(default_factory=list)  # raw --platform values, in order
    tags: list[str] = field(default_factory=list)
    target: str | None = None
    build_args: list[tuple[str, str | None]] = field(default_factory=list)
    provenance: str | None = None
    sbom: str | None = None
    attest: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    push: bool = False
    load: bool = False
    env: dict[str, str] = field(default_factory=dict)  # VAR=value prefixes (and env/cross-env)
    docker_start: int = 0  # offset of the `docker` word
    subcommand_end: int = 0  # where a new flag can be inserted (after `build`)
    platform_spans: list[Span] = field(default_factory=list)  # flag (+ value) spans
    provenance_spans: list[Span] = field(default_factory=list)
    sbom_spans: list[Span] = field(default_factory=list)
    attest_spans: list[Span] = field(default_factory=list)
    build_arg_spans: list[tuple[Span, str]] = field(default_factory=list)  # value word span, name
    env_spans: list[tuple[Span, str]] = field(default_factory=list)
    # arguments that are an unresolved expansion which may hold options, `--platform` among them
    # (`$FLAGS` beside the context, `"${args[@]}"`, `$(flags)`): see `_context_and_options`
    open_words: list[str] = field(default_factory=list)

    @property
    def platform_offset(self) -> int | None:
        return self.platform_spans[0].start if self.platform_spans else None

    @property
    def pushes(self) -> bool:
        return self.push or any(_output_pushes(o) for o in self.outputs)


def _output_pushes(value: str) -> bool:
    parts = {p.split("=", 1)[0].strip(): p.split("=", 1)[-1].strip() for p in value.split(",")}
    return parts.get("type") == "registry" or (
        parts.get("type") in ("image", "oci") and parts.get("push") == "true"
    )


def _is_docker(word: str) -> bool:
    return word == "docker" or word.endswith("/docker")


def _skip_prefix(words: list[Word]) -> tuple[int, int, dict[str, str], list[tuple[Span, str]]]:
    """Index of the first word after reserved words (if, then, ...), and of the command word
    after assignments and wrappers like sudo/env; with the VAR=value prefixes."""
    env: dict[str, str] = {}
    spans: list[tuple[Span, str]] = []
    i = 0
    while i < len(words) and words[i].text in _RESERVED:
        i += 1
    first = i
    while i < len(words):
        w = words[i]
        if w.text in _RESERVED:
            i += 1
        elif _ASSIGNMENT.match(w.text):
            name, value = w.text.split("=", 1)
            env[name] = value
            spans.append((Span(w.start, w.end), name))
            i += 1
        elif w.text in WRAPPERS:
            i += 1
            while i < len(words) and words[i].text.startswith("-"):
                i += 1  # sudo -E, env -i: options without values
        else:
            break
    return first, i, env, spans


def _subcommand(words: list[Word], i: int) -> tuple[int, bool] | None:
    """After `docker` at i: index of the first build option and whether it is buildx."""
    i += 1

    def skip_opts(j: int, value_flags: frozenset[str]) -> int:
        while j < len(words) and words[j].text.startswith("-"):
            j += 2 if words[j].text in value_flags else 1
        return j

    i = skip_opts(i, _DOCKER_GLOBAL_VALUE_FLAGS)
    if i >= len(words):
        return None
    sub = words[i].text
    if sub == "build":
        return i + 1, False
    if sub in ("image", "builder") and i + 1 < len(words) and words[i + 1].text == "build":
        return i + 2, False
    if sub == "buildx":
        i = skip_opts(i + 1, frozenset(["--builder"]))
        if i < len(words) and words[i].text in ("build", "b"):
            return i + 1, True
    return None


def parse_words(words: list[Word], expand: Callable[[str], str] | None = None) -> BuildCommand | None:
    """The docker build invocation of one simple command (from `split_commands`), or None."""
    return _parse(words, expand or _identity)


def _parse(words: list[Word], expand: Callable[[str], str]) -> BuildCommand | None:
    first, i, env, env_spans = _skip_prefix(words)
    if i >= len(words) or not _is_docker(words[i].text):
        return None
    docker_at = i
    sub = _subcommand(words, i)
    if sub is None:
        return None
    i, is_buildx = sub
    cmd = BuildCommand(words[first].start, words[-1].end, is_buildx, env=env, env_spans=env_spans)
    cmd.docker_start = words[docker_at].start
    cmd.subcommand_end = words[i - 1].end
    positional: list[str] = []
    while i < len(words):
        w = words[i]
        if w.redirect:
            i += 2
            continue
        text = w.text
        if not text.startswith("-") or text == "-":
            positional.append(expand(text))
            i += 1
            continue
        if text == "--":
            positional.extend(expand(x.text) for x in words[i + 1 :] if not x.redirect)
            break
        name, sep, inline = text.partition("=")
        has_eq = bool(sep)
        if not has_eq and len(name) > 2 and name[1] != "-" and name[:2] in ("-t", "-f", "-o"):
            name, inline, has_eq = name[:2], name[2:], True  # -tname
        if has_eq:
            value_word, span = w, Span(w.start, w.end)
            value = inline
        elif name in _VALUE_FLAGS and i + 1 < len(words):
            value_word, span = words[i + 1], Span(w.start, words[i + 1].end)
            value = value_word.text
            i += 1
        else:
            cmd.push |= name == "--push"
            cmd.load |= name == "--load"
            i += 1
            continue
        i += 1
        _apply_flag(cmd, name, expand(value), span, value_word, has_eq)
    cmd.context, cmd.open_words = _context_and_options(positional)
    return cmd


def _context_and_options(positional: list[str]) -> tuple[str | None, list[str]]:
    """The build context among the arguments that are not options, and the unresolved expansions
    among them that may stand for options.

    `docker build` takes exactly one context, so an expansion beside a written context (`$FLAGS .`,
    `. $(flags)`) can only expand to options (or to nothing), and a word list (`"$@"`,
    `"${args[@]}"`) may hold options wherever it is. A lone expansion with nothing written beside it
    is taken as the context (`docker build -t x $DIR`), as the docker CLI requires one."""
    if not positional:
        return None, []
    expansions = [p for p in positional if shellsyntax.whole_expansion(p)]
    written = [p for p in positional if not shellsyntax.whole_expansion(p)]
    if written:
        return written[0], expansions
    context = positional[-1]
    return context, positional[:-1] + ([context] if shellsyntax.word_list(context) else [])


def _apply_flag(cmd: BuildCommand, name: str, value: str, span: Span, value_word: Word, inline: bool) -> None:
    if name == "--platform":
        cmd.platforms.append(value)
        cmd.platform_spans.append(span)
    elif name in ("-t", "--tag"):
        cmd.tags.append(value)
    elif name in ("-f", "--file"):
        cmd.file = value
    elif name == "--target":
        cmd.target = value
    elif name in ("-o", "--output"):
        cmd.outputs.append(value)
    elif name == "--provenance":
        cmd.provenance = value
        cmd.provenance_spans.append(span)
    elif name == "--sbom":
        cmd.sbom = value
        cmd.sbom_spans.append(span)
    elif name == "--attest":
        cmd.attest.append(value)
        cmd.attest_spans.append(span)
    elif name == "--push":
        cmd.push = value.lower() in ("true", "1")
    elif name == "--load":
        cmd.load = value.lower() in ("true", "1")
    elif name == "--build-arg":
        key, has_value, _ = value.partition("=")
        cmd.build_args.append((key, value.split("=", 1)[1] if has_value else None))
        if has_value:
            start = value_word.start
            if inline:  # --build-arg=KEY=value: keep the flag in the masked text
                start = value_word.start + len(name) + 1
            cmd.build_arg_spans.append((Span(start, value_word.end), key))


def _identity(text: str) -> str:
    return text


def find_build_commands(text: str, expand: Callable[[str], str] | None = None) -> list[BuildCommand]:
    """Every docker build invocation in shell text, in order."""
    return [
        c for c in (_parse(words, expand or _identity) for words in split_commands(text)) if c is not None
    ]


def parse_build_command(text: str, expand: Callable[[str], str] | None = None) -> BuildCommand | None:
    """The first docker build invocation in a command line, or None."""
    found = find_build_commands(text, expand)
    return found[0] if found else None


def _truthy(value: str) -> bool:
    v = value.strip().lower()
    return v not in ("false", "0", "no", "off") and "disabled=true" not in v


def attestations(cmd: BuildCommand, default: bool | None = None) -> bool | None:
    """Whether the build attaches provenance/SBOM attestations (which make an image index).

    True when a flag turns one on; False when `--provenance=false` (SBOM is off unless asked for)
    or `BUILDX_NO_DEFAULT_ATTESTATIONS` is set; otherwise `default`, the caller's knowledge of
    the tool's default (buildx adds provenance when pushing with a docker-container builder).
    """
    if any(_truthy(v) for v in (cmd.provenance, cmd.sbom) if v is not None):
        return True
    if any(_truthy(a) and ("provenance" in a or "sbom" in a) for a in cmd.attest):
        return True
    if cmd.provenance is not None or cmd.env.get("BUILDX_NO_DEFAULT_ATTESTATIONS", "") not in (
        "",
        "0",
        "false",
    ):
        return False
    return default


def command_flags(cmd: BuildCommand | None) -> CommandFlags | None:
    """Where a parsed docker build writes the flags a platform fix rewrites (None: not a build)."""
    if cmd is None:
        return None

    def spans(found: list[Span]) -> tuple[tuple[int, int], ...]:
        return tuple((s.start, s.end) for s in found)

    return CommandFlags(
        cmd.subcommand_end,
        spans(cmd.platform_spans),
        spans(cmd.provenance_spans),
        spans(cmd.sbom_spans),
        spans(cmd.attest_spans),
    )


def with_platform(command: str, platform: str, single_manifest: bool = False) -> str:
    """The command with its first docker build pinned to `platform` (replacing any --platform);
    with `single_manifest`, without attestations (see `fixrender.docker_cli.pinned_command`)."""
    return pinned_command(command, command_flags(parse_build_command(command)), platform, single_manifest)


def hide_build_values(text: str) -> str:
    """The text with every `--build-arg` value (and non-docker env prefix value) replaced by ***,
    then masked by the one secret masker (a `--label GITHUB_TOKEN=...` is caught there)."""
    edits: list[tuple[int, int, str]] = []
    for cmd in find_build_commands(text):
        for span, key in cmd.build_arg_spans:
            edits.append((span.start, span.end, f"{key}={MASK}"))
        for span, key in cmd.env_spans:
            if not _PUBLIC_ENV.match(key):
                edits.append((span.start, span.end, f"{key}={MASK}"))
    return mask_secrets(apply_edits(text, edits))


# Starts only where a run of blanks starts: from inside the run the same match would be tried
# again and again (quadratic on a long run of spaces).
_CONTINUATION = lazyre.compile(r"(?<![ \t])[ \t]*\\\n[ \t]*")


def one_line(text: str) -> str:
    """A multi-line command (`\\`-newline continuations) folded onto one line."""
    return _CONTINUATION.sub(" ", text).strip()
