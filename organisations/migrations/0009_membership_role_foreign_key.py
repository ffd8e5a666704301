"""Roles become rows of their organisation (3/3): memberships and invitations point at their role only."""

import django.db.models.deletion
from django.db import migrations, models

import organisations.roles


class Migration(migrations.Migration):
    dependencies = [("organisations", "0008_roles_for_every_organisation")]

    operations = [
        migrations.RemoveIndex(model_name="membership", name="organisatio_organis_ce72ef_idx"),
        # A default for the former column, so that it can be added back when this is reversed (then filled).
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=organisations.roles.role_choices, default="", max_length=32, verbose_name="role"
            ),
        ),
        migrations.RemoveField(model_name="membership", name="role"),
        migrations.RemoveField(model_name="invitation", name="role"),
        migrations.RenameField(model_name="membership", old_name="new_role", new_name="role"),
        migrations.RenameField(model_name="invitation", old_name="new_role", new_name="role"),
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="memberships",
                to="organisations.role",
                verbose_name="role",
            ),
        ),
        migrations.AlterField(
            model_name="invitation",
            name="role",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="invitations",
                to="organisations.role",
                verbose_name="role",
            ),
        ),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.CheckConstraint(
                condition=models.Q(("application__isnull", True), ("role__isnull", False))
                | models.Q(
                    ("application__isnull", False),
                    ("role__isnull", True),
                    models.Q(("application_level", ""), _negated=True),
                ),
                name="invitation_role_or_application",
            ),
        ),
    ]
