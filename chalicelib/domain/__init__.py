"""Pure domain core: no boto3, no PynamoDB, no HTTP."""
