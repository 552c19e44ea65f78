"""Accounts in the admin. Staff log in with their e-mail address; the username mirrors it, so
the admin asks for the e-mail address only and keeps the two equal on every save.

Administrators create staff accounts without a password: the person gets an invitation to
choose one (`invitations.send_invitation`) and sets up TOTP at their first login. Newcomer
accounts are made by the DigiD login and never get a password or an e-mail address here.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from integration.admin import UsableInitialDataMixin

from .invitations import send_invitation
from .models import STAFF_ROLES, Role, User


class RoleAndLoginMixin:
    """Clear messages for the role rules the database also enforces, and username = e-mail."""

    def clean(self):
        cleaned = super().clean()
        role, municipality = cleaned.get("role"), cleaned.get("municipality")
        if role == Role.MUNICIPAL_OFFICER and not municipality:
            self.add_error("municipality", _("A municipal officer needs a municipality."))
        elif role and role != Role.MUNICIPAL_OFFICER and municipality:
            self.add_error("municipality", _("Only municipal officers belong to a municipality."))
        if role and role != Role.NEWCOMER and not cleaned.get("email") and "email" in self.fields:
            self.add_error("email", _("Staff log in with their e-mail address; enter one."))
        if role == Role.NEWCOMER and cleaned.get("email"):
            self.add_error("email", _("Newcomers log in with DigiD only; their account has no e-mail address."))
        if cleaned.get("email"):
            self.instance.username = cleaned["email"]
        return cleaned

    def clean_email(self):
        # NULL, not "": the unique constraint allows many accounts without an address (DigiD).
        return User.objects.normalize_email(self.cleaned_data.get("email")) or None


class StaffUserCreationForm(RoleAndLoginMixin, forms.ModelForm):
    """A new staff account: no password yet, the invitation lets the person choose one."""

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "role", "municipality"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["role"].choices = [(role.value, role.label) for role in STAFF_ROLES]

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class StaffUserChangeForm(RoleAndLoginMixin, UserChangeForm):
    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "role", "municipality", "newcomer", "is_active", "is_staff",
                  "is_superuser", "groups", "user_permissions", "last_login", "date_joined"]
        field_classes = {}


@admin.register(User)
class UserAdmin(UsableInitialDataMixin, DjangoUserAdmin):
    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name"]}),
        (_("Role"), {"fields": ["role", "municipality", "newcomer"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "first_name", "last_name", "role", "municipality"],
                "description": _("The person receives an e-mail with a link to choose a password, and sets up "
                                 "an authenticator app at the first login.")}),
    ]
    list_display = ["email", "first_name", "last_name", "role", "municipality", "is_staff", "is_active"]
    list_filter = ["role", "municipality", "is_staff", "is_superuser", "is_active"]
    list_select_related = ["municipality"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["email"]
    raw_id_fields = ["newcomer"]
    actions = ["resend_invitation"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            transaction.on_commit(lambda: send_invitation(obj))
            messages.info(request, _("An invitation was sent to %(email)s.") % {"email": obj.email})

    @admin.action(description=_("Send a new invitation (choose a password)"))
    def resend_invitation(self, request, queryset):
        staff = [user for user in queryset if user.role != Role.NEWCOMER and user.email and user.is_active]
        for user in staff:
            send_invitation(user)
        skipped = queryset.count() - len(staff)
        messages.info(request, _("Invitations sent: %(sent)d. Skipped (newcomer, inactive or no e-mail address): "
                                 "%(skipped)d.") % {"sent": len(staff), "skipped": skipped})

    def user_change_password(self, request, id, form_url=""):
        user = get_object_or_404(User, pk=id)
        if user.role == Role.NEWCOMER:
            # DigiD is the only way into a newcomer's data; the database refuses a password too.
            messages.error(request, _("Newcomers log in with DigiD only; their account cannot have a password."))
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))
        return super().user_change_password(request, id, form_url)
