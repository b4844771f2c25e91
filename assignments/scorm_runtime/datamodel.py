"""The SCORM run-time data model as the server accepts it from the content.

The player sends what the package set through the run-time API as flat ``{"cmi.element": "value"}``
pairs (scorm-again's ``getFlattenedCMI``). ``clean_commit`` checks every pair against the element
table of the package's SCORM version before anything is written:

- an element not in the table (or an index out of range) refuses the whole commit;
- a writable element is checked for its length (the spec's SPM, smallest permitted maximum), its
  vocabulary or its number range;
- elements the LMS owns (``cmi.core.entry``, ``cmi.learner_id``, ``cmi.total_time``...) are read-only
  for the content: scorm-again sends them back with every commit, so they are accepted and ignored.

The result is a ``CleanCommit``: the writable values, the interactions by index and the session time
in seconds. Nothing here writes; ``services.runtime_commit`` stores a clean commit in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The most interactions and objectives one SCO may report (SCORM 2004's SPM is 250 for both).
MAX_INTERACTIONS = 250
MAX_OBJECTIVES = 100
# The largest commit body accepted, in bytes: 2004 suspend_data (64,000 characters) plus 250
# interactions with long responses fit well below it.
MAX_COMMIT_BYTES = 1_000_000


class Vocabulary:
    LESSON_STATUS_12 = {"passed", "completed", "failed", "incomplete", "browsed", "not attempted"}
    EXIT_12 = {"", "time-out", "suspend", "logout"}
    COMPLETION_2004 = {"completed", "incomplete", "not attempted", "unknown"}
    SUCCESS_2004 = {"passed", "failed", "unknown"}
    EXIT_2004 = {"", "timeout", "suspend", "logout", "normal"}
    INTERACTION_TYPES_12 = {
        "true-false",
        "choice",
        "fill-in",
        "matching",
        "performance",
        "sequencing",
        "likert",
        "numeric",
    }
    INTERACTION_TYPES_2004 = INTERACTION_TYPES_12 | {"long-fill-in", "other"}
    RESULT_12 = {"correct", "wrong", "unanticipated", "neutral"}
    RESULT_2004 = {"correct", "incorrect", "unanticipated", "neutral"}


@dataclass(frozen=True)
class Rule:
    kind: str  # "text", "vocab", "decimal", "time12", "duration", "ignore"
    max_length: int = 0
    vocabulary: frozenset[str] = frozenset()
    low: Decimal | None = None
    high: Decimal | None = None


def _text(n: int) -> Rule:
    return Rule("text", max_length=n)


def _vocab(values: set[str]) -> Rule:
    return Rule("vocab", vocabulary=frozenset(values))


def _decimal(low: str | None = None, high: str | None = None) -> Rule:
    return Rule("decimal", low=None if low is None else Decimal(low), high=None if high is None else Decimal(high))


IGNORE = Rule("ignore")

# SCORM 1.2 (RTE 3.4): writable elements with their limits; the read-only ones are ignored.
ELEMENTS_12: dict[str, Rule] = {
    "cmi.core.lesson_location": _text(255),
    "cmi.core.lesson_status": _vocab(Vocabulary.LESSON_STATUS_12),
    "cmi.core.score.raw": _decimal("0", "100"),
    "cmi.core.score.min": _decimal("0", "100"),
    "cmi.core.score.max": _decimal("0", "100"),
    "cmi.core.exit": _vocab(Vocabulary.EXIT_12),
    "cmi.core.session_time": Rule("time12"),
    "cmi.suspend_data": _text(4096),
    "cmi.comments": _text(4096),
    "cmi.student_preference.audio": _decimal("-1", "100"),
    "cmi.student_preference.language": _text(255),
    "cmi.student_preference.speed": _decimal("-100", "100"),
    "cmi.student_preference.text": _decimal("-1", "1"),
    # The LMS's own elements, sent back by scorm-again with every commit.
    "cmi.core.student_id": IGNORE,
    "cmi.core.student_name": IGNORE,
    "cmi.core.credit": IGNORE,
    "cmi.core.entry": IGNORE,
    "cmi.core.total_time": IGNORE,
    "cmi.core.lesson_mode": IGNORE,
    "cmi.launch_data": IGNORE,
    "cmi.comments_from_lms": IGNORE,
    "cmi.student_data.mastery_score": IGNORE,
    "cmi.student_data.max_time_allowed": IGNORE,
    "cmi.student_data.time_limit_action": IGNORE,
}
INTERACTION_12: dict[str, Rule] = {
    "id": _text(255),
    "time": _text(32),
    "type": _vocab(Vocabulary.INTERACTION_TYPES_12),
    "weighting": _decimal(),
    "student_response": _text(255),
    "result": Rule("result12"),
    "latency": Rule("time12"),
}
OBJECTIVE_12: dict[str, Rule] = {
    "id": _text(255),
    "score.raw": _decimal("0", "100"),
    "score.min": _decimal("0", "100"),
    "score.max": _decimal("0", "100"),
    "status": _vocab(Vocabulary.LESSON_STATUS_12),
}

# SCORM 2004 (RTE 4.2): writable elements with their SPMs.
ELEMENTS_2004: dict[str, Rule] = {
    "cmi.location": _text(1000),
    "cmi.completion_status": _vocab(Vocabulary.COMPLETION_2004),
    "cmi.success_status": _vocab(Vocabulary.SUCCESS_2004),
    "cmi.score.scaled": _decimal("-1", "1"),
    "cmi.score.raw": _decimal(),
    "cmi.score.min": _decimal(),
    "cmi.score.max": _decimal(),
    "cmi.progress_measure": _decimal("0", "1"),
    "cmi.exit": _vocab(Vocabulary.EXIT_2004),
    "cmi.session_time": Rule("duration"),
    "cmi.suspend_data": _text(64000),
    "cmi.learner_preference.audio_level": _decimal("0"),
    "cmi.learner_preference.language": _text(250),
    "cmi.learner_preference.delivery_speed": _decimal("0"),
    "cmi.learner_preference.audio_captioning": _vocab({"-1", "0", "1"}),
    "cmi.learner_id": IGNORE,
    "cmi.learner_name": IGNORE,
    "cmi.credit": IGNORE,
    "cmi.entry": IGNORE,
    "cmi.mode": IGNORE,
    "cmi.total_time": IGNORE,
    "cmi.launch_data": IGNORE,
    "cmi.scaled_passing_score": IGNORE,
    "cmi.completion_threshold": IGNORE,
    "cmi.max_time_allowed": IGNORE,
    "cmi.time_limit_action": IGNORE,
}
INTERACTION_2004: dict[str, Rule] = {
    # The SPM is 4000; 1000 keeps the identifier indexable (unique per run) on PostgreSQL.
    "id": _text(1000),
    "type": _vocab(Vocabulary.INTERACTION_TYPES_2004),
    "timestamp": _text(32),
    "weighting": _decimal(),
    "learner_response": _text(7800),
    "result": Rule("result2004"),
    "latency": Rule("duration"),
    "description": _text(250),
}
OBJECTIVE_2004: dict[str, Rule] = {
    "id": _text(4000),
    "score.scaled": _decimal("-1", "1"),
    "score.raw": _decimal(),
    "score.min": _decimal(),
    "score.max": _decimal(),
    "success_status": _vocab(Vocabulary.SUCCESS_2004),
    "completion_status": _vocab(Vocabulary.COMPLETION_2004),
    "progress_measure": _decimal("0", "1"),
    "description": _text(250),
}

_INDEXED = re.compile(r"^cmi\.(interactions|objectives)\.(\d{1,4})\.(.+)$")
# 2004's learner comments: checked, not stored (README: not supported yet); the LMS's are read-only.
_COMMENTS = re.compile(r"^cmi\.comments_from_(learner|lms)\.(\d{1,4})\.(comment|location|timestamp)$")
# Nested lists inside an interaction or objective (its objectives, correct responses): accepted
# within limits and not stored (see README: not supported yet).
_NESTED = re.compile(r"^(objectives|correct_responses)\.(\d{1,4})\.(id|pattern)$")
_TIME_12 = re.compile(r"^(\d{2,4}):([0-5]\d):([0-5]\d)(\.\d{1,2})?$")
_DURATION = re.compile(
    r"^P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+(?:\.\d{1,2})?)S)?)?$"
)


def seconds_from_time12(value: str) -> Decimal:
    match = _TIME_12.match(value)
    if not match:
        raise ValueError(value)
    hours, minutes, seconds, fraction = match.groups()
    return Decimal(hours) * 3600 + Decimal(minutes) * 60 + Decimal(seconds) + Decimal(fraction or "0")


def seconds_from_duration(value: str) -> Decimal:
    match = _DURATION.match(value)
    if not match or value in ("P", "PT") or value.endswith("T"):
        raise ValueError(value)
    parts = {key: Decimal(val) for key, val in match.groupdict().items() if val}
    # Years and months as the spec's conformance tests count them (365 and 30 days).
    return (
        parts.get("y", 0) * 365 * 86400
        + parts.get("mo", 0) * 30 * 86400
        + parts.get("d", 0) * 86400
        + parts.get("h", 0) * 3600
        + parts.get("mi", 0) * 60
        + parts.get("s", 0)
    )


def time12_from_seconds(seconds: Decimal) -> str:
    """HHHH:MM:SS.SS, as 1.2's cmi.core.total_time is read."""
    whole = int(seconds)
    hundredths = int((seconds - whole) * 100)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:04d}:{minutes:02d}:{secs:02d}.{hundredths:02d}"


