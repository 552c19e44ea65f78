"""What each step of the step-by-step plan is called and what it asks, keyed by the step keys
of `rules.route_steps` (DOMAIN.md §5). Words only; which steps apply is decided in the rules."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class StepText:
    title: Promise
    description: Promise


STEP_TEXTS = {
    "conditions": StepText(
        _("You have a BSN, a residence permit and are registered in your municipality"),
        _("The IND and your municipality record these three things. You do not have to do anything."),
    ),
    "letter": StepText(
        _("You receive the letter with your start date"),
        _("DUO sends the letter within 8 weeks after the three conditions are met. You can also "
          "find it under My letters."),
    ),
    "intake": StepText(
        _("Broad intake with your municipality"),
        _("Your municipality invites you for an interview and a learnability test. Go to the "
          "appointment: if you do not come, you can be fined."),
    ),
    "pip": StepText(
        _("Your personal plan (PIP)"),
        _("Your municipality writes your personal integration and participation plan. It says "
          "which route you follow and which exams you take."),
    ),
    "route": StepText(
        _("Follow your route and take the exams"),
        _("Follow the lessons of your route and take the exams that your plan names."),
    ),
    "pvt": StepText(
        _("Participation statement (PVT)"),
        _("You learn about the values of Dutch society and sign the participation statement."),
    ),
    "map": StepText(
        _("Labour market and participation module (MAP)"),
        _("You learn how to find work or education in the Netherlands."),
    ),
    "study_choice": StepText(
        _("Choose self-study or a school"),
        _("Decide how you prepare for the exams. A school must have the Blik op Werk quality "
          "mark. You can borrow money from DUO."),
    ),
    "exams": StepText(
        _("Take the integration exams"),
        _("Reading, listening, speaking and writing at level A2, and knowledge of Dutch society."),
    ),
    "ona": StepText(
        _("Orientation on the Dutch labour market (ONA)"),
        _("You learn about work in the Netherlands and make a portfolio or follow a course."),
    ),
    "done": StepText(
        _("You have completed your integration"),
        _("DUO checks that you did everything and lets you know."),
    ),
}


def step_text(key: str) -> StepText:
    return STEP_TEXTS[key]
