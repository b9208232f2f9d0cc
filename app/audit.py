"""The audit log: every write by an organizer, admin or superadmin."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import AuditEntry, User


def record_audit(session: Session, actor: User, action: str, target_type: str,
                 target_id: object, changes: dict | None = None, *, org_id: int | None = None,
                 ip: str | None = None) -> AuditEntry:
    """Add an audit entry in the caller's transaction (it commits or rolls back with it)."""
    entry = AuditEntry(org_id=org_id if org_id is not None else actor.org_id, actor_id=actor.id,
                       action=action, target_type=target_type,
                       target_id=None if target_id is None else str(target_id),
                       changes=_jsonable(changes or {}), ip=ip)
    session.add(entry)
    return entry


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if k != "password"}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
