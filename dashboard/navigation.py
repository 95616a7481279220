"""Which pages each role may use: the one table app.py declares its pages from (no streamlit here, so the policy is
tested on its own). A page missing from a role's set is declared hidden for it and refuses to run when reached by
its URL; pages that change data check the role again themselves."""

from __future__ import annotations

from pipeline.access import ROLE_ADMIN, ROLE_ANALYST, ROLE_LEADER, ROLE_UNIT

STAFF = frozenset({ROLE_LEADER, ROLE_ANALYST, ROLE_ADMIN})  # the federation's own people: every unit's data
UPLOADERS = frozenset({ROLE_ANALYST, ROLE_ADMIN, ROLE_UNIT})
ADMINS = frozenset({ROLE_ADMIN})
EVERYONE = STAFF | {ROLE_UNIT}

# (section, file, title, icon, url_path, roles); the first is the default page ("/").
PAGE_TABLE = (
    ("看板", "app_pages/overview.py", "总览", ":material/dashboard:", None, STAFF),
    ("看板", "app_pages/measure_detail.py", "措施详情", ":material/search:", "measure", STAFF),
    ("看板", "app_pages/present.py", "放映模式", ":material/slideshow:", "present", STAFF),
    ("专题图表", "app_pages/coverage.py", "组织覆盖", ":material/account_tree:", None, STAFF),
    ("专题图表", "app_pages/funding.py", "经费保障", ":material/payments:", None, STAFF),
    ("专题图表", "app_pages/inspections.py", "督查结果", ":material/fact_check:", None, STAFF),
    ("专题图表", "app_pages/cadres.py", "干部队伍", ":material/groups:", None, STAFF),
    ("单位与报送", "app_pages/unit_profile.py", "单位画像", ":material/apartment:", "unit", EVERYONE),
    ("单位与报送", "app_pages/tracker.py", "报送情况", ":material/checklist:", None, EVERYONE),
    ("单位与报送", "app_pages/changes.py", "会议以来变化", ":material/difference:", "changes", STAFF),
    ("单位与报送", "app_pages/export.py", "导出", ":material/ios_share:", "export", STAFF),
    ("单位与报送", "app_pages/upload.py", "数据上传", ":material/upload_file:", None, UPLOADERS),
    ("参考", "app_pages/measures.py", "十八条原文", ":material/menu_book:", None, EVERYONE),
    ("参考", "app_pages/filling_help.py", "填报说明", ":material/help:", "help", EVERYONE),
    ("系统管理", "app_pages/settings.py", "系统设置", ":material/tune:", "settings", ADMINS),
    ("系统管理", "app_pages/accounts.py", "账户管理", ":material/manage_accounts:", "accounts", ADMINS),
    ("系统管理", "app_pages/audit_log.py", "操作日志", ":material/history_edu:", "audit", ADMINS),
    ("账户", "app_pages/password.py", "修改密码", ":material/password:", "password", EVERYONE),
)
# A 填报单位 sees its own unit under names that say so.
UNIT_TITLES = {"app_pages/unit_profile.py": "本单位情况", "app_pages/tracker.py": "本单位报送"}
PRESENT_PATH, PASSWORD_PATH, UNIT_HOME = "app_pages/present.py", "app_pages/password.py", "app_pages/unit_profile.py"


def allowed_files(role: str) -> tuple[str, ...]:
    """The page files a role may use, in menu order."""
    return tuple(file for _, file, _, _, _, roles in PAGE_TABLE if role in roles)
