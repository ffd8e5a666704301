from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("organisations/new/", views.OrganisationCreateView.as_view(), name="create"),
    path("o/<slug:slug>/", views.OrganisationEntryView.as_view(), name="entry"),
    path("o/<slug:slug>/overview/", views.OverviewView.as_view(), name="overview"),
    path("o/<slug:slug>/settings/", views.SettingsView.as_view(), name="settings"),
    path("o/<slug:slug>/delete/", views.DeleteView.as_view(), name="delete"),
]
