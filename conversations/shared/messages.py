"""Every sentence the bot says, in one place: the English source of the translations.

Plain text (no Markdown), short, and always saying what to do next. Each is marked with `N_`
(or `NP_` when it has plural forms) and translated where it is used (`conversations.i18n`);
`make i18n-extract` collects them. Functions take the values they need; nothing here knows
about chats or the database.
"""

from __future__ import annotations

from typing import Final

from conversations.i18n.translate import N_, NP_, tr, tr_n

WELCOME: Final = N_(
    "Hi! I turn your selfies into professional headshots.\n\n"
    "Send me {min} to {max} photos of just you. Good selfies:\n"
    "• one person, face clearly visible, looking roughly at the camera\n"
    "• even light (no strong light behind you), in focus, no sunglasses\n"
    "• some variety: different days, light and angles\n\n"
    "You can send them one by one or as an album. /help lists everything I can do."
)
HELP: Final = N_(
    "How it works: send {min}-{max} selfies, pick a style, check the free preview, confirm, "
    "and your album arrives here.\n\n"
    "/new – start again with new photos\n"
    "/status – where your photos or order are\n"
    "/styles – the styles you can choose\n"
    "/cancel – stop this session (its photos are deleted)\n"
    "/delete – delete all your photos and results\n"
    "/web – a link to the web studio, where it runs\n"
    "/language – choose the language I write in"
)
NEW_SESSION: Final = N_("Fresh start. Send me {min} to {max} selfies of just you.")
CANCELLED: Final = N_(
    "Cancelled. I deleted the photos of that session. Send a selfie or /new to start again."
)
CANCELLED_ORDER: Final = N_("Cancelled, and your order is stopped. Send a selfie or /new to start again.")
NOTHING_TO_CANCEL: Final = N_("There is nothing to cancel. Send a selfie to start.")
DELETE_ASK: Final = N_(
    "This deletes ALL your photos, orders and results, and stops any order in progress. "
    "It cannot be undone. Delete everything?"
)
DELETE_YES: Final = N_("Yes, delete everything")
DELETE_NO: Final = N_("No, keep it")
DELETED: Final = NP_(
    "Done: {files} file and all your records are deleted. Send a selfie to start again.",
    "Done: {files} files and all your records are deleted. Send a selfie to start again.",
)
DELETE_KEPT: Final = N_("Nothing was deleted.")
LANGUAGE_PICK: Final = N_("Which language should I write in?")
LANGUAGE_SET: Final = N_("Done: I'll write to you in English from now on.")

STATUS_EMPTY: Final = N_("No session yet. Send me a selfie to start.")
STATUS_COLLECTING: Final = N_("{count}. {next}")
STATUS_CHOOSING: Final = N_("Your photos are ready; choose a style.")
STATUS_PREVIEWING: Final = N_("You are looking at the preview of the {style} style.")
STATUS_CONFIRMING: Final = N_("Your {style} order is waiting for your confirmation.")
STATUS_DELIVERED: Final = N_("Your {style} album was delivered. Send /new to start again.")

PHOTO_GOOD: Final = N_("Photo {n}: good.")
PHOTO_BAD: Final = N_("Photo {n}: {problem}")
PHOTO_UNREADABLE: Final = N_(
    "That file is not a photo I can open. Please send a JPEG, PNG, WebP or HEIC image."
)
TOO_MANY_PHOTOS: Final = NP_(
    "I already have {max} photo, the most I use. Choose a style, or /new to start over.",
    "I already have {max} photos, the most I use. Choose a style, or /new to start over.",
)
COUNT: Final = NP_("{good} of {needed} good photo", "{good} of {needed} good photos")
SEND_MORE: Final = NP_("Send {more} more.", "Send {more} more.")
READY: Final = N_("That is enough to make your headshots. Send more if you like, or choose a style.")
CHOOSE_STYLE: Final = N_("Choose a style")
BUSY_WITH_ORDER: Final = N_("Your album is being made. I will send it here; /cancel stops the order.")

STYLE_PICKER: Final = N_("Pick a style (page {page} of {pages}):")
STYLE_PICKER_ONE_PAGE: Final = N_("Pick a style:")
STYLE_LIST: Final = N_("Styles you can choose:\n{lines}")
STYLE_LINE: Final = N_("• {label} – {description}")
PREVIOUS: Final = N_("« Previous")
NEXT: Final = N_("Next »")
MAKING_PREVIEW: Final = N_("Making a preview in the {style} style…")
PREVIEW_CAPTION: Final = N_(
    "{label}: a quick studio retouch of your own best selfie, not AI-generated. "
    "The album is generated fresh by the AI."
)
PREVIEW_CAPTION_RETOUCH: Final = N_(
    "{label}: a studio retouch of your own best selfie (reframed, relit, new backdrop), not an "
    "AI-generated headshot. Your album will be retouches like this of your own photos; the style's "
    "outfit is not applied."
)
PREVIEW_FAILED: Final = N_("I could not make a preview: {reason}")
LOOKS_GOOD: Final = N_("Looks good, continue")
ANOTHER_STYLE: Final = N_("Another style")
CONFIRM_SUMMARY: Final = NP_(
    "Your order: {style} style, from {photos} photos; I will make {count} candidate and keep the "
    "best {keep}. Place the order?",
    "Your order: {style} style, from {photos} photos; I will make {count} candidates and keep the "
    "best {keep}. Place the order?",
)
CONFIRM: Final = N_("Generate my headshots")
BACK: Final = N_("« Back to styles")
ORDER_REFUSED: Final = N_("I can't place the order: {reason}")

