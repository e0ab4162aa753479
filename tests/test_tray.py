"""The tray, for real: pystray's GTK backend under Xvfb, docked in trayer, notifications shown by
dunst, menu rows used through pystray's API, and a screenshot of the open menu. Plus the pure
parts (icon, labels, menu) and the fallback to headless where there is no display.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from inbox_agent import clock
from inbox_agent.desktop import status
from inbox_agent.desktop.icon import draw_icon
from inbox_agent.desktop.menu import MenuActions, menu_model, title_of, when
from inbox_agent.desktop.notify import Problem
from inbox_agent.desktop.status import AccountView, Nudge, Snapshot
from inbox_agent.desktop.tray import display_problem
from inbox_agent.store import Event, SequenceState, Store
from tests.infra.daemon import AgentProcess, log_text, profile_env, store_rows, write_profile
from tests.infra.desktop import Desktop, missing_tools
from tests.infra.mail import MailWorld, wait_for
from tests.infra.process import end

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"


# -- pure: the picture, the words, the menu ----------------------------------------------------------


def test_the_icon_shows_the_state_by_colour_and_the_count_in_a_badge() -> None:
    centre = {
        s: draw_icon(s, 0).getpixel((10, 32)) for s in ("watching", "paused", "attention", "error")
    }
    assert len(set(centre.values())) == 4  # four states, four colours
    plain, badged = draw_icon("attention", 0), draw_icon("attention", 3)
    assert plain.getpixel((52, 6))[3] == 0 and badged.getpixel((52, 6))[:3] == (255, 255, 255)
    assert draw_icon("watching", 12).size == (64, 64)


def _snapshot(**changes: Any) -> Snapshot:
    nudge = Nudge(7, 3, "main", "alice@example.com", "Drafts", "Re: Q3 contract", "Bob Stone", 2)
    account = AccountView(
        "main", "alice@example.com", "copilot", "2026-03-02T09:14:00+00:00", "idle"
    )
    return Snapshot(**{"accounts": (account,), "approvals": (nudge,), **changes})


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.calls.append((name, args))


def test_a_nudge_reads_as_subject_recipient_and_touch_and_its_rows_do_what_they_say() -> None:
    snap = _snapshot()
    assert snap.approvals[0].label == "Re: Q3 contract → Bob Stone, 2nd touch"
    assert [status.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 21, 22)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "21st",
        "22nd",
    ]
    d, opened = Recorder(), Recorder()
    rows = menu_model(
        snap, MenuActions(d, opened.draft, opened.path), datetime(2026, 3, 2, 10, tzinfo=UTC)
    )
    by_text = {r.text: r for r in rows}
    nudge = by_text["Re: Q3 contract → Bob Stone, 2nd touch"]
    sub = {r.text: r for r in nudge.submenu}
    assert set(sub) == {
        "Approve and send",
        "Open in mail client (in Drafts of alice@example.com)",
        "Reject (skip this touch)",
        "Dismiss thread (no more nudges)",
    }
    for row in nudge.submenu:
        assert row.action is not None
        row.action()
    assert d.calls == [("approve", (7,)), ("reject", (7,)), ("dismiss", ("main", 3))]
    assert opened.calls == [("draft", (snap.approvals[0],))]
    assert rows[0].text == "Sync now" and rows[0].default
    assert "Pause all" in by_text and "Quit" in by_text and "Open audit log" in by_text
    levels = by_text["Autonomy (main)"].submenu
    assert [(r.text, r.checked) for r in levels] == [
        ("Manual", False),
        ("Copilot", True),
        ("Autopilot", False),
    ]
    paused = {
        r.text
        for r in menu_model(
            _snapshot(paused=True), MenuActions(d, opened.draft, opened.path), datetime.now(UTC)
        )
    }
    assert "Resume" in paused and "Pause all" not in paused


def test_the_menu_shows_when_the_next_nudge_falls_due(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    account = AccountView("main", "alice@example.com", "copilot", "", "idle")
    now = datetime(2026, 3, 2, 10, tzinfo=UTC)
    seen = {
        r.text
        for r in menu_model(
            _snapshot(), MenuActions(Recorder(), Recorder().draft, Recorder().path), now
        )
    }
    assert not any(t.startswith("Next nudge due") for t in seen)
    due = now + timedelta(hours=2)
    store.add_sequence(
        {
            "account": "main",
            "anchor_message_id": "<a@x>",
            "thread_key": "<a@x>",
            "subject": "Q3",
            "state": SequenceState.WAITING,
            "touches_sent": 0,
            "last_touch_at": now,
            "next_due_at": due,
            "seen_ids": ["<a@x>"],
            "participants": ["bob@x.test"],
            "reason": "",
            "created_at": now,
            "updated_at": now,
        },
        Event.TRACK,
    )
    clock.set_now(now)
    try:
        shown = status.next_nudge(store, "main")
    finally:
        clock.set_now(None)
    assert shown == due.isoformat()
    snap = _snapshot(accounts=(replace(account, next_nudge=shown),))
    rows = {
        r.text
        for r in menu_model(snap, MenuActions(Recorder(), Recorder().draft, Recorder().path), now)
    }
    assert f"Next nudge due (main): {when(shown, now)}" in rows


def test_state_and_tooltip_follow_what_needs_the_user() -> None:
    now = datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert _snapshot().state == "attention"
    assert _snapshot(approvals=()).state == "watching"
    assert _snapshot(paused=True).state == "paused"
    broken = AccountView(
        "main", "a@b", "copilot", "", "connecting", (Problem("login", "main", "rejected"),)
    )
    assert _snapshot(accounts=(broken,), paused=True).state == "error"
    assert "1 waiting for approval" in title_of(_snapshot(), now)
    assert display_problem("linux", {}) and not display_problem("linux", {"DISPLAY": ":3"})
    assert not display_problem("darwin", {})


# -- headless fallback ------------------------------------------------------------------------------


def test_without_a_display_run_says_so_and_watches_headless(
    mail_world: MailWorld, tmp_path: Path
) -> None:
    home = tmp_path / "profile"
    alice = mail_world.new_user("alice")
    write_profile(home, alice, mail_world.imap_port, mail_world.smtp_port)
    env = profile_env(home)
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    agent = AgentProcess(home, ["run"], env)
    try:
        assert wait_for(lambda: "is watching" in agent.output, 20), agent.output
        assert (
            "no tray icon (no display: DISPLAY and WAYLAND_DISPLAY are unset); running headless"
            in agent.output
        )
        assert wait_for(lambda: store_rows(home, "SELECT synced_at FROM folders"), 20), log_text(
            home
        )
        agent.signal(signal.SIGTERM)
        assert agent.wait(20) == 0
    finally:
        agent.stop()


# -- the real tray under Xvfb ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def desktop() -> Iterator[Desktop]:
    missing = missing_tools()
    if missing:
        pytest.fail(
            f"the tray tests need {', '.join(missing)}: run scripts/test (it installs them)"
        )
    try:
        import gi  # noqa: F401
    except ImportError:
        pytest.fail(
            "PyGObject is missing (the tray's GTK backend): run scripts/test, it installs it"
        )
    screen = Desktop().start()
    yield screen
    screen.stop()


class Harness:
    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self._err = (home / "harness.err").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.infra.tray_harness"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._err,
            text=True,
        )

    def expect(self, keyword: str, timeout: float = 15.0) -> Any:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        for _ in range(1000):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                break
            line = self.proc.stdout.readline()
            if not line:
                break
            word, _, value = line.strip().partition(" ")
            if word == keyword:
                return json.loads(value)
            if word == "ERROR":
                raise AssertionError(value)
        raise AssertionError(f"no {keyword} from the tray harness within {timeout} s")

    def ask(self, command: str, keyword: str) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.expect(keyword)

    def menu_texts(self) -> list[str]:
        return [row["text"] for row in self.ask("menu", "MENU")]

    def stop(self) -> None:
        end(self.proc, 15)
        for stream in (self.proc.stdin, self.proc.stdout, self._err):
            if stream is not None:
                stream.close()


def _checked(harness: Harness, parent: str) -> str:
    [row] = [r for r in harness.ask("menu", "MENU") if r["text"] == parent]
    return next((sub["text"] for sub in row["submenu"] if sub["checked"]), "")


def audit_rows(home: Path) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in store_rows(home, "SELECT actor, action, state_after FROM audit")]


def test_the_tray_approves_rejects_dismisses_pauses_and_quits(
    desktop: Desktop, mail_world: MailWorld, tmp_path: Path
) -> None:
    home = tmp_path / "profile"
    alice = mail_world.new_user("alice")
    people = [mail_world.new_user(n) for n in ("bob", "carol", "dave")]
    write_profile(home, alice, mail_world.imap_port, mail_world.smtp_port, "copilot")
    for person, topic in zip(people, ("Q3 contract", "Offsite venue", "Invoice 4411"), strict=True):
        mail_world.send(
            person, [alice.address], "Hello", "Nice to meet you."
        )  # alice knows their names
        mail_world.send(alice, [person.address], topic, "Can you get back to me on this?")
    pinned = (datetime.now(UTC) + timedelta(days=6)).isoformat()
    env = profile_env(
        home,
        **{
            k: v
            for k, v in desktop.env.items()
            if k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "NO_AT_BRIDGE")
        },
    )
    opened = tmp_path / "opened.txt"  # a stand-in xdg-open: what would the desktop have opened?
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "xdg-open").write_text(f'#!/bin/sh\necho "$@" >> {opened}\n')
    (bin_dir / "xdg-open").chmod(0o755)
    env.update(PYSTRAY_BACKEND="gtk", INBOX_AGENT_NOW=pinned, PATH=f"{bin_dir}:{env['PATH']}")
    harness = Harness(home, env)
    try:
        assert harness.expect("READY", 20) == "pystray._gtk"
        assert wait_for(lambda: "Waiting for your approval (3)" in harness.menu_texts(), 20), (
            log_text(home)
        )
        labels = {
            p.login: f"Re: {t} → {p.display_name}, 1st touch"
            for p, t in zip(people, ("Q3 contract", "Offsite venue", "Invoice 4411"), strict=True)
        }
        assert set(labels.values()) <= set(harness.menu_texts())
        state = harness.ask("state", "STATE")
        assert state["state"] == "attention" and "3 waiting for approval" in state["title"]

        x, y = desktop.tray_icon_at()
        desktop.xdotool("mousemove", str(x), str(y), "click", "3")  # a real right-click
        time.sleep(0.6)
        desktop.xdotool("key", "Down", "Down", "Right")  # open the first nudge's submenu
        time.sleep(0.6)
        shot = desktop.screenshot(OUTPUT / "tray-menu.png")
        desktop.xdotool("key", "Escape")
        desktop.xdotool("key", "Escape")
        assert shot.stat().st_size > 5000

        bob, carol, dave = people
        harness.ask(f"click {labels[bob.login]} > Approve and send", "CLICKED")
        assert wait_for(lambda: ("tray", "sent", "waiting") in audit_rows(home), 20), log_text(home)
        with mail_world.imap_client(bob) as client:
            client.select_folder("INBOX", readonly=True)
            assert len(client.search(["SUBJECT", "Re: Q3 contract"])) == 1
        harness.ask(f"click {labels[carol.login]} > Reject (skip this touch)", "CLICKED")
        assert wait_for(lambda: ("tray", "draft_removed", "rejected") in audit_rows(home), 20)
        harness.ask(f"click {labels[dave.login]} > Dismiss thread (no more nudges)", "CLICKED")
        assert wait_for(lambda: ("tray", "end", "dismissed") in audit_rows(home), 20)
        assert wait_for(lambda: "Nothing waits for your approval" in harness.menu_texts(), 10)
        assert store_rows(home, "SELECT COUNT(*) FROM drafts WHERE state = 'queued'") == [(0,)]

        harness.ask("click Pause all", "CLICKED")
        assert wait_for(lambda: "Resume" in harness.menu_texts(), 10)
        assert status.pause_file().name in os.listdir(home / "data")
        assert harness.ask("state", "STATE")["state"] == "paused"
        harness.ask("click Resume", "CLICKED")
        assert wait_for(lambda: "Pause all" in harness.menu_texts(), 10)
        assert not (home / "data" / "paused").exists()

        harness.ask("click Autonomy (main) > Autopilot", "CLICKED")
        assert wait_for(lambda: ("tray", "autonomy", "autopilot") in audit_rows(home), 10)
        assert wait_for(lambda: _checked(harness, "Autonomy (main)") == "Autopilot", 10)

        harness.ask("click Open audit log", "CLICKED")
        harness.ask("click Open config folder", "CLICKED")
        log_file = home / "data" / "audit-log.txt"
        assert wait_for(lambda: opened.exists() and len(opened.read_text().splitlines()) == 2, 10)
        assert set(opened.read_text().splitlines()) == {str(log_file), str(home / "config")}
        newest = log_file.read_text().splitlines()[2]
        assert "tray" in newest and "autonomy" in newest  # newest first

        notes = harness.ask("notes", "NOTES")
        said = " | ".join(f"{t}: {m}" for t, m in notes)
        assert "3 nudges wait for your approval" in said and "Sent: Re: Q3 contract" in said
        shown = desktop.notifications()  # pystray replaces its one bubble: dunst has the last
        assert any(notes[-1][1][:40] in body for _summary, body in shown), (shown, notes)

        harness.ask("click Quit", "CLICKED")
        assert harness.proc.wait(15) == 0
    finally:
        harness.stop()
    if os.environ.get("UPDATE_README_SCREENSHOT"):
        shutil.copy(OUTPUT / "tray-menu.png", ROOT / "docs" / "tray-menu.png")


def test_ctrl_c_stops_the_tray_gracefully(
    desktop: Desktop, mail_world: MailWorld, tmp_path: Path
) -> None:
    """pystray's GTK backend makes SIGINT kill at once; the tray gives it back to our handler."""
    home = tmp_path / "profile"
    write_profile(home, mail_world.new_user("alice"), mail_world.imap_port, mail_world.smtp_port)
    env = profile_env(home, **{k: desktop.env[k] for k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")})
    env["PYSTRAY_BACKEND"] = "gtk"
    harness = Harness(home, env)
    try:
        harness.expect("READY", 20)
        harness.proc.send_signal(signal.SIGINT)  # READY comes after the handler is back
        assert harness.proc.wait(15) == 0
        assert "stopping after the current step" in (home / "harness.err").read_text()
    finally:
        harness.stop()
