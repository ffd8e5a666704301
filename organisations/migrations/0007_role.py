"""Roles become rows of their organisation (1/3): the Role model, and memberships' and invitations' new role."""

import django.db.models.deletion
from django.db import migrations, models

import organisations.roles


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("organisations", "0006_organisation_deleted_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="Role",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=60, verbose_name="name")),
                ("description", models.CharField(blank=True, max_length=255, verbose_name="description")),
                (
                    "key",
                    models.CharField(
                        blank=True,
                        choices=organisations.roles.role_choices,
                        max_length=32,
                        null=True,
                        verbose_name="built-in role",
                    ),
                ),
                ("priority", models.PositiveSmallIntegerField(default=0, editable=False, verbose_name="priority")),
                (
                    "group",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="organisation_role",
                        to="auth.group",
                        verbose_name="group",
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="roles",
                        to="organisations.organisation",
                        verbose_name="organisation",
                    ),
                ),
            ],
            options={
                "verbose_name": "role",
                "verbose_name_plural": "roles",
                "ordering": ["organisation", "-priority", "name"],
                "constraints": [
                    models.UniqueConstraint(fields=("organisation", "key"), name="unique_builtin_role"),
                    models.UniqueConstraint(fields=("organisation", "name"), name="unique_role_name"),
                ],
            },
        ),
        migrations.AddField(
            model_name="membership",
            name="new_role",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.RESTRICT, related_name="+", to="organisations.role"
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="new_role",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.RESTRICT, related_name="+", to="organisations.role"
            ),
        ),
        migrations.RemoveConstraint(model_name="invitation", name="invitation_role_or_application"),
    ]
