"""The console's blueprints: pages under /console, and the public disclosure page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")
public_bp = Blueprint("public_pages", __name__, template_folder="templates")
