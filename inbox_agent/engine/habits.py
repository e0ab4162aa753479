"""How each person answers the user, learned from the store's rows when a decision asks
(`tracker.habits` is the rule; `store.answers` the one bounded lookup per person).

`Learned` is the mapping the decision reads (`Context.habits`): a person's habit is looked up
the first time a thread to them could start, never for the whole mailbox at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from inbox_agent.engine.context import Context
from inbox_agent.tracker.habits import Habit, habit


class Learned(Mapping[str, Habit]):
    """address → their habit, for those with one; each looked up once (as of `until`, an ISO
    time, when given: the answers dated up to then)."""

    def __init__(self, ctx: Context, until: str | None = None) -> None:
        self._ctx, self._until = ctx, until
        self._known: dict[str, Habit | None] = {}

    def __getitem__(self, address: str) -> Habit:
        if address not in self._known:
            ctx = self._ctx
            pairs = ctx.store.answer_times(
                ctx.name, address, ctx.view.user_addresses(), self._until
            )
            self._known[address] = habit(pairs)
        found = self._known[address]
        if found is None:
            raise KeyError(address)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter([a for a, h in self._known.items() if h is not None])

    def __len__(self) -> int:
        return sum(h is not None for h in self._known.values())
