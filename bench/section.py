"""Rewrites one section of BENCHMARKS.md, between `<!-- NAME:begin -->` and `<!-- NAME:end -->`
(appended when the markers are not there yet).

    python3 bench/section.py NAME FILE     # the section's markdown from FILE (`-`: stdin)

or, from a script's own Python: `from section import write; write("NAME", markdown)`.
"""
import pathlib
import re
import sys


def write(name: str, section: str) -> None:
    path = pathlib.Path("BENCHMARKS.md")
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{section}{end}"
    if begin in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


if __name__ == "__main__":
    name, source = sys.argv[1], sys.argv[2]
    write(name, sys.stdin.read() if source == "-" else pathlib.Path(source).read_text())
