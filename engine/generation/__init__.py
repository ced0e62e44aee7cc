"""Seed stage 5: generation backends. Import the diffusers one explicitly
(`engine.generation.diffusers_backend`), so a preview-only worker never imports diffusers."""
