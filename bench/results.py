"""bench/RESULTS.md: each benchmark owns one section between its markers, and the machine it ran on.

Several benchmarks write the same file, possibly at the same time: `write_section` replaces only the text
between `<!-- name -->` and `<!-- /name -->` (or appends the section's heading and markers if the file has
none yet), under an exclusive lock on the file, so that two writers never lose each other's sections. The
"## " heading stands outside the markers, so that a writer that finds its own section by headings (as
bench/pages.py does) ends its section at ours, not inside it.
"""

import fcntl
import os
import platform
import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
TITLE = "# CADE Grants benchmark results\n"


def write_section(name: str, heading: str, body: str, path: Path = RESULTS) -> None:
    """Put `body` between the markers of section `name` in `path`: replaced in place, or appended at the end
    under `heading` (a "## " line)."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    section = f"{start}\n{body.strip()}\n{end}"
    path.touch(exist_ok=True)
    with path.open("r+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        text = handle.read()
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
        if pattern.search(text):
            text = pattern.sub(lambda _: section, text, count=1)
        else:
            text = (text.rstrip("\n") + "\n\n" if text.strip() else TITLE + "\n") + f"{heading}\n\n{section}\n"
        handle.seek(0)
        handle.write(text)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)


def machine(database_url: str | None = None) -> str:
    """One line on what the figures were measured on: CPU, cores, memory, Python and PostgreSQL."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.1f} GB memory"
                break
    except OSError:
        pass
    postgres = ""
    if database_url:  # the server's own database: the bench's may be dropped by now
        import psycopg

        try:
            with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5) as conn:
                postgres = f", PostgreSQL {conn.execute('SHOW server_version').fetchone()[0].split()[0]}"
        except psycopg.Error:
            pass
    return (f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}{postgres}")
