"""The platform-agnostic dialogue: events in, replies out, state in the database.

Start at `conversations.dialogue.Conversation`; `docs/conversation.md` draws the states.
"""
