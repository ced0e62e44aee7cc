"""Every sentence of team orders, in one place (see `conversations.shared.messages`)."""

from __future__ import annotations

from typing import Final

from conversations.i18n.translate import N_, NP_

TEAM_HELP: Final = N_(
    "Team orders: matching headshots for a whole team.\n\n"
    "In the group: /team new NAME; style=STYLE; photos=N; deadline=3d\n"
    "A custom team look: add backdrop=#1f3a5f; attire=navy blazer, white shirt; framing=head and shoulders\n"
    "Then: /team status, /team export, /team cancel (organiser or admins).\n"
    "Members join with the button on the order card and send their selfies to me privately; "
    "/team leave removes them and their photos.\n\nStyles: {styles}"
)
TEAM_BAD_REQUEST: Final = N_("I can't start that team order: {reason}\n/team help shows the format.")
REQUEST_PAST_DEADLINE: Final = N_("the deadline {text} is in the past.")
REQUEST_BAD_DEADLINE: Final = N_("deadline={text} is not a date; use 3d, 12h or 2026-12-01 18:00.")
REQUEST_NO_NAME: Final = N_("give the team a name first, e.g. /team new Acme Design; style=corporate.")
REQUEST_LONG_NAME: Final = N_("the team name is longer than {max} characters.")
REQUEST_UNKNOWN_PART: Final = N_("I don't understand {part}; use {keys}.")
REQUEST_BAD_PHOTOS: Final = N_("photos must be a number from 1 to {max}.")
TEAM_IN_GROUP_ONLY: Final = N_("Start a team order in the team's group chat, not here.")
TEAM_ALREADY_OPEN: Final = N_(
    "This chat already has an open team order ({name}); /team cancel ends it first."
)
NO_TEAM_HERE: Final = N_("There is no open team order here. /team new starts one.")
ONLY_ORGANISER: Final = N_("Only the organiser or a chat admin can do that.")
TEAM_UNKNOWN: Final = N_("That team order no longer exists or has closed.")
UNKNOWN_TEAM_COMMAND: Final = N_("I don't know that team command. /team help lists them.")

CARD_TITLE: Final = N_("Team order: {name}")
CARD_DETAILS: Final = NP_(
    "Style: {style} · {photos} photo each{deadline}", "Style: {style} · {photos} photos each{deadline}"
)
CARD_DEADLINE: Final = N_(" · deadline {when}")
CARD_ORGANISER: Final = N_("Organiser: {name}")
CARD_NO_MEMBERS: Final = N_("Nobody has joined yet.")
CARD_MEMBERS: Final = NP_("Members ({count}):", "Members ({count}):")
CARD_MEMBER: Final = N_("{icon} {name}: {status}")
CARD_TOTALS: Final = N_("Done {done} of {count} · generating {generating} · ready {ready}")
CARD_TO_ACT: Final = N_("Still to act: {names}")
CARD_ALL_DONE: Final = N_("Everyone is done. The organiser can export the set.")
CARD_JOIN: Final = N_(
    "Join with the button below and send your selfies to me privately. No photos are shown here."
)
CARD_ORGANISER_START: Final = N_(
    "Organiser: open a private chat with me and send /start, so that picks and the export can reach you."
)
CARD_CANCELLED: Final = N_("Team order {name} was cancelled; everyone's photos and results are deleted.")
JOIN: Final = N_("Join")
EXPORT: Final = N_("Export (organiser)")
CANCEL_TEAM: Final = N_("Cancel order")

STATUS: Final = {
    "joined": ("⏳", N_("joined, no selfies yet")),
    "collecting": ("📸", N_("sending selfies")),
    "ready": ("👍", N_("selfies ready")),
    "generating": ("🎨", N_("generating")),
    "done": ("🖼", N_("album delivered, choosing a favourite")),
    "picked": ("✅", N_("done, favourite picked")),
    "redo": ("🔁", N_("redo requested")),
    "failed": ("⚠️", N_("needs a new try")),
}

WELCOME_MEMBER: Final = N_(
    "Welcome to the team order {team}! Everyone gets the same look: {style}.\n\n"
    "Send me {min} to {max} selfies of just you, here in this private chat: one person, face "
    "clearly visible, even light, no sunglasses. Your photos are never shown in the group."
)
ALREADY_MEMBER: Final = N_("You are already in {team}. Send your selfies here, or /team leave to leave.")
MAKE_TEAM_HEADSHOTS: Final = N_("Make my team headshots")
TEAM_READY: Final = N_("That is enough. Tap the button to make your headshots in the team's look.")
TEAM_ORDER_SUMMARY: Final = NP_(
    "Making {keep} headshot: {style}, the same look for the whole team.",
    "Making {keep} headshots: {style}, the same look for the whole team.",
)
TEAM_ALBUM_READY: Final = NP_(
    "Your {team} headshot is ready: {count} in the team look.",
    "Your {team} headshots are ready: {count} in the team look, best first.",
)
TEAM_RETOUCH_READY: Final = NP_(
    "Your {team} photo retouch is ready: {count} of your own photos in the team look "
    "(not an AI-generated headshot; the team's outfit is not applied).",
    "Your {team} photo retouches are ready: {count} of your own photos in the team look, best first "
    "(not AI-generated headshots; the team's outfit is not applied).",
)
PICK_PROMPT: Final = N_("Tap your favourite; it goes to the organiser.")
PICK: Final = N_("Pick #{rank}")
PICKED: Final = N_("Thanks! #{rank} is your pick and went to the organiser.")
LEAVE: Final = N_("Leave the team and delete my photos")
LEFT: Final = NP_(
    "You left {team}; your team photos and results are deleted ({files} file).",
    "You left {team}; your team photos and results are deleted ({files} files).",
)
NOT_A_MEMBER: Final = N_("You are not in a team order.")

ORGANISER_PICK: Final = N_("{member} picked #{rank} (identity {identity}).")
ASK_REDO: Final = N_("Ask {member} for a redo")
REDO_ASKED: Final = N_("I asked {member} for a redo.")
REDO_REQUEST: Final = N_(
    "The organiser of {team} asked you for a new try. Send new selfies if you like, then tap the button."
)
EXPORT_SENT_PRIVATELY: Final = N_("I sent the export to you privately.")
EXPORT_CAPTION: Final = NP_(
    "{team}: {files} finished member, 2048 px.", "{team}: {files} finished members, 2048 px each."
)
EXPORT_CSV_CAPTION: Final = N_("{team}: name, file, status, identity score.")
EXPORT_EMPTY: Final = N_("Nobody in {team} has finished yet; nothing to export.")
CANCELLED_TEAM: Final = N_("The team order {team} is cancelled; everyone's photos and results are deleted.")
TEAM_CANCELLED_MEMBER: Final = N_(
    "The team order {team} was cancelled; your team photos and results are deleted."
)
REMINDER: Final = N_("Reminder: the team order {team} closes {when}. {todo}")
REMINDER_TODO: Final = {
    "joined": N_("Send me your selfies here."),
    "collecting": N_("Send a few more selfies."),
    "ready": N_("Tap 'Make my team headshots'."),
    "done": N_("Pick your favourite headshot."),
    "redo": N_("The organiser asked for a new try."),
    "failed": N_("Tap 'Make my team headshots' to try again."),
}
SELFIES_PRIVATELY: Final = N_(
    "Please send selfies to me in a private chat, not here: the group should not see them."
)
