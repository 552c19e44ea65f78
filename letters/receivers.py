"""Connects the letters to changes in a person's case (the dependency points letters → integration)."""

from django.dispatch import receiver

from integration.extensions import extension_decided
from integration.services import case_state_changed

from .requests import request_start_letter
from .route_letters import request_decision_letter, request_route_letters


@receiver(case_state_changed)
def request_start_letter_when_ready(sender, newcomer, status, **kwargs):
    request_start_letter(newcomer, status)


@receiver(case_state_changed)
def request_route_letters_when_due(sender, newcomer, status, **kwargs):
    request_route_letters(newcomer, status)


@receiver(extension_decided)
def request_decision_letter_when_decided(sender, request, **kwargs):
    request_decision_letter(request)
