"""Accounts in the admin. Staff log in with their e-mail address; the username mirrors it, so
the admin asks for the e-mail address only and keeps the two equal on every save."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .models import Role, User


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
        if cleaned.get("email"):
            self.instance.username = cleaned["email"]
        return cleaned

    def clean_email(self):
        # NULL, not "": the unique constraint allows many accounts without an address (DigiD).
        return User.objects.normalize_email(self.cleaned_data.get("email")) or None


class StaffUserCreationForm(RoleAndLoginMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "role", "municipality"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True


class StaffUserChangeForm(RoleAndLoginMixin, UserChangeForm):
    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "role", "municipality", "newcomer", "is_active", "is_staff",
                  "is_superuser", "groups", "user_permissions", "last_login", "date_joined"]
        field_classes = {}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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
        (None, {"classes": ["wide"], "fields": ["email", "role", "municipality", "usable_password", "password1",
                                                 "password2"]}),
    ]
    list_display = ["email", "first_name", "last_name", "role", "municipality", "is_staff", "is_active"]
    list_filter = ["role", "municipality", "is_staff", "is_superuser", "is_active"]
    list_select_related = ["municipality"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["email"]
    raw_id_fields = ["newcomer"]
    autocomplete_fields = ["municipality"]
