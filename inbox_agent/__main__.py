"""`python -m inbox_agent` is the same as the `inbox-agent` command."""

from inbox_agent.cli.main import main

raise SystemExit(main())
