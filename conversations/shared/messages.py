"""Every sentence the bot says, in one place, so it can be translated later.

Plain text (no Markdown), short, and always saying what to do next. Functions take the
values they need; nothing here knows about chats or the database.
"""

from __future__ import annotations

from typing import Final

WELCOME: Final = (
    "Hi! I turn your selfies into professional headshots.\n\n"
    "Send me {min} to {max} photos of just you. Good selfies:\n"
    "• one person, face clearly visible, looking roughly at the camera\n"
    "• even light (no strong light behind you), in focus, no sunglasses\n"
    "• some variety: different days, light and angles\n\n"
    "You can send them one by one or as an album. /help lists everything I can do."
)
HELP: Final = (
    "How it works: send {min}-{max} selfies, pick a style, check the free preview, confirm, "
    "and your album arrives here.\n\n"
    "/new – start again with new photos\n"
    "/status – where your photos or order are\n"
    "/styles – the styles you can choose\n"
    "/cancel – stop this session (its photos are deleted)\n"
    "/delete – delete all your photos and results\n"
    "/web – a link to the web studio, where it runs"
)
NEW_SESSION: Final = "Fresh start. Send me {min} to {max} selfies of just you."
CANCELLED: Final = "Cancelled. I deleted the photos of that session. Send a selfie or /new to start again."
CANCELLED_ORDER: Final = "Cancelled, and your order is stopped. Send a selfie or /new to start again."
NOTHING_TO_CANCEL: Final = "There is nothing to cancel. Send a selfie to start."
DELETE_ASK: Final = (
    "This deletes ALL your photos, orders and results, and stops any order in progress. "
    "It cannot be undone. Delete everything?"
)
DELETE_YES: Final = "Yes, delete everything"
DELETE_NO: Final = "No, keep it"
DELETED: Final = "Done: {files} files and all your records are deleted. Send a selfie to start again."
DELETE_KEPT: Final = "Nothing was deleted."

STATUS_EMPTY: Final = "No session yet. Send me a selfie to start."
STATUS_COLLECTING: Final = "{count}. {next}"
STATUS_CHOOSING: Final = "Your photos are ready; choose a style."
STATUS_PREVIEWING: Final = "You are looking at the preview of the {style} style."
STATUS_CONFIRMING: Final = "Your {style} order is waiting for your confirmation."
STATUS_DELIVERED: Final = "Your {style} album was delivered. Send /new to start again."

PHOTO_GOOD: Final = "Photo {n}: good."
PHOTO_BAD: Final = "Photo {n}: {problem}"
PHOTO_UNREADABLE: Final = "That file is not a photo I can open. Please send a JPEG, PNG, WebP or HEIC image."
TOO_MANY_PHOTOS: Final = "I already have {max} photos, the most I use. Choose a style, or /new to start over."
COUNT: Final = "{good} of {needed} good photos"
SEND_MORE: Final = "Send {more} more."
READY: Final = "That is enough to make your headshots. Send more if you like, or choose a style."
CHOOSE_STYLE: Final = "Choose a style"
BUSY_WITH_ORDER: Final = "Your album is being made. I will send it here; /cancel stops the order."

STYLE_PICKER: Final = "Pick a style (page {page} of {pages}):"
STYLE_PICKER_ONE_PAGE: Final = "Pick a style:"
STYLE_LIST: Final = "Styles you can choose:\n{lines}"
STYLE_LINE: Final = "• {label} – {description}"
PREVIOUS: Final = "« Previous"
NEXT: Final = "Next »"
MAKING_PREVIEW: Final = "Making a preview in the {style} style…"
PREVIEW_CAPTION: Final = (
    "{label}: a quick studio retouch of your own best selfie, not AI-generated. "
    "The album is generated fresh by the AI."
)
PREVIEW_CAPTION_RETOUCH: Final = (
    "{label}: a studio retouch of your own best selfie (reframed, relit, new backdrop), not an "
    "AI-generated headshot. Your album will be retouches like this of your own photos; the style's "
    "outfit is not applied."
)
PREVIEW_FAILED: Final = "I could not make a preview: {reason}"
LOOKS_GOOD: Final = "Looks good, continue"
ANOTHER_STYLE: Final = "Another style"
CONFIRM_SUMMARY: Final = (
    "Your order: {style} style, from {photos} photos; I will make {count} candidates and keep the "
    "best {keep}. Place the order?"
)
CONFIRM: Final = "Generate my headshots"
BACK: Final = "« Back to styles"
ORDER_REFUSED: Final = "I can't place the order: {reason}"

