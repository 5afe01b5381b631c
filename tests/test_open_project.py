"""The open project's documents (issue 17, item 8): present, licensed Apache-2.0, and saying only what is true.

CONTRIBUTING.md promises that every command it names works; this checks that each
`make` target and variable is in the Makefile, and each `flask --app wsgi ...`
command, sub-command and option is one the app's command line offers (read once,
in a child process, so that loading `wsgi` leaves no app or Celery default behind
in this one). The links between the documents, and the files they cite as
evidence, must be in the repository.
"""

import glob
import hashlib
import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCUMENTS = ["LICENSE", "CONTRIBUTING.md", "SECURITY.md", "docs/digital-public-good.md"]
MARKDOWN = [name for name in DOCUMENTS if name.endswith(".md")]

# SHA-256 of the Apache License 2.0's terms as apache.org publishes them
# (https://www.apache.org/licenses/LICENSE-2.0.txt), from its first line through
# "END OF TERMS AND CONDITIONS"; the appendix after it may be filled in.
APACHE_2_TERMS_SHA256 = "0cec06e0e55fbc3dc5cee4fca9b607f66cb8f4e4dbcf3b3c013594dd156732e9"
TERMS_END = "END OF TERMS AND CONDITIONS"

# Prints every command of `flask --app wsgi` with its options, as JSON: {"db migrate": ["--rev-id", ...]},
# and the paths of the groups (which take a command, not an argument) under "groups".
LIST_COMMANDS = """
import json, click
from flask.cli import cli
ctx = cli.make_context("flask", ["--app", "wsgi"], resilient_parsing=True)
found = {"": sorted(o for p in cli.params for o in (*p.opts, *p.secondary_opts)) + ["--help"]}
def walk(group, ctx, prefix):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = f"{prefix} {name}".strip()
        found[path] = sorted(o for p in command.params for o in (*p.opts, *p.secondary_opts)) + ["--help"]
        if isinstance(command, click.Group):
            groups.append(path)
            walk(command, click.Context(command, parent=ctx, info_name=name), path)
groups = [""]
walk(cli, ctx, "")
print(json.dumps({"commands": found, "groups": groups}))
"""


def _read(name: str) -> str:
    return (REPO / name).read_text(encoding="utf-8")


def _code(markdown: str) -> list[str]:
    """The commands in a document: each line of its fenced blocks (backslash-continued lines joined) and each
    inline code span."""
    fenced = re.findall(r"^```[a-z]*\n(.*?)^```", markdown, flags=re.S | re.M)
    lines = [line.strip() for block in fenced for line in block.replace("\\\n", " ").splitlines()]
    outside = re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)
    return [line for line in lines if line] + re.findall(r"`([^`\n]+)`", outside)


def _after(command: str, prefix: str) -> list[list[str]]:
    """The words after each occurrence of `prefix` in `command`, up to a comment or another command."""
    found = []
    command = re.sub(r"\"[^\"]*\"|'[^']*'", "ARGUMENT", command)  # a quoted argument is one word
    for match in re.finditer(rf"(?:^|[\s(]){re.escape(prefix)}\s+(.*)", command):
        words = []
        for word in match.group(1).split():
            if word.startswith("#") or word in {"&&", "||", ";", "|"}:
                break
            words.append(word.rstrip(",;"))
        found.append(words)
    return found


