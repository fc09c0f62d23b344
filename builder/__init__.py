"""Packaging: the `datasets` builder and the Hub publisher (installed as `synthetic_persona_chat.builder`)."""
