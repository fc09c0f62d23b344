"""Every prompt the package sends to an LLM, as Jinja2 files (data, shipped with the package).

Prompt text lives here and nowhere in Python, so a user can read, diff or replace it without
touching code: a config value naming a template ("generator.j2") resolves in this folder, a path
names the user's own file. `tasks/templates.py` loads and renders them.
"""
