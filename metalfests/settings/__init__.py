"""Settings, split by where the project runs: base (shared), local, test, production.

Every value comes from an environment variable with a safe local default;
``production`` refuses to start when a value it needs is missing.
"""
