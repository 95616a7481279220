"""Accounts, sign-in, throttling and sessions of the dashboard's local users.

Everything lives in a small SQLite database ($SHIBATIAO_ACCESS_DB, default data/access.sqlite) beside the audit
trail (pipeline/audit.py), not in the DuckDB warehouse: the warehouse is rewritten by a copy-and-swap writer meant
for batches, while sign-ins, session touches and audit rows are small frequent writes from many sessions, which
SQLite in WAL mode takes in its stride.

Passwords are hashed with argon2id (argon2-cffi) and rehashed on sign-in when the parameters change. Failed
sign-ins are counted per account and per address in a rolling window; while either is over its limit even the
right password is refused. Unknown user names and wrong passwords get the same answer, so the sign-in form does
not tell an outsider which accounts exist. A session is a random token the browser keeps; only its SHA-256 is
stored, and it ends after a spell of inactivity or a fixed lifetime, whichever comes first.

Every change to an account writes its audit row in the same transaction, with the actor the caller names.

This module must stay free of Streamlit.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import secrets
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipeline import audit
from pipeline.registry import Registry

ROLE_LEADER = "领导"
ROLE_ANALYST = "分析员"
ROLE_ADMIN = "管理员"
ROLE_UNIT = "填报单位"
ROLES = (ROLE_LEADER, ROLE_ANALYST, ROLE_ADMIN, ROLE_UNIT)
# A 填报单位 account belongs to a unit that submits returns itself: a city federation or a provincial industry union.
UNIT_ACCOUNT_TYPES = ("city", "industry")

IDLE_ENV = "SHIBATIAO_SESSION_IDLE_MINUTES"
ADMIN_PASSWORD_ENV = "SHIBATIAO_ADMIN_PASSWORD"
DEFAULT_IDLE_MINUTES = 30
SESSION_LIFETIME = timedelta(hours=12)
TOUCH_INTERVAL = timedelta(minutes=1)  # how stale last_seen may be: far below the idle limit
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD_LENGTH = 10
ADMIN_USERNAME = "admin"
SYSTEM_ACTOR = "系统初始化"

# Characters of generated passwords: none that read alike on paper or on a projector (0/O/o, 1/l/I).
_READABLE = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_USERNAME = re.compile(r"^[\w.@-]{2,64}$")
WRONG_CREDENTIALS = "用户名或密码不正确。"

_SCHEMA = """
create table if not exists accounts (
    username text primary key collate nocase,
    display_name text not null,
    role text not null,
    unit_code text,
    password_hash text not null,
    disabled integer not null default 0,
    must_change_password integer not null default 1,
    is_demo integer not null default 0,
    identity text unique collate nocase,
    created_at text not null,
    changed_at text not null
);
create table if not exists failed_sign_ins (
    id integer primary key autoincrement,
    at text not null,
    username text not null collate nocase,
    address text not null default ''
);
create index if not exists failed_sign_ins_user on failed_sign_ins (username, at);
create index if not exists failed_sign_ins_address on failed_sign_ins (address, at);
create table if not exists sessions (
    token_hash text primary key,
    username text not null collate nocase,
    created_at text not null,
    last_seen text not null,
    closed_at text,
    address text not null default ''
);
create index if not exists sessions_user on sessions (username);
"""


class AccessError(ValueError):
    """A refused account operation; the message is Chinese and tells the person what to do."""


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: str
    unit_code: str | None
    disabled: bool
    must_change_password: bool
    is_demo: bool
    identity: str | None


@dataclass(frozen=True)
class SignIn:
    """The answer to a sign-in: the account when it succeeded, else the Chinese reason to show."""

    account: Account | None
    message: str  # for the visitor: the same for an unknown name and a wrong password
    reason: str = ""  # for the audit trail: 用户名不存在, 密码错误, 账户已停用, 失败次数过多…

    @property
    def ok(self) -> bool:
        return self.account is not None


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    unit_code: str | None
    password: str


def access_path() -> Path:
    """$SHIBATIAO_ACCESS_DB when set, else data/access.sqlite."""
    return audit.default_path()


def generate_password(groups: int = 4, group_length: int = 4) -> str:
    """A one-time password someone can read off a screen and type: 16 characters from an alphabet without
    look-alikes (about 93 bits), in groups joined by hyphens."""
    return "-".join("".join(secrets.choice(_READABLE) for _ in range(group_length)) for _ in range(groups))


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password is refused (Chinese), or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符（现在是 {len(password)} 个）。"
    if username and password.strip().casefold() == username.strip().casefold():
        return "密码不能与用户名相同。"
    if not password.strip():
        return "密码不能全是空格。"
    return None


def idle_timeout(environ: Mapping[str, str] | None = None) -> timedelta:
    """Inactivity after which a session ends: $SHIBATIAO_SESSION_IDLE_MINUTES, default 30 minutes."""
    text = (environ if environ is not None else os.environ).get(IDLE_ENV, "").strip()
    try:
        minutes = float(text) if text else DEFAULT_IDLE_MINUTES
    except ValueError:
        minutes = DEFAULT_IDLE_MINUTES
    return timedelta(minutes=minutes if minutes > 0 else DEFAULT_IDLE_MINUTES)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _unit_label(unit_code: str | None, registry: Registry | None) -> str:
    if not unit_code:
        return ""
    return registry.get(unit_code).name if registry is not None and unit_code in registry else unit_code


def _account(row: sqlite3.Row | tuple) -> Account:
    username, display_name, role, unit_code, disabled, must_change, is_demo, identity = row
    return Account(username, display_name, role, unit_code, bool(disabled), bool(must_change), bool(is_demo), identity)


_ACCOUNT_COLUMNS = "username, display_name, role, unit_code, disabled, must_change_password, is_demo, identity"


class AccessStore:
    """Accounts and sessions in the access database at ``path`` (default: access_path()).

    ``clock`` returns the current time (tests inject one); ``idle`` overrides the session idle timeout.
    One connection per call: page sessions run in threads and SQLite connections are not shared across them.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        idle: timedelta | None = None,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else access_path()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.idle = idle if idle is not None else idle_timeout()
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None
        con = self._connect()
        con.close()

    # -- plumbing -------------------------------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        con = audit.connect(self.path)
        con.executescript(_SCHEMA)
        return con

    def _now(self) -> datetime:
        return self.clock()

    def _audit(self, con: sqlite3.Connection, action: str, *, actor: str, address: str = "", **fields: str) -> None:
        audit.insert(con, action, actor=actor, address=address, at=self._now(), **fields)

    def _row(self, con: sqlite3.Connection, username: str) -> Account | None:
        row = con.execute(f"select {_ACCOUNT_COLUMNS} from accounts where username = ?", (username.strip(),)).fetchone()
        return _account(row) if row else None

    def _existing(self, con: sqlite3.Connection, username: str) -> Account:
        account = self._row(con, username)
        if account is None:
            raise AccessError(f"没有用户名为“{username}”的账户。")
        return account

    def _enabled_admins(self, con: sqlite3.Connection) -> int:
        return con.execute("select count(*) from accounts where role = ? and disabled = 0", (ROLE_ADMIN,)).fetchone()[0]

    def _close_sessions(self, con: sqlite3.Connection, username: str, *, keep: str | None = None) -> None:
        kept = _token_hash(keep) if keep else ""
        con.execute(
            "update sessions set closed_at = ? where username = ? and closed_at is null and token_hash != ?",
            (audit.utc_iso(self._now()), username, kept),
        )

    def _hash(self, password: str) -> str:
        return self.hasher.hash(password)

    # -- accounts -------------------------------------------------------------------------------------------------

    @staticmethod
    def _check_role_unit(role: str, unit_code: str | None, registry: Registry | None) -> str | None:
        if role not in ROLES:
            raise AccessError(f"角色应为{'、'.join(ROLES)}之一（收到“{role}”）。")
        unit_code = (unit_code or "").strip() or None
        if role != ROLE_UNIT:
            if unit_code:
                raise AccessError(f"只有“{ROLE_UNIT}”账户属于某个单位；{role}账户不要填写单位。")
            return None
        if not unit_code:
            raise AccessError(f"“{ROLE_UNIT}”账户必须指定所属单位。")
        if registry is not None:
            if unit_code not in registry:
                raise AccessError(f"单位登记表中没有代码为“{unit_code}”的单位，请从登记表中选择。")
            unit = registry.get(unit_code)
            if unit.type not in UNIT_ACCOUNT_TYPES:
                raise AccessError(f"{unit.name}不单独报送报表，填报单位账户只能属于市级总工会或省级产业工会。")
        return unit_code

    def add_account(
        self,
        username: str,
        display_name: str,
        role: str,
        unit_code: str | None = None,
        *,
        actor: str,
        registry: Registry | None = None,
        password: str | None = None,
        must_change_password: bool = True,
        is_demo: bool = False,
        identity: str | None = None,
        address: str = "",
    ) -> str:
        """Create an account and return its password: the one given, or a generated one-time password that the
        caller shows once. Raises AccessError (Chinese) when the name is taken or the details are invalid."""
        username = username.strip()
        if not _USERNAME.match(username):
            raise AccessError("用户名应为 2–64 个字母、数字、汉字或 . _ - @，不含空格。")
        display_name = display_name.strip() or username
        unit_code = self._check_role_unit(role, unit_code, registry)
        if password is None:
            password = generate_password()
        elif problem := password_problem(password, username):
            raise AccessError(problem)
        identity = (identity or "").strip() or None
        now = audit.utc_iso(self._now())
        con = self._connect()
        try:
            with con:
                if self._row(con, username) is not None:
                    raise AccessError(f"用户名“{username}”已被使用，请换一个。")
                if identity and con.execute("select 1 from accounts where identity = ?", (identity,)).fetchone():
                    raise AccessError(f"统一身份认证标识“{identity}”已对应另一个账户。")
                con.execute(
                    "insert into accounts (username, display_name, role, unit_code, password_hash, disabled,"
                    " must_change_password, is_demo, identity, created_at, changed_at)"
                    " values (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
                    (username, display_name, role, unit_code, self._hash(password), int(must_change_password),
                     int(is_demo), identity, now, now),
                )  # fmt: skip
                detail = (
                    f"角色：{role}"
                    + (f"；单位：{_unit_label(unit_code, registry)}" if unit_code else "")
                    + ("；演示账户" if is_demo else "")
                )
                self._audit(con, "account_added", actor=actor, target=username, outcome="成功", detail=detail,
                            address=address)  # fmt: skip
        except sqlite3.IntegrityError:  # the same name or identity added at the same moment by someone else
            raise AccessError(f"用户名“{username}”或其统一身份认证标识已被使用，请换一个。") from None
        finally:
            con.close()
        return password

    def accounts(self) -> list[Account]:
        """Every account, by role then user name."""
        order = " ".join(f"when '{role}' then {n}" for n, role in enumerate(ROLES))
        con = self._connect()
        try:
            rows = con.execute(
                f"select {_ACCOUNT_COLUMNS} from accounts order by case role {order} end, username"
            ).fetchall()
        finally:
            con.close()
        return [_account(row) for row in rows]

    def account(self, username: str) -> Account | None:
        con = self._connect()
        try:
            return self._row(con, username)
        finally:
            con.close()

    def account_for_identity(self, identity: str) -> Account | None:
        """The enabled account mapped to an identity proven by the identity provider (e-mail or subject)."""
        if not (identity or "").strip():
            return None
        con = self._connect()
        try:
            row = con.execute(
                f"select {_ACCOUNT_COLUMNS} from accounts where identity = ? and disabled = 0", (identity.strip(),)
            ).fetchone()
        finally:
            con.close()
        return _account(row) if row else None

    def set_identity(self, username: str, identity: str | None, *, actor: str, address: str = "") -> None:
        identity = (identity or "").strip() or None
        con = self._connect()
        try:
            with con:
                self._existing(con, username)
                if (
                    identity
                    and con.execute(
                        "select 1 from accounts where identity = ? and username != ?", (identity, username)
                    ).fetchone()
                ):
                    raise AccessError(f"统一身份认证标识“{identity}”已对应另一个账户。")
                con.execute(
                    "update accounts set identity = ?, changed_at = ? where username = ?",
                    (identity, audit.utc_iso(self._now()), username),
                )
                self._audit(con, "identity_changed", actor=actor, target=username, outcome="成功",
                            detail=f"标识：{identity or '（已清除）'}", address=address)  # fmt: skip
        finally:
            con.close()

    def disable(self, username: str, *, actor: str, address: str = "") -> None:
        """Disable an account and end its sessions. The last enabled 管理员 cannot be disabled."""
        con = self._connect()
        try:
            with con:
                account = self._existing(con, username)
                if account.disabled:
                    return
                if account.role == ROLE_ADMIN and self._enabled_admins(con) <= 1:
                    raise AccessError("这是最后一个启用的管理员账户，不能停用；请先为其他人开设管理员账户。")
                con.execute(
                    "update accounts set disabled = 1, changed_at = ? where username = ?",
                    (audit.utc_iso(self._now()), account.username),
                )
                self._close_sessions(con, account.username)
                self._audit(con, "account_disabled", actor=actor, target=account.username, outcome="成功",
                            address=address)  # fmt: skip
        finally:
            con.close()

    def enable(self, username: str, *, actor: str, address: str = "") -> None:
        con = self._connect()
        try:
            with con:
                account = self._existing(con, username)
                if not account.disabled:
                    return
                con.execute(
                    "update accounts set disabled = 0, changed_at = ? where username = ?",
                    (audit.utc_iso(self._now()), account.username),
                )
                con.execute("delete from failed_sign_ins where username = ?", (account.username,))
                self._audit(con, "account_enabled", actor=actor, target=account.username, outcome="成功",
                            address=address)  # fmt: skip
        finally:
            con.close()

    def reset_password(self, username: str, *, actor: str, address: str = "") -> str:
        """Give the account a new one-time password (returned, to be shown once), require a change at the next
        sign-in, end its sessions and clear its failed sign-ins."""
        password = generate_password()
        con = self._connect()
        try:
            with con:
                account = self._existing(con, username)
                self._set_password(con, account.username, password, must_change=True)
                self._close_sessions(con, account.username)
                self._audit(con, "password_reset", actor=actor, target=account.username, outcome="成功",
                            detail="已生成一次性密码，下次登录须修改", address=address)  # fmt: skip
        finally:
            con.close()
        return password

    def _set_password(self, con: sqlite3.Connection, username: str, password: str, *, must_change: bool) -> None:
        con.execute(
            "update accounts set password_hash = ?, must_change_password = ?, changed_at = ? where username = ?",
            (self._hash(password), int(must_change), audit.utc_iso(self._now()), username),
        )
        con.execute("delete from failed_sign_ins where username = ?", (username,))

    def set_role(
        self,
        username: str,
        role: str,
        unit_code: str | None = None,
        *,
        actor: str,
        registry: Registry | None = None,
        address: str = "",
    ) -> None:
        """Change an account's role and unit. The last enabled 管理员 keeps its role."""
        unit_code = self._check_role_unit(role, unit_code, registry)
        con = self._connect()
        try:
            with con:
                account = self._existing(con, username)
                if (account.role, account.unit_code) == (role, unit_code):
                    return
                demoting = account.role == ROLE_ADMIN and role != ROLE_ADMIN and not account.disabled
                if demoting and self._enabled_admins(con) <= 1:
                    raise AccessError("这是最后一个启用的管理员账户，不能改为其他角色；请先为其他人开设管理员账户。")
                con.execute(
                    "update accounts set role = ?, unit_code = ?, changed_at = ? where username = ?",
                    (role, unit_code, audit.utc_iso(self._now()), account.username),
                )
                before = account.role + (f"（{_unit_label(account.unit_code, registry)}）" if account.unit_code else "")
                after = role + (f"（{_unit_label(unit_code, registry)}）" if unit_code else "")
                self._audit(con, "role_changed", actor=actor, target=account.username, outcome="成功",
                            detail=f"{before} → {after}", address=address)  # fmt: skip
        finally:
            con.close()

    # -- signing in -----------------------------------------------------------------------------------------------

    def _throttle_wait(self, con: sqlite3.Connection, column: str, value: str, limit: int) -> timedelta | None:
        """How long until the failures counted on ``column`` drop below ``limit``, or None when not throttled."""
        now = self._now()
        since = audit.utc_iso(now - THROTTLE_WINDOW)
        times = [
            datetime.fromisoformat(row[0])
            for row in con.execute(
                f"select at from failed_sign_ins where {column} = ? and at > ? order by at", (value, since)
            )
        ]
        if len(times) < limit:
            return None
        return times[len(times) - limit] + THROTTLE_WINDOW - now

    def throttled(self, username: str, address: str = "") -> timedelta | None:
        """How long sign-in stays refused for this account or address, or None."""
        con = self._connect()
        try:
            return self._throttle(con, username.strip(), address)
        finally:
            con.close()

    def _throttle(self, con: sqlite3.Connection, username: str, address: str) -> timedelta | None:
        waits = [self._throttle_wait(con, "username", username, MAX_FAILURES_PER_ACCOUNT)]
        if address:
            waits.append(self._throttle_wait(con, "address", address, MAX_FAILURES_PER_ADDRESS))
        waits = [wait for wait in waits if wait is not None]
        return max(waits) if waits else None

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _fail(self, con: sqlite3.Connection, username: str, address: str) -> None:
        con.execute(
            "insert into failed_sign_ins (at, username, address) values (?, ?, ?)",
            (audit.utc_iso(self._now()), username, address),
        )

    def sign_in(self, username: str, password: str, *, address: str = "") -> SignIn:
        """Check a user name and password. The caller audits the attempt (the sign-in page writes sign_in or
        sign_in_failed with ``SignIn.reason``, which tells the administrator what the visitor is not told)."""
        username = (username or "").strip()
        con = self._connect()
        try:
            with con:
                wait = self._throttle(con, username, address)
                if wait is not None:
                    minutes = max(1, math.ceil(wait.total_seconds() / 60))
                    return SignIn(
                        None, f"登录失败次数过多，已暂停登录，请 {minutes} 分钟后再试。", "失败次数过多，暂停登录"
                    )
                row = con.execute(
                    f"select {_ACCOUNT_COLUMNS}, password_hash from accounts where username = ?", (username,)
                ).fetchone()
                if row is None:
                    # Verify against a throwaway hash, so an unknown name takes as long as a wrong password.
                    self._dummy = self._dummy or self._hash(secrets.token_urlsafe(16))
                    self._verify(self._dummy, password)
                    self._fail(con, username, address)
                    return SignIn(None, WRONG_CREDENTIALS, "用户名不存在")
                account, password_hash = _account(row[:-1]), row[-1]
                if not self._verify(password_hash, password):
                    self._fail(con, account.username, address)
                    return SignIn(None, WRONG_CREDENTIALS, "密码错误")
                if account.disabled:
                    return SignIn(None, "该账户已停用。如需继续使用，请联系系统管理员。", "账户已停用")
                if self.hasher.check_needs_rehash(password_hash):
                    con.execute(
                        "update accounts set password_hash = ? where username = ?",
                        (self._hash(password), account.username),
                    )
                con.execute("delete from failed_sign_ins where username = ?", (account.username,))
                return SignIn(account, "", "用户名和密码")
        finally:
            con.close()

    def change_password(
        self, username: str, old_password: str, new_password: str, *, keep_session: str | None = None,
        address: str = "",
    ) -> None:  # fmt: skip
        """Change one's own password. A wrong current password counts as a failed sign-in. The session
        ``keep_session`` stays open; the account's other sessions end. Raises AccessError (Chinese)."""
        con = self._connect()
        try:
            with con:
                account = self._existing(con, username)
                wait = self._throttle(con, account.username, address)
                if wait is not None:
                    minutes = max(1, math.ceil(wait.total_seconds() / 60))
                    raise AccessError(f"密码输错次数过多，请 {minutes} 分钟后再试。")
                password_hash = con.execute(
                    "select password_hash from accounts where username = ?", (account.username,)
                ).fetchone()[0]
                wrong = not self._verify(password_hash, old_password)
                if wrong:
                    self._fail(con, account.username, address)
                    self._audit(con, "password_changed", actor=account.username, target=account.username,
                                outcome="失败", detail="当前密码不正确", address=address)  # fmt: skip
            if wrong:
                raise AccessError("当前密码不正确，密码未修改。")
            if problem := password_problem(new_password, account.username):
                raise AccessError(problem)
            if new_password == old_password:
                raise AccessError("新密码不能与当前密码相同。")
            with con:
                self._set_password(con, account.username, new_password, must_change=False)
                self._close_sessions(con, account.username, keep=keep_session)
                self._audit(con, "password_changed", actor=account.username, target=account.username,
                            outcome="成功", address=address)  # fmt: skip
        finally:
            con.close()

    # -- sessions -------------------------------------------------------------------------------------------------

    def open_session(self, username: str, *, address: str = "") -> str:
        """A new session token for a signed-in account (only its hash is stored). Sessions past their lifetime
        and failures out of the throttling window are dropped here, so neither table grows without bound."""
        token = secrets.token_urlsafe(32)
        now = audit.utc_iso(self._now())
        con = self._connect()
        try:
            with con:
                account = self._existing(con, username)
                con.execute(
                    "delete from sessions where created_at < ?", (audit.utc_iso(self._now() - SESSION_LIFETIME),)
                )
                con.execute("delete from failed_sign_ins where at < ?", (audit.utc_iso(self._now() - THROTTLE_WINDOW),))
                con.execute(
                    "insert into sessions (token_hash, username, created_at, last_seen, address) values (?, ?, ?, ?, ?)",
                    (_token_hash(token), account.username, now, now, address),
                )
        finally:
            con.close()
        return token

    def session(self, token: str | None) -> Account | None:
        """The account of a live session, touching its last-seen time; None when the token is unknown, closed,
        idle too long, past its lifetime, or the account is disabled."""
        if not token:
            return None
        now = self._now()
        con = self._connect()
        try:
            with con:
                row = con.execute(
                    "select username, created_at, last_seen, closed_at from sessions where token_hash = ?",
                    (_token_hash(token),),
                ).fetchone()
                if row is None or row[3] is not None:
                    return None
                username, created_at, last_seen = row[0], datetime.fromisoformat(row[1]), datetime.fromisoformat(row[2])
                if now - last_seen > self.idle or now - created_at > SESSION_LIFETIME:
                    con.execute(
                        "update sessions set closed_at = ? where token_hash = ?",
                        (audit.utc_iso(now), _token_hash(token)),
                    )
                    return None
                account = self._row(con, username)
                if account is None or account.disabled:
                    return None
                if now - last_seen >= TOUCH_INTERVAL:  # every click checks the session; a write once a minute is enough
                    con.execute(
                        "update sessions set last_seen = ? where token_hash = ?",
                        (audit.utc_iso(now), _token_hash(token)),
                    )
                return account
        finally:
            con.close()

    def close_session(self, token: str | None) -> None:
        """Sign out: end the session (the caller audits the sign-out). Unknown or closed tokens are ignored."""
        if not token:
            return
        con = self._connect()
        try:
            with con:
                row = con.execute(
                    "select username from sessions where token_hash = ? and closed_at is null", (_token_hash(token),)
                ).fetchone()
                if row is None:
                    return
                con.execute(
                    "update sessions set closed_at = ? where token_hash = ?",
                    (audit.utc_iso(self._now()), _token_hash(token)),
                )
        finally:
            con.close()


