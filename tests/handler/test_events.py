"""Every route has a realistic sample event in events/, and each one gets a sensible answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.declaration import FUNCTIONS, all_routes, all_schedules

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLES = sorted(EVENTS.rglob("*.json"))


def test_every_declared_route_has_a_sample_event():
    covered = {json.loads(p.read_text()).get("routeKey") for p in SAMPLES}
    missing = [route.route_key for route, _ in all_routes() if route.route_key not in covered]
    assert missing == []


def schedules_without_samples(schedule_names: list[str], events: Path) -> list[str]:
    folder = events / "schedules"
    names = {p.stem for p in folder.glob("*.json")} if folder.exists() else set()
    return [name for name in schedule_names if name not in names]


def test_the_schedule_sample_check_finds_a_missing_sample(tmp_path):
    # the check itself can fail: a schedule with no events/schedules/<name>.json is reported
    (tmp_path / "schedules").mkdir()
    (tmp_path / "schedules" / "daily-reminders.json").write_text("{}")
    assert schedules_without_samples(["daily-reminders", "weekly-digest"], tmp_path) == ["weekly-digest"]


def test_every_declared_schedule_has_a_sample_event():
    declared = [s.name for s, _ in all_schedules()]
    # never vacuous: with no schedule declared there is nothing to check, and that is a failure
    assert declared, "no schedule is declared: this check would pass without checking anything"
    assert schedules_without_samples(declared, EVENTS) == []


def test_every_ses_event_consumer_has_sample_events():
    consumers = [f for f in FUNCTIONS if f.ses_events]
    assert consumers and len(list((EVENTS / "ses").glob("*.json"))) >= 3


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(EVENTS)))
def test_each_sample_event_is_answered_without_a_server_error(aws, path):
    event = json.loads(path.read_text())
    if "Records" in event:
        consumer = next(f for f in FUNCTIONS if f.ses_events)
        assert aws.invoke(consumer.name, event) == {"batchItemFailures": []}
        return
    if path.parent.name == "schedules":
        ((schedule, scheduled),) = [(s, f) for s, f in all_schedules() if s.name == path.stem]
        assert event == dict(schedule.payload)  # the sample is what the schedule sends
        assert aws.invoke(scheduled.name, event) is not None
        return
    spec = next((s for r, s in all_routes() if r.route_key == event.get("routeKey")), None)
    assert spec is not None, f"{path.name} matches no declared route"
    response = aws.invoke(spec.name, event)
    assert response["statusCode"] < 500


def test_openapi_document_is_served_as_committed(aws):
    response = aws.invoke("docs", json.loads((EVENTS / "docs/get_openapi.json").read_text()))
    assert response["statusCode"] == 200
    document = json.loads(response["body"])
    assert document["paths"]["/members"]["post"]["requestBody"]["content"].keys() >= {
        "application/json",
        "application/x-www-form-urlencoded",
    }
