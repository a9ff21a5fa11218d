"""Identity: single sign-on (OpenID Connect), admin groups, sessions and API keys."""
