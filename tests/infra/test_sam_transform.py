"""The template through AWS's own SAM translator, offline, as CloudFormation will run it after `sam deploy` uploads the code.

`sam deploy` replaces the local `CodeUri` and `AWS::Include` location with S3
URIs and CloudFormation's SAM transform expands the template. Here the same
translator (aws-sam-translator, the library CloudFormation runs) expands it with
placeholder S3 URIs; nothing is sent anywhere. The result is linted again as
plain CloudFormation, with the API Gateway definition inlined as `AWS::Include`
would inline it.
"""

import copy
import json

import pytest
from cfnlint.api import lint
from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform

from infra import openapi_overlay
from infra.package import OPENAPI_SOURCE

READ_FUNCTIONS = ["FestivalsFunction", "BandsFunction", "GenresFunction", "RolesFunction", "ChangesFunction",
                  "SearchFunction"]
SHARED_ALARMS = {"Api5xxRateAlarm", "ApiLatencyP99Alarm", "TableThrottleAlarm"}
PARAMETERS = {"Environment": "production"}


class NoManagedPolicies:
    """The translator looks managed policy names up in IAM; the template names none."""

    def load(self):
        return {}


def packaged(template: dict, definition=None, partner_definition=None) -> dict:
    """The template as `sam deploy` hands it over: code and API definitions in S3 (or the definitions inlined)."""
    packaged = json.loads(json.dumps(template))
    packaged["Globals"]["Function"]["CodeUri"] = "s3://deployment-bucket/0123456789abcdef"
    for api, inlined, key in (("PublicApi", definition, "fedcba9876543210"),
                              ("PartnerApi", partner_definition, "0f1e2d3c4b5a6978")):
        properties = packaged["Resources"][api]["Properties"]
        if inlined is None:
            properties["DefinitionBody"]["Fn::Transform"]["Parameters"]["Location"] = f"s3://deployment-bucket/{key}"
        else:
            properties["DefinitionBody"] = copy.deepcopy(inlined)
    return packaged


def translate(template: dict) -> dict:
    try:
        return transform(template, dict(PARAMETERS), NoManagedPolicies())
    except InvalidDocumentException as error:
        pytest.fail("SAM rejects the template: " + "; ".join(str(cause) for cause in error.causes))


@pytest.fixture(autouse=True)
def offline_region(monkeypatch):
    # The translator takes the region from the environment, as CloudFormation's transform knows its own.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")


@pytest.fixture(scope="module")
def gateway_definition():
    if not OPENAPI_SOURCE.exists():
        pytest.fail(f"{OPENAPI_SOURCE} is missing: API Gateway has nothing to deploy")
    import yaml

    with OPENAPI_SOURCE.open(encoding="utf-8") as handle:
        return openapi_overlay.gateway_view(yaml.safe_load(handle))


@pytest.fixture
def expanded(template):
    return translate(packaged(template))["Resources"]


@pytest.mark.parametrize("function", READ_FUNCTIONS)
def test_each_function_is_released_through_a_live_alias_that_rolls_back_on_the_alarms(expanded, function):
    alias = expanded[openapi_overlay.alias_logical_id(function)]
    assert alias["Type"] == "AWS::Lambda::Alias"
    assert alias["Properties"]["Name"] == openapi_overlay.ALIAS
    group = expanded[f"{function}DeploymentGroup"]["Properties"]
    alarms = {alarm["Name"]["Ref"] for alarm in group["AlarmConfiguration"]["Alarms"]}
    assert group["AlarmConfiguration"]["Enabled"] is True
    assert alarms == SHARED_ALARMS | {f"{function.removesuffix('Function')}ErrorsAlarm"}
    assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]
    assert group["AutoRollbackConfiguration"]["Enabled"] is True
    hook = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert hook["DeploymentGroupName"] == {"Ref": f"{function}DeploymentGroup"}


@pytest.mark.parametrize("function", READ_FUNCTIONS)
def test_api_gateway_may_invoke_the_alias_the_definition_integrates(expanded, function):
    permission = expanded[f"{function.removesuffix('Function')}InvokePermission"]["Properties"]
    assert permission["FunctionName"] == {"Ref": openapi_overlay.alias_logical_id(function)}


def test_the_stage_is_prod_throttled_and_after_the_account_logging_role(expanded):
    assert expanded["PublicApi"]["DependsOn"] == "ApiGatewayAccountReady"
    stage = next(r for r in expanded.values() if r["Type"] == "AWS::ApiGateway::Stage")["Properties"]
    assert stage["StageName"] == "prod"
    (setting,) = stage["MethodSettings"]
    assert (setting["ThrottlingRateLimit"], setting["ThrottlingBurstLimit"]) == (1000, 2000)


def test_expanded_template_with_the_inlined_definition_lints_clean(template, gateway_definition):
    """What CloudFormation finally deploys: every Fn::Sub in the definition names a resource that exists."""
    expanded = translate(packaged(template, gateway_definition))
    body = json.dumps(expanded["Resources"]["PublicApi"]["Properties"]["Body"])
    for function in READ_FUNCTIONS:
        assert "${%s}" % openapi_overlay.alias_logical_id(function) in body
    matches = lint(json.dumps(expanded), regions=["us-east-1", "eu-west-1"])
    # SAM resolves DeploymentType while it expands the template, so the expansion no longer uses it.
    expected = {"W2001 Parameter DeploymentType not used."}
    assert {f"{m.rule.id} {m.message}" for m in matches} - expected == set()
