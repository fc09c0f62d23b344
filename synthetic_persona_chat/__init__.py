"""synthetic-persona-chat: faithful persona-based conversational datasets with LLMs.

Generator-Critic framework of "Faithful Persona-based Conversational Dataset
Generation with Large Language Models" (Jandaghi et al., arXiv 2312.10007).
"""

__version__ = "0.1.0"
