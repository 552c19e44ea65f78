"""Connects the letters to changes in a person's case (the dependency points letters → integration)."""

from django.dispatch import receiver

from integration.services import case_state_changed

from .requests import request_start_letter


@receiver(case_state_changed)
def request_start_letter_when_ready(sender, newcomer, status, **kwargs):
    request_start_letter(newcomer, status)
