"""Secrets never persist: API keys, tokens, URL passwords and secret query parameters are replaced by
`REDACTED` before anything is written (config copies, models.json, logs, error lines, the dataset card).

A run directory is meant to be shared and its card published, so whatever a config or a URL carries
ends up public: `api_key: sk-...` in `models.llm`, `http://user:PASSWORD@host/v1?api-key=...` as a
base URL. Keys belong in the environment (`OPENAI_API_KEY`, or the variable named by `api_key_env`);
one given in a config still works for that process, and this module keeps it out of every file.

Three layers, because a secret can sit anywhere:
- by key: a mapping value under a secret-looking key (`api_key`, `token`, `password`, `*_secret` ...);
- by shape: a URL's userinfo and secret-looking query parameters, and the token formats secret scanners
  (the Hub's among them) reject: `hf_...`, `sk-...`, `AKIA...`, `ghp_...`, private-key blocks, bearer tokens;
- by value: a key this process was given (`remember`) is replaced wherever it shows, whatever its shape.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"

# Mapping keys whose value is a secret (compared lower-case, '-' as '_'); `api_key_env` names a variable: kept.
SECRET_KEYS = re.compile(r"^(?:api_?key|apikey|key|token|secret|password|passwd|pwd|auth|authorization|bearer|"
                         r"credentials?|cookie|private_key|client_secret|access_token|refresh_token|"
                         r"[a-z0-9_]*_(?:api_?key|token|secret|password|passwd))$")
# Query parameters that carry a credential (?api-key=..., ?token=..., ?sig=... of a signed URL).
SECRET_PARAMS = re.compile(r"^(?:api[_-]?key|apikey|key|token|access[_-]?token|auth|password|passwd|secret|"
                           r"sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|code|"
                           r"client[_-]?secret|[a-z0-9_-]*[_-](?:token|key|secret))$", re.IGNORECASE)
# Token shapes that secret scanners reject (HF's push scanner among them): (name, pattern).
TOKEN_PATTERNS = (
    ("Hugging Face token", re.compile(r"\b(?:hf|api_org)_[A-Za-z0-9]{30,}\b")),
    ("OpenAI-style key", re.compile(r"\bsk-(?:proj-|ant-|or-)?[A-Za-z0-9_-]{20,}")),
    ("AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b")),
    ("Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("Stripe key", re.compile(r"\b[rs]k_live_[0-9A-Za-z]{20,}\b")),
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("bearer token", re.compile(r"(?i)\bbearer\s+(?!REDACTED\b)[A-Za-z0-9._~+/=-]{16,}")),
)
URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>`]+")

_remembered: set[str] = set()
_guard = threading.Lock()


def remember(secret: str | None) -> None:
    """Redact this value wherever it shows from now on (a key given to this process in a config)."""
    if secret and len(secret) >= 6 and secret != REDACTED:  # a tiny value would blank out ordinary words
        with _guard:
            _remembered.add(secret)


def is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and bool(SECRET_KEYS.match(key.strip().lower().replace("-", "_")))


def redact(value: Any) -> Any:
    """A copy of a config-like value (mappings, lists, strings) with every secret replaced by `REDACTED`."""
    if isinstance(value, dict):
        return {k: REDACTED if is_secret_key(k) and v not in (None, "") else redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    """`text` with remembered secrets, URL credentials and token-shaped strings replaced."""
    if not text:
        return text
    with _guard:
        remembered = sorted(_remembered, key=len, reverse=True)
    for secret in remembered:
        text = text.replace(secret, REDACTED)
    text = URL.sub(lambda m: redact_url(m.group(0)), text)
    for _, pattern in TOKEN_PATTERNS:
        text = pattern.sub(_token_redacted, text)
    return text


def _token_redacted(match: re.Match) -> str:
    found = match.group(0)
    if found.lower().startswith("bearer"):
        return found.split()[0] + " " + REDACTED
    if found.startswith("-----BEGIN"):
        return f"-----BEGIN {REDACTED} PRIVATE KEY-----"
    return REDACTED


def redact_url(url: str) -> str:
    """`scheme://REDACTED@host/path?api-key=REDACTED`: userinfo and secret query values replaced."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:  # not a URL after all (a bad port, an odd bracket): leave it to the token patterns
        return url
    if not parts.netloc:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        bracketed = f"[{host}]" if host and ":" in host else (host or "")
        netloc = f"{REDACTED}@{bracketed}" + (f":{port}" if port is not None else "")
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(SECRET_PARAMS.match(k) for k, _ in pairs):
            query = urlencode([(k, REDACTED if SECRET_PARAMS.match(k) else v) for k, v in pairs],
                              quote_via=quote, safe="/:")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def secret_findings(text: str) -> list[str]:
    """What a secret scanner would object to in `text`: one short, itself redacted, excerpt per finding.

    The upload check of `spc push` runs this over every file it would upload (builder/upload_check.py):
    the Hub refuses a push that holds a token, and a key published once must be revoked."""
    found = []
    for name, pattern in TOKEN_PATTERNS:
        found += [f"{name} ({_excerpt(m.group(0))})" for m in pattern.finditer(text)]
    for match in URL.finditer(text):
        if redact_url(match.group(0)) != match.group(0):
            found.append(f"credentials in a URL ({_excerpt(match.group(0))})")
    with _guard:
        remembered = list(_remembered)
    found += ["a key this process was given" for secret in remembered if secret in text]
    return sorted(set(found))


def _excerpt(secret: str) -> str:
    """Enough to find it in the file, not enough to use it."""
    return f"{secret[:4]}...{len(secret)} chars" if len(secret) > 8 else "..."


class RedactingFilter(logging.Filter):
    """A log record's message with secrets redacted (its arguments are formatted first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        clean = redact_text(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def install_log_filter(logger: logging.Logger | None = None) -> None:
    """Redact every record that reaches the handlers of `logger` (the root logger: every log line spc prints)."""
    logger = logger or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


class RedactingStream:
    """A text stream that redacts what is written through it, plus `extra` patterns (a server's own token
    shape): for output no logger formats, such as the tracebacks a web framework prints with its inputs."""

    def __init__(self, inner: Any, extra: "re.Pattern[str] | None" = None) -> None:
        self.inner, self.extra = inner, extra

    def write(self, text: str) -> int:
        clean = redact_text(text)
        if self.extra is not None:
            clean = self.extra.sub(REDACTED, clean)
        return self.inner.write(clean)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty ... of the wrapped stream
        return getattr(self.inner, name)
