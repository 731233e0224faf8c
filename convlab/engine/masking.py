"""Stream addresses without their secrets: what may be shown, logged or saved of a URL.

IP cameras and phone-as-webcam apps are opened with addresses such as
``rtsp://admin:s3cret@192.168.1.20:554/stream``. The password must never reach the screen (a
lecture hall reads it off the projector), a log file or the settings file. ``mask_credentials``
replaces the ``user:password@`` part, and the values of query parameters that hold secrets
(``?user=admin&pwd=...``, ``?token=...``), with ``***``; it is used on everything shown.

Passwords may hold ``@`` and ``/`` (``rtsp://admin:p@ss/w0rd@cam/stream``): everything up to
the *last* ``@`` that is followed by a host name is masked. A path holding ``@`` may then lose
more than its credentials; showing too little is the safe side of the trade.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

# A scheme starts where a word starts: without the look-behind, every letter of a 20,000-letter
# address began a new try, and masking it took seconds (quadratic backtracking).
_SCHEME = r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://"
_HOST = r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%\-]+)(?::\d*)?"
_AFTER_HOST = r"(?=[/?#\s\"'<>),;:!]|$)"
# In free text a URL ends at white space; userinfo is the longest run before an '@host'.
_USERINFO_IN_TEXT = re.compile(
    rf"(?P<scheme>{_SCHEME})(?P<userinfo>[^\s\"'<>]*)@(?={_HOST}{_AFTER_HOST})"
)
# An address typed by a person may even hold spaces in its password.
_USERINFO_WHOLE = re.compile(
    rf"^(?P<scheme>\s*{_SCHEME})(?P<userinfo>.*)@(?={_HOST}(?:[/?#]\S*)?\s*$)", re.S
)
_SECRET_NAMES = (
    "user", "username", "usr", "login", "password", "passwd", "pass", "pwd", "pw", "secret",
    "token", "access_token", "auth", "authorization", "key", "apikey", "api_key", "sig",
    "signature", "credentials",
)  # fmt: skip
_SECRET_QUERY = re.compile(
    rf"(?P<lead>[?&;](?:{'|'.join(_SECRET_NAMES)})=)(?P<value>[^&#\s\"'<>]*)", re.IGNORECASE
)


def mask_credentials(text: str) -> str:
    """``text`` with the credentials of every URL in it replaced by ``***``.

    For messages and log lines that quote addresses ("rtsp://***@cam/stream: could not be
    opened"): a URL ends at white space there. Text without URLs comes back unchanged.
    """
    if "://" not in text:
        return text
    return _mask_query(_USERINFO_IN_TEXT.sub(_mask_userinfo, text))


def mask_url(url: str) -> str:
    """One address as a person typed it, fit to show or save: ``rtsp://***@cam:554/stream``.

    Unlike ``mask_credentials`` the whole string is the address, so a password holding
    spaces is masked whole too.
    """
    if "://" not in url:
        return url
    return mask_credentials(_USERINFO_WHOLE.sub(_mask_userinfo, url, count=1))


def _mask_userinfo(match: re.Match[str]) -> str:
    if match["userinfo"] == MASK:
        return match[0]
    return f"{match['scheme']}{MASK}@"


def _mask_query(text: str) -> str:
    return _SECRET_QUERY.sub(lambda m: f"{m['lead']}{MASK}" if m["value"] else m[0], text)


class CredentialFilter(logging.Filter):
    """A logging filter that masks credentials in every record's message (and traceback)
    before any handler writes it: install it on the handlers of the application's log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_credentials(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_credentials(record.exc_text)
        return True
