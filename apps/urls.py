from django.urls import path

from . import views

app_name = "apps"

app = "o/<slug:slug>/apps/<int:pk>/"

urlpatterns = [
    path("shared/", views.SharedWithMeView.as_view(), name="shared"),
    path("o/<slug:slug>/apps/", views.ApplicationListView.as_view(), name="list"),
    path("o/<slug:slug>/apps/new/", views.ApplicationCreateView.as_view(), name="create"),
    path(app, views.OverviewView.as_view(), name="overview"),
    path(f"{app}variables/", views.VariablesView.as_view(), name="variables"),
    path(f"{app}variables/text/", views.VariablesTextView.as_view(), name="variables_text"),
    path(f"{app}variables/<int:variable_id>/", views.VariableEditView.as_view(), name="variable_edit"),
    path(f"{app}variables/<int:variable_id>/delete/", views.VariableDeleteView.as_view(), name="variable_delete"),
    path(f"{app}domains/", views.DomainsView.as_view(), name="domains"),
    path(f"{app}domains/<int:domain_id>/remove/", views.DomainRemoveView.as_view(), name="domain_remove"),
    path(f"{app}scaling/", views.ScalingView.as_view(), name="scaling"),
    path(f"{app}deployments/", views.DeploymentsView.as_view(), name="deployments"),
    path(f"{app}deployments/<int:deployment_id>/redeploy/", views.RedeployView.as_view(), name="redeploy"),
    path(f"{app}start/", views.OperateView.as_view(action="start"), name="start"),
    path(f"{app}stop/", views.StopView.as_view(), name="stop"),
    path(f"{app}restart/", views.OperateView.as_view(action="restart"), name="restart"),
    path(f"{app}activity/", views.ActivityView.as_view(), name="activity"),
    path(f"{app}access/", views.AccessView.as_view(), name="access"),
    path(f"{app}access/<int:grant_id>/revoke/", views.GrantRevokeView.as_view(), name="grant_revoke"),
    path(
        f"{app}invitations/<int:invitation_id>/resend/",
        views.InvitationActionView.as_view(action="resend"),
        name="invitation_resend",
    ),
    path(
        f"{app}invitations/<int:invitation_id>/revoke/",
        views.InvitationActionView.as_view(action="revoke"),
        name="invitation_revoke",
    ),
    path(f"{app}delete/", views.ApplicationDeleteView.as_view(), name="delete"),
    path("o/<slug:slug>/addons/", views.AddonListView.as_view(), name="addons"),
    path("o/<slug:slug>/addons/new/", views.AddonCreateView.as_view(), name="addon_create"),
    path("o/<slug:slug>/addons/<int:addon_id>/", views.AddonDetailView.as_view(), name="addon"),
    path("o/<slug:slug>/addons/<int:addon_id>/delete/", views.AddonDeleteView.as_view(), name="addon_delete"),
]
