"""The prompt templates that ship, installed as the package `inbox_agent.prompts`.

This directory is their source; pyproject.toml maps it onto `inbox_agent.prompts`, so a wheel
carries the `.md` files and `inbox_agent.drafter.prompt` reads them with importlib.resources.
`system.md` is the system message; `bump.md`, `context.md` and `close.md` are the first touch,
the middle ones and the last. They are `string.Template` text (`$user_name`, `$thread`, …). A file
of the same name in `<config>/prompts/` replaces one.
"""
