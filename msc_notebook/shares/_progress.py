"""Progress of long share work (listing, signing): tqdm.auto, a widget in a notebook and a line
on a terminal, shown only when the work takes over a second unless asked for."""

from __future__ import annotations

from typing import Any

PROGRESS_DELAY = 1.0  # seconds before a progress bar appears when not asked for: quick shares stay quiet


class _NoProgress:
    def update(self, _count: int) -> None:
        pass

    def set_postfix_str(self, _text: str) -> None:
        pass

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        pass


def progress_bar(progress: bool | None, description: str, total: int | None, unit: str) -> Any:
    """A tqdm bar (a widget in a notebook, a line on a terminal), or nothing with ``progress=False``.

    tqdm.auto picks the form: one library for both places, imported only when a share is made.
    """
    if progress is False:
        return _NoProgress()
    from tqdm.auto import tqdm

    return tqdm(desc=description, total=total, unit=unit, leave=False, delay=0 if progress else PROGRESS_DELAY)
