"""Translation chores for developers.

    python scripts/translations.py todo [LANG ...]     list untranslated and fuzzy entries as JSON
    python scripts/translations.py apply FILE.json     set translations from {msgid: {lang: text}}

`apply` clears the fuzzy flag of every entry it sets, refuses a translation whose
placeholders differ from the msgid's, and leaves every other entry untouched. Plural entries
take a list of forms instead of a string.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "zorgbrug" / "locale"
LANGS = ["nl", "fr", "ar", "tr"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%[sd]|\{\{\s*\w+\s*\}\}")


def _catalogue(lang: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"), wrapwidth=0)


def todo(langs: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for lang in langs:
        for entry in _catalogue(lang):
            if entry.obsolete:
                continue
            if not entry.translated() or "fuzzy" in entry.flags:
                out.setdefault(entry.msgid, {})[lang] = entry.msgstr or ""
    return out


def apply(path: Path) -> int:
    wanted: dict[str, dict[str, str | list[str]]] = json.loads(path.read_text())
    problems = []
    for lang in LANGS:
        po = _catalogue(lang)
        changed = 0
        for entry in po:
            text = wanted.get(entry.msgid, {}).get(lang)
            if text is None:
                continue
            forms = text if isinstance(text, list) else [text]
            expected = sorted(set(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid)))
            bad = [f for f in forms if sorted(set(PLACEHOLDER.findall(f))) != expected]
            if bad:
                # Refused, not written: a wrong placeholder breaks the page at run time.
                problems.append(f"{lang}: placeholders differ for {entry.msgid!r}: {bad[0]!r}")
                continue
            if entry.msgid_plural:
                entry.msgstr_plural = dict(enumerate(forms))
            else:
                entry.msgstr = forms[0]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            # A leftover "#| msgid_plural" without its "#| msgid" makes msgfmt reject the file.
            entry.previous_msgid = None
            entry.previous_msgid_plural = None
            entry.previous_msgctxt = None
            changed += 1
        # Only write catalogues that changed: two people translating different languages
        # at once must not overwrite each other's files.
        if changed:
            po.save()
        print(f"{lang}: {changed} entries set")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "todo":
        print(json.dumps(todo(sys.argv[2:] or LANGS), ensure_ascii=False, indent=1))
    elif len(sys.argv) == 3 and sys.argv[1] == "apply":
        raise SystemExit(apply(Path(sys.argv[2])))
    else:
        print(__doc__)
        raise SystemExit(2)
