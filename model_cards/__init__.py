"""Model and dataset card templates (installed as `synthetic_persona_chat.model_cards`)."""
