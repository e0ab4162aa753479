"""The quote under a nudge: the attribution in the thread's language, `>` lines in the plain part,
a blockquote in the HTML part, `quote = false` globally and per account, and a send of an edited
draft that quotes once (or not at all when the user deleted the quote)."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from inbox_agent import clock, config, paths
from inbox_agent.cadence import add_business_days
from inbox_agent.engine import Engine
from inbox_agent.mail import compose
from inbox_agent.mail.body import new_text
from inbox_agent.mail.headers import Header
from inbox_agent.mail.quote import LANGUAGES, Quote, attribution, quote_of, split_reply
from inbox_agent.store import Store
from inbox_agent.sync.memory import MemoryMailbox
from tests.test_engine_memory import ALICE, BOB, _mail
from tests.test_outbox import make_engine, nudges_to

_NAMES = st.text(st.characters(categories=("L",)), min_size=1, max_size=12)
_LINE = st.text(st.characters(categories=("L", "N", "Zs", "P")), max_size=40)


@given(
    lang=st.sampled_from(LANGUAGES),
    when=st.none() | st.datetimes(datetime(1990, 1, 1), datetime(2090, 1, 1)),
    offset=st.integers(-12, 14),
    first=_NAMES,
    last=_NAMES,
    lines=st.lists(_LINE | st.just("") | _LINE.map(lambda t: "> " + t), min_size=1, max_size=8),
    own=st.lists(_LINE.filter(lambda t: t.strip() != ""), min_size=1, max_size=3),
)
def test_every_attribution_is_cut_by_new_text_and_split_back(
    lang: str,
    when: datetime | None,
    offset: int,
    first: str,
    last: str,
    lines: list[str],
    own: list[str],
) -> None:
    stamp = when.replace(tzinfo=timezone(timedelta(hours=offset))) if when else None
    text = "Hi,\n" + "\n".join(lines) + "\nAlice"
    quote = quote_of(text, stamp, f"{first} {last}", "alice@example.test", lang)
    body = "\n\n".join(" ".join(line.split()) for line in own)
    plain = body + "\n\n" + quote.plain() + "\n"
    assert new_text(plain) == new_text(body)
    assert all(line.startswith(">") for line in quote.plain().split("\n")[1:])
    mine, kept = split_reply(plain)
    assert mine == body.strip() and kept == quote


def test_the_attribution_reads_as_mail_clients_write_it() -> None:
    when = datetime(2026, 11, 24, 9, 14, tzinfo=timezone(timedelta(hours=1)))
    who = ("Alice Example", "alice@x.test")
    assert attribution(when, *who, "en") == (
        "On Tue, 24 Nov 2026 at 09:14, Alice Example <alice@x.test> wrote:"
    )
    assert attribution(when, *who, "de") == (
        "Am Di., 24. Nov. 2026 um 09:14 schrieb Alice Example <alice@x.test>:"
    )
    assert attribution(when, *who, "fr").endswith("a écrit :")
    assert attribution(when, *who, "xx") == attribution(when, *who, "en")
    assert attribution(None, *who, "de") == "Alice Example <alice@x.test> wrote:"


def test_a_long_message_is_cut_and_a_deleted_quote_stays_deleted() -> None:
    quote = quote_of("\n".join(f"line {i}" for i in range(300)), None, "A", "a@x.test", "en")
    assert quote.plain().split("\n")[-1] == "> […]" and quote.text.count("\n") == 200
    assert split_reply("Just my own words.\n\nAlice\n") == ("Just my own words.\n\nAlice", None)
    edited = "Mine.\n\n" + quote.plain().replace("> line 3\n", "> line three (fixed)\n")
    _own, kept = split_reply(edited)
    assert kept is not None and "line three (fixed)" in kept.text  # their change to it is kept


def _anchor() -> Header:
    return Header(
        message_id="<ask@example.test>",
        in_reply_to=(),
        references=(),
        subject="Vertrag",
        from_addr=ALICE,
        from_name="Alice Example",
        to=(BOB,),
        cc=(),
        reply_to=(),
        date=datetime(2026, 11, 24, 9, 14, tzinfo=UTC),
        kind="normal",
        agent_id="",
    )


def _parts(msg: EmailMessage) -> tuple[str, str]:
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    plain, html = (parsed.get_body(preferencelist=(kind,)) for kind in ("plain", "html"))
    return (
        str(plain.get_content()) if plain else "",
        str(html.get_content()) if html else "",
    )


def test_plain_and_html_parts_carry_the_quote_in_the_threads_language() -> None:
    anchor = _anchor()
    text = "Hallo Bob,\n\nkannst du den Vertrag <b>bis Freitag</b> unterschreiben?\n\nAlice"
    quote = quote_of(text, anchor.date, anchor.from_name, anchor.from_addr, "de")
    args: dict[str, Any] = {
        "anchor": anchor,
        "user": frozenset({ALICE}),
        "from_addr": ALICE,
        "from_name": "Alice Example",
        "body": "Hallo Bob,\n\nGibt es Neuigkeiten?\n\nAlice",
        "when": datetime(2026, 11, 30, tzinfo=UTC),
        "agent_id": "x",
        "message_id": "<n@example.test>",
        "html": True,
    }
    plain, html = _parts(compose.build(**args, quote=quote))
    assert "\n\nAm Di., 24. Nov. 2026 um 09:14 schrieb Alice Example <alice@example.test>:\n" in (
        plain
    )
    assert "> kannst du den Vertrag <b>bis Freitag</b> unterschreiben?" in plain
    assert new_text(plain) == args["body"]
    assert '<blockquote type="cite"' in html and "schrieb Alice Example" in html
    assert "&lt;b&gt;bis Freitag&lt;/b&gt;" in html and "<b>" not in html  # text, never markup
    unquoted = compose.build(**args)
    assert _parts(unquoted) == _parts(compose.build(**args, quote=None))
    assert _parts(unquoted)[0] == args["body"] + "\n" and "blockquote" not in _parts(unquoted)[1]


def test_quote_html_escapes_script() -> None:
    html = Quote("A <a@x.test> wrote:", "<script>alert(1)</script>\n\nsecond").html()
    assert "<script>" not in html and "&lt;script&gt;" in html and html.count("<p>") == 2


def _memory_engine(extra_global: str, extra_account: str) -> tuple[Engine, MemoryMailbox]:
    mailbox = MemoryMailbox()
    mailbox.create_folder("Sent", "\\Sent")
    mailbox.create_folder("Drafts", "\\Drafts")
    paths.global_config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.global_config_file().write_text(extra_global)
    path = paths.accounts_dir() / "main.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'email = "{ALICE}"\ndisplay_name = "Alice Example"\n\n'
        '[imap]\nhost = "127.0.0.1"\nsecurity = "none"\n\n'
        '[smtp]\nhost = "127.0.0.1"\nsecurity = "none"\n\n[autonomy]\ndefault = "manual"\n'
        + extra_account
    )
    settings = config.load_settings()
    engine = Engine(
        config.load_account(path, settings),
        settings,
        Store(paths.database_file()),
        opener=lambda _account: nullcontext(mailbox),
    )
    return engine, mailbox


def _first_nudge(extra_global: str = "", extra_account: str = "") -> str:
    engine, mailbox = _memory_engine(extra_global, extra_account)
    now = datetime.now(UTC).replace(microsecond=0)
    clock.set_now(now)
    engine.tick()  # the baseline
    mailbox.deliver("Sent", _mail("ask", ALICE, BOB, "Contract", now), ["\\Seen"], now)
    engine.tick()
    clock.set_now(add_business_days(now, 4))
    engine.tick()
    [uid] = mailbox.uids("Drafts")
    found = mailbox.fetch_raw("Drafts", uid)
    assert found is not None
    plain, _html = _parts(message_from_bytes(found.data, policy=policy.default))  # type: ignore[arg-type]
    return plain


def test_the_nudge_quotes_by_default_and_not_with_quote_false(agent_home: Path) -> None:
    plain = _first_nudge()
    assert "Alice Example <alice@example.test> wrote:\n> Hi Bob," in plain
    assert "> Could you send me the signed contract?" in plain
    assert "below" not in new_text(plain) or "> " in plain


def test_quote_false_globally(agent_home: Path) -> None:
    plain = _first_nudge("[cadence]\nquote = false\n")
    assert "wrote:" not in plain and ">" not in plain and "below" not in plain


def test_quote_false_in_one_account_only(agent_home: Path) -> None:
    plain = _first_nudge("", "\n[cadence]\nquote = false\n")
    assert "wrote:" not in plain and ">" not in plain and "below" not in plain


def test_an_edited_draft_goes_out_with_one_quote(mail_world: Any, agent_home: Path) -> None:
    alice, bob = mail_world.new_user("alice"), mail_world.new_user("bob")
    engine = make_engine(alice, mail_world)
    mail_world.send(alice, [bob.address], "Q3 contract", "Can you sign?", date=datetime.now(UTC))
    clock.set_now(add_business_days(datetime.now(UTC), 4))
    engine.tick()
    [draft] = engine.queue()
    with mail_world.imap_client(alice) as client:  # what a mail client does on save
        client.select_folder("Drafts")
        [uid] = client.search(["ALL"])
        raw = bytes(client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"])
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        plain, _html = _parts(msg)
        assert "> Can you sign?" in plain
        _own, quote = split_reply(plain)
        assert quote is not None
        edited = EmailMessage()
        # as mutt does: our Message-ID and our header kept, the text the user's
        for key in (
            "From",
            "To",
            "Subject",
            "In-Reply-To",
            "References",
            "Message-ID",
            "X-Inbox-Agent-Id",
        ):
            edited[key] = str(msg[key])
        edited.set_content("Bob, one more nudge from me.\n\n" + quote.plain() + "\n")
        client.append("Drafts", edited.as_bytes(), flags=[b"\\Draft"])
        client.delete_messages([uid])
        client.expunge()
    engine.approve(draft.id)
    [arrived] = nudges_to(mail_world, bob)
    text = arrived.decode()
    assert "one more nudge from me" in text and text.count("wrote:") == 1
    assert text.count("> Can you sign?") == 1
    clock.set_now(None)
