"""User-facing messages: Chinese first, English on `Accept-Language: en`."""

from __future__ import annotations

import re

from flask import has_request_context, request

# code -> (zh, en). Messages may carry str.format placeholders filled from error params.
MESSAGES: dict[str, tuple[str, str]] = {
    "bad_request": ("请求格式错误", "The request is malformed"),
    "invalid_json": ("请求体不是有效的 JSON", "The request body is not valid JSON"),
    "validation_error": ("提交的数据不符合要求", "Some values are invalid"),
    "unauthorized": ("请先登录", "Authentication is required"),
    "token_invalid": ("登录凭证无效或已过期，请重新登录", "The token is invalid or expired"),
    "invalid_credentials": ("用户名或密码错误", "Wrong username or password"),
    "refresh_token_invalid": ("刷新凭证无效，请重新登录", "The refresh token is invalid"),
    "forbidden": ("没有权限执行此操作", "You are not allowed to do this"),
    "not_found": ("找不到请求的资源", "Not found"),
    "method_not_allowed": ("不支持该请求方法", "Method not allowed"),
    "payload_too_large": ("请求体过大（上限 64 KiB）", "The request body is too large (64 KiB max)"),
    "rate_limited": ("操作过于频繁，请稍后再试", "Too many requests, try again later"),
    "value_not_storable": ("某个值过长或过大，无法保存", "A value is too long or too large to store"),
    "internal_error": ("服务器内部错误，请稍后再试", "Internal server error"),
    "service_unavailable": ("服务暂时不可用，请稍后再试", "The service is temporarily unavailable"),
    "conflict": ("数据冲突，请重试", "Conflicting change, please retry"),
    "api_key_invalid": ("API 密钥无效、已吊销或已过期", "The API key is unknown, revoked or expired"),
    "api_key_scope": ("该 API 密钥无权执行此操作", "The API key's scopes do not allow this"),
    "format_unsupported": ("不支持的交换文件格式或版本", "The exchange document's format or version is not supported"),
    "signature_invalid": ("交换文件签名无效，或与登记的合作地区不符", "The document's signature does not verify against the registered partner of its region"),
    "partner_exists": ("该地区已登记合作平台", "A partner is already registered for this region"),
    "flag_register_reset": ("表计读数下降（翻转或换表），已作为新的起点，未计入用量", "The meter register went down (rollover or a new meter): a new baseline, nothing booked"),
    "meter_carrier_mismatch": ("该表计此前报送的不是这种能源品种", "This meter reported another carrier before"),
    "read_at_in_future": ("读数时间不能晚于现在", "The reading time is in the future"),
    "read_at_out_of_order": ("读数时间早于该表计已有的最新读数", "The reading is older than the meter's latest"),
    "meter_reading_conflict": ("该表计同一时间已有不同的读数", "This meter already has another value at that time"),
    "signing_key_missing": ("尚未生成交换签名密钥（flask exchange keygen）", "No exchange signing key (run flask exchange keygen)"),
    "not_enrolled": ("请先加入所在单位", "Join your organisation first"),
    "wechat_code_invalid": ("微信登录码无效或已使用", "The WeChat login code is invalid or used"),
    "wechat_rate_limited": ("微信登录过于频繁，请稍后再试", "WeChat login is rate limited"),
    "wechat_unavailable": ("微信服务暂时不可用", "WeChat is unreachable right now"),
    "wechat_not_configured": ("未配置微信登录", "WeChat login is not configured"),
    "invite_invalid": ("邀请码无效、已过期或已用完", "The invite code is unknown, expired or used up"),
    "already_enrolled": ("你已加入单位", "You are already enrolled"),
    "username_taken": ("用户名已被使用", "The username is taken"),
    "password_too_short": ("密码至少需要 {min_length} 位", "The password needs at least {min_length} characters"),
    "password_too_common": ("密码过于常见或容易猜到，请换一个", "The password is too common or easy to guess; choose another"),
    "current_password_wrong": ("当前密码不正确", "The current password is wrong"),
    "self_adjustment": ("不能调整自己的积分，请由其他管理员操作", "You cannot adjust your own points; another admin must"),
    "team_not_in_org": ("该团队不属于此单位", "The team is not in this organisation"),
    "cannot_lock_self_out": ("不能降低自己的角色或停用自己的账号，请由其他管理员操作", "You cannot lower your own role or deactivate yourself; another admin must"),
    "role_not_allowed": ("不能授予高于自己的角色", "You cannot grant a role above your own"),
    "idempotency_key_missing": ("缺少 Idempotency-Key 请求头", "The Idempotency-Key header is required"),
    "idempotency_key_reused": (
        "该幂等键已用于不同的请求",
        "The idempotency key was used with a different request",
    ),
    "request_in_progress": ("相同的请求正在处理中", "The same request is still being processed"),
    "insufficient_points": ("积分不足", "Not enough points"),
    "out_of_stock": ("库存不足", "Out of stock"),
    "limit_reached": ("已达到每人兑换上限", "You have reached the per-person limit"),
    "reward_unavailable": ("该奖品当前不可兑换", "This reward is not available"),
    "pickup_code_mismatch": ("取货码不正确", "The pickup code does not match"),
    "redemption_not_pending": ("该兑换已处理，不能再操作", "The redemption is no longer pending"),
    "stock_negative": ("库存不能小于零", "Stock cannot go below zero"),
    "balance_negative": ("积分余额不能小于零", "The balance cannot go below zero"),
    "unknown_activity_type": ("未知的行为类型", "Unknown activity type"),
    "quantity_out_of_range": ("数量超出允许范围", "The quantity is out of range"),
    "occurred_in_future": ("发生时间不能晚于现在", "The time is in the future"),
    "occurred_too_long_ago": ("超出可补录的时间范围", "Older than the back-fill window"),
    "activity_not_voidable": ("只能撤销当天记录的行为", "Only activities logged today can be voided"),
    "activity_already_voided": ("该记录已撤销", "The activity is already voided"),
    "activity_points_spent": ("该记录获得的积分已被使用（如兑换奖品），无法撤销", "The points this activity earned have already been spent, so it cannot be voided"),
    "event_closed": ("活动不在签到时间内", "The event is not open for check-in"),
    "event_full": ("活动签到人数已满", "The event is full"),
    "already_checked_in": ("你已签到过", "You have already checked in"),
    "campaign_started": ("活动已开始，规则不能修改", "The campaign has started; its rules are fixed"),
    "campaign_end_not_extendable": ("活动已开始，只能提前结束，不能延长", "The campaign has started: it can only end earlier, not later"),
    "campaign_starts_in_past": ("活动最多从一小时前开始", "A campaign may start at most an hour in the past"),
    "campaign_too_long": ("活动时间过长（最长 92 天）", "The campaign is too long (92 days at most)"),
    "campaign_event_points_exceeded": ("本活动的开放日积分合计已达上限", "The campaign's events would give more points than its ceiling"),
    "own_event_checkin": ("不能在自己创建的开放日签到", "You cannot check in at an event you created"),
    "event_not_approved": ("该开放日积分较高，须经管理员批准后才能签到", "This event awaits an admin's approval before check-ins"),
    "event_already_approved": ("该开放日已批准或无需批准", "The event is already approved, or needs no approval"),
    "redemption_locked": ("取货码错误次数过多，该兑换已锁定，须由管理员核实后越权核销", "Too many wrong pickup codes: the redemption is locked until an admin fulfils it by override"),
    "redemption_not_locked": ("只有被锁定的兑换才能越权核销，请输入取货码", "Only a locked redemption can be fulfilled by override; enter the pickup code"),
    "unknown_carrier": ("未知的能源品种", "Unknown energy carrier"),
    "unit_mismatch": ("该能源品种不接受此计量单位", "This carrier does not take that unit"),
    "period_in_future": ("统计期尚未开始", "The period has not begun yet"),
    "period_invalid": ("统计期格式应为 YYYY-MM 或 YYYY", "The period must be YYYY-MM or YYYY"),
    "profile_invalid": ("建筑面积和用能人数必须为正数", "Building area and occupants must be positive"),
    "reading_exists": ("该能源品种在此统计期已有数据，请更正而非重复录入", "A reading for this carrier and period already exists; correct it instead"),
    "period_conflict": ("同一年度的能源数据只能按月或按年录入，不能混用", "A year takes either monthly readings or one annual reading, not both"),
    "period_submitted": ("该统计期已提交审核，数据暂不可修改", "The period is submitted for review; its readings are read-only"),
    "period_approved": ("该统计期已审核通过", "The period is already approved"),
    "nothing_to_submit": ("该统计期没有可提交的能源数据", "The period has no readings to submit"),
    "submission_not_pending": ("该提交已审核，不能再操作", "The submission has already been reviewed"),
    "reason_required": ("更正数据必须填写原因", "A correction needs a reason"),
    "import_rejected": ("导入数据有误，未写入任何数据", "The import has invalid items; nothing was written"),
    "batch_too_large": ("单次最多 {limit} 条", "At most {limit} items at a time"),
    "file_type_unsupported": ("只支持 CSV 或 XLSX 文件", "Only CSV or XLSX files are accepted"),
    "file_encoding_invalid": ("文件编码无法识别（请使用 UTF-8 或 GBK）", "The file is neither valid UTF-8 nor GBK"),
    "file_columns_invalid": ("文件的列不符合模板", "The file's columns do not match the template"),
    "flag_yoy_jump": ("与上年同期相比变化超过 {threshold_pct}%", "More than {threshold_pct}% away from the same period a year before"),
    "flag_unit_price": ("单价超出合理范围", "The unit price is outside the plausible band"),
    "flag_denominator_change": ("建筑面积或用能人数比上年变化超过 {threshold_pct}%", "Area or occupants changed by more than {threshold_pct}% from the year before"),
    "flag_missing_months": ("部分月份缺少数据", "Some months have no reading"),
    "flag_inputs_missing": ("缺少计算所需的数据，指标为空", "Inputs are missing, so the indicator is null"),
    "flag_restated": ("该年度数据已更正重述", "This year's data has been restated"),
    "review_decided": ("该审核已处理，不能再次决定", "The review has already been decided"),
}


