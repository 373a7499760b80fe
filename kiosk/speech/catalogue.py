"""The prompt catalogue: every word the resident reads and hears, from one data file.

`assets/prompts/zh_CN.toml` maps prompt ids to a screen title and a text that is both shown
and spoken; rewording or translating needs no code change. A missing id shows the id itself
(and is logged once) rather than crashing in front of a resident.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kiosk import paths

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "zh_CN"


@dataclass(frozen=True)
class Prompt:
    key: str
    text: str                 # shown and spoken
    title: str = ""           # the big heading (shown only)


class _Safe(dict):
    def __missing__(self, key: str) -> str:
        return ""


class PromptCatalogue:
    def __init__(self, prompts: dict[str, Prompt], buttons: dict[str, str]) -> None:
        self._prompts = prompts
        self._buttons = buttons
        self._missing: set[str] = set()
        self._defaults: dict[str, str] = {}

    def with_defaults(self, **values: str) -> PromptCatalogue:
        """The same words, with {fields} the flow does not pass filled from settings
        (the consent prompt's {days} of retention), so shown and spoken text agree."""
        other = PromptCatalogue(self._prompts, self._buttons)
        other._defaults = {**self._defaults, **values}
        return other

    @classmethod
    def load(cls, path: Path | None = None) -> PromptCatalogue:
        path = path or paths.assets_dir() / "prompts" / f"{DEFAULT_LANGUAGE}.toml"
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        buttons = {str(k): str(v) for k, v in data.pop("buttons", {}).items()}
        prompts = {}
        for key, entry in data.items():
            if not isinstance(entry, dict) or "text" not in entry:
                raise ValueError(f"{path.name}: [{key}] needs a text")
            prompts[key] = Prompt(key, str(entry["text"]), str(entry.get("title", "")))
        return cls(prompts, buttons)

    def keys(self) -> Iterable[str]:
        return self._prompts.keys()

    def __contains__(self, key: str) -> bool:
        return key in self._prompts

    def prompt(self, key: str, params: Iterable[tuple[str, str]] = ()) -> Prompt:
        """The prompt with its {fields} filled in; an unknown id comes back as itself."""
        entry = self._prompts.get(key)
        if entry is None:
            if key not in self._missing:
                self._missing.add(key)
                log.warning("prompt id not in the catalogue: %s", key)
            return Prompt(key, "", "")
        values = _Safe(self._defaults)
        values.update(params)
        return Prompt(key, entry.text.format_map(values), entry.title.format_map(values))

    def template(self, key: str) -> str:
        """The text with its {fields} left in ("" for an unknown id)."""
        entry = self._prompts.get(key)
        return entry.text if entry else ""

    def text(self, key: str, params: Iterable[tuple[str, str]] = ()) -> str:
        return self.prompt(key, params).text

    def button(self, key: str) -> str:
        return self._buttons.get(key, key)


_default: PromptCatalogue | None = None


def default_catalogue() -> PromptCatalogue:
    global _default
    if _default is None:
        _default = PromptCatalogue.load()
    return _default
