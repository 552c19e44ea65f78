"""Where each role works. Role checks live in this package, not in the apps that use them."""

from django.urls import reverse

from .models import Role


def workspace_url(user) -> str:
    """The page an account lands on after logging in."""
    if user.role == Role.NEWCOMER:
        return reverse("newcomer:overview")
    if user.role == Role.MUNICIPAL_OFFICER:
        return reverse("municipality:work_list")
    # DUO staff and administrators work in the DUO workspace; administrators reach the admin
    # from its header.
    return reverse("duo:overdue_list")
