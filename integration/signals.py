"""Signals the law sends and the portal listens to (the dependency points portal → integration)."""

from django.dispatch import Signal

# A staff member saw a person's data outside the portal's own views (for example in the
# admin). Arguments: actor (a user), newcomer, what (a short description, never a BSN).
# The portal's audit trail records it.
personal_data_viewed = Signal()
