"""Persistence: PynamoDB records, repositories, counters, conditional and transactional writes."""