@cache
def _flask_commands() -> dict:
    done = subprocess.run([sys.executable, "-c", LIST_COMMANDS], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@cache
def _makefile() -> tuple[set[str], set[str]]:
    text = _read("Makefile")
    targets = set(re.findall(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, flags=re.M))
    variables = set(re.findall(r"^([A-Z_]+)\s*[?:]?=", text, flags=re.M))
    return targets, variables


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_document_exists_and_says_something(name):
    assert (REPO / name).is_file(), f"{name} is missing"
    assert len(_read(name)) > 1000


def test_the_licence_is_the_apache_license_2_0_word_for_word():
    text = _read("LICENSE")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    terms = text[:text.index(TERMS_END) + len(TERMS_END)]
    assert hashlib.sha256(terms.encode()).hexdigest() == APACHE_2_TERMS_SHA256, (
        "LICENSE differs from the Apache License 2.0 as published; copy it verbatim")


def test_contributing_names_the_commands_it_promises():
    commands = _code(_read("CONTRIBUTING.md"))
    named = {" ".join(words[:1]) for command in commands for words in _after(command, "make")}
    named |= {" ".join(words[:2]) for command in commands for words in _after(command, "flask --app wsgi")}
    for promised in ["run", "test", "translations-update", "db migrate", "db upgrade", "db downgrade"]:
        assert promised in named, f"CONTRIBUTING.md does not say how to {promised}"


@pytest.mark.parametrize("name", MARKDOWN)
def test_every_make_target_and_variable_named_is_in_the_makefile(name):
    targets, variables = _makefile()
    uses = [words for command in _code(_read(name)) for words in _after(command, "make")]
    for words in uses:
        for word in words:
            if "=" in word:
                assert word.split("=")[0] in variables, f"`make {' '.join(words)}`: no variable {word} in the Makefile"
            else:
                assert word in targets, f"`make {' '.join(words)}`: no target {word!r} in the Makefile"


@pytest.mark.parametrize("name", MARKDOWN)
def test_every_flask_command_and_option_named_exists(name):
    commands, groups = _flask_commands()["commands"], _flask_commands()["groups"]
    uses = [words for command in _code(_read(name)) for words in _after(command, "flask --app wsgi")]
    for words in uses:
        path = ""
        for word in words:
            if word.startswith("-"):
                option = word.split("=")[0]
                assert option in commands[path], f"`flask --app wsgi {' '.join(words)}`: {path!r} has no {option}"
            elif f"{path} {word}".strip() in commands:
                path = f"{path} {word}".strip()
            else:
                # Not a command: an argument, which a group never takes.
                assert path not in groups, f"`flask --app wsgi {' '.join(words)}`: no command {word!r}"


def _links(name: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", _read(name))


@pytest.mark.parametrize("name", MARKDOWN)
def test_every_link_to_a_file_in_the_repository_resolves(name):
    local = [link for link in _links(name) if not re.match(r"[a-z]+:", link) and not link.startswith("#")]
    assert local
    for link in local:
        target = (REPO / name).parent / link.split("#")[0]
        assert target.exists(), f"{name} links to {link}, which is not in the repository"


@pytest.mark.parametrize("name, links_to", [
    ("CONTRIBUTING.md", ["LICENSE", "SECURITY.md", "README.md"]),
    ("SECURITY.md", ["README.md", "CONTRIBUTING.md", "docs/digital-public-good.md"]),
    ("docs/digital-public-good.md", ["LICENSE", "SECURITY.md", "CONTRIBUTING.md", "README.md"]),
])
def test_the_documents_point_to_each_other(name, links_to):
    resolved = {((REPO / name).parent / link.split("#")[0]).resolve() for link in _links(name)}
    for other in links_to:
        assert (REPO / other).resolve() in resolved, f"{name} does not link to {other}"


@pytest.mark.parametrize("name", MARKDOWN)
def test_every_file_cited_as_evidence_is_in_the_repository(name):
    cited = [span for span in re.findall(r"`([^`\s]+)`", _read(name))
             if re.match(r"(cade|tests|docs|templates|migrations|tasks)/", span) and not re.search(r"[<>{}]", span)]
    assert cited
    for path in cited:
        assert glob.glob(str(REPO / path.rstrip("/"))), f"{name} cites {path}, which is not in the repository"


def test_security_policy_gives_a_private_contact_and_scope():
    text = _read("SECURITY.md")
    assert re.search(r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b", text), "SECURITY.md names no address to write to"
    for heading in ["## How to report a vulnerability", "## In scope", "## Out of scope", "## Supported versions"]:
        assert heading in text


def test_the_public_good_page_covers_all_nine_indicators():
    text = _read("docs/digital-public-good.md")
    headings = re.findall(r"^## (\d)\. ", text, flags=re.M)
    assert headings == [str(n) for n in range(1, 10)]
    for part in ["9A.", "9B.", "9C."]:
        assert f"### {part}" in text
    assert text.count("Missing") >= 9, "each indicator says what is still missing"