def duration_from_seconds(seconds: Decimal) -> str:
    """An ISO 8601 duration, as 2004's cmi.total_time is read."""
    whole = int(seconds)
    hundredths = int((seconds - whole) * 100)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}.{hundredths:02d}S" if hundredths else f"PT{hours}H{minutes}M{secs}S"


@dataclass
class CleanCommit:
    values: dict[str, str] = field(default_factory=dict)  # writable top-level elements
    interactions: dict[int, dict[str, str]] = field(default_factory=dict)
    objectives: dict[int, dict[str, str]] = field(default_factory=dict)
    session_seconds: Decimal | None = None


def _refuse(element: str, problem: str) -> ValidationError:
    return ValidationError(
        _("%(element)s: %(problem)s Nothing was recorded.") % {"element": element[:80], "problem": problem},
        code="invalid_cmi",
    )


def _check(element: str, rule: Rule, value: str, *, version_12: bool) -> None:
    if rule.kind == "text":
        if len(value) > rule.max_length:
            raise _refuse(element, _("longer than the %(n)s characters SCORM allows.") % {"n": rule.max_length})
    elif rule.kind == "vocab":
        if value not in rule.vocabulary:
            raise _refuse(element, _("not one of the values SCORM allows."))
    elif rule.kind == "decimal":
        if value == "":
            return
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise _refuse(element, _("not a number."))
        if not number.is_finite() or len(value) > 40:
            raise _refuse(element, _("not a number."))
        if (rule.low is not None and number < rule.low) or (rule.high is not None and number > rule.high):
            raise _refuse(element, _("out of the range SCORM allows."))
    elif rule.kind in ("result12", "result2004"):
        allowed = Vocabulary.RESULT_12 if rule.kind == "result12" else Vocabulary.RESULT_2004
        if value in allowed or value == "":
            return
        try:
            if not Decimal(value).is_finite() or len(value) > 40:
                raise InvalidOperation
        except InvalidOperation:
            raise _refuse(element, _("not one of the values SCORM allows."))
    elif rule.kind in ("time12", "duration"):
        if value in ("", "00:00:00") and rule.kind == "time12":
            return
        if value == "" and rule.kind == "duration":
            return
        try:
            seconds = seconds_from_time12(value) if rule.kind == "time12" else seconds_from_duration(value)
        except ValueError:
            raise _refuse(element, _("not a time span SCORM can read."))
        if seconds > 366 * 86400:
            raise _refuse(element, _("out of the range SCORM allows."))


