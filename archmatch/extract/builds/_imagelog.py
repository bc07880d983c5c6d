"""Image identity in one shell run (a script, a recipe, a provisioner command, a CI step, a
buildspec's phases): the names each docker build's image gets (`-t`, then `docker tag SRC DST`),
the names that are pushed (`docker push`, a build's `--push`), and the images that come from
elsewhere (`docker pull`, or a retag of an image no build of the run made).

A build whose names are never pushed, while every push of the run is of another image (a pulled
image retagged for the repository, another build's image), stays on the machine that builds it:
it is not the image of the repository the run pushes. Anything the log cannot follow keeps the
build as it was (a push of an image it cannot tell, a build whose options hide in a variable, a
command that may ship the image another way: `docker save`, `skopeo`, `kind load`...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archmatch import dockercli, lazyre
from archmatch.dockercli import BuildCommand, Word
from archmatch.extract.builds._common import has_unresolved

MAX_PUSHES = 200  # pushes remembered per run; more make every build's fate unknown
# commands that may take a local image somewhere without `docker push`: a build whose name one of
# them mentions may be pushed, and one mentioning none may push an image the log cannot name
_SHIPPERS = frozenset(["skopeo", "crane", "podman", "buildah", "regctl", "oras", "kind", "minikube", "k3d"])
_DOCKER_SHIPS = frozenset(["save", "imagetools"])
_LOCAL_DOCKER = frozenset(["run", "rmi", "rm", "inspect", "history", "ls", "images", "create", "exec"])
_UNKNOWN = "*"  # a push of an image the log cannot name
# `${{ expr }}`, `${VAR...}`, `$(command)`, `$VAR`, a backquoted command
_UNRESOLVED = lazyre.compile(
    r"\$\{\{[^{}]*\}\}|\$\{[^{}]*\}|\$\([^()]*\)|\$[A-Za-z_][A-Za-z0-9_]*|\$[0-9@*#?]|`[^`]*`"
)


@dataclass(frozen=True)
class Push:
    """A name `docker push` sends, and the line of the push."""

    name: str
    line: int
    all_tags: bool = False  # `docker push --all-tags REPOSITORY`


@dataclass
class ImageLog:
    """What one shell run did with image names, in the order written."""

    builds: list[BuildCommand] = field(default_factory=list)
    pulled: set[str] = field(default_factory=set)
    foreign: dict[str, str] = field(default_factory=dict)  # a name -> the image it retags (made elsewhere)
    pushes: list[Push] = field(default_factory=list)
    handed_on: set[int] = field(default_factory=set)  # id() of builds another command may ship
    retags: list[tuple[str, str]] = field(default_factory=list)  # (SRC, DST) of images no build here made
    overflow: bool = False  # more pushes than `MAX_PUSHES`

    def built(self, cmd: BuildCommand) -> None:
        if all(cmd is not other for other in self.builds):
            self.builds.append(cmd)

    def retag(self, source: str, target: str) -> None:
        """`docker tag SRC DST`: DST names what a build of this run made, or an image from elsewhere."""
        made = [cmd for cmd in self.builds if same_image(source, cmd.tags)]
        for cmd in made:
            if target not in cmd.tags:
                cmd.tags.append(target)
        if made:
            return
        if (source, target) not in self.retags and len(self.retags) < MAX_PUSHES:
            self.retags.append((source, target))
        origin = self._origin(source)
        if origin is not None:
            self.foreign[target] = origin
        else:
            self.foreign.pop(target, None)

    def _origin(self, source: str) -> str | None:
        """The image `source` is when no build of the run made it: a pulled image, a retag of one,
        or a literal name; None when it is unresolved (it may be a build's name)."""
        for name, origin in self.foreign.items():
            if same_image(source, [name]):
                return origin
        if any(same_image(source, [pulled]) for pulled in self.pulled):
            return source
        if has_unresolved(source) or any(_may_be(source, tag) for cmd in self.builds for tag in cmd.tags):
            return None
        return source

    def pushed_retags(self) -> list[tuple[str, str]]:
        """The retags of images this run did not build whose new name the run then pushes."""
        return [
            (source, target)
            for source, target in self.retags
            if any(_pushes(push, [target]) for push in self.pushes if push.name != _UNKNOWN)
        ]

    def pull(self, name: str) -> None:
        self.pulled.add(name)

    def push(self, name: str, line: int, all_tags: bool = False) -> None:
        if len(self.pushes) >= MAX_PUSHES:
            self.overflow = True
            return
        self.pushes.append(Push(name, line, all_tags))

    def mentioned(self, words: list[str], line: int) -> None:
        """Another command naming a build's image may ship it (`docker save app`, `kind load
        docker-image app`); one that may ship images without naming any is a push the log cannot
        name."""
        if _runs_locally(words):
            return
        hit = False
        for cmd in self.builds:
            if any(_names(word, tag) for word in words for tag in cmd.tags):
                self.handed_on.add(id(cmd))
                hit = True
        if not hit and _may_ship(words):
            self.push(_UNKNOWN, line)

    def stays_local(self, cmd: BuildCommand) -> str:
        """Why the image of `cmd` never leaves the machine ("" when it may): its names are never
        pushed, and each push of the run is explained by another image."""
        if (
            not self.pushes
            or self.overflow
            or cmd.pushes
            or cmd.open_words
            or id(cmd) in self.handed_on
            or any(_pushes(push, cmd.tags) for push in self.pushes)
        ):
            return ""
        reasons = [self._other_image(push, cmd) for push in self.pushes]
        if any(reason is None for reason in reasons):
            return ""
        names = ", ".join(f"`{name}`" for name in cmd.tags) or "its image (untagged)"
        pushed = "; ".join(
            f"`{push.name}` (line {push.line}, {reason})"
            for push, reason in zip(self.pushes, reasons, strict=True)
        )
        return f"never pushed: {names} stays on the building machine while the same run pushes {pushed}"

    def _other_image(self, push: Push, cmd: BuildCommand) -> str | None:
        """What a push sends when it is not the image of `cmd`, None when it may be."""
        if push.name == _UNKNOWN:
            return None
        for name, origin in self.foreign.items():
            if _pushes(push, [name]):
                pulled = any(same_image(origin, [p]) for p in self.pulled)
                return f"a retag of {'the pulled image' if pulled else 'the image'} `{origin}`"
        for other in self.builds:
            if other is not cmd and _pushes(push, other.tags):
                return "another build's image"
        if any(same_image(push.name, [p]) for p in self.pulled):
            return "a pulled image"
        return None


def _with_tag(name: str) -> str:
    """A name with its implicit `:latest` (a digest or an explicit tag left as is)."""
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last or "@" in last else f"{name}:latest"


def same_image(source: str, tags: list[str]) -> bool:
    """Whether `source` is one of the names (`app` and `app:latest` are one name)."""
    return any(_with_tag(source) == _with_tag(tag) for tag in tags)


def _may_be(name: str, tag: str) -> bool:
    """Whether a tag with unresolved parts (`app:$VERSION`) may be the literal `name` (`app:1.0`)."""
    if not has_unresolved(tag):
        return False
    patterns = [_UNRESOLVED.split(form) for form in (tag, _with_tag(tag))]
    return any(_glob(parts, form) for parts in patterns for form in (name, _with_tag(name)))


def _glob(parts: list[str], text: str) -> bool:
    """Whether `text` is the literal `parts` with anything between them (greedy, linear)."""
    if len(parts) == 1:
        return text == parts[0]
    first, *middle, last = parts
    if len(text) < len(first) + len(last) or not (text.startswith(first) and text.endswith(last)):
        return False
    at, end = len(first), len(text) - len(last)
    for part in middle:
        found = text.find(part, at, end)
        if found < 0:
            return False
        at = found + len(part)
    return True


def _repository(name: str) -> str:
    last = name.rsplit("/", 1)[-1]
    return name[: len(name) - len(last)] + re.split(r"[:@]", last, maxsplit=1)[0]


def _pushes(push: Push, tags: list[str]) -> bool:
    if push.all_tags:
        return any(_repository(tag) == _repository(push.name) for tag in tags)
    return same_image(push.name, tags)


def _names(word: str, tag: str) -> bool:
    """A word that names the image `tag` (`app`, `app:latest`, `docker-daemon:app:latest`)."""
    return bool(tag) and (same_image(word, [tag]) or tag in word)


def _may_ship(words: list[str]) -> bool:
    if not words:
        return False
    head = words[0].rsplit("/", 1)[-1]
    if head in ("docker", "docker-compose"):  # a push this log could not read counts too
        return "push" in words or any(word in _DOCKER_SHIPS for word in words[1:3])
    return head in _SHIPPERS


def _runs_locally(words: list[str]) -> bool:
    """`docker run IMAGE`, `docker rmi`, `docker image inspect`...: uses the image where it is."""
    if not words or words[0].rsplit("/", 1)[-1] != "docker":
        return False
    verbs = [word for word in words[1:3] if not word.startswith("-")]
    if verbs[:1] in (["image"], ["container"]):
        verbs = verbs[1:]
    return bool(verbs) and verbs[0] in _LOCAL_DOCKER


def command_words(words: list[Word]) -> list[str]:
    """The words of a command from its command name on (redirections, `VAR=x` and wrappers dropped)."""
    return command_texts([w.text for w in words if not w.redirect])


def command_texts(texts: list[str]) -> list[str]:
    """The texts of a command from its command name on (`VAR=x` prefixes and wrappers dropped)."""
    while texts and (texts[0] in dockercli.WRAPPERS or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", texts[0])):
        texts = texts[1:]
    return texts


def parse_push_or_pull(texts: list[str]) -> tuple[str, str, bool] | None:
    """("push" | "pull", name, all_tags) of `docker push NAME` / `docker image pull NAME` (the
    `command_words`); None for any other command."""
    if len(texts) < 3 or not (texts[0] == "docker" or texts[0].endswith("/docker")):
        return None
    rest = texts[1:] if texts[1] != "image" else texts[2:]
    if not rest or rest[0] not in ("push", "pull"):
        return None
    args = []
    options = iter(rest[1:])
    for text in options:
        if text == "--platform":
            next(options, None)
        elif not text.startswith("-"):
            args.append(text)
    if len(args) != 1:
        return None
    return rest[0], args[0], any(t in ("-a", "--all-tags") for t in rest[1:])
