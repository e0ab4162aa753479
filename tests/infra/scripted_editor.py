"""The editor a mail client under test runs: `scripted_editor.py SPEC FILE`.

SPEC is JSON written by the test (`terminal_client.Editor.edit`): `replace`, pairs of (old, new)
text replaced once each (mutt with edit_headers shows the headers in the file too), and `append`,
a line added at the end. The text the client handed over is appended to SPEC.seen as a JSON string.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(spec_path: str, file_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    path = Path(file_path)
    text = path.read_text(encoding="utf-8")
    with Path(spec_path).with_suffix(".seen").open("a", encoding="utf-8") as seen:
        seen.write(json.dumps(text) + ",\n")
    for old, new in spec.get("replace", []):
        text = text.replace(old, new, 1)
    if spec.get("append"):
        text = text.rstrip("\n") + "\n\n" + spec["append"] + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
