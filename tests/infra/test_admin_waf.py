"""The WAF web ACL in front of the admin's API Gateway (infra/admin_waf.yaml; issue 10, item 7)."""

import json

import pytest
from cfnlint.api import ManualArgs, lint_file

from .conftest import INFRA, ZAPPA_SETTINGS, load

ADMIN_WAF = INFRA / "admin_waf.yaml"


@pytest.fixture(scope="module")
def admin_waf() -> dict:
    return load(ADMIN_WAF)


def _rules(admin_waf) -> dict:
    return {rule["Name"]: rule for rule in admin_waf["Resources"]["AdminWebAcl"]["Properties"]["Rules"]}


def test_cfn_lint_reports_nothing():
    matches = lint_file(ADMIN_WAF, ManualArgs(regions=["eu-west-1", "us-east-1"]))
    assert [f"{match.rule.id} {match.message} ({match.linenumber})" for match in matches] == []


def test_the_web_acl_is_regional_and_attached_to_the_admins_api_gateway_stage(admin_waf):
    acl = admin_waf["Resources"]["AdminWebAcl"]["Properties"]
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    association = admin_waf["Resources"]["AdminWebAclAssociation"]["Properties"]
    assert association["WebACLArn"] == {"Fn::GetAtt": ["AdminWebAcl", "Arn"]}
    assert association["ResourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${AdminRestApiId}/stages/${Environment}"
    }


def test_its_stages_are_the_zappa_stages_of_the_admin(admin_waf):
    """API Gateway's stage is named after the Zappa stage: the association must name the same (the
    worker stages have no API)."""
    settings = json.loads(ZAPPA_SETTINGS.read_text())
    stages = {name for name, stage in settings.items() if stage.get("apigateway_enabled", True)}
    assert stages == {"production", "staging"}
    assert set(admin_waf["Parameters"]["Environment"]["AllowedValues"]) == stages


def test_sign_in_api_and_all_requests_are_rate_limited_per_address(admin_waf):
    rules = _rules(admin_waf)
    sign_in = rules["sign-in-rate-per-ip"]["Statement"]["RateBasedStatement"]
    assert sign_in["AggregateKeyType"] == "IP" and sign_in["Limit"] == {"Ref": "SignInRequestsPer5Minutes"}
    paths = {s["ByteMatchStatement"]["SearchString"] for s in sign_in["ScopeDownStatement"]["OrStatement"]["Statements"]}
    assert paths == {"/admin/login/", "/oidc/"}
    api = rules["api-rate-per-ip"]["Statement"]["RateBasedStatement"]
    assert api["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/api/admin/"
    assert rules["all-requests-rate-per-ip"]["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    # The tightest rule is evaluated first.
    assert [rule["Priority"] for rule in rules.values()] == sorted(rule["Priority"] for rule in rules.values())
    params = admin_waf["Parameters"]
    assert params["SignInRequestsPer5Minutes"]["Default"] < params["ApiRequestsPer5Minutes"]["Default"] \
        < params["RequestsPer5Minutes"]["Default"]


def test_a_blocked_client_gets_429_with_retry_after_in_the_error_envelope(admin_waf):
    acl = admin_waf["Resources"]["AdminWebAcl"]["Properties"]
    body = json.loads(acl["CustomResponseBodies"]["rate-limited"]["Content"])
    assert body["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    for name, rule in _rules(admin_waf).items():
        if "RateBasedStatement" not in rule["Statement"]:
            continue
        response = rule["Action"]["Block"]["CustomResponse"]
        assert response["ResponseCode"] == 429 and response["CustomResponseBodyKey"] == "rate-limited", name
        assert response["ResponseHeaders"] == [{"Name": "Retry-After", "Value": "300"}], name


def test_no_managed_rule_limits_body_size(admin_waf):
    """AWS's common rule set blocks bodies over 8 KB, which would refuse ordinary edits: not used here.
    Body size is the application's (413 past DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    managed = {rule["Statement"]["ManagedRuleGroupStatement"]["Name"]
               for rule in _rules(admin_waf).values() if "ManagedRuleGroupStatement" in rule["Statement"]}
    assert managed == {"AWSManagedRulesKnownBadInputsRuleSet"}
