"""An IDLE response the server sends in two TCP packets (mjs/imapclient#519): imapclient's
idle_check reads it off a non-blocking socket and can catch the first half alone, which imaplib
calls an "unterminated line". It is news all the same: `Mailbox.idle` reports a change at once
and gives the connection up (the rest of the line would put every later command out of step),
so the IDLE watcher polls and opens a new one. A scripted server on loopback sends the halves."""

from __future__ import annotations

import socket
import threading
import time

from imapclient import IMAPClient

from inbox_agent.sync.imap import ImapMailbox


def _serve(listener: socket.socket, pause: float, done: threading.Event) -> None:
    """One session: the greeting, LOGIN, EXAMINE, then IDLE answered by "* 2 EXISTS" in two
    parts."""
    conn, _ = listener.accept()
    with conn, conn.makefile("rb") as lines:
        conn.sendall(b"* OK [CAPABILITY IMAP4rev1 IDLE] scripted\r\n")
        for _ in range(10):  # bounded: the client sends EXAMINE, IDLE and perhaps DONE
            line = lines.readline()
            if not line:
                return
            tag, _, command = line.decode().partition(" ")
            verb = command.split(" ", 1)[0].strip().upper()
            if verb == "CAPABILITY":
                conn.sendall(b"* CAPABILITY IMAP4rev1 IDLE\r\n" + tag.encode() + b" OK done\r\n")
            elif verb in ("EXAMINE", "SELECT"):
                conn.sendall(b"* 1 EXISTS\r\n* FLAGS ()\r\n" + tag.encode() + b" OK done\r\n")
            elif verb == "IDLE":
                conn.sendall(b"+ idling\r\n")
                time.sleep(0.2)
                conn.sendall(b"* 2 EX")  # the first packet ends mid-line
                time.sleep(pause)
                conn.sendall(b"ISTS\r\n")
                done.wait(5)
                return
            else:
                conn.sendall(tag.encode() + b" OK done\r\n")


def test_a_response_split_across_packets_is_a_change_and_ends_the_connection() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    done = threading.Event()
    server = threading.Thread(target=_serve, args=(listener, 1.0, done), daemon=True)
    server.start()
    try:
        client = IMAPClient("127.0.0.1", port=listener.getsockname()[1], ssl=False, timeout=10)
        client.login("alice", "not-a-secret")
        box = ImapMailbox(client)
        started = time.monotonic()
        assert box.idle("INBOX", 5) is True
        assert time.monotonic() - started < 3  # at the first half, not at the time-out
        try:
            box.client.noop()
        except Exception:
            pass  # the connection was given up, as it should
        else:
            raise AssertionError("the connection out of step was kept")
    finally:
        done.set()
        server.join(10)
        listener.close()
