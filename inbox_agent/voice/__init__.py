from inbox_agent.voice.profile import (
    FORMAT,
    SAMPLE_LIMIT,
    Habit,
    Profile,
    Sample,
    SentMail,
    from_json,
    hand_nudges,
    learn,
    to_json,
)

__all__ = [
    "FORMAT",
    "SAMPLE_LIMIT",
    "Habit",
    "Profile",
    "Sample",
    "SentMail",
    "from_json",
    "hand_nudges",
    "learn",
    "to_json",
]
