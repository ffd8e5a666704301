from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("organisations/new/", views.OrganisationCreateView.as_view(), name="create"),
    path("o/<slug:slug>/", views.OrganisationEntryView.as_view(), name="entry"),
    path("o/<slug:slug>/overview/", views.OverviewView.as_view(), name="overview"),
    path("o/<slug:slug>/settings/", views.SettingsView.as_view(), name="settings"),
    path("o/<slug:slug>/settings/security/", views.SecurityView.as_view(), name="security"),
    path("o/<slug:slug>/delete/", views.DeleteView.as_view(), name="delete"),
    path("o/<slug:slug>/settings/roles/", views.RolesView.as_view(), name="roles"),
    path("o/<slug:slug>/settings/roles/new/", views.RoleCreateView.as_view(), name="role_create"),
    path("o/<slug:slug>/settings/roles/<int:role_id>/", views.RoleUpdateView.as_view(), name="role_update"),
    path("o/<slug:slug>/settings/roles/<int:role_id>/delete/", views.RoleDeleteView.as_view(), name="role_delete"),
    path("o/<slug:slug>/members/", views.MembersView.as_view(), name="members"),
    path("o/<slug:slug>/members/invite/", views.InviteView.as_view(), name="invite"),
    path("o/<slug:slug>/members/<int:pk>/role/", views.MemberRoleView.as_view(), name="member_role"),
    path("o/<slug:slug>/members/<int:pk>/remove/", views.MemberRemoveView.as_view(), name="member_remove"),
    path("o/<slug:slug>/members/<int:pk>/renew/", views.MemberRenewView.as_view(), name="member_renew"),
    path("o/<slug:slug>/leave/", views.LeaveView.as_view(), name="leave"),
    path(
        "o/<slug:slug>/invitations/<int:pk>/resend/",
        views.InvitationActionView.as_view(action="resend"),
        name="invitation_resend",
    ),
    path(
        "o/<slug:slug>/invitations/<int:pk>/revoke/",
        views.InvitationActionView.as_view(action="revoke"),
        name="invitation_revoke",
    ),
    path("o/<slug:slug>/activity/", views.ActivityView.as_view(), name="activity"),
    path("o/<slug:slug>/activity/export/", views.ActivityExportView.as_view(), name="activity_export"),
    path("invitations/<str:token>/", views.InvitationView.as_view(), name="invitation"),
    path("invitations/<str:token>/signup/", views.InvitationSignupView.as_view(), name="invitation_signup"),
    path("invitations/<str:token>/accept/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("invitations/<str:token>/decline/", views.InvitationDeclineView.as_view(), name="invitation_decline"),
]
