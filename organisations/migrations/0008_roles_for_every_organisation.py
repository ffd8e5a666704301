"""Roles become rows of their organisation (2/3): their rights group object permissions on it.

Every organisation is given the four built-in roles (their rights as roles.py defined them when this was written,
frozen here), every membership and invitation points at its role, and the per-member copies of the rights
(OrganisationUserObjectPermission rows, written by the former ``membership_sync_rights``) are deleted: a member's
rights are their role's. A right given to a member directly, outside their role, is dropped with them.
"""

from django.db import migrations

BUILDING = ["add_applications", "deploy_applications", "operate_applications", "view_applications"]
MANAGING = [
    "change_member_roles",
    "change_organisation",
    "invite_members",
    "manage_addons",
    "remove_applications",
    "remove_members",
    "view_activity",
    "view_members",
    "view_organisation",
]
BILLING = ["manage_billing", "view_billing"]
BUILTIN_ROLES = {
    "ADMIN": (4, "Admin", [*BUILDING, *MANAGING, *BILLING, "delete_organisation", "manage_security"]),
    "MANAGER": (3, "Manager", [*BUILDING, *MANAGING]),
    "DEVELOPER": (2, "Developer", [*BUILDING, "view_members", "view_organisation"]),
    "ACCOUNTING": (1, "Accountant", BILLING),
}


def roles_forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    Organisation = apps.get_model("organisations", "Organisation")
    Role = apps.get_model("organisations", "Role")
    Membership = apps.get_model("organisations", "Membership")
    Invitation = apps.get_model("organisations", "Invitation")
    GroupPermission = apps.get_model("organisations", "OrganisationGroupObjectPermission")
    UserPermission = apps.get_model("organisations", "OrganisationUserObjectPermission")
    if not Organisation.objects.exists():
        return
    content_type, _ = ContentType.objects.get_or_create(app_label="organisations", model="organisation")
    permissions = {}
    for codename in {codename for _, _, codenames in BUILTIN_ROLES.values() for codename in codenames}:
        permissions[codename], _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": codename.replace("_", " ")}
        )
    for organisation in Organisation.objects.all().iterator():
        for key, (priority, name, codenames) in BUILTIN_ROLES.items():
            group = Group.objects.create(name=f"{organisation.slug[:60]} #{organisation.pk}: {name}")
            role = Role.objects.create(organisation=organisation, group=group, name=name, key=key, priority=priority)
            GroupPermission.objects.bulk_create(
                GroupPermission(group=group, content_object=organisation, permission=permissions[codename])
                for codename in codenames
            )
            Membership.objects.filter(organisation=organisation, role=key).update(new_role=role)
            Invitation.objects.filter(organisation=organisation, role=key).update(new_role=role)
    unknown = Membership.objects.filter(new_role__isnull=True).values_list("role", flat=True).distinct()
    if unknown:
        raise RuntimeError(f"Memberships with unknown roles: {sorted(unknown)}")
    UserPermission.objects.all().delete()


def roles_backwards(apps, schema_editor):
    Role = apps.get_model("organisations", "Role")
    Membership = apps.get_model("organisations", "Membership")
    Invitation = apps.get_model("organisations", "Invitation")
    Permission = apps.get_model("auth", "Permission")
    UserPermission = apps.get_model("organisations", "OrganisationUserObjectPermission")
    if Role.objects.filter(key__isnull=True).exists():
        raise RuntimeError("Custom roles exist: they cannot be expressed as the former role strings.")
    for key, (_, _, codenames) in BUILTIN_ROLES.items():
        Membership.objects.filter(new_role__key=key).update(role=key)
        Invitation.objects.filter(new_role__key=key).update(role=key)
        permissions = list(
            Permission.objects.filter(
                content_type__app_label="organisations", content_type__model="organisation", codename__in=codenames
            )
        )
        UserPermission.objects.bulk_create(
            UserPermission(user_id=user_id, content_object_id=organisation_id, permission=permission)
            for user_id, organisation_id in Membership.objects.filter(new_role__key=key).values_list(
                "user_id", "organisation_id"
            )
            for permission in permissions
        )
    Membership.objects.update(new_role=None)
    Invitation.objects.update(new_role=None)
    groups = list(Role.objects.values_list("group_id", flat=True))
    Role.objects.all().delete()
    apps.get_model("organisations", "OrganisationGroupObjectPermission").objects.filter(group_id__in=groups).delete()
    # The groups only held those rows; deleted in SQL, as the ORM's cascade trips on guardian's historical models.
    for group_id in groups:
        schema_editor.execute("DELETE FROM auth_group WHERE id = %s", [group_id])


class Migration(migrations.Migration):
    dependencies = [("organisations", "0007_role")]

    operations = [migrations.RunPython(roles_forwards, roles_backwards)]
