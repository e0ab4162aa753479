"""The user's voice: a style profile learned from their sent mail (`profile`), what one draft
takes from it (`style`), what the user's edits of our nudges teach (`edits`), and the profile on disk, relearned from Sent when a day old
(`voicefile`, imported by name: it brings in the IMAP client).
"""

from inbox_agent.voice import style
from inbox_agent.voice.edits import Edit, EditHabits, habits
from inbox_agent.voice.profile import (
    SAMPLE_LIMIT,
    Profile,
    Sample,
    SentMail,
    from_json,
    hand_nudges,
    learn,
    to_json,
)
from inbox_agent.voice.style import Brief, brief, pick_examples, plain_brief

__all__ = [
    "SAMPLE_LIMIT",
    "Brief",
    "Edit",
    "EditHabits",
    "Profile",
    "Sample",
    "SentMail",
    "brief",
    "from_json",
    "habits",
    "hand_nudges",
    "learn",
    "pick_examples",
    "plain_brief",
    "style",
    "to_json",
    "voicefile",
]
