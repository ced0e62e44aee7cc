"""Managing the catalogues with Babel: extract the source sentences, update and compile the
translations. `make i18n-extract`, `make i18n-update` and `make i18n-compile` run this module;
the catalogue tests extract the same way, so what they check is what translators get.

    python -m conversations.i18n.catalogues extract|update|compile|init LOCALE
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

from babel.messages.frontend import CommandLineInterface

from conversations.i18n.translate import DOMAIN, LOCALE_DIR

ROOT: Final = LOCALE_DIR.parents[2]
"""The repository root: the mapping's paths are relative to it."""
MAPPING: Final = LOCALE_DIR.parent / "babel.cfg"
TEMPLATE: Final = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORDS: Final = ("N_", "NP_:1,2", "NC_:1c,2")
"""The markers of `conversations.i18n.translate` (`NP_`: singular and plural; `NC_`: context first)."""


def _run(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *args])  # type: ignore[no-untyped-call]


def extract(output: Path = TEMPLATE) -> None:
    """Every marked sentence of `conversations/`, `handlers/` and the style files into `output`."""
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    _run(
        "extract", "-F", str(MAPPING), *keywords, "--no-default-keywords", "--sort-output",
        "--no-location", "--project=Headshot Studio", "--copyright-holder=Headshot Studio",
        "-o", str(output), str(ROOT),
    )  # fmt: skip


def update() -> None:
    """Merge the template into every language's catalogue (new sentences come in empty)."""
    _run("update", "-i", str(TEMPLATE), "-d", str(LOCALE_DIR), "-D", DOMAIN, "--no-fuzzy-matching")


def compile_all() -> None:
    """`.mo` files beside the `.po` ones (optional: the bot compiles a `.po` in memory when
    there is no newer `.mo`); `--statistics` says how complete each language is."""
    _run("compile", "-d", str(LOCALE_DIR), "-D", DOMAIN, "--statistics")


def init(locale: str) -> None:
    """A new, empty catalogue for `locale` (then add it to `translate.LOCALES`)."""
    _run("init", "-i", str(TEMPLATE), "-d", str(LOCALE_DIR), "-D", DOMAIN, "-l", locale)


def main(argv: list[str]) -> None:
    command, *rest = argv or ["extract"]
    if command == "extract":
        extract()
    elif command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "init" and len(rest) == 1:
        init(rest[0])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
