"""Make docs/mutt-drafts.png: a nudge from `inbox-agent demo` in mutt's Drafts, under tmux.

Needs mutt and tmux (`apt-get install mutt tmux`); run from the repository root after
`scripts/demo` created .venv:  .venv/bin/python docs/mutt_screenshot.py
It starts the demo with --keep-running, points mutt at its embedded IMAP server, opens the first
draft, captures the pane with its colours and draws it with Pillow.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
COLS, ROWS = 96, 20
PALETTE = [
    (0x2E, 0x34, 0x36), (0xCC, 0x00, 0x00), (0x4E, 0x9A, 0x06), (0xC4, 0xA0, 0x00),
    (0x34, 0x65, 0xA4), (0x75, 0x50, 0x7B), (0x06, 0x98, 0x9A), (0xD3, 0xD7, 0xCF),
    (0x55, 0x57, 0x53), (0xEF, 0x29, 0x29), (0x8A, 0xE2, 0x34), (0xFC, 0xE9, 0x4F),
    (0x72, 0x9F, 0xCF), (0xAD, 0x7F, 0xA8), (0x34, 0xE2, 0xE2), (0xEE, 0xEE, 0xEC),
]  # fmt: skip
FG, BG = (0xEE, 0xEE, 0xEC), (0x1E, 0x1E, 0x1E)
MUTTRC = """\
set imap_user = "{user}"
set imap_pass = "{password}"
set folder = "imap://127.0.0.1:{port}/"
set spoolfile = "+INBOX"
set postponed = "+Drafts"
set ssl_starttls = no
set ssl_force_tls = no
set from = "alice@example.test"
set realname = "Alice Example"
alternates "^alice@example\\.test$"
set sort = threads
set date_format = "%d %b %H:%M"
set index_format = "%4C %Z %D  %-22.22L %s"
set pager_index_lines = 3
ignore *
unignore from to subject date in-reply-to
hdr_order From To Subject Date In-Reply-To
color indicator black cyan
color header brightcyan default "^(From|To|Subject):"
color header yellow default "^In-Reply-To:"
color status black white
"""


def colour(n: int) -> tuple[int, int, int]:
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return steps[n // 36], steps[(n // 6) % 6], steps[n % 6]
    grey = 8 + (n - 232) * 10
    return grey, grey, grey


def render(ansi: str, out: Path) -> None:
    font, bold = ImageFont.truetype(FONT, 15), ImageFont.truetype(BOLD, 15)
    width, height = 9, 19
    image = Image.new("RGB", (COLS * width + 24, ROWS * height + 24), BG)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(ansi.splitlines()[:ROWS]):
        fg, bg, strong, reverse, col = FG, BG, False, False, 0
        for token in re.split(r"(\x1b\[[0-9;]*m)", line):
            if token.startswith("\x1b["):
                codes = [int(c) for c in token[2:-1].split(";") if c] or [0]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        fg, bg, strong, reverse = FG, BG, False, False
                    elif c == 1:
                        strong = True
                    elif c == 7:
                        reverse = True
                    elif c in (22, 27):
                        strong, reverse = (False, reverse) if c == 22 else (strong, False)
                    elif 30 <= c <= 37 or 90 <= c <= 97:
                        fg = PALETTE[c - 30 if c < 90 else c - 82]
                    elif 40 <= c <= 47 or 100 <= c <= 107:
                        bg = PALETTE[c - 40 if c < 100 else c - 92]
                    elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                        if c == 38:
                            fg = colour(codes[i + 2])
                        else:
                            bg = colour(codes[i + 2])
                        i += 2
                    elif c == 39:
                        fg = FG
                    elif c == 49:
                        bg = BG
                    i += 1
                continue
            for ch in token:
                front, back = (bg, fg) if reverse else (fg, bg)
                x, y = 12 + col * width, 12 + row * height
                draw.rectangle([x, y, x + width, y + height], fill=back)
                draw.text((x, y), ch, font=bold if strong else font, fill=front)
                col += 1
    image.save(out)


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="mutt-shot-"))
    demo = subprocess.Popen(
        [str(ROOT / ".venv/bin/inbox-agent"), "demo", "--keep-running"],
        env=dict(os.environ, INBOX_AGENT_HOME=str(home), PYTHONUNBUFFERED="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert demo.stdout is not None
    output = ""
    try:
        deadline = time.monotonic() + 60
        while "Press Ctrl-C" not in output and time.monotonic() < deadline:
            output += demo.stdout.readline()
        found = re.search(r"host \S+\s+port (\d+)\s+user (\S+)\s+password (\S+)", output)
        if not found:
            print(output, file=sys.stderr)
            return 1
        port, user, password = found.groups()
        muttrc = home / "muttrc"
        muttrc.write_text(MUTTRC.format(user=user, password=password, port=port))
        session = "inbox-agent-shot"
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        command = f"TERM=xterm-256color mutt -n -F {muttrc} -f imap://127.0.0.1:{port}/Drafts"
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", session, "-x", str(COLS), "-y", str(ROWS), command],
            check=True,
        )
        time.sleep(3)
        for keys in (["1", "Enter"], ["Enter"]):  # jump to the first draft, open it
            subprocess.run(["tmux", "send-keys", "-t", session, *keys], check=True)
            time.sleep(1.5)
        ansi = subprocess.run(
            ["tmux", "capture-pane", "-e", "-p", "-t", session],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        render(ansi, ROOT / "docs" / "mutt-drafts.png")
        print(ansi)
        return 0
    finally:
        demo.terminate()
        demo.wait(15)


if __name__ == "__main__":
    raise SystemExit(main())
