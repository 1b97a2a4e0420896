"""Agents written with other frameworks, run here as this project's agents."""
