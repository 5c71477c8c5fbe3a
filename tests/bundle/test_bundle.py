"""The Lambda bundle that `make build` writes is the one that runs in AWS: prove it.

- The arm64 layer holds only aarch64 or pure-Python wheels, and not boto3/botocore (the runtime's).
- The function code imports and answers a sample event under Python 3.13 (Lambda's runtime), with
  the same pinned dependency set built for this machine, against a moto server.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path

import boto3
import pytest

from infra import build
from infra.declaration import TABLES
from tests.support.env import FAKE_CREDENTIALS, function_environment

ROOT = Path(__file__).resolve().parents[2]
LAYER = build.LAYER_ASSET / "python"
ELF_MACHINE_AARCH64 = 183


@pytest.fixture(scope="module", autouse=True)
def built():
    build.build_function_asset()
    build.build_layer_asset()


def wheel_tags() -> dict[str, list[str]]:
    tags = {}
    for wheel in LAYER.glob("*.dist-info/WHEEL"):
        tags[wheel.parent.name] = [
            line.split(":", 1)[1].strip()
            for line in wheel.read_text().splitlines()
            if line.startswith("Tag:")
        ]
    return tags


def test_layer_holds_only_aarch64_or_pure_python_wheels():
    tags = wheel_tags()
    assert tags, "the layer is empty"
    wrong = {
        name: t
        for name, t in tags.items()
        if not all(tag.endswith("-none-any") or "aarch64" in tag for tag in t)
    }
    assert wrong == {}
    # and every compiled extension really is an AArch64 ELF binary
    for library in LAYER.rglob("*.so"):
        header = library.read_bytes()[:20]
        assert header[:4] == b"\x7fELF", library
        assert int.from_bytes(header[18:20], "little") == ELF_MACHINE_AARCH64, library


def test_layer_leaves_boto3_to_the_runtime():
    present = {p.name.split("-")[0].lower() for p in LAYER.iterdir()}
    assert not present & {"boto3", "botocore", "s3transfer", "urllib3", "dateutil", "six"}
    assert {"aws_lambda_powertools", "pydantic", "pydantic_core", "jinja2", "email_validator"} <= present


def test_function_asset_is_exactly_the_code():
    asset = build.FUNCTION_ASSET
    assert sorted(p.name for p in asset.iterdir()) == ["functions", "shared"]
    assert (asset / "functions/members/public.py").read_bytes() == (
        ROOT / "functions/members/public.py"
    ).read_bytes()
    assert (asset / "shared/templates/pages/signup.html").exists()
    # only bytecode for Lambda's 3.13, never a developer's cache for another Python
    assert all(p.name.endswith(f".{build.BYTECODE}.pyc") for p in asset.rglob("__pycache__/*"))


python313 = build.python313


def test_both_assets_ship_python_313_bytecode_for_every_module():
    # Lambda's /var/task and /opt are read-only: without bytecode, each cold start compiles every module
    if python313() is None:
        pytest.skip("no Python 3.13 on this machine: the build ships source only (and says so)")
    for asset in (build.FUNCTION_ASSET, build.LAYER_ASSET / "python"):
        sources = [p for p in asset.rglob("*.py") if "__pycache__" not in p.parts]
        assert len(sources) > 10
        missing = [
            p for p in sources if not (p.parent / "__pycache__" / f"{p.stem}.{build.BYTECODE}.pyc").exists()
        ]
        assert not missing, (
            f"{len(missing)} modules in {asset.name} have no {build.BYTECODE} bytecode: {missing[:5]}"
        )
    # unchecked-hash bytecode: valid whatever timestamps the unzipped files get
    sample = next(build.FUNCTION_ASSET.rglob(f"*.{build.BYTECODE}.pyc")).read_bytes()
    flags = int.from_bytes(sample[4:8], "little")
    assert flags == 0b01, "expected hash-based, unchecked bytecode (PEP 552 flags 0b01)"


@pytest.fixture(scope="module")
def moto_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_function_code_answers_a_sign_up_under_python_313(moto_server, tmp_path, monkeypatch):
    interpreter = python313()
    if interpreter is None:
        pytest.skip("no Python 3.13 on this machine (looked for python3.13 and pyenv's 3.13.x)")
    # Given the same pinned dependencies, built for this machine's platform and Python 3.13
    deps = build.host_dependencies()
    # And an AWS account (moto server) with the tables, secret and a verified sender
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    ddb = boto3.client("dynamodb", endpoint_url=moto_server)
    for spec in TABLES:
        ddb.create_table(**spec.create_table_kwargs(spec.local_name))
    secrets = boto3.client("secretsmanager", endpoint_url=moto_server)
    secrets.create_secret(Name="py313/key", SecretString="k" * 64)
    secrets.create_secret(Name="py313/lookup-key", SecretString="l" * 64)
    boto3.client("ses", endpoint_url=moto_server).verify_email_identity(EmailAddress="no-reply@mkcpp.org.uk")

    # When the bundled handler is invoked by Python 3.13 with the sample browser sign-up
    env = {
        **function_environment(
            "members_public", "https://api.mkcpp.test", "py313/key", "mkcpp-test", "py313/lookup-key"
        ),
        "PATH": os.environ["PATH"],
        "PYTHONPATH": f"{build.FUNCTION_ASSET}:{deps}",
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_LAMBDA_FUNCTION_NAME": "members_public",
    }
    script = (
        "import json, sys\n"
        "assert sys.version_info[:2] == (3, 13), sys.version\n"
        "from functions.members.public import lambda_handler\n"
        "class Context:\n"
        "    function_name = 'members_public'; memory_limit_in_mb = 512; aws_request_id = 'r-313'\n"
        "    invoked_function_arn = 'arn:aws:lambda:eu-west-2:123456789012:function:members_public'\n"
        "    def get_remaining_time_in_millis(self): return 10000\n"
        "event = json.load(open(sys.argv[1]))\n"
        "print('RESULT ' + json.dumps(lambda_handler(event, Context())))\n"
    )
    run = subprocess.run(
        [interpreter, "-c", script, str(ROOT / "events/members/post_signup_form.json")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.split("RESULT ", 1)[1])

    # Then it answers like Lambda would, and the confirmation email really went out
    assert result["statusCode"] == 202
    assert "Check your email" in result["body"]
    with urllib.request.urlopen(f"{moto_server}/moto-api/data.json", timeout=10) as response:
        raw = json.dumps(json.load(response)["ses"])
    assert "ann.example@example.org" in raw