# Field messages in an error's `details` (field -> [message]): code -> (zh, en).
DETAIL_MESSAGES: dict[str, tuple[str, str]] = {
    "not_blank": ("不能为空白", "Must not be blank"),
    "no_control_characters": ("不能包含控制字符、格式字符或换行",
                              "No control, format or line-break characters"),
    "ascii_digits_only": ("只能使用 ASCII 数字", "ASCII digits only"),
    "year_out_of_range": ("超出支持的年份范围 {earliest}-{latest}",
                          "Year out of range {earliest}-{latest}"),
    "override_needs_reason": ("须写明原因", "An override needs a reason"),
    "pickup_code_required": ("请输入取货码", "A pickup code is required"),
    "campaign_start_too_early": ("最多从一小时前开始", "May start at most an hour in the past"),
    "campaign_max_days": ("活动最长 {days} 天", "At most {days} days long"),
    "campaign_end_only_earlier": ("活动已开始，只能提前结束",
                                  "A started campaign can only end earlier"),
    "not_before_now": ("不能早于现在", "Must not be before now"),
    "at_least_one": ("至少为 1", "Must be at least 1"),
    "invalid_cursor": ("无效的游标", "Invalid cursor"),
    "no_nul_characters": ("不能包含空字符", "Must not contain NUL characters"),
    "unknown_timezone": ("未知时区", "Unknown time zone"),
    "username_characters": ("只能包含字母、数字和 _ . -", "Only letters, digits and _ . -"),
    "team_not_in_org": ("该团队不属于此单位", "The team is not in this organisation"),
    "team_name_taken": ("同名团队已存在", "A team with this name exists"),
    "username_taken": ("用户名已被使用", "The username is taken"),
    "must_be_in_future": ("必须晚于现在", "Must be in the future"),
    "org_required_for_superadmin": ("必填字段（超级管理员须指定单位）", "Required for a superadmin"),
    "must_not_be_zero": ("不能为 0", "Must not be zero"),
    "must_be_number": ("必须是数字", "Must be a number"),
    "yuan_range": ("必须大于 0 且不超过 {max}", "Must be greater than 0 and at most {max}"),
    "at_most_decimals": ("最多 {places} 位小数", "At most {places} decimals"),
    "after_available_from": ("必须晚于 available_from", "Must be after available_from"),
    "at_most_characters": ("最长 {max} 个字符", "At most {max} characters"),
    "unknown_activity_type": ("未知的行为类型：{key}", "Unknown activity type: {key}"),
    "quantity_limits": ("须大于 0、不超过 {limit}、最多 3 位小数", "Must be > 0, at most {limit}, with at most 3 decimals"),
    "batch_size": ("1 到 {max} 条", "1 to {max} items"),
    "not_a_date_or_time": ("不是有效的日期或时间", "Not a valid date or time"),
    "not_in_future": ("不能晚于现在", "Must not be in the future"),
    "backfill_window": ("最多补录 {days} 天内的行为", "At most {days} days back"),
    "client_id_reused": ("该 client_id 已用于不同的记录", "This client_id was used for another entry"),
    "one_of": ("可选：{choices}", "One of: {choices}"),
    "person_board_metrics": ("个人榜只支持 co2e 或 points", "Boards of people support co2e or points only"),
    "org_or_region_required": ("请指定单位或地区", "Give org_id or region"),
    "org_or_region_not_both": ("org_id 与 region 只能选一个", "Give org_id or region, not both"),
    "fixed_after_start": ("活动已开始，不能修改", "Fixed once the campaign has started"),
    "can_only_extend": ("只能延长", "Can only be extended"),
    "ends_after_start": ("结束时间须晚于开始时间", "Must be after the start"),
    "events_outside_window": ("已有活动日不在新时间内", "Existing events fall outside the new window"),
    "inside_campaign_window": ("须在活动周期内", "Must be inside the campaign window"),
    "multiplier_range": ("倍数须在 1 到 5 之间", "The multiplier must be between 1 and 5"),
    "multiplier_places": ("倍数最多两位小数", "At most 2 decimals"),
    "unknown_activity_types": ("未知的行为类型：{types}", "Unknown activity types: {types}"),
    "goal_value": ("目标须为非负数，最多三位小数", "Must be >= 0 with at most 3 decimals"),
    "checkin_code_empty": ("签到码不能为空", "The check-in code is empty"),
}


