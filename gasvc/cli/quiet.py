"""git's `-q/--quiet`: a command's normal output is not printed; errors still are.

`quiet_option` adds the flag and runs the command with stdout sent nowhere. Errors are printed
on stderr by the group's error boundary, after the command returns, so they always show; so do
warnings on stderr. Commands that also want the flag itself (to hide a progress bar, or a
notice they print on stderr) take it with `pass_flag=True`. As in git, a listing still prints:
`listing_when_no` names the argument whose absence makes the command list (`gas branch -q`).
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def quiet_option(pass_flag: bool = False, listing_when_no: str = "") -> Callable[[F], F]:
    def decorate(command: F) -> F:
        @functools.wraps(command)
        def run(*args: Any, quiet: bool, **kwargs: Any) -> Any:
            if pass_flag:
                kwargs["quiet"] = quiet
            if not quiet or (listing_when_no and kwargs[listing_when_no] is None):
                return command(*args, **kwargs)
            with contextlib.redirect_stdout(_Nowhere()):
                return command(*args, **kwargs)

        option = click.option("-q", "--quiet", is_flag=True,
                              help="Print nothing but errors (and warnings).")
        return option(run)  # type: ignore[return-value]

    return decorate


class _Nowhere(io.StringIO):
    """A text stream that keeps nothing."""

    def write(self, text: str) -> int:
        return len(text)
