"""Input limits, rate limits and Cache-Control, each found by attacking the running service.

Every refusal is in the one error shape and writes nothing; every 429 says when to come back.
"""
