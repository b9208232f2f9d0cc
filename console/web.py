"""Request side of the console: the signed-in person, roles, language, forms and pages.

The console reads only its own session cookie: an `Authorization` header opens nothing
here, and the JSON API never reads the cookie (app/auth.py reads bearer tokens only).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from functools import wraps
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from werkzeug.datastructures import MultiDict

from app.auth import client_ip  # noqa: F401 - the pages' one way to read it
from app.clock import now_utc
from app.errors import Forbidden, Unprocessable
from app.extensions import db
from app.i18n import translate_field_messages
from app.models import User, role_at_least
from console.i18n import LANGUAGES, translate
from console.sessions import user_of_session

# Times typed into forms carry no offset; the API schemas read them as Beijing time.
FORM_ZONE = ZoneInfo("Asia/Shanghai")
SESSION_KEY = "sid"  # in Flask's signed, HttpOnly, SameSite=Lax session cookie
LANG_COOKIE = "lc_lang"


def language() -> str:
    """`?lang=` first, then the language cookie, else Chinese."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    kept = request.cookies.get(LANG_COOKIE)
    return kept if kept in LANGUAGES else "zh"


def t(key: str, **params) -> str:
    return translate(key, language(), **params)


def signed_in_user() -> User | None:
    if "console_user" not in g:
        g.console_user = user_of_session(db.session, session.get(SESSION_KEY), now_utc())
    return g.console_user


def current_user() -> User:
    return g.console_user


def safe_next(target: str | None) -> str:
    """Only a path inside the console, never another site."""
    if target and target.startswith("/console") and not urlsplit(target).netloc \
            and "\\" not in target:
        return target
    return url_for("console.home")


def page(min_role: str = "staff"):
    """A console page: a live session (else the sign-in page) and at least `min_role` (403)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = signed_in_user()
            if user is None:
                return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
            if not role_at_least(user.role, min_role):
                raise Forbidden()
            return view(*args, **kwargs)

        return wrapper

    return decorator


def render(template: str, status: int = 200, **context):
    return render_template(template, **context), status


def _typed(field: ma.fields.Field, value: str):
    """Form text as the JSON type the API schema expects (its integers are strict)."""
    if isinstance(field, ma.fields.Integer):
        try:
            return int(value)
        except ValueError:
            return value
    if isinstance(field, ma.fields.Float):  # money fields take JSON numbers only
        try:
            return float(value)
        except ValueError:
            return value
    if isinstance(field, ma.fields.Boolean):
        return value in ("1", "true", "on", "yes")
    return value


def form_data(schema: ma.Schema, labels: dict[str, str] | None = None, *,
              fields: MultiDict | dict | None = None,
              blank_is_none: tuple[str, ...] = (), extra: dict | None = None) -> dict:
    """A submitted form read with the API's own schema; blank fields are left out (or None).

    Invalid values raise the API's 422, each message under the field's label key.
    """
    fields = request.form if fields is None else fields
    raw = dict(extra or {})
    for name, field in schema.fields.items():
        value = fields.get(name)
        if value is None or name in raw:
            continue
        value = value.strip()
        if value:
            raw[name] = _typed(field, value)
        elif name in blank_is_none:
            raw[name] = None
    try:
        return schema.load(raw)
    except ma.ValidationError as error:
        messages = translate_field_messages(error.messages)
        labels = labels or {}
        raise Unprocessable(details={(t(labels[k]) if k in labels else k): v
                                     for k, v in messages.items()}) from error


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


NAV = (  # (label key, endpoint, minimum role, needs an organisation)
    ("nav.dashboard", "console.dashboard_page", "admin", True),
    ("nav.counter", "console.counter_page", "admin", True),
    ("nav.rewards", "console.rewards_page", "admin", True),
    ("nav.people", "console.people", "admin", True),
    ("nav.adjust", "console.adjustments", "admin", True),
    ("nav.reports", "console.reports", "admin", True),
    ("nav.energy", "console.energy", "admin", True),
    ("nav.reviews", "console.reviews", "admin", True),
    ("nav.audit", "console.audit", "admin", True),
    ("nav.settings", "console.org_settings", "admin", True),
    ("nav.campaigns", "console.campaigns", "organizer", True),
    ("nav.region", "console.region", "superadmin", False),
    ("nav.energy_reviews", "console.energy_reviews", "superadmin", False),
    ("nav.boards", "console.boards", "staff", False),
    ("nav.me", "console.me", "staff", False),
)


def nav_items(user: User | None) -> list[dict]:
    """The pages this person may open, for the header."""
    if user is None:
        return []
    org_id = (request.view_args or {}).get("org_id") or user.org_id
    items = []
    for key, endpoint, min_role, needs_org in NAV:
        if (not role_at_least(user.role, min_role) or (needs_org and org_id is None)
                or endpoint not in current_app.view_functions):
            continue
        url = url_for(endpoint, org_id=org_id) if needs_org else url_for(endpoint)
        items.append({"label": t(key), "url": url, "current": request.endpoint == endpoint})
    return items


def language_switch_url() -> str:
    """This page in the other language, its other query arguments kept."""
    args = request.args.to_dict()
    args["lang"] = "zh" if language() == "en" else "en"
    return f"{request.path}?{urlencode(args)}"


def page_context() -> dict:
    user = signed_in_user() if request.endpoint != "console.static" else None
    return {"user": user, "lang": language(), "t": t, "nav_items": nav_items(user),
            "fmt": fmt, "local_time": local_time, "kpi_labels": KPI_LABELS,
            "tz": FORM_ZONE, "language_switch_url": language_switch_url()}


KPI_LABELS = {"co2e_saved_kg": "dash.co2e", "participation_rate": "dash.participation",
              "points_issued": "dash.points_issued", "points_redeemed": "dash.points_redeemed"}


def fmt(figure: str, value) -> str:
    """A figure as people read it: a rate in percent, a missing value as a dash."""
    if value is None:
        return "—"
    if figure.endswith("_rate") or figure == "goal_progress":
        return f"{float(value) * 100:.1f}%"
    return str(value)


def local_time(value, timezone: str | None = None) -> str:
    """An instant in the organisation's time zone (default Beijing), to the minute."""
    from app.calendar import org_zone

    if value is None:
        return "—"
    return value.astimezone(org_zone(timezone)).strftime("%Y-%m-%d %H:%M")


def small_int(text: str | None) -> int | None:
    """A query-string id as a database integer, or None (never an overflow in SQL)."""
    if text and text.isdigit() and len(text) <= 9:
        return int(text)
    return None


def uploaded_file() -> tuple[str, bytes]:
    """An import's file: uploaded, or carried forward by its dry run (base64 in the form).

    Nothing readable gives empty content, which the page refuses under the file field."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.filename, upload.read()
    try:
        return (request.form.get("filename", "import.csv"),
                base64.b64decode(request.form.get("content", ""), validate=True))
    except (binascii.Error, ValueError):
        return "", b""


def saved(url: str):
    """After a form's change is committed: say so and show the page again (303)."""
    flash(t("common.saved"), "ok")
    return redirect(url, 303)
