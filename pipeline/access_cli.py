"""Command line for accounts and the audit trail, a thin shell over pipeline/access.py and pipeline/audit.py.

    python -m pipeline users add NAME --role 填报单位 --unit 西安 [--display 显示名] [--identity 邮箱]
    python -m pipeline users list
    python -m pipeline users init [--demo]      first run: the administrator (and the demo's accounts)
    python -m pipeline users disable|enable|reset NAME
    python -m pipeline users role NAME 分析员 [--unit …]
    python -m pipeline audit [--actor NAME] [--action 导出] [--since 2026-03-01] [--until …] [--text …] [--xlsx 文件]

pipeline/__main__.py wires these in with ``add_commands(commands)`` and dispatches ``users`` and ``audit`` to
``run(args)``. Rows this command writes name the operating-system user: 命令行:<user>.
"""

from __future__ import annotations

import argparse
import getpass
import os
from datetime import date
from pathlib import Path

from pipeline import audit
from pipeline.access import (
    ROLE_UNIT,
    ROLES,
    UNIT_ACCOUNT_TYPES,
    AccessError,
    AccessStore,
    access_path,
    create_demo_accounts,
    ensure_admin,
    retire_demo_accounts,
)
from pipeline.registry import Registry

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
COMMAND_NAMES = ("users", "audit")
# English role names, for terminals where typing Chinese is awkward.
ROLE_ALIASES = {"leader": "领导", "analyst": "分析员", "admin": "管理员", "unit": "填报单位"}
DEFAULT_AUDIT_LIMIT = 50


def _role(text: str) -> str:
    role = ROLE_ALIASES.get(text.strip().lower(), text.strip())
    if role not in ROLES:
        raise argparse.ArgumentTypeError(
            f"角色应为{'、'.join(ROLES)}之一（也可写 {'/'.join(ROLE_ALIASES)}；收到“{text}”）"
        )
    return role


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写成 2026-03-01（收到“{text}”）") from None


def add_commands(commands: argparse._SubParsersAction) -> None:
    where = {"type": Path, "help": "账户数据库文件（默认 $SHIBATIAO_ACCESS_DB 或 data/access.sqlite）"}

    users = commands.add_parser("users", help="账户管理：新增、列出、停用、启用、重置密码、变更角色")
    users.add_argument("--access-db", **where)
    actions = users.add_subparsers(dest="users_action", required=True, metavar="操作")
    add = actions.add_parser("add", help="新增账户，显示一次性密码")
    add.add_argument("username", metavar="NAME", help="用户名")
    add.add_argument("--role", type=_role, required=True, help="、".join(ROLES))
    add.add_argument("--unit", help="填报单位账户所属的单位（名称或代码，如 西安 或 C01）")
    add.add_argument("--display", help="显示名（默认同用户名）")
    add.add_argument("--identity", help="统一身份认证的邮箱或标识（使用单点登录时）")
    actions.add_parser("list", help="列出全部账户")
    init = actions.add_parser(
        "init", help="首次运行：没有启用的管理员时创建 admin 并显示一次性密码（或取自 SHIBATIAO_ADMIN_PASSWORD）"
    )
    init.add_argument(
        "--demo", action="store_true", help="演示数据：同时创建演示账户；不加此项时停用全部演示账户（其密码是公开的）"
    )
    for name, help_text in (
        ("disable", "停用账户（立即结束其登录）"),
        ("enable", "重新启用账户"),
        ("reset", "重置密码，显示新的一次性密码"),
    ):
        actions.add_parser(name, help=help_text).add_argument("username", metavar="NAME", help="用户名")
    role = actions.add_parser("role", help="变更账户的角色（和所属单位）")
    role.add_argument("username", metavar="NAME", help="用户名")
    role.add_argument("role", type=_role, metavar="ROLE", help="、".join(ROLES))
    role.add_argument("--unit", help="改为填报单位时所属的单位（名称或代码）")

    log = commands.add_parser("audit", help="查看操作日志（可导出为 Excel）")
    log.add_argument("--access-db", **where)
    log.add_argument("--actor", help="只看某个用户")
    log.add_argument("--action", help="只看某种操作：" + "、".join(audit.ACTIONS.values()))
    log.add_argument("--since", type=_day, help="起始日期（含），如 2026-03-01")
    log.add_argument("--until", type=_day, help="截止日期（含）")
    log.add_argument("--text", help="在对象和说明中查找")
    log.add_argument(
        "--limit", type=int, default=DEFAULT_AUDIT_LIMIT, help=f"最多显示多少条（默认 {DEFAULT_AUDIT_LIMIT}）"
    )
    log.add_argument("--xlsx", type=Path, metavar="FILE", help="把筛选出的全部记录写入 Excel 文件")


