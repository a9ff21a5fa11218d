"""infra/template.yaml keeps its promises: least privilege, durable data, WAF, caching, alarms that roll back."""

import json
import re

import pytest

from infra import openapi_overlay
from infra.package import OPENAPI_GATEWAY_VIEW, ROOT, SOURCE_PACKAGE, reachable
from read_api.schema import Item

from .conftest import INFRA

READ_FUNCTIONS = {
    "FestivalsFunction": "festivals",
    "BandsFunction": "bands",
    "GenresFunction": "genres",
    "RolesFunction": "roles",
    "ChangesFunction": "changes",
    "SearchFunction": "search",
}
READ_ACTIONS = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"}
TABLE_RESOURCES = [{"Fn::GetAtt": ["Table", "Arn"]}, {"Fn::Sub": "${Table.Arn}/index/*"}]
SHARED_ALARMS = {"Api5xxRateAlarm", "ApiLatencyP99Alarm", "TableThrottleAlarm"}


def plain(value):
    """The decoded template's nodes as plain dicts, lists and strings (for == against literals)."""
    return json.loads(json.dumps(value))


def as_list(value):
    return value if isinstance(value, list) else [value]


def statements(role):
    """Every statement of a role's inline policies; statements under Fn::If yield their 'true' branch."""
    found = []
    for policy in role["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:
                condition, when_true, _ = statement["Fn::If"]
                found.append({**plain(when_true), "_condition": condition})
            else:
                found.append(plain(statement))
    return found


def resources_of_type(resources, kind):
    return {name: resource for name, resource in resources.items() if resource["Type"] == kind}


# ------------------------------------------------------------------ read functions and their roles


@pytest.mark.parametrize("function", READ_FUNCTIONS)
def test_read_function_runs_its_handler_on_the_specified_runtime(template, resources, function):
    properties = resources[function]["Properties"]
    defaults = template["Globals"]["Function"]
    assert resources[function]["Type"] == "AWS::Serverless::Function"
    assert properties["Handler"] == f"read_api.handlers.{READ_FUNCTIONS[function]}.lambda_handler"
    for key, expected in {
        "Runtime": "python3.11",
        "Architectures": ["arm64"],
        "MemorySize": 256,
        "Timeout": 10,
        "CodeUri": "../dist/read-api.zip",
        "AutoPublishAlias": "live",
    }.items():
        assert plain(properties.get(key, defaults[key])) == expected, key
    assert (INFRA / defaults["CodeUri"]).resolve().name == "read-api.zip"


def test_read_functions_environment_names_what_read_api_reads(template):
    from read_api import config

    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert plain(variables[config.TABLE_NAME_VAR]) == {"Ref": "Table"}
    assert config.CORS_ORIGINS_VAR in variables
    assert "AWS_REGION" not in variables  # reserved: Lambda sets it


def test_tracing_and_metrics_are_switched_by_the_environment(template):
    """X-Ray only when TracingMode=xray (nothing traced, nothing paid otherwise); EMF namespace for the read tier."""
    function = template["Globals"]["Function"]
    variables = function["Environment"]["Variables"]
    assert plain(variables["TRACING"]) == {"Ref": "TracingMode"}
    assert set(template["Parameters"]["TracingMode"]["AllowedValues"]) == {"off", "xray"}
    assert template["Parameters"]["TracingMode"]["Default"] == "off"
    assert plain(function["Tracing"]) == {"Fn::If": ["TracingOn", "Active", "PassThrough"]}
    assert plain(template["Conditions"]["TracingOn"]) == {"Fn::Equals": [{"Ref": "TracingMode"}, "xray"]}
    assert variables["METRICS_NAMESPACE"] == "MetalFests/PublicApi"


@pytest.mark.parametrize("function", READ_FUNCTIONS)
def test_read_function_role_allows_exactly_the_three_reads_on_the_table_and_its_indexes(resources, function):
    role_name = resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
    role = resources[role_name]
    assert role["Type"] == "AWS::IAM::Role"
    assert "ManagedPolicyArns" not in role["Properties"]
    found = statements(role)
    dynamodb = [s for s in found if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))]
    assert len(dynamodb) == 1
    assert set(as_list(dynamodb[0]["Action"])) == READ_ACTIONS
    assert dynamodb[0]["Resource"] == TABLE_RESOURCES
    assert dynamodb[0]["Effect"] == "Allow"
    others = [s for s in found if s not in dynamodb]
    for statement in others:
        actions = set(as_list(statement["Action"]))
        if actions <= {"logs:CreateLogStream", "logs:PutLogEvents"}:
            # Its own log group only, which the function writes to.
            log_group = statement["Resource"]["Fn::GetAtt"][0]
            assert resources[function]["Properties"]["LoggingConfig"]["LogGroup"] == {"Ref": log_group}
        else:
            assert actions == {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
            assert statement["_condition"] == "TracingOn"


def test_each_read_function_has_a_role_of_its_own(resources):
    roles = [resources[f]["Properties"]["Role"]["Fn::GetAtt"][0] for f in READ_FUNCTIONS]
    assert len(set(roles)) == len(roles)


def test_no_policy_grants_wildcard_actions(resources):
    for name, role in resources_of_type(resources, "AWS::IAM::Role").items():
        for statement in statements(role):
            for action in as_list(statement["Action"]):
                assert action != "*" and not action.endswith(":*"), (name, action)


@pytest.mark.parametrize("function", READ_FUNCTIONS)
def test_api_gateway_may_invoke_only_the_live_alias_for_its_own_routes(resources, function):
    permissions = [
        r["Properties"]
        for r in resources_of_type(resources, "AWS::Lambda::Permission").values()
        if r["Properties"]["FunctionName"] == {"Ref": f"{function}.Alias"}
    ]
    assert len(permissions) == 2  # the public API and the partner API, each for the function's own routes
    assert {p["Principal"] for p in permissions} == {"apigateway.amazonaws.com"}
    assert sorted(p["SourceArn"]["Fn::Sub"].rsplit(":", 1)[1] for p in permissions) == [
        f"${{PartnerApi}}/*/*/api/{READ_FUNCTIONS[function]}*", f"${{PublicApi}}/*/*/api/{READ_FUNCTIONS[function]}*"]


def test_openapi_overlay_targets_the_aliases_sam_creates(template, resources):
    assert template["Globals"]["Function"]["AutoPublishAlias"] == openapi_overlay.ALIAS
    assert set(openapi_overlay.FUNCTIONS.values()) == set(READ_FUNCTIONS)
    for segment, function in openapi_overlay.FUNCTIONS.items():
        assert READ_FUNCTIONS[function] == segment
        assert resources[function]["Type"] == "AWS::Serverless::Function"


# ------------------------------------------------------------------ data


def test_table_is_durable_encrypted_on_demand_with_three_full_gsis(resources):
    table = resources["Table"]
    properties = table["Properties"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["DeletionProtectionEnabled"] is True
    assert plain(properties["KeySchema"]) == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    types = {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]}
    assert types == {name: "S" for name in ["PK", "SK"] + [f"GSI{i}{k}" for i in (1, 2, 3, 4) for k in ("PK", "SK")]}
    indexes = {index["IndexName"]: index for index in properties["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"GSI1", "GSI2", "GSI3", "GSI4"}
    assert set(indexes) == set(Item._indexes)  # the template's table is the schema's
    for name, index in indexes.items():
        assert plain(index["KeySchema"]) == [
            {"AttributeName": f"{name}PK", "KeyType": "HASH"},
            {"AttributeName": f"{name}SK", "KeyType": "RANGE"},
        ]
        assert index["Projection"]["ProjectionType"] == "ALL"
    assert {tag["Key"] for tag in properties["Tags"]} >= {"Application", "Environment"}


def test_table_name_matches_what_the_read_tier_defaults_to(template):
    from read_api import config

    assert template["Parameters"]["TableName"]["Default"] == config.DEFAULT_TABLE_NAME


# ------------------------------------------------------------------ API Gateway


def test_api_is_defined_from_the_gateway_view_of_the_openapi_document(resources):
    properties = resources["PublicApi"]["Properties"]
    include = properties["DefinitionBody"]["Fn::Transform"]
    assert include["Name"] == "AWS::Include"
    assert (INFRA / include["Parameters"]["Location"]).resolve() == OPENAPI_GATEWAY_VIEW.resolve()
    assert properties["StageName"] == "prod"


def test_api_stage_is_throttled_and_logged(resources):
    properties = resources["PublicApi"]["Properties"]
    (setting,) = properties["MethodSettings"]
    assert (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")
    assert setting["ThrottlingRateLimit"] == 1000
    assert setting["ThrottlingBurstLimit"] == 2000
    assert setting["MetricsEnabled"] is True
    log_group = properties["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0]
    assert resources[log_group]["Type"] == "AWS::Logs::LogGroup"
    assert "$context.requestId" in properties["AccessLogSetting"]["Format"]


def test_every_log_group_keeps_30_days(resources):
    groups = resources_of_type(resources, "AWS::Logs::LogGroup")
    assert len(groups) >= 6
    assert {name: g["Properties"]["RetentionInDays"] for name, g in groups.items()} == {name: 30 for name in groups}


# ------------------------------------------------------------------ CloudFront and WAF


def test_cache_policy_honours_origin_cache_control_within_bounds(resources):
    config = resources["CachePolicy"]["Properties"]["CachePolicyConfig"]
    assert (config["MinTTL"], config["DefaultTTL"], config["MaxTTL"]) == (0, 300, 86400)
    keys = config["ParametersInCacheKeyAndForwardedToOrigin"]
    assert keys["QueryStringsConfig"]["QueryStringBehavior"] == "all"
    assert keys["CookiesConfig"]["CookieBehavior"] == "none"
    assert keys["EnableAcceptEncodingGzip"] is True


def test_distribution_fronts_the_api_over_https_with_policies_tags_and_origin_shield(resources):
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    assert behavior["Compress"] is True
    assert plain(behavior["CachePolicyId"]) == {"Ref": "CachePolicy"}
    assert plain(behavior["OriginRequestPolicyId"]) == {"Ref": "OriginRequestPolicy"}
    assert plain(behavior["ResponseHeadersPolicyId"]) == {"Ref": "ResponseHeadersPolicy"}
    origin, _partner = config["Origins"]
    assert origin["Id"] == behavior["TargetOriginId"]
    assert origin["OriginPath"] == "/prod"
    assert "${PublicApi}.execute-api." in origin["DomainName"]["Fn::Sub"]
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["OriginShield"]["Enabled"] is True


def test_distribution_reads_cache_tags_from_the_header_the_read_tier_sends(resources):
    from read_api import cachetags

    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    assert config["CacheTagConfig"] == {"HeaderName": cachetags.HEADER}


def test_response_headers_policy_sets_security_headers_and_cors_from_parameters(resources):
    config = resources["ResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert plain(config["CorsConfig"]["AccessControlAllowOrigins"]["Items"]) == {"Ref": "CorsAllowedOrigins"}
    assert set(config["CorsConfig"]["AccessControlAllowMethods"]["Items"]) == {"GET", "HEAD", "OPTIONS"}


def test_origin_request_policy_never_forwards_host_or_cookies(resources):
    config = resources["OriginRequestPolicy"]["Properties"]["OriginRequestPolicyConfig"]
    assert config["QueryStringsConfig"]["QueryStringBehavior"] == "all"
    assert config["CookiesConfig"]["CookieBehavior"] == "none"
    assert "Host" not in config["HeadersConfig"].get("Headers", [])


def _rules_by_name(web_acl):
    return {rule["Name"]: rule for rule in web_acl["Properties"]["Rules"]}


def test_web_acl_rate_limits_each_ip_and_applies_the_managed_rule_sets(resources):
    web_acl = resources["WebAcl"]
    assert web_acl["Properties"]["Scope"] == "CLOUDFRONT"
    rules = _rules_by_name(web_acl)
    rate = [r for r in rules.values() if "RateBasedStatement" in r["Statement"]]
    assert len(rate) == 2  # fans per IP; partner calls per IP, looser (their keys have usage plans)
    statement = rules["rate-limit-per-ip"]["Statement"]["RateBasedStatement"]
    assert (statement["Limit"], statement["EvaluationWindowSec"], statement["AggregateKeyType"]) == (2000, 300, "IP")
    partner_path = statement["ScopeDownStatement"]["NotStatement"]["Statement"]["ByteMatchStatement"]
    assert (partner_path["PositionalConstraint"], partner_path["SearchString"]) == ("STARTS_WITH", "/partner/")
    partner = rules["rate-limit-partner-per-ip"]["Statement"]["RateBasedStatement"]
    assert partner["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/partner/"
    assert partner["Limit"] > statement["Limit"]
    assert all("Block" in r["Action"] for r in rate)
    managed = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]: r
        for r in rules.values()
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet"} <= set(managed)
    for rule in managed.values():
        assert plain(rule["OverrideAction"]) == {"None": {}}  # enforced, not counted
    priorities = [r["Priority"] for r in rules.values()]
    assert len(set(priorities)) == len(priorities)


def test_web_acl_is_attached_to_the_distribution(template, resources):
    web_acl_id = resources["Distribution"]["Properties"]["DistributionConfig"]["WebACLId"]
    assert plain(web_acl_id) == {
        "Fn::If": ["CreateWebAcl", {"Fn::GetAtt": ["WebAcl", "Arn"]}, {"Ref": "WebAclArn"}]
    }
    assert resources["WebAcl"]["Condition"] == "CreateWebAcl"
    # Outside us-east-1 (no web ACL in the stack) a WebAclArn is required, so the distribution always has one.
    rule = template["Rules"]["WebAclOutsideUsEast1"]
    assert plain(rule["RuleCondition"]) == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}]}
    assert plain(rule["Assertions"][0]["Assert"]) == {"Fn::Not": [{"Fn::Equals": [{"Ref": "WebAclArn"}, ""]}]}


def test_standalone_waf_stack_has_the_same_rules(resources, waf_template):
    standalone = waf_template["Resources"]["WebAcl"]["Properties"]
    in_stack = resources["WebAcl"]["Properties"]
    for key in ("Scope", "DefaultAction", "Rules", "CustomResponseBodies", "VisibilityConfig"):
        assert plain(standalone[key]) == plain(in_stack[key]), key
    assert "WebAclArn" in waf_template["Outputs"]


# ------------------------------------------------------------------ alarms and safe releases


def _alarm_metric_names(alarm):
    properties = alarm["Properties"]
    if "MetricName" in properties:
        return {properties["MetricName"]}
    return {m["MetricStat"]["Metric"]["MetricName"] for m in properties["Metrics"] if "MetricStat" in m}


def test_specified_alarms_exist_and_notify_the_topic(resources):
    alarms = resources_of_type(resources, "AWS::CloudWatch::Alarm")
    assert _alarm_metric_names(alarms["Api5xxRateAlarm"]) == {"5XXError"}
    assert alarms["Api5xxRateAlarm"]["Properties"]["Threshold"] == 0.01
    assert _alarm_metric_names(alarms["ApiLatencyP99Alarm"]) == {"Latency"}
    assert alarms["ApiLatencyP99Alarm"]["Properties"]["ExtendedStatistic"] == "p99"
    assert alarms["ApiLatencyP99Alarm"]["Properties"]["Threshold"] == 3000
    assert _alarm_metric_names(alarms["TableThrottleAlarm"]) == {"ReadThrottleEvents", "WriteThrottleEvents"}
    for function in READ_FUNCTIONS:
        assert _alarm_metric_names(alarms[f"{function.removesuffix('Function')}ErrorsAlarm"]) == {
            "Errors",
            "Invocations",
        }
    for name, alarm in alarms.items():
        assert plain(alarm["Properties"]["AlarmActions"]) == [{"Ref": "AlarmTopic"}], name
    assert resources["AlarmTopic"]["Type"] == "AWS::SNS::Topic"


def test_api_alarms_watch_the_api_the_template_creates(resources):
    api_name = resources["PublicApi"]["Properties"]["Name"]
    assert plain(api_name) == openapi_overlay.API_NAME  # the definition's title: the same name either way
    for alarm in ("Api5xxRateAlarm", "ApiLatencyP99Alarm"):
        dimensions = {d["Name"]: plain(d["Value"]) for d in resources[alarm]["Properties"]["Dimensions"]}
        assert dimensions == {"ApiName": plain(api_name), "Stage": "prod"}


@pytest.mark.parametrize("function", READ_FUNCTIONS)
def test_traffic_shift_rolls_back_on_the_alarms(resources, function):
    preference = resources[function]["Properties"]["DeploymentPreference"]
    assert plain(preference["Type"]) == {"Ref": "DeploymentType"}
    watched = {alarm["Ref"] for alarm in preference["Alarms"]}
    own = f"{function.removesuffix('Function')}ErrorsAlarm"
    assert watched == SHARED_ALARMS | {own}
    errors = resources[own]["Properties"]["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"]
    resource_dimension = next(d for d in errors if d["Name"] == "Resource")
    assert resource_dimension["Value"]["Fn::Sub"].endswith(":live")  # the alias being shifted


def test_deployment_types_shift_gradually_by_default(template):
    parameter = template["Parameters"]["DeploymentType"]
    assert parameter["Default"].startswith(("Canary", "Linear"))


# ------------------------------------------------------------------ Cognito


def test_user_pool_has_the_admin_groups_mfa_and_a_code_flow_client(template, resources):
    groups = {r["Properties"]["GroupName"] for r in resources_of_type(resources, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == {"AdminFull", "AdminEditor", "AdminViewer"}
    pool = resources["UserPool"]["Properties"]
    assert pool["MfaConfiguration"] == "ON"
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert any(a["Name"] == "groups" for a in pool["Schema"])  # custom:groups
    client = resources["AdminAppClient"]["Properties"]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert "openid" in client["AllowedOAuthScopes"]
    assert plain(client["CallbackURLs"]) == {"Ref": "AdminCallbackUrls"}
    assert plain(client["LogoutURLs"]) == {"Ref": "AdminLogoutUrls"}
    assert template["Parameters"]["AdminCallbackUrls"]["Type"] == "CommaDelimitedList"
    assert resources["UserPoolDomain"]["Properties"]["Domain"] == {"Ref": "CognitoDomainPrefix"}


def test_saml_provider_comes_from_identity_center_metadata_with_attribute_mapping(resources):
    provider = resources["IdentityCenterProvider"]["Properties"]
    assert provider["ProviderType"] == "SAML"
    assert plain(provider["ProviderDetails"]["MetadataURL"]) == {"Ref": "IdentityCenterMetadataUrl"}
    assert {"email", "name", "custom:groups"} <= set(provider["AttributeMapping"])
    supported = resources["AdminAppClient"]["Properties"]["SupportedIdentityProviders"]
    assert plain(supported) == {"Fn::If": ["HasSamlIdp", [provider["ProviderName"]], ["COGNITO"]]}
    ordering = resources["AdminAppClient"]["Metadata"]["IdentityProvider"]
    assert plain(ordering) == {"Fn::If": ["HasSamlIdp", {"Ref": "IdentityCenterProvider"}, "none"]}


# ------------------------------------------------------------------ the admin's role


def test_admin_role_reads_and_writes_the_table_and_invalidates_only_the_distribution(resources):
    role = resources["AdminFunctionRole"]
    found = {s["Sid"]: s for s in statements(role)}
    table = found["ReadWriteTable"]
    assert table["Resource"] == TABLE_RESOURCES
    assert {"dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem"} <= set(table["Action"])
    assert not any(a in table["Action"] for a in ("dynamodb:DeleteTable", "dynamodb:CreateTable", "dynamodb:UpdateTable"))
    invalidation = found["InvalidateTheDistribution"]
    assert set(invalidation["Action"]) == {"cloudfront:CreateInvalidation", "cloudfront:GetInvalidation", "cloudfront:GetDistribution"}
    assert invalidation["Resource"]["Fn::Sub"].endswith(":distribution/${Distribution}")
    for sid, statement in found.items():
        if any(a.startswith("cloudfront:") for a in as_list(statement["Action"])):
            assert sid == "InvalidateTheDistribution"


def test_admin_role_lets_zappas_api_gateway_invoke_only_the_admin(resources):
    """Zappa's integration uses the execution role as credentials: API Gateway assumes it and invokes the admin."""
    role = resources["AdminFunctionRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert set(trust["Principal"]["Service"]) == {"lambda.amazonaws.com", "apigateway.amazonaws.com"}
    invoke = {s["Sid"]: s for s in statements(resources["AdminFunctionRole"])}["ApiGatewayInvokesTheAdmin"]
    assert invoke["Action"] == "lambda:InvokeFunction"
    for resource in invoke["Resource"]:
        assert ":function:metalfests-admin-${Environment}" in resource["Fn::Sub"]


def test_api_stage_waits_for_the_account_logging_role(resources):
    assert resources["PublicApi"]["DependsOn"] == "ApiGatewayAccountReady"
    ready = resources["ApiGatewayAccountReady"]["Metadata"]["AccountSetting"]
    assert plain(ready) == {"Fn::If": ["SetApiGatewayAccount", {"Ref": "ApiGatewayAccount"}, "none"]}


# ------------------------------------------------------------------ outputs


def test_outputs_name_what_operators_and_the_admin_need(template):
    assert {
        "ApiUrl",
        "DistributionId",
        "DistributionDomainName",
        "TableName",
        "UserPoolId",
        "UserPoolClientId",
    } <= set(template["Outputs"])


# IAM actions that authorize each boto3 call (transactions are authorized item by item).
CALL_ACTIONS = {
    "transact_write_items": {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"},
    "transact_get_items": {"dynamodb:GetItem"},
    "get_distribution": {"cloudfront:GetDistribution"},
}


def test_admin_role_allows_every_aws_call_publishing_makes(resources):
    """Read from publishing's source: a new call (say describe_table) fails here until the role allows it."""
    allowed = set()
    for statement in statements(resources["AdminFunctionRole"]):
        allowed.update(as_list(statement["Action"]))
    calls, paged = set(), set()
    for source in (INFRA.parent / "publishing").rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        calls.update(re.findall(r"\bclient\.([a-z_]+)\(", text))
        # A paginator is no call of its own: the operations it pages through are (`Writer._items("scan")`).
        paged.update(re.findall(r"\b(?:get_paginator|_items)\(\s*\"([a-z_]+)\"", text))
    if "get_paginator" in calls:
        calls.remove("get_paginator")
        assert paged, "publishing pages through some operation, but the pattern finds none"
    calls |= paged
    assert calls, "publishing makes no AWS call? the pattern no longer finds them"
    for call in sorted(calls):
        service = "cloudfront" if "invalidation" in call else "dynamodb"
        needed = CALL_ACTIONS.get(call) or {f"{service}:" + "".join(part.title() for part in call.split("_"))}
        assert needed <= allowed, f"publishing calls {call}: the admin role lacks {needed - allowed}"


def test_read_tier_calls_only_what_its_roles_allow():
    """The handlers' DynamoDB calls (read from the shipped modules) are GetItem, Query or BatchGetItem."""
    modules, _ = reachable(ROOT / SOURCE_PACKAGE)
    source = "\n".join(path.read_text(encoding="utf-8") for path in modules)
    calls = set(re.findall(r"_get_connection\(\)\.([a-z_]+)", source))
    calls |= set(re.findall(r"\bclient\.([a-z_]+)\(", source))
    assert calls, "the read tier makes no DynamoDB call? the pattern no longer finds them"
    for call in calls:
        action = "dynamodb:" + "".join(part.title() for part in call.split("_"))
        assert action in READ_ACTIONS, f"read_api calls {call}: its roles allow only {sorted(READ_ACTIONS)}"
    # PynamoDB model methods that need more than the three reads (DescribeTable, Scan, writes).
    for method in ("scan", "describe_table", "save", "batch_write", "create_table"):
        assert not re.search(rf"\.{method}\(", source), f"read_api calls .{method}(): not allowed by its roles"
    # Model.exists() is DescribeTable; an attribute's exists() (`Item.ends.exists()`) is a condition.
    assert not re.search(r"\b[A-Z]\w*\.exists\(", source), "read_api calls Model.exists(): not allowed by its roles"


# ------------------------------------------------------------------ the read tier's secrets (issue 10, items 8 and 11)


def evaluate(node, parameters: dict):
    """The few intrinsics the secrets pass through (Ref, Fn::Split, Fn::Select), evaluated as CloudFormation would."""
    node = plain(node)
    if isinstance(node, dict) and "Ref" in node:
        return parameters[node["Ref"]]
    if isinstance(node, dict) and "Fn::Split" in node:
        separator, value = node["Fn::Split"]
        return evaluate(value, parameters).split(separator)
    if isinstance(node, dict) and "Fn::Select" in node:
        index, values = node["Fn::Select"]
        return evaluate(values, parameters)[int(index)]
    assert isinstance(node, str), f"unexpected intrinsic {node}"
    return node


SECRET_PARAMETERS = {"OriginVerifySecrets": "ORIGIN_VERIFY_SECRETS", "CursorSigningKeys": "CURSOR_SIGNING_KEYS"}


@pytest.mark.parametrize("parameter", SECRET_PARAMETERS)
def test_read_tier_secrets_are_required_noecho_parameters_that_never_leave_the_stack(template, parameter):
    spec = template["Parameters"][parameter]
    assert spec["NoEcho"] is True and "Default" not in spec  # no deploy without one, never shown by describe-stacks
    pattern = re.compile(spec["AllowedPattern"])
    strong, other = "a" * 32, "B-_9" * 10
    assert pattern.fullmatch(strong) and pattern.fullmatch(f"{strong},{other}") and pattern.fullmatch(f"{strong},{other},{strong}")
    for weak in ("", "a" * 31, f"{strong},", f"{strong},short", "a b" * 20, f"{strong};{other}"):
        assert not pattern.fullmatch(weak), weak
    assert parameter not in json.dumps(plain(template["Outputs"]))


def test_read_functions_get_the_secrets_and_would_refuse_to_start_without_them(template):
    from read_api import config

    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    for parameter, variable in SECRET_PARAMETERS.items():
        assert variable in (config.ORIGIN_SECRETS_VAR, config.CURSOR_KEYS_VAR)
        assert plain(variables[variable]) == {"Ref": parameter}
    assert plain(variables[config.ENVIRONMENT_VAR]) == {"Ref": "Environment"}
    assert set(template["Parameters"]["Environment"]["AllowedValues"]).isdisjoint({config.LOCAL_ENVIRONMENT})


def test_read_roles_need_no_secret_store_access(resources):
    for role in ("FestivalsFunctionRole", "BandsFunctionRole", "GenresFunctionRole", "RolesFunctionRole",
                 "SearchFunctionRole"):
        actions = {action for statement in statements(resources[role]) for action in as_list(statement["Action"])}
        assert not any(action.startswith(("secretsmanager:", "ssm:", "kms:")) for action in actions), role


@pytest.mark.dynamodb
def test_the_execute_api_url_answers_only_what_cloudfront_sends(template, resources, monkeypatch, dynamodb_table):
    """Evaluate the template for one set of parameter values: CloudFront's origin header is accepted by the function
    configured from the same template; a direct call (no header, a wrong or a retired value) is a 403 before any read."""
    import dataclasses

    from read_api import config
    from read_api.handlers import genres

    current, previous, retired = "c" * 48, "p" * 48, "r" * 48
    values = {"OriginVerifySecrets": f"{current},{previous}", "CursorSigningKeys": "k" * 32, "Environment": "production"}
    origins = resources["Distribution"]["Properties"]["DistributionConfig"]["Origins"]
    assert [o["Id"] for o in origins] == ["public-api", "partner-api"]
    for origin in origins:  # the partner API's origin sends the same header to the same functions
        headers = {h["HeaderName"]: evaluate(h["HeaderValue"], values) for h in origin["OriginCustomHeaders"]}
        assert headers == {config.ORIGIN_HEADER: current}  # CloudFront sends the first value only
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    for name in (config.ORIGIN_SECRETS_VAR, config.CURSOR_KEYS_VAR, config.ENVIRONMENT_VAR):
        monkeypatch.setenv(name, evaluate(variables[name], values))
    deployed = config.from_environment()
    monkeypatch.setattr(config, "settings", dataclasses.replace(
        dynamodb_table, origin_secrets=deployed.origin_secrets, cursor_keys=deployed.cursor_keys))

    def call(sent: dict) -> int:
        event = {"path": "/api/genres", "httpMethod": "GET", "headers": sent, "queryStringParameters": {"offset": "500"}}
        return genres.lambda_handler(event, None)["statusCode"]

    assert call(headers) == 200
    assert call({config.ORIGIN_HEADER: previous}) == 200  # mid-rotation: the previous value still works
    for direct in ({}, {config.ORIGIN_HEADER: retired}, {config.ORIGIN_HEADER: ""}, {"X-Forwarded-For": "1.2.3.4"}):
        assert call(direct) == 403


def test_a_viewer_cannot_send_the_origin_header_itself(resources):
    """CloudFront overwrites a viewer's header of an origin custom header's name; the policy forwards it neither."""
    from read_api import config

    forwarded = resources["OriginRequestPolicy"]["Properties"]["OriginRequestPolicyConfig"]["HeadersConfig"]
    assert forwarded["HeaderBehavior"] == "whitelist"
    assert config.ORIGIN_HEADER.lower() not in {h.lower() for h in forwarded["Headers"]}
