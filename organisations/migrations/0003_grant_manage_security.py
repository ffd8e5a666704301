from django.db import migrations

# Admins held every right when the manage_security right was added; their guardian rows are derived from the role
# (services.membership_sync_rights), so existing Admins are given the new right here.
ROLES_WITH_RIGHT = ["ADMIN"]


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Membership = apps.get_model("organisations", "Membership")
    UserPermission = apps.get_model("organisations", "OrganisationUserObjectPermission")
    content_type, _ = ContentType.objects.get_or_create(app_label="organisations", model="organisation")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="manage_security",
        defaults={"name": "Change the organisation's security settings (required two-factor authentication)"},
    )
    UserPermission.objects.bulk_create(
        [
            UserPermission(user_id=user_id, content_object_id=organisation_id, permission=permission)
            for user_id, organisation_id in Membership.objects.filter(role__in=ROLES_WITH_RIGHT).values_list(
                "user_id", "organisation_id"
            )
        ],
        ignore_conflicts=True,
    )


def revoke(apps, schema_editor):
    UserPermission = apps.get_model("organisations", "OrganisationUserObjectPermission")
    UserPermission.objects.filter(permission__codename="manage_security").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("organisations", "0002_invitations_and_security_right"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