class FieldMessage(str):
    """A message for `details`, in Chinese (its text) or English, chosen when the error is sent.

    A `str`, so marshmallow and JSON take it as any message; `format` returns it unchanged,
    since marshmallow validators format their `error` with the input.
    """

    code: str
    params: dict

    def __new__(cls, code: str, **params) -> FieldMessage:
        message = super().__new__(cls, DETAIL_MESSAGES[code][0].format(**params))
        message.code, message.params = code, params
        return message

    def format(self, *_args, **_kwargs) -> FieldMessage:
        return self

    def __copy__(self) -> FieldMessage:  # immutable; marshmallow deep-copies its fields
        return self

    def __deepcopy__(self, _memo) -> FieldMessage:
        return self

    def in_language(self, language: str) -> str:
        zh, en = DETAIL_MESSAGES[self.code]
        return (en if language == "en" else zh).format(**self.params)


def preferred_language() -> str:
    """'en' when the client asks for English first, else 'zh'."""
    if not has_request_context():
        return "zh"
    best = request.accept_languages.best_match(["zh", "en"], default="zh")
    return "en" if best == "en" else "zh"


def message_for(code: str, params: dict | None = None, language: str | None = None) -> str:
    zh, en = MESSAGES.get(code, MESSAGES["bad_request"])
    text = en if (language or preferred_language()) == "en" else zh
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError):
            return text
    return text


