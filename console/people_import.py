"""Bulk import of people from CSV (UTF-8 or GBK) or XLSX: check every row, then all or none.

Rows are read into plain dicts, each checked with the API's own `UserIn` schema plus what a
schema cannot see (the team by name, a username used twice in the file or already taken,
a role above the importer's own). Errors are listed per row in Chinese. The import itself
creates each person through `app.service.create_user` inside the request's one transaction,
so one refusal leaves nothing behind.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import ApiError, Unprocessable
from app.i18n import _field_message_zh, message_for
from app.models import Organisation, Team, User, role_at_least
from app.schemas import UserIn
from app.service import create_user

MAX_ROWS = 1000
HEADERS = {  # column title (Chinese or English) -> UserIn field
    "用户名": "username", "username": "username",
    "姓名": "display_name", "display_name": "display_name", "name": "display_name",
    "团队": "team", "team": "team",
    "角色": "role", "role": "role",
    "工号": "employee_no", "employee_no": "employee_no",
    "密码": "password", "password": "password",
}
ROLE_NAMES = {"职工": "staff", "员工": "staff", "活动组织者": "organizer", "组织者": "organizer",
              "单位管理员": "admin", "管理员": "admin"}
FIELD_NAMES_ZH = {"username": "用户名", "display_name": "姓名", "team": "团队", "role": "角色",
                  "employee_no": "工号", "password": "密码", "file": "文件"}


class ImportRejected(Unprocessable):
    code = "import_rejected"


@dataclass
class RowCheck:
    line: int
    values: dict
    errors: list[str] = field(default_factory=list)
    data: dict | None = None


def read_table(filename: str, content: bytes) -> list[dict]:
    """Rows of the first sheet as {field: text}, keyed by the recognised column titles."""
    if filename.lower().endswith(".xlsx"):
        rows = _xlsx_rows(content)
    else:
        rows = list(csv.reader(io.StringIO(_decode(content))))
    if not rows:
        raise ImportRejected(details={"文件": ["文件是空的 (the file is empty)"]})
    columns = [HEADERS.get(str(title or "").strip().lower(), HEADERS.get(
        str(title or "").strip())) for title in rows[0]]
    if "username" not in columns or "display_name" not in columns:
        raise ImportRejected(details={"文件": ["第一行须有“用户名”和“姓名”列 "
                                              "(the first row must name username and name)"]})
    body = [r for r in rows[1:] if any(str(c or "").strip() for c in r)]
    if len(body) > MAX_ROWS:
        raise ImportRejected(details={"文件": [f"最多 {MAX_ROWS} 行 (at most {MAX_ROWS} rows)"]})
    return [{col: str(cell if cell is not None else "").strip()
             for col, cell in zip(columns, row, strict=False) if col} for row in body]


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRejected(details={"文件": ["无法识别的文字编码，请使用 UTF-8 或 GBK"]})


def _xlsx_rows(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same refusal
        raise ImportRejected(details={"文件": ["无法读取该 XLSX 文件"]}) from exc
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def check_rows(session: Session, actor: User, org: Organisation,
               rows: list[dict]) -> list[RowCheck]:
    """Every row with its errors (Chinese); a row without errors carries its UserIn data."""
    teams = {t.name: t.id for t in session.scalars(select(Team).where(Team.org_id == org.id))}
    names = [r.get("username", "") for r in rows]
    taken = set(session.scalars(select(User.username).where(User.username.in_(names))))
    seen: set[str] = set()
    checks = []
    for number, values in enumerate(rows, start=2):  # line 1 is the header
        check = RowCheck(number, values)
        _check_row(check, values, teams, actor)
        username = values.get("username", "")
        if username in taken:
            check.errors.append(f"用户名“{username}”已被使用")
        if username and username in seen:
            check.errors.append(f"用户名“{username}”在文件中重复")
        seen.add(username)
        checks.append(check)
    return checks


def _check_row(check: RowCheck, values: dict, teams: dict[str, int], actor: User) -> None:
    raw = {k: v for k, v in values.items() if v and k in ("username", "display_name",
                                                         "employee_no", "password")}
    role = values.get("role") or "staff"
    raw["role"] = ROLE_NAMES.get(role, role)
    team = values.get("team")
    if team:
        if team not in teams:
            check.errors.append(f"团队“{team}”不存在")
        raw["team_id"] = teams.get(team)
    try:
        check.data = UserIn().load(raw)
    except ma.ValidationError as error:
        for name, messages in error.messages.items():
            for message in messages if isinstance(messages, list) else [messages]:
                check.errors.append(f"{FIELD_NAMES_ZH.get(name, name)}：{_zh(message)}")
        return
    if not role_at_least(actor.role, check.data["role"]):
        check.errors.append(message_for("role_not_allowed", language="zh"))


def _zh(message) -> str:
    return _field_message_zh(message) if isinstance(message, str) else str(message)


def import_people(session: Session, actor: User, org: Organisation, rows: list[dict],
                  ip: str | None, password_method: str) -> list[User]:
    """All rows or none: any row in error refuses the whole file (422 import_rejected)."""
    checks = check_rows(session, actor, org, rows)
    bad = {str(c.line): c.errors for c in checks if c.errors}
    if bad:
        raise ImportRejected(details=bad)
    created = []
    for check in checks:
        try:
            created.append(create_user(session, actor, org, dict(check.data), ip,
                                       password_method))
        except ApiError as error:
            raise ImportRejected(details={str(check.line): [
                message_for(error.code, error.params, "zh")]}) from error
    return created
