"""A small, safe parser and evaluator for Airtable's ``filterByFormula``.

No ``eval``: the text is tokenised, parsed into a tiny AST by recursive descent and
interpreted. It covers the operators and functions that pyairtable's formula builders emit
(``EQ``/``AND``/``match()``/``Field``/``DATETIME_PARSE`` …) plus common text, logic,
date and array functions.

Value model: text is ``str``, numbers ``int``/``float``, booleans ``bool`` (they behave as
1/0 like Airtable's ``TRUE()``), dates ``datetime`` (UTC), multi-value cells ``list`` and
blank ``None``. A runtime problem (e.g. dividing by zero) is Airtable's ``#ERROR``: the
record simply does not match.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from .ids import format_timestamp, parse_timestamp

SYNTAX_ERROR_DETAIL = "Invalid formula. Please check your formula text."
COMPARISON_OPERATORS = ("=", "!=", "<>", "<", ">", "<=", ">=")
# Longest operators first so "<=" is not read as "<" followed by "=".
OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">", "&", "+", "-", "*", "/")
STRING_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
NUMBER_PATTERN = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
IDENT_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class FormulaError(Exception):
    """The formula cannot be used at all (→ 422 INVALID_FILTER_BY_FORMULA)."""

    def __init__(self, detail: str = SYNTAX_ERROR_DETAIL) -> None:
        super().__init__(detail)
        self.detail = detail


class FormulaRuntimeError(Exception):
    """Airtable's ``#ERROR`` for one record; that record does not match."""


class RecordContext(Protocol):
    """What the evaluator needs to know about the record being tested."""

    record_id: str
    created_time: datetime
    now: datetime

    def field_value(self, name: str) -> Any: ...

    def last_modified_time(self, field_names: Sequence[str] | None) -> datetime | None: ...


# --------------------------------------------------------------------------- tokens / AST


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, field, ident, op, lparen, rparen, comma, end
    value: Any
    position: int


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class FieldRef:
    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Binary:
    operator: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Negate:
    operand: Node


Node = Literal | FieldRef | Call | Binary | Negate


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char == "{":
            name, index = _read_field_name(text, index)
            tokens.append(Token("field", name, index))
        elif char in "'\"":
            value, index = _read_string(text, index)
            tokens.append(Token("string", value, index))
        elif char.isdigit() or (char == "." and text[index + 1 : index + 2].isdigit()):
            match = NUMBER_PATTERN.match(text, index)
            assert match is not None  # guarded by the digit check above
            number = float(match.group())
            tokens.append(Token("number", int(number) if number.is_integer() else number, index))
            index = match.end()
        elif match := IDENT_PATTERN.match(text, index):
            tokens.append(Token("ident", match.group().upper(), index))
            index = match.end()
        elif char in "(),":
            kind = {"(": "lparen", ")": "rparen", ",": "comma"}[char]
            tokens.append(Token(kind, char, index))
            index += 1
        else:
            operator = next((op for op in OPERATORS if text.startswith(op, index)), None)
            if operator is None:
                raise FormulaError()
            tokens.append(Token("op", operator, index))
            index += len(operator)
    tokens.append(Token("end", None, len(text)))
    return tokens


def _read_field_name(text: str, start: int) -> tuple[str, int]:
    """Read ``{Field Name}``; ``\\}`` is an escaped brace (pyairtable escapes it so)."""
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and text[index + 1 : index + 2] == "}":
            chars.append("}")
            index += 2
        elif char == "}":
            if not chars:
                raise FormulaError()
            return "".join(chars), index + 1
        else:
            chars.append(char)
            index += 1
    raise FormulaError()


def _read_string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            escaped = text[index + 1]
            chars.append(STRING_ESCAPES.get(escaped, escaped))
            index += 2
        elif char == quote:
            return "".join(chars), index + 1
        else:
            chars.append(char)
            index += 1
    raise FormulaError()


