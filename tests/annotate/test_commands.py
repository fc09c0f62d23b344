"""Item 11 of #26, from an annotator's seat: invite links follow the port `serve` runs on, and `create` says
truthfully where the tokens are kept."""

from __future__ import annotations

import os
import stat

from synthetic_persona_chat.annotate.commands import INVITES, invite_links, relinked, write_invites


def test_serving_on_another_port_rewrites_every_invite_link(tmp_path):
    tokens = {"admin": "a" * 32, "annotator-1": "b" * 32}
    path = write_invites(tmp_path, invite_links(tokens, "http://127.0.0.1:7860"))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and path.name == INVITES
    links = relinked(tmp_path, "http://10.0.0.5:7861/")
    assert links == {"admin": f"http://10.0.0.5:7861/admin?token={'a' * 32}",
                     "annotator-1": f"http://10.0.0.5:7861/?token={'b' * 32}"}
