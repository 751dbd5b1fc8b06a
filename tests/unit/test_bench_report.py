"""`make bench` writes what the benchmarks print as a Markdown page (docs/performance.md)."""
from bench.run import _markdown


def test_sections_tables_and_paragraphs():
    printed = """
== store ==
   2026-11-23 17:42 UTC | nproc 2
| figure | rate |
|---|--:|
| append | 900 |
   append is 0.8 of raw insert

(total 3 s)
"""
    assert _markdown(printed) == "\n".join([
        "## store", "", "2026-11-23 17:42 UTC | nproc 2", "",
        "| figure | rate |", "|---|--:|", "| append | 900 |", "",
        "append is 0.8 of raw insert", "", "(total 3 s)"])
