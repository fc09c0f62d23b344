"""Evaluation suite: NUP rankers, dataset quality, AI detection, reports (installed as `synthetic_persona_chat.eval`)."""
