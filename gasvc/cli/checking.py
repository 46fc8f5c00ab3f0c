"""`gas diff --check RULES`: each rule, whether it held, and what broke it; exit 1 on a failure."""

from __future__ import annotations

from pathlib import Path

import click

from gasvc.cli import render
from gasvc.cli.context import pathspecs, server, workspace
from gasvc.workspace.diff.check import BadRules, CheckFailed, Outcome, check, parse_rules
from gasvc.workspace.diff.diff_result import DiffRequest

#: Failures listed per rule in text (--json lists them all).
SHOWN = 100


def run_check(ctx: click.Context, rules_file: str, revisions: tuple[str, ...], staged: bool,
              fmt: str | None) -> None:
    from gasvc.cli.diffing import revision_args

    rules = parse_rules(_read(rules_file), rules_file)
    with workspace() as ws:
        specs = tuple(pathspecs(ws.layout, ws.state, ctx.meta.get("paths", ())))
        request = DiffRequest(revision_args(ws, revisions), staged, specs, details=False,
                              labels=True)
        outcomes = check(ws.diff(request, server(ws)), rules)
    if fmt == "json":
        click.echo(render.as_json({"ok": all(o.ok for o in outcomes), "rules": [
            {"rule": o.rule.text, "ok": o.ok,
             "failures": [{"where": where, "what": what} for where, what in o.failures]}
            for o in outcomes]}))
    else:
        click.echo("\n".join(outcome_lines(outcomes)))
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise CheckFailed(f"{len(failed)} of {len(outcomes)} rules failed: "
                          + ", ".join(o.rule.text for o in failed),
                          f"fix what is listed above, or change the rules in {rules_file}")


def outcome_lines(outcomes: list[Outcome]) -> list[str]:
    lines = []
    for outcome in outcomes:
        lines.append(f"{'ok' if outcome.ok else 'FAIL':<5} {outcome.rule.text}")
        lines += [f"      {where}: {what}" for where, what in outcome.failures[:SHOWN]]
        if len(outcome.failures) > SHOWN:
            lines.append(f"      … and {len(outcome.failures) - SHOWN} more (--json lists all)")
    return lines


def _read(rules_file: str) -> str:
    try:
        return Path(rules_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        raise BadRules(f"cannot read the rules file {rules_file}: {reason}",
                       "give a text file with one rule per line (see docs/diff.md)") from None
