"""Issue 15.5: partner tiers. The partner API is the public API with an API key required on every GET and HEAD,
metered by two usage plans (free, partner) with throttles and quotas; anonymous fans keep the keyless API."""

import json

import pytest
import yaml
from cfnlint.api import lint

from infra import openapi_overlay
from infra.package import OPENAPI_PARTNER_VIEW, OPENAPI_SOURCE

from .conftest import INFRA
from .test_sam_transform import offline_region, packaged, translate  # noqa: F401 (offline_region: autouse fixture)
from .test_template import plain


@pytest.fixture(scope="module")
def document():
    return yaml.safe_load(OPENAPI_SOURCE.read_text(encoding="utf-8"))


def test_every_partner_operation_requires_the_key_and_no_public_one_does(document):
    public, partner = openapi_overlay.gateway_view(document), openapi_overlay.gateway_view(document, partner=True)
    assert set(public["paths"]) == set(partner["paths"])
    assert partner["x-amazon-apigateway-api-key-source"] == "HEADER"
    assert partner["components"]["securitySchemes"]["api_key"] == {"type": "apiKey", "name": "x-api-key",
                                                                    "in": "header"}
    for path, item in partner["paths"].items():
        for method, operation in item.items():
            if method == "options":  # a preflight carries no key: it stays a mock without one
                assert "security" not in operation
            else:
                assert operation["security"] == [{"api_key": []}], (path, method)
                assert operation["x-amazon-apigateway-integration"] == \
                    public["paths"][path][method]["x-amazon-apigateway-integration"]  # the same functions
    assert "security" not in json.dumps(public) and "api-key-source" not in json.dumps(public)
    assert plain(partner["info"]["title"]) == {"Fn::Sub": "metalfests-partner-api-${Environment}"}


def test_missing_keys_and_spent_quotas_answer_in_the_error_envelope(document):
    responses = openapi_overlay.gateway_view(document, partner=True)["x-amazon-apigateway-gateway-responses"]
    assert responses["INVALID_API_KEY"]["statusCode"] == "403"
    assert responses["QUOTA_EXCEEDED"]["statusCode"] == "429"
    for name in ("INVALID_API_KEY", "QUOTA_EXCEEDED", "THROTTLED"):
        body = responses[name]["responseTemplates"]["application/json"]
        assert body.startswith('{"error":{"code":"') and "$context.requestId" in body
        assert responses[name]["responseParameters"]["gatewayresponse.header.Cache-Control"] == "'no-store'"


def test_the_partner_api_is_included_from_its_own_view(resources):
    properties = resources["PartnerApi"]["Properties"]
    include = properties["DefinitionBody"]["Fn::Transform"]
    assert (INFRA / include["Parameters"]["Location"]).resolve() == OPENAPI_PARTNER_VIEW.resolve()
    assert properties["StageName"] == "prod"
    assert resources[properties["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0]]["Type"] == "AWS::Logs::LogGroup"


@pytest.mark.parametrize("plan,rate,burst,limit,period", [
    ("PartnerFreePlan", 10, 20, 10_000, "DAY"),
    ("PartnerPlan", 100, 200, 2_000_000, "MONTH"),
])
def test_usage_plans_throttle_and_meter_each_tier_on_the_partner_stage_only(resources, plan, rate, burst, limit,
                                                                            period):
    properties = resources[plan]["Properties"]
    assert (properties["Throttle"]["RateLimit"], properties["Throttle"]["BurstLimit"]) == (rate, burst)
    assert (properties["Quota"]["Limit"], properties["Quota"]["Period"]) == (limit, period)
    (stage,) = properties["ApiStages"]
    assert plain(stage) == {"ApiId": {"Ref": "PartnerApi"}, "Stage": {"Ref": "PartnerApi.Stage"}}
    plans = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::UsagePlan"]
    assert all("PublicApi" not in json.dumps(plain(p)) for p in plans)  # anonymous fans: no plan, no key


def test_no_api_key_lives_in_the_template(resources):
    assert not [name for name, r in resources.items() if r["Type"] in ("AWS::ApiGateway::ApiKey",
                                                                     "AWS::ApiGateway::UsagePlanKey")]


def test_cloudfront_sends_partner_paths_to_the_partner_api_with_the_key_in_the_cache_key(resources):
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    (behavior,) = config["CacheBehaviors"]
    assert behavior["PathPattern"] == "/partner/*"
    origins = {origin["Id"]: origin for origin in config["Origins"]}
    partner = origins[behavior["TargetOriginId"]]
    assert "${PartnerApi}.execute-api." in partner["DomainName"]["Fn::Sub"] and partner["OriginPath"] == "/prod"
    assert plain(partner["OriginCustomHeaders"]) == plain(origins["public-api"]["OriginCustomHeaders"])
    assert plain(behavior["CachePolicyId"]) == {"Ref": "PartnerCachePolicy"}
    headers = resources["PartnerCachePolicy"]["Properties"]["CachePolicyConfig"][
        "ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]
    assert (headers["HeaderBehavior"], headers["Headers"]) == ("whitelist", ["x-api-key"])
    (association,) = behavior["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    code = resources["PartnerPathFunction"]["Properties"]["FunctionCode"]
    assert "'/partner/'" in code and "substring('/partner'.length)" in code


def test_the_expanded_template_with_both_definitions_lints_clean(template, document):
    expanded = translate(packaged(template, openapi_overlay.gateway_view(document),
                                  partner_definition=openapi_overlay.gateway_view(document, partner=True)))
    resources = expanded["Resources"]
    body = resources["PartnerApi"]["Properties"]["Body"]
    assert body["x-amazon-apigateway-api-key-source"] == "HEADER"
    matches = lint(json.dumps(expanded), regions=["us-east-1", "eu-west-1"])
    expected = {"W2001 Parameter DeploymentType not used."}
    assert {f"{m.rule.id} {m.message}" for m in matches} - expected == set()
