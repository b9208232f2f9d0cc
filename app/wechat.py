"""WeChat `jscode2session`: a login code from `wx.login()` -> the user's openid.

The `session_key` WeChat returns is never kept, returned or logged.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from app.errors import ApiError, RateLimited, ServiceUnavailable, Unauthorized

log = logging.getLogger(__name__)

# https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html
INVALID_CODE_ERRORS = {40029, 40163, 40226}
RATE_LIMIT_ERRORS = {45011}


@dataclass(frozen=True)
class WeChatSettings:
    appid: str
    secret: str
    api_base: str
    timeout_s: float = 3.0


def exchange_code(code: str, settings: WeChatSettings) -> str:
    """Return the openid for a login code, or raise an error the client can act on."""
    if not settings.appid or not settings.secret:
        raise ApiError("wechat_not_configured", status=503)
    query = urllib.parse.urlencode({"appid": settings.appid, "secret": settings.secret,
                                    "js_code": code, "grant_type": "authorization_code"})
    url = f"{settings.api_base}/sns/jscode2session?{query}"
    try:
        with urllib.request.urlopen(url, timeout=settings.timeout_s) as response:  # noqa: S310
            payload = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        log.warning("wechat unreachable: %s", exc.__class__.__name__)
        raise ServiceUnavailable("wechat_unavailable") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ServiceUnavailable("wechat_unavailable") from exc
    errcode = _errcode(payload)
    if errcode in INVALID_CODE_ERRORS:
        raise Unauthorized("wechat_code_invalid")
    if errcode in RATE_LIMIT_ERRORS:
        raise RateLimited(60, "wechat_rate_limited")
    openid = payload.get("openid")
    if errcode or not openid:
        log.warning("wechat jscode2session errcode=%s", errcode)  # never the session_key
        raise ServiceUnavailable("wechat_unavailable")
    return str(openid)


def _errcode(payload: object) -> int:
    """WeChat's errcode (0: none); an answer of another shape means WeChat is not itself."""
    try:
        return int(payload.get("errcode") or 0)  # type: ignore[union-attr]
    except (AttributeError, TypeError, ValueError) as exc:
        log.warning("wechat jscode2session answered in an unknown shape")
        raise ServiceUnavailable("wechat_unavailable") from exc
