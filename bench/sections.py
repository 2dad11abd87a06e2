"""BENCHMARKS.md in parts: bench/run.py writes the delete benchmark, and a section after a
marker belongs to bench/paths.py; each keeps the other's part when it writes its own."""

MARKER = "<!-- The section below is written by bench/paths.py (make bench-paths). -->\n"


def replace_section(document: str, section: str) -> str:
    """document with what follows the marker (the marker too, if absent) replaced."""
    head = document.split(MARKER, 1)[0].rstrip("\n")
    return f"{head}\n\n{MARKER}\n{section.strip()}\n"


def kept_section(document: str) -> str:
    """What follows the marker in document, with the marker (and no final newline);
    nothing without it."""
    if MARKER not in document:
        return ""
    return f"\n\n{MARKER}{document.split(MARKER, 1)[1].rstrip()}"
