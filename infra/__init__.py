"""Deployment: the SAM/CloudFormation template, Zappa settings of the admin, and packaging of the read functions."""
