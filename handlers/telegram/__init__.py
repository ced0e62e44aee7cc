"""The Telegram adapter on python-telegram-bot 22: updates in, conversation replies out."""

from handlers.telegram.bot import TelegramBot

__all__ = ["TelegramBot"]
