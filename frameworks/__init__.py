"""Agents written with other frameworks, run here as ours."""
