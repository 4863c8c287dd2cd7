"""The README's settings table matches the code."""

import re
from pathlib import Path

from app.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_lists_every_setting_with_its_default():
    rows = dict(re.findall(r"^\| `(\w+)` \| `?([^|`]+?)`? \|", README, flags=re.MULTILINE))
    for name, field in Settings.model_fields.items():
        assert name in rows, f"README's settings table lacks {name}"
        default = field.default
        shown = str(default).lower() if isinstance(default, bool) else str(default) or "empty"
        assert rows[name] == shown or float(rows[name]) == default, (
            f"{name}: {rows[name]} != {default}"
        )
