"""How the commands print what they found: JSON for scripts, lines of text for a person.

The commands in `commands.py` gather rows and dicts; these functions only format them, so a
command's text and its `--json` form show the same facts. Nothing here reads the store or the
network.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, assert_never

from inbox_agent import paths
from inbox_agent.tracker.sequence import Action, Due, End, Observe, Pause, Start, Touched

if TYPE_CHECKING:  # the store and the voice package load only in the commands that need them
    from inbox_agent.store import AuditRow
    from inbox_agent.voice import Profile


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def action(planned: Action) -> str:
    """A planned action in a few words ("" for one that changes nothing a person would see)."""
    match planned:
        case Start():
            return "start following"
        case Due():
            return f"draft touch {planned.touch}"
        case End():
            return f"end ({planned.state})"
        case Pause():
            return f"pause until {planned.until:%Y-%m-%d %H:%M}"
        case Touched():
            return "count your message as a touch"
        case Observe():
            return ""
        case _:
            assert_never(planned)


def threads(rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        print("no threads to show (try --all)")
    for r in rows:
        seq = f"#{r['sequence_id']}" if r["sequence_id"] else "  -"
        print(
            f"{seq:>5} {r['state']:<18} {r['subject'][:50]:<50} {', '.join(r['participants'][:2])}"
        )
        print(f"      {r['reason']}" + (f" → {'; '.join(r['actions'])}" if r["actions"] else ""))


def status(info: dict[str, Any], any_account: bool) -> None:
    if info["running"]:
        print(f"daemon: running (pid {info['pid']}, since {str(info['started_at'])[:19]})")
    else:
        print(
            "daemon: not running (start it: inbox-agent run; at login: inbox-agent autostart enable)"
        )
    if info["paused"]:
        print(f"paused since {info['paused_since']} (inbox-agent resume)")
    for a in info["accounts"]:
        watch = {
            "idle": "watching (IMAP IDLE push)",
            "polling": "watching (polling)",
            "connecting": "reconnecting",
            "held": "not watched until the problem below is fixed",
        }.get(a["watch"], "not watched now")
        print(f"{a['name']} ({a['email']}, {a['autonomy']} by default): {watch}")
        print(f"  last successful sync: {str(a['last_sync'] or 'never')[:19]}")
        print(f"  pending approvals: {a['pending_approvals']} (inbox-agent queue)")
        if a["next_nudge_at"]:
            print(f"  next nudge due: {a['next_nudge_at'][:16]} (inbox-agent threads)")
        sends = a["scheduled_sends"]
        print(
            f"  scheduled sends: {len(sends)}"
            + (f", next at {sends[0]['send_at'][:16]}" if sends else "")
        )
        if a.get("undecided"):
            print(
                f"  waiting for your decision: {len(a['undecided'])} (inbox-agent threads --unsure)"
            )
        for p in a["problems"]:
            print(f"  PROBLEM: {p['message']}" + (f"\n    fix: {p['fix']}" if p["fix"] else ""))
        error = a["last_error"]
        print(
            f"  last error: {error['at'][:19]} {error['message']}"
            if error
            else "  last error: none"
        )
    if not any_account:
        print(f"no account is configured in {paths.accounts_dir()} (inbox-agent init)")
    print(f"log: {info['log_file']}")


def autostart(info: dict[str, Any]) -> None:
    if info["enabled"]:
        print(f"enabled: {info['location']}")
        if info["problem"]:
            print(f"problem: {info['problem']}")
    else:
        print("disabled (inbox-agent autostart enable)")


def queue(rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        print("nothing waits for your approval")
    for r in rows:
        print(f"{r['id']:>4}  {r['subject']}  → {', '.join(r['to'])}  (touch {r['touch']})")


def autonomy(account: str, rows: Sequence[dict[str, Any]]) -> None:
    print(f"{account}: the most specific scope wins (thread > contact > domain > folder > default)")
    for row in rows:
        print(f"  {row['scope']:<40} {row['level']}")


def audit(rows: Sequence[AuditRow]) -> None:
    for r in rows:
        change = f"{r.state_before}→{r.state_after}" if r.state_before or r.state_after else ""
        print(
            f"{r.at[:19]} {r.actor:<6} {r.action:<14} #{r.sequence_id or '-'} {change:<28} {r.reason}"
        )


def voice(
    name: str,
    profile: Profile,
    file: Path,
    stale: bool,
    traits: Sequence[dict[str, str]],
    edits: Sequence[dict[str, Any]] = (),
) -> None:
    window = f"{profile.oldest[:10]} … {profile.newest[:10]}" if profile.oldest else "undated"
    print(
        f"Voice profile for {name}, learned {profile.learned_at[:16].replace('T', ' ')} from "
        f"{profile.sample_size} of your sent messages ({window})"
    )
    print(f"kept in {file}; sent nowhere but your LLM endpoint, as examples in its prompts")
    if stale:
        print("more than a day old: it is learned again before the next draft (or use --refresh)")
    print()
    for row in traits:
        print(f"{row['trait']:<28} {row['value']}")
        print(f"{'':<28}   from: {row['source']}")
    print()
    print(
        "learned from your edits of our nudges (they come first):"
        if edits
        else "learned from your edits of our nudges: nothing yet"
    )
    for row in edits:
        print(f"{row['trait']:<28} {row['value']!s}".rstrip())
        print(f"{'':<28}   from: {row['source']}")
        if row["messages"]:
            print(f"{'':<28}   messages: {', '.join(row['messages'])}")


def config_files(rows: Sequence[dict[str, Any]], any_file: bool) -> None:
    for row in rows:
        if row["ok"]:
            print(f"{row['file']}: {row['summary']}")
        else:
            print(f"error: {row['file']}: {row['problem']}\n  fix: {row['fix']}", file=sys.stderr)
    if not any_file:
        print(f"no account files in {paths.accounts_dir()} (inbox-agent init)")