def clean_commit(data: object, *, version_12: bool) -> CleanCommit:
    """Check the flat element/value pairs ``data`` the content committed; raise ValidationError
    naming the first bad element, so that nothing of a bad commit is written."""
    if not isinstance(data, dict):
        raise ValidationError(_("The data sent is not a set of SCORM elements. Nothing was recorded."))
    table = ELEMENTS_12 if version_12 else ELEMENTS_2004
    interaction_table = INTERACTION_12 if version_12 else INTERACTION_2004
    objective_table = OBJECTIVE_12 if version_12 else OBJECTIVE_2004
    result = CleanCommit()
    for element, value in data.items():
        if not isinstance(element, str) or len(element) > 120:
            raise _refuse(str(element), _("not a SCORM element."))
        if isinstance(value, (dict, list)) and not value:
            continue  # scorm-again's empty containers (cmi.objectives: {})
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise _refuse(element, _("the value is not text."))
        rule = table.get(element)
        if rule is not None:
            _check(element, rule, value, version_12=version_12)
            if rule.kind != "ignore":
                result.values[element] = value
            continue
        comment = None if version_12 else _COMMENTS.match(element)
        if comment is not None:
            if int(comment.group(2)) >= MAX_INTERACTIONS or len(value) > 4000:
                raise _refuse(element, _("longer than the %(n)s characters SCORM allows.") % {"n": 4000})
            continue
        match = _INDEXED.match(element)
        if not match:
            raise _refuse(
                element,
                _("not an element of the SCORM %(version)s data model.") % {"version": "1.2" if version_12 else "2004"},
            )
        collection, index_text, sub = match.groups()
        index = int(index_text)
        limit = MAX_INTERACTIONS if collection == "interactions" else MAX_OBJECTIVES
        if index >= limit:
            raise _refuse(element, _("more than %(n)s entries.") % {"n": limit})
        sub_table = interaction_table if collection == "interactions" else objective_table
        sub_rule = sub_table.get(sub)
        if sub_rule is None:
            nested = _NESTED.match(sub)
            if not nested or int(nested.group(2)) >= MAX_OBJECTIVES:
                raise _refuse(
                    element,
                    _("not an element of the SCORM %(version)s data model.")
                    % {"version": "1.2" if version_12 else "2004"},
                )
            if len(value) > 7800:
                raise _refuse(element, _("longer than the %(n)s characters SCORM allows.") % {"n": 7800})
            continue
        _check(element, sub_rule, value, version_12=version_12)
        target = result.interactions if collection == "interactions" else result.objectives
        target.setdefault(index, {})[sub] = value
    session = result.values.pop("cmi.core.session_time" if version_12 else "cmi.session_time", "")
    if session not in ("", "00:00:00"):
        seconds = seconds_from_time12(session) if version_12 else seconds_from_duration(session)
        # Zero is what scorm-again reports for a SCO that never set its session time.
        result.session_seconds = seconds or None
    for index, interaction in result.interactions.items():
        if not interaction.get("id"):
            raise _refuse(f"cmi.interactions.{index}.id", _("an interaction needs an identifier."))
    return result
