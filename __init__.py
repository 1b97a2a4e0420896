"""Agent continuations on Temporal: durable LLM agents that pause for people."""
