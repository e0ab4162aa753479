"""Test infrastructure: real mail servers, a fake LLM and a memory keyring on loopback."""
