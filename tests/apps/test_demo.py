import pytest
from django.urls import reverse

from apps import demo
from apps.models import Addon, Application, ApplicationGrant, Deployment
from organisations import demo as organisations_demo
from organisations.demo import DEMO_PASSWORD


@pytest.mark.django_db
def test_seed_is_idempotent_and_shares_one_application(client):
    acme = organisations_demo.seed()
    demo.seed(acme)
    counts = (Application.objects.count(), Addon.objects.count(), Deployment.objects.count())
    demo.seed(organisations_demo.seed())
    assert (Application.objects.count(), Addon.objects.count(), Deployment.objects.count()) == counts
    assert counts[0] >= 3 and counts[1] >= 2
    grant = ApplicationGrant.objects.get(user__email="customer@client.example")
    assert (grant.level, grant.application.name) == ("view", demo.SHARED_APPLICATION)

    response = client.post(reverse("account_login"), {"login": "customer@client.example", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    shared = client.get(reverse("apps:shared")).content.decode()
    assert demo.SHARED_APPLICATION in shared and "booking-api" not in shared
    assert client.get(reverse("apps:list", kwargs={"slug": acme.slug})).status_code == 404
    assert (
        client.get(reverse("apps:overview", kwargs={"slug": acme.slug, "pk": grant.application_id})).status_code == 200
    )
