"""Slash commands in the member's language: Discord's name and description localisations.

discord.py turns every command, group and option name and description into a `locale_str`
and asks the tree's `Translator` for each of Discord's locales when it syncs; this one answers
from the same catalogues as the conversation. Names need a context of their own (`COMMAND`):
"new" the command is not "new" the adjective. Discord keeps names lowercase without spaces,
so the catalogue entries are written that way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, cast

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation, TranslationContextTypes, locale_str

from conversations.i18n.translate import DEFAULT_LOCALE, NC_, negotiate, set_locale, tr, tr_c, use_locale
from conversations.shared.events import ChatRef

if TYPE_CHECKING:
    from handlers.discord.host import DiscordHost

COMMAND: Final = "discord command name"
NAMES: Final = (
    NC_("discord command name", "headshot"),
    NC_("discord command name", "start"),
    NC_("discord command name", "help"),
    NC_("discord command name", "new"),
    NC_("discord command name", "status"),
    NC_("discord command name", "cancel"),
    NC_("discord command name", "delete"),
    NC_("discord command name", "styles"),
    NC_("discord command name", "language"),
    NC_("discord command name", "settings"),
    NC_("discord command name", "show"),
    NC_("discord command name", "channels"),
    NC_("discord command name", "quota"),
    NC_("discord command name", "public"),
    NC_("discord command name", "team"),
    NC_("discord command name", "export"),
    NC_("discord command name", "leave"),
)
"""Every command and group name, for `make i18n-extract`."""
NAMED: Final = frozenset({TranslationContextLocation.command_name, TranslationContextLocation.group_name})


def locale_of(locale: discord.Locale) -> str | None:
    """Our locale for one of Discord's, None where we have no catalogue for it."""
    code = negotiate(locale.value)
    if code == DEFAULT_LOCALE:
        return None
    return code


class CatalogueTranslator(app_commands.Translator):
    """Names and descriptions from the catalogues; None (Discord shows the English) without one."""

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: TranslationContextTypes
    ) -> str | None:
        code = locale_of(locale)
        if code is None or context.location == TranslationContextLocation.parameter_name:
            return None
        with use_locale(code):
            text = tr_c(COMMAND, string.message) if context.location in NAMED else tr(string.message)
        return text if text != string.message else None


class LocalisedTree(app_commands.CommandTree[Any]):
    """Sets the member's language before a slash command runs, so what the handlers say
    themselves (settings, errors, "check your DMs") is in it too."""

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        host = cast("DiscordHost", self.client)
        chat = ChatRef("discord", str(interaction.user.id), "", locale=interaction.locale.value)
        set_locale(await host.conversation.locale_for(chat))
        return True
