"""shared posts recorded; the unused custom style table dropped

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sharedpost',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sharedpost', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sharedpost_user_id'), ['user_id'], unique=False)

    # Written by nothing since the first build (custom styles live in style files).
    with op.batch_alter_table('customstyle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customstyle_owner_id'))
    op.drop_table('customstyle')


def downgrade() -> None:
    op.create_table('customstyle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('owner_id', 'name')
    )
    with op.batch_alter_table('customstyle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customstyle_owner_id'), ['owner_id'], unique=False)

    with op.batch_alter_table('sharedpost', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sharedpost_user_id'))
    op.drop_table('sharedpost')
