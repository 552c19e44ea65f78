"""Accounts of the portal's three audiences and the administrators."""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    NEWCOMER = "newcomer", _("newcomer (DigiD)")
    DUO_STAFF = "duo_staff", _("DUO staff")
    MUNICIPAL_OFFICER = "municipal_officer", _("municipal officer")
    ADMINISTRATOR = "administrator", _("administrator")


STAFF_ROLES = (Role.DUO_STAFF, Role.MUNICIPAL_OFFICER, Role.ADMINISTRATOR)


class EmailUserManager(UserManager):
    """Staff log in with their e-mail address; the username is kept equal to it."""

    def _create_user(self, username, email, password, **extra_fields):
        email = self.normalize_email(email or username)
        return super()._create_user(email, email, password, **extra_fields)

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.pop("username", None)
        return super().create_user(email, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.pop("username", None)
        extra_fields.setdefault("role", Role.ADMINISTRATOR)
        return super().create_superuser(email, email, password, **extra_fields)


class User(AbstractUser):
    email = models.EmailField(_("e-mail address"), unique=True, null=True, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.NEWCOMER)
    municipality = models.ForeignKey(
        "integration.Municipality", on_delete=models.PROTECT, null=True, blank=True,
        related_name="officers", verbose_name=_("municipality"),
        help_text=_("Municipal officers see only newcomers registered in this municipality."),
    )
    newcomer = models.OneToOneField(
        "integration.Newcomer", on_delete=models.PROTECT, null=True, blank=True,
        related_name="account", verbose_name=_("newcomer"),
    )

    objects = EmailUserManager()
    REQUIRED_FIELDS = []
    USERNAME_FIELD = "username"

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            models.CheckConstraint(
                condition=~Q(role=Role.MUNICIPAL_OFFICER) | Q(municipality__isnull=False),
                name="user_officer_has_municipality",
            ),
            models.CheckConstraint(
                condition=Q(role=Role.MUNICIPAL_OFFICER) | Q(municipality__isnull=True),
                name="user_only_officers_have_municipality",
            ),
            # DigiD is the only way into a newcomer's data: a newcomer account never has a
            # usable password (Django marks an unusable one with a leading "!") nor an e-mail
            # address to log in or reset a password with.
            models.CheckConstraint(
                condition=~Q(role=Role.NEWCOMER)
                | Q(password__startswith=UNUSABLE_PASSWORD_PREFIX, email__isnull=True),
                name="user_newcomer_digid_only",
            ),
        ]

    @property
    def is_duo_staff(self):
        return self.role in (Role.DUO_STAFF, Role.ADMINISTRATOR)

    @property
    def is_municipal_officer(self):
        return self.role == Role.MUNICIPAL_OFFICER
