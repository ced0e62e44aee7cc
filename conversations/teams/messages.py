"""Every sentence of team orders, in one place (see `conversations.shared.messages`)."""

from __future__ import annotations

from typing import Final

TEAM_HELP: Final = (
    "Team orders: matching headshots for a whole team.\n\n"
    "In the group: /team new NAME; style=STYLE; photos=N; deadline=3d\n"
    "A custom team look: add backdrop=#1f3a5f; attire=navy blazer, white shirt; framing=head and shoulders\n"
    "Then: /team status, /team export, /team cancel (organiser or admins).\n"
    "Members join with the button on the order card and send their selfies to me privately; "
    "/team leave removes them and their photos.\n\nStyles: {styles}"
)
TEAM_BAD_REQUEST: Final = "I can't start that team order: {reason}\n/team help shows the format."
TEAM_IN_GROUP_ONLY: Final = "Start a team order in the team's group chat, not here."
TEAM_ALREADY_OPEN: Final = "This chat already has an open team order ({name}); /team cancel ends it first."
NO_TEAM_HERE: Final = "There is no open team order here. /team new starts one."
ONLY_ORGANISER: Final = "Only the organiser or a chat admin can do that."
TEAM_UNKNOWN: Final = "That team order no longer exists or has closed."
UNKNOWN_TEAM_COMMAND: Final = "I don't know that team command. /team help lists them."

CARD_TITLE: Final = "Team order: {name}"
CARD_DETAILS: Final = "Style: {style} · {photos} photos each{deadline}"
CARD_DEADLINE: Final = " · deadline {when}"
CARD_ORGANISER: Final = "Organiser: {name}"
CARD_NO_MEMBERS: Final = "Nobody has joined yet."
CARD_MEMBERS: Final = "Members ({count}):"
CARD_MEMBER: Final = "{icon} {name}: {status}"
CARD_TOTALS: Final = "Done {done} of {count} · generating {generating} · ready {ready}"
CARD_TO_ACT: Final = "Still to act: {names}"
CARD_ALL_DONE: Final = "Everyone is done. The organiser can export the set."
CARD_JOIN: Final = (
    "Join with the button below and send your selfies to me privately. No photos are shown here."
)
CARD_ORGANISER_START: Final = (
    "Organiser: open a private chat with me and send /start, so that picks and the export can reach you."
)
CARD_CANCELLED: Final = "Team order {name} was cancelled; everyone's photos and results are deleted."
JOIN: Final = "Join"
EXPORT: Final = "Export (organiser)"
CANCEL_TEAM: Final = "Cancel order"

STATUS: Final = {
    "joined": ("⏳", "joined, no selfies yet"),
    "collecting": ("📸", "sending selfies"),
    "ready": ("👍", "selfies ready"),
    "generating": ("🎨", "generating"),
    "done": ("🖼", "album delivered, choosing a favourite"),
    "picked": ("✅", "done, favourite picked"),
    "redo": ("🔁", "redo requested"),
    "failed": ("⚠️", "needs a new try"),
}

WELCOME_MEMBER: Final = (
    "Welcome to the team order {team}! Everyone gets the same look: {style}.\n\n"
    "Send me {min} to {max} selfies of just you, here in this private chat: one person, face "
    "clearly visible, even light, no sunglasses. Your photos are never shown in the group."
)
ALREADY_MEMBER: Final = "You are already in {team}. Send your selfies here, or /team leave to leave."
MAKE_TEAM_HEADSHOTS: Final = "Make my team headshots"
TEAM_READY: Final = "That is enough. Tap the button to make your headshots in the team's look."
TEAM_ORDER_SUMMARY: Final = "Making {keep} headshots: {style}, the same look for the whole team."
TEAM_ALBUM_READY: Final = "Your {team} headshots are ready: {count} in the team look, best first."
TEAM_RETOUCH_READY: Final = (
    "Your {team} photo retouches are ready: {count} of your own photos in the team look, best first "
    "(not AI-generated headshots; the team's outfit is not applied)."
)
PICK_PROMPT: Final = "Tap your favourite; it goes to the organiser."
PICK: Final = "Pick #{rank}"
PICKED: Final = "Thanks! #{rank} is your pick and went to the organiser."
LEAVE: Final = "Leave the team and delete my photos"
LEFT: Final = "You left {team}; your team photos and results are deleted ({files} files)."
NOT_A_MEMBER: Final = "You are not in a team order."

ORGANISER_PICK: Final = "{member} picked #{rank} (identity {identity:.2f})."
ASK_REDO: Final = "Ask {member} for a redo"
REDO_ASKED: Final = "I asked {member} for a redo."
REDO_REQUEST: Final = (
    "The organiser of {team} asked you for a new try. Send new selfies if you like, then tap the button."
)
EXPORT_SENT_PRIVATELY: Final = "I sent the export to you privately."
EXPORT_CAPTION: Final = "{team}: {files} finished members, 2048 px each."
EXPORT_CSV_CAPTION: Final = "{team}: name, file, status, identity score."
EXPORT_EMPTY: Final = "Nobody in {team} has finished yet; nothing to export."
CANCELLED_TEAM: Final = "The team order {team} is cancelled; everyone's photos and results are deleted."
TEAM_CANCELLED_MEMBER: Final = (
    "The team order {team} was cancelled; your team photos and results are deleted."
)
REMINDER: Final = "Reminder: the team order {team} closes {when}. {todo}"
REMINDER_TODO: Final = {
    "joined": "Send me your selfies here.",
    "collecting": "Send a few more selfies.",
    "ready": "Tap 'Make my team headshots'.",
    "done": "Pick your favourite headshot.",
    "redo": "The organiser asked for a new try.",
    "failed": "Tap 'Make my team headshots' to try again.",
}
SELFIES_PRIVATELY: Final = (
    "Please send selfies to me in a private chat, not here: the group should not see them."
)
