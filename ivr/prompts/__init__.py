"""Prompts: the catalog of texts and the builder that renders them to audio."""
