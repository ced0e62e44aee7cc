"""The one translation layer: gettext catalogues (managed by Babel), the current locale, and
locale-aware numbers and dates. `docs/localisation.md` says how to add a language."""