# -- first run and demo ---------------------------------------------------------------------------------------------


def ensure_admin(
    store: AccessStore, environ: Mapping[str, str] | None = None, out: Callable[[str], object] = print
) -> str | None:
    """When no enabled 管理员 exists, make "admin" one, with the password in $SHIBATIAO_ADMIN_PASSWORD or a
    generated one-time password printed once to ``out``; it must be changed at the first sign-in. Returns the
    user name when an administrator was set up, else None. Raises AccessError when the variable's password
    breaks the policy."""
    environ = os.environ if environ is None else environ
    if any(a.role == ROLE_ADMIN and not a.disabled for a in store.accounts()):
        return None
    given = environ.get(ADMIN_PASSWORD_ENV) or None
    if given is not None and (problem := password_problem(given, ADMIN_USERNAME)):
        raise AccessError(f"环境变量 {ADMIN_PASSWORD_ENV} 中的管理员密码不符合要求：{problem}")
    existing = store.account(ADMIN_USERNAME)
    if existing is None:
        password = store.add_account(
            ADMIN_USERNAME, "系统管理员", ROLE_ADMIN, actor=SYSTEM_ACTOR, password=given, must_change_password=True
        )
    else:
        # An "admin" left over as another role or disabled: make it the administrator again.
        store.set_role(ADMIN_USERNAME, ROLE_ADMIN, actor=SYSTEM_ACTOR)
        store.enable(ADMIN_USERNAME, actor=SYSTEM_ACTOR)
        password = store.reset_password(ADMIN_USERNAME, actor=SYSTEM_ACTOR)
        if given is not None:
            con = store._connect()
            try:
                with con:
                    store._set_password(con, ADMIN_USERNAME, given, must_change=True)
            finally:
                con.close()
            password = given
    if given is not None:
        out(
            f"已创建管理员账户 {ADMIN_USERNAME}，密码取自环境变量 {ADMIN_PASSWORD_ENV}。"
            "首次登录后须修改密码；修改后请从环境中删除这个变量。"
        )
    else:
        out(
            "\n".join(
                [
                    "==== 首次运行：已创建管理员账户 ====",
                    f"用户名：{ADMIN_USERNAME}",
                    f"一次性密码：{password}",
                    "这个密码只显示这一次，请现在记下。用它登录看板后须立即设置新密码。",
                    f"如需预先指定密码，可在首次启动前设置环境变量 {ADMIN_PASSWORD_ENV}（至少 {MIN_PASSWORD_LENGTH} 个字符）。",
                ]
            )
        )
    return ADMIN_USERNAME


