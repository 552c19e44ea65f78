"""What each step of the step-by-step plan is called and what it asks, keyed by the step keys
of `rules.route_steps`, and what each WI2021 route means (DOMAIN.md §5). Words only; which
steps and routes apply is decided in the rules and the PIP."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .case_status import NextAction
from .choices import Route


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
        _("Your municipality invites you for the brede intake: an interview and a learnability test. "
          "Go to the appointments: if you do not come, you can be fined."),
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
    "voluntary_prepare": StepText(
        _("Prepare for the exams"),
        _("Study on your own or follow lessons at a school. There is no deadline: you choose when you are ready."),
    ),
    "voluntary_exams": StepText(
        _("Take the integration exams"),
        _("You register for the exams yourself at DUO. You need them for example for Dutch citizenship "
          "(naturalisation) or a permanent residence permit."),
    ),
    "voluntary_use": StepText(
        _("Use your diploma"),
        _("With the integration diploma you can apply for naturalisation or a permanent residence permit."),
    ),
}


def step_text(key: str) -> StepText:
    return STEP_TEXTS[key]


# The route of the PIP in plain words: its goal, what the person does and how it ends.
ROUTE_TEXTS = {
    Route.B1: StepText(
        _("the B1 route"),
        _("You learn Dutch at level B1 and you work on finding a job. You take exams in reading, "
          "listening, writing and speaking at level B1 and the exam Knowledge of Dutch society. "
          "You finish with a diploma."),
    ),
    Route.EDUCATION: StepText(
        _("the education route"),
        _("You follow a course that prepares you for a study at an mbo, hbo or university. You "
          "finish with the diploma of that course."),
    ),
    Route.Z: StepText(
        _("the Z route (self-reliance)"),
        _("You learn Dutch as well as you can, at least up to level A1, and you take part in "
          "activities in your neighbourhood. You finish with a final interview and a certificate."),
    ),
}


# What the person must do next (or who else acts), per `case_status.NextAction`.
ACTION_TEXTS = {
    NextAction.CONTACT_MUNICIPALITY: _("Old rules apply to you. Contact your municipality with any question about "
                                       "your integration."),
    NextAction.NOTHING: _("You do not have to do anything."),
    NextAction.TAKE_EXAMS_VOLUNTARILY: _("Prepare for the integration exams and take them when you are ready. "
                                         "There is no deadline."),
    NextAction.GET_BSN: _("You get a citizen service number (BSN) when you register at your municipality. "
                          "Ask your municipality if you have registered but have no BSN yet."),
    NextAction.GET_PERMIT: _("The IND decides on your residence permit. You do not have to do anything for "
                             "this letter until then."),
    NextAction.REGISTER: _("Register at the municipality where you live (the town hall). Make an appointment "
                           "with your municipality; bring your passport or residence document."),
    NextAction.WAIT_FOR_DECISION: _("DUO is assessing whether you have to integrate. You do not have to do "
                                    "anything now; you will hear from DUO."),
    NextAction.WAIT_FOR_LETTER: _("DUO is sending you the letter with your start date. You do not have to do "
                                  "anything now."),
    NextAction.CONTACT_DUO_LETTER: _("Contact DUO: your letter is late."),
    NextAction.WAIT_FOR_INVITATION: _("Your municipality invites you for the brede intake: an interview and a "
                                      "learnability test. You will receive an invitation."),
    NextAction.GO_TO_INTAKE: _("Go to your intake appointment. Can you not come? Contact your municipality "
                               "before the appointment."),
    NextAction.WAIT_FOR_PIP: _("Your municipality writes your personal plan (PIP). You will hear from them."),
    NextAction.FOLLOW_ROUTE: _("Follow your route and take the exams your plan names, before the end of your "
                               "integration period."),
    NextAction.CONTACT_DUO_PERIOD_ENDED: _("Your integration period has ended. Contact DUO about the state of your "
                                           "integration obligation: what you still have to do, and whether you "
                                           "can get more time."),
    NextAction.FULFILLED: _("You have fulfilled your integration obligation. You do not have to do anything "
                            "more; DUO sends you a letter that says so."),
}


def action_text(action: str):
    return ACTION_TEXTS[NextAction(action)]


def route_text(route: str) -> StepText:
    return ROUTE_TEXTS[Route(route)]