QUEUED: Final = "Order placed. Position in the queue: {position}.{eta}"
GENERATING: Final = "Making your headshots: {stage}\n{bar} {percent}%{eta}"
ETA: Final = " About {minutes} min left."
ETA_SOON: Final = " Less than a minute left."
CANCEL_ORDER: Final = "Cancel order"
JOB_FAILED: Final = "Sorry, your order failed: {error}\nYour photos are kept; choose a style to try again."
JOB_CANCELLED: Final = "Your order was cancelled."
STAGES: Final = {
    "assess": "checking your photos",
    "identity": "learning your face",
    "style": "setting up the style",
    "plan": "planning the shots",
    "generate": "generating",
    "postprocess": "finishing the images",
    "rank": "picking the best",
    "album": "putting the album together",
    "prior": "preparing your studio model",
    "train": "training your studio model on your selfies",
}
STARTING: Final = "starting"

ALBUM_READY: Final = "Your {style} headshots are ready: the best {count}, best first."
RETOUCH_ALBUM_READY: Final = (
    "Your {style} photo retouches are ready: {count} of your own photos, reframed and relit on a "
    "studio backdrop, best first. These are not AI-generated headshots, and the style's outfit is "
    "not applied."
)
CONTACT_SHEET: Final = "All {count} at a glance, with their numbers."
ALBUM_EMPTY: Final = (
    "Sorry, none of the images was good enough to send. Your photos are kept: try another style."
)
AFTER_ALBUM: Final = "Want more? Tap a button."
MORE_LIKE: Final = "More like #{rank}"
FULL_RESOLUTION: Final = "Full resolution"
ORIGINAL: Final = "#{rank} in full resolution"
STUDIO_ALBUM: Final = "Studio album (about {minutes} minutes)"
STUDIO_PLACED: Final = (
    "Making your studio album: first a model of your face is trained on your selfies, then the album "
    "is made with it. Your model is kept with your photos and deleted with them."
)
MORE_LIKE_PLACED: Final = "Making more like #{rank}."

STALE_BUTTON: Final = "That button belongs to an earlier session. Send a selfie or /new to start again."
NOT_YOUR_BUTTON: Final = "That button isn't yours."
NOT_NOW: Final = "That button doesn't apply any more."
TEXT_NOT_PHOTO: Final = "I need photos, not text: send a selfie (or /help)."
SLOW_DOWN: Final = "You're sending messages very fast. Please wait a minute, then carry on."
BANNED: Final = "Sorry, this account can't use the bot. If you think that's a mistake, contact the operator."
BAN_USAGE: Final = "Usage: /ban USER_ID or /unban USER_ID (a user id on this platform)."
BAN_DONE: Final = "User {user_id} is banned."
UNBAN_DONE: Final = "User {user_id} is no longer banned."
STORE_FULL: Final = (
    "I couldn't save your photo: our storage is full right now. Nothing was kept; please send it again later."
)
STORE_DOWN: Final = (
    "I couldn't save your photo: our storage isn't answering right now. Nothing was kept; "
    "please send it again in a few minutes."
)
WEB_LINK: Final = "Your link to the web studio (it works for {minutes} minutes; keep it to yourself): {url}"
WEB_TEAM_LINK: Final = "The dashboard of team {team}: {url}"
WEB_LINK_PRIVATELY: Final = "I sent you the link in our private chat."
WEB_OFF: Final = "The web studio is not running here."
ALBUM_PAGE: Final = "All of them in full resolution, and a ZIP: {url}"
UNKNOWN_COMMAND: Final = "I don't know that command. /help lists what I can do."
UNSUPPORTED: Final = {
    "video": "Videos can't be used. Please send photos.",
    "sticker": "Nice sticker! I need real photos of you, though.",
    "voice": "I can't listen to voice notes. Please send photos.",
    "audio": "I can't use audio. Please send photos.",
    "animation": "GIFs and animations can't be used. Please send still photos.",
    "file": "That file is not an image. Please send a JPEG, PNG, WebP or HEIC photo.",
    "other": "I can only use photos. Please send a selfie.",
}
TOO_LARGE: Final = "That file is {mb} MB; the limit is {limit} MB. Please send a smaller photo."
SOMETHING_WENT_WRONG: Final = "Sorry, something went wrong on my side. Please try again in a moment."


def count_line(good: int, needed: int) -> str:
    return COUNT.format(good=good, needed=needed)


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return ETA_SOON
    return ETA.format(minutes=round(seconds / 60))


def progress_bar(fraction: float, width: int = 10) -> str:
    filled = max(0, min(width, round(fraction * width)))
    return "█" * filled + "░" * (width - filled)
