"""Every route, page, schedule and queue has a realistic sample event in events/, and each one gets
a sensible answer.

Where samples go (README, "Adding a capability"): `events/<capability>/`, any name, for a route or
page (matched by its route key and path); `events/<capability>/<schedule name>.json` for a schedule
(the payload it sends); `events/<capability>/<queue key>/*.json` for a queue's messages, handed to
the queue's consumer. Nothing here names a capability."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.declaration import all_routes, all_schedules, consumers_of, queues

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLES = sorted(EVENTS.rglob("*.json"))
DOCUMENT = Path(__file__).resolve().parents[2] / "functions" / "docs" / "openapi.json"


def _operation(event: dict[str, Any]) -> tuple[str, str]:
    return event["requestContext"]["http"]["method"].lower(), event["rawPath"]


def test_every_declared_route_has_a_sample_event():
    covered = {json.loads(p.read_text()).get("routeKey") for p in SAMPLES}
    missing = [route.route_key for route, _ in all_routes() if route.route_key not in covered]
    assert missing == []


def test_every_documented_operation_has_a_sample_event():
    # the console's pages are routed by prefix, so each page (from the resolvers' document) needs its own
    from infra.local.events import RoutePattern

    samples = [_operation(json.loads(p.read_text())) for p in SAMPLES if "rawPath" in p.read_text()]
    document = json.loads(DOCUMENT.read_text())
    missing = []
    for path, operations in document["paths"].items():
        for method in operations:
            pattern = RoutePattern(method.upper(), path)
            if not any(pattern.match(m.upper(), p) is not None for m, p in samples):
                missing.append(f"{method.upper()} {path}")
    assert missing == []


def schedules_without_samples(schedule_names: list[str], events: Path) -> list[str]:
    names = {p.stem for p in events.rglob("*.json")}
    return [name for name in schedule_names if name not in names]


def test_the_schedule_sample_check_finds_a_missing_sample(tmp_path):
    # the check itself can fail: a schedule with no events/<capability>/<name>.json is reported
    (tmp_path / "meetings").mkdir()
    (tmp_path / "meetings" / "daily-reminders.json").write_text("{}")
    assert schedules_without_samples(["daily-reminders", "weekly-digest"], tmp_path) == ["weekly-digest"]


def test_every_declared_schedule_has_a_sample_event():
    declared = [s.name for s, _ in all_schedules()]
    # never vacuous: with no schedule declared there is nothing to check, and that is a failure
    assert declared, "no schedule is declared: this check would pass without checking anything"
    assert schedules_without_samples(declared, EVENTS) == []


def test_every_queue_has_sample_messages():
    for queue in queues():
        assert list(EVENTS.glob(f"*/{queue.key}/*.json")), f"no events/<capability>/{queue.key}/*.json"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(EVENTS)))
def test_each_sample_event_is_answered_without_a_server_error(aws, path):
    event = json.loads(path.read_text())
    if "Records" in event:
        (queue,) = [q for q in queues() if q.key == path.parent.name]
        (consumer,) = consumers_of(queue)
        assert aws.invoke(consumer.name, event) == {"batchItemFailures": []}
        return
    scheduled = [(s, f) for s, f in all_schedules() if s.name == path.stem]
    if scheduled:
        ((schedule, spec),) = scheduled
        assert event == dict(schedule.payload)  # the sample is what the schedule sends
        assert aws.invoke(spec.name, event) is not None
        return
    served = next((s for r, s in all_routes() if r.route_key == event.get("routeKey")), None)
    assert served is not None, f"{path.name} matches no declared route"
    response = aws.invoke(served.name, event)
    assert response["statusCode"] < 500


def test_openapi_document_is_served_as_committed(aws):
    response = aws.invoke("docs", json.loads((EVENTS / "docs/get_openapi.json").read_text()))
    assert response["statusCode"] == 200
    document = json.loads(response["body"])
    assert document["paths"]["/members"]["post"]["requestBody"]["content"].keys() >= {
        "application/json",
        "application/x-www-form-urlencoded",
    }
