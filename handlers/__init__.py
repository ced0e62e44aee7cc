"""Chat platform adapters (Telegram, Discord): updates in, conversation replies out, no business logic."""
