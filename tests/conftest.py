"""Suite-wide fixtures. Each real part has its own plugin module under tests/fixtures/."""

pytest_plugins = [
    "tests.fixtures.dynamodb",
    "tests.fixtures.oidc",
    "tests.fixtures.browser",
]
