"""Saving and loading users' and teams' custom styles (the `CustomStyle` table).

A spec is validated with the engine's own rules before it is written, and again when it is
read back (the rules may have tightened since), so only usable templates leave this module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select

from engine.errors import StyleError
from engine.styles import StyleTemplate, validate_custom_style
from storage.database import Database
from storage.models import CustomStyle

log = logging.getLogger(__name__)


def save_custom_style(
    db: Database,
    owner_id: int,
    spec: Mapping[str, Any],
    *,
    team_id: int | None = None,
    reserved: Iterable[str] = (),
    tokenizer: Any | None = None,
) -> StyleTemplate:
    """Validate `spec` and store it under the owner (replacing their style of the same name).

    Raises `StyleError` with the reason when the spec is not a usable style; `reserved` are
    the built-in names a custom style may not take.
    """
    template = validate_custom_style(spec, tokenizer=tokenizer, reserved=reserved)
    stored = {**spec, "name": template.name}
    with db.session() as session:
        row = session.exec(
            select(CustomStyle).where(CustomStyle.owner_id == owner_id, CustomStyle.name == template.name)
        ).first()
        if row is None:
            row = CustomStyle(owner_id=owner_id, team_id=team_id, name=template.name, spec=stored)
        else:
            row.spec = stored
            row.team_id = team_id
        session.add(row)
    return template


def load_custom_styles(
    db: Database, owner_id: int, *, team_id: int | None = None, reserved: Iterable[str] = ()
) -> list[StyleTemplate]:
    """The owner's styles plus their team's, each re-validated; a stored style that no longer
    validates is skipped and logged rather than breaking the style menu."""
    condition = col(CustomStyle.owner_id) == owner_id
    if team_id is not None:
        condition = or_(condition, col(CustomStyle.team_id) == team_id)
    with db.session() as session:
        rows = session.exec(select(CustomStyle).where(condition).order_by(col(CustomStyle.name))).all()
    reserved = set(reserved)
    templates: dict[str, StyleTemplate] = {}
    for row in rows:
        try:
            template = validate_custom_style(row.spec, reserved=reserved)
        except StyleError as exc:
            log.warning("custom style %s (id %s) is no longer valid: %s", row.name, row.id, exc)
            continue
        if row.owner_id == owner_id or template.name not in templates:
            templates[template.name] = template
    return list(templates.values())


def delete_custom_style(db: Database, owner_id: int, name: str) -> bool:
    """Remove the owner's style called `name`; False when there was none."""
    with db.session() as session:
        row = session.exec(
            select(CustomStyle).where(CustomStyle.owner_id == owner_id, CustomStyle.name == name.lower())
        ).first()
        if row is None:
            return False
        session.delete(row)
    return True
