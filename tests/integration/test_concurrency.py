"""Issue 6, over HTTP against local mode: double clicks and races, as real concurrent requests.

- Four identical sign-ups at once (a double, triple, quadruple click) all answer 202, and store one
  member and send one email: never "Internal Server Error".
- An administrator's edit racing a member's preference save, round after round: both changes land.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.local import LocalMode

pytestmark = pytest.mark.integration

BROWSER = {"Accept": "text/html"}


def _version(local: LocalMode) -> str:
    page = local.get("/members/signup", headers=BROWSER).text
    found = re.search(r'name="privacy_notice_version" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_four_identical_sign_ups_at_once_all_answer_202_and_send_one_email(local: LocalMode, address: str):
    form = {
        "name": "Ann Clicker",
        "email": address,
        "role": "observer",
        "consent_contact": "true",
        "privacy_notice_version": _version(local),
    }
    start = threading.Barrier(4)

    def click() -> int:
        start.wait()
        return local.post("/members", form=form, headers={"Accept": "application/json"}).status

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: click(), range(4)))
    assert statuses == [202, 202, 202, 202]
    assert [e["to"] for e in local.outbox()] == [[address]]
    listed = local.get(f"/admin/members?q={address}", token=local.admin_token()).json()["items"]
    assert len(listed) == 1


def test_an_admin_edit_racing_a_preference_save_is_never_lost(local: LocalMode, address: str):
    # Given a confirmed member and her preferences link
    form = {
        "name": "Ann Racer",
        "email": address,
        "role": "observer",
        "consent_contact": "true",
        "privacy_notice_version": _version(local),
    }
    assert local.post("/members", form=form).status == 202
    (confirmation,) = local.outbox()
    confirm = re.search(r"https?://\S+/members/confirm\?token=[\w.=%-]+", confirmation["text"])
    assert confirm
    token = confirm.group(0).split("token=", 1)[1]
    assert local.post("/members/confirm", form={"token": token}, headers=BROWSER).status == 200
    welcome = [e for e in local.outbox() if address in e["to"]][-1]
    preferences = re.search(r"https?://\S+/members/preferences\?token=[\w.=%-]+", welcome["text"])
    assert preferences
    token = local.admin_token()
    member_id = local.get(f"/admin/members?q={address}", token=token).json()["items"][0]["id"]

    for round_number in range(8):
        organisation = f"Organisation {round_number}"
        newsletters = "true" if round_number % 2 == 0 else ""
        start = threading.Barrier(2)

        def admin_edit(org: str = organisation, start: threading.Barrier = start) -> int:
            start.wait()
            return local.request(
                "PATCH", f"/admin/members/{member_id}", json_body={"organisation": org}, token=token
            ).status

        def member_save(wanted: str = newsletters, start: threading.Barrier = start) -> int:
            start.wait()
            fields = {"meeting_reminders": "true", **({"newsletters": wanted} if wanted else {})}
            return local.post(preferences.group(0), form=fields, headers=BROWSER).status

        with ThreadPoolExecutor(2) as pool:
            edit, save = pool.submit(admin_edit), pool.submit(member_save)
            statuses = (edit.result(), save.result())
        # Then both answered as done, and both changes are there
        assert all(status in (200, 303) for status in statuses), statuses
        detail = local.get(f"/admin/members/{member_id}", token=token).json()
        assert detail["organisation"] == organisation, round_number
        assert detail["preferences"]["newsletters"] is (round_number % 2 == 0), round_number
