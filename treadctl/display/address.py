"""Where the big screen listens, and whether a viewer needs a token: pure."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass

from treadctl.errors import UsageError

DEFAULT_HOST = "127.0.0.1"


@dataclass(frozen=True)
class DisplayAddress:
    host: str
    port: int

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def url(self, token: str | None = None, *, host: str | None = None) -> str:
        shown = host or self.host
        if ":" in shown and not shown.startswith("["):
            shown = f"[{shown}]"  # an IPv6 address in a URL
        query = f"?token={token}" if token else ""
        return f"http://{shown}:{self.port}/{query}"


def parse_display(text: str) -> DisplayAddress:
    """``8765``, ``0.0.0.0:8765``, ``[::1]:8765`` or ``tv-room.local:8765``; a one-line error
    (exit 2) for anything else."""
    value = text.strip()
    host, port_text = DEFAULT_HOST, value
    if value.startswith("["):
        end = value.find("]")
        if end < 0 or value[end + 1 : end + 2] != ":":
            raise UsageError(f"--display {text}: write an IPv6 host as [ADDRESS]:PORT")
        host, port_text = value[1:end], value[end + 2 :]
    elif ":" in value:
        host, _, port_text = value.rpartition(":")
        if ":" in host:
            raise UsageError(f"--display {text}: write an IPv6 host as [ADDRESS]:PORT")
    if not host:
        raise UsageError(f"--display {text}: the host before ':' is empty")
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise UsageError(f"--display {text}: the port must be a number from 1 to 65535 (0: any)")
    return DisplayAddress(host, int(port_text))


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host`` (names other than localhost count as LAN)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """A URL-safe secret (128 bits) for one session."""
    return secrets.token_urlsafe(16)


def tokens_match(given: str | None, token: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), token.encode())
