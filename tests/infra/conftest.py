"""Fixtures for the deployment tests: the templates decoded as CloudFormation reads them (short tags included)."""

from pathlib import Path

import pytest
from cfnlint.decode import decode

INFRA = Path(__file__).resolve().parents[2] / "infra"
TEMPLATE = INFRA / "template.yaml"
WAF_TEMPLATE = INFRA / "waf.yaml"
ZAPPA_SETTINGS = INFRA / "zappa_settings.json"


def load(path: Path) -> dict:
    template, matches = decode(str(path))
    assert not matches, [str(match) for match in matches]
    return template


@pytest.fixture(scope="session")
def template() -> dict:
    return load(TEMPLATE)


@pytest.fixture(scope="session")
def resources(template) -> dict:
    return template["Resources"]


@pytest.fixture(scope="session")
def waf_template() -> dict:
    return load(WAF_TEMPLATE)
