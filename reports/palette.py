"""One colour per status, so a reader can scan a large matrix for trouble without reading it.

Each status gets its own hue (a TIMEOUT must not look like a FAIL: the fixes differ), and the
alarming ones are the saturated ones. Text colours are chosen for contrast on each background.
"""

from __future__ import annotations

from collections.abc import Mapping

from mpconform.status import Status

NOT_RUN_CLASS = "st-notrun"

# status: (background, text)
COLOURS: Mapping[Status, tuple[str, str]] = {
    Status.PASS: ("#b7e4c0", "#0b3d17"),
    Status.FAIL: ("#e53935", "#ffffff"),
    Status.ERROR: ("#fb8c00", "#1a1a1a"),
    Status.TIMEOUT: ("#8e24aa", "#ffffff"),
    Status.CRASH: ("#4a0d0d", "#ffffff"),
    Status.LEAK: ("#fdd835", "#1a1a1a"),
    Status.UNSUPPORTED: ("#b0bec5", "#1a1a1a"),
    Status.SKIP: ("#eeeeee", "#424242"),
    Status.XFAIL: ("#81d4fa", "#0d2b3e"),
    Status.XPASS: ("#f06292", "#1a1a1a"),
}


def css_class(status: Status) -> str:
    return f"st-{status.value.lower()}"


def css() -> str:
    """The status rules, generated so that a new status cannot be left without a colour.

    A plain PASS cell of the matrix carries no class (a large report has thousands of them):
    the matrix's cells take PASS's colours unless a status class says otherwise."""
    bg, fg = COLOURS[Status.PASS]
    rules = [f"table.matrix td {{ background: {bg}; color: {fg}; }}"]
    rules += [
        f".{css_class(status)}, table.matrix td.{css_class(status)} "
        f"{{ background: {bg}; color: {fg}; }}"
        for status, (bg, fg) in COLOURS.items()
    ]
    not_run = f".{NOT_RUN_CLASS}, table.matrix td.{NOT_RUN_CLASS}"
    rules.append(f"{not_run} {{ background: #ffffff; color: #9e9e9e; }}")

    return "\n".join(rules) + "\n"