class _Parser:
    """Recursive descent; precedence low→high: comparison, ``&``, ``+ -``, ``* /``, unary."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def parse(self) -> Node:
        node = self.comparison()
        if self.peek().kind != "end":
            raise FormulaError()
        return node

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, kind: str) -> Token:
        if self.peek().kind != kind:
            raise FormulaError()
        return self.advance()

    def _binary_level(self, operators: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        node = operand()
        while self.peek().kind == "op" and self.peek().value in operators:
            operator = self.advance().value
            node = Binary(operator, node, operand())
        return node

    def comparison(self) -> Node:
        return self._binary_level(COMPARISON_OPERATORS, self.concat)

    def concat(self) -> Node:
        return self._binary_level(("&",), self.additive)

    def additive(self) -> Node:
        return self._binary_level(("+", "-"), self.term)

    def term(self) -> Node:
        return self._binary_level(("*", "/"), self.unary)

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.value in ("-", "+"):
            self.advance()
            operand = self.unary()
            return Negate(operand) if token.value == "-" else operand
        return self.primary()

    def primary(self) -> Node:
        token = self.advance()
        if token.kind in ("number", "string"):
            return Literal(token.value)
        if token.kind == "field":
            return FieldRef(token.value)
        if token.kind == "lparen":
            node = self.comparison()
            self.expect("rparen")
            return node
        if token.kind == "ident":
            return self.call_or_constant(token.value)
        raise FormulaError()

    def call_or_constant(self, name: str) -> Node:
        if self.peek().kind != "lparen":
            if name in ("TRUE", "FALSE"):
                return Literal(name == "TRUE")
            raise FormulaError()
        self.advance()
        args: list[Node] = []
        if self.peek().kind != "rparen":
            args.append(self.comparison())
            while self.peek().kind == "comma":
                self.advance()
                args.append(self.comparison())
        self.expect("rparen")
        _check_call(name, len(args))
        return Call(name, tuple(args))


# --------------------------------------------------------------------------- coercions


def to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, list):
        return ", ".join(to_text(item) for item in value if item not in (None, ""))
    return str(value)


def to_number(value: Any) -> float:
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, list) and len(value) == 1:
        return to_number(value[0])
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return 0
        try:
            return float(stripped)
        except ValueError:
            raise FormulaRuntimeError(f"not a number: {value!r}") from None
    raise FormulaRuntimeError(f"not a number: {value!r}")


def to_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, list) and len(value) == 1:
        return to_datetime(value[0])
    if isinstance(value, str):
        parsed = parse_timestamp(value)
        if parsed is None:
            raise FormulaRuntimeError(f"not a date: {value!r}")
        return parsed
    raise FormulaRuntimeError(f"not a date: {value!r}")


def truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (bool, int, float)):
        return value != 0
    if isinstance(value, (str, list)):
        return len(value) > 0
    return True


def _apply_comparison(operator: str, left: Any, right: Any) -> bool:
    if operator == "=":
        return bool(left == right)
    if operator in ("!=", "<>"):
        return bool(left != right)
    if operator == "<":
        return bool(left < right)
    if operator == ">":
        return bool(left > right)
    if operator == "<=":
        return bool(left <= right)
    return bool(left >= right)


def _scalar(value: Any) -> Any:
    if isinstance(value, list):
        return to_text(value) if len(value) != 1 else _scalar(value[0])
    if isinstance(value, bool):
        return int(value)
    return value


def _maybe_number(value: Any) -> float | None:
    if value is None:
        return 0
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value.strip()) if isinstance(value, str) and value.strip() else 0
    except ValueError:
        return None


def _maybe_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return parse_timestamp(value)
    return None


def compare(operator: str, left: Any, right: Any) -> bool:
    """Airtable-like comparison: dates compare as instants, numbers numerically, else text."""
    left, right = _scalar(left), _scalar(right)
    if isinstance(left, datetime) or isinstance(right, datetime):
        left_dt, right_dt = _maybe_datetime(left), _maybe_datetime(right)
        if left_dt is None or right_dt is None:
            both_blank = left_dt is None and right_dt is None
            if operator == "=":
                return both_blank
            return not both_blank if operator in ("!=", "<>") else False
        return _apply_comparison(operator, left_dt, right_dt)
    if isinstance(left, (int, float)) or isinstance(right, (int, float)):
        left_num, right_num = _maybe_number(left), _maybe_number(right)
        if left_num is not None and right_num is not None:
            return _apply_comparison(operator, left_num, right_num)
    return _apply_comparison(operator, to_text(left), to_text(right))


def _arithmetic(operator: str, left: Any, right: Any) -> float:
    left_num, right_num = to_number(left), to_number(right)
    if operator == "+":
        result = left_num + right_num
    elif operator == "-":
        result = left_num - right_num
    elif operator == "*":
        result = left_num * right_num
    else:
        if right_num == 0:
            raise FormulaRuntimeError("#DIV/0!")
        result = left_num / right_num
    return int(result) if float(result).is_integer() else result


# --------------------------------------------------------------------------- dates

_UNIT_ALIASES = {
    "ms": "milliseconds",
    "millisecond": "milliseconds",
    "milliseconds": "milliseconds",
    "s": "seconds",
    "second": "seconds",
    "seconds": "seconds",
    "m": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
    "w": "weeks",
    "week": "weeks",
    "weeks": "weeks",
    "M": "months",
    "month": "months",
    "months": "months",
    "Q": "quarters",
    "quarter": "quarters",
    "quarters": "quarters",
    "y": "years",
    "year": "years",
    "years": "years",
}
_FIXED_UNIT_SECONDS = {
    "milliseconds": 0.001,
    "seconds": 1,
    "minutes": 60,
    "hours": 3600,
    "days": 86400,
    "weeks": 604800,
}
_MONTHS_PER_UNIT = {"months": 1, "quarters": 3, "years": 12}
# moment.js tokens (Airtable's date formats) → strptime/strftime directives.
_MOMENT_TOKENS = (
    ("YYYY", "%Y"),
    ("YY", "%y"),
    ("MMMM", "%B"),
    ("MMM", "%b"),
    ("MM", "%m"),
    ("M", "%m"),
    ("DD", "%d"),
    ("D", "%d"),
    ("HH", "%H"),
    ("H", "%H"),
    ("hh", "%I"),
    ("h", "%I"),
    ("mm", "%M"),
    ("ss", "%S"),
    ("SSS", "%f"),
    ("A", "%p"),
    ("a", "%p"),
    ("Z", "%z"),
)


def _unit(value: Any) -> str:
    text = to_text(value).strip()
    unit = _UNIT_ALIASES.get(text) or _UNIT_ALIASES.get(text.lower())
    if unit is None:
        raise FormulaRuntimeError(f"unknown unit {text!r}")
    return unit


def _moment_to_strftime(pattern: str) -> str:
    result: list[str] = []
    index = 0
    while index < len(pattern):
        token = next((t for t in _MOMENT_TOKENS if pattern.startswith(t[0], index)), None)
        if token is None:
            result.append(pattern[index].replace("%", "%%"))
            index += 1
        else:
            result.append(token[1])
            index += len(token[0])
    return "".join(result)


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _date_add(moment: datetime, count: float, unit: str) -> datetime:
    if unit in _MONTHS_PER_UNIT:
        return _add_months(moment, int(count) * _MONTHS_PER_UNIT[unit])
    return moment + timedelta(seconds=count * _FIXED_UNIT_SECONDS[unit])


def _date_diff(first: datetime, second: datetime, unit: str) -> int:
    if unit in _MONTHS_PER_UNIT:
        months = (first.year - second.year) * 12 + (first.month - second.month)
        return int(months / _MONTHS_PER_UNIT[unit])
    return int((first - second).total_seconds() / _FIXED_UNIT_SECONDS[unit])


def _truncate(moment: datetime, unit: str) -> datetime:
    if unit in ("years", "quarters"):
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "months":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit in ("weeks", "days"):
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "hours":
        return moment.replace(minute=0, second=0, microsecond=0)
    if unit == "minutes":
        return moment.replace(second=0, microsecond=0)
    return moment.replace(microsecond=(moment.microsecond // 1000) * 1000)


def _datetime_parse(text: Any, pattern: Any = None) -> datetime | None:
    if isinstance(text, datetime) or text is None:
        return text
    raw = to_text(text).strip()
    if not raw:
        return None
    if pattern is None or to_text(pattern) in ("", "YYYY-MM-DD", "YYYY-MM-DDTHH:mm:ss.SSSZ"):
        return to_datetime(raw)
    fmt = to_text(pattern)
    if fmt in ("x", "X"):
        seconds = to_number(raw) / (1000 if fmt == "x" else 1)
        return datetime.fromtimestamp(seconds, tz=UTC)
    try:
        parsed = datetime.strptime(raw, _moment_to_strftime(fmt))
    except ValueError:
        raise FormulaRuntimeError(f"cannot parse {raw!r} as {fmt!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _datetime_format(value: Any, pattern: Any = None) -> str | None:
    moment = to_datetime(value)
    if moment is None:
        return None
    if pattern is None:
        return format_timestamp(moment)
    return moment.strftime(_moment_to_strftime(to_text(pattern)))


# --------------------------------------------------------------------------- functions

Values = list[Any]


def _find(needle: Any, haystack: Any, start: Any = 1) -> int:
    return to_text(haystack).find(to_text(needle), max(int(to_number(start)) - 1, 0)) + 1


def _search(needle: Any, haystack: Any, start: Any = 1) -> int | None:
    position = _find(to_text(needle).lower(), to_text(haystack).lower(), start)
    return position or None


def _substitute(text: Any, old: Any, new: Any, index: Any = None) -> str:
    source, old_text, new_text = to_text(text), to_text(old), to_text(new)
    if not old_text:
        return source
    if index is None:
        return source.replace(old_text, new_text)
    occurrence = int(to_number(index))
    parts = source.split(old_text)
    if occurrence < 1 or occurrence >= len(parts):
        return source
    head = old_text.join(parts[:occurrence])
    return head + new_text + old_text.join(parts[occurrence:])


def _regex(pattern: Any) -> re.Pattern[str]:
    try:
        return re.compile(to_text(pattern))
    except re.error as exc:
        raise FormulaRuntimeError(f"invalid regex: {exc}") from None


def _regex_extract(text: Any, pattern: Any) -> str | None:
    match = _regex(pattern).search(to_text(text))
    return match.group() if match else None


def _regex_replace(text: Any, pattern: Any, replacement: Any) -> str:
    literal = to_text(replacement)
    return _regex(pattern).sub(lambda _match: literal, to_text(text))


def _round(value: Any, places: Any = 0) -> float:
    # Airtable rounds half away from zero (Python's round() is banker's rounding).
    factor = 10 ** int(to_number(places))
    number = to_number(value) * factor
    rounded = math.floor(abs(number) + 0.5) * (1 if number >= 0 else -1) / factor
    return int(rounded) if float(rounded).is_integer() else rounded


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _array_join(values: Any, separator: Any = ", ") -> str:
    return to_text(separator).join(to_text(item) for item in _as_list(values))


def _is_after(left: Any, right: Any) -> bool:
    left_dt, right_dt = to_datetime(left), to_datetime(right)
    return left_dt is not None and right_dt is not None and left_dt > right_dt


def _is_before(left: Any, right: Any) -> bool:
    left_dt, right_dt = to_datetime(left), to_datetime(right)
    return left_dt is not None and right_dt is not None and left_dt < right_dt


def _is_same(left: Any, right: Any, unit: Any = None) -> bool:
    left_dt, right_dt = to_datetime(left), to_datetime(right)
    if left_dt is None or right_dt is None:
        return False
    granularity = "milliseconds" if unit is None else _unit(unit)
    return _truncate(left_dt, granularity) == _truncate(right_dt, granularity)


def _dateadd(value: Any, count: Any, unit: Any) -> datetime | None:
    moment = to_datetime(value)
    return None if moment is None else _date_add(moment, to_number(count), _unit(unit))


def _datetime_diff(first: Any, second: Any, unit: Any = "seconds") -> int | None:
    first_dt, second_dt = to_datetime(first), to_datetime(second)
    if first_dt is None or second_dt is None:
        return None
    return _date_diff(first_dt, second_dt, _unit(unit))


def _date_part(part: str) -> Callable[[Any], int | None]:
    def extract(value: Any) -> int | None:
        moment = to_datetime(value)
        return None if moment is None else getattr(moment, part)

    return extract


def _numbers(values: Values) -> list[float]:
    flat = [item for value in values for item in _as_list(value)]
    return [to_number(item) for item in flat if item not in (None, "")]


def _mod(value: Any, divisor: Any) -> float:
    divisor_num = to_number(divisor)
    if divisor_num == 0:
        raise FormulaRuntimeError("#DIV/0!")
    return math.fmod(to_number(value), divisor_num)


@dataclass(frozen=True)
class FunctionSpec:
    min_args: int
    max_args: int | None  # None = variadic
    impl: Callable[..., Any]


# Eager functions: called with evaluated argument values.
FUNCTIONS: dict[str, FunctionSpec] = {
    "TRUE": FunctionSpec(0, 0, lambda: True),
    "FALSE": FunctionSpec(0, 0, lambda: False),
    "BLANK": FunctionSpec(0, 0, lambda: None),
    "AND": FunctionSpec(1, None, lambda *v: all(truthy(x) for x in v)),
    "OR": FunctionSpec(1, None, lambda *v: any(truthy(x) for x in v)),
    "XOR": FunctionSpec(1, None, lambda *v: sum(truthy(x) for x in v) % 2 == 1),
    "NOT": FunctionSpec(1, 1, lambda v: not truthy(v)),
    "LOWER": FunctionSpec(1, 1, lambda v: to_text(v).lower()),
    "UPPER": FunctionSpec(1, 1, lambda v: to_text(v).upper()),
    "TRIM": FunctionSpec(1, 1, lambda v: to_text(v).strip()),
    "LEN": FunctionSpec(1, 1, lambda v: len(to_text(v))),
    "CONCATENATE": FunctionSpec(1, None, lambda *v: "".join(to_text(x) for x in v)),
    "LEFT": FunctionSpec(2, 2, lambda s, n: to_text(s)[: max(int(to_number(n)), 0)]),
    "RIGHT": FunctionSpec(
        2, 2, lambda s, n: to_text(s)[-int(to_number(n)) :] if int(to_number(n)) > 0 else ""
    ),
    "MID": FunctionSpec(
        3,
        3,
        lambda s, start, count: to_text(s)[
            max(int(to_number(start)) - 1, 0) : max(int(to_number(start)) - 1, 0)
            + max(int(to_number(count)), 0)
        ],
    ),
    "FIND": FunctionSpec(2, 3, _find),
    "SEARCH": FunctionSpec(2, 3, _search),
    "SUBSTITUTE": FunctionSpec(3, 4, _substitute),
    "REPT": FunctionSpec(2, 2, lambda s, n: to_text(s) * max(int(to_number(n)), 0)),
    "VALUE": FunctionSpec(1, 1, to_number),
    "T": FunctionSpec(1, 1, lambda v: v if isinstance(v, str) else None),
    "REGEX_MATCH": FunctionSpec(2, 2, lambda s, p: _regex(p).search(to_text(s)) is not None),
    "REGEX_EXTRACT": FunctionSpec(2, 2, _regex_extract),
    "REGEX_REPLACE": FunctionSpec(3, 3, _regex_replace),
    "ARRAYJOIN": FunctionSpec(1, 2, _array_join),
    "ARRAYCOMPACT": FunctionSpec(1, 1, lambda v: [x for x in _as_list(v) if x not in (None, "")]),
    "ARRAYUNIQUE": FunctionSpec(1, 1, lambda v: list(dict.fromkeys(_as_list(v)))),
    "IS_AFTER": FunctionSpec(2, 2, _is_after),
    "IS_BEFORE": FunctionSpec(2, 2, _is_before),
    "IS_SAME": FunctionSpec(2, 3, _is_same),
    "DATETIME_PARSE": FunctionSpec(1, 3, lambda s, fmt=None, _locale=None: _datetime_parse(s, fmt)),
    "DATETIME_FORMAT": FunctionSpec(1, 2, _datetime_format),
    "DATEADD": FunctionSpec(3, 3, _dateadd),
    "DATETIME_DIFF": FunctionSpec(2, 3, _datetime_diff),
    "YEAR": FunctionSpec(1, 1, _date_part("year")),
    "MONTH": FunctionSpec(1, 1, _date_part("month")),
    "DAY": FunctionSpec(1, 1, _date_part("day")),
    "HOUR": FunctionSpec(1, 1, _date_part("hour")),
    "MINUTE": FunctionSpec(1, 1, _date_part("minute")),
    "SECOND": FunctionSpec(1, 1, _date_part("second")),
    "ABS": FunctionSpec(1, 1, lambda v: abs(to_number(v))),
    "ROUND": FunctionSpec(1, 2, _round),
    "INT": FunctionSpec(1, 1, lambda v: math.floor(to_number(v))),
    "MOD": FunctionSpec(2, 2, _mod),
    "MIN": FunctionSpec(1, None, lambda *v: min(_numbers(list(v)), default=0)),
    "MAX": FunctionSpec(1, None, lambda *v: max(_numbers(list(v)), default=0)),
    "SUM": FunctionSpec(1, None, lambda *v: sum(_numbers(list(v)))),
}

# Functions that need the record context or unevaluated arguments.
CONTEXT_FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "IF": (2, 3),
    "ISERROR": (1, 1),
    "RECORD_ID": (0, 0),
    "CREATED_TIME": (0, 0),
    "LAST_MODIFIED_TIME": (0, None),
    "NOW": (0, 0),
    "TODAY": (0, 0),
}


def _check_call(name: str, arg_count: int) -> None:
    if name in FUNCTIONS:
        spec = FUNCTIONS[name]
        bounds = (spec.min_args, spec.max_args)
    elif name in CONTEXT_FUNCTIONS:
        bounds = CONTEXT_FUNCTIONS[name]
    else:
        raise FormulaError(f"Unknown function names: {name}")
    low, high = bounds
    if arg_count < low or (high is not None and arg_count > high):
        raise FormulaError()


# --------------------------------------------------------------------------- evaluation


class _Evaluator:
    def __init__(self, ctx: RecordContext) -> None:
        self.ctx = ctx

    def eval(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, FieldRef):
            return self.ctx.field_value(node.name)
        if isinstance(node, Negate):
            return _arithmetic("-", 0, self.eval(node.operand))
        if isinstance(node, Binary):
            return self.binary(node)
        return self.call(node)

    def binary(self, node: Binary) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        if node.operator in COMPARISON_OPERATORS:
            return compare(node.operator, left, right)
        if node.operator == "&":
            return to_text(left) + to_text(right)
        return _arithmetic(node.operator, left, right)

    def call(self, node: Call) -> Any:
        if node.name in FUNCTIONS:
            return FUNCTIONS[node.name].impl(*(self.eval(arg) for arg in node.args))
        return self.context_call(node)

    def context_call(self, node: Call) -> Any:
        name, args = node.name, node.args
        if name == "IF":
            if truthy(self.eval(args[0])):
                return self.eval(args[1])
            return self.eval(args[2]) if len(args) > 2 else None
        if name == "ISERROR":
            try:
                self.eval(args[0])
            except FormulaRuntimeError:
                return True
            return False
        if name == "RECORD_ID":
            return self.ctx.record_id
        if name == "CREATED_TIME":
            return self.ctx.created_time
        if name == "NOW":
            return self.ctx.now
        if name == "TODAY":
            return self.ctx.now.replace(hour=0, minute=0, second=0, microsecond=0)
        # LAST_MODIFIED_TIME({a}, {b}) restricts to those fields; no args = any field.
        names = [arg.name for arg in args if isinstance(arg, FieldRef)]
        return self.ctx.last_modified_time(names or None)


def _field_names(node: Node) -> set[str]:
    if isinstance(node, FieldRef):
        return {node.name}
    if isinstance(node, Binary):
        return _field_names(node.left) | _field_names(node.right)
    if isinstance(node, Negate):
        return _field_names(node.operand)
    if isinstance(node, Call):
        return set().union(*(_field_names(arg) for arg in node.args)) if node.args else set()
    return set()


class Formula:
    """A parsed ``filterByFormula``; raises :class:`FormulaError` for invalid text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.root = _Parser(tokenize(text)).parse()
        self._check_last_modified_args(self.root)
        self.field_names = _field_names(self.root)

    def _check_last_modified_args(self, node: Node) -> None:
        if isinstance(node, Call):
            if node.name == "LAST_MODIFIED_TIME" and not all(
                isinstance(arg, FieldRef) for arg in node.args
            ):
                raise FormulaError()
            for arg in node.args:
                self._check_last_modified_args(arg)
        elif isinstance(node, Binary):
            self._check_last_modified_args(node.left)
            self._check_last_modified_args(node.right)
        elif isinstance(node, Negate):
            self._check_last_modified_args(node.operand)

    def evaluate(self, ctx: RecordContext) -> Any:
        return _Evaluator(ctx).eval(self.root)

    def matches(self, ctx: RecordContext) -> bool:
        try:
            return truthy(self.evaluate(ctx))
        except (FormulaRuntimeError, ArithmeticError, ValueError, OverflowError):
            return False  # Airtable's #ERROR: the record is not included
