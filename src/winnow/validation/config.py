"""Expectation suites written in YAML (or any mapping): the format of ``winnow validate``.

::

    name: flights
    on_fail: quarantine            # default of every expectation: quarantine | fail | warn
    now: 2014-01-01T00:00:00Z      # optional reference time of freshness checks
    expectations:
      - column_type: {column: dep_delay, type: float}     # a family or an exact Arrow type
      - not_null: dep_delay                               # short form: the column
      - not_null: {column: tailnum, max_null_rate: 0.01}
      - unique: [year, month, day, carrier, flight, origin]   # one key of several columns
      - in_range: {column: distance, min: 17, max: 5000}  # min_inclusive/max_inclusive: false
      - in_set: {column: origin, values: [EWR, JFK, LGA]}
      - matches_regex: {column: tailnum, pattern: "N[0-9A-Z]+"}
      - length: {column: carrier, min: 2, max: 2}
      - row_count: {min: 1000}
      - freshness: {column: time_hour, max_age: 2d}
      - references: {column: carrier, file: airlines.csv, table_column: carrier}
      - in_range: {column: arr_delay, min: -120, on_fail: warn, name: arr_delay_sane}

Every expectation is a one-key mapping ``kind: spec``; every spec takes ``on_fail`` and
``name``. A ``references`` check names its table by ``file:`` (a path, relative to the YAML
file) or ``table:`` (the name of a table given at validation, e.g. another dataset input).
Errors name the file, the line and the key, and say what to write instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from winnow._spec import check_keys
from winnow.errors import DefinitionError, SourceError
from winnow.validation.column_checks import (
    ColumnType,
    InRange,
    InSet,
    Length,
    MatchesRegex,
    NotNull,
)
from winnow.validation.expectation import ON_FAIL, Expectation
from winnow.validation.key_checks import References, Unique
from winnow.validation.suite import ExpectationSuite

__all__ = ["EXPECTATION_KINDS", "load_expectations", "suite_from_dict"]

_COMMON = ("on_fail", "name")


def _spec(value: Any, *, kind: str, where: str, short: str | None, example: str) -> dict[str, Any]:
    """The mapping form of a spec; a bare string is ``{short: value}`` where allowed."""
    if isinstance(value, str) and short is not None:
        return {short: value}
    if isinstance(value, list) and short == "columns":
        return {"columns": value}
    if not isinstance(value, Mapping):
        raise DefinitionError(
            f"{where}: expected a mapping, found {type(value).__name__} {value!r}; write e.g. "
            f"{kind}: {example}"
        )
    return {str(k): v for k, v in value.items()}


def _require(spec: Mapping[str, Any], key: str, *, where: str, example: str) -> Any:
    if key not in spec:
        raise DefinitionError(f"{where}: missing key {key!r}; write e.g. {example}")
    return spec[key]


def _common(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {"on_fail": spec.get("on_fail"), "name": spec.get("name")}


def _column(spec: Mapping[str, Any], *, where: str, example: str) -> str:
    value = _require(spec, "column", where=where, example=example)
    if not isinstance(value, str):
        raise DefinitionError(f"{where}: column must be one column name, found {value!r}")
    return value


def _columns(spec: Mapping[str, Any], *, where: str, example: str) -> Any:
    if "column" in spec and "columns" in spec:
        raise DefinitionError(f"{where}: give column: or columns:, not both")
    if "columns" in spec:
        return spec["columns"]
    return _require(spec, "column", where=where, example=example)


def _column_type(value: Any, base_dir: Path, where: str) -> Expectation:
    ex = "{column: amount, type: float}"
    spec = _spec(value, kind="column_type", where=where, short=None, example=ex)
    check_keys(spec, ["column", "type", *_COMMON], where=where)
    return ColumnType(
        _column(spec, where=where, example=ex),
        _require(spec, "type", where=where, example=ex),
        **_common(spec),
    )


def _not_null(value: Any, base_dir: Path, where: str) -> Expectation:
    ex = "{column: id} or just the column name"
    spec = _spec(value, kind="not_null", where=where, short="column", example=ex)
    check_keys(spec, ["column", "max_null_rate", *_COMMON], where=where)
    return NotNull(
        _column(spec, where=where, example=ex),
        max_null_rate=spec.get("max_null_rate", 0.0),
        **_common(spec),
    )


def _unique(value: Any, base_dir: Path, where: str) -> Expectation:
    ex = "[order_id] or {columns: [day, flight]}"
    spec = _spec(value, kind="unique", where=where, short="columns", example=ex)
    check_keys(spec, ["column", "columns", *_COMMON], where=where)
    return Unique(_columns(spec, where=where, example=ex), **_common(spec))


def _in_range(value: Any, base_dir: Path, where: str) -> Expectation:
    ex = "{column: amount, min: 0, max: 1000}"
    spec = _spec(value, kind="in_range", where=where, short=None, example=ex)
    allowed = ["column", "min", "max", "min_inclusive", "max_inclusive", *_COMMON]
    check_keys(spec, allowed, where=where)
    return InRange(
        _column(spec, where=where, example=ex),
        min=spec.get("min"),
        max=spec.get("max"),
        min_inclusive=bool(spec.get("min_inclusive", True)),
        max_inclusive=bool(spec.get("max_inclusive", True)),
        **_common(spec),
    )


def _in_set(value: Any, base_dir: Path, where: str) -> Expectation:
    ex = "{column: origin, values: [EWR, JFK, LGA]}"
    spec = _spec(value, kind="in_set", where=where, short=None, example=ex)
    check_keys(spec, ["column", "values", *_COMMON], where=where)
    values = _require(spec, "values", where=where, example=ex)
    if not isinstance(values, list):
        raise DefinitionError(f"{where}: values must be a list, found {values!r}; e.g. {ex}")
    return InSet(_column(spec, where=where, example=ex), values, **_common(spec))


def _matches_regex(value: Any, base_dir: Path, where: str) -> Expectation:
    ex = '{column: tailnum, pattern: "N[0-9A-Z]+"}'
    spec = _spec(value, kind="matches_regex", where=where, short=None, example=ex)
    check_keys(spec, ["column", "pattern", *_COMMON], where=where)
    return MatchesRegex(
        _column(spec, where=where, example=ex),
        _require(spec, "pattern", where=where, example=ex),
        **_common(spec),
    )


def _length(value: Any, base_dir: Path, where: str) -> Expectation:
    ex = "{column: carrier, min: 2, max: 2}"
    spec = _spec(value, kind="length", where=where, short=None, example=ex)
    check_keys(spec, ["column", "min", "max", *_COMMON], where=where)
    return Length(
        _column(spec, where=where, example=ex),
        min=spec.get("min"),
        max=spec.get("max"),
        **_common(spec),
    )


def _row_count(value: Any, base_dir: Path, where: str) -> Expectation:
    ex = "{min: 1, max: 1000000}"
    spec = _spec(value, kind="row_count", where=where, short=None, example=ex)
    check_keys(spec, ["min", "max", *_COMMON], where=where)
    from winnow.validation.table_checks import RowCount

    return RowCount(min=spec.get("min"), max=spec.get("max"), **_common(spec))


def _freshness(value: Any, base_dir: Path, where: str) -> Expectation:
    ex = "{column: updated_at, max_age: 1d}"
    spec = _spec(value, kind="freshness", where=where, short=None, example=ex)
    check_keys(spec, ["column", "max_age", *_COMMON], where=where)
    from winnow.validation.table_checks import Freshness

    max_age = _require(spec, "max_age", where=where, example=ex)
    return Freshness(
        _column(spec, where=where, example=ex), max_age=str(max_age), **_common(spec)
    )


def _references(value: Any, base_dir: Path, where: str) -> Expectation:
    ex = "{column: carrier, file: airlines.csv, table_column: carrier}"
    spec = _spec(value, kind="references", where=where, short=None, example=ex)
    allowed = ["column", "columns", "file", "table", "table_column", "table_columns", *_COMMON]
    check_keys(spec, allowed, where=where)
    if ("file" in spec) == ("table" in spec):
        raise DefinitionError(
            f"{where}: give exactly one of file: (a path, relative to the suite file) or "
            f"table: (the name of a table given at validation, e.g. a dataset input); e.g. {ex}"
        )
    if "file" in spec:
        path = Path(str(spec["file"]))
        target: str | Path = path if path.is_absolute() else base_dir / path
    else:
        target = str(spec["table"])
    if "table_column" in spec and "table_columns" in spec:
        raise DefinitionError(f"{where}: give table_column: or table_columns:, not both")
    other = spec.get("table_columns", spec.get("table_column"))
    return References(
        _columns(spec, where=where, example=ex),
        table=target,
        table_columns=other,
        **_common(spec),
    )


EXPECTATION_KINDS: dict[str, Callable[[Any, Path, str], Expectation]] = {
    "column_type": _column_type,
    "not_null": _not_null,
    "unique": _unique,
    "in_range": _in_range,
    "in_set": _in_set,
    "matches_regex": _matches_regex,
    "length": _length,
    "row_count": _row_count,
    "freshness": _freshness,
    "references": _references,
}
"""YAML expectation kind -> builder of the matching :class:`Expectation`."""


def _now_text(value: Any) -> Any:
    # YAML reads an unquoted ISO time as a datetime, a date as a date
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


def suite_from_dict(
    spec: Any,
    *,
    base_dir: str | os.PathLike[str] = ".",
    where: str = "expectations",
    lines: _Lines | None = None,
) -> ExpectationSuite:
    """Build a suite from its mapping form (or a bare list of expectations)."""
    base = Path(base_dir)
    if isinstance(spec, list):
        spec = {"expectations": spec}
    if not isinstance(spec, Mapping):
        raise DefinitionError(
            f"{where}: expected a mapping with an expectations: list, found "
            f"{type(spec).__name__}; e.g. {{expectations: [{{not_null: id}}]}}"
        )
    unknown = [k for k in spec if k not in ("name", "on_fail", "now", "expectations")]
    if unknown:
        at = lines.key(None, unknown[0]) if lines else ""
        raise DefinitionError(
            f"{where}{at}: unknown key {unknown[0]!r}; allowed: name, on_fail, now, expectations"
        )
    on_fail = spec.get("on_fail", "fail")
    if on_fail not in ON_FAIL:
        at = lines.key(None, "on_fail") if lines else ""
        raise DefinitionError(
            f"{where}{at}: on_fail {on_fail!r} is not one of {', '.join(ON_FAIL)}"
        )
    items = spec.get("expectations")
    if not isinstance(items, list) or not items:
        at = lines.key(None, "expectations") if lines else ""
        raise DefinitionError(
            f"{where}{at}: needs a non-empty expectations: list, e.g. "
            f"expectations: [{{not_null: id}}, {{unique: [id]}}]"
        )
    built: list[Expectation] = []
    for index, item in enumerate(items):
        at = lines.item(index) if lines else ""
        if not isinstance(item, Mapping) or len(item) != 1:
            raise DefinitionError(
                f"{where}{at}, expectations[{index}]: each expectation is a mapping with one "
                f"key, its kind ({', '.join(EXPECTATION_KINDS)}), found {item!r}; e.g. "
                f"- not_null: id"
            )
        ((kind, value),) = item.items()
        if kind not in EXPECTATION_KINDS:
            raise DefinitionError(
                f"{where}{at}, expectations[{index}]: unknown expectation kind {kind!r}; use one "
                f"of {', '.join(EXPECTATION_KINDS)}"
            )
        label = f"{where}{at}, expectations[{index}] ({kind})"
        try:
            built.append(EXPECTATION_KINDS[kind](value, base, label))
        except DefinitionError as exc:
            message = str(exc)
            if lines is not None and isinstance(value, Mapping):
                for key in value:
                    if f"'{key}'" in message:
                        message = message.replace(label, f"{where}{lines.key(index, key)}, "
                                                  f"expectations[{index}] ({kind})", 1)
                        break
            raise DefinitionError(
                message if message.startswith(where) else f"{label}: {message}"
            ) from exc
    try:
        return ExpectationSuite(
            built,
            on_fail=on_fail,
            name=str(spec.get("name", "expectations")),
            now=_now_text(spec.get("now")),
        )
    except DefinitionError as exc:
        raise DefinitionError(f"{where}: {exc}") from exc


class _Lines:
    """Line numbers (1-based) of a suite file's keys and expectation items."""

    def __init__(self, node: Any) -> None:
        import yaml

        self.top: dict[str, int] = {}
        self.items: list[int] = []
        self.item_keys: list[dict[str, int]] = []
        items_node = None
        if isinstance(node, yaml.MappingNode):
            for key, val in node.value:
                self.top[str(key.value)] = key.start_mark.line + 1
                if key.value == "expectations":
                    items_node = val
        elif isinstance(node, yaml.SequenceNode):
            items_node = node
        if isinstance(items_node, yaml.SequenceNode):
            for item in items_node.value:
                self.items.append(item.start_mark.line + 1)
                keys: dict[str, int] = {}
                if isinstance(item, yaml.MappingNode) and item.value:
                    spec = item.value[0][1]
                    if isinstance(spec, yaml.MappingNode):
                        for key, _ in spec.value:
                            keys[str(key.value)] = key.start_mark.line + 1
                self.item_keys.append(keys)

    def item(self, index: int) -> str:
        """`` line N`` of expectation ``index``."""
        return f" line {self.items[index]}" if index < len(self.items) else ""

    def key(self, index: int | None, key: str) -> str:
        """`` line N`` of a key (top-level when ``index`` is None), else of its item."""
        if index is None:
            return f" line {self.top[key]}" if key in self.top else ""
        if index < len(self.item_keys) and key in self.item_keys[index]:
            return f" line {self.item_keys[index][key]}"
        return self.item(index)


def load_expectations(path: str | os.PathLike[str]) -> ExpectationSuite:
    """Read an expectation suite from a YAML file (the format above).

    Errors name the file, the line and the key at fault, and what to write instead.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "orders.expect.yaml"
    >>> _ = path.write_text("on_fail: warn\\nexpectations:\\n  - not_null: id\\n"
    ...                     "  - in_range: {column: amount, min: 0}\\n")
    >>> suite = load_expectations(path)
    >>> [(e.name, suite.action(e)) for e in suite]
    [('not_null(id)', 'warn'), ('in_range(amount)', 'warn')]
    """
    import yaml

    file = Path(path)
    if not file.is_file():
        raise SourceError(f"no such expectations file: {os.fspath(file)!r}; check the path")
    text = file.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError(
            f"{os.fspath(file)}{at}: not valid YAML ({problem}); check the indentation and "
            f"quote values containing ':' or '#'"
        ) from exc
    return suite_from_dict(
        spec, base_dir=file.parent, where=os.fspath(file), lines=_Lines(node)
    )
