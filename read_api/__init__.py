"""The public read tier: DynamoDB item schema, queries and AWS Lambda handlers. Never imports Django."""
