"""The issue-code catalogue lists every code the source emits, once, with Chinese text a person can act on.

The scan reads the source with ``ast``. A code is emitted where an ``Issue(...)`` is built (its ``code``) or a
``Parsed(...)`` (its ``warning_code``, which validate turns into an Issue), or where a function that passes one of
its own parameters on to such a place is called (``_reject(file_name, "not_excel", …)``, ``out.add(ERROR,
"wrong_year", …)``, ``_accept(value, notes, warning, ESTIMATE)``). Where the code is not a literal, the scan follows
it: a conditional or ``or`` expression, a local variable (also in tuple assignments), a module-level or imported
string constant, a module-level dict looked up with ``.get(key, default)`` or ``[key]``, an item of the tuples a
function returns (``*_sniff_kind(data)``). ``parsed.warning_code`` adds nothing: its values are found where each
Parsed is built. A code the scan cannot follow fails the test unless its site is one of PASS_THROUGH.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from pipeline import issue_codes
from pipeline.demo.defects import DEFECTS
from pipeline.issue_codes import ANALYST, BY_CODE, GROUP_TITLES, ISSUE_CODES, UNIT, IssueCode
from pipeline.issues import ERROR, WARNING

REPO = Path(__file__).resolve().parent.parent
SCANNED = ("pipeline", "queries", "app_pages", "dashboard")
CODE_SHAPE = re.compile(r"[a-z]+(_[a-z0-9]+)*")
# Where a code is handed over: callable -> (position of the argument or None when keyword-only, keyword, the
# value when the argument is left out, None when it is required).
NO_CODE = ast.Constant(None)
SEED_EMITTERS = {"Issue": (1, "code", None), "Parsed": (None, "warning_code", NO_CODE)}
# Sites that rebuild issues already recorded, so the code is whatever was stored: (file, enclosing function).
PASS_THROUGH = {
    ("pipeline/load.py", "recorded_issues"),  # issues read back from submission_issues
    ("pipeline/load.py", "recorded_issues_of"),  # the same, for several known files in two queries
    ("pipeline/report.py", "issues_to_json"),  # issues given as dicts (from the warehouse or another process)
    ("pipeline/sandbox_worker.py", "decode_issues"),  # issues sent back by the reading worker process
}
Emitters = dict[str, tuple[int | None, str, ast.expr | None]]


@dataclass(frozen=True)
class Site:
    path: str
    line: int
    function: str  # the enclosing function, "" at module level
    expression: str  # the code argument as written


@dataclass
class _Module:
    path: str
    tree: ast.Module
    parents: dict[ast.AST, ast.AST]
    dicts: dict[str, ast.Dict]  # module-level NAME = {...}
    constants: dict[str, ast.expr]  # other module-level NAME = value
    imported: dict[str, tuple[str, str]]  # NAME -> (module, name) for `from pipeline.x import NAME`


def _module(path: Path, root: Path = REPO) -> _Module:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    assigned = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    imported = {
        alias.asname or alias.name: (node.module, alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline")
        for alias in node.names
    }
    dicts = {name: value for name, value in assigned.items() if isinstance(value, ast.Dict)}
    constants = {name: value for name, value in assigned.items() if not isinstance(value, ast.Dict)}
    return _Module(path.relative_to(root).as_posix(), tree, parents, dicts, constants, imported)


@cache
def _repo_module(dotted: str) -> _Module | None:
    path = REPO / Path(*dotted.split(".")).with_suffix(".py")
    return _module(path) if path.is_file() else None


def _enclosing_function(module: _Module, node: ast.AST) -> ast.FunctionDef | None:
    while node in module.parents:
        node = module.parents[node]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node
    return None


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _parameters(function: ast.FunctionDef) -> list[str]:
    names = [a.arg for a in function.args.posonlyargs + function.args.args]
    return names[1:] if names and names[0] in ("self", "cls") else names


def _code_argument(call: ast.Call, where: tuple[int | None, str, ast.expr | None]) -> ast.expr | None:
    """The expression giving the code; for ``f(name, *kind())`` a Subscript ``kind()[k]`` of the unpacked call;
    the parameter's default when the call leaves it out (None when there is none: the code is unknown)."""
    position, keyword, default = where
    for given in call.keywords:
        if given.arg == keyword:
            return given.value
    if any(given.arg is None for given in call.keywords):
        return None  # **mapping: anything
    for index, arg in enumerate(call.args[: (position or 0) + 1] if position is not None else ()):
        if isinstance(arg, ast.Starred):
            offset = ast.Constant(position - index)
            return ast.Subscript(arg.value, offset) if isinstance(arg.value, ast.Call) else None
    if position is not None and len(call.args) > position:
        return call.args[position]
    return default


