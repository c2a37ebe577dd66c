"""Reading runs back: citizens' stories, and (later) group metrics and comparisons."""

from __future__ import annotations

from scorelab.audit._explain import CitizenStory, explain

__all__ = ["CitizenStory", "explain"]
