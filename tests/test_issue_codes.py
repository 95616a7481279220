"""The issue-code catalogue lists every code the source emits, once, with Chinese text a person can act on.

The scan reads the source with ``ast``: a code is emitted where an ``Issue(...)`` is built, or where a function
that passes its own ``code`` parameter on to such a place is called (``_reject(file_name, "not_excel", …)``,
``out.add(ERROR, "wrong_year", …)``). Where the code is not a literal, the scan follows it: a conditional
expression, a local variable, a module-level dict looked up with ``.get(key, default)`` or ``[key]``. A code it
cannot follow fails the test unless the site is one of PASS_THROUGH (issues rebuilt from stored rows).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline import issue_codes
from pipeline.demo.defects import DEFECTS
from pipeline.issue_codes import ANALYST, BY_CODE, GROUP_TITLES, ISSUE_CODES, UNIT, IssueCode
from pipeline.issues import ERROR, WARNING

REPO = Path(__file__).resolve().parent.parent
SCANNED = ("pipeline", "queries", "app_pages", "dashboard")
CODE_SHAPE = re.compile(r"[a-z]+(_[a-z0-9]+)*")
# Sites that rebuild issues already recorded, so the code is whatever was stored: (file, enclosing function).
PASS_THROUGH = {
    ("pipeline/load.py", "recorded_issues"),  # issues read back from submission_issues
    ("pipeline/report.py", "issues_to_json"),  # issues given as dicts (from the warehouse or another process)
    ("pipeline/sandbox_worker.py", "decode_issues"),  # issues sent back by the reading worker process
}


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


def _module(path: Path, root: Path = REPO) -> _Module:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    dicts = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Dict)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    return _Module(path.relative_to(root).as_posix(), tree, parents, dicts)


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


def _code_argument(call: ast.Call, position: int) -> ast.expr | None:
    """The expression giving the code; for ``f(name, *kind())`` a Subscript ``kind()[k]`` of the unpacked call."""
    for keyword in call.keywords:
        if keyword.arg == "code":
            return keyword.value
    for index, arg in enumerate(call.args[: position + 1]):
        if isinstance(arg, ast.Starred):
            offset = ast.Constant(position - index)
            return ast.Subscript(arg.value, offset) if isinstance(arg.value, ast.Call) else None
    return call.args[position] if len(call.args) > position else None


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


def _emitters(module: _Module) -> dict[str, int]:
    """Callable name -> position of its code argument: Issue, and functions forwarding their `code` to one."""
    emitters = {"Issue": 1}
    functions = [n for n in ast.walk(module.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    changed = True
    while changed:
        changed = False
        for function in functions:
            params = _parameters(function)
            if function.name in emitters or "code" not in params:
                continue
            for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
                position = emitters.get(_called_name(call) or "")
                argument = _code_argument(call, position) if position is not None else None
                if isinstance(argument, ast.Name) and argument.id == "code":
                    emitters[function.name] = params.index("code")
                    changed = True
                    break
    return emitters


def _dict_values(node: ast.Dict) -> set[str] | None:
    values = {v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
    return values if len(values) == len(node.values) else None


def _follow(module: _Module, expression: ast.expr, function: ast.FunctionDef | None) -> set[str] | None:
    """The codes an expression can take, or None when they cannot be known from the source."""
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return {expression.value}
    if isinstance(expression, ast.IfExp):
        body, orelse = _follow(module, expression.body, function), _follow(module, expression.orelse, function)
        return None if body is None or orelse is None else body | orelse
    if isinstance(expression, ast.Subscript) and isinstance(expression.value, ast.Call):
        offset = expression.slice.value if isinstance(expression.slice, ast.Constant) else None
        items = _returned_items(module, expression.value, offset) if isinstance(offset, int) else None
        if items is None:
            return None
        found = [_follow(module, item, None) for item in items]
        return None if any(codes is None for codes in found) else set().union(*found)
    if isinstance(expression, ast.Subscript) and isinstance(expression.value, ast.Name):
        table = module.dicts.get(expression.value.id)
        return _dict_values(table) if table is not None else None
    if (
        isinstance(expression, ast.Call)
        and isinstance(expression.func, ast.Attribute)
        and expression.func.attr == "get"
        and isinstance(expression.func.value, ast.Name)
        and expression.func.value.id in module.dicts
        and len(expression.args) == 2
    ):
        values = _dict_values(module.dicts[expression.func.value.id])
        default = _follow(module, expression.args[1], function)
        return None if values is None or default is None else values | default
    if isinstance(expression, ast.Name) and function is not None:
        assigned = [
            node.value
            for node in ast.walk(function)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == expression.id for t in node.targets)
        ]
        found: set[str] = set()
        for value in assigned:
            codes = _follow(module, value, function)
            if codes is None:
                return None
            found |= codes
        return found or None
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
            position = emitters.get(_called_name(call) or "")
            if position is None:
                continue
            function = _enclosing_function(module, call)
            argument = _code_argument(call, position)
            site = Site(
                module.path,
                call.lineno,
                function.name if function else "",
                ast.unparse(argument) if argument is not None else "",
            )
            forwarded = isinstance(argument, ast.Name) and argument.id == "code"
            if forwarded and function is not None and function.name in emitters:
                continue  # the enclosing function passes its own code on: its callers are scanned instead
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
    assert emitters == {"Issue": 1, "add": 1}
    call = next(n for n in ast.walk(module.tree) if isinstance(n, ast.Call) and _called_name(n) == "add")
    function = _enclosing_function(module, call)
    assert _follow(module, _code_argument(call, 1), function) == {"not_a_date", "not_a_bool", "not_a_number"}
    last = [n for n in ast.walk(module.tree) if isinstance(n, ast.Call) and _called_name(n) == "Issue"][-1]
    assert _follow(module, _code_argument(last, 1), _enclosing_function(module, last)) is None


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
