import pytest
from django.test import Client
from django.urls import path

from organisations.roles import ACCOUNTING


def boom(request):
    raise RuntimeError("secret internal detail")


urlpatterns = [path("boom/", boom)]


@pytest.mark.django_db
def test_404_is_in_the_console_style_and_reveals_nothing(client, member):
    client.force_login(member(ACCOUNTING))
    response = client.get("/o/no-such-thing/overview/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page does not exist" in page
    assert "no-such-thing" not in page


@pytest.mark.django_db
def test_403_is_in_the_console_style(client, member):
    client.force_login(member(ACCOUNTING))
    response = client.get("/o/acme/overview/")
    assert response.status_code == 403
    assert "You are not allowed to do this" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls("tests.console.test_error_pages")
def test_500_reveals_nothing(settings):

    client = Client(raise_request_exception=False)
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page
    assert "secret internal detail" not in page
    assert "Traceback" not in page
