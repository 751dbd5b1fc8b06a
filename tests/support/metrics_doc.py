"""The metrics docs/metrics.md documents, Prometheus's naming conventions, and the metric names a
PromQL expression uses: shared by the scrape test and the checks of deploy/prometheus and deploy/grafana."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
METRICS_DOC = os.path.join(ROOT, "docs", "metrics.md")

_ROW = re.compile(r"^\|\s*`(eldernet_[a-z0-9_]+)`\s*\|\s*(counter|gauge|histogram|summary)\s*\|([^|]*)\|", re.M)
# Suffixes Prometheus adds to a histogram's or summary's series.
SERIES_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}
# Base units (https://prometheus.io/docs/practices/naming/): seconds, bytes, ... and fen for money.
UNITS = ("seconds", "bytes", "fen", "ratio", "messages", "celsius")
_NOT_BASE_UNITS = re.compile(r"_(milliseconds|ms|microseconds|minutes|hours|days|kb|mb|yuan|percent)(_|$)")
_TIME_WORDS = re.compile(r"_(time|latency|duration|lag|age|delay|wait)(_|$)")
# Label names whose values would be one per person, record or request: unbounded series.
_ID_LABEL = re.compile(r"(^|_)(id|ids|uuid|elder|person|booking|claim|facility|stream|subject|event|token|user|"
                       r"phone|id_number|name|bed)(_|$)")
_ID_VALUE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|^\d{17}[\dXx]$|^[0-9a-f]{24,}$")
PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "ALERTS", "time"}


def documented_metrics(path: str = METRICS_DOC) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (type, extra labels besides node and service), from every table of the doc."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    return {name: (kind, frozenset(re.findall(r"`([a-z_]+)`", labels))) for name, kind, labels in _ROW.findall(text)}


_ANY_ROW = re.compile(r"^\|\s*`(eldernet_[a-z0-9_]+)(?:\{[^`]*\})?`\s*\|\s*(counter|gauge|histogram|summary)\s*\|", re.M)


def documented_in_docs() -> dict[str, str]:
    """name -> type from every metrics table in docs/*.md: docs/metrics.md and the services' own
    docs (docs/billing.md, docs/alerts.md) whose tables are still to be merged into it."""
    docs = os.path.join(ROOT, "docs")
    found = {}
    for name in sorted(os.listdir(docs)):
        if name.endswith(".md"):
            with open(os.path.join(docs, name), encoding="utf-8") as fh:
                found.update({metric: kind for metric, kind in _ANY_ROW.findall(fh.read())})
    return found


def naming_problems(name: str, kind: str) -> list[str]:
    problems = []
    if not re.fullmatch(r"eldernet_[a-z][a-z0-9_]*[a-z0-9]", name):
        problems.append(f"{name}: not eldernet_ followed by snake_case")
    if kind == "counter" and not name.endswith("_total"):
        problems.append(f"{name}: a counter's name ends with _total")
    if kind != "counter" and name.endswith("_total"):
        problems.append(f"{name}: only counters end with _total")
    if _NOT_BASE_UNITS.search(name):
        problems.append(f"{name}: use base units (seconds, bytes, fen)")
    if _TIME_WORDS.search(name) and "_seconds" not in name:
        problems.append(f"{name}: a time is in seconds and says so (_seconds)")
    if kind in ("histogram", "summary") and not any(f"_{unit}" in name for unit in UNITS):
        problems.append(f"{name}: a {kind} observes something in a unit; name it ({', '.join(UNITS)})")
    return problems


def label_problems(name: str, labels: dict[str, str]) -> list[str]:
    problems = [f"{name}: label {label!r} could hold an id (one series per person or record)"
                for label in labels if _ID_LABEL.search(label)]
    problems += [f"{name}: label {label}={value!r} looks like an id" for label, value in labels.items()
                 if _ID_VALUE.search(value)]
    return problems


def series_names(documented: dict[str, tuple[str, frozenset[str]]]) -> set[str]:
    """Every series name a query may use: the documented names and their histograms' suffixed series."""
    names = set(documented)
    for name, (kind, _) in documented.items():
        names.update(name + suffix for suffix in SERIES_SUFFIXES.get(kind, ()))
    return names


_PROMQL_WORDS = {"sum", "min", "max", "avg", "count", "rate", "irate", "increase", "delta", "deriv", "by", "without",
                 "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool", "time",
                 "histogram_quantile", "max_over_time", "min_over_time", "avg_over_time", "absent", "absent_over_time",
                 "clamp_min", "clamp_max", "topk", "bottomk", "label_replace", "vector", "scalar", "changes", "resets",
                 "sort", "sort_desc", "abs", "ceil", "floor", "round", "le", "count_over_time", "last_over_time",
                 "sum_over_time", "quantile_over_time", "timestamp", "predict_linear", "group", "count_values"}


def promql_metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (identifiers that are not functions, keywords,
    label names inside {} / by () / on (), durations, or quoted strings)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings (label values, regexes)
    expr = re.sub(r"\{[^}]*\}", "{}", expr)  # label matchers
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges and subqueries
    expr = re.sub(r"\$\{?[A-Za-z_]+\}?", "", expr)  # Grafana's variables ($node, ${__rate_interval})
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w.])", expr):
        word = match.group(1)
        following = expr[match.end():].lstrip()
        if word in _PROMQL_WORDS or following.startswith("("):
            continue
        if re.fullmatch(r"\d+[smhdwy]|e\d*|inf|nan|Inf|NaN", word):
            continue
        names.add(word)
    return names