# marshmallow's field messages, so validation details read in Chinese too.
FIELD_MESSAGES_ZH: dict[str, str] = {
    "Missing data for required field.": "必填字段",
    "Unknown field.": "不允许的字段",
    "Not a valid integer.": "不是有效的整数",
    "Not a valid number.": "不是有效的数字",
    "Not a valid string.": "不是有效的字符串",
    "Not a valid boolean.": "不是有效的布尔值",
    "Not a valid datetime.": "不是有效的时间（ISO 8601）",
    "Not a valid date.": "不是有效的日期",
    "Not a valid email address.": "不是有效的邮箱",
    "Not a valid URL.": "不是有效的网址",
    "Field may not be null.": "不能为空",
    "Invalid input type.": "输入类型错误",
    "Invalid value.": "无效的值",
    "Not a valid mapping type.": "应为对象",
    "Not a valid list.": "应为列表",
    "Invalid JSON body.": "请求体不是有效的 JSON",
    "String does not match expected pattern.": "格式不正确",
}

# marshmallow's parametrised validator messages (Length, Range, OneOf) -> Chinese templates.
FIELD_PATTERNS_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Length must be between (\S+) and (\S+)\."), "长度必须在 {0} 到 {1} 之间"),
    (re.compile(r"Length must be (\S+)\."), "长度必须为 {0}"),
    (re.compile(r"Shorter than minimum length (\S+)\."), "长度不能少于 {0}"),
    (re.compile(r"Longer than maximum length (\S+)\."), "长度不能超过 {0}"),
    (re.compile(r"Must be one of: (.*)\."), "必须是以下之一：{0}"),
    (re.compile(r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\."),
     "必须大于或等于 {0} 且小于或等于 {1}"),
    (re.compile(r"Must be greater than or equal to (\S+)\."), "必须大于或等于 {0}"),
    (re.compile(r"Must be less than or equal to (\S+)\."), "必须小于或等于 {0}"),
]


def _field_message_zh(message: str) -> str:
    if message in FIELD_MESSAGES_ZH:
        return FIELD_MESSAGES_ZH[message]
    for pattern, template in FIELD_PATTERNS_ZH:
        match = pattern.fullmatch(message)
        if match:
            return template.format(*match.groups())
    return message


def translate_field_messages(details, language: str | None = None):
    """Field messages (nested dicts/lists) in the client's language: ours from
    DETAIL_MESSAGES, marshmallow's (English) translated when answering in Chinese."""
    language = language or preferred_language()
    if isinstance(details, dict):
        return {k: translate_field_messages(v, language) for k, v in details.items()}
    if isinstance(details, list):
        return [translate_field_messages(v, language) for v in details]
    if isinstance(details, FieldMessage):
        return details.in_language(language)
    if isinstance(details, str) and language != "en":
        return _field_message_zh(details)
    return details
