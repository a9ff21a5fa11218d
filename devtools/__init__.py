"""Local stand-ins for the cloud parts (DynamoDB Local, the OpenID provider), shared by `make run` and the tests."""
