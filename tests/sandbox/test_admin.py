"""The sandbox in the admin: what partners received, read-only, and switches edited in the list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.sandbox.models import SandboxRequest, SandboxSwitch
from tests.conftest import load_fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def refused_form(client, settings) -> SandboxRequest:
    """A Choco status call in a form, refused for a bad timer."""
    settings.CHOCO_CLIENT_ID, settings.CHOCO_CLIENT_SECRET = "merchant-client-id", "merchant-client-secret"
    auth = client.post(reverse("sandbox:choco-auth"), load_fixture("choco_auth_token_request.form"),
                       content_type="application/x-www-form-urlencoded").json()
    form = load_fixture("choco_status_request_v2.form").replace("need_timer%5D=0", "need_timer%5D=true")
    client.put(reverse("sandbox:choco-status"), form, content_type="application/x-www-form-urlencoded",
               HTTP_AUTHORIZATION=f"Bearer {auth['data']['token']}")
    return SandboxRequest.objects.get(accepted=False)


def test_request_list_filters_by_partner_and_acceptance(admin_client, refused_form):
    # when
    response = admin_client.get(reverse("admin:sandbox_sandboxrequest_changelist"),
                                {"partner__exact": "choco", "accepted__exact": "0"})
    # then
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert "external_data[need_timer]: must be a boolean" in response.content.decode()


def test_request_page_shows_the_form_readably_and_the_problems(admin_client, refused_form):
    # when
    response = admin_client.get(reverse("admin:sandbox_sandboxrequest_change", args=[refused_form.pk]))
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "external_data[title_active_order_card] = Ожидает оплаты" in page
    assert "<li>external_data[need_timer]: must be a boolean" in page
    assert 'name="_save"' not in page


def test_requests_cannot_be_added_or_changed(admin_client, refused_form):
    # when
    add = admin_client.get(reverse("admin:sandbox_sandboxrequest_add"))
    change = admin_client.post(reverse("admin:sandbox_sandboxrequest_change", args=[refused_form.pk]),
                               {"accepted": "on"})
    # then
    assert add.status_code == 403
    assert change.status_code == 403
    assert not SandboxRequest.objects.get(pk=refused_form.pk).accepted


def test_a_manager_sets_fail_the_next_3_choco_requests_in_the_list(admin_client):
    # given
    switches = list(SandboxSwitch.objects.order_by("partner"))
    data = {"form-TOTAL_FORMS": str(len(switches)), "form-INITIAL_FORMS": str(len(switches)),
            "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000", "_save": "Save"}
    for index, switch in enumerate(switches):
        fail_next = 3 if switch.partner == "choco" else switch.fail_next
        data.update({f"form-{index}-partner": switch.partner, f"form-{index}-fail_next": str(fail_next),
                     f"form-{index}-fail_status": "503", f"form-{index}-latency_ms": "0"})
    # when
    response = admin_client.post(reverse("admin:sandbox_sandboxswitch_changelist"), data)
    # then
    assert response.status_code == 302
    assert dict(SandboxSwitch.objects.values_list("partner", "fail_next")) == {
        "choco": 3, "horoshop": 0, "imshop": 0, "subscriber": 0}


@pytest.mark.parametrize("name", ["sandboxswitch", "sandboxshoporder", "sandboxrequest"])
def test_the_sandbox_lists_render(admin_client, name):
    # when
    response = admin_client.get(reverse(f"admin:sandbox_{name}_changelist"))
    # then
    assert response.status_code == 200
