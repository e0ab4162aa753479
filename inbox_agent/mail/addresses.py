"""Address lists read from one header value, and the one normal form of an address.

Pure and bounded. The common header (plain `Name <a@b>` lists) takes a fast split; quoted names,
comments and groups take the standard library's full RFC 5322 grammar; when that grammar fails
(it recurses: deep nesting raises RecursionError) or the value is huge, a cheap iterative scan
takes every addr-spec the value holds. Whatever path was taken, an address is kept only in its
normal form (`normal_address`), so what the store keeps, compares and writes to is one string.
"""

from __future__ import annotations

import re
from email.utils import getaddresses

# atext (RFC 5322 3.2.3) plus any non-ASCII character (RFC 6531): everything but specials,
# space and controls
_ATOM = r"[^\x00-\x20\x7f()<>\[\]:;@\\,.\"]+"
_QUOTED = r'"(?:[^"\\\x00-\x1f\x7f]|\\[^\x00-\x08\x0a-\x1f\x7f])*"'
# dots may repeat in a local part: Exchange wrote "k..allen@enron.com" for "Allen, K." (RFC 5322
# obsolete syntax, still in real archives); refusing it lost whole mailboxes' worth of senders
_LOCAL = rf"(?:{_ATOM}(?:\.+{_ATOM})*|{_QUOTED})"
_DOMAIN = rf"(?:{_ATOM}(?:\.{_ATOM})*|\[[^\[\]\\\x00-\x20\x7f]*\])"
_ADDR_SPEC = re.compile(rf"{_LOCAL}@{_DOMAIN}")
_FULL_GRAMMAR_LIMIT = 16_384  # longer values take the cheap scan: the grammar is slow there
_MAX_ADDRESSES = 1_000  # per header: nobody writes to more, and the store keeps what we keep


def normal_address(text: str) -> str | None:
    """`text` as the one form we store and compare (lower-cased, no angle brackets, no
    surrounding space), or None when it is not an addr-spec (`bob smith@example.net`)."""
    candidate = text.strip()
    if candidate.startswith("<") and candidate.endswith(">"):
        candidate = candidate[1:-1].strip()
    if not _ADDR_SPEC.fullmatch(candidate):
        return None
    return candidate.lower()


def _fast_pairs(value: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        lt = part.find("<")
        if lt < 0:
            out.append(("", part))
            continue
        gt = part.find(">", lt)
        out.append((part[:lt].strip(), part[lt + 1 : gt if gt > 0 else None].strip()))
    return out


def _without_comments(value: str) -> str:
    """`value` with (comments) taken out, quoted strings kept; iterative, so any depth is fine."""
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for ch in value:
        if escaped:
            escaped = False
            if not depth:
                out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if not depth:
                out.append(ch)
            continue
        if quoted:
            quoted = ch != '"'
            out.append(ch)
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif not depth:
            quoted = ch == '"'
            out.append(ch)
    return "".join(out)


def _scan_pairs(value: str) -> list[tuple[str, str]]:
    """The cheap reading: every addr-spec in the value, without names."""
    return [("", m.group(0)) for m in _ADDR_SPEC.finditer(_without_comments(value))]


def address_pairs(field: str, value: str, trouble: list[str]) -> list[tuple[str, str]]:
    """(display name, address) for every address in one header value, addresses in their
    normal form. What could not be read is said in `trouble`, once, and costs only itself."""
    if not ('"' in value or "(" in value or ";" in value or "\\" in value):
        pairs = _fast_pairs(value)
    elif len(value) > _FULL_GRAMMAR_LIMIT:
        trouble.append(
            f"{field}: {len(value)} characters is too long for the full address grammar; "
            "took the plain addresses it holds"
        )
        pairs = _scan_pairs(value)
    else:
        try:
            pairs = getaddresses([value])  # quoted names, comments, groups: the full grammar
        except (RecursionError, ValueError, IndexError, TypeError) as exc:
            trouble.append(
                f"{field}: the address grammar failed ({type(exc).__name__}); "
                "took the plain addresses it holds"
            )
            pairs = _scan_pairs(value)
    out: list[tuple[str, str]] = []
    bad: list[str] = []
    for name, addr in pairs:
        normal = normal_address(addr)
        if normal is not None:
            out.append((name, normal))
        elif "@" in addr:
            bad.append(addr.strip())
    if bad:
        shown = ", ".join(repr(b[:80]) for b in bad[:3]) + (" …" if len(bad) > 3 else "")
        trouble.append(f"{field}: {shown} is not an address; left out")
    if len(out) > _MAX_ADDRESSES:
        trouble.append(f"{field}: {len(out)} addresses; kept the first {_MAX_ADDRESSES}")
        out = out[:_MAX_ADDRESSES]
    return out


__all__ = ["address_pairs", "normal_address"]