QUEUED: Final = N_("Order placed. Position in the queue: {position}.{eta}")
GENERATING: Final = N_("Making your headshots: {stage}\n{bar} {percent}%{eta}")
ETA: Final = NP_(" About {minutes} min left.", " About {minutes} min left.")
ETA_SOON: Final = N_(" Less than a minute left.")
CANCEL_ORDER: Final = N_("Cancel order")
JOB_FAILED: Final = N_(
    "Sorry, your order failed: {error}\nYour photos are kept; choose a style to try again."
)
JOB_CANCELLED: Final = N_("Your order was cancelled.")
STAGES: Final = {
    "assess": N_("checking your photos"),
    "identity": N_("learning your face"),
    "style": N_("setting up the style"),
    "plan": N_("planning the shots"),
    "generate": N_("generating"),
    "postprocess": N_("finishing the images"),
    "rank": N_("picking the best"),
    "album": N_("putting the album together"),
    "prior": N_("preparing your studio model"),
    "train": N_("training your studio model on your selfies"),
}
STARTING: Final = N_("starting")

ALBUM_READY: Final = NP_(
    "Your {style} headshot is ready: the best {count}.",
    "Your {style} headshots are ready: the best {count}, best first.",
)
RETOUCH_ALBUM_READY: Final = NP_(
    "Your {style} photo retouch is ready: {count} of your own photos, reframed and relit on a "
    "studio backdrop. It is not an AI-generated headshot, and the style's outfit is not applied.",
    "Your {style} photo retouches are ready: {count} of your own photos, reframed and relit on a "
    "studio backdrop, best first. These are not AI-generated headshots, and the style's outfit is "
    "not applied.",
)
CONTACT_SHEET: Final = NP_(
    "All {count} at a glance, with their numbers.", "All {count} at a glance, with their numbers."
)
ALBUM_EMPTY: Final = N_(
    "Sorry, none of the images was good enough to send. Your photos are kept: try another style."
)
AFTER_ALBUM: Final = N_("Want more? Tap a button.")
MORE_LIKE: Final = N_("More like #{rank}")
FULL_RESOLUTION: Final = N_("Full resolution")
ORIGINAL: Final = N_("#{rank} in full resolution")
STUDIO_ALBUM: Final = NP_("Studio album (about {minutes} minute)", "Studio album (about {minutes} minutes)")
STUDIO_PLACED: Final = N_(
    "Making your studio album: first a model of your face is trained on your selfies, then the album "
    "is made with it. Your model is kept with your photos and deleted with them."
)
MORE_LIKE_PLACED: Final = N_("Making more like #{rank}.")

STALE_BUTTON: Final = N_("That button belongs to an earlier session. Send a selfie or /new to start again.")
NOT_YOUR_BUTTON: Final = N_("That button isn't yours.")
NOT_NOW: Final = N_("That button doesn't apply any more.")
TEXT_NOT_PHOTO: Final = N_("I need photos, not text: send a selfie (or /help).")
SLOW_DOWN: Final = N_("You're sending messages very fast. Please wait a minute, then carry on.")
BANNED: Final = N_(
    "Sorry, this account can't use the bot. If you think that's a mistake, contact the operator."
)
BAN_USAGE: Final = N_("Usage: /ban USER_ID or /unban USER_ID (a user id on this platform).")
BAN_DONE: Final = N_("User {user_id} is banned.")
UNBAN_DONE: Final = N_("User {user_id} is no longer banned.")
STORE_FULL: Final = N_(
    "I couldn't save your photo: our storage is full right now. Nothing was kept; please send it again later."
)
STORE_DOWN: Final = N_(
    "I couldn't save your photo: our storage isn't answering right now. Nothing was kept; "
    "please send it again in a few minutes."
)
WEB_LINK: Final = N_(
    "Your link to the web studio (it works for {minutes} minutes; keep it to yourself): {url}"
)
WEB_TEAM_LINK: Final = N_("The dashboard of team {team}: {url}")
WEB_LINK_PRIVATELY: Final = N_("I sent you the link in our private chat.")
WEB_OFF: Final = N_("The web studio is not running here.")
ALBUM_PAGE: Final = N_("All of them in full resolution, and a ZIP: {url}")
UNKNOWN_COMMAND: Final = N_("I don't know that command. /help lists what I can do.")
UNSUPPORTED: Final = {
    "video": N_("Videos can't be used. Please send photos."),
    "sticker": N_("Nice sticker! I need real photos of you, though."),
    "voice": N_("I can't listen to voice notes. Please send photos."),
    "audio": N_("I can't use audio. Please send photos."),
    "animation": N_("GIFs and animations can't be used. Please send still photos."),
    "file": N_("That file is not an image. Please send a JPEG, PNG, WebP or HEIC photo."),
    "other": N_("I can only use photos. Please send a selfie."),
}
TOO_LARGE: Final = N_("That file is {mb} MB; the limit is {limit} MB. Please send a smaller photo.")
SOMETHING_WENT_WRONG: Final = N_("Sorry, something went wrong on my side. Please try again in a moment.")


def count_line(good: int, needed: int) -> str:
    return tr_n(COUNT, needed).format(good=good, needed=needed)


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return tr(ETA_SOON)
    minutes = round(seconds / 60)
    return tr_n(ETA, minutes).format(minutes=minutes)


def progress_bar(fraction: float, width: int = 10) -> str:
    filled = max(0, min(width, round(fraction * width)))
    return "█" * filled + "░" * (width - filled)
