"""Turns a stored program (``treadctl.profile.program``) into the goals progress is measured by.

A program says which profile each session of each week uses; the backward minutes asked of a
week are the backward time of those profiles. Sessions are matched to the program by the profile
file's slug or by the profile's display name, whichever the session was recorded under.
"""

from __future__ import annotations

from treadctl.history.progress import ProgramPlan, WeekGoal, _slug


def plan_for(name_or_path: str) -> ProgramPlan:
    """The named program (user folder first, then shipped) or file; ProfileError when unknown."""
    from treadctl.profile.loading import load_profile
    from treadctl.profile.program import read_program, resolve_program

    path = resolve_program(name_or_path)
    program = read_program(path)
    backward_s: dict[str, float] = {}
    aliases: dict[str, str] = {}
    for phase in program.phases:
        for profile_slug in phase.profiles:
            if profile_slug in backward_s:
                continue
            profile = load_profile(profile_slug)
            backward_s[profile_slug] = profile.backward_s
            aliases[_slug(profile_slug)] = profile_slug
            aliases[_slug(profile.name)] = profile_slug
    by_week: dict[int, list[str]] = {}
    ceilings: dict[int, int | None] = {}
    for scheduled in program.schedule():
        by_week.setdefault(scheduled.week, []).append(scheduled.profile)
        ceilings[scheduled.week] = program.phases[scheduled.phase_index].hr_ceiling_bpm
    weeks = tuple(
        WeekGoal(
            profiles=tuple(names),
            backward_min=round(sum(backward_s[name] for name in names) / 60, 1),
            hr_ceiling_bpm=ceilings.get(week),
        )
        for week, names in sorted(by_week.items())
    )
    return ProgramPlan(name=path.stem, title=program.name, weeks=weeks, aliases=aliases)


def all_plans() -> list[ProgramPlan]:
    """Every program that loads (a broken one is skipped here; `--program` names it)."""
    from treadctl.errors import ProfileError
    from treadctl.profile.program import list_programs

    plans: list[ProgramPlan] = []
    seen: set[str] = set()
    for path in list_programs():
        if path.stem in seen:
            continue  # a user program shadows the shipped one of the same name
        seen.add(path.stem)
        try:
            plans.append(plan_for(str(path)))
        except ProfileError:
            continue
    return plans
