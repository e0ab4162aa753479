"""inbox-agent: notices the threads you started that went quiet, and drafts a nudge in your voice.

The flow, and the packages along it: `sync` copies headers from IMAP into the `store`; `tracker`
threads them and decides what each tracked thread needs; `gate` picks the autonomy level;
`voice` and `drafter` write the nudge; `sender` submits it; `engine` carries out one account's
cycle; `desktop` runs it as a daemon with a tray; `cli`, `setup` and `demo` are the ways in.
`mail` (message formats), `config` and the kernel modules (`window`, `cadence`, `paths`, `clock`,
`errors`) sit under all of them. Imports point down that list only (pyproject.toml's
import-linter contract).
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
