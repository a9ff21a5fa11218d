"""cfn-lint, with its SAM support, finds nothing wrong in the templates, in the regions we deploy to."""

import pytest
from cfnlint.api import ManualArgs, lint_file

from .conftest import TEMPLATE, WAF_TEMPLATE

# us-east-1 creates the web ACL in the stack; elsewhere it comes from infra/waf.yaml.
REGIONS = ["us-east-1", "eu-west-1"]


@pytest.mark.parametrize("path", [TEMPLATE, WAF_TEMPLATE], ids=lambda path: path.name)
def test_cfn_lint_reports_nothing(path):
    matches = lint_file(path, ManualArgs(regions=REGIONS))
    assert [f"{match.rule.id} {match.message} ({match.linenumber})" for match in matches] == []


def test_template_declares_the_sam_transform(template):
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
