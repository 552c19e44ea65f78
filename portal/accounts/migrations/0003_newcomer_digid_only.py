from django.contrib.auth.hashers import make_password
from django.db import migrations, models


def close_newcomer_passwords(apps, schema_editor):
    """Any newcomer account that somehow got a password or an e-mail address loses them."""
    User = apps.get_model("accounts", "User")
    for user in User.objects.filter(role="newcomer").exclude(password__startswith="!", email__isnull=True):
        user.password = make_password(None)
        user.email = None
        user.save(update_fields=["password", "email"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(close_newcomer_passwords, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("role", "newcomer"), _negated=True),
                    models.Q(("email__isnull", True), ("password__startswith", "!")),
                    _connector="OR",
                ),
                name="user_newcomer_digid_only",
            ),
        ),
    ]