# The demo's accounts and their published passwords. They exist only in the demo warehouse's set-up, and the
# sign-in page shows them labelled as demo; a real deployment never calls create_demo_accounts.
_DEMO = (
    ("demo_leader", "演示领导", ROLE_LEADER, "demo-leader-2025"),
    ("demo_analyst", "演示分析员", ROLE_ANALYST, "demo-analyst-2025"),
    ("demo_admin", "演示管理员", ROLE_ADMIN, "demo-admin-2025"),
)
_DEMO_UNIT = ("demo_xian", "演示填报单位（西安市）", "西安", "demo-xian-2025")
# (user name, published password, role) of every demo account, for the demo's sign-in page.
DEMO_ACCOUNTS = tuple((user, password, role) for user, _, role, password in _DEMO) + (
    (_DEMO_UNIT[0], _DEMO_UNIT[3], ROLE_UNIT),
)


def create_demo_accounts(store: AccessStore, registry: Registry) -> list[DemoAccount]:
    """The demo's accounts, one per role plus a 填报单位 for 西安市, created when missing (is_demo, no forced
    password change). Returns every demo account with its published password."""
    username, display_name, unit_text, password = _DEMO_UNIT
    unit = registry.resolve(unit_text).unit or registry.cities()[0]
    wanted = [DemoAccount(u, d, r, None, p) for u, d, r, p in _DEMO]
    wanted.append(DemoAccount(username, display_name.replace("西安市", registry.display_name(unit)), ROLE_UNIT,
                              unit.code, password))  # fmt: skip
    for demo in wanted:
        if store.account(demo.username) is None:
            store.add_account(
                demo.username, demo.display_name, demo.role, demo.unit_code, actor=SYSTEM_ACTOR, registry=registry,
                password=demo.password, must_change_password=False, is_demo=True,
            )  # fmt: skip
    return wanted


def retire_demo_accounts(store: AccessStore, *, actor: str = SYSTEM_ACTOR) -> list[str]:
    """Disable every enabled demo account and end its sessions: their passwords are published, so a deployment
    on real data must not keep them. The last-administrator rule does not hold them back (ensure_admin follows).
    Returns the user names disabled."""
    retired = [a.username for a in store.accounts() if a.is_demo and not a.disabled]
    if not retired:
        return []
    con = store._connect()
    try:
        with con:
            for username in retired:
                con.execute(
                    "update accounts set disabled = 1, changed_at = ? where username = ?",
                    (audit.utc_iso(store._now()), username),
                )
                store._close_sessions(con, username)
                store._audit(con, "account_disabled", actor=actor, target=username, outcome="成功",
                             detail="正式数据不使用演示账户（其密码是公开的）")  # fmt: skip
    finally:
        con.close()
    return retired
