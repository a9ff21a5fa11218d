"""OpenAPI (drf-spectacular) descriptions of the admin API's two ways to authenticate."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class CognitoBearerScheme(OpenApiAuthenticationExtension):
    target_class = "catalog.api.authentication.CognitoAccessTokenAuthentication"
    name = "CognitoBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "A Cognito access token (token_use=access) of the admin's app client.",
        }


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "catalog.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                "description": "A key from `manage.py create_api_key NAME --group GROUP`."}