def _default(function: ast.FunctionDef, name: str) -> ast.expr | None:
    """The default value of a parameter, None when it has none."""
    arguments = function.args
    positional = [a.arg for a in arguments.posonlyargs + arguments.args]
    with_defaults = positional[len(positional) - len(arguments.defaults) :]
    defaults = dict(zip(with_defaults, arguments.defaults, strict=True))
    defaults |= {a.arg: d for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True) if d is not None}
    return defaults.get(name)


def _emitters(module: _Module) -> Emitters:
    """Issue, Parsed, and the module's functions that pass one of their parameters on as a code."""
    emitters: Emitters = dict(SEED_EMITTERS)
    functions = [n for n in ast.walk(module.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    changed = True
    while changed:
        changed = False
        for function in functions:
            params = _parameters(function)
            if function.name in emitters:
                continue
            for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
                where = emitters.get(_called_name(call) or "")
                argument = _code_argument(call, where) if where else None
                if isinstance(argument, ast.Name) and argument.id in params:
                    name = argument.id
                    emitters[function.name] = (params.index(name), name, _default(function, name))
                    changed = True
                    break
    return emitters


def _forwarded(argument: ast.expr | None, function: ast.FunctionDef | None, emitters: Emitters) -> bool:
    """The call passes on the enclosing function's own code parameter: its callers are scanned instead."""
    if function is None or function.name not in emitters or not isinstance(argument, ast.Name):
        return False
    return argument.id == emitters[function.name][1]


def _returned_items(module: _Module, call: ast.Call, offset: int) -> list[ast.expr] | None:
    """Item ``offset`` of every tuple a module-level function returns, or None if any return is not a tuple."""
    name = _called_name(call)
    function = next((n for n in module.tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if function is None:
        return None
    items = []
    for node in ast.walk(function):
        if isinstance(node, ast.Return):
            if not isinstance(node.value, ast.Tuple) or len(node.value.elts) <= offset:
                return None
            items.append(node.value.elts[offset])
    return items or None


def _dict_values(module: _Module, node: ast.Dict) -> set[str] | None:
    return _union(module, node.values, None)


def _union(module: _Module, expressions: list[ast.expr], function: ast.FunctionDef | None) -> set[str] | None:
    found: set[str] = set()
    for expression in expressions:
        codes = _follow(module, expression, function)
        if codes is None:
            return None
        found |= codes
    return found


def _local_values(function: ast.FunctionDef, name: str) -> list[ast.expr]:
    """Every value assigned to ``name`` in the function, also through ``a = b = …`` and ``x, name = 1, …``."""
    values = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                values.append(node.value)
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs = zip(target.elts, node.value.elts, strict=False)
                values.extend(v for t, v in pairs if isinstance(t, ast.Name) and t.id == name)
    return values


def _follow_name(module: _Module, name: str, function: ast.FunctionDef | None) -> set[str] | None:
    local = _local_values(function, name) if function is not None else []
    if local:
        return _union(module, local, function)
    if name in module.constants:
        return _follow(module, module.constants[name], None)
    if name in module.imported:
        source_name, original = module.imported[name]
        source = _repo_module(source_name)
        return _follow_name(source, original, None) if source is not None else None
    return None


def _follow(module: _Module, expression: ast.expr, function: ast.FunctionDef | None) -> set[str] | None:
    """The codes an expression can take, or None when they cannot be known from the source."""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return {expression.value}
    if isinstance(expression, ast.Constant) and expression.value is None:
        return set()  # no code: a Parsed without a warning
    if isinstance(expression, ast.Attribute) and expression.attr == "warning_code":
        return set()  # found where each Parsed is built
    if isinstance(expression, ast.IfExp):
        return _union(module, [expression.body, expression.orelse], function)
    if isinstance(expression, ast.BoolOp):
        return _union(module, expression.values, function)
    if isinstance(expression, ast.Name):
        return _follow_name(module, expression.id, function)
    if isinstance(expression, ast.Subscript) and isinstance(expression.value, ast.Call):
        offset = expression.slice.value if isinstance(expression.slice, ast.Constant) else None
        items = _returned_items(module, expression.value, offset) if isinstance(offset, int) else None
        return _union(module, items, None) if items is not None else None
    if isinstance(expression, ast.Subscript) and isinstance(expression.value, ast.Name):
        table = module.dicts.get(expression.value.id)
        return _dict_values(module, table) if table is not None else None
    if (
        isinstance(expression, ast.Call)
        and isinstance(expression.func, ast.Attribute)
        and expression.func.attr == "get"
        and isinstance(expression.func.value, ast.Name)
        and expression.func.value.id in module.dicts
        and len(expression.args) == 2
    ):
        values = _dict_values(module, module.dicts[expression.func.value.id])
        default = _follow(module, expression.args[1], function)
        return None if values is None or default is None else values | default
    return None


def emitted_codes() -> tuple[dict[str, list[Site]], list[Site]]:
    """(code -> sites emitting it, sites whose code cannot be followed) over the scanned packages."""
    codes: dict[str, list[Site]] = {}
    unknown: list[Site] = []
    paths = sorted(p for folder in SCANNED for p in (REPO / folder).rglob("*.py")) + [REPO / "app.py"]
    for path in paths:
        module = _module(path)
        emitters = _emitters(module)
        for call in (n for n in ast.walk(module.tree) if isinstance(n, ast.Call)):
            where = emitters.get(_called_name(call) or "")
            if where is None:
                continue
            function = _enclosing_function(module, call)
            argument = _code_argument(call, where)
            if _forwarded(argument, function, emitters):
                continue
            shown = ast.unparse(argument) if argument is not None else ""
            site = Site(module.path, call.lineno, function.name if function else "", shown)
            found = _follow(module, argument, function) if argument is not None else None
            if found is None:
                unknown.append(site)
                continue
            for code in found:
                codes.setdefault(code, []).append(site)
    return codes, unknown


@pytest.fixture(scope="module")
def scan() -> tuple[dict[str, list[Site]], list[Site]]:
    return emitted_codes()


# -- the source against the catalogue ------------------------------------------------------------------


def test_every_emitted_code_is_listed(scan) -> None:
    codes, _ = scan
    unlisted = {code: [f"{s.path}:{s.line}" for s in sites] for code, sites in codes.items() if code not in BY_CODE}
    assert unlisted == {}, "请在 pipeline/issue_codes.py 中登记这些问题代码"


def test_every_code_site_can_be_followed(scan) -> None:
    _, unknown = scan
    left = [s for s in unknown if (s.path, s.function) not in PASS_THROUGH]
    assert left == [], "代码无法从源码确定：请直接写字符串，或把该处列入 PASS_THROUGH 并说明原因"


def test_the_scan_finds_what_is_known_to_be_there(scan) -> None:
    # Guards the scanner itself: one code of each way of emitting it.
    codes, unknown = scan
    assert ("pipeline/read.py", "_corrupt") in {(s.path, s.function) for s in codes["corrupt_file"]}  # _reject(...)
    assert "pipeline/validate.py" in {s.path for s in codes["wrong_year"]}  # out.add(ERROR, "wrong_year", ...)
    assert "pipeline/locate.py" in {s.path for s in codes["missing_table"]}  # Issue(ERROR, "missing_table", ...)
    assert {"estimate", "normalised"} <= set(codes)  # a conditional expression
    assert {"not_a_date", "not_a_bool", "not_text", "not_a_number"} <= set(codes)  # TYPE_CODE.get(type, default)
    assert "pipeline/read.py" in {s.path for s in codes["old_excel_format"]}  # _reject(file_name, *_sniff_kind(data))
    assert ("pipeline/load.py", "recorded_issues") in {(s.path, s.function) for s in unknown}


def test_demo_expectations_use_listed_codes() -> None:
    expected = {code for spec in DEFECTS for code in spec.errors}
    assert expected - set(BY_CODE) == set()


def test_follow_resolves_a_dictionary_lookup(tmp_path: Path) -> None:
    source = (
        'KINDS = {"date": "not_a_date", "bool": "not_a_bool"}\n'
        "def check(kind, out):\n"
        '    code = KINDS.get(kind, "not_a_number")\n'
        '    out.add(ERROR, code, "消息", "修改方法")\n'
        "def add(self, severity, code, message, fix):\n"
        "    self.issues.append(Issue(severity, code, message, fix))\n"
        "def unknowable(row):\n"
        "    return Issue(ERROR, row[1], '', '')\n"
    )
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    module = _module(path, tmp_path)
    emitters = _emitters(module)
    assert emitters == {**SEED_EMITTERS, "add": (1, "code", None)}
    call = next(n for n in ast.walk(module.tree) if isinstance(n, ast.Call) and _called_name(n) == "add")
    function = _enclosing_function(module, call)
    assert _follow(module, _code_argument(call, (1, "code", None)), function) == {
        "not_a_date",
        "not_a_bool",
        "not_a_number",
    }
    last = [n for n in ast.walk(module.tree) if isinstance(n, ast.Call) and _called_name(n) == "Issue"][-1]
    assert _follow(module, _code_argument(last, (1, "code", None)), _enclosing_function(module, last)) is None


# -- the catalogue itself ------------------------------------------------------------------------------


def test_codes_are_unique_and_well_formed() -> None:
    codes = [entry.code for entry in ISSUE_CODES]
    assert len(codes) == len(set(codes))
    assert [c for c in codes if not CODE_SHAPE.fullmatch(c)] == []


@pytest.mark.parametrize("entry", ISSUE_CODES, ids=lambda e: e.code)
def test_entry_is_complete(entry: IssueCode) -> None:
    assert entry.severity in (ERROR, WARNING)
    assert entry.group in GROUP_TITLES
    assert entry.acted_on_by in (UNIT, ANALYST)
    for text in (entry.title, entry.message, entry.fix):
        assert re.search(r"[\u4e00-\u9fff]", text), text
        assert not CODE_SHAPE.fullmatch(text)
    assert entry.code not in entry.title + entry.message + entry.fix
    assert not re.search(r"20\d\d", entry.message + entry.fix), "示例年份应随报表年度变化，不写固定年份"


@pytest.mark.parametrize("entry", [e for e in ISSUE_CODES if e.acted_on_by == UNIT], ids=lambda e: e.code)
def test_unit_facing_fix_never_points_at_the_registry_file(entry: IssueCode) -> None:
    assert "units.yaml" not in entry.message + entry.fix
    assert "catalog/" not in entry.message + entry.fix


def test_lead_codes_are_listed() -> None:
    lead = {
        "unsafe_file": ("文件无法安全读取", ERROR),
        "excel_error_value": ("单元格是 Excel 错误值", ERROR),
        "old_excel_format": ("早期 Excel 格式", ERROR),
        "untrusted_received_time": ("文件修改时间不可信", WARNING),
        "not_current": ("已入库，但不是当前版本", WARNING),
        "archive_quota": ("被退回文件未存档", WARNING),
        "bad_file_name": ("文件名无法使用", ERROR),
    }
    assert {code: (BY_CODE[code].title, BY_CODE[code].severity) for code in lead} == lead


def test_message_outline_shows_blanks() -> None:
    assert BY_CODE["missing_value"].message_outline() == "必填指标“〈指标名称〉”未填写"
    assert BY_CODE["former_unit_name"].message_outline() == "〈曾用名〉已于〈更名年份〉年更名为〈现名〉，按〈现名〉读入"
    assert BY_CODE["missing_phone"].message_outline() == "未填写联系电话"


def test_title_of_a_code() -> None:
    assert issue_codes.title("not_a_number") == "不是数字"
    assert issue_codes.title("wrong_year") == "报表年度不对"
    assert issue_codes.title("no_such_code") == "其他问题"


def test_groups_for_units_leave_out_the_analysts_entries() -> None:
    unit_groups = issue_codes.by_group(UNIT)
    assert [heading for heading, _ in unit_groups] == [
        "文件能否读取",
        "报表类型与表格",
        "填报单位、年度与联系人",
        "数值的填写",
        "区县明细与被督查单位",
    ]
    listed = [e.code for _, entries in unit_groups for e in entries]
    assert "internal_error" not in listed and "not_a_number" in listed
    everything = [e.code for _, entries in issue_codes.by_group() for e in entries]
    assert sorted(everything) == sorted(BY_CODE)