def cli_actor() -> str:
    """命令行:<operating-system user>, the actor of rows this command writes."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = os.environ.get("USER") or f"uid{os.getuid()}"
    return f"命令行:{user}"


def _reference_registry(warehouse: Path | None) -> Registry:
    """The registry in force: catalog/units.yaml plus the settings saved in the warehouse, when there is one."""
    from pipeline.reference import load_reference
    from pipeline.warehouse import open_reader

    if warehouse is None or not Path(warehouse).exists():
        return load_reference().registry
    con = open_reader(warehouse)
    try:
        return load_reference(con).registry
    finally:
        con.close()


def _unit_code(text: str | None, registry: Registry) -> str | None:
    if not text:
        return None
    text = text.strip()
    if text in registry:
        return text
    resolution = registry.resolve(text, types=set(UNIT_ACCOUNT_TYPES))
    if resolution.unit is None:
        hint = f"；是否指：{'、'.join(resolution.candidate_names)}" if resolution.candidate_names else ""
        raise AccessError(f"找不到单位“{text}”{hint}。填报单位账户只能属于市级总工会或省级产业工会。")
    return resolution.unit.code


def run(args: argparse.Namespace) -> int | None:
    """Run a users or audit command; None when the command is not one of these."""
    if getattr(args, "command", None) not in COMMAND_NAMES:
        return None
    path = getattr(args, "access_db", None) or access_path()
    try:
        if args.command == "audit":
            return _audit(args, path)
        return _users(args, AccessStore(path))
    except AccessError as refused:
        print(f"未执行：{refused}")
        return EXIT_REFUSED


def _print_password(username: str, password: str, what: str) -> None:
    print(f"{what}：{username}")
    print(f"一次性密码：{password}")
    print("这个密码只显示这一次，请通过安全的渠道交给本人；首次登录后须设置新密码。")


def _users(args: argparse.Namespace, store: AccessStore) -> int:
    actor, action = cli_actor(), args.users_action
    if action == "list":
        return _list(store, _reference_registry(getattr(args, "warehouse", None)))
    if action == "init":
        return _init(store, demo=args.demo, warehouse=getattr(args, "warehouse", None))
    if action == "add":
        registry = _reference_registry(getattr(args, "warehouse", None))
        unit_code = _unit_code(args.unit, registry) if args.role == ROLE_UNIT else args.unit
        password = store.add_account(
            args.username, args.display or args.username, args.role, unit_code,
            actor=actor, registry=registry, identity=args.identity,
        )  # fmt: skip
        _print_password(args.username.strip(), password, "已新增账户")
        return EXIT_OK
    if action == "reset":
        _print_password(args.username, store.reset_password(args.username, actor=actor), "已重置密码")
        print("该账户原有的登录已全部结束。")
        return EXIT_OK
    if action == "disable":
        store.disable(args.username, actor=actor)
        print(f"已停用账户 {args.username}，其登录已全部结束。")
        return EXIT_OK
    if action == "enable":
        store.enable(args.username, actor=actor)
        print(f"已启用账户 {args.username}。")
        return EXIT_OK
    registry = _reference_registry(getattr(args, "warehouse", None))
    unit_code = _unit_code(args.unit, registry) if args.role == ROLE_UNIT else args.unit
    store.set_role(args.username, args.role, unit_code, actor=actor, registry=registry)
    unit = f"（{registry.get(unit_code).name}）" if unit_code else ""
    print(f"账户 {args.username} 的角色现为 {args.role}{unit}。")
    return EXIT_OK


def _init(store: AccessStore, *, demo: bool, warehouse: Path | None) -> int:
    if demo:
        created = create_demo_accounts(store, _reference_registry(warehouse))
        print("演示账户（仅用于演示数据，密码是公开的）：")
        for account in created:
            print(f"  {account.username}\t{account.password}\t{account.role}")
    elif retired := retire_demo_accounts(store):
        print(f"已停用演示账户：{'、'.join(retired)}（正式数据不使用演示账户）。")
    if ensure_admin(store, os.environ, print) is None:
        print("管理员账户已存在，无需创建。")
    return EXIT_OK


def _list(store: AccessStore, registry: Registry) -> int:
    accounts = store.accounts()
    if not accounts:
        print("还没有任何账户。启动看板时会创建管理员账户 admin；也可用 users add 新增。")
        return EXIT_OK
    print("用户名\t显示名\t角色\t单位\t状态")
    for account in accounts:
        unit = ""
        if account.unit_code:
            unit = registry.get(account.unit_code).name if account.unit_code in registry else account.unit_code
        state = ["停用" if account.disabled else "启用"]
        if account.must_change_password:
            state.append("待改密码")
        if account.is_demo:
            state.append("演示账户")
        print("\t".join([account.username, account.display_name, account.role, unit or "—", "，".join(state)]))
    print(f"共 {len(accounts)} 个账户。")
    return EXIT_OK


def _audit(args: argparse.Namespace, path: Path) -> int:
    if args.action and audit.action_code(args.action) not in audit.ACTIONS:
        print(f"没有“{args.action}”这种操作；可选：{'、'.join(audit.ACTIONS.values())}")
        return EXIT_USAGE
    filters = {"actor": args.actor, "action": args.action, "since": args.since, "until": args.until, "text": args.text}
    if args.xlsx is not None:
        frame = audit.entries(path, **filters)
        args.xlsx.parent.mkdir(parents=True, exist_ok=True)
        args.xlsx.write_bytes(audit.entries_xlsx(frame))
        audit.record("export", actor=cli_actor(), target="操作日志", outcome="成功",
                     detail=f"{len(frame)} 条，写入 {args.xlsx.name}", path=path)  # fmt: skip
        print(f"已把 {len(frame)} 条操作日志写入 {args.xlsx}")
        return EXIT_OK
    frame = audit.entries(path, **filters, limit=max(1, args.limit))
    if frame.empty:
        print("没有符合条件的操作日志。")
        return EXIT_OK
    for row in frame.itertuples(index=False):
        print("\t".join(str(value) for value in row))
    print(
        f"以上 {len(frame)} 条，最新的在前"
        + ("（只显示最近的部分，可用 --limit 调整）" if len(frame) == args.limit else "")
        + "。"
    )
    return EXIT_OK
