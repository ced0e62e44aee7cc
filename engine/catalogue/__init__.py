"""Every model the product can load, where it comes from, its licence, and the named presets.

Plain data (no model is touched): `headshots models`, the worker's start-up check and the
docs read it. Licences were checked at their source; `docs/models.md` cites each one.
"""
