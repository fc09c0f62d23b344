"""Chat format for supervised fine-tuning: one row per speaker perspective.

The responding speaker is the assistant, the partner the user, and the system message carries the
assistant's persona (optionally the partner's too, for models that should also know whom they talk to).
Chat templates and trainers expect user and assistant to alternate, starting with the user (the Mistral and
Llama-2 templates raise otherwise), so consecutive turns of one speaker merge into one message; the row of
the speaker who opens the conversation starts with `OPENING_PROMPT`, a fixed user turn that asks for the
opening line; and a trailing user message, which nothing answers, is dropped so that every row ends on an
assistant message (what an SFT loss learns from).
"""

from __future__ import annotations

from typing import TypedDict

from synthetic_persona_chat.records import SPEAKERS, Conversation


# The user turn before the opener's first line: the conversation has no earlier partner line to answer.
OPENING_PROMPT = "(You have just met your partner. Start the conversation.)"


def system_prompt(persona: list[str], partner: list[str] | None = None) -> str:
    text = "You are chatting with someone you just met. Your persona:\n" + "\n".join(f"- {a}" for a in persona)
    if partner:
        text += "\nYour partner's persona:\n" + "\n".join(f"- {a}" for a in partner)
    return text


def perspective(conv: Conversation, speaker: str, partner_persona: bool = False) -> list[dict[str, str]]:
    """The conversation as `speaker` lives it: system, then user/assistant alternating from a user turn and
    ending on an assistant turn."""
    other = SPEAKERS[1 - SPEAKERS.index(speaker)]
    messages = [{"role": "system",
                 "content": system_prompt(conv.persona_of(speaker), conv.persona_of(other) if partner_persona
                                          else None)}]
    for turn in conv.turns:
        role = "assistant" if turn.speaker == speaker else "user"
        if messages[-1]["role"] == role:
            messages[-1]["content"] += "\n" + turn.text
        else:
            messages.append({"role": role, "content": turn.text})
    while messages[-1]["role"] == "user":
        messages.pop()
    if len(messages) > 1 and messages[1]["role"] == "assistant":
        messages.insert(1, {"role": "user", "content": OPENING_PROMPT})
    return messages


class MessagesRow(TypedDict):
    """One speaker's side of a conversation as a chat, the way TRL's `SFTTrainer` reads it: a `messages` config
    row (`features.MESSAGES_FEATURES`) before `rows._messages` adds its `critic_verdicts`. A TypedDict: rows go
    to `Dataset.from_list` as they are."""

    id: str  # "<conversation id>:user1"
    conversation_id: str
    speaker: str
    messages: list[dict[str, str]]  # {"role": "system" | "user" | "assistant", "content": ...}


def message_rows(conv: Conversation, partner_persona: bool = False) -> list[MessagesRow]:
    """One row per speaker who says something after the system message; a speaker with no reply has no row."""
    rows = []
    for speaker in SPEAKERS:
        messages = perspective(conv, speaker, partner_persona)
        if any(m["role"] == "assistant" for m in messages):
            rows.append(MessagesRow(id=f"{conv.id}:{speaker.replace(' ', '')}", conversation_id=conv.id,
                                    speaker=speaker, messages=messages))
    return rows
